# threading: threads, locks, queues, events, conditions, thread pools.
import threading, queue, concurrent.futures

counter = 0
lock = threading.Lock()
def work(n):
    global counter
    for _ in range(n):
        with lock:
            counter += 1
threads = [threading.Thread(target=work, args=(2000,)) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print("counter:", counter)

q = queue.Queue()
results = []
def consumer():
    while True:
        item = q.get()
        if item is None:
            break
        results.append(item * item)
        q.task_done()
c = threading.Thread(target=consumer)
c.start()
for i in range(100):
    q.put(i)
q.join()
q.put(None)
c.join()
print("queue sum:", sum(results), len(results))

ev = threading.Event()
seen = []
def waiter():
    ev.wait()
    seen.append("woke")
ws = [threading.Thread(target=waiter) for _ in range(3)]
for w in ws: w.start()
ev.set()
for w in ws: w.join()
print("event:", seen)

cond = threading.Condition()
box = []
def producer():
    with cond:
        box.append(42)
        cond.notify()
with cond:
    threading.Thread(target=producer).start()
    cond.wait_for(lambda: box)
print("condition:", box)

with concurrent.futures.ThreadPoolExecutor(max_workers=3) as ex:
    print("pool:", list(ex.map(lambda x: x * 3, range(10))))

local = threading.local()
def set_local(v, out):
    local.v = v
    out.append(local.v)
out = []
ts = [threading.Thread(target=set_local, args=(i, out)) for i in range(5)]
for t in ts: t.start()
for t in ts: t.join()
print("thread-local:", sorted(out), hasattr(local, "v"))
print("timer:", end=" ")
t = threading.Timer(0.05, lambda: print("fired"))
t.start(); t.join()
print("active threads at end:", threading.active_count())
