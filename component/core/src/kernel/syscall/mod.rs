//! System-call dispatch. Arguments come in a0-a5, the number in a7, the
//! result goes to a0 (negative errno on failure), as on Linux riscv64.

pub mod epoll;
pub mod fs;
pub mod futex;
pub mod hwprobe;
pub mod mm;
pub mod names;
pub mod net;
pub mod poll;
pub mod proc;
pub mod sig;
pub mod signalfd;
pub mod time;
pub mod timerfd;
pub mod tty;

use super::errno::Errno;
use super::fd::FileRef;
use super::{Kernel, Pid, Wait};

/// Why a handler did not return a value.
#[derive(Debug, Clone)]
pub enum SysError {
    Errno(Errno),
    /// Block the task; the `ecall` is re-executed when the wait is over.
    Block(Wait),
    /// The task is gone (exit); there is no register to write.
    NoReturn,
}

impl From<Errno> for SysError {
    fn from(e: Errno) -> Self {
        SysError::Errno(e)
    }
}

pub type SysResult = Result<u64, SysError>;

/// Install `file` at the lowest free descriptor of process `pid`, marked
/// close-on-exec when `cloexec`; returns the descriptor (EMFILE when full).
pub fn install_file(k: &Kernel, pid: Pid, file: FileRef, cloexec: bool) -> SysResult {
    let p = k.procs.get(&pid).ok_or(Errno::ESRCH)?;
    Ok(p.fds.borrow_mut().insert(file, cloexec)? as u64)
}

/// The open file behind descriptor `fd` of process `pid` (EBADF if none).
pub fn file_of(k: &Kernel, pid: Pid, fd: i32) -> Result<FileRef, SysError> {
    let p = k.procs.get(&pid).ok_or(Errno::ESRCH)?;
    Ok(p.fds.borrow().file(fd)?)
}

/// Syscalls that are expected to be missing and are not worth a notice.
const QUIET_ENOSYS: &[u64] = &[names::RSEQ];

/// Handle the `ecall` of task `tid`.
pub fn dispatch(k: &mut Kernel, tid: Pid) {
    let Some(task) = k.tasks.get(&tid) else {
        return;
    };
    let x = &task.cpu.x;
    let nr = x[17];
    let a = [x[10], x[11], x[12], x[13], x[14], x[15]];
    let result = call(k, tid, nr, a);
    // Shared file pages these calls unmapped go back to their files.
    if !k.pages.is_empty()
        && matches!(
            nr,
            names::MUNMAP | names::MREMAP | names::MMAP | names::EXECVE
        )
    {
        k.pages.gc(&mut k.vfs);
    }
    if k.strace && !matches!(result, Err(SysError::Block(_))) {
        trace(k, tid, nr, &a, &result);
    }
    let Some(task) = k.tasks.get_mut(&tid) else {
        return;
    };
    match result {
        Ok(v) => {
            task.cpu.x[10] = v;
            task.cpu.pc += 4;
        }
        Err(SysError::Errno(e)) => {
            task.cpu.x[10] = (-(e.0 as i64)) as u64;
            task.cpu.pc += 4;
        }
        Err(SysError::Block(w)) => task.block(w, None),
        Err(SysError::NoReturn) => {}
    }
}

