//! Futexes: waiters are keyed by (address space, address), or for a word in
//! MAP_SHARED memory by (that page, offset), so processes sharing the page
//! wake each other (process-shared semaphores and mutexes). A woken waiter
//! gets `Resume::Event` and its restarted `futex` call returns 0 without
//! re-reading the word.

use super::{copy_in, SysError, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::{Kernel, Pid, Resume, Wait};

const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const FUTEX_REQUEUE: u32 = 3;
const FUTEX_CMP_REQUEUE: u32 = 4;
const FUTEX_WAKE_OP: u32 = 5;
const FUTEX_WAIT_BITSET: u32 = 9;
const FUTEX_WAKE_BITSET: u32 = 10;
const FUTEX_CLOCK_REALTIME: u32 = 256;
const FUTEX_CMD_MASK: u32 = 0x7f; // strips FUTEX_PRIVATE_FLAG and the clock flag

/// Wake up to `n` waiters on (mm, addr) whose bitset intersects `mask`.
pub fn wake(k: &mut Kernel, mm: usize, addr: u64, n: u32, _mask: u32) -> u32 {
    let mut woken = 0;
    for t in k.tasks.values_mut() {
        if woken >= n {
            break;
        }
        if matches!(t.wait, Some(Wait::Futex(m, a)) if m == mm && a == addr) {
            t.wake(Resume::Event);
            woken += 1;
        }
    }
    woken
}

fn requeue(k: &mut Kernel, from: (usize, u64), to: (usize, u64), n: u32) -> u32 {
    let mut moved = 0;
    for t in k.tasks.values_mut() {
        if moved >= n {
            break;
        }
        if matches!(t.wait, Some(Wait::Futex(m, a)) if (m, a) == from) {
            t.wait = Some(Wait::Futex(to.0, to.1));
            moved += 1;
        }
    }
    moved
}

/// The wait-queue key of `addr` in process `pid`.
fn key(k: &Kernel, pid: Pid, addr: u64) -> Result<(usize, u64), SysError> {
    let p = k.procs.get(&pid).ok_or(Errno::ESRCH)?;
    if let Some(page) = p.mm.borrow().shared_page_id(addr) {
        return Ok((page, addr & 0xfff));
    }
    Ok((p.mm_id(), addr))
}

#[allow(clippy::too_many_arguments)]
pub fn futex(
    k: &mut Kernel,
    tid: Pid,
    uaddr: u64,
    op: u32,
    val: u32,
    timeout: u64,
    uaddr2: u64,
    val3: u32,
) -> SysResult {
    let pid = k.pid_of(tid);
    let (mm, key_addr) = key(k, pid, uaddr)?;
    let (mm2, key_addr2) = key(k, pid, uaddr2)?;
    let cmd = op & FUTEX_CMD_MASK & !FUTEX_CLOCK_REALTIME;
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            match k.tasks.get_mut(&tid).ok_or(Errno::ESRCH)?.take_resume() {
                Some(Resume::Event) => return Ok(0),
                Some(Resume::Timeout) => return Err(Errno::ETIMEDOUT.into()),
                Some(Resume::Signal) => return Err(Errno::EINTR.into()),
                None => {}
            }
            if !uaddr.is_multiple_of(4) {
                return Err(Errno::EINVAL.into());
            }
            if cmd == FUTEX_WAIT_BITSET && val3 == 0 {
                return Err(Errno::EINVAL.into());
            }
            let b = copy_in(k, pid, uaddr, 4)?;
            let cur = u32::from_le_bytes(b.try_into().unwrap_or_default());
            if cur != val {
                return Err(Errno::EAGAIN.into());
            }
            let deadline = if timeout != 0 {
                let ns = super::time::read_timespec(k, pid, timeout)?;
                let now_mono = k.host.monotonic_ns();
                Some(if cmd == FUTEX_WAIT {
                    now_mono.saturating_add(ns) // relative
                } else {
                    // absolute, on CLOCK_MONOTONIC or CLOCK_REALTIME
                    let now = if op & FUTEX_CLOCK_REALTIME != 0 {
                        k.host.realtime_ns()
                    } else {
                        now_mono
                    };
                    now_mono.saturating_add(ns.saturating_sub(now))
                })
            } else {
                None
            };
            super::block(k, tid, Wait::Futex(mm, key_addr), deadline)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => Ok(wake(k, mm, key_addr, val, val3) as u64),
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            if cmd == FUTEX_CMP_REQUEUE {
                let b = copy_in(k, pid, uaddr, 4)?;
                if u32::from_le_bytes(b.try_into().unwrap_or_default()) != val3 {
                    return Err(Errno::EAGAIN.into());
                }
            }
            let woken = wake(k, mm, key_addr, val, u32::MAX);
            let moved = requeue(k, (mm, key_addr), (mm2, key_addr2), timeout as u32);
            Ok((woken + if cmd == FUTEX_CMP_REQUEUE { moved } else { 0 }) as u64)
        }
        FUTEX_WAKE_OP => {
            let encoded = val3;
            let opcode = (encoded >> 28) & 7;
            let shift = encoded & (8 << 28) != 0;
            let cmp = (encoded >> 24) & 15;
            let mut oparg = (encoded >> 12) & 0xfff;
            let cmparg = encoded & 0xfff;
            if shift {
                oparg = 1u32.checked_shl(oparg).unwrap_or(0);
            }
            let b = copy_in(k, pid, uaddr2, 4)?;
            let old = u32::from_le_bytes(b.try_into().unwrap_or_default());
            let new = match opcode {
                0 => oparg,
                1 => old.wrapping_add(oparg),
                2 => old | oparg,
                3 => old & !oparg,
                4 => old ^ oparg,
                _ => return Err(Errno::ENOSYS.into()),
            };
            super::copy_out(k, pid, uaddr2, &new.to_le_bytes())?;
            let mut n = wake(k, mm, key_addr, val, u32::MAX);
            let (o, c) = (old as i32, cmparg as i32);
            let hit = match cmp {
                0 => o == c,
                1 => o != c,
                2 => o < c,
                3 => o <= c,
                4 => o > c,
                5 => o >= c,
                _ => return Err(Errno::ENOSYS.into()),
            };
            if hit {
                n += wake(k, mm2, key_addr2, timeout as u32, u32::MAX);
            }
            Ok(n as u64)
        }
        _ => Err(SysError::Errno(Errno::ENOSYS)),
    }
}
