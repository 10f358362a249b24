//! File and descriptor system calls.

use super::{copy_in, copy_out, file_of, install_file, read_path, SysError, SysResult};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::fd::*;
use crate::kernel::pipe::{PipeRef, PIPE_BUF};
use crate::kernel::signal::{SigInfo, SIGPIPE, SIGTTIN};
use crate::kernel::{Kernel, Pid, Wait};
use crate::vfs::inode::*;
use crate::vfs::{new_dir, new_file, Device, FileData, Ino, Lookup, NodeKind};

pub const AT_FDCWD: i32 = -100;
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
pub const AT_REMOVEDIR: u32 = 0x200;
pub const AT_EMPTY_PATH: u32 = 0x1000;

/// Largest single read/write handled at once; guests loop for more.
const IO_CHUNK: u64 = 1 << 20;

fn proc_mut(k: &mut Kernel, pid: Pid) -> KResult<&mut crate::kernel::Process> {
    k.procs.get_mut(&pid).ok_or(Errno::ESRCH)
}

/// The directory a `*at` call starts from.
fn dir_of(k: &Kernel, pid: Pid, dirfd: i32) -> KResult<Ino> {
    let p = k.procs.get(&pid).ok_or(Errno::ESRCH)?;
    if dirfd == AT_FDCWD {
        return Ok(p.fs.borrow().cwd);
    }
    let f = p.fds.borrow().file(dirfd)?;
    let f = f.borrow();
    match f.kind {
        FileKind::Node(ino) if k.vfs.node(ino)?.is_dir() => Ok(ino),
        _ => Err(Errno::ENOTDIR),
    }
}

/// Resolve `path` for a `*at` call, honouring AT_EMPTY_PATH.
fn lookup_at(
    k: &mut Kernel,
    pid: Pid,
    dirfd: i32,
    path: u64,
    flags: u32,
) -> Result<Lookup, SysError> {
    let path = read_path(k, pid, path)?;
    if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT.into());
        }
        let p = k.procs.get(&pid).ok_or(Errno::ESRCH)?;
        if dirfd == AT_FDCWD {
            return Ok(Lookup {
                ino: p.fs.borrow().cwd,
                parent: p.fs.borrow().cwd,
            });
        }
        let f = p.fds.borrow().file(dirfd)?;
        let f = f.borrow();
        return match f.kind {
            FileKind::Node(ino) => Ok(Lookup { ino, parent: ino }),
            _ => Err(Errno::EOPNOTSUPP.into()),
        };
    }
    let base = dir_of(k, pid, dirfd)?;
    Ok(k.vfs
        .resolve(base, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?)
}

pub fn getcwd(k: &mut Kernel, pid: Pid, buf: u64, size: u64) -> SysResult {
    let cwd = k.procs.get(&pid).ok_or(Errno::ESRCH)?.fs.borrow().cwd;
    let mut path = k.vfs.path_of(cwd)?;
    path.push(0);
    if path.len() as u64 > size {
        return Err(Errno::ERANGE.into());
    }
    copy_out(k, pid, buf, &path)?;
    Ok(path.len() as u64)
}

pub fn dup(k: &mut Kernel, pid: Pid, fd: i32) -> SysResult {
    let mut fds = proc_mut(k, pid)?.fds.borrow_mut();
    let f = fds.file(fd)?;
    Ok(fds.insert(f, false)? as u64)
}

pub fn dup3(k: &mut Kernel, pid: Pid, old: i32, new: i32, flags: u32) -> SysResult {
    if old == new || flags & !O_CLOEXEC != 0 {
        return Err(Errno::EINVAL.into());
    }
    let mut fds = proc_mut(k, pid)?.fds.borrow_mut();
    let f = fds.file(old)?;
    // The replaced description may be the last end of a pipe: drop it here.
    fds.set(new, f, flags & O_CLOEXEC != 0)?;
    Ok(new as u64)
}

pub fn pipe2(k: &mut Kernel, pid: Pid, fdsp: u64, flags: u32) -> SysResult {
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let pipe = crate::kernel::pipe::Pipe::new_ref();
    let st = flags & O_NONBLOCK;
    let r = OpenFile::new(FileKind::PipeRead(pipe.clone()), st, b"pipe:".to_vec());
    let w = OpenFile::new(FileKind::PipeWrite(pipe), O_WRONLY | st, b"pipe:".to_vec());
    let cloexec = flags & O_CLOEXEC != 0;
    let (rfd, wfd) = {
        let mut fds = proc_mut(k, pid)?.fds.borrow_mut();
        let rfd = fds.insert(r, cloexec)?;
        match fds.insert(w, cloexec) {
            Ok(wfd) => (rfd, wfd),
            Err(e) => {
                let _ = fds.remove(rfd);
                return Err(e.into());
            }
        }
    };
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&rfd.to_le_bytes());
    b[4..].copy_from_slice(&wfd.to_le_bytes());
    if let Err(e) = copy_out(k, pid, fdsp, &b) {
        let mut fds = proc_mut(k, pid)?.fds.borrow_mut();
        let _ = fds.remove(rfd);
        let _ = fds.remove(wfd);
        return Err(e);
    }
    Ok(0)
}

const F_DUPFD: u32 = 0;
const F_GETFD: u32 = 1;
const F_SETFD: u32 = 2;
const F_GETFL: u32 = 3;
const F_SETFL: u32 = 4;
const F_GETLK: u32 = 5;
const F_SETLK: u32 = 6;
const F_SETLKW: u32 = 7;
const F_DUPFD_CLOEXEC: u32 = 1030;
const F_OFD_GETLK: u32 = 36;
const F_OFD_SETLK: u32 = 37;
const F_OFD_SETLKW: u32 = 38;
const F_SETPIPE_SZ: u32 = 1031;
const F_GETPIPE_SZ: u32 = 1032;
const O_DIRECT: u32 = 0o40000;

pub fn fcntl(k: &mut Kernel, pid: Pid, fd: i32, cmd: u32, arg: u64) -> SysResult {
    let mut fds = proc_mut(k, pid)?.fds.borrow_mut();
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let f = fds.file(fd)?;
            Ok(fds.insert_from(arg as i32, f, cmd == F_DUPFD_CLOEXEC)? as u64)
        }
        F_GETFD => Ok(fds.get(fd)?.cloexec as u64),
        F_SETFD => {
            fds.get_mut(fd)?.cloexec = arg & 1 != 0;
            Ok(0)
        }
        F_GETFL => Ok(fds.file(fd)?.borrow().flags as u64),
        F_SETFL => {
            let f = fds.file(fd)?;
            let mut f = f.borrow_mut();
            let settable = O_APPEND | O_NONBLOCK;
            f.flags = (f.flags & !settable) | (arg as u32 & settable);
            Ok(0)
        }
        // Record locks always succeed: no other host process shares the files.
        // Record locks always succeed: no other host process shares the
        // files. F_GETLK reports "unlocked" by setting l_type = F_UNLCK.
        F_GETLK | F_OFD_GETLK => {
            fds.get(fd)?;
            drop(fds);
            copy_out(k, pid, arg, &2u16.to_le_bytes())?;
            Ok(0)
        }
        F_SETLK | F_SETLKW | F_OFD_SETLK | F_OFD_SETLKW => {
            fds.get(fd)?;
            Ok(0)
        }
        F_GETPIPE_SZ | F_SETPIPE_SZ => Ok(crate::kernel::pipe::PIPE_CAPACITY as u64),
        _ => Err(Errno::EINVAL.into()),
    }
}

pub fn mkdirat(k: &mut Kernel, pid: Pid, dirfd: i32, path: u64, mode: u32) -> SysResult {
    let path = read_path(k, pid, path)?;
    let base = dir_of(k, pid, dirfd)?;
    let umask = k
        .procs
        .get(&pid)
        .map(|p| p.fs.borrow().umask)
        .unwrap_or(0o022);
    let (dir, name) = k.vfs.resolve_parent(base, &path)?;
    if name == b"." || name == b".." {
        return Err(Errno::EEXIST.into());
    }
    k.vfs.create(dir, name, new_dir(mode & !umask))?;
    Ok(0)
}

