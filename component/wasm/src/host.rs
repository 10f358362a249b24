//! [`friscy_core::Host`] implementations: one over WASI stdio for the
//! blocking `wasi:cli/run` driver, one with buffered output and pushed input
//! for the `session` driver.

use std::cell::RefCell;
use std::rc::Rc;

use friscy_core::{Host, StdinRead};
use wasip2::cli::{stderr, stdin, stdout};
use wasip2::clocks::{monotonic_clock, wall_clock};
use wasip2::io::poll::Pollable;
use wasip2::io::streams::{InputStream, OutputStream, StreamError};

use crate::bindings::friscy::emulator::terminal_control;

/// Largest write handed to `blocking-write-and-flush` (the WASI limit is 4096).
const WRITE_CHUNK: usize = 4096;
/// How much stdin the driver reads ahead when poll says it is ready.
const READ_AHEAD: u64 = 64 * 1024;

fn monotonic() -> u64 {
    monotonic_clock::now()
}

pub(crate) fn realtime() -> u64 {
    let now = wall_clock::now();
    now.seconds
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(now.nanoseconds))
}

fn random_fill(buf: &mut [u8]) {
    let mut filled = 0;
    while filled < buf.len() {
        let bytes = wasip2::random::random::get_random_bytes((buf.len() - filled) as u64);
        if bytes.is_empty() {
            break;
        }
        let n = bytes.len().min(buf.len() - filled);
        buf[filled..filled + n].copy_from_slice(&bytes[..n]);
        filled += n;
    }
}

/// The host's stdin, shared by the [`WasiHost`] (non-blocking reads for the
/// core) and the driver (blocking in `poll` when every guest task waits).
pub struct Stdin {
    // Field order matters: the pollable is a child of the stream and must be
    // dropped first.
    pollable: Pollable,
    stream: InputStream,
    /// Read ahead by the driver after `poll`, not yet taken by the core.
    pending: Vec<u8>,
    eof: bool,
}

impl Stdin {
    pub fn new() -> Stdin {
        let stream = stdin::get_stdin();
        let pollable = stream.subscribe();
        Stdin {
            pollable,
            stream,
            pending: Vec::new(),
            eof: false,
        }
    }

    /// The pollable to wait on, when waiting for stdin can make progress:
    /// not at EOF and nothing read ahead that the guest has not taken yet.
    pub fn pollable(&self) -> Option<&Pollable> {
        (!self.eof && self.pending.is_empty()).then_some(&self.pollable)
    }

    /// After `poll` reported stdin ready: take what is there (or note EOF).
    pub fn read_ahead(&mut self) {
        match self.stream.read(READ_AHEAD) {
            Ok(data) => self.pending.extend_from_slice(&data),
            Err(StreamError::Closed) | Err(StreamError::LastOperationFailed(_)) => self.eof = true,
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> StdinRead {
        if buf.is_empty() {
            return StdinRead::WouldBlock;
        }
        if !self.pending.is_empty() {
            let n = buf.len().min(self.pending.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            return StdinRead::Data(n);
        }
        if self.eof {
            return StdinRead::Eof;
        }
        match self.stream.read(buf.len() as u64) {
            Ok(data) if data.is_empty() => StdinRead::WouldBlock,
            Ok(data) => {
                let n = data.len().min(buf.len());
                buf[..n].copy_from_slice(&data[..n]);
                if data.len() > n {
                    self.pending.extend_from_slice(&data[n..]);
                }
                StdinRead::Data(n)
            }
            Err(_) => {
                self.eof = true;
                StdinRead::Eof
            }
        }
    }
}

/// The host for `wasi:cli/run`: real stdio, blocking writes.
pub struct WasiHost {
    stdout: OutputStream,
    stderr: OutputStream,
    stdout_broken: bool,
    stderr_broken: bool,
    stdin: Rc<RefCell<Stdin>>,
}

impl WasiHost {
    pub fn new(stdin: Rc<RefCell<Stdin>>) -> WasiHost {
        WasiHost {
            stdout: stdout::get_stdout(),
            stderr: stderr::get_stderr(),
            stdout_broken: false,
            stderr_broken: false,
            stdin,
        }
    }
}

/// Write all of `data`; returns false once the stream is closed (e.g. the
/// reader of a pipe went away), after which output is dropped.
pub fn write_all(stream: &OutputStream, data: &[u8]) -> bool {
    for chunk in data.chunks(WRITE_CHUNK) {
        if stream.blocking_write_and_flush(chunk).is_err() {
            return false;
        }
    }
    true
}

/// Print one line on the component's stderr (driver messages).
pub fn eprintln_line(line: &str) {
    let stream = stderr::get_stderr();
    let mut text = line.as_bytes().to_vec();
    text.push(b'\n');
    write_all(&stream, &text);
}

impl Host for WasiHost {
    fn write_output(&mut self, fd: u8, data: &[u8]) {
        let (stream, broken) = if fd == 2 {
            (&self.stderr, &mut self.stderr_broken)
        } else {
            (&self.stdout, &mut self.stdout_broken)
        };
        if !*broken && !write_all(stream, data) {
            *broken = true;
        }
    }

    fn read_stdin(&mut self, buf: &mut [u8]) -> StdinRead {
        self.stdin.borrow_mut().read(buf)
    }

    fn monotonic_ns(&self) -> u64 {
        monotonic()
    }

    fn realtime_ns(&self) -> u64 {
        realtime()
    }

    fn random(&mut self, buf: &mut [u8]) {
        random_fill(buf)
    }

    fn window_size(&self) -> Option<(u16, u16)> {
        terminal_control::window_size()
    }

    fn host_echoes(&self) -> bool {
        terminal_control::host_echoes()
    }
}

/// Guest output collected for `take-output`: (fd, bytes) in order, adjacent
/// writes to the same fd merged.
pub type OutputBuffer = Rc<RefCell<Vec<(u8, Vec<u8>)>>>;

pub fn push_output(buffer: &OutputBuffer, fd: u8, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let mut chunks = buffer.borrow_mut();
    match chunks.last_mut() {
        Some((last_fd, last)) if *last_fd == fd => last.extend_from_slice(data),
        _ => chunks.push((fd, data.to_vec())),
    }
}

/// The host for `session`: never blocks. Output is buffered, stdin comes
/// through `Machine::push_input` (so `read_stdin` has nothing of its own).
pub struct SessionHost {
    pub output: OutputBuffer,
}

impl Host for SessionHost {
    fn write_output(&mut self, fd: u8, data: &[u8]) {
        push_output(&self.output, if fd == 2 { 2 } else { 1 }, data);
    }

    fn read_stdin(&mut self, _buf: &mut [u8]) -> StdinRead {
        StdinRead::WouldBlock
    }

    fn monotonic_ns(&self) -> u64 {
        monotonic()
    }

    fn realtime_ns(&self) -> u64 {
        realtime()
    }

    fn random(&mut self, buf: &mut [u8]) {
        random_fill(buf)
    }

    fn window_size(&self) -> Option<(u16, u16)> {
        terminal_control::window_size()
    }

    fn host_echoes(&self) -> bool {
        terminal_control::host_echoes()
    }
}
