"""Two processes run the same function: one named, one left to the default
name, Process-2 (every process object takes the next number). Ported by
`local-procs naming`. Adapted for the course: TIME_SCALE, added to the original, scales its sleeps
(0: none), so that the tests run it fast."""

import multiprocessing
import os
import time

SCALE = float(os.environ.get("TIME_SCALE", "1"))


def myFunc():
    name = multiprocessing.current_process().name
    print("Starting process name = %s" % name)
    time.sleep(3 * SCALE)
    print("Exiting process name = %s" % name)


if __name__ == "__main__":
    process_with_name = multiprocessing.Process(name="myFunc process", target=myFunc)
    process_with_default_name = multiprocessing.Process(target=myFunc)
    process_with_name.start()
    process_with_default_name.start()
    process_with_name.join()
    process_with_default_name.join()