pub fn unlinkat(k: &mut Kernel, pid: Pid, dirfd: i32, path: u64, flags: u32) -> SysResult {
    let path = read_path(k, pid, path)?;
    let base = dir_of(k, pid, dirfd)?;
    let (dir, name) = k.vfs.resolve_parent(base, &path)?;
    let ino = k.vfs.lookup(dir, name)?.ok_or(Errno::ENOENT)?;
    let is_dir = k.vfs.node(ino)?.is_dir();
    if flags & AT_REMOVEDIR != 0 {
        if !is_dir {
            return Err(Errno::ENOTDIR.into());
        }
        if !k.vfs.dir_is_empty(ino)? {
            return Err(Errno::ENOTEMPTY.into());
        }
    } else if is_dir {
        return Err(Errno::EISDIR.into());
    }
    let name = name.to_vec();
    k.vfs.remove_entry(dir, &name)?;
    k.reap_orphans();
    Ok(0)
}

pub fn faccessat(k: &mut Kernel, pid: Pid, dirfd: i32, path: u64, mode: u32) -> SysResult {
    let p = read_path(k, pid, path)?;
    if magic_fd(k, pid, &p).is_some() {
        return Ok(0);
    }
    let l = lookup_at(k, pid, dirfd, path, 0)?;
    let node = k.vfs.node(l.ino)?;
    // X_OK needs some execute bit (root may read and write anything).
    if mode & 1 != 0 && node.mode & 0o111 == 0 && !node.is_dir() {
        return Err(Errno::EACCES.into());
    }
    // W_OK on a read-only mount: EROFS, as Linux says.
    if mode & 2 != 0 {
        k.vfs.check_writable(l.ino)?;
    }
    Ok(0)
}

pub fn chdir(k: &mut Kernel, pid: Pid, path: u64) -> SysResult {
    let l = lookup_at(k, pid, AT_FDCWD, path, 0)?;
    if !k.vfs.node(l.ino)?.is_dir() {
        return Err(Errno::ENOTDIR.into());
    }
    proc_mut(k, pid)?.fs.borrow_mut().cwd = l.ino;
    Ok(0)
}

pub fn fchdir(k: &mut Kernel, pid: Pid, fd: i32) -> SysResult {
    let ino = dir_of(k, pid, fd)?;
    proc_mut(k, pid)?.fs.borrow_mut().cwd = ino;
    Ok(0)
}

/// The bit O_TMPFILE adds to O_DIRECTORY.
const O_TMPFILE_BIT: u32 = 0o20000000;

/// O_TMPFILE: an unnamed regular file "in" directory `path` (Python's
/// tempfile.TemporaryFile uses it first).
fn open_tmpfile(
    k: &mut Kernel,
    pid: Pid,
    base: Ino,
    path: Vec<u8>,
    flags: u32,
    mode: u32,
) -> SysResult {
    if flags & O_ACCMODE == 0 || flags & O_CREAT != 0 {
        return Err(Errno::EINVAL.into());
    }
    let dir = k.vfs.resolve(base, &path, true)?.ino;
    if !k.vfs.node(dir)?.is_dir() {
        return Err(Errno::ENOTDIR.into());
    }
    let umask = k
        .procs
        .get(&pid)
        .map(|p| p.fs.borrow().umask)
        .unwrap_or(0o022);
    let mut node = new_file(FileData::empty(), mode & 0o7777 & !umask);
    (node.mtime, node.mtime_nsec) = k.vfs.now();
    node.nlink = 0;
    let ino = k.vfs.create_unlinked(node);
    let mut shown = path;
    shown.extend_from_slice(format!("/#{ino} (deleted)").as_bytes());
    let file = OpenFile::new(
        FileKind::Node(ino),
        flags & !(O_TMPFILE_BIT | O_DIRECTORY | O_CLOEXEC),
        shown,
    );
    install_file(k, pid, file, flags & O_CLOEXEC != 0)
}

/// The (process, descriptor) a "magic" descriptor link names:
/// /dev/fd/N, /dev/stdin..stderr, /proc/self/fd/N, /proc/PID/fd/N. On Linux
/// opening one reopens the file behind the descriptor even when its link
/// target (e.g. "pipe:[N]") is not a path, which bash's process
/// substitution relies on.
fn magic_fd(k: &Kernel, pid: Pid, path: &[u8]) -> Option<(Pid, i32)> {
    let s = std::str::from_utf8(path).ok()?.trim_end_matches('/');
    let (owner, num) = match s {
        "/dev/stdin" => (pid, "0"),
        "/dev/stdout" => (pid, "1"),
        "/dev/stderr" => (pid, "2"),
        _ => {
            if let Some(n) = s.strip_prefix("/dev/fd/") {
                (pid, n)
            } else {
                let rest = s.strip_prefix("/proc/")?;
                let (who, n) = rest.split_once("/fd/")?;
                let who = who.split('/').next()?;
                let owner = match who {
                    "self" | "thread-self" => pid,
                    w => k.pid_of(w.parse().ok()?),
                };
                (owner, n)
            }
        }
    };
    let fd: i32 = num.parse().ok()?;
    k.procs.get(&owner)?.fds.borrow().get(fd).ok()?;
    Some((owner, fd))
}

/// Open the file behind a magic descriptor link: a new description of the
/// same pipe or inode, or the same description for other kinds.
fn reopen_fd(
    k: &mut Kernel,
    pid: Pid,
    owner: Pid,
    fd: i32,
    flags: u32,
    path: Vec<u8>,
) -> SysResult {
    let old = proc_mut(k, owner)?.fds.borrow().file(fd)?;
    let kind = match &old.borrow().kind {
        FileKind::PipeRead(p) | FileKind::PipeWrite(p) => Some(if flags & O_ACCMODE == O_WRONLY {
            FileKind::PipeWrite(p.clone())
        } else {
            FileKind::PipeRead(p.clone())
        }),
        FileKind::Node(ino) => Some(FileKind::Node(*ino)),
        _ => None,
    };
    let file = match kind {
        Some(kind) => {
            if let FileKind::Node(ino) = kind {
                if flags & O_ACCMODE != 0 {
                    k.vfs.check_writable(ino)?;
                }
                if flags & O_TRUNC != 0
                    && flags & O_ACCMODE != 0
                    && matches!(k.vfs.node(ino)?.kind, NodeKind::File(_))
                {
                    k.vfs.set_len(ino, 0)?;
                    k.pages.refresh_all(&k.vfs, ino)?;
                }
            }
            OpenFile::new(
                kind,
                flags & !(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC),
                path,
            )
        }
        None => old,
    };
    install_file(k, pid, file, flags & O_CLOEXEC != 0)
}

