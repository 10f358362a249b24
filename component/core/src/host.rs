//! The one place the emulator core touches the outside world. The wasm
//! component implements these traits over WASI and the `friscy:*` imports;
//! native tests implement them in memory.

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
