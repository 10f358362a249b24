//! The Linux system-call layer: processes and tasks, descriptors, signals,
//! the scheduler, and the system calls (split by area under `syscall/`).
//!
//! To add a system call: write the handler in the `syscall/` file of its
//! area and add its number to the match in `syscall::call`.

pub mod errno;
pub mod exec;
pub mod fd;
pub mod pagecache;
pub mod pipe;
pub mod procfs;
pub mod signal;
pub mod socket;
pub mod syscall;
pub mod task;
#[cfg(test)]
pub(crate) mod testing;
pub mod tty;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use crate::cpu::Exit;
use crate::host::{Host, StdinRead};
use crate::mm::{AddressSpace, MemoryBudget};
use crate::vfs::{Vfs, ROOT_INO};
use fd::{FdTable, FileKind, OpenFile, Stdio};
use signal::*;
pub use task::{FsContext, ProcState, Process, Resume, Task, TaskState, Wait};

pub type Pid = i32;

/// Terminal input that hosts push (session) or the kernel pulls (run).
#[derive(Default)]
pub struct InputQueue {
    pub buf: std::collections::VecDeque<u8>,
    pub eof: bool,
}

pub struct Kernel {
    pub vfs: Vfs,
    pub host: Box<dyn Host>,
    pub procs: BTreeMap<Pid, Process>,
    pub tasks: BTreeMap<Pid, Task>,
    pub init_pid: Pid,
    next_pid: Pid,
    pub input: InputQueue,
    pub budget: Arc<MemoryBudget>,
    /// Exit status of init once it is gone.
    pub exit_status: Option<u8>,
    pub strace: bool,
    /// Syscalls already reported as unimplemented.
    pub reported: BTreeSet<u64>,
    /// Round-robin position in `tasks`.
    cursor: Pid,
    /// Whether stdin/stdout are a terminal.
    pub stdio_is_tty: bool,
    /// The terminal's line discipline, when stdio is a terminal.
    pub tty: Option<tty::Tty>,
    /// The siginfo of each pending signal, by (task or process id, signal,
    /// whether the id is a thread's).
    pub siginfo: HashMap<(Pid, u8, bool), SigInfo>,
    /// Descriptors each blocked poller waits on: tid -> (fd, events).
    pub pollers: HashMap<Pid, Vec<(i32, i16)>>,
    /// The epoll instance each blocked epoll_wait caller waits on.
    pub epollers: HashMap<Pid, syscall::epoll::EpollRef>,
    /// ITIMER_REAL timers: pid -> (next expiry ns, interval ns).
    pub alarms: BTreeMap<Pid, (u64, u64)>,
    /// Monotonic time at boot (for /proc/uptime and times()).
    pub boot_ns: u64,
    /// Bound AF_UNIX names.
    pub unix: socket::Registry,
    /// Every timerfd, so an idle scheduler wakes for the next expiry.
    pub timerfds: Vec<std::rc::Weak<RefCell<syscall::timerfd::TimerFd>>>,
    /// Pages of MAP_SHARED file mappings, kept coherent with the files.
    pub pages: pagecache::PageCache,
}

/// Instructions a task runs before the scheduler looks at others.
const TIME_SLICE: u64 = 200_000;

/// Wait status encodings (as wait4 reports them).
pub fn status_exited(code: i32) -> i32 {
    (code & 0xff) << 8
}
pub fn status_signaled(sig: u8, core: bool) -> i32 {
    sig as i32 | if core { 0x80 } else { 0 }
}

