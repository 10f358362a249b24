//! Processes: clone/fork/vfork, execve, exit, wait, ids, groups, limits.

use std::cell::RefCell;
use std::rc::Rc;

use super::{copy_in, copy_out, file_of, read_path, SysError, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::exec;
use crate::kernel::signal::*;
use crate::kernel::{status_exited, Kernel, Pid, ProcState, Process, Task, Wait};

pub const CLONE_VM: u64 = 0x100;
pub const CLONE_FS: u64 = 0x200;
pub const CLONE_FILES: u64 = 0x400;
pub const CLONE_SIGHAND: u64 = 0x800;
pub const CLONE_PIDFD: u64 = 0x1000;
pub const CLONE_VFORK: u64 = 0x4000;
pub const CLONE_PARENT: u64 = 0x8000;
pub const CLONE_THREAD: u64 = 0x10000;
pub const CLONE_SYSVSEM: u64 = 0x40000;
pub const CLONE_SETTLS: u64 = 0x80000;
pub const CLONE_PARENT_SETTID: u64 = 0x100000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x200000;
pub const CLONE_CHILD_SETTID: u64 = 0x1000000;
/// Namespaces and pidfds are not supported.
const CLONE_UNSUPPORTED: u64 = 0x0002_0000 | 0x7e00_0000 | CLONE_PIDFD;

/// The common part of clone and clone3.
pub struct CloneArgs {
    pub flags: u64,
    pub exit_signal: u8,
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    pub tls: u64,
}

pub fn clone(
    k: &mut Kernel,
    tid: Pid,
    flags: u64,
    stack: u64,
    ptid: u64,
    ctid: u64,
    tls: u64,
) -> SysResult {
    let args = CloneArgs {
        flags: flags & !0xff,
        exit_signal: (flags & 0xff) as u8,
        stack,
        parent_tid: ptid,
        child_tid: ctid,
        tls,
    };
    do_clone(k, tid, args)
}

/// struct clone_args (clone3).
pub fn clone3(k: &mut Kernel, tid: Pid, uargs: u64, size: u64) -> SysResult {
    if !(64..=4096).contains(&size) {
        return Err(Errno::EINVAL.into());
    }
    let pid = k.pid_of(tid);
    let b = copy_in(k, pid, uargs, 64)?;
    let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
    let (flags, _pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls) =
        (w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7));
    if exit_signal > 64 {
        return Err(Errno::EINVAL.into());
    }
    let args = CloneArgs {
        flags,
        exit_signal: exit_signal as u8,
        stack: if stack != 0 { stack + stack_size } else { 0 },
        parent_tid,
        child_tid,
        tls,
    };
    do_clone(k, tid, args)
}