pub fn openat(k: &mut Kernel, pid: Pid, dirfd: i32, path: u64, flags: u32, mode: u32) -> SysResult {
    let path = read_path(k, pid, path)?;
    if let Some((owner, fd)) = magic_fd(k, pid, &path) {
        return reopen_fd(k, pid, owner, fd, flags, path);
    }
    let base = dir_of(k, pid, dirfd)?;
    if flags & O_TMPFILE_BIT != 0 {
        return open_tmpfile(k, pid, base, path, flags, mode);
    }
    let follow = flags & O_NOFOLLOW == 0;
    let ino = match k.vfs.resolve(base, &path, follow) {
        Ok(l) => {
            if flags & O_CREAT != 0 && flags & O_EXCL != 0 {
                return Err(Errno::EEXIST.into());
            }
            l.ino
        }
        Err(Errno::ENOENT) if flags & O_CREAT != 0 => {
            let umask = k
                .procs
                .get(&pid)
                .map(|p| p.fs.borrow().umask)
                .unwrap_or(0o022);
            let (dir, name) = k.vfs.resolve_parent(base, &path)?;
            if path.ends_with(b"/") {
                return Err(Errno::EISDIR.into());
            }
            k.vfs
                .create(dir, name, new_file(FileData::empty(), mode & !umask))?
        }
        Err(e) => return Err(e.into()),
    };
    let node = k.vfs.node(ino)?;
    let acc = flags & O_ACCMODE;
    if flags & O_PATH == 0 {
        match &node.kind {
            NodeKind::Symlink(_) => return Err(Errno::ELOOP.into()),
            NodeKind::Dir { .. } if acc != 0 || flags & O_CREAT != 0 => {
                return Err(Errno::EISDIR.into())
            }
            NodeKind::Device(Device::Other(_)) | NodeKind::Socket => {
                return Err(Errno::ENXIO.into())
            }
            _ => {}
        }
    }
    if flags & O_DIRECTORY != 0 && !node.is_dir() {
        return Err(Errno::ENOTDIR.into());
    }
    let truncate = flags & O_TRUNC != 0 && acc != 0 && matches!(node.kind, NodeKind::File(_));
    // A read-only mount refuses opening for writing, as Linux does.
    if flags & O_PATH == 0 && (acc != 0 || truncate) {
        k.vfs.check_writable(ino)?;
    }
    if truncate {
        k.vfs.set_len(ino, 0)?;
        k.pages.refresh_all(&k.vfs, ino)?;
    }
    let file = OpenFile::new(
        FileKind::Node(ino),
        flags & !(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC),
        path,
    );
    install_file(k, pid, file, flags & O_CLOEXEC != 0)
}

pub fn close(k: &mut Kernel, pid: Pid, fd: i32) -> SysResult {
    let entry = proc_mut(k, pid)?.fds.borrow_mut().remove(fd)?;
    drop(entry);
    k.reap_orphans();
    Ok(0)
}

const DT_FIFO: u8 = 1;
const DT_CHR: u8 = 2;
const DT_DIR: u8 = 4;
const DT_BLK: u8 = 6;
const DT_REG: u8 = 8;
const DT_LNK: u8 = 10;
const DT_SOCK: u8 = 12;

fn dtype(mode: u32) -> u8 {
    match mode & S_IFMT {
        S_IFDIR => DT_DIR,
        S_IFREG => DT_REG,
        S_IFLNK => DT_LNK,
        S_IFCHR => DT_CHR,
        S_IFBLK => DT_BLK,
        S_IFIFO => DT_FIFO,
        S_IFSOCK => DT_SOCK,
        _ => 0,
    }
}

pub fn getdents64(k: &mut Kernel, pid: Pid, fd: i32, buf: u64, count: u64) -> SysResult {
    let file = proc_mut(k, pid)?.fds.borrow_mut().file(fd)?;
    // /proc listings reflect the kernel when read, not when opened
    // (/proc/self/fd must include descriptors opened since).
    if crate::kernel::procfs::touches_proc(&file.borrow().path) {
        crate::kernel::procfs::refresh(k, pid)?;
    }
    let (dir, start) = {
        let f = file.borrow();
        match f.kind {
            FileKind::Node(ino) => (ino, f.offset),
            _ => return Err(Errno::ENOTDIR.into()),
        }
    };
    // A host directory is listed as the host has it when a listing starts
    // (later calls continue through the same snapshot).
    if start == 0 && k.vfs.is_host(dir) {
        k.vfs.refresh_dir(dir)?;
    }
    let parent = k.vfs.parent_of(dir)?;
    let entries = k.vfs.entries(dir)?;
    let mut out = Vec::new();
    let mut pos = start;
    let total = entries.len() as u64 + 2;
    let mut iter = entries.iter().skip(start.saturating_sub(2) as usize);
    while pos < total {
        let (name, ino): (&[u8], Ino) = match pos {
            0 => (b".", dir),
            1 => (b"..", parent),
            _ => match iter.next() {
                Some((n, &i)) => (n.as_slice(), i),
                None => break,
            },
        };
        let reclen = (19 + name.len() + 1).next_multiple_of(8);
        if (out.len() + reclen) as u64 > count {
            break;
        }
        let mode = k.vfs.node(ino).map(|n| n.mode).unwrap_or(0);
        out.extend_from_slice(&ino.to_le_bytes());
        out.extend_from_slice(&(pos as i64 + 1).to_le_bytes());
        out.extend_from_slice(&(reclen as u16).to_le_bytes());
        out.push(dtype(mode));
        out.extend_from_slice(name);
        out.resize(out.len() + reclen - 19 - name.len(), 0);
        pos += 1;
    }
    if out.is_empty() && pos < total {
        return Err(Errno::EINVAL.into());
    }
    copy_out(k, pid, buf, &out)?;
    file.borrow_mut().offset = pos;
    Ok(out.len() as u64)
}

const SEEK_DATA: u32 = 3;
const SEEK_HOLE: u32 = 4;

pub fn lseek(k: &mut Kernel, pid: Pid, fd: i32, off: i64, whence: u32) -> SysResult {
    let file = proc_mut(k, pid)?.fds.borrow_mut().file(fd)?;
    let mut f = file.borrow_mut();
    let size = match f.kind {
        FileKind::Node(ino) => match k.vfs.node(ino)?.kind {
            NodeKind::Dir { .. } => {
                // Directories seek by entry index; only rewinds are common.
                if whence == 0 && off >= 0 {
                    f.offset = off as u64;
                    return Ok(off as u64);
                }
                return Err(Errno::EINVAL.into());
            }
            NodeKind::Device(_) => return Ok(0),
            _ => k.vfs.node(ino)?.size(),
        },
        _ => return Err(Errno::ESPIPE.into()),
    };
    let new = match whence {
        0 => off,
        1 => f.offset as i64 + off,
        2 => size as i64 + off,
        SEEK_DATA | SEEK_HOLE => {
            let FileKind::Node(ino) = f.kind else {
                unreachable!("only inodes get here");
            };
            if off < 0 {
                return Err(Errno::ENXIO.into());
            }
            match k
                .vfs
                .seek_data_or_hole(ino, off as u64, whence == SEEK_HOLE)?
            {
                Some(o) => o as i64,
                None => return Err(Errno::ENXIO.into()),
            }
        }
        _ => return Err(Errno::EINVAL.into()),
    };
    if new < 0 {
        return Err(Errno::EINVAL.into());
    }
    f.offset = new as u64;
    Ok(new as u64)
}

/// Read from an open file into a kernel buffer. `at` is a positional
/// offset (pread) or None to use and advance the file offset.
fn read_file(
    k: &mut Kernel,
    tid: Pid,
    file: &FileRef,
    len: usize,
    at: Option<u64>,
) -> Result<Vec<u8>, SysError> {
    let (kind_ino, flags, offset) = {
        let f = file.borrow();
        if !f.readable() {
            return Err(Errno::EBADF.into());
        }
        let ino = match &f.kind {
            FileKind::Node(i) => Some(*i),
            FileKind::Stdio(_) => None,
            FileKind::PipeRead(p) => {
                let p = p.clone();
                let flags = f.flags;
                drop(f);
                return read_pipe(&p, len, flags);
            }
            FileKind::PipeWrite(_) | FileKind::Epoll(_) => return Err(Errno::EBADF.into()),
            FileKind::EventFd(e) => {
                let (e, flags) = (e.clone(), f.flags);
                drop(f);
                return super::epoll::eventfd_read(&e, len, flags);
            }
            FileKind::Socket(s) => {
                let (s, flags) = (s.clone(), f.flags);
                drop(f);
                return super::net::sock_read(&s, len, flags);
            }
            FileKind::TimerFd(t) => {
                let (t, flags) = (t.clone(), f.flags);
                drop(f);
                return super::timerfd::timerfd_read(k, &t, len, flags);
            }
            FileKind::SignalFd(s) => {
                let (s, flags) = (s.clone(), f.flags);
                drop(f);
                return super::signalfd::signalfd_read(k, tid, &s, len, flags);
            }
            FileKind::PidFd(_) => return Err(Errno::EINVAL.into()),
        };
        (ino, f.flags, at.unwrap_or(f.offset))
    };
    let Some(ino) = kind_ino else {
        return read_terminal(k, tid, len, flags);
    };
    // Stores through shared mappings of the file are part of it.
    k.pages.write_back(&mut k.vfs, ino)?;
    let data = match &k.vfs.node(ino)?.kind {
        NodeKind::Dir { .. } => return Err(Errno::EISDIR.into()),
        NodeKind::Device(Device::Null) => Vec::new(),
        NodeKind::Device(Device::Zero | Device::Full) => vec![0u8; len],
        NodeKind::Device(Device::Random) => {
            let mut v = vec![0u8; len];
            k.host.random(&mut v);
            v
        }
        NodeKind::Device(Device::Tty) => return read_terminal(k, tid, len, flags),
        NodeKind::File(_) => {
            let mut v = vec![0u8; len];
            let n = k.vfs.read_file(ino, offset, &mut v)?;
            v.truncate(n);
            v
        }
        _ => return Err(Errno::EINVAL.into()),
    };
    if at.is_none() {
        file.borrow_mut().offset = offset + data.len() as u64;
    }
    Ok(data)
}

