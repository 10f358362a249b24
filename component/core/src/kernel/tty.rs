//! The terminal line discipline, as a kernel does it for a pty: canonical
//! line editing (erase, word erase, kill, EOF), echo, ISIG characters that
//! signal the foreground process group, ICRNL on input, ONLCR on output,
//! and VMIN/VTIME for non-canonical reads. Hosts keep their terminal raw;
//! only the plain wasmtime CLI is cooked (`Host::host_echoes`), and then
//! echo and output processing are left to the host.

use std::collections::VecDeque;

pub const VINTR: usize = 0;
pub const VQUIT: usize = 1;
pub const VERASE: usize = 2;
pub const VKILL: usize = 3;
pub const VEOF: usize = 4;
pub const VTIME: usize = 5;
pub const VMIN: usize = 6;
pub const VSUSP: usize = 10;
pub const VWERASE: usize = 14;

pub const ICRNL: u32 = 0o400;
pub const IGNCR: u32 = 0o200;
pub const INLCR: u32 = 0o100;
pub const OPOST: u32 = 0o1;
pub const ONLCR: u32 = 0o4;
pub const ISIG: u32 = 0o1;
pub const ICANON: u32 = 0o2;
pub const ECHO: u32 = 0o10;
pub const ECHOE: u32 = 0o20;
pub const ECHOK: u32 = 0o40;
pub const ECHONL: u32 = 0o100;
pub const NOFLSH: u32 = 0o200;
/// Background writes to the terminal raise SIGTTOU.
pub const TOSTOP: u32 = 0o400;
pub const ECHOCTL: u32 = 0o1000;
pub const ECHOKE: u32 = 0o4000;
pub const IEXTEN: u32 = 0o100000;

/// `struct termios` (asm-generic, 60 bytes with c_line and 19 cc bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Termios {
    pub iflag: u32,
    pub oflag: u32,
    pub cflag: u32,
    pub lflag: u32,
    pub line: u8,
    pub cc: [u8; 19],
}

impl Default for Termios {
    /// The defaults of a fresh Linux pty.
    fn default() -> Self {
        let mut cc = [0u8; 19];
        cc[..17].copy_from_slice(&[3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0]);
        Termios {
            iflag: ICRNL | 0o2000 /* IXON */ | 0o40000, /* IUTF8 */
            oflag: OPOST | ONLCR,
            cflag: 0o277, // B38400 | CS8 | CREAD
            lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            line: 0,
            cc,
        }
    }
}

impl Termios {
    pub fn encode(&self) -> [u8; 60] {
        let mut b = [0u8; 60];
        b[0..4].copy_from_slice(&self.iflag.to_le_bytes());
        b[4..8].copy_from_slice(&self.oflag.to_le_bytes());
        b[8..12].copy_from_slice(&self.cflag.to_le_bytes());
        b[12..16].copy_from_slice(&self.lflag.to_le_bytes());
        b[16] = self.line;
        b[17..36].copy_from_slice(&self.cc);
        // c_ispeed / c_ospeed: B38400
        b[36..40].copy_from_slice(&38400u32.to_le_bytes());
        b[40..44].copy_from_slice(&38400u32.to_le_bytes());
        b
    }

    pub fn decode(b: &[u8]) -> Termios {
        let w = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or_default());
        let mut cc = [0u8; 19];
        cc.copy_from_slice(&b[17..36]);
        Termios {
            iflag: w(0),
            oflag: w(4),
            cflag: w(8),
            lflag: w(12),
            line: b[16],
            cc,
        }
    }
}

/// What processing one input byte produced besides data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtySignal {
    Int,
    Quit,
    Susp,
}

#[derive(Debug, Default)]
pub struct Tty {
    pub termios: Termios,
    pub rows: u16,
    pub cols: u16,
    /// Foreground process group and session of the terminal.
    pub fg_pgrp: i32,
    pub session: i32,
    /// The line being edited (canonical mode).
    line: Vec<u8>,
    /// Input ready for read(): in canonical mode only whole lines; a
    /// `None` entry marks an EOF (^D at the start of a line).
    ready: VecDeque<Option<u8>>,
    /// Bytes to echo back to the terminal.
    pub echo_out: Vec<u8>,
    /// Whether the host terminal echoes and processes output itself.
    pub host_cooked: bool,
}

impl Tty {
    pub fn new(host_cooked: bool, size: Option<(u16, u16)>) -> Tty {
        let (rows, cols) = size.unwrap_or((24, 80));
        Tty {
            rows,
            cols,
            host_cooked,
            ..Tty::default()
        }
    }

    fn canonical(&self) -> bool {
        self.termios.lflag & ICANON != 0
    }

    fn echo(&mut self, bytes: &[u8]) {
        if self.termios.lflag & ECHO != 0 && !self.host_cooked {
            self.echo_out.extend_from_slice(bytes);
        }
    }

    fn echo_ctl(&mut self, c: u8) {
        if self.termios.lflag & ECHOCTL != 0 && (c < 32 || c == 127) && c != b'\n' && c != b'\t' {
            self.echo(&[b'^', if c == 127 { b'?' } else { c + 64 }]);
        } else {
            self.echo(&[c]);
        }
    }

