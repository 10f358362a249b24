//! Terminal ioctls. The full line discipline (ICANON, ECHO, ISIG, job
//! control) is the process-model issue's; this answers what programs ask
//! at start-up: is this a terminal, and how big is it.

use super::{copy_out, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::fd::FileKind;
use crate::kernel::{Kernel, Pid};
use crate::vfs::{Device, NodeKind};

const TCGETS: u32 = 0x5401;
const TCSETS: u32 = 0x5402;
const TCSETSW: u32 = 0x5403;
const TCSETSF: u32 = 0x5404;
const TIOCGPGRP: u32 = 0x540f;
const TIOCSPGRP: u32 = 0x5410;
const TIOCGWINSZ: u32 = 0x5413;
const TIOCSWINSZ: u32 = 0x5414;
const FIONREAD: u32 = 0x541b;

/// The default termios of a Linux pty (`struct termios`, asm-generic).
fn default_termios() -> [u8; 60] {
    let mut b = [0u8; 60];
    let iflag: u32 = 0o2400; // ICRNL | IXON
    let oflag: u32 = 0o5; // OPOST | ONLCR
    let cflag: u32 = 0o277; // B38400 | CS8 | CREAD
    let lflag: u32 = 0o105073; // ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
    b[0..4].copy_from_slice(&iflag.to_le_bytes());
    b[4..8].copy_from_slice(&oflag.to_le_bytes());
    b[8..12].copy_from_slice(&cflag.to_le_bytes());
    b[12..16].copy_from_slice(&lflag.to_le_bytes());
    let cc: [u8; 17] = [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0];
    b[17..34].copy_from_slice(&cc);
    b
}

pub fn ioctl(k: &mut Kernel, pid: Pid, fd: i32, req: u32, arg: u64) -> SysResult {
    let file = k
        .procs
        .get(&pid)
        .ok_or(Errno::ESRCH)?
        .fds
        .borrow()
        .file(fd)?;
    let is_tty = match file.borrow().kind {
        FileKind::Stdio(_) => k.stdio_is_tty,
        FileKind::Node(ino) => matches!(k.vfs.node(ino)?.kind, NodeKind::Device(Device::Tty)),
        _ => false,
    };
    if req == FIONREAD && !is_tty {
        return Err(Errno::ENOTTY.into());
    }
    if !is_tty {
        return Err(Errno::ENOTTY.into());
    }
    match req {
        TCGETS => {
            copy_out(k, pid, arg, &default_termios())?;
            Ok(0)
        }
        TCSETS | TCSETSW | TCSETSF | TIOCSWINSZ | TIOCSPGRP => Ok(0),
        TIOCGPGRP => {
            copy_out(k, pid, arg, &(pid as u32).to_le_bytes())?;
            Ok(0)
        }
        TIOCGWINSZ => {
            let (rows, cols) = k.host.window_size().unwrap_or((24, 80));
            let mut b = [0u8; 8];
            b[0..2].copy_from_slice(&rows.to_le_bytes());
            b[2..4].copy_from_slice(&cols.to_le_bytes());
            copy_out(k, pid, arg, &b)?;
            Ok(0)
        }
        FIONREAD => {
            let n = k.input.buf.len() as u32;
            copy_out(k, pid, arg, &n.to_le_bytes())?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL.into()),
    }
}
