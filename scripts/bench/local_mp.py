"""The Python multiprocessing baseline for `local-procs bench`: the same
figures, measured the same way, printed as `name value unit [shape]`.

Usage: local_mp.py [FIGURE...] [--scale S] [--producers P] [--consumers C]
[--workers W], with FIGURE among pipe-roundtrip, queue-throughput, pool-map,
spawn-join (all four when none is named)."""
import argparse
import multiprocessing as mp
import time


def square(x):
    return x * x


def echo(conn_in, conn_out):
    while True:
        item = conn_in.recv()
        if item is None:
            return
        conn_out.send(item)


def produce(queue, count):
    for i in range(count):
        queue.put(i)


def consume(queue, counts):
    got = 0
    while queue.get() is not None:
        got += 1
    counts.put(got)


def nothing():
    pass


def pipe_roundtrip(rounds):
    a_in, a_out = mp.Pipe(duplex=False)
    b_in, b_out = mp.Pipe(duplex=False)
    child = mp.Process(target=echo, args=(a_in, b_out))
    child.start()
    for _ in range(100):
        a_out.send(1)
        b_in.recv()
    start = time.perf_counter()
    for _ in range(rounds):
        a_out.send(1)
        b_in.recv()
    elapsed = time.perf_counter() - start
    a_out.send(None)
    child.join()
    print(f"pipe_roundtrip {elapsed / rounds * 1e6:.3f} us", flush=True)


def queue_throughput(items, producers, consumers):
    # As local-procs does: consumer processes take until a None each, and
    # report how many they took; this process only starts and counts.
    queue, counts = mp.Queue(), mp.Queue()
    shares = [items // producers + (1 if p < items % producers else 0) for p in range(producers)]
    start = time.perf_counter()
    taking = [mp.Process(target=consume, args=(queue, counts)) for _ in range(consumers)]
    for p in taking:
        p.start()
    giving = [mp.Process(target=produce, args=(queue, share)) for share in shares]
    for p in giving:
        p.start()
    for p in giving:
        p.join()
    for _ in range(consumers):
        queue.put(None)
    got = sum(counts.get() for _ in range(consumers))
    elapsed = time.perf_counter() - start
    for p in taking:
        p.join()
    assert got == items, f"the queue lost items: {got} of {items}"
    print(f"queue_throughput {items / elapsed:.0f} items/s {producers}x{consumers}", flush=True)


def pool_map(count, workers):
    inputs = range(count)
    with mp.Pool(workers) as pool:
        # The same map twice first, as local-procs does: the steady state.
        pool.map(square, inputs)
        pool.map(square, inputs)
        start = time.perf_counter()
        result = pool.map(square, inputs)
        elapsed = time.perf_counter() - start
    assert len(result) == count and result[-1] == square(count - 1)
    print(f"pool_map_1e6 {elapsed * 1e3:.3f} ms {workers}", flush=True)


def spawn_join(count):
    start = time.perf_counter()
    for _ in range(count):
        p = mp.Process(target=nothing)
        p.start()
        p.join()
    elapsed = time.perf_counter() - start
    print(f"spawn_join {elapsed / count * 1e3:.3f} ms", flush=True)


FIGURES = ["pipe-roundtrip", "queue-throughput", "pool-map", "spawn-join"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("figures", nargs="*", metavar="FIGURE", help=", ".join(FIGURES))
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the counts (tests)")
    parser.add_argument("--producers", type=int, default=1)
    parser.add_argument("--consumers", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    for figure in args.figures:
        if figure not in FIGURES:
            parser.error(f"unknown figure '{figure}' (choose from {', '.join(FIGURES)})")
    n = lambda base: max(1, int(base * args.scale))
    for figure in args.figures or FIGURES:
        if figure == "pipe-roundtrip":
            pipe_roundtrip(n(20000))
        elif figure == "queue-throughput":
            queue_throughput(n(200000), args.producers, args.consumers)
        elif figure == "pool-map":
            pool_map(n(1000000), args.workers)
        else:
            spawn_join(n(200))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
