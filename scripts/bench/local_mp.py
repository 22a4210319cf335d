"""The Python multiprocessing baseline for `local-procs bench`: the same four
figures, measured the same way, printed as `name value unit`."""
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
    queue.put(None)


def nothing():
    pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the counts (tests)")
    args = parser.parse_args()
    n = lambda base: max(1, int(base * args.scale))

    # pipe_roundtrip: a small message there and back between two processes.
    a_in, a_out = mp.Pipe(duplex=False)
    b_in, b_out = mp.Pipe(duplex=False)
    child = mp.Process(target=echo, args=(a_in, b_out))
    child.start()
    rounds = n(20000)
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

    # queue_throughput: one producer, one consumer (this process).
    items = n(200000)
    queue = mp.Queue()
    producer = mp.Process(target=produce, args=(queue, items))
    start = time.perf_counter()
    producer.start()
    got = 0
    while queue.get() is not None:
        got += 1
    elapsed = time.perf_counter() - start
    producer.join()
    assert got == items
    print(f"queue_throughput {items / elapsed:.0f} items/s", flush=True)

    # pool_map_1e6: Pool.map of square over 1,000,000 integers, 4 workers.
    inputs = range(n(1000000))
    with mp.Pool(4) as pool:
        pool.map(square, range(1000))
        start = time.perf_counter()
        result = pool.map(square, inputs)
        elapsed = time.perf_counter() - start
    assert result[-1] == square(len(inputs) - 1)
    print(f"pool_map_1e6 {elapsed * 1e3:.3f} ms", flush=True)

    # spawn_join: start and join one process that does nothing.
    count = n(200)
    start = time.perf_counter()
    for _ in range(count):
        p = mp.Process(target=nothing)
        p.start()
        p.join()
    elapsed = time.perf_counter() - start
    print(f"spawn_join {elapsed / count * 1e3:.3f} ms", flush=True)


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
