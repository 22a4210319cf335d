"""Point-to-point messages with mpi4py: the program that p2p ports.

Launch with nine ranks:  scripts/mpirun -np 9 python3 originals/point_to_point.py

Every process learns its rank in the communicator COMM_WORLD. Rank 0 sends
the integer 10000000 to rank 4; rank 1 sends the string "hello" to rank 8.
Ranks 4 and 8 receive and print what arrived and from whom; the others have
nothing to do. comm.send pickles any Python object, and comm.recv unpickles
it: the receiver does not say what type it expects.
"""

from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()

if rank == 0:
    data = 10000000
    comm.send(data, dest=4)
    print(f"rank 0 sent {data} to rank 4")
elif rank == 1:
    data = "hello"
    comm.send(data, dest=8)
    print(f'rank 1 sent "{data}" to rank 8')
elif rank == 4:
    status = MPI.Status()
    data = comm.recv(source=0, status=status)
    print(f"rank 4 received {data} from rank {status.Get_source()}")
elif rank == 8:
    status = MPI.Status()
    data = comm.recv(source=1, status=status)
    print(f'rank 8 received "{data}" from rank {status.Get_source()}')
