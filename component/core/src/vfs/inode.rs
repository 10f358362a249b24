//! The in-memory inode model. The image's index becomes inodes at boot;
//! file bytes stay in the image until first read (`FileData::Image`), and
//! a write copies them up into memory (`FileData::Mem`, page by page: see
//! `memfile`). That single tree is the overlay: the image is the read-only
//! lower layer, memory the upper.

use std::collections::BTreeMap;

use super::memfile::MemFile;

pub type Ino = u64;

pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;

/// Where a regular file's bytes are.
#[derive(Debug)]
pub enum FileData {
    /// `len` bytes at `offset` in the rootfs image, not read yet.
    Image { offset: u64, len: u64 },
    /// Bytes held in memory (written, copied up, or generated).
    Mem(MemFile),
    /// A file on a host mount (`hostfs`): the bytes stay on the host; `len`
    /// is its size as last seen or written.
    Host { len: u64 },
}

impl FileData {
    /// A new empty file's bytes.
    pub fn empty() -> FileData {
        FileData::Mem(MemFile::new())
    }
}

/// Devices the kernel implements itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Null,
    Zero,
    Full,
    Random,
    Tty,
    /// A device node from the image that friscy does not implement.
    Other(u64),
}

#[derive(Debug)]
pub enum NodeKind {
    Dir {
        entries: BTreeMap<Vec<u8>, Ino>,
        parent: Ino,
    },
    File(FileData),
    Symlink(Vec<u8>),
    Device(Device),
    Fifo,
    /// A bound AF_UNIX socket's name (the socket lives in the kernel's registry).
    Socket,
}

#[derive(Debug)]
pub struct Inode {
    /// File type and permission bits, as in `st_mode`.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    /// Seconds since the epoch.
    pub mtime: i64,
    /// The nanoseconds of `mtime`.
    pub mtime_nsec: u32,
    pub kind: NodeKind,
}

impl Inode {
    pub fn is_dir(&self) -> bool {
        matches!(self.kind, NodeKind::Dir { .. })
    }

    pub fn size(&self) -> u64 {
        match &self.kind {
            NodeKind::File(FileData::Image { len, .. }) => *len,
            NodeKind::File(FileData::Mem(m)) => m.len(),
            NodeKind::File(FileData::Host { len }) => *len,
            NodeKind::Symlink(t) => t.len() as u64,
            NodeKind::Dir { entries, .. } => 4096.max(entries.len() as u64 * 32),
            _ => 0,
        }
    }

    /// Device number for `st_rdev`.
    pub fn rdev(&self) -> u64 {
        match &self.kind {
            NodeKind::Device(d) => match d {
                Device::Null => makedev(1, 3),
                Device::Zero => makedev(1, 5),
                Device::Full => makedev(1, 7),
                Device::Random => makedev(1, 9),
                Device::Tty => makedev(5, 0),
                Device::Other(r) => *r,
            },
            _ => 0,
        }
    }
}

pub fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & !0xff) << 12) | ((major & !0xfff) << 32)
}
