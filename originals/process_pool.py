"""A pool of 4 worker processes maps square over 0..99; the results come back
in input order. Ported by `local-procs pool`.

Adapted for the course: CRASH_AT, added to the original, makes the task for
input K kill its worker (os._exit): Python's pool then waits forever for that
result, where the port reports the task."""

import multiprocessing
import os

CRASH_AT = os.environ.get("CRASH_AT")


def function_square(data):
    if CRASH_AT is not None and data == int(CRASH_AT):
        os._exit(1)
    result = data * data
    return result


if __name__ == "__main__":
    inputs = list(range(0, 100))
    pool = multiprocessing.Pool(processes=4)
    pool_outputs = pool.map(function_square, inputs)
    pool.close()
    pool.join()
    print("Pool    :", pool_outputs)
