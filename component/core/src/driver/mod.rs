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

pub mod config;

use std::rc::Rc;

use crate::host::{Host, HostFs, RootfsSource};
use crate::kernel::exec::{self, ExecError};
use crate::kernel::Kernel;
use crate::vfs::hostfs::MountError;
use crate::vfs::{imagefs, system, tarfs, Vfs};

/// A host directory to mount in the guest (`-v SOURCE:TARGET[:ro]`).
#[derive(Clone)]
pub struct HostMount {
    pub fs: Rc<dyn HostFs>,
    /// What the host calls the directory (shown in errors and /proc/mounts).
    pub source: String,
    /// The guest path; must be absolute.
    pub target: String,
    pub readonly: bool,
}

impl std::fmt::Debug for HostMount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostMount")
            .field("source", &self.source)
            .field("target", &self.target)
            .field("readonly", &self.readonly)
            .finish_non_exhaustive()
    }
}

/// What to run and with how much memory.
#[derive(Debug, Clone)]
pub struct MachineConfig {
    /// argv; empty means the image's Entrypoint + Cmd.
    pub args: Vec<String>,
    /// Added to, or overriding, the image's Env.
    pub env: Vec<(String, String)>,
    /// Bytes of guest memory for all processes together.
    pub memory_limit: u64,
    /// Trace every system call to stderr (FRISCY_STRACE=1).
    pub strace: bool,
    /// `--entrypoint`: replaces the image's Entrypoint and drops its Cmd.
    pub entrypoint: Option<Vec<String>>,
    /// `-w`: working directory (else the image's WorkingDir, else `/`).
    pub workdir: Option<String>,
    /// `-u`: user[:group] (else the image's User, else root).
    pub user: Option<String>,
    /// How to name the image in error messages (its path), if known.
    pub image_name: Option<String>,
    /// The image config JSON when the host has it and the image does not
    /// carry it (the rootfs `info().config`).
    pub image_config: Option<String>,
    /// Host directories to mount, in order.
    pub mounts: Vec<HostMount>,
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            args: Vec::new(),
            env: Vec::new(),
            memory_limit: 1 << 30,
            strace: false,
            entrypoint: None,
            workdir: None,
            user: None,
            image_config: None,
            image_name: None,
            mounts: Vec::new(),
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
    #[error("friscy: cannot read the image {0}")]
    Image(String),
    #[error("friscy: {0}: command not found in the image")]
    NotFound(String),
    #[error("friscy: {path}: {why}")]
    NotExecutable { path: String, why: String },
    #[error("friscy: no command given and the image has no Entrypoint or Cmd; add `-- COMMAND [ARGS...]`")]
    NoCommand,
    #[error("friscy: -v {spec}: {error}")]
    Mount { spec: String, error: MountError },
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
    kernel: Kernel,
}

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl Machine {
    pub fn boot(
        cfg: MachineConfig,
        rootfs: Box<dyn RootfsSource>,
        host: Box<dyn Host>,
    ) -> Result<Machine, BootError> {
        // A friscy runtime image (index first, chunked data) or a plain tar.
        let name = cfg
            .image_name
            .clone()
            .unwrap_or_else(|| "(from the rootfs provider)".into());
        let image_err = |e: String| BootError::Image(format!("{name}: {e}"));
        let mut vfs = if imagefs::is_image(rootfs.as_ref()) {
            imagefs::open(rootfs).map_err(|e| image_err(e.to_string()))?
        } else {
            let mut vfs = Vfs::new(rootfs);
            tarfs::index_tar(&mut vfs).map_err(|e| image_err(e.to_string()))?;
            vfs
        };
        // The image config JSON: carried by a runtime image itself, else what
        // the rootfs provider passed in `info().config`.
        let image = match vfs.image().config_json().or(cfg.image_config.clone()) {
            Some(json) => config::parse(&json).map_err(BootError::Other)?,
            None => config::ContainerConfig::default(),
        };
        // Files friscy generates (/etc/hosts, ...) carry the boot time.
        vfs.set_clock(host.realtime_ns());
        system::install(&mut vfs, "friscy")
            .map_err(|e| BootError::Other(format!("cannot set up /dev and /etc: {e}")))?;
        for m in &cfg.mounts {
            vfs.mount(m.fs.clone(), &m.source, &m.target, m.readonly)
                .map_err(|error| BootError::Mount {
                    spec: format!(
                        "{}:{}{}",
                        m.source,
                        m.target,
                        if m.readonly { ":ro" } else { "" }
                    ),
                    error,
                })?;
        }
        let mut kernel = Kernel::new(vfs, host, cfg.memory_limit);
        kernel.strace = cfg.strace;
        let args = config::argv(&image, cfg.entrypoint.as_deref(), &cfg.args);
        if args.is_empty() {
            return Err(BootError::NoCommand);
        }
        let mut env: Vec<(String, String)> = vec![
            ("PATH".into(), DEFAULT_PATH.into()),
            ("HOSTNAME".into(), "friscy".into()),
        ];
        if kernel.stdio_is_tty {
            env.push(("TERM".into(), "xterm".into()));
        }
        let image_env = image
            .env
            .iter()
            .flatten()
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (kv.clone(), String::new()),
            });
        for (k, v) in image_env.chain(cfg.env) {
            match env.iter_mut().find(|(ek, _)| *ek == k) {
                Some(slot) => slot.1 = v,
                None => env.push((k, v)),
            }
        }
        let path_var = env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let envp: Vec<Vec<u8>> = env
            .iter()
            .map(|(k, v)| format!("{k}={v}").into_bytes())
            .collect();
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.clone().into_bytes()).collect();
        let pid = kernel.spawn_init();
        let read_etc = |k: &mut Kernel, p: &[u8]| {
            k.vfs
                .resolve(crate::vfs::ROOT_INO, p, true)
                .and_then(|l| k.vfs.read_all(l.ino))
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        let (uid, gid) = match cfg
            .user
            .as_deref()
            .or(image.user.as_deref())
            .filter(|u| !u.is_empty())
        {
            Some(spec) => config::resolve_user(
                spec,
                &read_etc(&mut kernel, b"/etc/passwd"),
                &read_etc(&mut kernel, b"/etc/group"),
            )
            .map_err(BootError::Other)?,
            None => (0, 0),
        };
        let home = read_etc(&mut kernel, b"/etc/passwd")
            .lines()
            .find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() >= 6 && f[2].parse() == Ok(uid)).then(|| f[5].to_string())
            })
            .unwrap_or_else(|| "/root".into());
        let mut envp = envp;
        if !env.iter().any(|(k, _)| k == "HOME") {
            envp.push(format!("HOME={home}").into_bytes());
        }
        let workdir = cfg
            .workdir
            .clone()
            .or(image.working_dir.clone())
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| "/".into());
        let cwd = kernel
            .vfs
            .mkdir_p(workdir.as_bytes(), 0o755)
            .map_err(|e| BootError::Other(format!("working directory {workdir}: errno {}", e.0)))?;
        if let Some(p) = kernel.procs.get_mut(&pid) {
            p.uid = uid;
            p.gid = gid;
            p.fs.borrow_mut().cwd = cwd;
        }
        let to_boot = |e: ExecError| match e {
            ExecError::NotFound(p) => BootError::NotFound(p),
            ExecError::IsDir(p) => BootError::NotExecutable {
                path: p,
                why: "is a directory, not a program".into(),
            },
            ExecError::NoPermission(p) => BootError::NotExecutable {
                path: p,
                why: "is not executable".into(),
            },
            ExecError::Load { path, source } => BootError::NotExecutable {
                path,
                why: source.to_string(),
            },
            e => BootError::Other(e.to_string()),
        };
        let cmd =
            exec::find_command(&mut kernel, cwd, &argv[0], path_var.as_bytes()).map_err(to_boot)?;
        let image = exec::load_program(&mut kernel, pid, &cmd, argv, &envp).map_err(to_boot)?;
        let proc = kernel
            .procs
            .get_mut(&pid)
            .ok_or_else(|| BootError::Other("init vanished".into()))?;
        proc.mm = std::rc::Rc::new(std::cell::RefCell::new(image.mm));
        proc.brk_start = image.brk;
        proc.brk = image.brk;
        proc.exe = image.exe;
        proc.cmdline = image.cmdline;
        proc.comm = image.comm;
        kernel
            .tasks
            .insert(pid, crate::kernel::Task::new(pid, pid, image.cpu));
        Ok(Machine { kernel })
    }

    pub fn run(&mut self, budget: u64) -> RunStatus {
        self.kernel.run(budget)
    }

    pub fn push_input(&mut self, data: &[u8]) {
        self.kernel.push_input(data);
    }

    pub fn close_input(&mut self) {
        self.kernel.close_input();
    }

    pub fn set_window_size(&mut self, rows: u16, cols: u16) {
        self.kernel.set_window_size(rows, cols);
    }
}