fn call(k: &mut Kernel, tid: Pid, nr: u64, a: [u64; 6]) -> SysResult {
    use names::*;
    let pid = k.pid_of(tid);
    // File times: what this call creates or writes is stamped with now.
    k.vfs.set_clock(k.host.realtime_ns());
    match nr {
        // files
        GETCWD => fs::getcwd(k, pid, a[0], a[1]),
        DUP => fs::dup(k, pid, a[0] as i32),
        DUP3 => fs::dup3(k, pid, a[0] as i32, a[1] as i32, a[2] as u32),
        PIPE2 => fs::pipe2(k, pid, a[0], a[1] as u32),
        FCNTL => fs::fcntl(k, pid, a[0] as i32, a[1] as u32, a[2]),
        IOCTL => tty::ioctl(k, tid, a[0] as i32, a[1] as u32, a[2]),
        MKDIRAT => fs::mkdirat(k, pid, a[0] as i32, a[1], a[2] as u32),
        UNLINKAT => fs::unlinkat(k, pid, a[0] as i32, a[1], a[2] as u32),
        FACCESSAT | FACCESSAT2 => fs::faccessat(k, pid, a[0] as i32, a[1], a[2] as u32),
        CHDIR => fs::chdir(k, pid, a[0]),
        FCHDIR => fs::fchdir(k, pid, a[0] as i32),
        OPENAT => fs::openat(k, pid, a[0] as i32, a[1], a[2] as u32, a[3] as u32),
        CLOSE => fs::close(k, pid, a[0] as i32),
        GETDENTS64 => fs::getdents64(k, pid, a[0] as i32, a[1], a[2]),
        LSEEK => fs::lseek(k, pid, a[0] as i32, a[1] as i64, a[2] as u32),
        READ => fs::read(k, tid, a[0] as i32, a[1], a[2]),
        WRITE => fs::write(k, tid, a[0] as i32, a[1], a[2]),
        READV => fs::readv(k, tid, a[0] as i32, a[1], a[2]),
        WRITEV => fs::writev(k, tid, a[0] as i32, a[1], a[2]),
        PREAD64 => fs::pread(k, tid, a[0] as i32, a[1], a[2], a[3]),
        PWRITE64 => fs::pwrite(k, tid, a[0] as i32, a[1], a[2], a[3]),
        READLINKAT => fs::readlinkat(k, pid, a[0] as i32, a[1], a[2], a[3]),
        NEWFSTATAT => fs::newfstatat(k, pid, a[0] as i32, a[1], a[2], a[3] as u32),
        FSTAT => fs::fstat(k, pid, a[0] as i32, a[1]),
        STATX => fs::statx(k, pid, a[0] as i32, a[1], a[2] as u32, a[4]),
        UMASK => proc::umask(k, pid, a[0] as u32),
        FSYNC | FDATASYNC => fs::fsync(k, pid, a[0] as i32),
        SYNC_FILE_RANGE => {
            fs::sync_file_range(k, pid, a[0] as i32, a[1] as i64, a[2] as i64, a[3] as u32)
        }
        SYNC | SYNCFS => Ok(0),
        RENAMEAT => fs::renameat2(k, pid, a[0] as i32, a[1], a[2] as i32, a[3], 0),
        RENAMEAT2 => fs::renameat2(k, pid, a[0] as i32, a[1], a[2] as i32, a[3], a[4] as u32),
        LINKAT => fs::linkat(k, pid, a[0] as i32, a[1], a[2] as i32, a[3], a[4] as u32),
        SYMLINKAT => fs::symlinkat(k, pid, a[0], a[1] as i32, a[2]),
        FCHMODAT | FCHMODAT2 => fs::fchmodat(
            k,
            pid,
            a[0] as i32,
            a[1],
            a[2] as u32,
            if nr == FCHMODAT2 { a[3] as u32 } else { 0 },
        ),
        FCHMOD => fs::fchmod(k, pid, a[0] as i32, a[1] as u32),
        FCHOWNAT => fs::fchownat(
            k,
            pid,
            a[0] as i32,
            a[1],
            a[2] as u32,
            a[3] as u32,
            a[4] as u32,
        ),
        FCHOWN => fs::fchown(k, pid, a[0] as i32, a[1] as u32, a[2] as u32),
        UTIMENSAT => fs::utimensat(k, pid, a[0] as i32, a[1], a[2], a[3] as u32),
        FTRUNCATE => fs::ftruncate(k, pid, a[0] as i32, a[1]),
        TRUNCATE => fs::truncate(k, pid, a[0], a[1]),
        FALLOCATE => fs::fallocate(k, pid, a[0] as i32, a[1] as u32, a[2], a[3]),
        STATFS => fs::statfs(k, pid, a[0], a[1]),
        FSTATFS => fs::fstatfs(k, pid, a[0] as i32, a[1]),
        CLOSE_RANGE => fs::close_range(k, pid, a[0] as u32, a[1] as u32, a[2] as u32),
        MEMFD_CREATE => fs::memfd_create(k, pid, a[0], a[1] as u32),
        MKNODAT => fs::mknodat(k, pid, a[0] as i32, a[1], a[2] as u32),
        SENDFILE => fs::sendfile(k, tid, a[0] as i32, a[1] as i32, a[2], a[3]),
        COPY_FILE_RANGE => fs::copy_file_range(k, tid, a[0] as i32, a[1], a[2] as i32, a[3], a[4]),
        SETXATTR | LSETXATTR | FSETXATTR | GETXATTR | LGETXATTR | FGETXATTR | LISTXATTR
        | LLISTXATTR | FLISTXATTR | REMOVEXATTR | LREMOVEXATTR | FREMOVEXATTR => fs::xattr(nr),
        FLOCK | FADVISE64 | MLOCK | MUNLOCK | MLOCKALL | MUNLOCKALL => Ok(0),
        MSYNC => mm::msync(k, pid, a[0], a[1], a[2] as u32),
        // Identity: one root user; setting ids to what they are succeeds.
        SETUID | SETGID | SETREUID | SETREGID | SETRESUID | SETRESGID | SETFSUID | SETFSGID
        | SETGROUPS => Ok(0),
        GETGROUPS => Ok(0),
        GETRESUID | GETRESGID => proc::getresid(k, pid, a[0], a[1], a[2]),
        GETPRIORITY => Ok(20),
        SETPRIORITY | SCHED_SETAFFINITY | SCHED_SETSCHEDULER | SCHED_SETPARAM => Ok(0),
        SCHED_GETSCHEDULER => Ok(0),
        SCHED_GETPARAM => copy_out(k, pid, a[1], &[0u8; 4]).map(|_| 0),
        SCHED_GET_PRIORITY_MAX | SCHED_GET_PRIORITY_MIN => Ok(0),
        GETCPU => {
            if a[0] != 0 {
                copy_out(k, pid, a[0], &0u32.to_le_bytes())?;
            }
            if a[1] != 0 {
                copy_out(k, pid, a[1], &0u32.to_le_bytes())?;
            }
            Ok(0)
        }
        PRCTL => proc::prctl(k, pid, a[0], a[1]),
        MEMBARRIER => Ok(if a[0] == 0 { 0b1_1001 } else { 0 }),
        GET_ROBUST_LIST => Err(Errno::ENOSYS.into()),
        // memory
        BRK => mm::brk(k, pid, a[0]),
        MMAP => mm::mmap(
            k,
            pid,
            a[0],
            a[1],
            a[2] as u32,
            a[3] as u32,
            a[4] as i32,
            a[5],
        ),
        MUNMAP => mm::munmap(k, pid, a[0], a[1]),
        MPROTECT => mm::mprotect(k, pid, a[0], a[1], a[2] as u32),
        MREMAP => mm::mremap(k, pid, a[0], a[1], a[2], a[3] as u32, a[4]),
        MADVISE => mm::madvise(k, pid, a[0], a[1], a[2] as u32),
        // processes
        // riscv64 passes (flags, stack, parent_tid, tls, child_tid).
        CLONE => proc::clone(k, tid, a[0], a[1], a[2], a[4], a[3]),
        CLONE3 => proc::clone3(k, tid, a[0], a[1]),
        EXECVE => proc::execve(k, tid, a[0], a[1], a[2]),
        WAIT4 => proc::wait4(k, tid, a[0] as i32, a[1], a[2] as u32, a[3]),
        WAITID => proc::waitid(k, tid, a[0] as u32, a[1] as i32, a[2], a[3] as u32),
        EXIT => proc::exit(k, tid, a[0] as i32),
        EXIT_GROUP => proc::exit_group(k, pid, a[0] as i32),
        SET_TID_ADDRESS => proc::set_tid_address(k, tid, a[0]),
        SET_ROBUST_LIST => {
            if let Some(t) = k.tasks.get_mut(&tid) {
                t.robust_list = a[0];
            }
            Ok(0)
        }
        FUTEX => futex::futex(
            k,
            tid,
            a[0],
            a[1] as u32,
            a[2] as u32,
            a[3],
            a[4],
            a[5] as u32,
        ),
        GETPGID => proc::getpgid(k, pid, a[0] as i32),
        SETPGID => proc::setpgid(k, pid, a[0] as i32, a[1] as i32),
        GETSID => proc::getsid(k, pid, a[0] as i32),
        SETSID => proc::setsid(k, pid),
        SYSINFO => proc::sysinfo(k, pid, a[0]),
        RISCV_HWPROBE => hwprobe::riscv_hwprobe(k, pid, a[0], a[1], a[4]),
        TIMES => proc::times(k, pid, a[0]),
        GETRUSAGE => proc::getrusage(k, pid, a[1]),
        KILL => sig::kill(k, pid, a[0] as i32, a[1]),
        TKILL => sig::tgkill(k, pid, -1, a[0] as i32, a[1]),
        TGKILL => sig::tgkill(k, pid, a[0] as i32, a[1] as i32, a[2]),
        RT_SIGACTION => sig::rt_sigaction(k, pid, a[0], a[1], a[2], a[3]),
        RT_SIGPROCMASK => sig::rt_sigprocmask(k, tid, a[0], a[1], a[2], a[3]),
        RT_SIGPENDING => sig::rt_sigpending(k, tid, a[0]),
        RT_SIGSUSPEND => sig::rt_sigsuspend(k, tid, a[0]),
        RT_SIGTIMEDWAIT => sig::rt_sigtimedwait(k, tid, a[0], a[1], a[2]),
        RT_SIGQUEUEINFO => sig::rt_sigqueueinfo(k, pid, a[0] as i32, a[1], a[2]),
        RT_SIGRETURN => sig::rt_sigreturn(k, tid),
        SIGALTSTACK => sig::sigaltstack(k, tid, a[0], a[1]),
        SIGNALFD4 => signalfd::signalfd4(k, pid, a[0] as i32, a[1], a[2], a[3] as u32),
        EVENTFD2 => epoll::eventfd2(k, pid, a[0] as u32, a[1] as u32),
        EPOLL_CREATE1 => epoll::epoll_create1(k, pid, a[0] as u32),
        EPOLL_CTL => epoll::epoll_ctl(k, pid, a[0] as i32, a[1] as u32, a[2] as i32, a[3]),
        EPOLL_PWAIT | EPOLL_PWAIT2 => {
            let timeout = if nr == EPOLL_PWAIT2 {
                if a[3] == 0 {
                    -1
                } else {
                    let ns = time::read_timespec(k, pid, a[3])?;
                    (ns / 1_000_000).min(i32::MAX as u64) as i32
                }
            } else {
                a[3] as i32
            };
            epoll::epoll_pwait(k, tid, a[0] as i32, a[1], a[2] as i32, timeout, a[4])
        }
        PPOLL => poll::ppoll(k, tid, a[0], a[1], a[2], a[3]),
        PSELECT6 => poll::pselect6(k, tid, a[0], a[1], a[2], a[3], a[4], a[5]),
        GETPID => Ok(pid as u64),
        GETPPID => Ok(k.procs.get(&pid).map(|p| p.ppid).unwrap_or(0) as u64),
        GETTID => Ok(tid as u64),
        GETUID | GETEUID => Ok(k.procs.get(&pid).map(|p| p.uid).unwrap_or(0) as u64),
        GETGID | GETEGID => Ok(k.procs.get(&pid).map(|p| p.gid).unwrap_or(0) as u64),
        UNAME => proc::uname(k, pid, a[0]),
        PRLIMIT64 => proc::prlimit64(k, pid, a[0] as i32, a[1] as u32, a[2], a[3]),
        GETRLIMIT => proc::prlimit64(k, pid, 0, a[0] as u32, 0, a[1]),
        GETRANDOM => proc::getrandom(k, pid, a[0], a[1]),
        SCHED_YIELD => Ok(0),
        SCHED_GETAFFINITY => proc::sched_getaffinity(k, pid, a[1], a[2]),
        // sockets (AF_UNIX)
        SOCKET => net::socket(k, pid, a[0] as u32, a[1] as u32, a[2] as u32),
        SOCKETPAIR => net::socketpair(k, pid, a[0] as u32, a[1] as u32, a[2] as u32, a[3]),
        BIND => net::bind(k, pid, a[0] as i32, a[1], a[2] as u32),
        LISTEN => net::listen(k, pid, a[0] as i32, a[1] as i32),
        ACCEPT => net::accept4(k, pid, a[0] as i32, a[1], a[2], 0),
        ACCEPT4 => net::accept4(k, pid, a[0] as i32, a[1], a[2], a[3] as u32),
        CONNECT => net::connect(k, pid, a[0] as i32, a[1], a[2] as u32),
        GETSOCKNAME => net::getsockname(k, pid, a[0] as i32, a[1], a[2]),
        GETPEERNAME => net::getpeername(k, pid, a[0] as i32, a[1], a[2]),
        SENDTO => net::sendto(
            k,
            pid,
            a[0] as i32,
            a[1],
            a[2],
            a[3] as u32,
            a[4],
            a[5] as u32,
        ),
        RECVFROM => net::recvfrom(k, pid, a[0] as i32, a[1], a[2], a[3] as u32, a[4], a[5]),
        SENDMSG => net::sendmsg(k, pid, a[0] as i32, a[1], a[2] as u32),
        RECVMSG => net::recvmsg(k, pid, a[0] as i32, a[1], a[2] as u32),
        SENDMMSG => net::sendmmsg(k, pid, a[0] as i32, a[1], a[2], a[3] as u32),
        RECVMMSG => net::recvmmsg(k, pid, a[0] as i32, a[1], a[2], a[3] as u32, a[4]),
        SHUTDOWN => net::shutdown(k, pid, a[0] as i32, a[1] as u32),
        GETSOCKOPT => net::getsockopt(k, pid, a[0] as i32, a[1] as u32, a[2] as u32, a[3], a[4]),
        SETSOCKOPT => net::setsockopt(k, pid, a[0] as i32, a[1] as u32),
        // time
        TIMERFD_CREATE => timerfd::timerfd_create(k, pid, a[0] as u32, a[1] as u32),
        TIMERFD_SETTIME => timerfd::timerfd_settime(k, pid, a[0] as i32, a[1] as u32, a[2], a[3]),
        TIMERFD_GETTIME => timerfd::timerfd_gettime(k, pid, a[0] as i32, a[1]),
        PIDFD_OPEN => proc::pidfd_open(k, pid, a[0] as i32, a[1] as u32),
        PIDFD_SEND_SIGNAL => proc::pidfd_send_signal(k, pid, a[0] as i32, a[1], a[3] as u32),
        CLOCK_GETTIME => time::clock_gettime(k, pid, a[0] as u32, a[1]),
        CLOCK_GETRES => time::clock_getres(k, pid, a[1]),
        GETTIMEOFDAY => time::gettimeofday(k, pid, a[0]),
        NANOSLEEP => time::nanosleep(k, tid, a[0]),
        SETITIMER => time::setitimer(k, pid, a[0] as u32, a[1], a[2]),
        GETITIMER => time::getitimer(k, pid, a[0] as u32, a[1]),
        CLOCK_NANOSLEEP => time::clock_nanosleep(k, tid, a[0] as u32, a[1] as u32, a[2]),
        _ => {
            if !QUIET_ENOSYS.contains(&nr) && k.reported.insert(nr) {
                let name = names::name(nr).unwrap_or("unknown");
                k.notice(&format!(
                    "system call {name} (number {nr}) is not implemented yet; returning ENOSYS"
                ));
            }
            Err(Errno::ENOSYS.into())
        }
    }
}

