//! The one place the emulator core touches the outside world. The wasm
//! component implements these traits over WASI and the `friscy:*` imports;
//! native tests implement them in memory.

pub use crate::kernel::errno::Errno;

/// Result of a non-blocking read of the host's standard input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdinRead {
    /// This many bytes were read into the buffer (never 0).
    Data(usize),
    /// Nothing available now; more may come.
    WouldBlock,
    /// The host's stdin is closed.
    Eof,
}

/// Terminal, clocks and randomness as the host provides them.
pub trait Host {
    /// Write guest output to the host's stdout (`fd == 1`) or stderr (`fd == 2`).
    fn write_output(&mut self, fd: u8, data: &[u8]);
    /// Read host stdin without blocking.
    fn read_stdin(&mut self, buf: &mut [u8]) -> StdinRead;
    /// Monotonic clock in nanoseconds.
    fn monotonic_ns(&self) -> u64;
    /// Wall clock in nanoseconds since the Unix epoch.
    fn realtime_ns(&self) -> u64;
    /// Fill `buf` with random bytes.
    fn random(&mut self, buf: &mut [u8]);
    /// Host terminal size (rows, cols), or `None` when not a terminal.
    fn window_size(&self) -> Option<(u16, u16)>;
    /// True when the host terminal echoes input itself (cooked host tty).
    fn host_echoes(&self) -> bool;
}

/// The container image bytes (the `friscy:emulator/rootfs` import).
pub trait RootfsSource {
    /// Total size of the image in bytes.
    fn size(&self) -> u64;
    /// Read up to `buf.len()` bytes at `offset`; returns the count read
    /// (short only at the end of the image).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, String>;
    /// The OCI image config JSON, if the image carries one.
    fn config_json(&self) -> Option<String> {
        None
    }
}

/// What a host path names ([`HostFs::stat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFileType {
    Dir,
    File,
    Symlink,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
}

/// A host file's metadata, as far as the host tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostStat {
    pub kind: HostFileType,
    /// Permission bits, when the host reports them (wasi:filesystem does not).
    pub perm: Option<u32>,
    /// Bytes of a regular file; the target's length for a symlink.
    pub size: u64,
    pub nlink: u64,
    /// Modification time: seconds since the epoch and nanoseconds.
    pub mtime: (i64, u32),
}

/// A host directory mounted into the guest (`-v`). The wasm component
/// implements it over a wasi:filesystem preopen; native tests over std::fs.
///
/// Paths are relative to the mounted directory: components joined by `/`,
/// never empty, `.` or `..`; the empty path is the mounted directory itself.
/// The guest resolves symlinks itself, so implementations must not follow a
/// symlink in the last component. Errors are the Linux errno the guest gets.
pub trait HostFs {
    /// lstat: what `path` is.
    fn stat(&self, path: &[u8]) -> Result<HostStat, Errno>;
    /// Read up to `buf.len()` bytes of a regular file at `offset` (0 at EOF).
    fn read_at(&self, path: &[u8], offset: u64, buf: &mut [u8]) -> Result<usize, Errno>;
    /// Write `data` at `offset`, extending the file; returns the count written.
    fn write_at(&self, path: &[u8], offset: u64, data: &[u8]) -> Result<usize, Errno>;
    /// Create an empty regular file; EEXIST when `path` exists.
    fn create(&self, path: &[u8], perm: u32) -> Result<(), Errno>;
    fn mkdir(&self, path: &[u8], perm: u32) -> Result<(), Errno>;
    fn unlink(&self, path: &[u8]) -> Result<(), Errno>;
    fn rmdir(&self, path: &[u8]) -> Result<(), Errno>;
    /// Rename within the mount, replacing `to` as rename(2) does.
    fn rename(&self, from: &[u8], to: &[u8]) -> Result<(), Errno>;
    /// A hard link `to` of `from`.
    fn link(&self, from: &[u8], to: &[u8]) -> Result<(), Errno>;
    /// The names in a directory (without `.` and `..`).
    fn read_dir(&self, path: &[u8]) -> Result<Vec<Vec<u8>>, Errno>;
    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>, Errno>;
    /// A symlink at `path` pointing to `target`.
    fn symlink(&self, target: &[u8], path: &[u8]) -> Result<(), Errno>;
    fn truncate(&self, path: &[u8], len: u64) -> Result<(), Errno>;
    /// Set permission bits; a host that has none may accept and ignore it
    /// (the guest then sees the bits for the rest of the run).
    fn chmod(&self, path: &[u8], perm: u32) -> Result<(), Errno>;
    fn set_mtime(&self, path: &[u8], mtime: (i64, u32)) -> Result<(), Errno>;
}

/// An in-memory image, for tests and for the native tools.
pub struct BytesRootfs(pub Vec<u8>);

impl RootfsSource for BytesRootfs {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, String> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.0.len());
        let n = buf.len().min(self.0.len() - start);
        buf[..n].copy_from_slice(&self.0[start..start + n]);
        Ok(n)
    }
}
