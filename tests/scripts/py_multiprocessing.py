# multiprocessing: fork start method, pools, queues, locks (POSIX semaphores
# in /dev/shm), shared values, pipes.
import multiprocessing as mp

def square(x):
    return x * x

def worker(q, lock, counter, n):
    for _ in range(n):
        with lock:
            counter.value += 1
    q.put(("done", n))

if __name__ == "__main__":
    mp.set_start_method("fork")
    with mp.Pool(2) as pool:
        print("pool.map:", pool.map(square, range(10)))
        print("apply_async:", pool.apply_async(square, (12,)).get(timeout=60))
    q = mp.Queue()
    lock = mp.Lock()
    counter = mp.Value("i", 0)
    procs = [mp.Process(target=worker, args=(q, lock, counter, 50)) for _ in range(3)]
    for p in procs:
        p.start()
    results = sorted(q.get(timeout=60) for _ in procs)
    for p in procs:
        p.join()
    print("queue:", results, "counter:", counter.value, "exitcodes:", [p.exitcode for p in procs])
    a, b = mp.Pipe()
    p = mp.Process(target=lambda c: c.send(sum(range(100))), args=(b,))
    p.start()
    print("pipe:", a.recv())
    p.join()
    print("cpu_count > 0:", mp.cpu_count() > 0)