fn read_pipe(pipe: &PipeRef, len: usize, flags: u32) -> Result<Vec<u8>, SysError> {
    let mut p = pipe.borrow_mut();
    if p.buf.is_empty() {
        if p.writers == 0 || len == 0 {
            return Ok(Vec::new());
        }
        return Err(if flags & O_NONBLOCK != 0 {
            Errno::EAGAIN.into()
        } else {
            SysError::Block(Wait::PipeRead(pipe.clone()))
        });
    }
    let n = len.min(p.buf.len());
    Ok(p.buf.drain(..n).collect())
}

/// Write to a pipe: all of a small write or nothing (PIPE_BUF atomicity),
/// as much as fits of a large one; EPIPE (and SIGPIPE) with no reader.
fn write_pipe(k: &mut Kernel, pid: Pid, pipe: &PipeRef, data: &[u8], flags: u32) -> SysResult {
    let mut p = pipe.borrow_mut();
    if p.readers == 0 {
        drop(p);
        k.send_to_process(pid, SigInfo::user(SIGPIPE, pid));
        return Err(Errno::EPIPE.into());
    }
    let room = p.room();
    let n = if data.len() <= PIPE_BUF {
        if room >= data.len() {
            data.len()
        } else {
            0
        }
    } else {
        room.min(data.len())
    };
    if n == 0 && !data.is_empty() {
        return Err(if flags & O_NONBLOCK != 0 {
            Errno::EAGAIN.into()
        } else {
            SysError::Block(Wait::PipeWrite(pipe.clone()))
        });
    }
    p.buf.extend(&data[..n]);
    Ok(n as u64)
}

fn read_terminal(k: &mut Kernel, tid: Pid, len: usize, flags: u32) -> Result<Vec<u8>, SysError> {
    super::tty::job_control(k, tid, SIGTTIN)?;
    k.pump_tty();
    if !k.stdin_ready() {
        let (vmin, _) = k.tty.as_ref().map(|t| t.vmin_vtime()).unwrap_or((1, 0));
        if vmin == 0 && k.tty.is_some() {
            return Ok(Vec::new());
        }
        return Err(if flags & O_NONBLOCK != 0 {
            Errno::EAGAIN.into()
        } else {
            SysError::Block(Wait::Stdin)
        });
    }
    Ok(k.take_input(len))
}

fn write_file(k: &mut Kernel, tid: Pid, file: &FileRef, data: &[u8], at: Option<u64>) -> SysResult {
    let pid = k.pid_of(tid);
    let (ino, flags, offset) = {
        let f = file.borrow();
        if !f.writable() {
            return Err(Errno::EBADF.into());
        }
        match &f.kind {
            FileKind::Stdio(s) => {
                let fd = if *s == Stdio::Err { 2 } else { 1 };
                drop(f);
                super::tty::job_control_write(k, tid)?;
                k.terminal_write(fd, data);
                return Ok(data.len() as u64);
            }
            FileKind::Node(i) => (*i, f.flags, at.unwrap_or(f.offset)),
            FileKind::PipeWrite(p) => {
                let (p, flags) = (p.clone(), f.flags);
                drop(f);
                return write_pipe(k, pid, &p, data, flags);
            }
            FileKind::PipeRead(_) | FileKind::Epoll(_) => return Err(Errno::EBADF.into()),
            FileKind::EventFd(e) => {
                let (e, flags) = (e.clone(), f.flags);
                drop(f);
                return super::epoll::eventfd_write(&e, data, flags);
            }
            FileKind::Socket(s) => {
                let (s, flags) = (s.clone(), f.flags);
                drop(f);
                return super::net::sock_write(k, pid, &s, data, flags);
            }
            FileKind::TimerFd(_) | FileKind::SignalFd(_) | FileKind::PidFd(_) => {
                return Err(Errno::EINVAL.into())
            }
        }
    };
    match &k.vfs.node(ino)?.kind {
        NodeKind::Device(Device::Null | Device::Zero | Device::Random) => {
            return Ok(data.len() as u64)
        }
        NodeKind::Device(Device::Full) => return Err(Errno::ENOSPC.into()),
        NodeKind::Device(Device::Tty) => {
            super::tty::job_control_write(k, tid)?;
            k.terminal_write(1, data);
            return Ok(data.len() as u64);
        }
        NodeKind::Dir { .. } => return Err(Errno::EISDIR.into()),
        NodeKind::File(_) => {}
        _ => return Err(Errno::EINVAL.into()),
    }
    // Keep what shared mappings stored, then show them the new bytes.
    k.pages.write_back(&mut k.vfs, ino)?;
    let start = if flags & O_APPEND != 0 && at.is_none() {
        None
    } else {
        Some(offset)
    };
    // Short only when memory ran out part way (Linux's short write on a
    // full disk); the next write then gives ENOSPC.
    let wrote = k.vfs.write_file(ino, start, data)?;
    k.vfs.touch(ino)?;
    k.pages.refresh(&k.vfs, ino, wrote.start, wrote.end)?;
    if at.is_none() {
        file.borrow_mut().offset = wrote.end;
    }
    Ok(wrote.end - wrote.start)
}

pub fn read(k: &mut Kernel, tid: Pid, fd: i32, buf: u64, len: u64) -> SysResult {
    let pid = k.pid_of(tid);
    let file = proc_mut(k, pid)?.fds.borrow_mut().file(fd)?;
    let data = read_file(k, tid, &file, len.min(IO_CHUNK) as usize, None)?;
    copy_out(k, pid, buf, &data)?;
    Ok(data.len() as u64)
}

pub fn pread(k: &mut Kernel, tid: Pid, fd: i32, buf: u64, len: u64, off: u64) -> SysResult {
    let pid = k.pid_of(tid);
    let file = proc_mut(k, pid)?.fds.borrow_mut().file(fd)?;
    if !matches!(file.borrow().kind, FileKind::Node(_)) {
        return Err(Errno::ESPIPE.into());
    }
    let data = read_file(k, tid, &file, len.min(IO_CHUNK) as usize, Some(off))?;
    copy_out(k, pid, buf, &data)?;
    Ok(data.len() as u64)
}

pub fn write(k: &mut Kernel, tid: Pid, fd: i32, buf: u64, len: u64) -> SysResult {
    let pid = k.pid_of(tid);
    let file = proc_mut(k, pid)?.fds.borrow_mut().file(fd)?;
    let data = copy_in(k, pid, buf, len.min(IO_CHUNK) as usize)?;
    write_file(k, tid, &file, &data, None)
}

pub fn pwrite(k: &mut Kernel, tid: Pid, fd: i32, buf: u64, len: u64, off: u64) -> SysResult {
    let pid = k.pid_of(tid);
    let file = proc_mut(k, pid)?.fds.borrow_mut().file(fd)?;
    if !matches!(file.borrow().kind, FileKind::Node(_)) {
        return Err(Errno::ESPIPE.into());
    }
    let data = copy_in(k, pid, buf, len.min(IO_CHUNK) as usize)?;
    write_file(k, tid, &file, &data, Some(off))
}

