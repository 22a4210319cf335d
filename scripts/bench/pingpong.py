"""The mpi4py baseline for pingpong, as the original course sends: the
pickle-based comm.send / comm.recv of a Python object (here bytes of the
size). Same rounds, sizes and output as the Rust pingpong."""
import argparse
import sys

from mpi4py import MPI

parser = argparse.ArgumentParser()
parser.add_argument("--sizes", default="0,8,64,1024,8192,65536,1048576,4194304")
parser.add_argument("--iters", type=int, default=10000)
parser.add_argument("--warmup", type=int, default=1000)
args = parser.parse_args()

comm = MPI.COMM_WORLD
rank = comm.rank
if comm.size < 2:
    if rank == 0:
        print("error: pingpong.py needs 2 ranks", file=sys.stderr)
    sys.exit(2)
if rank == 0:
    print("bytes,latency_us,bandwidth_mb_s", flush=True)
for size in [int(s) for s in args.sizes.split(",")]:
    iters = max(1, args.iters // 10 if size > 65536 else args.iters)
    warmup = max(1, args.warmup // 10 if size > 65536 else args.warmup)
    if rank < 2:
        peer = 1 - rank
        message = bytes(size)
        start = MPI.Wtime()
        for round_ in range(warmup + iters):
            if round_ == warmup:
                start = MPI.Wtime()
            if rank == 0:
                comm.send(message, dest=peer)
                message = comm.recv(source=peer)
            else:
                message = comm.recv(source=peer)
                comm.send(message, dest=peer)
        latency_us = (MPI.Wtime() - start) / iters / 2.0 * 1e6
        if rank == 0:
            bandwidth = size / latency_us if latency_us > 0 else 0.0
            print(f"{size},{latency_us:.3f},{bandwidth:.2f}", flush=True)
    comm.Barrier()
