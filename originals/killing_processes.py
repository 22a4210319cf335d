"""Start a process, terminate it at once, join it: its state and exit code at
each step (-15: killed by SIGTERM). Ported by `local-procs terminate`.
Adapted for the course: TIME_SCALE, added to the original, scales its sleeps
(0: none), so that the tests run it fast."""

import multiprocessing
import os
import time

SCALE = float(os.environ.get("TIME_SCALE", "1"))


def foo():
    print("Starting function")
    for i in range(0, 10):
        print("-->%d" % i)
        time.sleep(1 * SCALE)
    print("Finished function")


if __name__ == "__main__":
    p = multiprocessing.Process(target=foo)
    print("Process before execution:", p, p.is_alive())
    p.start()
    print("Process running:", p, p.is_alive())
    p.terminate()
    print("Process terminated:", p, p.is_alive())
    p.join()
    print("Process joined:", p, p.is_alive())
    print("Process exit code:", p.exitcode)
