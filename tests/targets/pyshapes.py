"""A Python target whose threads each hold one shape of stack that a
sampler must get right, for spytop's tests. Every thread spins (pure
Python, taking turns at the GIL) at a line marked "# line: NAME":

  recurse     1000 Python calls deep (recurse -> ... -> recurse -> spin)
  gen         inside a generator's body, resumed by consume_gen
  coro        inside a coroutine (inner_coro) awaited by outer_coro, run by
              asyncio in run_coro
  sortkey     inside a key function that C code calls back: sorted() with a
              Python key, called from sort_with_key
  names       in functions whose names are not ASCII (2-byte, 3-byte and
              4-byte characters) and 1000 characters long

Each thread is named after its shape. Prints "ready" once every thread is
in place.
"""
import asyncio
import sys
import threading

DEPTH = 1000


def spin(n):
    x = 0
    for _ in range(n): x += 1  # line: spin body
    return x


def recurse(depth, started):
    if depth > 1:
        return recurse(depth - 1, started)  # line: recurse call
    started.set()
    while True:
        spin(2000)  # line: recurse bottom


def gen_values():
    while True:
        yield spin(2000)  # line: gen body


def consume_gen(started):
    started.set()
    for _ in gen_values():  # line: gen consumer
        pass


async def inner_coro():
    while True:
        for _ in range(200):
            spin(2000)  # line: coro inner
        # Back to the event loop now and then, whose select drops the GIL
        # and waits to get it back: not too often, or that is all a
        # sample sees of this thread.
        await asyncio.sleep(0)


async def outer_coro(started):
    started.set()
    await inner_coro()  # line: coro outer


def run_coro(started):
    asyncio.run(outer_coro(started))


def slow_key(v):
    spin(2000)  # line: sort key
    return -v


def sort_with_key(started):
    started.set()
    while True:
        sorted(range(50), key=slow_key)  # line: sort call


def größe_λ_函数(started):
    started.set()
    while True:
        spin(2000)  # line: non-ascii body


def long_named(started):
    größe_λ_函数(started)  # line: long name call


def named(f, name):
    """f with its code object renamed: a name no def can spell."""
    code = f.__code__
    if sys.version_info >= (3, 11):
        f.__code__ = code.replace(co_name=name, co_qualname=name)
    else:
        f.__code__ = code.replace(co_name=name)
    return f


# An astral-plane character: a 4-byte (UCS4) str, then 999 more.
LONG_NAME = "\U0001d4c5" + "n" * 998 + "\u00e9"
named(long_named, LONG_NAME)


def main():
    sys.setrecursionlimit(DEPTH + 200)
    shapes = [
        ("recurse", lambda ev: recurse(DEPTH, ev)),
        ("gen", consume_gen),
        ("coro", run_coro),
        ("sortkey", sort_with_key),
        ("names", long_named),
    ]
    events = []
    for name, fn in shapes:
        ev = threading.Event()
        events.append(ev)
        threading.Thread(target=fn, args=(ev,), name=name, daemon=True).start()
    for ev in events:
        ev.wait()
    print("ready", flush=True)
    threading.Event().wait()


main()
