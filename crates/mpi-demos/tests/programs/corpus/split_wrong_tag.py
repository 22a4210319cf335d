"""Buggy, 4 ranks. The odd ranks make a communicator of their own; on it
rank 1 (its rank 0) sends tag 1 and finishes, while rank 3 waits for tag 2."""

from mpi4py import MPI

world = MPI.COMM_WORLD
odd = world.Split(world.Get_rank() % 2, world.Get_rank())
if world.Get_rank() == 1:
    odd.send("hello", dest=1, tag=1)
elif world.Get_rank() == 3:
    odd.recv(source=0, tag=2)
odd.Free()
