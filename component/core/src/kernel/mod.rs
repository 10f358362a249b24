//! The Linux system-call layer: processes and tasks, descriptors, the
//! scheduler, and the system calls (split by area under `syscall/`).
//!
//! To add a system call: write the handler in the `syscall/` file of its
//! area and add its number to the match in `syscall::dispatch`.

pub mod errno;
pub mod exec;
pub mod fd;
pub mod syscall;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::cpu::{Cpu, Exit};
use crate::host::{Host, StdinRead};
use crate::mm::{AddressSpace, MemoryBudget};
use crate::vfs::{Ino, Vfs, ROOT_INO};
use fd::{FdTable, FileKind, OpenFile, Stdio};

pub type Pid = i32;

/// What a blocked task waits for. A blocked task re-executes its `ecall`
/// when woken, so handlers are written to be restartable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    Stdin,
    /// Until this monotonic time (ns).
    Until(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    Runnable,
    Blocked(Wait),
    Dead,
}

pub struct Task {
    pub tid: Pid,
    pub pid: Pid,
    pub cpu: Cpu,
    pub state: TaskState,
    pub clear_child_tid: u64,
    /// Deadline of an interrupted sleep, so a restarted nanosleep resumes it.
    pub sleep_deadline: Option<u64>,
}

pub struct Process {
    pub pid: Pid,
    pub ppid: Pid,
    pub mm: AddressSpace,
    pub fds: FdTable,
    pub cwd: Ino,
    pub umask: u32,
    pub brk_start: u64,
    pub brk: u64,
    /// Absolute path of the executable (for /proc/self/exe).
    pub exe: Vec<u8>,
    pub uid: u32,
    pub gid: u32,
}

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
    pub next_pid: Pid,
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
}

/// Instructions a task runs before the scheduler looks at others.
const TIME_SLICE: u64 = 200_000;

impl Kernel {
    pub fn new(vfs: Vfs, host: Box<dyn Host>, memory_limit: u64) -> Kernel {
        let stdio_is_tty = host.window_size().is_some();
        Kernel {
            vfs,
            host,
            procs: BTreeMap::new(),
            tasks: BTreeMap::new(),
            init_pid: 1,
            next_pid: 1,
            input: InputQueue::default(),
            budget: MemoryBudget::new(memory_limit),
            exit_status: None,
            strace: false,
            reported: BTreeSet::new(),
            cursor: 0,
            stdio_is_tty,
        }
    }

    /// Create the init process with an empty address space and stdio.
    pub fn spawn_init(&mut self) -> Pid {
        let pid = self.next_pid;
        self.next_pid += 1;
        let mut fds = FdTable::default();
        for (fd, s) in [(0, Stdio::In), (1, Stdio::Out), (2, Stdio::Err)] {
            let file = OpenFile::new(FileKind::Stdio(s), fd::O_RDWR, b"/dev/tty".to_vec());
            let _ = fds.set(fd, file, false);
        }
        self.procs.insert(
            pid,
            Process {
                pid,
                ppid: 0,
                mm: AddressSpace::new(self.budget.clone()),
                fds,
                cwd: ROOT_INO,
                umask: 0o022,
                brk_start: 0,
                brk: 0,
                exe: Vec::new(),
                uid: 0,
                gid: 0,
            },
        );
        self.init_pid = pid;
        pid
    }

    pub fn add_task(&mut self, pid: Pid, cpu: Cpu) {
        self.tasks.insert(
            pid,
            Task {
                tid: pid,
                pid,
                cpu,
                state: TaskState::Runnable,
                clear_child_tid: 0,
                sleep_deadline: None,
            },
        );
    }

    /// Write a line to the guest's stderr stream as the kernel (e.g. a
    /// one-time "unimplemented" notice).
    pub fn notice(&mut self, msg: &str) {
        self.host
            .write_output(2, format!("friscy: {msg}\n").as_bytes());
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
    }

