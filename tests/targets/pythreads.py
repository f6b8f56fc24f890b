# Named Python threads for tests/func/python_threads.sh: "sleeper" (a
# plain threading.Thread), one of a subclass that sets an attribute before
# Thread.__init__ (so _name is not the second key of its instances) with a
# long non-ASCII name, and a thread spinning in spin_loop named "spinner".
import threading
import time


def sleeper_loop():
    while True:
        time.sleep(0.2)


def spin_loop():
    n = 0
    while True:
        n += 1


class Worker(threading.Thread):
    def __init__(self, name):
        self.started_at = time.time()
        super().__init__(name=name, daemon=True)

    def run(self):
        sleeper_loop()


threads = [
    threading.Thread(target=sleeper_loop, name="sleeper", daemon=True),
    Worker("Wärmepumpe-" + "x" * 40),
    threading.Thread(target=spin_loop, name="spinner", daemon=True),
]
for t in threads:
    t.start()
# What the test checks spytop against: each thread's OS id and its name.
for t in [threading.main_thread()] + threads:
    print("thread %d %s" % (t.native_id, t.name), flush=True)
print("ready", flush=True)
while True:
    time.sleep(1)