pub(crate) fn iovecs(
    k: &mut Kernel,
    pid: Pid,
    iov: u64,
    cnt: u64,
) -> Result<Vec<(u64, u64)>, SysError> {
    if cnt > 1024 {
        return Err(Errno::EINVAL.into());
    }
    let raw = copy_in(k, pid, iov, cnt as usize * 16)?;
    Ok(raw
        .chunks_exact(16)
        .map(|c| {
            let base = u64::from_le_bytes(c[..8].try_into().unwrap_or_default());
            let len = u64::from_le_bytes(c[8..].try_into().unwrap_or_default());
            (base, len)
        })
        .collect())
}

pub fn writev(k: &mut Kernel, tid: Pid, fd: i32, iov: u64, cnt: u64) -> SysResult {
    let pid = k.pid_of(tid);
    let file = proc_mut(k, pid)?.fds.borrow_mut().file(fd)?;
    let mut data = Vec::new();
    for (base, len) in iovecs(k, pid, iov, cnt)? {
        data.extend(copy_in(k, pid, base, len.min(IO_CHUNK) as usize)?);
    }
    write_file(k, tid, &file, &data, None)
}

pub fn readv(k: &mut Kernel, tid: Pid, fd: i32, iov: u64, cnt: u64) -> SysResult {
    let pid = k.pid_of(tid);
    let file = proc_mut(k, pid)?.fds.borrow_mut().file(fd)?;
    let vecs = iovecs(k, pid, iov, cnt)?;
    let total: u64 = vecs.iter().map(|v| v.1).sum();
    let data = read_file(k, tid, &file, total.min(IO_CHUNK) as usize, None)?;
    let mut done = 0usize;
    for (base, len) in vecs {
        if done >= data.len() {
            break;
        }
        let n = (len as usize).min(data.len() - done);
        copy_out(k, pid, base, &data[done..done + n])?;
        done += n;
    }
    Ok(data.len() as u64)
}

pub fn readlinkat(
    k: &mut Kernel,
    pid: Pid,
    dirfd: i32,
    path: u64,
    buf: u64,
    size: u64,
) -> SysResult {
    let p = read_path(k, pid, path)?;
    let base = dir_of(k, pid, dirfd)?;
    let l = k.vfs.resolve(base, &p, false)?;
    let target = match &k.vfs.node(l.ino)?.kind {
        NodeKind::Symlink(t) => t.clone(),
        _ => return Err(Errno::EINVAL.into()),
    };
    let n = target.len().min(size as usize);
    copy_out(k, pid, buf, &target[..n])?;
    Ok(n as u64)
}

/// `struct stat` fields the kernel fills.
struct Stat {
    ino: u64,
    mode: u32,
    nlink: u32,
    uid: u32,
    gid: u32,
    rdev: u64,
    size: u64,
    /// 512-byte blocks when the inode knows them (sparse files).
    blocks: Option<u64>,
    mtime: i64,
    mtime_nsec: u32,
}

fn stat_of(k: &Kernel, kind: &FileKind) -> KResult<Stat> {
    match kind {
        FileKind::Node(ino) => {
            let n = k.vfs.node(*ino)?;
            Ok(Stat {
                ino: *ino,
                mode: n.mode,
                nlink: n.nlink,
                uid: n.uid,
                gid: n.gid,
                rdev: n.rdev(),
                size: n.size(),
                blocks: k.vfs.file_blocks(*ino)?,
                mtime: n.mtime,
                mtime_nsec: n.mtime_nsec,
            })
        }
        FileKind::PipeRead(_)
        | FileKind::PipeWrite(_)
        | FileKind::EventFd(_)
        | FileKind::TimerFd(_)
        | FileKind::SignalFd(_)
        | FileKind::PidFd(_)
        | FileKind::Epoll(_) => Ok(Stat {
            ino: 4,
            mode: S_IFIFO | 0o600,
            nlink: 1,
            uid: 0,
            gid: 0,
            rdev: 0,
            size: 0,
            blocks: None,
            mtime: 0,
            mtime_nsec: 0,
        }),
        FileKind::Socket(s) => Ok(Stat {
            ino: s.borrow().id,
            mode: S_IFSOCK | 0o777,
            nlink: 1,
            uid: 0,
            gid: 0,
            rdev: 0,
            size: 0,
            blocks: None,
            mtime: 0,
            mtime_nsec: 0,
        }),
        FileKind::Stdio(_) => Ok(Stat {
            ino: 3,
            mode: if k.stdio_is_tty {
                S_IFCHR | 0o620
            } else {
                S_IFIFO | 0o600
            },
            nlink: 1,
            uid: 0,
            gid: 0,
            rdev: if k.stdio_is_tty { makedev(136, 0) } else { 0 },
            size: 0,
            blocks: None,
            mtime: 0,
            mtime_nsec: 0,
        }),
    }
}

/// 512-byte blocks allocated, as ext4 reports them: whole 4 KiB blocks,
/// none for a short symlink (its target lives in the inode).
fn blocks(s: &Stat) -> u64 {
    if let Some(b) = s.blocks {
        return b;
    }
    if s.mode & S_IFMT == S_IFLNK && s.size < 60 {
        return 0;
    }
    s.size.div_ceil(4096) * 8
}

/// Encode the asm-generic `struct stat` (128 bytes).
fn encode_stat(s: &Stat) -> [u8; 128] {
    let mut b = [0u8; 128];
    let dev: u64 = if s.mode & S_IFMT == S_IFIFO {
        0xc
    } else {
        0x801
    };
    b[0..8].copy_from_slice(&dev.to_le_bytes());
    b[8..16].copy_from_slice(&s.ino.to_le_bytes());
    b[16..20].copy_from_slice(&s.mode.to_le_bytes());
    b[20..24].copy_from_slice(&s.nlink.to_le_bytes());
    b[24..28].copy_from_slice(&s.uid.to_le_bytes());
    b[28..32].copy_from_slice(&s.gid.to_le_bytes());
    b[32..40].copy_from_slice(&s.rdev.to_le_bytes());
    b[48..56].copy_from_slice(&s.size.to_le_bytes());
    b[56..60].copy_from_slice(&4096u32.to_le_bytes());
    b[64..72].copy_from_slice(&blocks(s).to_le_bytes());
    for off in [72, 88, 104] {
        b[off..off + 8].copy_from_slice(&s.mtime.to_le_bytes());
        b[off + 8..off + 16].copy_from_slice(&(s.mtime_nsec as u64).to_le_bytes());
    }
    b
}

pub fn fstat(k: &mut Kernel, pid: Pid, fd: i32, buf: u64) -> SysResult {
    let file = proc_mut(k, pid)?.fds.borrow_mut().file(fd)?;
    let st = stat_of(k, &file.borrow().kind)?;
    copy_out(k, pid, buf, &encode_stat(&st))?;
    Ok(0)
}

fn stat_at(k: &mut Kernel, pid: Pid, dirfd: i32, path: u64, flags: u32) -> Result<Stat, SysError> {
    let p = read_path(k, pid, path)?;
    if flags & AT_SYMLINK_NOFOLLOW == 0 {
        if let Some((owner, fd)) = magic_fd(k, pid, &p) {
            let file = proc_mut(k, owner)?.fds.borrow().file(fd)?;
            return Ok(stat_of(k, &file.borrow().kind)?);
        }
    }
    if p.is_empty() && flags & AT_EMPTY_PATH != 0 && dirfd != AT_FDCWD {
        let file = proc_mut(k, pid)?.fds.borrow_mut().file(dirfd)?;
        return Ok(stat_of(k, &file.borrow().kind)?);
    }
    let l = lookup_at(k, pid, dirfd, path, flags)?;
    Ok(stat_of(k, &FileKind::Node(l.ino))?)
}

