# tempfile and file-system calls: rename, links, chmod, utime, truncate, stat.
import tempfile, os, shutil, stat, glob

with tempfile.TemporaryDirectory(prefix="friscy-") as d:
    p = os.path.join(d, "a.txt")
    with open(p, "w") as f:
        f.write("hello\n" * 100)
    st = os.stat(p)
    print("size:", st.st_size, "mode:", oct(stat.S_IMODE(st.st_mode)), "nlink:", st.st_nlink)
    os.rename(p, os.path.join(d, "b.txt"))
    print("renamed:", sorted(os.listdir(d)))
    os.link(os.path.join(d, "b.txt"), os.path.join(d, "hard.txt"))
    print("nlink after link:", os.stat(os.path.join(d, "b.txt")).st_nlink)
    os.symlink("b.txt", os.path.join(d, "sym.txt"))
    print("readlink:", os.readlink(os.path.join(d, "sym.txt")), os.path.islink(os.path.join(d, "sym.txt")))
    os.chmod(os.path.join(d, "b.txt"), 0o600)
    print("chmod:", oct(stat.S_IMODE(os.stat(os.path.join(d, "b.txt")).st_mode)))
    os.utime(os.path.join(d, "b.txt"), (1000000000, 1234567890))
    print("utime:", os.stat(os.path.join(d, "b.txt")).st_mtime)
    os.truncate(os.path.join(d, "b.txt"), 10)
    print("truncate:", os.path.getsize(os.path.join(d, "b.txt")))
    with open(os.path.join(d, "b.txt"), "r+") as f:
        os.ftruncate(f.fileno(), 3)
        print("ftruncate:", os.fstat(f.fileno()).st_size, repr(f.read()))
    os.makedirs(os.path.join(d, "x/y/z"))
    shutil.copy(os.path.join(d, "hard.txt"), os.path.join(d, "x/y/z/copy.txt"))
    shutil.copytree(os.path.join(d, "x"), os.path.join(d, "x2"))
    print("walk:", sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs))
    print("glob:", sorted(os.path.basename(g) for g in glob.glob(os.path.join(d, "*.txt"))))
    shutil.rmtree(os.path.join(d, "x2"))
    with tempfile.NamedTemporaryFile(dir=d, suffix=".tmp", delete=False) as nt:
        nt.write(b"named")
    print("named temp:", os.path.basename(nt.name).endswith(".tmp"), os.path.getsize(nt.name))
    fd, path = tempfile.mkstemp(dir=d)
    os.write(fd, b"abc")
    os.lseek(fd, 0, os.SEEK_SET)
    print("mkstemp read back:", os.read(fd, 10))
    os.close(fd)
    os.replace(path, os.path.join(d, "replaced"))
    print("replace:", os.path.exists(path), os.path.exists(os.path.join(d, "replaced")))
    try:
        os.rmdir(os.path.join(d, "x"))
    except OSError as e:
        print("rmdir non-empty:", e.errno)
    try:
        os.mkdir(d)
    except FileExistsError as e:
        print("mkdir existing:", e.errno)
    sv = os.statvfs(d)
    print("statvfs has blocks:", sv.f_bsize > 0)
    print("access:", os.access(os.path.join(d, "b.txt"), os.R_OK | os.W_OK))
print("removed:", not os.path.exists(d))
with tempfile.TemporaryFile() as tf:
    tf.write(b"anonymous")
    tf.seek(0)
    print("TemporaryFile:", tf.read())
print("gettempdir:", tempfile.gettempdir())