fn do_clone(k: &mut Kernel, tid: Pid, a: CloneArgs) -> SysResult {
    let f = a.flags;
    if f & CLONE_UNSUPPORTED != 0 {
        return Err(Errno::EINVAL.into());
    }
    if f & CLONE_THREAD != 0 && f & CLONE_SIGHAND == 0
        || f & CLONE_SIGHAND != 0 && f & CLONE_VM == 0
    {
        return Err(Errno::EINVAL.into());
    }
    let parent_task = k.tasks.get(&tid).ok_or(Errno::ESRCH)?;
    let mut cpu = parent_task.cpu.clone();
    let sigmask = parent_task.sigmask;
    let pid = parent_task.pid;
    let new_tid = k.alloc_pid();
    cpu.x[10] = 0;
    cpu.pc += 4;
    cpu.clear_reservation();
    if a.stack != 0 {
        cpu.x[2] = a.stack;
    }
    if f & CLONE_SETTLS != 0 {
        cpu.x[4] = a.tls;
    }
    let child_pid = if f & CLONE_THREAD != 0 {
        pid
    } else {
        let parent = k.procs.get(&pid).ok_or(Errno::ESRCH)?;
        let mm = if f & CLONE_VM != 0 {
            parent.mm.clone()
        } else {
            let forked = parent.mm.borrow_mut().fork();
            Rc::new(RefCell::new(forked))
        };
        let fds = if f & CLONE_FILES != 0 {
            parent.fds.clone()
        } else {
            Rc::new(RefCell::new(parent.fds.borrow().clone()))
        };
        let fs = if f & CLONE_FS != 0 {
            parent.fs.clone()
        } else {
            Rc::new(RefCell::new(parent.fs.borrow().clone()))
        };
        let sigactions = if f & CLONE_SIGHAND != 0 {
            parent.sigactions.clone()
        } else {
            Rc::new(RefCell::new(parent.sigactions.borrow().clone()))
        };
        let ppid = if f & CLONE_PARENT != 0 {
            parent.ppid
        } else {
            pid
        };
        let proc = Process {
            pid: new_tid,
            ppid,
            pgid: parent.pgid,
            sid: parent.sid,
            mm,
            fds,
            fs,
            sigactions,
            pending: 0,
            brk_start: parent.brk_start,
            brk: parent.brk,
            exe: parent.exe.clone(),
            comm: parent.comm.clone(),
            cmdline: parent.cmdline.clone(),
            uid: parent.uid,
            gid: parent.gid,
            state: ProcState::Alive,
            exit_signal: a.exit_signal,
            wait_report: None,
            vfork_parent: if f & CLONE_VFORK != 0 {
                Some(tid)
            } else {
                None
            },
            did_exec: false,
            start_ns: k.host.monotonic_ns(),
        };
        k.procs.insert(new_tid, proc);
        new_tid
    };
    let mut task = Task::new(new_tid, child_pid, cpu);
    task.sigmask = sigmask;
    if f & CLONE_CHILD_CLEARTID != 0 {
        task.clear_child_tid = a.child_tid;
    }
    k.tasks.insert(new_tid, task);
    let tid_bytes = (new_tid as u32).to_le_bytes();
    if f & CLONE_PARENT_SETTID != 0 {
        let _ = copy_out(k, pid, a.parent_tid, &tid_bytes);
    }
    if f & CLONE_CHILD_SETTID != 0 {
        let _ = copy_out(k, child_pid, a.child_tid, &tid_bytes);
    }
    if f & CLONE_VFORK != 0 {
        // The parent resumes (with the child's pid) once the child execs or exits.
        if let Some(t) = k.tasks.get_mut(&tid) {
            t.cpu.x[10] = new_tid as u64;
            t.cpu.pc += 4;
            t.block(Wait::Vfork(new_tid), None);
        }
        return Err(SysError::NoReturn);
    }
    Ok(new_tid as u64)
}

/// Linux's limits on execve arguments: one string (MAX_ARG_STRLEN) and
/// all of argv + envp (a quarter of the default 8 MiB stack limit).
const MAX_ARG_STRLEN: usize = 32 * 4096;
const MAX_ARG_TOTAL: usize = 2 << 20;

fn read_string_array(k: &mut Kernel, pid: Pid, mut addr: u64) -> Result<Vec<Vec<u8>>, SysError> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    let mut total = 0;
    loop {
        let b = copy_in(k, pid, addr, 8)?;
        let p = u64::from_le_bytes(b.try_into().unwrap_or_default());
        if p == 0 {
            return Ok(out);
        }
        let s = {
            let proc = k.procs.get(&pid).ok_or(Errno::ESRCH)?;
            let mut mm = proc.mm.borrow_mut();
            mm.read_cstr(p, MAX_ARG_STRLEN).map_err(|_| Errno::EFAULT)?
        };
        if s.len() >= MAX_ARG_STRLEN {
            return Err(Errno::E2BIG.into());
        }
        total += s.len() + 1 + 8;
        out.push(s);
        if total > MAX_ARG_TOTAL {
            return Err(Errno::E2BIG.into());
        }
        addr += 8;
    }
}

pub fn execve(k: &mut Kernel, tid: Pid, path: u64, argv: u64, envp: u64) -> SysResult {
    let pid = k.pid_of(tid);
    let path = read_path(k, pid, path)?;
    let argv = read_string_array(k, pid, argv)?;
    let envp = read_string_array(k, pid, envp)?;
    if path.is_empty() {
        return Err(Errno::ENOENT.into());
    }
    let image = exec::load_program(k, pid, &path, argv, &envp).map_err(|e| e.errno())?;
    // Past the point of no return: the other threads go, the image is replaced.
    let others: Vec<Pid> = k
        .tasks
        .values()
        .filter(|t| t.pid == pid && t.tid != tid)
        .map(|t| t.tid)
        .collect();
    for t in others {
        k.tasks.remove(&t);
    }
    let Some(p) = k.procs.get_mut(&pid) else {
        return Err(SysError::NoReturn);
    };
    p.mm = Rc::new(RefCell::new(image.mm));
    p.brk_start = image.brk;
    p.brk = image.brk;
    p.exe = image.exe;
    p.cmdline = image.cmdline;
    p.comm = image.comm;
    p.did_exec = true;
    // Unshare what exec unshares, then apply close-on-exec.
    let fds = p.fds.borrow().clone();
    p.fds = Rc::new(RefCell::new(fds));
    p.fds.borrow_mut().close_on_exec();
    let mut actions = p.sigactions.borrow().clone();
    actions.reset_for_exec();
    p.sigactions = Rc::new(RefCell::new(actions));
    p.vfork_parent = None;
    if let Some(t) = k.tasks.get_mut(&tid) {
        t.cpu = image.cpu;
        t.clear_child_tid = 0;
        t.altstack = (0, 0, 2);
        t.robust_list = 0;
    }
    Err(SysError::NoReturn)
}

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
    k.exit_task(tid);
    Err(SysError::NoReturn)
}

