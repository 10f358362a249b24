//! signalfd: a descriptor that reads pending signals instead of having them
//! delivered. The usual pattern blocks the signals with sigprocmask and
//! reads (or polls) the descriptor. Like Linux, what is readable depends on
//! who reads: the reading thread's own pending signals first, then its
//! process's; reading dequeues them.

use std::cell::RefCell;
use std::rc::Rc;

use super::poll::POLLIN;
use super::{copy_in, file_of, install_file, SysError, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::fd::{FileKind, OpenFile, O_CLOEXEC, O_NONBLOCK, O_RDWR};
use crate::kernel::signal::{
    SigInfo, SigSet, SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGSEGV, SIGSYS, SIGTRAP, SI_KERNEL, SI_USER,
    UNBLOCKABLE,
};
use crate::kernel::{Kernel, Pid, Wait};

const SFD_CLOEXEC: u32 = O_CLOEXEC;
const SFD_NONBLOCK: u32 = O_NONBLOCK;

/// Size of `struct signalfd_siginfo` (include/uapi/linux/signalfd.h).
pub const SIGNALFD_SIGINFO_SIZE: usize = 128;

#[derive(Debug)]
pub struct SignalFd {
    /// Signals this descriptor reads (never SIGKILL or SIGSTOP).
    pub mask: SigSet,
}

pub type SignalFdRef = Rc<RefCell<SignalFd>>;

/// signalfd4(fd, mask, sizemask, flags): a new descriptor when `fd` is -1,
/// else a new mask for the signalfd `fd` (EINVAL if it is not one).
pub fn signalfd4(k: &mut Kernel, pid: Pid, fd: i32, mask: u64, size: u64, flags: u32) -> SysResult {
    if flags & !(SFD_CLOEXEC | SFD_NONBLOCK) != 0 || size != 8 {
        return Err(Errno::EINVAL.into());
    }
    let raw = copy_in(k, pid, mask, 8)?;
    let mask = u64::from_le_bytes(raw.try_into().unwrap_or_default()) & !UNBLOCKABLE;
    if fd != -1 {
        let file = file_of(k, pid, fd)?;
        let f = file.borrow();
        let FileKind::SignalFd(s) = &f.kind else {
            return Err(Errno::EINVAL.into());
        };
        s.borrow_mut().mask = mask;
        return Ok(fd as u64);
    }
    let sfd = Rc::new(RefCell::new(SignalFd { mask }));
    let file = OpenFile::new(
        FileKind::SignalFd(sfd),
        O_RDWR | (flags & SFD_NONBLOCK),
        b"anon_inode:[signalfd]".to_vec(),
    );
    install_file(k, pid, file, flags & SFD_CLOEXEC != 0)
}

/// Readiness for the polling thread `tid`: readable while one of the
/// descriptor's signals is pending for it.
pub fn revents(k: &Kernel, tid: Pid, s: &SignalFdRef) -> i16 {
    if k.pending_for(tid) & s.borrow().mask != 0 {
        POLLIN
    } else {
        0
    }
}

/// read(2): as many `signalfd_siginfo` records as fit in `len`, each
/// dequeuing one pending signal; waits for the first unless non-blocking.
pub fn signalfd_read(
    k: &mut Kernel,
    tid: Pid,
    s: &SignalFdRef,
    len: usize,
    flags: u32,
) -> Result<Vec<u8>, SysError> {
    if len < SIGNALFD_SIGINFO_SIZE {
        return Err(Errno::EINVAL.into());
    }
    let mask = s.borrow().mask;
    let mut out = Vec::new();
    while out.len() + SIGNALFD_SIGINFO_SIZE <= len {
        let Some(info) = k.dequeue_signal(tid, mask) else {
            break;
        };
        out.extend_from_slice(&encode(&info));
    }
    if out.is_empty() {
        return Err(if flags & O_NONBLOCK != 0 {
            Errno::EAGAIN.into()
        } else {
            SysError::Block(Wait::SigWait(mask))
        });
    }
    Ok(out)
}

/// How Linux lays out a siginfo (`siginfo_layout` in kernel/signal.c),
/// which decides the `signalfd_siginfo` fields that are filled in.
#[derive(Debug, PartialEq, Eq)]
enum Layout {
    Kill,
    Fault,
    Chld,
    Poll,
    Sys,
    Rt,
}

const SI_TIMER: i32 = -2;
const SI_SIGIO: i32 = -5;
const NSIGPOLL: i32 = 6;

fn layout(sig: u8, code: i32) -> Layout {
    if code > SI_USER && code < SI_KERNEL {
        match sig {
            SIGILL | SIGFPE | SIGSEGV | SIGBUS | SIGTRAP => Layout::Fault,
            SIGCHLD => Layout::Chld,
            SIGSYS => Layout::Sys,
            _ if code <= NSIGPOLL => Layout::Poll,
            _ => Layout::Kill,
        }
    } else if code == SI_SIGIO {
        Layout::Poll
    } else if code < 0 && code != SI_TIMER {
        Layout::Rt
    } else {
        // SI_USER, SI_KERNEL (and POSIX timers, which this kernel has not).
        Layout::Kill
    }
}

/// `struct signalfd_siginfo` for a dequeued signal.
pub fn encode(info: &SigInfo) -> [u8; SIGNALFD_SIGINFO_SIZE] {
    let mut b = [0u8; SIGNALFD_SIGINFO_SIZE];
    let mut put32 = |off: usize, v: u32| b[off..off + 4].copy_from_slice(&v.to_le_bytes());
    put32(0, info.signo as u32);
    put32(4, info.errno as u32);
    put32(8, info.code as u32);
    let (pid, uid, status, int) = (
        info.pid as u32,
        info.uid,
        info.status as u32,
        info.value as u32,
    );
    let l = layout(info.signo, info.code);
    match l {
        Layout::Kill | Layout::Chld | Layout::Rt => {
            put32(12, pid);
            put32(16, uid);
        }
        _ => {}
    }
    match l {
        Layout::Chld => put32(40, status),
        Layout::Rt => put32(44, int),
        _ => {}
    }
    match l {
        Layout::Rt => b[48..56].copy_from_slice(&info.value.to_le_bytes()),
        Layout::Fault => b[72..80].copy_from_slice(&info.addr.to_le_bytes()),
        // Poll (band/fd) and Sys (syscall details) carry nothing this
        // kernel records.
        _ => {}
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::signal::{bit, CLD_EXITED, SIGKILL};
    use crate::kernel::testing;
    use crate::mm::{Prot, PAGE_SIZE};

    const MASK_AT: u64 = 0x10000;

    fn set_mask(k: &Kernel, pid: Pid, mask: SigSet) {
        let mm = k.procs[&pid].mm.clone();
        let mut mm = mm.borrow_mut();
        if !mm.is_mapped(MASK_AT, 8) {
            mm.map_anon(MASK_AT, PAGE_SIZE, Prot::READ | Prot::WRITE)
                .expect("map the mask page");
        }
        mm.write(MASK_AT, &mask.to_le_bytes())
            .expect("write the mask");
    }

    fn mask_of(k: &Kernel, pid: Pid, fd: i32) -> SigSet {
        let file = k.procs[&pid].fds.borrow().file(fd).expect("open fd");
        let f = file.borrow();
        match &f.kind {
            FileKind::SignalFd(s) => s.borrow().mask,
            other => panic!("fd {fd} is {other:?}"),
        }
    }

    fn errno(r: SysResult) -> Option<Errno> {
        match r {
            Err(SysError::Errno(e)) => Some(e),
            _ => None,
        }
    }

    #[test]
    fn signalfd4_checks_its_arguments_and_updates_the_mask() {
        let (mut k, init) = testing::kernel(false);
        set_mask(&k, init, bit(SIGUSR1) | bit(SIGKILL));
        // sizemask must be sizeof(sigset_t) (qemu does not check it).
        assert_eq!(
            errno(signalfd4(&mut k, init, -1, MASK_AT, 4, 0)),
            Some(Errno::EINVAL)
        );
        assert_eq!(
            errno(signalfd4(&mut k, init, -1, MASK_AT, 8, 0x1)),
            Some(Errno::EINVAL)
        );
        assert_eq!(
            errno(signalfd4(&mut k, init, -1, 0x9000, 8, 0)),
            Some(Errno::EFAULT)
        );
        let fd = signalfd4(&mut k, init, -1, MASK_AT, 8, SFD_NONBLOCK).expect("create") as i32;
        // SIGKILL cannot be read.
        assert_eq!(mask_of(&k, init, fd), bit(SIGUSR1));
        set_mask(&k, init, bit(12));
        assert_eq!(
            signalfd4(&mut k, init, fd, MASK_AT, 8, 0).ok(),
            Some(fd as u64)
        );
        assert_eq!(mask_of(&k, init, fd), bit(12));
        // fd 0 is the terminal, not a signalfd; 50 is not open.
        assert_eq!(
            errno(signalfd4(&mut k, init, 0, MASK_AT, 8, 0)),
            Some(Errno::EINVAL)
        );
        assert_eq!(
            errno(signalfd4(&mut k, init, 50, MASK_AT, 8, 0)),
            Some(Errno::EBADF)
        );
    }

    #[test]
    fn reads_dequeue_the_readers_signals_only() {
        let (mut k, init) = testing::kernel(false);
        let s = Rc::new(RefCell::new(SignalFd {
            mask: bit(SIGUSR1) | bit(12),
        }));
        k.tasks.get_mut(&init).expect("task").sigmask = bit(SIGUSR1) | bit(12);
        assert!(matches!(
            signalfd_read(&mut k, init, &s, 128, 0),
            Err(SysError::Block(Wait::SigWait(_)))
        ));
        k.send_to_process(init, SigInfo::user(12, 7));
        k.send_to_task(init, SigInfo::user(SIGUSR1, 7));
        assert_eq!(revents(&k, init, &s), POLLIN);
        // A too small buffer takes nothing.
        assert_eq!(
            errno(signalfd_read(&mut k, init, &s, 100, 0).map(|_| 0)),
            Some(Errno::EINVAL)
        );
        // The thread's own signal first, then the process's.
        let got = signalfd_read(&mut k, init, &s, 1024, 0).expect("two records");
        assert_eq!(got.len(), 256);
        assert_eq!(got[0..4], (SIGUSR1 as u32).to_le_bytes());
        assert_eq!(got[128..132], 12u32.to_le_bytes());
        assert_eq!(k.pending_for(init), 0);
        assert_eq!(revents(&k, init, &s), 0);
        assert_eq!(
            errno(signalfd_read(&mut k, init, &s, 128, O_NONBLOCK).map(|_| 0)),
            Some(Errno::EAGAIN)
        );
    }

    const SIGUSR1: u8 = 10;

    #[test]
    fn records_follow_the_linux_layout() {
        let kill = encode(&SigInfo::user(SIGUSR1, 42));
        assert_eq!(kill[0..4], 10u32.to_le_bytes());
        assert_eq!(kill[8..12], 0u32.to_le_bytes());
        assert_eq!(kill[12..16], 42u32.to_le_bytes());
        let queued = encode(&SigInfo {
            signo: SIGUSR1,
            code: -1,
            pid: 7,
            value: 0x1234,
            ..SigInfo::default()
        });
        assert_eq!(queued[12..16], 7u32.to_le_bytes());
        assert_eq!(queued[44..48], 0x1234u32.to_le_bytes());
        assert_eq!(queued[48..56], 0x1234u64.to_le_bytes());
        let chld = encode(&SigInfo {
            signo: SIGCHLD,
            code: CLD_EXITED,
            pid: 9,
            status: 3,
            ..SigInfo::default()
        });
        assert_eq!(chld[8..12], (CLD_EXITED as u32).to_le_bytes());
        assert_eq!(chld[12..16], 9u32.to_le_bytes());
        assert_eq!(chld[40..44], 3u32.to_le_bytes());
        let segv = encode(&SigInfo {
            signo: SIGSEGV,
            code: 1,
            addr: 0xdead_0000,
            ..SigInfo::default()
        });
        assert_eq!(segv[72..80], 0xdead_0000u64.to_le_bytes());
        assert_eq!(segv[12..16], [0; 4]);
    }
}
