//! Signal system calls: actions, masks, sending, waiting, sigreturn.

use super::{copy_in, copy_out, SysError, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::signal::*;
use crate::kernel::{Kernel, Pid, ProcState, Resume, Wait};

fn valid(sig: u64) -> Result<u8, SysError> {
    if sig == 0 || sig > NSIG as u64 {
        return Err(Errno::EINVAL.into());
    }
    Ok(sig as u8)
}

/// struct sigaction on riscv64: handler, flags, mask (no restorer).
pub fn rt_sigaction(
    k: &mut Kernel,
    pid: Pid,
    sig: u64,
    act: u64,
    old: u64,
    size: u64,
) -> SysResult {
    let sig = valid(sig)?;
    if size != 8 {
        return Err(Errno::EINVAL.into());
    }
    let cur = k
        .procs
        .get(&pid)
        .ok_or(Errno::ESRCH)?
        .sigactions
        .borrow()
        .get(sig);
    if act != 0 {
        if sig == SIGKILL || sig == SIGSTOP {
            return Err(Errno::EINVAL.into());
        }
        let b = copy_in(k, pid, act, 24)?;
        let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        let new = SigAction {
            handler: w(0),
            flags: w(1),
            mask: w(2) & !UNBLOCKABLE,
        };
        k.procs
            .get(&pid)
            .ok_or(Errno::ESRCH)?
            .sigactions
            .borrow_mut()
            .set(sig, new);
        // Setting SIG_IGN discards pending instances (POSIX).
        let ignored = new.handler == SIG_IGN
            || (new.handler == SIG_DFL && default_action(sig) == DefaultAction::Ignore);
        if ignored {
            if let Some(p) = k.procs.get_mut(&pid) {
                p.pending &= !bit(sig);
            }
            for t in k.tasks.values_mut().filter(|t| t.pid == pid) {
                t.pending &= !bit(sig);
            }
        }
    }
    if old != 0 {
        let mut b = [0u8; 24];
        b[0..8].copy_from_slice(&cur.handler.to_le_bytes());
        b[8..16].copy_from_slice(&cur.flags.to_le_bytes());
        b[16..24].copy_from_slice(&cur.mask.to_le_bytes());
        copy_out(k, pid, old, &b)?;
    }
    Ok(0)
}

const SIG_BLOCK: u64 = 0;
const SIG_UNBLOCK: u64 = 1;
const SIG_SETMASK: u64 = 2;

pub fn rt_sigprocmask(
    k: &mut Kernel,
    tid: Pid,
    how: u64,
    set: u64,
    old: u64,
    size: u64,
) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL.into());
    }
    let pid = k.pid_of(tid);
    let cur = k.tasks.get(&tid).ok_or(Errno::ESRCH)?.sigmask;
    if set != 0 {
        let b = copy_in(k, pid, set, 8)?;
        let s = u64::from_le_bytes(b.try_into().unwrap_or_default());
        let new = match how {
            SIG_BLOCK => cur | s,
            SIG_UNBLOCK => cur & !s,
            SIG_SETMASK => s,
            _ => return Err(Errno::EINVAL.into()),
        };
        if let Some(t) = k.tasks.get_mut(&tid) {
            t.sigmask = new & !UNBLOCKABLE;
        }
    }
    if old != 0 {
        copy_out(k, pid, old, &cur.to_le_bytes())?;
    }
    Ok(0)
}

pub fn rt_sigpending(k: &mut Kernel, tid: Pid, set: u64) -> SysResult {
    let pid = k.pid_of(tid);
    let t = k.tasks.get(&tid).ok_or(Errno::ESRCH)?;
    let p = k.procs.get(&pid).map(|p| p.pending).unwrap_or(0);
    let pending = (t.pending | p) & t.sigmask;
    copy_out(k, pid, set, &pending.to_le_bytes())?;
    Ok(0)
}

/// Wait for a signal with a temporary mask; always returns EINTR once a
/// handler has run (the frame restores the original mask).
pub fn rt_sigsuspend(k: &mut Kernel, tid: Pid, set: u64) -> SysResult {
    let pid = k.pid_of(tid);
    let t = k.tasks.get_mut(&tid).ok_or(Errno::ESRCH)?;
    if t.take_resume() == Some(Resume::Signal) {
        return Err(Errno::EINTR.into());
    }
    let b = copy_in(k, pid, set, 8)?;
    let mask = u64::from_le_bytes(b.try_into().unwrap_or_default());
    let t = k.tasks.get_mut(&tid).ok_or(Errno::ESRCH)?;
    if t.saved_mask.is_none() {
        t.saved_mask = Some(t.sigmask);
    }
    t.sigmask = mask & !UNBLOCKABLE;
    Err(SysError::Block(Wait::Signal))
}

pub fn pause(k: &mut Kernel, tid: Pid) -> SysResult {
    let t = k.tasks.get_mut(&tid).ok_or(Errno::ESRCH)?;
    if t.take_resume() == Some(Resume::Signal) {
        return Err(Errno::EINTR.into());
    }
    Err(SysError::Block(Wait::Signal))
}