impl Kernel {
    pub fn new(mut vfs: Vfs, host: Box<dyn Host>, memory_limit: u64) -> Kernel {
        let budget = MemoryBudget::new(memory_limit);
        // Files in the writable layer live in the same memory as processes.
        vfs.set_budget(budget.clone());
        let size = host.window_size();
        let stdio_is_tty = size.is_some();
        let tty = size.map(|s| tty::Tty::new(host.host_echoes(), Some(s)));
        let boot_ns = host.monotonic_ns();
        Kernel {
            vfs,
            host,
            procs: BTreeMap::new(),
            tasks: BTreeMap::new(),
            init_pid: 1,
            next_pid: 1,
            input: InputQueue::default(),
            budget,
            exit_status: None,
            strace: false,
            reported: BTreeSet::new(),
            cursor: 0,
            stdio_is_tty,
            tty,
            siginfo: HashMap::new(),
            pollers: HashMap::new(),
            epollers: HashMap::new(),
            alarms: BTreeMap::new(),
            boot_ns,
            unix: socket::Registry::default(),
            timerfds: Vec::new(),
            pages: pagecache::PageCache::default(),
        }
    }

    pub fn alloc_pid(&mut self) -> Pid {
        loop {
            let p = self.next_pid;
            self.next_pid = if self.next_pid >= 4_194_303 {
                2
            } else {
                self.next_pid + 1
            };
            if !self.procs.contains_key(&p) && !self.tasks.contains_key(&p) {
                return p;
            }
        }
    }

    /// Create the init process with an empty address space and stdio.
    pub fn spawn_init(&mut self) -> Pid {
        let pid = self.alloc_pid();
        let mut fds = FdTable::default();
        for (fd, s) in [(0, Stdio::In), (1, Stdio::Out), (2, Stdio::Err)] {
            let file = OpenFile::new(FileKind::Stdio(s), fd::O_RDWR, b"/dev/tty".to_vec());
            let _ = fds.set(fd, file, false);
        }
        let now = self.host.monotonic_ns();
        self.procs.insert(
            pid,
            Process {
                pid,
                ppid: 0,
                pgid: pid,
                sid: pid,
                mm: Rc::new(RefCell::new(AddressSpace::new(self.budget.clone()))),
                fds: Rc::new(RefCell::new(fds)),
                fs: Rc::new(RefCell::new(FsContext {
                    cwd: ROOT_INO,
                    umask: 0o022,
                })),
                sigactions: Rc::new(RefCell::new(SigActions::default())),
                pending: 0,
                brk_start: 0,
                brk: 0,
                exe: Vec::new(),
                comm: Vec::new(),
                cmdline: Vec::new(),
                uid: 0,
                gid: 0,
                state: ProcState::Alive,
                exit_signal: SIGCHLD,
                wait_report: None,
                vfork_parent: None,
                did_exec: false,
                start_ns: now,
            },
        );
        self.init_pid = pid;
        if let Some(t) = self.tty.as_mut() {
            t.fg_pgrp = pid;
            t.session = pid;
        }
        pid
    }

    /// Free unlinked inodes no descriptor or working directory refers to.
    pub fn reap_orphans(&mut self) {
        if !self.vfs.has_orphans() {
            return;
        }
        // A mapped file lives on after its last descriptor closes.
        let mut in_use: std::collections::HashSet<_> = self.pages.cached_files().collect();
        for p in self.procs.values() {
            in_use.insert(p.fs.borrow().cwd);
            for (_, e) in p.fds.borrow().iter() {
                if let FileKind::Node(ino) = e.file.borrow().kind {
                    in_use.insert(ino);
                }
            }
        }
        self.vfs.reap_orphans(&in_use);
    }

    /// Write a line to the guest's stderr stream as the kernel.
    pub fn notice(&mut self, msg: &str) {
        self.host
            .write_output(2, format!("friscy: {msg}\n").as_bytes());
    }

    pub fn pid_of(&self, tid: Pid) -> Pid {
        self.tasks.get(&tid).map(|t| t.pid).unwrap_or(tid)
    }

    pub fn proc_of(&self, tid: Pid) -> Option<&Process> {
        self.procs.get(&self.pid_of(tid))
    }