pub fn newfstatat(
    k: &mut Kernel,
    pid: Pid,
    dirfd: i32,
    path: u64,
    buf: u64,
    flags: u32,
) -> SysResult {
    let st = stat_at(k, pid, dirfd, path, flags)?;
    copy_out(k, pid, buf, &encode_stat(&st))?;
    Ok(0)
}

pub fn statx(k: &mut Kernel, pid: Pid, dirfd: i32, path: u64, flags: u32, buf: u64) -> SysResult {
    let s = stat_at(k, pid, dirfd, path, flags)?;
    let mut b = [0u8; 256];
    let mask: u32 = 0x7ff; // STATX_BASIC_STATS
    b[0..4].copy_from_slice(&mask.to_le_bytes());
    b[4..8].copy_from_slice(&4096u32.to_le_bytes());
    b[16..20].copy_from_slice(&s.nlink.to_le_bytes());
    b[20..24].copy_from_slice(&s.uid.to_le_bytes());
    b[24..28].copy_from_slice(&s.gid.to_le_bytes());
    b[28..30].copy_from_slice(&(s.mode as u16).to_le_bytes());
    b[32..40].copy_from_slice(&s.ino.to_le_bytes());
    b[40..48].copy_from_slice(&s.size.to_le_bytes());
    b[48..56].copy_from_slice(&blocks(&s).to_le_bytes());
    for off in [64, 80, 96, 112] {
        b[off..off + 8].copy_from_slice(&s.mtime.to_le_bytes());
        b[off + 8..off + 12].copy_from_slice(&s.mtime_nsec.to_le_bytes());
    }
    let rdev = s.rdev;
    b[128..132].copy_from_slice(&(((rdev >> 8) & 0xfff) as u32).to_le_bytes());
    b[132..136].copy_from_slice(&((rdev & 0xff) as u32).to_le_bytes());
    b[136..140].copy_from_slice(&8u32.to_le_bytes());
    b[140..144].copy_from_slice(&1u32.to_le_bytes());
    copy_out(k, pid, buf, &b)?;
    Ok(0)
}

pub fn fsync(k: &mut Kernel, pid: Pid, fd: i32) -> SysResult {
    proc_mut(k, pid)?.fds.borrow_mut().get(fd)?;
    Ok(0)
}

/// Starting write-back has nothing to start (no disk is behind the VFS),
/// but the arguments are checked in Linux's order: dpkg calls this for
/// every file it unpacks and would otherwise trip the "not implemented"
/// notice on stderr.
pub fn sync_file_range(
    k: &mut Kernel,
    pid: Pid,
    fd: i32,
    offset: i64,
    nbytes: i64,
    flags: u32,
) -> SysResult {
    const VALID: u32 = 1 | 2 | 4; // WAIT_BEFORE | WRITE | WAIT_AFTER
    let file = file_of(k, pid, fd)?;
    let file = file.borrow();
    if file.flags & O_PATH != 0 {
        return Err(Errno::EBADF.into());
    }
    if flags & !VALID != 0 || offset < 0 || nbytes < 0 || offset.checked_add(nbytes).is_none() {
        return Err(Errno::EINVAL.into());
    }
    match stat_of(k, &file.kind)?.mode & S_IFMT {
        S_IFREG | S_IFDIR | S_IFLNK | S_IFBLK => Ok(0),
        _ => Err(Errno::ESPIPE.into()),
    }
}

pub fn renameat2(
    k: &mut Kernel,
    pid: Pid,
    olddir: i32,
    oldp: u64,
    newdir: i32,
    newp: u64,
    flags: u32,
) -> SysResult {
    const RENAME_NOREPLACE: u32 = 1;
    const RENAME_EXCHANGE: u32 = 2;
    if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let oldp = read_path(k, pid, oldp)?;
    let newp = read_path(k, pid, newp)?;
    let ob = dir_of(k, pid, olddir)?;
    let nb = dir_of(k, pid, newdir)?;
    let (od, oname) = k.vfs.resolve_parent(ob, &oldp)?;
    let (nd, nname) = k.vfs.resolve_parent(nb, &newp)?;
    let (oname, nname) = (oname.to_vec(), nname.to_vec());
    if matches!(&oname[..], b"." | b"..") || matches!(&nname[..], b"." | b"..") {
        return Err(Errno::EBUSY.into());
    }
    if k.vfs.is_host(od) || k.vfs.is_host(nd) {
        if flags & RENAME_EXCHANGE != 0 {
            // wasi:filesystem has no atomic exchange.
            return Err(Errno::EINVAL.into());
        }
        k.vfs
            .host_rename(od, &oname, nd, &nname, flags & RENAME_NOREPLACE != 0)?;
        k.reap_orphans();
        return Ok(0);
    }
    let src = k.vfs.lookup(od, &oname)?.ok_or(Errno::ENOENT)?;
    let dst = k.vfs.lookup(nd, &nname)?;
    if dst == Some(src) {
        return Ok(0);
    }
    if k.vfs.is_mount_root(src) || dst.is_some_and(|d| k.vfs.is_mount_root(d)) {
        return Err(Errno::EBUSY.into());
    }
    let src_dir = k.vfs.node(src)?.is_dir();
    // A directory cannot move into itself.
    if src_dir {
        let mut cur = nd;
        loop {
            if cur == src {
                return Err(Errno::EINVAL.into());
            }
            let up = k.vfs.parent_of(cur)?;
            if up == cur {
                break;
            }
            cur = up;
        }
    }
    if flags & RENAME_EXCHANGE != 0 {
        let dst = dst.ok_or(Errno::ENOENT)?;
        k.vfs.swap_entries(od, &oname, nd, &nname, src, dst)?;
        return Ok(0);
    }
    if let Some(d) = dst {
        if flags & RENAME_NOREPLACE != 0 {
            return Err(Errno::EEXIST.into());
        }
        let dst_dir = k.vfs.node(d)?.is_dir();
        match (src_dir, dst_dir) {
            (true, false) => return Err(Errno::ENOTDIR.into()),
            (false, true) => return Err(Errno::EISDIR.into()),
            (true, true) if !k.vfs.dir_is_empty(d)? => return Err(Errno::ENOTEMPTY.into()),
            _ => {}
        }
        k.vfs.remove_entry(nd, &nname)?;
    }
    k.vfs.move_entry(od, &oname, nd, &nname)?;
    Ok(0)
}

pub fn linkat(
    k: &mut Kernel,
    pid: Pid,
    olddir: i32,
    oldp: u64,
    newdir: i32,
    newp: u64,
    flags: u32,
) -> SysResult {
    let follow = flags & 0x400 != 0; // AT_SYMLINK_FOLLOW
    let l = lookup_at(
        k,
        pid,
        olddir,
        oldp,
        if follow {
            flags & AT_EMPTY_PATH
        } else {
            AT_SYMLINK_NOFOLLOW | (flags & AT_EMPTY_PATH)
        },
    )?;
    if k.vfs.node(l.ino)?.is_dir() {
        return Err(Errno::EPERM.into());
    }
    let newp = read_path(k, pid, newp)?;
    let nb = dir_of(k, pid, newdir)?;
    let (nd, nname) = k.vfs.resolve_parent(nb, &newp)?;
    let nname = nname.to_vec();
    k.vfs.link(nd, &nname, l.ino)?;
    Ok(0)
}

pub fn symlinkat(k: &mut Kernel, pid: Pid, target: u64, newdir: i32, newp: u64) -> SysResult {
    let target = read_path(k, pid, target)?;
    let newp = read_path(k, pid, newp)?;
    let nb = dir_of(k, pid, newdir)?;
    let (nd, nname) = k.vfs.resolve_parent(nb, &newp)?;
    let nname = nname.to_vec();
    k.vfs.create(nd, &nname, crate::vfs::new_symlink(target))?;
    Ok(0)
}

fn node_of_fd(k: &Kernel, pid: Pid, fd: i32) -> Result<Ino, SysError> {
    let file = file_of(k, pid, fd)?;
    let f = file.borrow();
    match f.kind {
        FileKind::Node(ino) => Ok(ino),
        _ => Err(Errno::EINVAL.into()),
    }
}

