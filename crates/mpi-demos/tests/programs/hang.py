"""Programs that hang, in mpi4py, for the tests of `scripts/mpirun --watch`.
The same modes as hang.c: cycle, wrong-tag, finished, fine."""

import sys

from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
right, left = (rank + 1) % size, (rank + size - 1) % size
mode = sys.argv[1] if len(sys.argv) > 1 else "cycle"

if mode in ("cycle", "fine"):
    if mode == "fine" and rank == 0:
        comm.send(rank, dest=left, tag=0)
    comm.recv(source=right, tag=0)
    if not (mode == "fine" and rank == 0):
        comm.send(rank, dest=left, tag=0)
elif mode == "wrong-tag":
    if rank == 0:
        comm.send(rank, dest=1, tag=3)
    if rank == 1:
        comm.recv(source=0, tag=5)
elif mode == "finished":
    if rank == 1:
        comm.recv(source=0, tag=0)
print(f"rank {rank} done")
