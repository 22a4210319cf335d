"""The odd ranks make a communicator of their own; on it, rank 1 (its rank
0) sends rank 3 (its rank 1) one object, which mpi4py receives with a
matched probe. A trace must name both as world ranks."""

from mpi4py import MPI

world = MPI.COMM_WORLD
odd = world.Split(world.Get_rank() % 2, world.Get_rank())
if world.Get_rank() == 1:
    odd.send("hello", dest=1, tag=4)
elif world.Get_rank() == 3:
    print("rank 3 got", odd.recv(source=0, tag=4))
odd.Free()