pub fn fchmodat(
    k: &mut Kernel,
    pid: Pid,
    dirfd: i32,
    path: u64,
    mode: u32,
    flags: u32,
) -> SysResult {
    let l = lookup_at(k, pid, dirfd, path, flags)?;
    k.vfs.chmod(l.ino, mode)?;
    Ok(0)
}

pub fn fchmod(k: &mut Kernel, pid: Pid, fd: i32, mode: u32) -> SysResult {
    let Ok(ino) = node_of_fd(k, pid, fd) else {
        return Ok(0); // pipes and terminals: nothing to record
    };
    k.vfs.chmod(ino, mode)?;
    Ok(0)
}

pub fn fchownat(
    k: &mut Kernel,
    pid: Pid,
    dirfd: i32,
    path: u64,
    uid: u32,
    gid: u32,
    flags: u32,
) -> SysResult {
    let l = lookup_at(k, pid, dirfd, path, flags)?;
    // Owners on a mount are kept for this run only (the host has none to set).
    k.vfs.check_writable(l.ino)?;
    let n = k.vfs.node_mut(l.ino)?;
    if uid != u32::MAX {
        n.uid = uid;
    }
    if gid != u32::MAX {
        n.gid = gid;
    }
    Ok(0)
}

pub fn fchown(k: &mut Kernel, pid: Pid, fd: i32, uid: u32, gid: u32) -> SysResult {
    let Ok(ino) = node_of_fd(k, pid, fd) else {
        return Ok(0);
    };
    k.vfs.check_writable(ino)?;
    let n = k.vfs.node_mut(ino)?;
    if uid != u32::MAX {
        n.uid = uid;
    }
    if gid != u32::MAX {
        n.gid = gid;
    }
    Ok(0)
}

pub fn utimensat(
    k: &mut Kernel,
    pid: Pid,
    dirfd: i32,
    path: u64,
    times: u64,
    flags: u32,
) -> SysResult {
    const UTIME_NOW: i64 = (1 << 30) - 1;
    const UTIME_OMIT: i64 = (1 << 30) - 2;
    let ino = if path == 0 {
        node_of_fd(k, pid, dirfd)?
    } else {
        lookup_at(k, pid, dirfd, path, flags)?.ino
    };
    let now = k.vfs.now();
    let mtime = if times == 0 {
        Some(now)
    } else {
        let b = copy_in(k, pid, times, 32)?;
        let sec = i64::from_le_bytes(b[16..24].try_into().unwrap_or_default());
        let nsec = i64::from_le_bytes(b[24..32].try_into().unwrap_or_default());
        match nsec {
            UTIME_OMIT => None,
            UTIME_NOW => Some(now),
            0..=999_999_999 => Some((sec, nsec as u32)),
            _ => return Err(Errno::EINVAL.into()),
        }
    };
    if let Some(mtime) = mtime {
        k.vfs.set_mtime(ino, mtime)?;
    }
    Ok(0)
}

fn truncate_ino(k: &mut Kernel, ino: Ino, len: u64) -> SysResult {
    if (len as i64) < 0 {
        return Err(Errno::EINVAL.into());
    }
    match k.vfs.node(ino)?.kind {
        NodeKind::File(_) => {}
        NodeKind::Dir { .. } => return Err(Errno::EISDIR.into()),
        _ => return Err(Errno::EINVAL.into()),
    }
    // Stores through shared mappings below the new end stay; the pages
    // past it read as zeros, and a shorter file zeroes its last page's tail.
    k.pages.write_back(&mut k.vfs, ino)?;
    k.vfs.set_len(ino, len)?;
    k.vfs.touch(ino)?;
    k.pages.refresh_all(&k.vfs, ino)?;
    Ok(0)
}

pub fn ftruncate(k: &mut Kernel, pid: Pid, fd: i32, len: u64) -> SysResult {
    let file = proc_mut(k, pid)?.fds.borrow().file(fd)?;
    if !file.borrow().writable() {
        return Err(Errno::EINVAL.into());
    }
    let ino = node_of_fd(k, pid, fd)?;
    truncate_ino(k, ino, len)
}

pub fn truncate(k: &mut Kernel, pid: Pid, path: u64, len: u64) -> SysResult {
    let l = lookup_at(k, pid, AT_FDCWD, path, 0)?;
    truncate_ino(k, l.ino, len)
}

pub fn fallocate(k: &mut Kernel, pid: Pid, fd: i32, mode: u32, off: u64, len: u64) -> SysResult {
    const KEEP_SIZE: u32 = 0x01;
    const PUNCH_HOLE: u32 = 0x02;
    if (off as i64) < 0 || (len as i64) <= 0 {
        return Err(Errno::EINVAL.into());
    }
    // What tmpfs supports: reserve (maybe keeping the size) or punch.
    if mode & !(KEEP_SIZE | PUNCH_HOLE) != 0 || (mode & PUNCH_HOLE != 0 && mode & KEEP_SIZE == 0) {
        return Err(Errno::EOPNOTSUPP.into());
    }
    let file = file_of(k, pid, fd)?;
    if !file.borrow().writable() {
        return Err(Errno::EBADF.into());
    }
    let ino = match file.borrow().kind {
        FileKind::Node(ino) => ino,
        FileKind::PipeRead(_) | FileKind::PipeWrite(_) => return Err(Errno::ESPIPE.into()),
        _ => return Err(Errno::ENODEV.into()),
    };
    match k.vfs.node(ino)?.kind {
        NodeKind::File(_) => {}
        NodeKind::Dir { .. } => return Err(Errno::EISDIR.into()),
        NodeKind::Fifo => return Err(Errno::ESPIPE.into()),
        _ => return Err(Errno::ENODEV.into()),
    }
    let end = off.checked_add(len).ok_or(Errno::EFBIG)?;
    k.pages.write_back(&mut k.vfs, ino)?;
    k.vfs
        .allocate(ino, off, end, mode & KEEP_SIZE != 0, mode & PUNCH_HOLE != 0)?;
    k.vfs.touch(ino)?;
    k.pages.refresh_all(&k.vfs, ino)?;
    Ok(0)
}

/// struct statfs (riscv64, 120 bytes) for the in-memory overlay.
pub fn statfs_buf(k: &Kernel) -> [u8; 120] {
    let mut b = [0u8; 120];
    let bsize = 4096u64;
    let total = k.budget.limit() / bsize;
    let free = total.saturating_sub(k.budget.used() / bsize);
    b[0..8].copy_from_slice(&0x794c_7630u64.to_le_bytes()); // OVERLAYFS_SUPER_MAGIC
    b[8..16].copy_from_slice(&bsize.to_le_bytes());
    b[16..24].copy_from_slice(&total.to_le_bytes());
    // f_bavail leaves out what files may not take (see `file_reserve`).
    let avail = free.saturating_sub(k.budget.file_reserve() / bsize);
    b[24..32].copy_from_slice(&free.to_le_bytes());
    b[32..40].copy_from_slice(&avail.to_le_bytes());
    b[40..48].copy_from_slice(&1_000_000u64.to_le_bytes());
    b[48..56].copy_from_slice(&900_000u64.to_le_bytes());
    b[64..72].copy_from_slice(&255u64.to_le_bytes());
    b[72..80].copy_from_slice(&bsize.to_le_bytes());
    b
}

pub fn statfs(k: &mut Kernel, pid: Pid, path: u64, buf: u64) -> SysResult {
    lookup_at(k, pid, AT_FDCWD, path, 0)?;
    let b = statfs_buf(k);
    copy_out(k, pid, buf, &b)?;
    Ok(0)
}

pub fn fstatfs(k: &mut Kernel, pid: Pid, fd: i32, buf: u64) -> SysResult {
    proc_mut(k, pid)?.fds.borrow().get(fd)?;
    let b = statfs_buf(k);
    copy_out(k, pid, buf, &b)?;
    Ok(0)
}