    /// Pull host stdin into the input queue, without blocking.
    fn poll_stdin(&mut self) {
        if self.input.eof {
            return;
        }
        let mut buf = [0u8; 4096];
        match self.host.read_stdin(&mut buf) {
            StdinRead::Data(n) => self.input.buf.extend(&buf[..n]),
            StdinRead::WouldBlock => {}
            StdinRead::Eof => self.input.eof = true,
        }
        self.pump_tty();
    }

    /// Run raw terminal input through the line discipline: echo it and
    /// raise ^C/^\/^Z on the foreground process group.
    pub fn pump_tty(&mut self) {
        let Some(tty) = self.tty.as_mut() else {
            return;
        };
        if self.input.buf.is_empty() {
            return;
        }
        let raw: Vec<u8> = self.input.buf.drain(..).collect();
        let sigs = tty.input(&raw);
        let echo = std::mem::take(&mut tty.echo_out);
        let fg = tty.fg_pgrp;
        if !echo.is_empty() {
            self.host.write_output(1, &echo);
        }
        for s in sigs {
            let sig = match s {
                tty::TtySignal::Int => SIGINT,
                tty::TtySignal::Quit => SIGQUIT,
                tty::TtySignal::Susp => SIGTSTP,
            };
            self.signal_pgrp(fg, sig);
        }
    }

    /// Send `sig` from the kernel to every live process in group `pgrp`.
    pub fn signal_pgrp(&mut self, pgrp: Pid, sig: u8) {
        let members: Vec<Pid> = self
            .procs
            .values()
            .filter(|p| p.pgid == pgrp && p.state == ProcState::Alive)
            .map(|p| p.pid)
            .collect();
        for pid in members {
            self.send_to_process(
                pid,
                SigInfo {
                    signo: sig,
                    code: SI_KERNEL,
                    ..SigInfo::default()
                },
            );
        }
    }

    /// Whether terminal input (or its end) is there for a read.
    pub fn stdin_ready(&self) -> bool {
        match &self.tty {
            Some(t) => t.readable() || self.input.eof,
            None => !self.input.buf.is_empty() || self.input.eof,
        }
    }

    /// Write to the terminal (or the host's stdout/stderr stream).
    pub fn terminal_write(&mut self, fd: u8, data: &[u8]) {
        match &self.tty {
            Some(t) => {
                let out = t.output(data).into_owned();
                self.host.write_output(fd, &out);
            }
            None => self.host.write_output(fd, data),
        }
    }

    /// Whether the event a blocked task waits for has happened.
    fn wait_ready(&self, t: &Task) -> bool {
        match &t.wait {
            None => true,
            Some(Wait::Stdin) => self.stdin_ready(),
            Some(Wait::Sleep) | Some(Wait::Futex(..)) | Some(Wait::Signal) => false,
            Some(Wait::PipeRead(p)) => p.borrow().readable(),
            Some(Wait::PipeWrite(p)) => p.borrow().writable(),
            Some(Wait::Child) => {
                self.procs.values().any(|c| {
                    c.ppid == t.pid
                        && (matches!(c.state, ProcState::Zombie(_)) || c.wait_report.is_some())
                }) || !self.procs.values().any(|c| c.ppid == t.pid)
            }
            Some(Wait::Vfork(child)) => self.procs.get(child).is_none_or(|c| {
                c.vfork_parent.is_none() || matches!(c.state, ProcState::Zombie(_))
            }),
            Some(Wait::Poll) => syscall::poll::any_ready(self, t.tid),
            Some(Wait::EventFd(e, write)) => {
                let r = syscall::epoll::eventfd_revents(&e.borrow());
                r & if *write {
                    syscall::poll::POLLOUT
                } else {
                    syscall::poll::POLLIN
                } != 0
            }
            Some(Wait::Socket(s, events)) => s.borrow().revents() & events != 0,
            Some(Wait::TimerFd(t)) => syscall::timerfd::revents(self, t) != 0,
            Some(Wait::SigWait(mask)) => {
                let proc_pending = self.procs.get(&t.pid).map(|p| p.pending).unwrap_or(0);
                (t.pending | proc_pending) & mask != 0
            }
        }
    }