pub fn exit_group(k: &mut Kernel, pid: Pid, code: i32) -> SysResult {
    k.exit_process(pid, status_exited(code));
    Err(SysError::NoReturn)
}

const WNOHANG: u32 = 1;
const WUNTRACED: u32 = 2;
const WEXITED: u32 = 4;
const WCONTINUED: u32 = 8;
const WNOWAIT: u32 = 0x0100_0000;
const P_ALL: u32 = 0;
const P_PID: u32 = 1;
const P_PGID: u32 = 2;

/// Which children a wait call is about.
#[derive(Clone, Copy)]
enum Who {
    Any,
    Pid(Pid),
    Pgid(Pid),
}

/// A reportable child state: (pid, wait status, is an exit).
fn find_child(
    k: &Kernel,
    parent: Pid,
    who: Who,
    opts: u32,
) -> Result<Option<(Pid, i32, bool)>, Errno> {
    let mut any = false;
    for c in k.procs.values().filter(|c| c.ppid == parent) {
        let matches = match who {
            Who::Any => true,
            Who::Pid(p) => c.pid == p,
            Who::Pgid(g) => c.pgid == g,
        };
        if !matches {
            continue;
        }
        any = true;
        if let ProcState::Zombie(st) = c.state {
            if opts & WEXITED != 0 {
                return Ok(Some((c.pid, st, true)));
            }
        } else if let Some(st) = c.wait_report {
            let stopped = st & 0xff == 0x7f;
            if (stopped && opts & WUNTRACED != 0) || (st == 0xffff && opts & WCONTINUED != 0) {
                return Ok(Some((c.pid, st, false)));
            }
        }
    }
    if any {
        Ok(None)
    } else {
        Err(Errno::ECHILD)
    }
}

pub fn wait4(
    k: &mut Kernel,
    tid: Pid,
    upid: i32,
    wstatus: u64,
    opts: u32,
    rusage: u64,
) -> SysResult {
    let pid = k.pid_of(tid);
    let who = match upid {
        -1 => Who::Any,
        0 => Who::Pgid(k.procs.get(&pid).map(|p| p.pgid).unwrap_or(pid)),
        p if p < -1 => Who::Pgid(-p),
        p => Who::Pid(p),
    };
    match find_child(k, pid, who, opts | WEXITED)? {
        Some((cpid, status, exited)) => {
            if wstatus != 0 {
                copy_out(k, pid, wstatus, &status.to_le_bytes())?;
            }
            if rusage != 0 {
                copy_out(k, pid, rusage, &[0u8; 144])?;
            }
            reap(k, cpid, exited);
            Ok(cpid as u64)
        }
        None if opts & WNOHANG != 0 => Ok(0),
        None => Err(SysError::Block(Wait::Child)),
    }
}

fn reap(k: &mut Kernel, cpid: Pid, exited: bool) {
    if exited {
        k.procs.remove(&cpid);
    } else if let Some(c) = k.procs.get_mut(&cpid) {
        c.wait_report = None;
    }
}

