//! The run loops over the kernel. `Machine` is what both component drivers
//! (`wasi:cli/run` and the `session` resource) and the native tools drive.
//!
//! CONTRACT (used by component/wasm and tests; keep these signatures):
//!
//! ```ignore
//! pub struct MachineConfig {
//!     pub args: Vec<String>,            // argv; empty = the image's Entrypoint+Cmd
//!     pub env: Vec<(String, String)>,   // added to / overriding the image's Env
//!     pub memory_limit: u64,            // bytes of guest memory for all processes
//! }
//! pub enum WaitReason { Input, Timer { ns_from_now: u64 } }
//! pub enum RunStatus { Exited(u8), Waiting(WaitReason), Yielded }
//! pub struct Machine { .. }
//! impl Machine {
//!     /// Boot: index the image, load the program. Errors are user-facing
//!     /// (`BootError` displays one line naming the path/flag) and the caller
//!     /// exits with `err.exit_status()` (127 not found, 126 not executable).
//!     pub fn boot(cfg: MachineConfig, rootfs: Box<dyn RootfsSource>, host: Box<dyn Host>)
//!         -> Result<Machine, BootError>;
//!     pub fn run(&mut self, budget: u64) -> RunStatus;
//!     /// Session hosts push terminal input here instead of using Host::read_stdin.
//!     pub fn push_input(&mut self, data: &[u8]);
//!     pub fn close_input(&mut self);
//!     pub fn set_window_size(&mut self, rows: u16, cols: u16);
//! }
//! ```

use crate::host::{Host, RootfsSource};

/// What to run and with how much memory.
#[derive(Debug, Clone)]
pub struct MachineConfig {
    /// argv; empty means the image's Entrypoint + Cmd.
    pub args: Vec<String>,
    /// Added to, or overriding, the image's Env.
    pub env: Vec<(String, String)>,
    /// Bytes of guest memory for all processes together.
    pub memory_limit: u64,
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            args: Vec::new(),
            env: Vec::new(),
            memory_limit: 1 << 30,
        }
    }
}

/// Why every guest task is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// Waiting for terminal input (and possibly a timer; see `Timer`).
    Input,
    /// Sleeping; the earliest timer fires this many ns from now. Input
    /// also wakes the guest when it reads stdin.
    Timer { ns_from_now: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// The init process is gone; this is its exit status as a shell shows it.
    Exited(u8),
    Waiting(WaitReason),
    Yielded,
}

/// A user-facing failure to start the guest program.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error("friscy: cannot read the image: {0}")]
    Image(String),
    #[error("friscy: {0}: command not found in the image")]
    NotFound(String),
    #[error("friscy: {path}: {why}")]
    NotExecutable { path: String, why: String },
    #[error("friscy: no command given and the image has no Entrypoint or Cmd; add `-- COMMAND [ARGS...]`")]
    NoCommand,
    #[error("friscy: {0}")]
    Other(String),
}

impl BootError {
    /// The exit status a shell would give for this failure.
    pub fn exit_status(&self) -> u8 {
        match self {
            BootError::NotFound(_) => 127,
            BootError::NotExecutable { .. } => 126,
            _ => 125,
        }
    }
}

/// A booted guest: the kernel plus its processes.
pub struct Machine {
    _private: (),
}

impl Machine {
    pub fn boot(
        cfg: MachineConfig,
        rootfs: Box<dyn RootfsSource>,
        host: Box<dyn Host>,
    ) -> Result<Machine, BootError> {
        let _ = (cfg, rootfs, host);
        Err(BootError::Other("not implemented yet".into()))
    }

    pub fn run(&mut self, budget: u64) -> RunStatus {
        let _ = budget;
        RunStatus::Exited(1)
    }

    pub fn push_input(&mut self, data: &[u8]) {
        let _ = data;
    }

    pub fn close_input(&mut self) {}

    pub fn set_window_size(&mut self, rows: u16, cols: u16) {
        let _ = (rows, cols);
    }
}
