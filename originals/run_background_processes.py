"""A daemon and a non-daemon process; the parent just ends. At its end the
daemon is terminated, the other joined. Ported by `local-procs daemon`.
Adapted for the course: TIME_SCALE, added to the original, scales its sleeps
(0: none), so that the tests run it fast."""

import multiprocessing
import os
import time

SCALE = float(os.environ.get("TIME_SCALE", "1"))


def foo():
    name = multiprocessing.current_process().name
    print("Starting %s" % name)
    if name == "background_process":
        for i in range(0, 5):
            print("---> %d" % i)
        time.sleep(1 * SCALE)
    else:
        for i in range(5, 10):
            print("---> %d" % i)
        time.sleep(1 * SCALE)
    print("Exiting %s" % name)


if __name__ == "__main__":
    background_process = multiprocessing.Process(name="background_process", target=foo)
    background_process.daemon = True
    NO_background_process = multiprocessing.Process(name="NO_background_process", target=foo)
    NO_background_process.daemon = False
    background_process.start()
    NO_background_process.start()
