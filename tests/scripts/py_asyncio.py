# asyncio: the event loop (epoll + a socketpair self-pipe), timers, tasks,
# subprocesses (pidfd or SIGCHLD child watcher), streams over pipes.
import asyncio

async def ticker(name, n, delay, out):
    for i in range(n):
        await asyncio.sleep(delay)
        out.append((name, i))

async def main():
    out = []
    await asyncio.gather(ticker("a", 3, 0.01, out), ticker("b", 2, 0.015, out))
    print("tasks:", sorted(out))
    proc = await asyncio.create_subprocess_exec(
        "sh", "-c", "read line; echo got $line; echo err >&2; exit 3",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await proc.communicate(b"hello\n")
    print("subprocess:", stdout, stderr, proc.returncode)
    try:
        await asyncio.wait_for(asyncio.sleep(10), timeout=0.05)
    except TimeoutError:
        print("wait_for timed out")
    q = asyncio.Queue()
    async def producer():
        for i in range(5):
            await q.put(i)
        await q.put(None)
    async def consumer():
        total = 0
        while (item := await q.get()) is not None:
            total += item
        return total
    _, total = await asyncio.gather(producer(), consumer())
    print("queue total:", total)
    loop = asyncio.get_running_loop()
    print("run_in_executor:", await loop.run_in_executor(None, sum, [1, 2, 3]))

asyncio.run(main())
print("loop class:", type(asyncio.new_event_loop()).__name__)
