//! Tasks (threads) and processes (thread groups), and what a blocked task
//! waits for.

use std::cell::RefCell;
use std::rc::Rc;

use super::fd::FdTable;
use super::pipe::PipeRef;
use super::signal::{SigActions, SigSet};
use super::Pid;
use crate::cpu::Cpu;
use crate::mm::AddressSpace;
use crate::vfs::Ino;

/// What a blocked task waits for. A blocked task re-executes its `ecall`
/// when woken, so handlers are restartable; those that must not re-check
/// their condition (futex, sleep) look at `Task::resume` first.
#[derive(Debug, Clone)]
pub enum Wait {
    /// Terminal input.
    Stdin,
    /// Only the deadline (`Task::deadline`).
    Sleep,
    /// A child changing state (wait4/waitid).
    Child,
    /// Data in, or the last writer gone from, a pipe.
    PipeRead(PipeRef),
    /// Room in, or the last reader gone from, a pipe.
    PipeWrite(PipeRef),
    /// A futex word: (address-space identity, address).
    Futex(usize, u64),
    /// Any signal that gets delivered (pause, rt_sigsuspend).
    Signal,
    /// One of these (blocked) signals becoming pending (rt_sigtimedwait).
    SigWait(SigSet),
    /// A vfork child to exec or exit.
    Vfork(Pid),
    /// Any of several descriptors (poll/select/epoll); readiness is re-checked.
    Poll,
    /// An eventfd counter becoming non-zero (read) or having room (write).
    EventFd(super::syscall::epoll::EventFdRef, bool),
    /// A socket becoming ready for these poll events.
    Socket(super::socket::SocketRef, i16),
    /// A timerfd expiring.
    TimerFd(super::syscall::timerfd::TimerFdRef),
}

/// Why a blocked task was made runnable again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// The awaited event happened (futex wake).
    Event,
    /// Its deadline passed.
    Timeout,
    /// A signal arrived.
    Signal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskState {
    Runnable,
    Blocked,
    /// Stopped by SIGSTOP/SIGTSTP/...; resumes on SIGCONT.
    Stopped,
}

pub struct Task {
    pub tid: Pid,
    /// Thread-group id (the process).
    pub pid: Pid,
    pub cpu: Cpu,
    pub state: TaskState,
    pub wait: Option<Wait>,
    /// Monotonic ns at which a blocked task times out.
    pub deadline: Option<u64>,
    pub resume: Option<Resume>,
    pub clear_child_tid: u64,
    pub sigmask: SigSet,
    /// Signals sent to this thread only.
    pub pending: SigSet,
    /// Mask to restore after rt_sigsuspend's handler returns.
    pub saved_mask: Option<SigSet>,
    pub altstack: (u64, u64, u32),
    pub robust_list: u64,
    /// Deadline of a sleep in progress, so a restarted nanosleep resumes it.
    pub sleep_until: Option<u64>,
}

impl Task {
    pub fn new(tid: Pid, pid: Pid, cpu: Cpu) -> Task {
        Task {
            tid,
            pid,
            cpu,
            state: TaskState::Runnable,
            wait: None,
            deadline: None,
            resume: None,
            clear_child_tid: 0,
            sigmask: 0,
            pending: 0,
            saved_mask: None,
            altstack: (0, 0, 2), // SS_DISABLE
            robust_list: 0,
            sleep_until: None,
        }
    }

    pub fn block(&mut self, wait: Wait, deadline: Option<u64>) {
        self.state = TaskState::Blocked;
        self.wait = Some(wait);
        self.deadline = deadline;
        self.resume = None;
    }

    pub fn wake(&mut self, why: Resume) {
        if self.state == TaskState::Blocked {
            self.state = TaskState::Runnable;
            self.resume = Some(why);
            self.wait = None;
            self.deadline = None;
        }
    }

    /// Take the resume reason of a restarted syscall.
    pub fn take_resume(&mut self) -> Option<Resume> {
        self.resume.take()
    }
}

/// Working directory and umask (shared under CLONE_FS).
#[derive(Debug, Clone)]
pub struct FsContext {
    pub cwd: Ino,
    pub umask: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcState {
    Alive,
    /// Exited; holds the wait status until reaped.
    Zombie(i32),
}

pub struct Process {
    pub pid: Pid,
    pub ppid: Pid,
    pub pgid: Pid,
    pub sid: Pid,
    pub mm: Rc<RefCell<AddressSpace>>,
    pub fds: Rc<RefCell<FdTable>>,
    pub fs: Rc<RefCell<FsContext>>,
    pub sigactions: Rc<RefCell<SigActions>>,
    /// Signals sent to the process as a whole.
    pub pending: SigSet,
    pub brk_start: u64,
    pub brk: u64,
    /// Absolute path of the executable (for /proc/self/exe).
    pub exe: Vec<u8>,
    /// The task name (`/proc/PID/comm`, `PR_SET_NAME`), at most 15 bytes.
    pub comm: Vec<u8>,
    /// argv as NUL-terminated strings (for /proc/PID/cmdline).
    pub cmdline: Vec<u8>,
    pub uid: u32,
    pub gid: u32,
    pub state: ProcState,
    /// Signal sent to the parent at exit (SIGCHLD, or 0 for none).
    pub exit_signal: u8,
    /// Stop/continue changes not yet reported to a waiting parent.
    pub wait_report: Option<i32>,
    /// The vfork parent task waiting for this process to exec or exit.
    pub vfork_parent: Option<Pid>,
    /// Whether this process has called execve (setpgid rules).
    pub did_exec: bool,
    pub start_ns: u64,
}

impl Process {
    /// Identity of the address space (futex keys, vfork sharing).
    pub fn mm_id(&self) -> usize {
        Rc::as_ptr(&self.mm) as usize
    }
}
