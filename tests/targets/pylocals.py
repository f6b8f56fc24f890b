"""A Python target whose main thread waits in a frame with known locals,
for spytop's dump --locals test. hold_locals' locals: its argument, a
local an inner function captures (a cell), an int, a negative int, a big
int, a float, a str, a 10 MB str (cut), a non-ASCII str, a str subclass,
bytes, a self-containing list, a tuple, a dict, a set, None, True, False,
an instance of a class, a function, a deleted variable and one not
assigned yet. Its caller, outer_frame, has its own locals. Prints "ready"
once in place, then waits in short sleeps, its frames staying put.
"""
import sys
import time


class Tagged(str):
    pass


class Thing:
    pass


def hold_locals(marker):
    captured = "in a cell"
    small = 42
    negative = -7
    big = 7 ** 300
    ratio = 2.5
    text = "hello locals"
    huge = "x" * (10 * 1024 * 1024)
    accents = "h\u00e9llo w\u00f6rld \u4e16\u754c \U0001f600"
    tagged = Tagged("subclass")
    raw = b"ab\x00\xffcd"
    loop = [1, 2]
    loop.append(loop)
    pair = (1, "two")
    mapping = {"a": 1, "b": 2, "c": 3}
    bag = {1, 2, 3, 4}
    nothing = None
    yes = True
    no = False
    thing = Thing()
    reader = lambda: captured
    gone = "deleted soon"
    del gone
    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    later = 1  # never reached: unbound while waiting
    return later


def outer_frame():
    outer_count = 1234567
    outer_name = "outer"
    hold_locals(outer_count)


if __name__ == "__main__":
    sys.setswitchinterval(0.005)
    outer_frame()