pub fn close_range(k: &mut Kernel, pid: Pid, first: u32, last: u32, flags: u32) -> SysResult {
    const CLOSE_RANGE_CLOEXEC: u32 = 4;
    if first > last {
        return Err(Errno::EINVAL.into());
    }
    let p = proc_mut(k, pid)?;
    let mut fds = p.fds.borrow_mut();
    let targets: Vec<i32> = fds
        .iter()
        .map(|(&fd, _)| fd)
        .filter(|&fd| fd as u32 >= first && fd as u32 <= last)
        .collect();
    for fd in targets {
        if flags & CLOSE_RANGE_CLOEXEC != 0 {
            fds.get_mut(fd)?.cloexec = true;
        } else {
            fds.remove(fd)?;
        }
    }
    Ok(0)
}

pub fn memfd_create(k: &mut Kernel, pid: Pid, name: u64, flags: u32) -> SysResult {
    const MFD_CLOEXEC: u32 = 1;
    let name = read_path(k, pid, name)?;
    let node = new_file(FileData::empty(), 0o777);
    let ino = k.vfs.create_unlinked(node);
    let mut path = b"/memfd:".to_vec();
    path.extend_from_slice(&name);
    let file = OpenFile::new(FileKind::Node(ino), O_RDWR, path);
    install_file(k, pid, file, flags & MFD_CLOEXEC != 0)
}

pub fn mknodat(k: &mut Kernel, pid: Pid, dirfd: i32, path: u64, mode: u32) -> SysResult {
    let path = read_path(k, pid, path)?;
    let base = dir_of(k, pid, dirfd)?;
    let (dir, name) = k.vfs.resolve_parent(base, &path)?;
    let name = name.to_vec();
    let kind = match mode & S_IFMT {
        S_IFIFO => NodeKind::Fifo,
        0 | S_IFREG => NodeKind::File(FileData::empty()),
        _ => return Err(Errno::EPERM.into()),
    };
    let umask = k
        .procs
        .get(&pid)
        .map(|p| p.fs.borrow().umask)
        .unwrap_or(0o022);
    let mut node = new_file(FileData::empty(), mode & !umask);
    node.mode = if mode & S_IFMT == 0 {
        S_IFREG
    } else {
        mode & S_IFMT
    } | (mode & 0o7777 & !umask);
    node.kind = kind;
    k.vfs.create(dir, &name, node)?;
    Ok(0)
}

/// sendfile/copy_file_range: copy through a kernel buffer. What the output
/// does not take (a full pipe blocks or takes part) is given back to the
/// input, so a restarted call copies it again instead of losing it.
pub fn sendfile(
    k: &mut Kernel,
    tid: Pid,
    out_fd: i32,
    in_fd: i32,
    offp: u64,
    count: u64,
) -> SysResult {
    let pid = k.pid_of(tid);
    let inf = proc_mut(k, pid)?.fds.borrow().file(in_fd)?;
    let outf = proc_mut(k, pid)?.fds.borrow().file(out_fd)?;
    let n = count.min(IO_CHUNK) as usize;
    let at = if offp != 0 {
        let b = copy_in(k, pid, offp, 8)?;
        Some(u64::from_le_bytes(b.try_into().unwrap_or_default()))
    } else {
        None
    };
    let data = read_file(k, tid, &inf, n, at)?;
    if data.is_empty() {
        return Ok(0);
    }
    let written = write_file(k, tid, &outf, &data, None);
    let taken = *written.as_ref().unwrap_or(&0);
    match at {
        Some(off) if taken > 0 => copy_out(k, pid, offp, &(off + taken).to_le_bytes())?,
        Some(_) => {}
        None => {
            let mut f = inf.borrow_mut();
            if matches!(f.kind, FileKind::Node(_)) {
                f.offset -= data.len() as u64 - taken;
            }
        }
    }
    written
}

/// Extended attributes: the overlay stores none.
pub fn xattr(nr: u64) -> SysResult {
    use super::names::*;
    match nr {
        LISTXATTR | LLISTXATTR | FLISTXATTR => Ok(0),
        GETXATTR | LGETXATTR | FGETXATTR | REMOVEXATTR | LREMOVEXATTR | FREMOVEXATTR => {
            Err(Errno::ENODATA.into())
        }
        _ => Err(Errno::EOPNOTSUPP.into()),
    }
}

pub fn copy_file_range(
    k: &mut Kernel,
    tid: Pid,
    in_fd: i32,
    in_off: u64,
    out_fd: i32,
    out_off: u64,
    len: u64,
) -> SysResult {
    let pid = k.pid_of(tid);
    if out_off != 0 {
        // Positional output: read, then pwrite.
        let inf = proc_mut(k, pid)?.fds.borrow().file(in_fd)?;
        let outf = proc_mut(k, pid)?.fds.borrow().file(out_fd)?;
        let b = copy_in(k, pid, out_off, 8)?;
        let off = u64::from_le_bytes(b.try_into().unwrap_or_default());
        let data = if in_off != 0 {
            let b = copy_in(k, pid, in_off, 8)?;
            let ioff = u64::from_le_bytes(b.try_into().unwrap_or_default());
            let d = read_file(k, tid, &inf, len.min(IO_CHUNK) as usize, Some(ioff))?;
            copy_out(k, pid, in_off, &(ioff + d.len() as u64).to_le_bytes())?;
            d
        } else {
            read_file(k, tid, &inf, len.min(IO_CHUNK) as usize, None)?
        };
        let n = write_file(k, tid, &outf, &data, Some(off))?;
        copy_out(k, pid, out_off, &(off + n).to_le_bytes())?;
        return Ok(n);
    }
    sendfile(k, tid, out_fd, in_fd, in_off, len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::pipe::Pipe;
    use crate::kernel::testing;

    fn errno(r: SysResult) -> Option<Errno> {
        match r {
            Err(SysError::Errno(e)) => Some(e),
            _ => None,
        }
    }

    fn open(k: &mut Kernel, pid: Pid, kind: FileKind, flags: u32) -> i32 {
        let file = OpenFile::new(kind, flags, b"/x".to_vec());
        let fds = &k.procs[&pid].fds;
        let fd = fds.borrow_mut().insert_from(3, file, false);
        fd.expect("a free descriptor")
    }

    #[test]
    fn sync_file_range_checks_its_arguments_like_linux() {
        let (mut k, init) = testing::kernel(false);
        let ino = k.vfs.put_file(b"/f", b"data".to_vec(), 0o644).expect("put");
        let f = open(&mut k, init, FileKind::Node(ino), 0);
        let dir = k.vfs.mkdir_p(b"/d", 0o755).expect("mkdir");
        let d = open(&mut k, init, FileKind::Node(dir), 0);
        let path = open(&mut k, init, FileKind::Node(ino), O_PATH);
        let p = open(&mut k, init, FileKind::PipeRead(Pipe::new_ref()), 0);
        assert_eq!(sync_file_range(&mut k, init, f, 0, 0, 2).ok(), Some(0));
        assert_eq!(sync_file_range(&mut k, init, d, 4, 10, 7).ok(), Some(0));
        let e =
            |k: &mut Kernel, fd, off, n, flags| errno(sync_file_range(k, init, fd, off, n, flags));
        assert_eq!(e(&mut k, f, 0, 0, 8), Some(Errno::EINVAL));
        assert_eq!(e(&mut k, f, -1, 0, 2), Some(Errno::EINVAL));
        assert_eq!(e(&mut k, f, 5, -1, 2), Some(Errno::EINVAL));
        assert_eq!(e(&mut k, f, i64::MAX, 1, 2), Some(Errno::EINVAL));
        // The descriptor is looked at before the arguments.
        assert_eq!(e(&mut k, 99, -1, 0, 8), Some(Errno::EBADF));
        assert_eq!(e(&mut k, path, 0, 0, 2), Some(Errno::EBADF));
        assert_eq!(e(&mut k, p, 0, 0, 8), Some(Errno::EINVAL));
        assert_eq!(e(&mut k, p, 0, 0, 2), Some(Errno::ESPIPE));
    }
}
