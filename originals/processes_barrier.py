"""Two processes meet at a barrier and print under a lock; two others print
with no synchronisation. Ported by `local-procs barrier`."""

import multiprocessing
from datetime import datetime
from multiprocessing import Barrier, Lock, Process


def test_with_barrier(synchronizer, serializer):
    name = multiprocessing.current_process().name
    synchronizer.wait()
    now = datetime.now()
    with serializer:
        print("process %s ----> %s" % (name, now))


def test_without_barrier():
    name = multiprocessing.current_process().name
    now = datetime.now()
    print("process %s ----> %s" % (name, now))


if __name__ == "__main__":
    synchronizer = Barrier(2)
    serializer = Lock()
    Process(name="p1 - test_with_barrier", target=test_with_barrier, args=(synchronizer, serializer)).start()
    Process(name="p2 - test_with_barrier", target=test_with_barrier, args=(synchronizer, serializer)).start()
    Process(name="p3 - test_without_barrier", target=test_without_barrier).start()
    Process(name="p4 - test_without_barrier", target=test_without_barrier).start()