    /// Feed raw terminal input; returns the signals to raise on the
    /// foreground group.
    pub fn input(&mut self, raw: &[u8]) -> Vec<TtySignal> {
        let mut sigs = Vec::new();
        for &b in raw {
            let mut c = b;
            let t = &self.termios;
            if c == b'\r' {
                if t.iflag & IGNCR != 0 {
                    continue;
                }
                if t.iflag & ICRNL != 0 {
                    c = b'\n';
                }
            } else if c == b'\n' && t.iflag & INLCR != 0 {
                c = b'\r';
            }
            if t.lflag & ISIG != 0 {
                let sig = if c == t.cc[VINTR] && c != 0 {
                    Some(TtySignal::Int)
                } else if c == t.cc[VQUIT] && c != 0 {
                    Some(TtySignal::Quit)
                } else if c == t.cc[VSUSP] && c != 0 {
                    Some(TtySignal::Susp)
                } else {
                    None
                };
                if let Some(s) = sig {
                    if self.termios.lflag & NOFLSH == 0 {
                        self.line.clear();
                        self.ready.clear();
                    }
                    self.echo_ctl(c);
                    sigs.push(s);
                    continue;
                }
            }
            if !self.canonical() {
                self.ready.push_back(Some(c));
                self.echo_ctl(c);
                continue;
            }
            let t = &self.termios;
            if c == t.cc[VERASE] || c == 8 {
                if let Some(last) = self.line.pop() {
                    if self.termios.lflag & ECHOE != 0 {
                        let w = if last < 32 || last == 127 { 2 } else { 1 };
                        for _ in 0..w {
                            self.echo(b"\x08 \x08");
                        }
                    }
                }
            } else if c == t.cc[VWERASE] && t.lflag & IEXTEN != 0 {
                while self.line.last() == Some(&b' ') {
                    self.line.pop();
                    self.echo(b"\x08 \x08");
                }
                while self.line.last().is_some_and(|&x| x != b' ') {
                    self.line.pop();
                    self.echo(b"\x08 \x08");
                }
            } else if c == t.cc[VKILL] {
                let n = self.line.len();
                self.line.clear();
                if self.termios.lflag & ECHOKE != 0 {
                    for _ in 0..n {
                        self.echo(b"\x08 \x08");
                    }
                } else {
                    self.echo_ctl(c);
                    if self.termios.lflag & ECHOK != 0 {
                        self.echo(b"\n");
                    }
                }
            } else if c == t.cc[VEOF] {
                if self.line.is_empty() {
                    self.ready.push_back(None);
                } else {
                    self.ready.extend(self.line.drain(..).map(Some));
                }
            } else if c == b'\n' {
                self.line.push(b'\n');
                self.ready.extend(self.line.drain(..).map(Some));
                if self.termios.lflag & (ECHO | ECHONL) != 0 && !self.host_cooked {
                    self.echo_out.extend_from_slice(b"\r\n");
                }
            } else {
                self.line.push(c);
                self.echo_ctl(c);
            }
        }
        sigs
    }

    /// Whether a read would return now (data or EOF).
    pub fn readable(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Non-canonical VMIN/VTIME: (min bytes, timeout in ns or 0).
    pub fn vmin_vtime(&self) -> (usize, u64) {
        if self.canonical() {
            return (1, 0);
        }
        (
            self.termios.cc[VMIN] as usize,
            self.termios.cc[VTIME] as u64 * 100_000_000,
        )
    }

    /// Take up to `max` bytes for read(); canonical reads stop after a
    /// newline, and an EOF mark ends the read (returning what came before).
    pub fn read(&mut self, max: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while out.len() < max {
            match self.ready.front() {
                None => break,
                Some(None) => {
                    if out.is_empty() {
                        self.ready.pop_front();
                    }
                    break;
                }
                Some(Some(c)) => {
                    let c = *c;
                    self.ready.pop_front();
                    out.push(c);
                    if c == b'\n' && self.canonical() {
                        break;
                    }
                }
            }
        }
        out
    }

    pub fn pending_bytes(&self) -> usize {
        self.ready.iter().filter(|c| c.is_some()).count()
    }

    /// Drop unread input (TCSETSF, TCFLSH).
    pub fn flush_input(&mut self) {
        self.line.clear();
        self.ready.clear();
    }

    /// Output processing: ONLCR turns "\n" into "\r\n" unless the host
    /// terminal is cooked and does it itself.
    pub fn output<'a>(&self, data: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        let t = &self.termios;
        if self.host_cooked
            || t.oflag & OPOST == 0
            || t.oflag & ONLCR == 0
            || !data.contains(&b'\n')
        {
            return std::borrow::Cow::Borrowed(data);
        }
        let mut v = Vec::with_capacity(data.len() + 16);
        for &c in data {
            if c == b'\n' {
                v.push(b'\r');
            }
            v.push(c);
        }
        std::borrow::Cow::Owned(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_editing_and_echo() {
        let mut t = Tty::new(false, None);
        t.input(b"ls -x\x7f\x7fl\r");
        assert_eq!(t.read(100), b"ls l\n");
        assert_eq!(t.echo_out, b"ls -x\x08 \x08\x08 \x08l\r\n");
        assert!(!t.readable());
        t.input(b"abc\x15d\n");
        assert_eq!(t.read(100), b"d\n");
        t.input(b"\x04");
        assert!(t.readable());
        assert_eq!(t.read(100), b"");
        assert!(!t.readable());
    }

    #[test]
    fn isig_and_raw_mode() {
        let mut t = Tty::new(false, None);
        t.input(b"partial");
        assert_eq!(t.input(b"\x03"), vec![TtySignal::Int]);
        assert!(!t.readable());
        t.termios.lflag &= !(ICANON | ECHO);
        t.input(b"x\x7f");
        assert_eq!(t.read(10), b"x\x7f");
        assert_eq!(t.output(b"a\nb").as_ref(), b"a\r\nb");
    }

    #[test]
    fn host_cooked_does_not_echo() {
        let mut t = Tty::new(true, None);
        t.input(b"hi\n");
        assert!(t.echo_out.is_empty());
        assert_eq!(t.read(10), b"hi\n");
        assert_eq!(t.output(b"a\n").as_ref(), b"a\n");
    }
}
