"""A parent that starts a multiprocessing.Pool(4) only when told (SIGUSR1),
so that a profiler attached before sees the workers born: each worker
burns CPU in pool_burn; the parent waits in wait_for_results."""
import multiprocessing
import signal
import sys
import time

go = False


def on_usr1(signum, frame):
    global go
    go = True


def pool_burn(n):
    end = time.monotonic() + n
    total = 0
    while time.monotonic() < end:
        for i in range(1000):
            total += i * i
    return total


def wait_for_results(pool, seconds):
    return pool.map(pool_burn, [seconds] * 4, chunksize=1)


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 4
    signal.signal(signal.SIGUSR1, on_usr1)
    print("ready", flush=True)
    while not go:
        time.sleep(0.01)
    with multiprocessing.get_context("fork").Pool(4) as pool:
        print("workers", " ".join(str(p.pid) for p in pool._pool), flush=True)
        wait_for_results(pool, seconds)
    print("done", flush=True)
    time.sleep(1000)
