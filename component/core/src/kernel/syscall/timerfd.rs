//! timerfd: a timer read as a counter of expirations. Expiry is computed
//! from the clock when someone looks (read, poll, the scheduler's wake
//! pass), so nothing fires in the background; the kernel keeps weak
//! references to armed timers only so an idle scheduler knows when to wake
//! up (`next_expiry`).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::poll::POLLIN;
use super::time::{clock_ns, read_timespec, timespec};
use super::{copy_out, file_of, install_file, SysError, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::fd::{FileKind, OpenFile, O_CLOEXEC, O_NONBLOCK, O_RDWR};
use crate::kernel::{Kernel, Pid, Wait};

const TFD_TIMER_ABSTIME: u32 = 1;
const TFD_TIMER_CANCEL_ON_SET: u32 = 2;

#[derive(Debug)]
pub struct TimerFd {
    pub clock: u32,
    /// Next expiry on `clock`, when armed.
    pub next: Option<u64>,
    pub interval: u64,
    /// Expirations not yet read.
    pub ticks: u64,
}

pub type TimerFdRef = Rc<RefCell<TimerFd>>;

impl TimerFd {
    /// Account for expirations up to `now` (on the timer's clock).
    fn catch_up(&mut self, now: u64) {
        let Some(next) = self.next else {
            return;
        };
        if now < next {
            return;
        }
        match (now - next).checked_div(self.interval) {
            Some(missed) => {
                let n = missed + 1;
                self.ticks += n;
                self.next = Some(next + n * self.interval);
            }
            // A one-shot timer (no interval) fires once.
            None => {
                self.ticks += 1;
                self.next = None;
            }
        }
    }

    pub fn ready(&self, now: u64) -> bool {
        self.ticks > 0 || self.next.is_some_and(|n| n <= now)
    }
}

/// The current time on a timer's clock (clock ids were checked at create).
fn now_of(k: &Kernel, clock: u32) -> u64 {
    clock_ns(k, clock).unwrap_or_else(|_| k.host.monotonic_ns())
}

pub fn revents(k: &Kernel, t: &TimerFdRef) -> i16 {
    let t = t.borrow();
    if t.ready(now_of(k, t.clock)) {
        POLLIN
    } else {
        0
    }
}

/// Monotonic time of the earliest armed timer's expiry (for the idle scheduler).
pub fn next_expiry(k: &Kernel) -> Option<u64> {
    let mono = k.host.monotonic_ns();
    k.timerfds
        .iter()
        .filter_map(Weak::upgrade)
        .filter_map(|t| {
            let t = t.borrow();
            let next = t.next?;
            let now = now_of(k, t.clock);
            Some(mono + next.saturating_sub(now))
        })
        .min()
}

pub fn timerfd_create(k: &mut Kernel, pid: Pid, clock: u32, flags: u32) -> SysResult {
    if flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL.into());
    }
    // REALTIME, MONOTONIC, BOOTTIME and the two ALARM clocks.
    if !matches!(clock, 0 | 1 | 7 | 8 | 9) {
        return Err(Errno::EINVAL.into());
    }
    let t = Rc::new(RefCell::new(TimerFd {
        clock,
        next: None,
        interval: 0,
        ticks: 0,
    }));
    k.timerfds.retain(|w| w.strong_count() > 0);
    k.timerfds.push(Rc::downgrade(&t));
    let file = OpenFile::new(
        FileKind::TimerFd(t),
        O_RDWR | (flags & O_NONBLOCK),
        b"anon_inode:[timerfd]".to_vec(),
    );
    install_file(k, pid, file, flags & O_CLOEXEC != 0)
}

fn timer_of(k: &Kernel, pid: Pid, fd: i32) -> Result<TimerFdRef, SysError> {
    let f = file_of(k, pid, fd)?;
    let f = f.borrow();
    match &f.kind {
        FileKind::TimerFd(t) => Ok(t.clone()),
        _ => Err(Errno::EINVAL.into()),
    }
}

/// The `struct itimerspec` (interval, then time left) of a timer.
fn current(k: &Kernel, t: &TimerFdRef) -> [u8; 32] {
    let mut t = t.borrow_mut();
    let now = now_of(k, t.clock);
    t.catch_up(now);
    let left = t.next.map(|n| n.saturating_sub(now).max(1)).unwrap_or(0);
    let mut b = [0u8; 32];
    b[..16].copy_from_slice(&timespec(t.interval));
    b[16..].copy_from_slice(&timespec(left));
    b
}

pub fn timerfd_settime(
    k: &mut Kernel,
    pid: Pid,
    fd: i32,
    flags: u32,
    new: u64,
    old: u64,
) -> SysResult {
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let t = timer_of(k, pid, fd)?;
    let interval = read_timespec(k, pid, new)?;
    let value = read_timespec(k, pid, new + 16)?;
    if old != 0 {
        let cur = current(k, &t);
        copy_out(k, pid, old, &cur)?;
    }
    let now = now_of(k, t.borrow().clock);
    let mut t = t.borrow_mut();
    t.ticks = 0;
    t.interval = interval;
    t.next = match value {
        0 => None,
        v if flags & TFD_TIMER_ABSTIME != 0 => Some(v),
        v => Some(now.saturating_add(v)),
    };
    Ok(0)
}

pub fn timerfd_gettime(k: &mut Kernel, pid: Pid, fd: i32, cur: u64) -> SysResult {
    let t = timer_of(k, pid, fd)?;
    let b = current(k, &t);
    copy_out(k, pid, cur, &b)?;
    Ok(0)
}

/// read(2): the expiration count since the last read, or wait for one.
pub fn timerfd_read(
    k: &Kernel,
    t: &TimerFdRef,
    len: usize,
    flags: u32,
) -> Result<Vec<u8>, SysError> {
    if len < 8 {
        return Err(Errno::EINVAL.into());
    }
    let mut tm = t.borrow_mut();
    let now = now_of(k, tm.clock);
    tm.catch_up(now);
    if tm.ticks == 0 {
        return Err(if flags & O_NONBLOCK != 0 {
            Errno::EAGAIN.into()
        } else {
            SysError::Block(Wait::TimerFd(t.clone()))
        });
    }
    let n = std::mem::take(&mut tm.ticks);
    Ok(n.to_le_bytes().to_vec())
}