pub fn rt_sigtimedwait(k: &mut Kernel, tid: Pid, set: u64, info: u64, timeout: u64) -> SysResult {
    let pid = k.pid_of(tid);
    let b = copy_in(k, pid, set, 8)?;
    let want = u64::from_le_bytes(b.try_into().unwrap_or_default()) & !UNBLOCKABLE;
    let resume = k.tasks.get_mut(&tid).ok_or(Errno::ESRCH)?.take_resume();
    if let Some(si) = k.dequeue_signal(tid, want) {
        if info != 0 {
            copy_out(k, pid, info, &si.encode())?;
        }
        return Ok(si.signo as u64);
    }
    match resume {
        Some(Resume::Timeout) => return Err(Errno::EAGAIN.into()),
        Some(Resume::Signal) => return Err(Errno::EINTR.into()),
        _ => {}
    }
    let deadline = if timeout != 0 {
        let ns = super::time::read_timespec(k, pid, timeout)?;
        if ns == 0 {
            return Err(Errno::EAGAIN.into());
        }
        Some(k.host.monotonic_ns().saturating_add(ns))
    } else {
        None
    };
    super::block(k, tid, Wait::SigWait(want), deadline)
}

pub fn sigaltstack(k: &mut Kernel, tid: Pid, ss: u64, old: u64) -> SysResult {
    let pid = k.pid_of(tid);
    let cur = k.tasks.get(&tid).ok_or(Errno::ESRCH)?.altstack;
    if old != 0 {
        let mut b = [0u8; 24];
        b[0..8].copy_from_slice(&cur.0.to_le_bytes());
        b[8..12].copy_from_slice(&cur.2.to_le_bytes());
        b[16..24].copy_from_slice(&cur.1.to_le_bytes());
        copy_out(k, pid, old, &b)?;
    }
    if ss != 0 {
        let b = copy_in(k, pid, ss, 24)?;
        let sp = u64::from_le_bytes(b[0..8].try_into().unwrap_or_default());
        let flags = u32::from_le_bytes(b[8..12].try_into().unwrap_or_default());
        let size = u64::from_le_bytes(b[16..24].try_into().unwrap_or_default());
        if flags & !(2 | 0x8000_0000) != 0 {
            return Err(Errno::EINVAL.into());
        }
        if flags & 2 == 0 && size < 2048 {
            return Err(Errno::ENOMEM.into());
        }
        if let Some(t) = k.tasks.get_mut(&tid) {
            t.altstack = if flags & 2 != 0 {
                (0, 0, 2)
            } else {
                (sp, size, 0)
            };
        }
    }
    Ok(0)
}

pub fn rt_sigreturn(k: &mut Kernel, tid: Pid) -> SysResult {
    let pid = k.pid_of(tid);
    let mm = k.procs.get(&pid).ok_or(Errno::ESRCH)?.mm.clone();
    let t = k.tasks.get_mut(&tid).ok_or(Errno::ESRCH)?;
    let restored = restore_frame(&mut t.cpu, &mut mm.borrow_mut());
    match restored {
        Ok(mask) => {
            t.sigmask = mask;
            Err(SysError::NoReturn)
        }
        Err(_) => {
            k.exit_process(pid, crate::kernel::status_signaled(SIGSEGV, true));
            Err(SysError::NoReturn)
        }
    }
}

pub fn kill(k: &mut Kernel, pid: Pid, target: i32, sig: u64) -> SysResult {
    if sig > NSIG as u64 {
        return Err(Errno::EINVAL.into());
    }
    let targets: Vec<Pid> = if target > 0 {
        vec![target]
    } else {
        let pgid = match target {
            0 => k.procs.get(&pid).map(|p| p.pgid).unwrap_or(pid),
            -1 => 0,
            g => -g,
        };
        k.procs
            .values()
            .filter(|p| p.state == ProcState::Alive)
            .filter(|p| {
                if target == -1 {
                    p.pid != 1 && p.pid != pid
                } else {
                    p.pgid == pgid
                }
            })
            .map(|p| p.pid)
            .collect()
    };
    let alive: Vec<Pid> = targets
        .into_iter()
        .filter(|t| {
            k.procs
                .get(t)
                .is_some_and(|p| p.state == ProcState::Alive || sig == 0)
        })
        .collect();
    if alive.is_empty() {
        return Err(Errno::ESRCH.into());
    }
    if sig != 0 {
        for t in alive {
            k.send_to_process(t, SigInfo::user(sig as u8, pid));
        }
    }
    Ok(0)
}

pub fn tgkill(k: &mut Kernel, pid: Pid, tgid: i32, tid: i32, sig: u64) -> SysResult {
    if sig > NSIG as u64 || tid <= 0 {
        return Err(Errno::EINVAL.into());
    }
    let t = k.tasks.get(&tid).ok_or(Errno::ESRCH)?;
    if tgid > 0 && t.pid != tgid {
        return Err(Errno::ESRCH.into());
    }
    if sig != 0 {
        let mut info = SigInfo::user(sig as u8, pid);
        info.code = SI_TKILL;
        k.send_to_task(tid, info);
        if sig as u8 == SIGKILL {
            let target = k.pid_of(tid);
            k.exit_process(target, crate::kernel::status_signaled(SIGKILL, false));
        }
    }
    Ok(0)
}

pub fn rt_sigqueueinfo(k: &mut Kernel, pid: Pid, target: i32, sig: u64, uinfo: u64) -> SysResult {
    let sig = valid(sig)?;
    let b = copy_in(k, pid, uinfo, 128)?;
    let code = i32::from_le_bytes(b[8..12].try_into().unwrap_or_default());
    let value = u64::from_le_bytes(b[24..32].try_into().unwrap_or_default());
    if !k.procs.contains_key(&target) {
        return Err(Errno::ESRCH.into());
    }
    k.send_to_process(
        target,
        SigInfo {
            signo: sig,
            code,
            pid,
            value,
            ..SigInfo::default()
        },
    );
    Ok(0)
}
