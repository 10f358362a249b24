# os.fork, pipes between processes, waitpid statuses, exec.
import os, sys, signal

r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, b"hello from the child")
    os._exit(7)
os.close(w)
msg = os.read(r, 100)
_, status = os.waitpid(pid, 0)
print("child wrote:", msg, "exit:", os.WEXITSTATUS(status), os.WIFEXITED(status))

pid = os.fork()
if pid == 0:
    signal.pause()
    os._exit(0)
os.kill(pid, signal.SIGTERM)
_, status = os.waitpid(pid, 0)
print("signaled:", os.WIFSIGNALED(status), os.WTERMSIG(status))

pids = []
for i in range(4):
    pid = os.fork()
    if pid == 0:
        os._exit(10 + i)
    pids.append(pid)
codes = sorted(os.WEXITSTATUS(os.waitpid(p, 0)[1]) for p in pids)
print("four children:", codes)

pid = os.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", "echo exec from a forked child; exit 3"])
_, status = os.waitpid(pid, 0)
print("exec child exit:", os.waitstatus_to_exitcode(status))

r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.dup2(w, 1)
    os.close(r); os.close(w)
    os.execvp("ls", ["ls", "/friscy-tests"])
os.close(w)
with os.fdopen(r) as f:
    listing = f.read()
os.waitpid(pid, 0)
print("ls through a pipe:", listing.split())

print("waitpid with no children:", end=" ")
try:
    os.waitpid(-1, 0)
except ChildProcessError as e:
    print("ChildProcessError", e.errno)
pid = os.fork()
if pid == 0:
    os._exit(0)
while True:
    p, status = os.waitpid(pid, os.WNOHANG)
    if p:
        break
print("WNOHANG polling reaped:", p == pid)
print("getppid of a child is us:", end=" ")
sys.stdout.flush()
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(w, str(os.getppid()).encode())
    os._exit(0)
os.close(w)
print(int(os.read(r, 20)) == os.getpid())
os.waitpid(pid, 0)
