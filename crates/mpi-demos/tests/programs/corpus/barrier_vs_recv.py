"""Buggy, 2 ranks. Rank 0 enters a barrier; rank 1 first waits for a
message that rank 0 sends only after it."""

from mpi4py import MPI

comm = MPI.COMM_WORLD
if comm.Get_rank() == 1:
    comm.recv(source=0, tag=0)
comm.Barrier()
if comm.Get_rank() == 0:
    comm.send("late", dest=1, tag=0)
