"""Forks a child every 20 ms for SECONDS; each child forks a grandchild
that sleeps 30 ms and exits 7, waits for it, and exits 5 when it got 7
(1 otherwise); SIGUSR1 sent to each child is counted by it (exit 6 when
not seen). The parent reaps every child and prints "total N bad M" at the
end: a stop or signal lost by a profiler that follows them shows as bad."""
import os
import signal
import sys
import time


seen = []


def child(ready):
    os.write(ready, b"x")  # Python's own after-fork work is done: signals count
    g = os.fork()
    if g == 0:
        time.sleep(0.03)
        os._exit(7)
    _, status = os.waitpid(g, 0)
    deadline = time.monotonic() + 1
    while not seen and time.monotonic() < deadline:
        time.sleep(0.001)
    if not seen:
        os._exit(6)
    os._exit(5 if os.waitstatus_to_exitcode(status) == 7 else 1)


def main():
    seconds = float(sys.argv[1])
    # Set before each fork, so a child has it from its first instruction.
    signal.signal(signal.SIGUSR1, lambda s, f: seen.append(s))
    print("ready", flush=True)
    end = time.monotonic() + seconds
    total = bad = 0
    while time.monotonic() < end:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            child(w)
        os.close(w)
        os.read(r, 1)
        os.close(r)
        os.kill(pid, signal.SIGUSR1)
        total += 1
        time.sleep(0.02)
        while True:
            try:
                done, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if done == 0:
                break
            if os.waitstatus_to_exitcode(status) != 5:
                bad += 1
                print("bad", done, os.waitstatus_to_exitcode(status), flush=True)
    while True:
        try:
            done, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if os.waitstatus_to_exitcode(status) != 5:
            bad += 1
            print("bad", done, os.waitstatus_to_exitcode(status), flush=True)
    print("total %d bad %d" % (total, bad), flush=True)
    time.sleep(1000)


if __name__ == "__main__":
    main()
