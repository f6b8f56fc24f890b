"""A parent with 8 children of 4 threads each (3 sleeping in time.sleep),
all idle, for tests that follow many processes with little to spare."""
import os, threading, time
kids = []
for i in range(8):
    pid = os.fork()
    if pid == 0:
        for j in range(3):
            threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()
        time.sleep(1000)
        os._exit(0)
    kids.append(pid)
print("ready", flush=True)
time.sleep(1000)
