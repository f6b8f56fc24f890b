"""A Python service's thread pool (bench/threads.sh): N threads waiting on a
queue.Queue that never gets an item, and 2 busy in Python code. Threads
name themselves (prctl) as the C sleepers target's do, so that the bench
counts the sleepers' context switches alone: "pool", "busy", and the main
thread "sleepers"."""
import ctypes
import queue
import sys
import threading
import time

PR_SET_NAME = 15
libc = ctypes.CDLL(None, use_errno=True)


def name_self(name):
    libc.prctl(PR_SET_NAME, name.encode(), 0, 0, 0)


def pool_worker(q, started):
    name_self("pool")
    started.release()
    while True:
        q.get()


def busy_python(started):
    name_self("busy")
    started.release()
    n = 0
    while True:
        n = (n * 31 + 7) % 1000003


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    q = queue.Queue()
    started = threading.Semaphore(0)
    for _ in range(count):
        threading.Thread(target=pool_worker, args=(q, started), daemon=True).start()
    for _ in range(2):
        threading.Thread(target=busy_python, args=(started,), daemon=True).start()
    for _ in range(count + 2):
        started.acquire()
    name_self("sleepers")
    time.sleep(0.1)
    print("ready", flush=True)
    while True:
        time.sleep(3600)


main()