    /// Signals pending for thread `tid`: its own and its process's.
    pub fn pending_for(&self, tid: Pid) -> SigSet {
        let Some(t) = self.tasks.get(&tid) else {
            return 0;
        };
        let proc_pending = self.procs.get(&t.pid).map(|p| p.pending).unwrap_or(0);
        t.pending | proc_pending
    }

    /// Take one pending signal in `mask` for thread `tid` without
    /// delivering it (sigtimedwait, signalfd): as Linux's dequeue_signal,
    /// the thread's own signals first, then the process's, lowest first.
    pub fn dequeue_signal(&mut self, tid: Pid, mask: SigSet) -> Option<SigInfo> {
        let t = self.tasks.get_mut(&tid)?;
        let pid = t.pid;
        let (sig, thread) = if t.pending & mask != 0 {
            let sig = (t.pending & mask).trailing_zeros() as u8 + 1;
            t.pending &= !bit(sig);
            (sig, true)
        } else {
            let p = self.procs.get_mut(&pid)?;
            if p.pending & mask == 0 {
                return None;
            }
            let sig = (p.pending & mask).trailing_zeros() as u8 + 1;
            p.pending &= !bit(sig);
            (sig, false)
        };
        let key = if thread { tid } else { pid };
        Some(
            self.siginfo
                .remove(&(key, sig, thread))
                .unwrap_or(SigInfo::user(sig, 0)),
        )
    }

    /// Signals `t` could take now.
    fn deliverable(&self, t: &Task) -> SigSet {
        let proc_pending = self.procs.get(&t.pid).map(|p| p.pending).unwrap_or(0);
        (t.pending | proc_pending) & !(t.sigmask & !UNBLOCKABLE)
    }

    /// Fire expired ITIMER_REAL timers (SIGALRM).
    fn fire_alarms(&mut self, now: u64) {
        let due: Vec<Pid> = self
            .alarms
            .iter()
            .filter(|(_, &(d, _))| d <= now)
            .map(|(&p, _)| p)
            .collect();
        for pid in due {
            let Some((d, interval)) = self.alarms.get(&pid).copied() else {
                continue;
            };
            match (now - d).checked_div(interval) {
                Some(missed) => {
                    self.alarms
                        .insert(pid, (d + (missed + 1) * interval, interval));
                }
                None => {
                    self.alarms.remove(&pid);
                }
            }
            if self
                .procs
                .get(&pid)
                .is_some_and(|p| p.state == ProcState::Alive)
            {
                self.send_to_process(
                    pid,
                    SigInfo {
                        signo: SIGALRM,
                        code: SI_KERNEL,
                        ..SigInfo::default()
                    },
                );
            } else {
                self.alarms.remove(&pid);
            }
        }
    }

    /// Wake tasks whose wait is over; returns true if any task can run.
    fn wake(&mut self) -> bool {
        if !self.alarms.is_empty() {
            let now = self.host.monotonic_ns();
            self.fire_alarms(now);
        }
        // A terminal takes input even when nobody reads: ^C must reach the
        // foreground group while the shell waits for it, and type-ahead
        // waits in the line discipline.
        if self.tty.is_some() || self.wants_input() {
            self.poll_stdin();
        }
        let now = self.host.monotonic_ns();
        let mut any = false;
        let tids: Vec<Pid> = self.tasks.keys().copied().collect();
        for tid in tids {
            let t = &self.tasks[&tid];
            if t.state == TaskState::Blocked {
                let vfork = matches!(t.wait, Some(Wait::Vfork(_)));
                let why = if !vfork && self.deliverable(t) != 0 {
                    Some(Resume::Signal)
                } else if self.wait_ready(t) {
                    Some(Resume::Event)
                } else if t.deadline.is_some_and(|d| now >= d) {
                    Some(Resume::Timeout)
                } else {
                    None
                };
                if let Some(why) = why {
                    if let Some(t) = self.tasks.get_mut(&tid) {
                        t.wake(why);
                    }
                }
            }
            any |= self.tasks[&tid].state == TaskState::Runnable;
        }
        any
    }