/// Block task `tid` on `wait` until `deadline` (monotonic ns), leaving its
/// pc on the ecall so the call restarts when woken.
pub fn block(k: &mut Kernel, tid: Pid, wait: Wait, deadline: Option<u64>) -> SysResult {
    if let Some(t) = k.tasks.get_mut(&tid) {
        t.block(wait, deadline);
    }
    Err(SysError::NoReturn)
}

/// Whether a call interrupted by a handler with SA_RESTART starts again
/// (Linux's ERESTARTSYS) rather than failing with EINTR.
pub fn restartable(nr: u64) -> bool {
    use names::*;
    matches!(
        nr,
        READ | WRITE
            | READV
            | WRITEV
            | PREAD64
            | PWRITE64
            | WAIT4
            | WAITID
            | FUTEX
            | OPENAT
            | IOCTL
            | FCNTL
            | FLOCK
            | ACCEPT
            | ACCEPT4
            | CONNECT
            | RECVFROM
            | SENDTO
            | RECVMSG
            | SENDMSG
            | RECVMMSG
            | SENDMMSG
    )
}

fn trace(k: &mut Kernel, tid: Pid, nr: u64, a: &[u64; 6], r: &SysResult) {
    let name = names::name(nr)
        .map(str::to_string)
        .unwrap_or_else(|| format!("syscall_{nr}"));
    let res = match r {
        Ok(v) => format!("{}", *v as i64),
        Err(SysError::Errno(e)) => format!("-{} (errno {})", e.0, e.0),
        Err(SysError::Block(w)) => format!("? <blocked {w:?}>"),
        Err(SysError::NoReturn) => "?".into(),
    };
    let line = format!(
        "[{tid}] {name}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}) = {res}\n",
        a[0], a[1], a[2], a[3], a[4], a[5]
    );
    k.host.write_output(2, line.as_bytes());
}

