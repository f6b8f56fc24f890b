"""The target of the Python benchmark: recurses until the stack holds DEPTH
Python frames (the module's own frame included), then spins at the bottom
on pure Python arithmetic, counting work units. It measures its own
throughput: on every SIGUSR1 it prints

    mark NS UNITS

(time.monotonic_ns() and the work units done so far), so the rate over a
window is the difference of two marks. Prints "ready PID" once it spins;
lives until killed (or for at most LIFETIME seconds, default 900).

usage: python3 deep.py [DEPTH [LIFETIME]]     (DEPTH default 50)
Any CPython from 3.7 on.
"""
import os
import signal
import sys
import time

DEPTH = int(sys.argv[1]) if len(sys.argv) > 1 else 50
LIFETIME = float(sys.argv[2]) if len(sys.argv) > 2 else 900.0
UNIT_STEPS = 200

units = 0


def report(signum, frame):
    sys.stdout.write("mark %d %d\n" % (time.monotonic_ns(), units))
    sys.stdout.flush()


def spin():
    """The innermost frame: work units of integer arithmetic."""
    global units
    deadline = time.monotonic() + LIFETIME
    x = 1
    sys.stdout.write("ready %d\n" % os.getpid())
    sys.stdout.flush()
    while True:
        for _ in range(UNIT_STEPS):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        units += 1
        if units & 1023 == 0 and time.monotonic() > deadline:
            return x


def descend(level):
    """One Python frame per level; spin() is the innermost."""
    if level > 1:
        return descend(level - 1) + 1
    return spin()


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, report)
    # <module> + (DEPTH - 2) x descend + spin = DEPTH frames.
    descend(max(DEPTH - 2, 1))