pub fn waitid(k: &mut Kernel, tid: Pid, idtype: u32, id: i32, infop: u64, opts: u32) -> SysResult {
    let pid = k.pid_of(tid);
    let who = match idtype {
        P_ALL => Who::Any,
        P_PID => Who::Pid(id),
        P_PGID => Who::Pgid(if id == 0 {
            k.procs.get(&pid).map(|p| p.pgid).unwrap_or(pid)
        } else {
            id
        }),
        _ => return Err(Errno::EINVAL.into()),
    };
    if opts & (WEXITED | WUNTRACED | WCONTINUED) == 0 {
        return Err(Errno::EINVAL.into());
    }
    match find_child(k, pid, who, opts)? {
        Some((cpid, status, exited)) => {
            if infop != 0 {
                let (code, st) = if exited {
                    if status & 0x7f == 0 {
                        (CLD_EXITED, (status >> 8) & 0xff)
                    } else if status & 0x80 != 0 {
                        (CLD_DUMPED, status & 0x7f)
                    } else {
                        (CLD_KILLED, status & 0x7f)
                    }
                } else if status == 0xffff {
                    (CLD_CONTINUED, SIGCONT as i32)
                } else {
                    (CLD_STOPPED, (status >> 8) & 0xff)
                };
                let info = SigInfo {
                    signo: SIGCHLD,
                    code,
                    pid: cpid,
                    status: st,
                    ..SigInfo::default()
                };
                copy_out(k, pid, infop, &info.encode())?;
            }
            if opts & WNOWAIT == 0 {
                reap(k, cpid, exited);
            }
            Ok(0)
        }
        None if opts & WNOHANG != 0 => {
            if infop != 0 {
                copy_out(k, pid, infop, &[0u8; 128])?;
            }
            Ok(0)
        }
        None => Err(SysError::Block(Wait::Child)),
    }
}

pub fn set_tid_address(k: &mut Kernel, tid: Pid, addr: u64) -> SysResult {
    if let Some(t) = k.tasks.get_mut(&tid) {
        t.clear_child_tid = addr;
    }
    Ok(tid as u64)
}

pub fn umask(k: &mut Kernel, pid: Pid, mask: u32) -> SysResult {
    let p = k.procs.get(&pid).ok_or(Errno::ESRCH)?;
    let mut fs = p.fs.borrow_mut();
    let old = fs.umask;
    fs.umask = mask & 0o777;
    Ok(old as u64)
}

pub fn getpgid(k: &mut Kernel, pid: Pid, target: i32) -> SysResult {
    let t = if target == 0 { pid } else { target };
    Ok(k.procs
        .get(&t)
        .filter(|p| p.state == ProcState::Alive)
        .ok_or(Errno::ESRCH)?
        .pgid as u64)
}

pub fn getsid(k: &mut Kernel, pid: Pid, target: i32) -> SysResult {
    let t = if target == 0 { pid } else { target };
    Ok(k.procs.get(&t).ok_or(Errno::ESRCH)?.sid as u64)
}

pub fn setpgid(k: &mut Kernel, pid: Pid, target: i32, pgid: i32) -> SysResult {
    let t = if target == 0 { pid } else { target };
    if pgid < 0 {
        return Err(Errno::EINVAL.into());
    }
    let caller_sid = k.procs.get(&pid).ok_or(Errno::ESRCH)?.sid;
    let p = k.procs.get(&t).ok_or(Errno::ESRCH)?;
    if t != pid && (p.ppid != pid || p.state != ProcState::Alive) {
        return Err(Errno::ESRCH.into());
    }
    if t != pid && p.did_exec {
        return Err(Errno::EACCES.into());
    }
    if p.sid != caller_sid || p.pid == p.sid {
        return Err(Errno::EPERM.into());
    }
    let new = if pgid == 0 { t } else { pgid };
    if new != t
        && !k
            .procs
            .values()
            .any(|q| q.pgid == new && q.sid == caller_sid)
    {
        return Err(Errno::EPERM.into());
    }
    if let Some(p) = k.procs.get_mut(&t) {
        p.pgid = new;
    }
    Ok(0)
}

