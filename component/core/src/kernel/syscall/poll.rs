//! ppoll and pselect6 over terminals, pipes and files. A blocked poller
//! waits on `Wait::Poll`; the scheduler re-checks readiness of its
//! descriptors (kept in `Kernel::pollers`) on every wake pass.

use super::{copy_in, copy_out, SysError, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::fd::{FileKind, OpenFile, Stdio};
use crate::kernel::{Kernel, Pid, Resume, Wait};

pub const POLLIN: i16 = 0x1;
pub const POLLPRI: i16 = 0x2;
pub const POLLOUT: i16 = 0x4;
pub const POLLERR: i16 = 0x8;
pub const POLLHUP: i16 = 0x10;
pub const POLLNVAL: i16 = 0x20;

/// Readiness of one descriptor of thread `tid`'s process for `events`.
pub fn revents(k: &Kernel, tid: Pid, fd: i32, events: i16) -> i16 {
    let Some(p) = k.proc_of(tid) else {
        return POLLNVAL;
    };
    let Ok(file) = p.fds.borrow().file(fd) else {
        return POLLNVAL;
    };
    let f = file.borrow();
    file_revents(k, tid, &f, events)
}

/// Readiness of an open file for `events`, as thread `tid` sees it (a
/// signalfd is readable for the threads its signals are pending for).
pub fn file_revents(k: &Kernel, tid: Pid, f: &OpenFile, events: i16) -> i16 {
    let ready = match &f.kind {
        FileKind::Stdio(Stdio::In) => {
            let mut r = POLLOUT;
            if k.stdin_ready() {
                r |= POLLIN;
            }
            if k.input.eof && k.tty.is_none() {
                r |= POLLHUP;
            }
            r
        }
        FileKind::Stdio(_) => POLLOUT,
        FileKind::PipeRead(pp) => {
            let pp = pp.borrow();
            let mut r = 0;
            if !pp.buf.is_empty() {
                r |= POLLIN;
            }
            if pp.writers == 0 {
                r |= POLLHUP;
            }
            r
        }
        FileKind::PipeWrite(pp) => {
            let pp = pp.borrow();
            if pp.readers == 0 {
                POLLERR
            } else if pp.writable() {
                POLLOUT
            } else {
                0
            }
        }
        FileKind::EventFd(e) => super::epoll::eventfd_revents(&e.borrow()),
        FileKind::Epoll(e) => {
            if super::epoll::ready(k, tid, &e.borrow()).is_empty() {
                0
            } else {
                POLLIN
            }
        }
        FileKind::Node(_) => POLLIN | POLLOUT,
        FileKind::Socket(s) => super::net::revents(s),
        FileKind::TimerFd(t) => super::timerfd::revents(k, t),
        FileKind::SignalFd(s) => super::signalfd::revents(k, tid, s),
        // Readable once the process has exited (or is gone).
        FileKind::PidFd(p) => {
            if k.procs
                .get(p)
                .is_none_or(|p| p.state != crate::kernel::ProcState::Alive)
            {
                POLLIN
            } else {
                0
            }
        }
    };
    ready & (events | POLLERR | POLLHUP | POLLNVAL)
}

/// Whether a blocked poller (task `tid`) has anything ready.
pub fn any_ready(k: &Kernel, tid: Pid) -> bool {
    k.pollers
        .get(&tid)
        .is_some_and(|fds| fds.iter().any(|&(fd, ev)| revents(k, tid, fd, ev) != 0))
        || k.epollers
            .get(&tid)
            .is_some_and(|ep| !super::epoll::ready(k, tid, &ep.borrow()).is_empty())
}

fn timeout_deadline(k: &mut Kernel, pid: Pid, ts: u64) -> Result<Option<u64>, SysError> {
    if ts == 0 {
        return Ok(None);
    }
    let ns = super::time::read_timespec(k, pid, ts)?;
    Ok(Some(k.host.monotonic_ns().saturating_add(ns)))
}

fn apply_sigmask(k: &mut Kernel, tid: Pid, pid: Pid, sigmask: u64) -> Result<(), SysError> {
    if sigmask != 0 {
        let b = copy_in(k, pid, sigmask, 8)?;
        let m = u64::from_le_bytes(b.try_into().unwrap_or_default());
        if let Some(t) = k.tasks.get_mut(&tid) {
            if t.saved_mask.is_none() {
                t.saved_mask = Some(t.sigmask);
            }
            t.sigmask = m & !crate::kernel::signal::UNBLOCKABLE;
        }
    }
    Ok(())
}

fn restore_sigmask(k: &mut Kernel, tid: Pid) {
    if let Some(t) = k.tasks.get_mut(&tid) {
        if let Some(m) = t.saved_mask.take() {
            t.sigmask = m;
        }
    }
}

pub fn ppoll(k: &mut Kernel, tid: Pid, fds: u64, nfds: u64, ts: u64, sigmask: u64) -> SysResult {
    let pid = k.pid_of(tid);
    if nfds > 4096 {
        return Err(Errno::EINVAL.into());
    }
    let resume = k.tasks.get_mut(&tid).ok_or(Errno::ESRCH)?.take_resume();
    let raw = copy_in(k, pid, fds, nfds as usize * 8)?;
    let mut entries: Vec<(i32, i16)> = raw
        .chunks_exact(8)
        .map(|c| {
            (
                i32::from_le_bytes(c[0..4].try_into().unwrap_or_default()),
                i16::from_le_bytes(c[4..6].try_into().unwrap_or_default()),
            )
        })
        .collect();
    let mut out = raw.clone();
    let mut n = 0;
    for (i, &(fd, ev)) in entries.iter().enumerate() {
        let r = if fd < 0 { 0 } else { revents(k, tid, fd, ev) };
        out[i * 8 + 6..i * 8 + 8].copy_from_slice(&r.to_le_bytes());
        if r != 0 {
            n += 1;
        }
    }
    k.pollers.remove(&tid);
    if n > 0 || resume == Some(Resume::Timeout) {
        restore_sigmask(k, tid);
        copy_out(k, pid, fds, &out)?;
        return Ok(n);
    }
    if resume == Some(Resume::Signal) {
        return Err(Errno::EINTR.into());
    }
    let deadline = timeout_deadline(k, pid, ts)?;
    if deadline.is_some_and(|d| d <= k.host.monotonic_ns()) {
        restore_sigmask(k, tid);
        copy_out(k, pid, fds, &out)?;
        return Ok(0);
    }
    apply_sigmask(k, tid, pid, sigmask)?;
    entries.retain(|e| e.0 >= 0);
    k.pollers.insert(tid, entries);
    super::block(k, tid, Wait::Poll, deadline)
}

/// pselect6(nfds, readfds, writefds, exceptfds, timeout, sigmask-pair)
#[allow(clippy::too_many_arguments)]
pub fn pselect6(
    k: &mut Kernel,
    tid: Pid,
    nfds: u64,
    rd: u64,
    wr: u64,
    ex: u64,
    ts: u64,
    sm: u64,
) -> SysResult {
    let pid = k.pid_of(tid);
    if nfds > 1024 {
        return Err(Errno::EINVAL.into());
    }
    let resume = k.tasks.get_mut(&tid).ok_or(Errno::ESRCH)?.take_resume();
    let words = (nfds as usize).div_ceil(64);
    let read_set = |k: &mut Kernel, a: u64| -> Result<Vec<u64>, SysError> {
        if a == 0 {
            return Ok(vec![0; words]);
        }
        let b = copy_in(k, pid, a, words * 8)?;
        Ok(b.chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect())
    };
    let (r, w, e) = (read_set(k, rd)?, read_set(k, wr)?, read_set(k, ex)?);
    let (mut ro, mut wo, eo) = (vec![0u64; words], vec![0u64; words], vec![0u64; words]);
    let mut watch = Vec::new();
    let mut n = 0;
    for fd in 0..nfds as usize {
        let (wi, b) = (fd / 64, 1u64 << (fd % 64));
        let mut ev = 0;
        if r[wi] & b != 0 {
            ev |= POLLIN;
        }
        if w[wi] & b != 0 {
            ev |= POLLOUT;
        }
        if e[wi] & b != 0 {
            ev |= POLLPRI;
        }
        if ev == 0 {
            continue;
        }
        let re = revents(k, tid, fd as i32, ev);
        if re & POLLNVAL != 0 {
            return Err(Errno::EBADF.into());
        }
        if re & (POLLIN | POLLHUP | POLLERR) != 0 && ev & POLLIN != 0 {
            ro[wi] |= b;
            n += 1;
        }
        if re & (POLLOUT | POLLERR) != 0 && ev & POLLOUT != 0 {
            wo[wi] |= b;
            n += 1;
        }
        watch.push((fd as i32, ev));
    }
    k.pollers.remove(&tid);
    let write_sets = |k: &mut Kernel| -> Result<(), SysError> {
        for (addr, set) in [(rd, &ro), (wr, &wo), (ex, &eo)] {
            if addr != 0 {
                let bytes: Vec<u8> = set.iter().flat_map(|v| v.to_le_bytes()).collect();
                copy_out(k, pid, addr, &bytes)?;
            }
        }
        Ok(())
    };
    let deadline = timeout_deadline(k, pid, ts)?;
    if n > 0
        || resume == Some(Resume::Timeout)
        || deadline.is_some_and(|d| d <= k.host.monotonic_ns())
    {
        restore_sigmask(k, tid);
        write_sets(k)?;
        return Ok(n);
    }
    if resume == Some(Resume::Signal) {
        return Err(Errno::EINTR.into());
    }
    if sm != 0 {
        let b = copy_in(k, pid, sm, 8)?;
        let mask_ptr = u64::from_le_bytes(b.try_into().unwrap_or_default());
        apply_sigmask(k, tid, pid, mask_ptr)?;
    }
    k.pollers.insert(tid, watch);
    super::block(k, tid, Wait::Poll, deadline)
}