    /// Whether some task waits for stdin (directly or in a poll).
    fn wants_input(&self) -> bool {
        self.tasks
            .values()
            .any(|t| matches!(t.wait, Some(Wait::Stdin) | Some(Wait::Poll)))
    }

    /// Run guest tasks for about `budget` instructions.
    pub fn run(&mut self, budget: u64) -> crate::RunStatus {
        use crate::{RunStatus, WaitReason};
        let mut left = budget;
        loop {
            if let Some(code) = self.exit_status {
                return RunStatus::Exited(code);
            }
            if !self.wake() {
                let now = self.host.monotonic_ns();
                let next_timer = self
                    .tasks
                    .values()
                    .filter(|t| t.state == TaskState::Blocked)
                    .filter_map(|t| t.deadline)
                    .chain(self.alarms.values().map(|a| a.0))
                    .chain(syscall::timerfd::next_expiry(self))
                    .min();
                let wants_input = self.tty.is_some() || self.wants_input();
                return match next_timer {
                    Some(d) => RunStatus::Waiting(WaitReason::Timer {
                        ns_from_now: d.saturating_sub(now).max(1),
                    }),
                    None if wants_input && !self.input.eof => RunStatus::Waiting(WaitReason::Input),
                    None => {
                        self.notice("every guest task is blocked forever (deadlock); stopping");
                        self.exit_status = Some(125);
                        RunStatus::Exited(125)
                    }
                };
            }
            if left == 0 {
                return RunStatus::Yielded;
            }
            let Some(tid) = self.next_runnable() else {
                continue;
            };
            self.deliver_signals(tid);
            if self
                .tasks
                .get(&tid)
                .is_none_or(|t| t.state != TaskState::Runnable)
            {
                continue;
            }
            let slice = left.min(TIME_SLICE);
            let pid = self.pid_of(tid);
            let Some(mm) = self.procs.get(&pid).map(|p| p.mm.clone()) else {
                self.tasks.remove(&tid);
                continue;
            };
            let Some(task) = self.tasks.get_mut(&tid) else {
                continue;
            };
            let before = task.cpu.instret;
            let exit = task.cpu.run(&mut mm.borrow_mut(), slice);
            let ran = task.cpu.instret.wrapping_sub(before);
            left = left.saturating_sub(ran.max(1));
            self.handle_exit(tid, exit);
        }
    }

    fn next_runnable(&mut self) -> Option<Pid> {
        let after = self
            .tasks
            .range(self.cursor + 1..)
            .chain(self.tasks.range(..=self.cursor))
            .find(|(_, t)| t.state == TaskState::Runnable)
            .map(|(&tid, _)| tid);
        if let Some(t) = after {
            self.cursor = t;
        }
        after
    }

    fn handle_exit(&mut self, tid: Pid, exit: Exit) {
        match exit {
            Exit::Budget => {}
            Exit::Ecall => syscall::dispatch(self, tid),
            Exit::Ebreak => {
                let pc = self.tasks.get(&tid).map(|t| t.cpu.pc).unwrap_or(0);
                self.force_signal(
                    tid,
                    SigInfo {
                        signo: SIGTRAP,
                        code: 1,
                        addr: pc,
                        ..SigInfo::default()
                    },
                );
            }
            Exit::Fault(f) => {
                let pid = self.pid_of(tid);
                let oom = self
                    .procs
                    .get(&pid)
                    .is_some_and(|p| p.mm.borrow_mut().take_oom());
                if oom {
                    self.notice(&format!(
                        "out of guest memory (limit {} MiB); killing pid {pid}",
                        self.budget.limit() >> 20
                    ));
                    self.exit_process(pid, status_signaled(SIGKILL, false));
                    return;
                }
                self.force_signal(tid, SigInfo::for_fault(&f));
            }
            Exit::Illegal { insn } => {
                let pc = self.tasks.get(&tid).map(|t| t.cpu.pc).unwrap_or(0);
                if self.strace {
                    self.notice(&format!(
                        "illegal instruction {insn:#010x} at pc {pc:#x} in task {tid}"
                    ));
                }
                self.force_signal(
                    tid,
                    SigInfo {
                        signo: SIGILL,
                        code: ILL_ILLOPC,
                        addr: pc,
                        ..SigInfo::default()
                    },
                );
            }
        }
    }

