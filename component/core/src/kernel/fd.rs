//! Open file descriptions and per-process descriptor tables.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::errno::{Errno, KResult};
use super::pipe::PipeRef;
use crate::vfs::Ino;

pub const O_ACCMODE: u32 = 0o3;
pub const O_WRONLY: u32 = 0o1;
pub const O_RDWR: u32 = 0o2;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_NOCTTY: u32 = 0o400;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const O_CLOEXEC: u32 = 0o2000000;
pub const O_PATH: u32 = 0o10000000;

/// The host terminal or stream behind fds 0, 1 and 2 at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdio {
    In,
    Out,
    Err,
}

#[derive(Debug)]
pub enum FileKind {
    /// A host standard stream (the terminal when the host has one).
    Stdio(Stdio),
    /// A file, directory, device or symlink (O_PATH) in the VFS.
    Node(Ino),
    PipeRead(PipeRef),
    PipeWrite(PipeRef),
    EventFd(super::syscall::epoll::EventFdRef),
    Epoll(super::syscall::epoll::EpollRef),
    Socket(super::socket::SocketRef),
    TimerFd(super::syscall::timerfd::TimerFdRef),
    /// A signalfd: reads the reader's pending signals in its mask.
    SignalFd(super::syscall::signalfd::SignalFdRef),
    /// A process descriptor (pidfd_open): readable once the process has exited.
    PidFd(super::Pid),
}

/// An open file description (shared by dup'ed descriptors and across fork).
#[derive(Debug)]
pub struct OpenFile {
    pub kind: FileKind,
    /// O_* status flags (access mode, O_APPEND, O_NONBLOCK, ...).
    pub flags: u32,
    pub offset: u64,
    /// The path it was opened by, for /proc/self/fd and tracing.
    pub path: Vec<u8>,
}

impl OpenFile {
    pub fn new(kind: FileKind, flags: u32, path: Vec<u8>) -> FileRef {
        match &kind {
            FileKind::PipeRead(p) => p.borrow_mut().readers += 1,
            FileKind::PipeWrite(p) => p.borrow_mut().writers += 1,
            _ => {}
        }
        Rc::new(RefCell::new(OpenFile {
            kind,
            flags,
            offset: 0,
            path,
        }))
    }

    pub fn readable(&self) -> bool {
        self.flags & O_PATH == 0 && self.flags & O_ACCMODE != O_WRONLY
    }

    pub fn writable(&self) -> bool {
        self.flags & O_PATH == 0 && matches!(self.flags & O_ACCMODE, O_WRONLY | O_RDWR)
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        match &self.kind {
            FileKind::PipeRead(p) => p.borrow_mut().readers -= 1,
            FileKind::PipeWrite(p) => p.borrow_mut().writers -= 1,
            _ => {}
        }
    }
}

pub type FileRef = Rc<RefCell<OpenFile>>;

#[derive(Clone)]
pub struct FdEntry {
    pub file: FileRef,
    pub cloexec: bool,
}

pub const FD_LIMIT: usize = 1024;

/// A process's descriptor table.
#[derive(Clone, Default)]
pub struct FdTable {
    fds: BTreeMap<i32, FdEntry>,
}

impl FdTable {
    pub fn get(&self, fd: i32) -> KResult<&FdEntry> {
        self.fds.get(&fd).ok_or(Errno::EBADF)
    }

    pub fn get_mut(&mut self, fd: i32) -> KResult<&mut FdEntry> {
        self.fds.get_mut(&fd).ok_or(Errno::EBADF)
    }

    pub fn file(&self, fd: i32) -> KResult<FileRef> {
        Ok(self.get(fd)?.file.clone())
    }

    /// Install at the lowest free descriptor >= `min`.
    pub fn insert_from(&mut self, min: i32, file: FileRef, cloexec: bool) -> KResult<i32> {
        let mut fd = min.max(0);
        while self.fds.contains_key(&fd) {
            fd += 1;
        }
        if fd as usize >= FD_LIMIT {
            return Err(Errno::EMFILE);
        }
        self.fds.insert(fd, FdEntry { file, cloexec });
        Ok(fd)
    }

    pub fn insert(&mut self, file: FileRef, cloexec: bool) -> KResult<i32> {
        self.insert_from(0, file, cloexec)
    }

    /// Install at exactly `fd`, closing whatever was there.
    pub fn set(&mut self, fd: i32, file: FileRef, cloexec: bool) -> KResult<()> {
        if fd < 0 || fd as usize >= FD_LIMIT {
            return Err(Errno::EBADF);
        }
        self.fds.insert(fd, FdEntry { file, cloexec });
        Ok(())
    }

    pub fn remove(&mut self, fd: i32) -> KResult<FdEntry> {
        self.fds.remove(&fd).ok_or(Errno::EBADF)
    }

    /// Drop descriptors marked close-on-exec.
    pub fn close_on_exec(&mut self) {
        self.fds.retain(|_, e| !e.cloexec);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&i32, &FdEntry)> {
        self.fds.iter()
    }
}
