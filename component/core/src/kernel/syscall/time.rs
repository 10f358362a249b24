//! Clocks and sleeping.

use super::{copy_in, copy_out, SysError, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::{Kernel, Pid, Wait};

const CLOCK_REALTIME: u32 = 0;
const CLOCK_REALTIME_COARSE: u32 = 5;
const CLOCK_REALTIME_ALARM: u32 = 8;
const TIMER_ABSTIME: u32 = 1;

pub fn timespec(ns: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&((ns / 1_000_000_000) as i64).to_le_bytes());
    b[8..].copy_from_slice(&((ns % 1_000_000_000) as i64).to_le_bytes());
    b
}

pub fn clock_ns(k: &Kernel, clock: u32) -> Result<u64, SysError> {
    match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE | CLOCK_REALTIME_ALARM => Ok(k.host.realtime_ns()),
        1..=7 | 9 => Ok(k.host.monotonic_ns()),
        _ => Err(Errno::EINVAL.into()),
    }
}

pub fn clock_gettime(k: &mut Kernel, pid: Pid, clock: u32, ts: u64) -> SysResult {
    let ns = clock_ns(k, clock)?;
    copy_out(k, pid, ts, &timespec(ns))?;
    Ok(0)
}

pub fn clock_getres(k: &mut Kernel, pid: Pid, ts: u64) -> SysResult {
    if ts != 0 {
        copy_out(k, pid, ts, &timespec(1))?;
    }
    Ok(0)
}

pub fn gettimeofday(k: &mut Kernel, pid: Pid, tv: u64) -> SysResult {
    if tv != 0 {
        let ns = k.host.realtime_ns();
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&((ns / 1_000_000_000) as i64).to_le_bytes());
        b[8..].copy_from_slice(&(((ns % 1_000_000_000) / 1000) as i64).to_le_bytes());
        copy_out(k, pid, tv, &b)?;
    }
    Ok(0)
}

pub fn read_timespec(k: &mut Kernel, pid: Pid, addr: u64) -> Result<u64, SysError> {
    let b = copy_in(k, pid, addr, 16)?;
    let sec = i64::from_le_bytes(b[..8].try_into().unwrap_or_default());
    let nsec = i64::from_le_bytes(b[8..].try_into().unwrap_or_default());
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL.into());
    }
    Ok((sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec as u64))
}

/// Sleep until `deadline` (monotonic ns). The deadline is kept in the
/// task so a restarted call resumes the same sleep.
fn sleep_until(k: &mut Kernel, tid: Pid, deadline: u64) -> SysResult {
    let now = k.host.monotonic_ns();
    let task = k.tasks.get_mut(&tid).ok_or(Errno::ESRCH)?;
    task.resume = None;
    if now >= deadline {
        task.sleep_until = None;
        return Ok(0);
    }
    task.sleep_until = Some(deadline);
    super::block(k, tid, Wait::Sleep, Some(deadline))
}

pub fn nanosleep(k: &mut Kernel, tid: Pid, req: u64) -> SysResult {
    if let Some(d) = k.tasks.get(&tid).and_then(|t| t.sleep_until) {
        return sleep_until(k, tid, d);
    }
    let pid = k.pid_of(tid);
    let ns = read_timespec(k, pid, req)?;
    let deadline = k.host.monotonic_ns().saturating_add(ns);
    sleep_until(k, tid, deadline)
}

pub fn clock_nanosleep(k: &mut Kernel, tid: Pid, clock: u32, flags: u32, req: u64) -> SysResult {
    if let Some(d) = k.tasks.get(&tid).and_then(|t| t.sleep_until) {
        return sleep_until(k, tid, d);
    }
    let pid = k.pid_of(tid);
    let ns = read_timespec(k, pid, req)?;
    let now = clock_ns(k, clock)?;
    let mono = k.host.monotonic_ns();
    let deadline = if flags & TIMER_ABSTIME != 0 {
        mono.saturating_add(ns.saturating_sub(now))
    } else {
        mono.saturating_add(ns)
    };
    sleep_until(k, tid, deadline)
}

/// setitimer(ITIMER_REAL) and alarm(): SIGALRM from the kernel's timer list.
pub fn setitimer(k: &mut Kernel, pid: Pid, which: u32, new: u64, old: u64) -> SysResult {
    if which != 0 {
        return Err(Errno::EINVAL.into()); // virtual/profiling timers: not supported
    }
    let now = k.host.monotonic_ns();
    if old != 0 {
        let (d, iv) = k.alarms.get(&pid).copied().unwrap_or((now, 0));
        let left = if k.alarms.contains_key(&pid) {
            d.saturating_sub(now)
        } else {
            0
        };
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&((iv / 1_000_000_000) as i64).to_le_bytes());
        b[8..16].copy_from_slice(&(((iv % 1_000_000_000) / 1000) as i64).to_le_bytes());
        b[16..24].copy_from_slice(&((left / 1_000_000_000) as i64).to_le_bytes());
        b[24..32].copy_from_slice(&(((left % 1_000_000_000) / 1000) as i64).to_le_bytes());
        copy_out(k, pid, old, &b)?;
    }
    if new != 0 {
        let b = copy_in(k, pid, new, 32)?;
        let w =
            |i: usize| i64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default()).max(0) as u64;
        let interval = w(0) * 1_000_000_000 + w(8) * 1000;
        let value = w(16) * 1_000_000_000 + w(24) * 1000;
        if value == 0 {
            k.alarms.remove(&pid);
        } else {
            k.alarms.insert(pid, (now + value, interval));
        }
    }
    Ok(0)
}

pub fn getitimer(k: &mut Kernel, pid: Pid, which: u32, cur: u64) -> SysResult {
    setitimer(k, pid, which, 0, cur)
}
