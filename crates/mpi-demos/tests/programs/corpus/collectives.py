"""Correct, 3 ranks. mpi4py's collectives of Python objects, with rank 2
computing for 3 s before the reduction."""

import time

from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
config = comm.bcast({"steps": 3} if rank == 0 else None, root=0)
part = comm.scatter([[i] * 2 for i in range(size)] if rank == 0 else None, root=0)
if rank == 2:
    time.sleep(3)
total = comm.allreduce(sum(part), op=MPI.SUM)
gathered = comm.gather(rank, root=0)
comm.Barrier()
if rank == 0:
    print("config", config, "total", total, "gathered", gathered)
