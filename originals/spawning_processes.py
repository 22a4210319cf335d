"""Six processes, each started and joined before the next: the output is
strictly sequential. Ported by `local-procs spawn`."""

import multiprocessing

from myFunc import myFunc

if __name__ == "__main__":
    for i in range(6):
        process = multiprocessing.Process(target=myFunc, args=(i,))
        process.start()
        process.join()