    /// A synchronous fault signal: if it is blocked or ignored, the
    /// process dies, as Linux does for faults.
    pub fn force_signal(&mut self, tid: Pid, info: SigInfo) {
        let pid = self.pid_of(tid);
        let sig = info.signo;
        let action = self
            .procs
            .get(&pid)
            .map(|p| p.sigactions.borrow().get(sig))
            .unwrap_or_default();
        let blocked = self
            .tasks
            .get(&tid)
            .is_some_and(|t| t.sigmask & bit(sig) != 0);
        if action.handler == SIG_IGN || blocked {
            if let Some(p) = self.procs.get(&pid) {
                p.sigactions.borrow_mut().set(sig, SigAction::default());
            }
            if let Some(t) = self.tasks.get_mut(&tid) {
                t.sigmask &= !bit(sig);
            }
        }
        self.send_to_task(tid, info);
        self.deliver_signals(tid);
    }

    /// Queue a signal for one thread.
    pub fn send_to_task(&mut self, tid: Pid, info: SigInfo) {
        let Some(t) = self.tasks.get_mut(&tid) else {
            return;
        };
        t.pending |= bit(info.signo);
        self.siginfo.insert((tid, info.signo, true), info);
        let pid = t.pid;
        self.after_send(pid, info.signo);
    }