/// Copy a NUL-terminated path from guest memory.
pub fn read_path(k: &mut Kernel, pid: Pid, addr: u64) -> Result<Vec<u8>, SysError> {
    let p = k.procs.get_mut(&pid).ok_or(Errno::ESRCH)?;
    let s =
        p.mm.borrow_mut()
            .read_cstr(addr, 4096)
            .map_err(|_| Errno::EFAULT)?;
    if s.len() >= 4096 {
        return Err(Errno::ENAMETOOLONG.into());
    }
    if super::procfs::touches_proc(&s) {
        super::procfs::refresh(k, pid)?;
    }
    Ok(s)
}

pub fn copy_out(k: &mut Kernel, pid: Pid, addr: u64, data: &[u8]) -> Result<(), SysError> {
    let p = k.procs.get_mut(&pid).ok_or(Errno::ESRCH)?;
    p.mm.borrow_mut()
        .write(addr, data)
        .map_err(|_| Errno::EFAULT.into())
}

pub fn copy_in(k: &mut Kernel, pid: Pid, addr: u64, len: usize) -> Result<Vec<u8>, SysError> {
    let p = k.procs.get_mut(&pid).ok_or(Errno::ESRCH)?;
    let mut buf = vec![0u8; len];
    p.mm.borrow_mut()
        .read(addr, &mut buf)
        .map_err(|_| Errno::EFAULT)?;
    Ok(buf)
}
