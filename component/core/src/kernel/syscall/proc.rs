//! Process and identity system calls.

use super::{copy_out, SysError, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::{Kernel, Pid, TaskState};

pub fn exit(k: &mut Kernel, tid: Pid, code: i32) -> SysResult {
    let pid = k.pid_of(tid);
    let others = k
        .tasks
        .values()
        .filter(|t| t.pid == pid && t.tid != tid)
        .count();
    if others == 0 {
        return exit_group(k, pid, code);
    }
    if let Some(t) = k.tasks.get_mut(&tid) {
        t.state = TaskState::Dead;
    }
    k.tasks.remove(&tid);
    Err(SysError::NoReturn)
}

pub fn exit_group(k: &mut Kernel, pid: Pid, code: i32) -> SysResult {
    k.exit_process(pid, (code & 0xff) as u8);
    Err(SysError::NoReturn)
}

pub fn set_tid_address(k: &mut Kernel, tid: Pid, addr: u64) -> SysResult {
    if let Some(t) = k.tasks.get_mut(&tid) {
        t.clear_child_tid = addr;
    }
    Ok(tid as u64)
}

pub fn umask(k: &mut Kernel, pid: Pid, mask: u32) -> SysResult {
    let p = k.procs.get_mut(&pid).ok_or(Errno::ESRCH)?;
    let old = p.umask;
    p.umask = mask & 0o777;
    Ok(old as u64)
}

pub fn uname(k: &mut Kernel, pid: Pid, buf: u64) -> SysResult {
    let fields: [&[u8]; 6] = [
        b"Linux",
        b"friscy",
        b"6.6.0-friscy",
        b"#1 SMP PREEMPT friscy",
        b"riscv64",
        b"(none)",
    ];
    let mut b = [0u8; 65 * 6];
    for (i, f) in fields.iter().enumerate() {
        b[i * 65..i * 65 + f.len()].copy_from_slice(f);
    }
    copy_out(k, pid, buf, &b)?;
    Ok(0)
}

const RLIMIT_STACK: u32 = 3;
const RLIMIT_NOFILE: u32 = 7;
const RLIM_INFINITY: u64 = u64::MAX;

pub fn prlimit64(
    k: &mut Kernel,
    pid: Pid,
    target: i32,
    res: u32,
    _new: u64,
    old: u64,
) -> SysResult {
    if target != 0 && target != pid {
        return Err(Errno::ESRCH.into());
    }
    if res > 15 {
        return Err(Errno::EINVAL.into());
    }
    if old != 0 {
        let (cur, max) = match res {
            RLIMIT_STACK => (8 << 20, RLIM_INFINITY),
            RLIMIT_NOFILE => (1024, 1024),
            _ => (RLIM_INFINITY, RLIM_INFINITY),
        };
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&u64::to_le_bytes(cur));
        b[8..].copy_from_slice(&u64::to_le_bytes(max));
        copy_out(k, pid, old, &b)?;
    }
    Ok(0)
}

pub fn getrandom(k: &mut Kernel, pid: Pid, buf: u64, len: u64) -> SysResult {
    let n = len.min(1 << 20) as usize;
    let mut v = vec![0u8; n];
    k.host.random(&mut v);
    copy_out(k, pid, buf, &v)?;
    Ok(n as u64)
}

pub fn sched_getaffinity(k: &mut Kernel, pid: Pid, size: u64, mask: u64) -> SysResult {
    if size < 8 {
        return Err(Errno::EINVAL.into());
    }
    copy_out(k, pid, mask, &1u64.to_le_bytes())?;
    Ok(8)
}

/// Signal masks and handlers are recorded nowhere yet: signals are the
/// process-model issue's. Old-value pointers get zeroes so callers see
/// "default, nothing blocked", which is the truth until then.
pub fn signal_stub(k: &mut Kernel, pid: Pid, nr: u64, a: [u64; 6]) -> SysResult {
    use super::names::{RT_SIGACTION, RT_SIGPROCMASK};
    let (old, size) = match nr {
        RT_SIGACTION => (a[2], 32usize),
        RT_SIGPROCMASK => (a[2], 8usize),
        _ => return Err(Errno::ENOSYS.into()),
    };
    if nr == RT_SIGACTION && (a[0] == 0 || a[0] > 64) {
        return Err(Errno::EINVAL.into());
    }
    if old != 0 {
        copy_out(k, pid, old, &vec![0u8; size])?;
    }
    Ok(0)
}