    /// Queue a signal for a process (any of its threads may take it).
    pub fn send_to_process(&mut self, pid: Pid, info: SigInfo) {
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        if p.state != ProcState::Alive {
            return;
        }
        let sig = info.signo;
        let action = p.sigactions.borrow().get(sig);
        // A blocked signal stays pending even when ignored (sigwait takes it).
        let blocked = self
            .tasks
            .values()
            .any(|t| t.pid == pid && t.sigmask & bit(sig) != 0);
        let ignored = !blocked
            && (action.handler == SIG_IGN
                || (action.handler == SIG_DFL && default_action(sig) == DefaultAction::Ignore));
        if sig == SIGCONT || sig == SIGKILL {
            self.continue_process(pid);
        }
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        if ignored && sig != SIGCONT {
            return;
        }
        if matches!(sig, SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU) {
            p.pending &= !bit(SIGCONT);
        }
        if sig == SIGCONT {
            p.pending &= !(bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU));
            if ignored {
                return;
            }
        }
        p.pending |= bit(sig);
        self.siginfo.insert((pid, sig, false), info);
        self.after_send(pid, sig);
    }

    fn after_send(&mut self, pid: Pid, sig: u8) {
        if sig == SIGKILL {
            self.exit_process(pid, status_signaled(SIGKILL, false));
        }
    }

    fn continue_process(&mut self, pid: Pid) {
        let mut was_stopped = false;
        for t in self.tasks.values_mut().filter(|t| t.pid == pid) {
            if t.state == TaskState::Stopped {
                t.state = if t.wait.is_some() {
                    TaskState::Blocked
                } else {
                    TaskState::Runnable
                };
                was_stopped = true;
            }
        }
        if was_stopped {
            self.notify_parent(pid, 0xffff, CLD_CONTINUED, SIGCONT);
        }
    }

    fn stop_process(&mut self, pid: Pid, sig: u8) {
        for t in self.tasks.values_mut().filter(|t| t.pid == pid) {
            t.state = TaskState::Stopped;
        }
        self.notify_parent(pid, (sig as i32) << 8 | 0x7f, CLD_STOPPED, sig);
    }

    /// Record a stop/continue for wait and send SIGCHLD if the parent wants it.
    fn notify_parent(&mut self, pid: Pid, status: i32, code: i32, sig: u8) {
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        p.wait_report = Some(status);
        let ppid = p.ppid;
        let nocldstop = self
            .procs
            .get(&ppid)
            .is_some_and(|pp| pp.sigactions.borrow().get(SIGCHLD).flags & SA_NOCLDSTOP != 0);
        if !nocldstop {
            self.send_to_process(
                ppid,
                SigInfo {
                    signo: SIGCHLD,
                    code,
                    pid,
                    status: sig as i32,
                    ..SigInfo::default()
                },
            );
        }
    }

    /// Take and act on pending signals of `tid` before it runs.
    pub fn deliver_signals(&mut self, tid: Pid) {
        loop {
            let Some(t) = self.tasks.get(&tid) else {
                return;
            };
            if t.state != TaskState::Runnable {
                return;
            }
            let deliverable = self.deliverable(t);
            if deliverable == 0 {
                return;
            }
            let sig = deliverable.trailing_zeros() as u8 + 1;
            let pid = t.pid;
            // Dequeue: thread-directed first.
            let thread = t.pending & bit(sig) != 0;
            let key = if thread { tid } else { pid };
            if thread {
                if let Some(t) = self.tasks.get_mut(&tid) {
                    t.pending &= !bit(sig);
                }
            } else if let Some(p) = self.procs.get_mut(&pid) {
                p.pending &= !bit(sig);
            }
            let info = self.siginfo.remove(&(key, sig, thread)).unwrap_or(SigInfo {
                signo: sig,
                code: SI_KERNEL,
                ..SigInfo::default()
            });
            let Some(p) = self.procs.get(&pid) else {
                return;
            };
            let action = p.sigactions.borrow().get(sig);
            let interrupted = self
                .tasks
                .get(&tid)
                .is_some_and(|t| t.resume == Some(Resume::Signal));
            if action.handler == SIG_IGN {
                continue;
            }
            if action.handler == SIG_DFL {
                match default_action(sig) {
                    DefaultAction::Ignore | DefaultAction::Continue => continue,
                    DefaultAction::Stop => {
                        // An interrupted call starts afresh when continued
                        // (Linux restarts it: no handler ran), rather than
                        // seeing the interruption (EINTR from poll, ...).
                        if let Some(t) = self.tasks.get_mut(&tid) {
                            t.resume = None;
                        }
                        self.stop_process(pid, sig);
                        return;
                    }
                    DefaultAction::Terminate => {
                        self.exit_process(pid, status_signaled(sig, false));
                        return;
                    }
                    DefaultAction::CoreDump => {
                        self.exit_process(pid, status_signaled(sig, true));
                        return;
                    }
                }
            }
            // A handler: finish an interrupted syscall first.
            let Some(t) = self.tasks.get_mut(&tid) else {
                return;
            };
            if interrupted {
                t.resume = None;
                t.sleep_until = None;
                let nr = t.cpu.x[17];
                if action.flags & SA_RESTART == 0 || !syscall::restartable(nr) {
                    t.cpu.x[10] = (-(errno::Errno::EINTR.0 as i64)) as u64;
                    t.cpu.pc += 4;
                }
            }
            let old_mask = t.saved_mask.take().unwrap_or(t.sigmask);
            let mut new_mask = t.sigmask | action.mask;
            if action.flags & SA_NODEFER == 0 {
                new_mask |= bit(sig);
            }
            let altstack = t.altstack;
            let mm = p.mm.clone();
            let ok = signal::setup_frame(
                &mut t.cpu,
                &mut mm.borrow_mut(),
                &action,
                &info,
                old_mask,
                altstack,
            );
            t.sigmask = new_mask & !UNBLOCKABLE;
            if action.flags & SA_RESETHAND != 0 {
                if let Some(p) = self.procs.get(&pid) {
                    p.sigactions.borrow_mut().set(sig, SigAction::default());
                }
            }
            if ok.is_err() {
                self.exit_process(pid, status_signaled(SIGSEGV, true));
                return;
            }
        }
    }

    /// End one task (thread exit): clear_child_tid, futex wake.
    pub fn exit_task(&mut self, tid: Pid) {
        let Some(t) = self.tasks.remove(&tid) else {
            return;
        };
        if t.clear_child_tid != 0 {
            if let Some(p) = self.procs.get(&t.pid) {
                let mm = p.mm.clone();
                let id = p.mm_id();
                if mm.borrow_mut().write_u32(t.clear_child_tid, 0).is_ok() {
                    syscall::futex::wake(self, id, t.clear_child_tid, 1, u32::MAX);
                }
            }
        }
    }

    /// End every task of `pid`; the process becomes a zombie with `status`
    /// (a wait status) until its parent reaps it.
    pub fn exit_process(&mut self, pid: Pid, status: i32) {
        let tids: Vec<Pid> = self
            .tasks
            .values()
            .filter(|t| t.pid == pid)
            .map(|t| t.tid)
            .collect();
        for tid in tids {
            self.exit_task(tid);
        }
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        if p.state != ProcState::Alive {
            return;
        }
        p.state = ProcState::Zombie(status);
        p.pending = 0;
        // Drop descriptors (pipe ends close) and memory now, not at reap.
        p.fds = Rc::new(RefCell::new(FdTable::default()));
        p.mm = Rc::new(RefCell::new(AddressSpace::new(self.budget.clone())));
        p.vfork_parent = None;
        let ppid = p.ppid;
        let exit_signal = p.exit_signal;
        // Its shared file mappings are gone: their stores go to the files.
        self.pages.gc(&mut self.vfs);
        self.reap_orphans();
        if pid == self.init_pid {
            let code = if status & 0x7f == 0 {
                (status >> 8) & 0xff
            } else {
                128 + (status & 0x7f)
            };
            self.exit_status = Some(code as u8);
            return;
        }
        // Orphans go to init.
        let init = self.init_pid;
        for c in self.procs.values_mut().filter(|c| c.ppid == pid) {
            c.ppid = init;
        }
        let auto_reap = self.procs.get(&ppid).is_none_or(|pp| {
            let a = pp.sigactions.borrow().get(SIGCHLD);
            a.handler == SIG_IGN || a.flags & SA_NOCLDWAIT != 0
        });
        if exit_signal != 0 {
            let (code, st) = if status & 0x7f == 0 {
                (CLD_EXITED, (status >> 8) & 0xff)
            } else {
                (
                    if status & 0x80 != 0 {
                        CLD_DUMPED
                    } else {
                        CLD_KILLED
                    },
                    status & 0x7f,
                )
            };
            self.send_to_process(
                ppid,
                SigInfo {
                    signo: exit_signal,
                    code,
                    pid,
                    status: st,
                    ..SigInfo::default()
                },
            );
        }
        if auto_reap {
            self.procs.remove(&pid);
        }
    }

    pub fn take_input(&mut self, max: usize) -> Vec<u8> {
        if let Some(t) = self.tty.as_mut() {
            return t.read(max);
        }
        let n = max.min(self.input.buf.len());
        self.input.buf.drain(..n).collect()
    }

    pub fn push_input(&mut self, data: &[u8]) {
        self.input.buf.extend(data);
        self.pump_tty();
    }

    /// The terminal was resized: record it and tell the foreground group.
    pub fn set_window_size(&mut self, rows: u16, cols: u16) {
        let Some(t) = self.tty.as_mut() else {
            return;
        };
        if (t.rows, t.cols) != (rows, cols) {
            t.rows = rows;
            t.cols = cols;
            let fg = t.fg_pgrp;
            self.signal_pgrp(fg, SIGWINCH);
        }
    }

    pub fn close_input(&mut self) {
        self.input.eof = true;
    }
}
