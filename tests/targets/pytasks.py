"""A target for spytop dump --tasks (CPython 3.14+): named tasks awaiting
each other through asyncio.TaskGroup, asyncio.gather and asyncio.wait_for,
and one CPU-hot coroutine that never yields, so the await graph stays as
it is while the test reads it; a second thread runs an event loop of its
own (a task awaiting another), and a third one left a pending task behind
when it exited (CPython moves it to the interpreter's list). Prints
"ready" once every task is waiting.

Modes (argv[1]):
  graph    the graph above
  hostile  plus tasks named with a 10 KB string and non-ASCII text
  many N   N sleeping tasks gathered by the main task, no hot coroutine
  plain    a Python < 3.14 can run: one named task sleeping
"""
import asyncio
import sys
import threading

kept = []  # the exited thread's loop and task, kept alive
side_ready = threading.Event()


def spin(n):
    x = 0
    for i in range(n):
        x += i
    return x


async def hot():
    side_ready.wait(60)  # the second loop's tasks wait too
    print("ready", flush=True)
    while True: spin(200000)


async def leaf(delay):
    await asyncio.sleep(delay)


async def grouped():
    await leaf(3600)


async def gatherer():
    one = asyncio.create_task(leaf(3600), name="gathered-1")
    two = asyncio.create_task(leaf(3600), name="gathered-2")
    await asyncio.gather(one, two)


async def waiter():
    waited = asyncio.create_task(leaf(3600), name="waited-for")
    await asyncio.wait_for(waited, 3600)


async def side_main():
    side = asyncio.create_task(leaf(3600), name="side-task")
    await asyncio.sleep(0.05)
    side_ready.set()
    await side


def side_thread():
    asyncio.run(side_main())


def orphan_thread():
    loop = asyncio.new_event_loop()
    kept.append(loop)
    kept.append(loop.create_task(leaf(3600), name="orphan"))
    loop.run_until_complete(asyncio.sleep(0))


async def main(mode):
    threading.Thread(target=side_thread, name="side-loop", daemon=True).start()
    orphan = threading.Thread(target=orphan_thread, name="orphan-maker")
    orphan.start()
    orphan.join()
    async with asyncio.TaskGroup() as tg:
        tg.create_task(grouped(), name="grouped")
        tg.create_task(gatherer(), name="gatherer")
        tg.create_task(waiter(), name="waiter")
        if mode == "hostile":
            tg.create_task(leaf(3600), name="x" * 10240)
            tg.create_task(leaf(3600), name="t\u00e2che-\u00fcn\u00efcode-\u2713-\u540d\u524d-\U0001f40d")
            tg.create_task(leaf(3600), name="esc\x1b[31mred\x9b")
        await asyncio.sleep(0.3)  # every task reaches its await
        tg.create_task(hot(), name="hot")


async def many(n):
    tasks = [asyncio.create_task(leaf(3600), name="sleeper-%d" % i) for i in range(n)]
    await asyncio.sleep(0.3)
    print("ready", flush=True)
    await asyncio.gather(*tasks)


async def plain():
    task = asyncio.create_task(leaf(3600), name="plain-sleeper")
    await asyncio.sleep(0.1)
    print("ready", flush=True)
    await task


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "graph"
    if mode == "many":
        asyncio.run(many(int(sys.argv[2])))
    elif mode == "plain":
        asyncio.run(plain())
    else:
        asyncio.run(main(mode))
