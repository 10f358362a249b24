//! Terminal ioctls over the kernel's line discipline (`kernel::tty`), and
//! the job-control check on terminal access by background processes.

use super::{copy_in, copy_out, file_of, SysError, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::fd::FileKind;
use crate::kernel::signal::{bit, SIGTTIN, SIGTTOU, SIGWINCH, SIG_IGN};
use crate::kernel::tty::{Termios, TOSTOP};
use crate::kernel::{Kernel, Pid, ProcState, Wait};
use crate::vfs::{Device, NodeKind};

/// Whether process group `pgid` is orphaned (POSIX): no live member has a
/// parent in another group of the same session, so no shell is left to
/// continue it if it stopped. The guest's init counts as such a parent:
/// it is a container's first process, not the machine's.
pub fn pgrp_orphaned(k: &Kernel, pgid: Pid) -> bool {
    !k.procs
        .values()
        .filter(|p| p.pgid == pgid && p.state == ProcState::Alive)
        .any(|p| {
            k.procs
                .get(&p.ppid)
                .is_some_and(|pp| pp.pgid != pgid && pp.sid == p.sid)
        })
}

/// May thread `tid` use the terminal? Linux's `__tty_check_change`
/// (drivers/tty/tty_jobctrl.c) with `sig` SIGTTIN for reads and SIGTTOU
/// for writes under TOSTOP and for changing the terminal's settings. Only
/// processes of the terminal's session are checked (it is their
/// controlling terminal). A process outside the foreground group sends
/// `sig` to its whole group and the call restarts once the group is
/// continued (or fails with EINTR if a handler without SA_RESTART runs);
/// with `sig` blocked or ignored, a read fails with EIO and the rest go
/// ahead; an orphaned group gets EIO, as nobody could continue it.
pub fn job_control(k: &mut Kernel, tid: Pid, sig: u8) -> Result<(), SysError> {
    let Some(tty) = k.tty.as_ref() else {
        return Ok(());
    };
    let (fg, session) = (tty.fg_pgrp, tty.session);
    let Some(p) = k.proc_of(tid) else {
        return Ok(());
    };
    if p.sid != session || p.pgid == fg {
        return Ok(());
    }
    let pgid = p.pgid;
    let ignored = p.sigactions.borrow().get(sig).handler == SIG_IGN
        || k.tasks.get(&tid).is_some_and(|t| t.sigmask & bit(sig) != 0);
    if ignored {
        return if sig == SIGTTIN {
            Err(Errno::EIO.into())
        } else {
            Ok(())
        };
    }
    if pgrp_orphaned(k, pgid) {
        return Err(Errno::EIO.into());
    }
    k.signal_pgrp(pgid, sig);
    // Wait for the signal: stopped, the task re-executes the call when
    // continued; a handler restarts it or makes it fail with EINTR.
    Err(SysError::Block(Wait::Signal))
}

/// The job-control check for a write to the terminal: only under TOSTOP.
pub fn job_control_write(k: &mut Kernel, tid: Pid) -> Result<(), SysError> {
    if k.tty
        .as_ref()
        .is_some_and(|t| t.termios.lflag & TOSTOP != 0)
    {
        job_control(k, tid, SIGTTOU)
    } else {
        Ok(())
    }
}

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

pub fn ioctl(k: &mut Kernel, tid: Pid, fd: i32, req: u32, arg: u64) -> SysResult {
    let pid = k.pid_of(tid);
    let file = file_of(k, pid, fd)?;
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
    // Changing the terminal from the background is job-controlled.
    if matches!(
        req,
        TCSETS | TCSETSW | TCSETSF | TCSETS2 | TCFLSH | TCXONC | TCSBRK | TIOCSPGRP
    ) {
        match job_control(k, tid, SIGTTOU) {
            // tcsetpgrp from an orphaned background group: ENOTTY (tiocspgrp).
            Err(SysError::Errno(Errno::EIO)) if req == TIOCSPGRP => {
                return Err(Errno::ENOTTY.into())
            }
            r => r?,
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::signal::{SigAction, SIGCHLD};
    use crate::kernel::testing;
    use crate::kernel::{Resume, TaskState};

    /// Init (the shell, in the foreground) and a forked child moved to a
    /// process group of its own: a background job. Returns the child's pid.
    fn shell_with_background_job() -> (Kernel, Pid) {
        let (mut k, init) = testing::kernel(true);
        let child = super::super::proc::clone(&mut k, init, SIGCHLD as u64, 0, 0, 0, 0)
            .expect("fork") as Pid;
        super::super::proc::setpgid(&mut k, init, child, child).expect("setpgid");
        (k, child)
    }

    fn pending(k: &Kernel, pid: Pid) -> u64 {
        k.procs[&pid].pending
    }

    #[test]
    fn a_background_read_stops_the_job_and_restarts() {
        let (mut k, child) = shell_with_background_job();
        // The shell in the foreground reads freely (here: nothing typed yet).
        let init = k.init_pid;
        assert!(job_control(&mut k, init, SIGTTIN).is_ok());
        // The background job's read sends SIGTTIN to its group and waits.
        let r = super::super::fs::read(&mut k, child, 0, 0x1000, 16);
        assert!(matches!(r, Err(SysError::Block(Wait::Signal))), "{r:?}");
        assert_ne!(pending(&k, child) & bit(SIGTTIN), 0);
        assert_eq!(pending(&k, init) & bit(SIGTTIN), 0);
        // Taking the signal stops the job; the shell hears of it.
        let t = k.tasks.get_mut(&child).expect("child task");
        t.block(Wait::Signal, None);
        t.wake(Resume::Signal);
        k.deliver_signals(child);
        assert_eq!(k.tasks[&child].state, TaskState::Stopped);
        // Continued, the read starts afresh (not as an interrupted call).
        assert_eq!(k.tasks[&child].resume, None);
        assert_eq!(
            k.procs[&child].wait_report,
            Some((SIGTTIN as i32) << 8 | 0x7f)
        );
        // `fg`: the job's group becomes the foreground; now the read goes on.
        k.tty.as_mut().expect("tty").fg_pgrp = child;
        assert!(job_control(&mut k, child, SIGTTIN).is_ok());
        // And the shell, now in the background, would be stopped in turn.
        assert!(job_control(&mut k, init, SIGTTIN).is_err());
    }

    #[test]
    fn ignored_blocked_or_orphaned_means_eio_for_reads() {
        let (mut k, child) = shell_with_background_job();
        let eio = |r: Result<(), SysError>| matches!(r, Err(SysError::Errno(Errno::EIO)));
        k.procs[&child].sigactions.borrow_mut().set(
            SIGTTIN,
            SigAction {
                handler: SIG_IGN,
                ..SigAction::default()
            },
        );
        assert!(eio(job_control(&mut k, child, SIGTTIN)));
        k.procs[&child]
            .sigactions
            .borrow_mut()
            .set(SIGTTIN, SigAction::default());
        k.tasks.get_mut(&child).expect("task").sigmask = bit(SIGTTIN);
        assert!(eio(job_control(&mut k, child, SIGTTIN)));
        assert_eq!(pending(&k, child), 0);
        k.tasks.get_mut(&child).expect("task").sigmask = 0;
        // With its parent gone, nobody could continue the group.
        k.procs.get_mut(&child).expect("child").ppid = 999;
        assert!(pgrp_orphaned(&k, child));
        assert!(eio(job_control(&mut k, child, SIGTTIN)));
        assert_eq!(pending(&k, child), 0);
    }

    #[test]
    fn sigttou_for_writes_only_under_tostop() {
        let (mut k, child) = shell_with_background_job();
        assert!(job_control_write(&mut k, child).is_ok());
        k.tty.as_mut().expect("tty").termios.lflag |= TOSTOP;
        assert!(matches!(
            job_control_write(&mut k, child),
            Err(SysError::Block(Wait::Signal))
        ));
        assert_ne!(pending(&k, child) & bit(SIGTTOU), 0);
        // A blocked SIGTTOU lets the write through (it is not EIO).
        k.procs.get_mut(&child).expect("child").pending = 0;
        k.tasks.get_mut(&child).expect("task").sigmask = bit(SIGTTOU);
        assert!(job_control_write(&mut k, child).is_ok());
        assert_eq!(pending(&k, child), 0);
    }
}