pub fn setsid(k: &mut Kernel, pid: Pid) -> SysResult {
    if k.procs.values().any(|q| q.pgid == pid) {
        return Err(Errno::EPERM.into());
    }
    let p = k.procs.get_mut(&pid).ok_or(Errno::ESRCH)?;
    p.sid = pid;
    p.pgid = pid;
    Ok(pid as u64)
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
    if target != 0 && !k.procs.contains_key(&target) {
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

/// struct sysinfo (riscv64: 112 bytes).
pub fn sysinfo(k: &mut Kernel, pid: Pid, buf: u64) -> SysResult {
    let up = (k.host.monotonic_ns().saturating_sub(k.boot_ns)) / 1_000_000_000;
    let total = k.budget.limit();
    let used = k.budget.used();
    let mut b = [0u8; 112];
    b[0..8].copy_from_slice(&(up as i64).to_le_bytes());
    b[32..40].copy_from_slice(&total.to_le_bytes());
    b[40..48].copy_from_slice(&total.saturating_sub(used).to_le_bytes());
    b[80..82].copy_from_slice(&(k.procs.len() as u16).to_le_bytes());
    b[104..108].copy_from_slice(&1u32.to_le_bytes());
    copy_out(k, pid, buf, &b)?;
    Ok(0)
}

/// times(): user time is derived from retired instructions (100 ticks/s at ~100 MIPS).
pub fn times(k: &mut Kernel, pid: Pid, buf: u64) -> SysResult {
    let ticks = (k.host.monotonic_ns().saturating_sub(k.boot_ns)) / 10_000_000;
    if buf != 0 {
        let insns: u64 = k
            .tasks
            .values()
            .filter(|t| t.pid == pid)
            .map(|t| t.cpu.instret)
            .sum();
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&(insns / 1_000_000).to_le_bytes());
        copy_out(k, pid, buf, &b)?;
    }
    Ok(ticks)
}

pub fn getrusage(k: &mut Kernel, pid: Pid, buf: u64) -> SysResult {
    copy_out(k, pid, buf, &[0u8; 144])?;
    Ok(0)
}

pub fn getresid(k: &mut Kernel, pid: Pid, r: u64, e: u64, s: u64) -> SysResult {
    for a in [r, e, s] {
        if a != 0 {
            copy_out(k, pid, a, &0u32.to_le_bytes())?;
        }
    }
    Ok(0)
}

pub fn prctl(k: &mut Kernel, pid: Pid, option: u64, arg2: u64) -> SysResult {
    const PR_SET_PDEATHSIG: u64 = 1;
    const PR_GET_DUMPABLE: u64 = 3;
    const PR_SET_DUMPABLE: u64 = 4;
    const PR_SET_NAME: u64 = 15;
    const PR_GET_NAME: u64 = 16;
    const PR_SET_NO_NEW_PRIVS: u64 = 38;
    const PR_GET_NO_NEW_PRIVS: u64 = 39;
    const PR_SET_CHILD_SUBREAPER: u64 = 36;
    const PR_CAPBSET_READ: u64 = 23;
    match option {
        PR_SET_PDEATHSIG | PR_SET_DUMPABLE | PR_SET_NO_NEW_PRIVS | PR_SET_CHILD_SUBREAPER => Ok(0),
        PR_GET_DUMPABLE => Ok(1),
        PR_GET_NO_NEW_PRIVS => Ok(0),
        PR_CAPBSET_READ => Ok(1),
        PR_SET_NAME => {
            let raw = copy_in(k, pid, arg2, 16)?;
            let len = raw.iter().position(|&c| c == 0).unwrap_or(16).min(15);
            if let Some(p) = k.procs.get_mut(&pid) {
                p.comm = raw[..len].to_vec();
            }
            Ok(0)
        }
        PR_GET_NAME => {
            let mut name = k
                .procs
                .get(&pid)
                .map(|p| p.comm.clone())
                .unwrap_or_default();
            name.resize(16, 0);
            copy_out(k, pid, arg2, &name)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL.into()),
    }
}

/// pidfd_open: a descriptor that polls readable when `target` exits.
pub fn pidfd_open(k: &mut Kernel, pid: Pid, target: i32, flags: u32) -> SysResult {
    use crate::kernel::fd::{FileKind, OpenFile, O_NONBLOCK, O_RDWR};
    if flags & !O_NONBLOCK != 0 {
        return Err(Errno::EINVAL.into());
    }
    if !k
        .procs
        .get(&target)
        .is_some_and(|p| p.pid == target && p.state == ProcState::Alive)
    {
        return Err(Errno::ESRCH.into());
    }
    let file = OpenFile::new(
        FileKind::PidFd(target),
        O_RDWR | flags,
        b"anon_inode:[pidfd]".to_vec(),
    );
    // Linux always sets close-on-exec on a pidfd.
    super::install_file(k, pid, file, true)
}

/// pidfd_send_signal without siginfo: kill(2) on the descriptor's process.
pub fn pidfd_send_signal(k: &mut Kernel, pid: Pid, fd: i32, sig: u64, flags: u32) -> SysResult {
    use crate::kernel::fd::FileKind;
    if flags != 0 {
        return Err(Errno::EINVAL.into());
    }
    let file = file_of(k, pid, fd)?;
    let target = match file.borrow().kind {
        FileKind::PidFd(t) => t,
        _ => return Err(Errno::EBADF.into()),
    };
    if k.procs
        .get(&target)
        .is_none_or(|p| p.state != ProcState::Alive)
    {
        return Err(Errno::ESRCH.into());
    }
    super::sig::kill(k, pid, target, sig)
}
