//! Terminal ioctls over the kernel's line discipline (`kernel::tty`).

use super::{copy_in, copy_out, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::fd::FileKind;
use crate::kernel::signal::SIGWINCH;
use crate::kernel::tty::Termios;
use crate::kernel::{Kernel, Pid, ProcState};
use crate::vfs::{Device, NodeKind};

const TCGETS: u32 = 0x5401;
const TCSETS: u32 = 0x5402;
const TCSETSW: u32 = 0x5403;
const TCSETSF: u32 = 0x5404;
const TCSBRK: u32 = 0x5409;
const TCXONC: u32 = 0x540a;
const TCFLSH: u32 = 0x540b;
const TIOCSCTTY: u32 = 0x540e;
const TIOCGPGRP: u32 = 0x540f;
const TIOCSPGRP: u32 = 0x5410;
const TIOCOUTQ: u32 = 0x5411;
const TIOCGWINSZ: u32 = 0x5413;
const TIOCSWINSZ: u32 = 0x5414;
const FIONREAD: u32 = 0x541b;
const TIOCNOTTY: u32 = 0x5422;
const TIOCGSID: u32 = 0x5429;
const TCGETS2: u32 = 0x802c542a;
const TCSETS2: u32 = 0x402c542b;
const FIONBIO: u32 = 0x5421;
const FIOCLEX: u32 = 0x5451;
const FIONCLEX: u32 = 0x5450;

pub fn ioctl(k: &mut Kernel, pid: Pid, fd: i32, req: u32, arg: u64) -> SysResult {
    let file = k
        .procs
        .get(&pid)
        .ok_or(Errno::ESRCH)?
        .fds
        .borrow()
        .file(fd)?;
    // Requests on any descriptor.
    match req {
        FIOCLEX | FIONCLEX => {
            let p = k.procs.get(&pid).ok_or(Errno::ESRCH)?;
            p.fds.borrow_mut().get_mut(fd)?.cloexec = req == FIOCLEX;
            return Ok(0);
        }
        FIONBIO => {
            let on = copy_in(k, pid, arg, 4)?.iter().any(|&b| b != 0);
            let mut f = file.borrow_mut();
            f.flags = if on {
                f.flags | crate::kernel::fd::O_NONBLOCK
            } else {
                f.flags & !crate::kernel::fd::O_NONBLOCK
            };
            return Ok(0);
        }
        _ => {}
    }
    let is_tty = match &file.borrow().kind {
        FileKind::Stdio(_) => k.tty.is_some(),
        FileKind::Node(ino) => {
            matches!(k.vfs.node(*ino)?.kind, NodeKind::Device(Device::Tty)) && k.tty.is_some()
        }
        FileKind::PipeRead(p) if req == FIONREAD => {
            let n = p.borrow().buf.len() as u32;
            copy_out(k, pid, arg, &n.to_le_bytes())?;
            return Ok(0);
        }
        _ => false,
    };
    if !is_tty {
        return Err(Errno::ENOTTY.into());
    }
    let Some(tty) = k.tty.as_mut() else {
        return Err(Errno::ENOTTY.into());
    };
    match req {
        TCGETS | TCGETS2 => {
            let b = tty.termios.encode();
            let n = if req == TCGETS { 36 } else { 44 };
            copy_out(k, pid, arg, &b[..n])?;
            Ok(0)
        }
        TCSETS | TCSETSW | TCSETSF | TCSETS2 => {
            let n = if req == TCSETS2 { 44 } else { 36 };
            let mut b = copy_in(k, pid, arg, n)?;
            b.resize(60, 0);
            let t = k.tty.as_mut().ok_or(Errno::ENOTTY)?;
            t.termios = Termios::decode(&b);
            if req == TCSETSF {
                t.flush_input();
            }
            Ok(0)
        }
        TCFLSH => {
            if arg == 0 || arg == 2 {
                tty.flush_input();
            }
            Ok(0)
        }
        TCSBRK | TCXONC | TIOCSCTTY | TIOCNOTTY => Ok(0),
        TIOCGPGRP => {
            let g = tty.fg_pgrp;
            copy_out(k, pid, arg, &g.to_le_bytes())?;
            Ok(0)
        }
        TIOCGSID => {
            let s = tty.session;
            copy_out(k, pid, arg, &s.to_le_bytes())?;
            Ok(0)
        }
        TIOCSPGRP => {
            let b = copy_in(k, pid, arg, 4)?;
            let g = i32::from_le_bytes(b.try_into().unwrap_or_default());
            if !k
                .procs
                .values()
                .any(|p| p.pgid == g && p.state == ProcState::Alive)
            {
                return Err(Errno::EPERM.into());
            }
            if let Some(t) = k.tty.as_mut() {
                t.fg_pgrp = g;
            }
            Ok(0)
        }
        TIOCGWINSZ => {
            let mut b = [0u8; 8];
            b[0..2].copy_from_slice(&tty.rows.to_le_bytes());
            b[2..4].copy_from_slice(&tty.cols.to_le_bytes());
            copy_out(k, pid, arg, &b)?;
            Ok(0)
        }
        TIOCSWINSZ => {
            let b = copy_in(k, pid, arg, 8)?;
            let rows = u16::from_le_bytes([b[0], b[1]]);
            let cols = u16::from_le_bytes([b[2], b[3]]);
            let t = k.tty.as_mut().ok_or(Errno::ENOTTY)?;
            if (t.rows, t.cols) != (rows, cols) {
                t.rows = rows;
                t.cols = cols;
                let fg = t.fg_pgrp;
                k.signal_pgrp(fg, SIGWINCH);
            }
            Ok(0)
        }
        FIONREAD => {
            let n = tty.pending_bytes() as u32;
            copy_out(k, pid, arg, &n.to_le_bytes())?;
            Ok(0)
        }
        TIOCOUTQ => {
            copy_out(k, pid, arg, &0u32.to_le_bytes())?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL.into()),
    }
}
