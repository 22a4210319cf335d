"""Correct, 3 ranks. Workers send results as they finish; the master takes
them in arrival order, whoever sends. Worker 2's task takes 3 s."""

import time

from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
if rank == 0:
    results = {}
    for _ in range(size - 1):
        status = MPI.Status()
        value = comm.recv(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG, status=status)
        results[status.Get_source()] = value
    print("results", sorted(results.items()))
else:
    if rank == 2:
        time.sleep(3)
    comm.send(rank * 10, dest=0, tag=rank)