    /// Wake tasks whose wait is over; returns true if any task can run.
    fn wake(&mut self) -> bool {
        let now = self.host.monotonic_ns();
        if self
            .tasks
            .values()
            .any(|t| t.state == TaskState::Blocked(Wait::Stdin))
        {
            self.poll_stdin();
        }
        let input_ready = !self.input.buf.is_empty() || self.input.eof;
        let mut any = false;
        for t in self.tasks.values_mut() {
            match t.state {
                TaskState::Blocked(Wait::Stdin) if input_ready => t.state = TaskState::Runnable,
                TaskState::Blocked(Wait::Until(d)) if now >= d => t.state = TaskState::Runnable,
                _ => {}
            }
            any |= t.state == TaskState::Runnable;
        }
        any
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
                    .filter_map(|t| match t.state {
                        TaskState::Blocked(Wait::Until(d)) => Some(d),
                        _ => None,
                    })
                    .min();
                return match next_timer {
                    Some(d) => RunStatus::Waiting(WaitReason::Timer {
                        ns_from_now: d.saturating_sub(now),
                    }),
                    None if self
                        .tasks
                        .values()
                        .any(|t| t.state == TaskState::Blocked(Wait::Stdin)) =>
                    {
                        RunStatus::Waiting(WaitReason::Input)
                    }
                    None => {
                        // Nothing can ever wake: report like a killed init.
                        self.notice("every guest task is blocked forever; stopping");
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
            let slice = left.min(TIME_SLICE);
            let before = self.tasks[&tid].cpu.instret;
            let exit = {
                let task = self.tasks.get_mut(&tid).expect("runnable task exists");
                let Some(proc) = self.procs.get_mut(&task.pid) else {
                    task.state = TaskState::Dead;
                    continue;
                };
                task.cpu.run(&mut proc.mm, slice)
            };
            let ran = self
                .tasks
                .get(&tid)
                .map(|t| t.cpu.instret - before)
                .unwrap_or(0);
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
            Exit::Ebreak => self.fatal_signal(tid, SIGTRAP, None),
            Exit::Fault(f) => self.fatal_signal(tid, SIGSEGV, Some(f.addr)),
            Exit::Illegal { insn } => {
                let pc = self.tasks.get(&tid).map(|t| t.cpu.pc).unwrap_or(0);
                self.notice(&format!(
                    "illegal or unimplemented instruction {insn:#010x} at pc {pc:#x}; killing pid {tid} with SIGILL"
                ));
                self.fatal_signal(tid, SIGILL, None)
            }
        }
    }

    /// Kill the process of `tid` as a fatal signal would (no handlers yet).
    pub fn fatal_signal(&mut self, tid: Pid, sig: u8, addr: Option<u64>) {
        let pid = self.tasks.get(&tid).map(|t| t.pid).unwrap_or(tid);
        if self.strace {
            let at = addr.map(|a| format!(" at {a:#x}")).unwrap_or_default();
            self.notice(&format!("pid {pid} killed by signal {sig}{at}"));
        }
        self.exit_process(pid, 128 + sig);
    }

    /// End every task of `pid` with `status` (a shell-style exit status).
    pub fn exit_process(&mut self, pid: Pid, status: u8) {
        for t in self.tasks.values_mut().filter(|t| t.pid == pid) {
            t.state = TaskState::Dead;
        }
        self.tasks.retain(|_, t| t.state != TaskState::Dead);
        self.procs.remove(&pid);
        if pid == self.init_pid {
            self.exit_status = Some(status);
        }
    }

    pub fn pid_of(&self, tid: Pid) -> Pid {
        self.tasks.get(&tid).map(|t| t.pid).unwrap_or(tid)
    }

    /// Whether `tid` can still take a syscall result.
    pub fn task_alive(&self, tid: Pid) -> bool {
        self.tasks.contains_key(&tid)
    }

    /// Read bytes from the terminal input queue (for stdin reads).
    pub fn take_input(&mut self, max: usize) -> Vec<u8> {
        let n = max.min(self.input.buf.len());
        self.input.buf.drain(..n).collect()
    }

    pub fn push_input(&mut self, data: &[u8]) {
        self.input.buf.extend(data);
    }

    pub fn close_input(&mut self) {
        self.input.eof = true;
    }
}

pub const SIGILL: u8 = 4;
pub const SIGTRAP: u8 = 5;
pub const SIGKILL: u8 = 9;
pub const SIGSEGV: u8 = 11;
