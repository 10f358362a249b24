# /proc/self, /dev/fd and file metadata as programs use them (CPython's
# subprocess lists /proc/self/fd when close_range is missing, bash's <(...)
# needs /dev/fd, multiprocessing needs /dev/shm, make and git compare
# nanosecond mtimes, du and ls -s count st_blocks). Each check prints its
# result or the exception, so one missing feature does not hide the rest.
import os

def check(what, f):
    try:
        print(what, f())
    except Exception as e:
        print(what, "raised", type(e).__name__, e.errno if isinstance(e, OSError) else "")

check("exe:", lambda: os.readlink("/proc/self/exe"))
check("cmdline:", lambda: open("/proc/self/cmdline", "rb").read().split(b"\0")[1:])
r, w = os.pipe()
high = os.dup2(w, 57)  # a number no later open reuses
d = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
before = set(os.listdir(d))
os.close(high)
after = set(os.listdir(d))  # listdir(fd) rewinds a dup of d and reads again
print("open fd listed:", str(high) in before)
print("closed fd gone when the same directory is read again:", str(high) not in after)
print("the directory's own fd listed:", str(d) in before)
check("fd link names a pipe:", lambda: os.readlink(f"/proc/self/fd/{r}").startswith("pipe:["))
check("mountinfo has a / mount:", lambda: any(l.split()[4] == "/" for l in open("/proc/self/mountinfo")))
check("/dev/fd/N exists for an open fd:", lambda: os.path.exists(f"/dev/fd/{r}"))
check("/dev/stdin, /dev/stdout, /dev/stderr exist:", lambda: [os.path.exists(p) for p in ("/dev/stdin", "/dev/stdout", "/dev/stderr")])
check("/dev/shm is a directory:", lambda: os.path.isdir("/dev/shm"))
t = os.path.join("/tmp", "ns")
open(t, "w").close()
def ns():
    os.utime(t, ns=(1_000_000_000, 1_234_567_890_123_456_789))
    return os.stat(t).st_mtime_ns
check("nanosecond mtime kept:", ns)
with open(t, "w") as f:
    f.write("x")
check("st_blocks of a 1-byte file (tmpfs and ext4 allocate 4 KiB):", lambda: os.stat(t).st_blocks)
check("listxattr of a plain file:", lambda: os.listxattr(t))
check("getxattr of a missing attribute:", lambda: os.getxattr(t, "user.missing"))
os.remove(t)
