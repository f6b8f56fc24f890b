"""A Python target with a known shape, for spytop's tests.

Modes (argv[1]):
  ratio  the main thread spends 75 % of its time in ratio_hot and 25 % in
         ratio_warm (timed by the thread's CPU clock, each phase to a
         deadline on one timeline, so what one phase overruns the next one
         gives back; CPU time, not wall time: a sampler sees a thread only
         while it runs, and on a busy machine a preempted phase would lose
         its wall-clock deadline to the other one; that clock is a system
         call, so it is read every 2000 additions); a second thread sleeps
         in idle_wait; a third runs a method whose name is not ASCII.
  zlib   the main thread compresses data with zlib (a native extension)
         from compress_loop.
Prints "ready" once every thread is in place.
"""
import sys
import threading
import time
import zlib

clock = time.thread_time


def ratio_hot(deadline):
    x = 0
    while clock() < deadline:
        for _ in range(2000): x += 1  # line: ratio_hot body
    return x


def ratio_warm(deadline):
    x = 0
    while clock() < deadline:
        for _ in range(2000): x += 1  # line: ratio_warm body
    return x


def idle_wait(started):
    started.set()
    time.sleep(3600)  # line: idle_wait sleep


class Größe:
    def wärme(self, started):
        started.set()
        while True:
            time.sleep(0.5)  # line: unicode sleep


def compress_loop():
    data = bytes(range(256)) * 4096
    while True:
        zlib.compress(data, 9)  # line: compress call


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "ratio"
    started = [threading.Event(), threading.Event()]
    threading.Thread(target=idle_wait, args=(started[0],), daemon=True).start()
    threading.Thread(target=Größe().wärme, args=(started[1],), daemon=True).start()
    for event in started:
        event.wait()
    print("ready", flush=True)
    if mode == "zlib":
        compress_loop()
    period = 0.004
    start = clock()
    while True:
        ratio_hot(start + 0.75 * period)
        ratio_warm(start + period)
        start += period
        now = clock()
        if now > start + period:  # a long stop: start afresh
            start = now


main()
