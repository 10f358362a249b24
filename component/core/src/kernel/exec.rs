//! Turning a path into a running program image: PATH search, `#!`
//! scripts, ELF loading (with the dynamic linker) and the initial stack.
//! Used at boot and, later, by `execve`.

use super::errno::Errno;
use super::{Kernel, Pid};
use crate::cpu::Cpu;
use crate::loader::{self, LoadError, StackInfo};
use crate::mm::AddressSpace;
use crate::vfs::{Ino, NodeKind};

/// Why a program could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("{0}: No such file or directory")]
    NotFound(String),
    #[error("{0}: Is a directory")]
    IsDir(String),
    #[error("{0}: Permission denied (not executable)")]
    NoPermission(String),
    #[error("{path}: {source}")]
    Load { path: String, source: LoadError },
    #[error("{path}: cannot read: errno {errno}")]
    Io { path: String, errno: i32 },
    #[error("{0}: too many levels of #! interpreters")]
    TooDeep(String),
}

impl ExecError {
    pub fn errno(&self) -> Errno {
        match self {
            ExecError::NotFound(_) => Errno::ENOENT,
            ExecError::IsDir(_) | ExecError::NoPermission(_) => Errno::EACCES,
            ExecError::Load {
                source: LoadError::NoMemory,
                ..
            } => Errno::ENOMEM,
            ExecError::Load { .. } => Errno::ENOEXEC,
            ExecError::Io { errno, .. } => Errno(*errno),
            ExecError::TooDeep(_) => Errno::ELOOP,
        }
    }
}

fn show(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

/// Find `cmd` as a shell would: a name with a slash is a path, anything
/// else is looked up in PATH.
pub fn find_command(
    k: &mut Kernel,
    cwd: Ino,
    cmd: &[u8],
    path_var: &[u8],
) -> Result<Vec<u8>, ExecError> {
    if cmd.contains(&b'/') {
        return Ok(cmd.to_vec());
    }
    for dir in path_var.split(|&c| c == b':').filter(|d| !d.is_empty()) {
        let mut full = dir.to_vec();
        full.push(b'/');
        full.extend_from_slice(cmd);
        if let Ok(l) = k.vfs.resolve(cwd, &full, true) {
            if let Ok(n) = k.vfs.node(l.ino) {
                if matches!(n.kind, NodeKind::File(_)) && n.mode & 0o111 != 0 {
                    return Ok(full);
                }
            }
        }
    }
    Err(ExecError::NotFound(show(cmd)))
}

/// Read an executable file, checking it is a regular file with an x bit.
fn read_executable(k: &mut Kernel, cwd: Ino, path: &[u8]) -> Result<Vec<u8>, ExecError> {
    let l = k.vfs.resolve(cwd, path, true).map_err(|e| match e {
        Errno::ENOENT | Errno::ENOTDIR => ExecError::NotFound(show(path)),
        e => ExecError::Io {
            path: show(path),
            errno: e.0,
        },
    })?;
    let node = k
        .vfs
        .node(l.ino)
        .map_err(|_| ExecError::NotFound(show(path)))?;
    match node.kind {
        NodeKind::Dir { .. } => return Err(ExecError::IsDir(show(path))),
        NodeKind::File(_) => {}
        _ => return Err(ExecError::NoPermission(show(path))),
    }
    if node.mode & 0o111 == 0 {
        return Err(ExecError::NoPermission(show(path)));
    }
    let io = |e: crate::kernel::errno::Errno| ExecError::Io {
        path: show(path),
        errno: e.0,
    };
    // A program written through a shared mapping runs as written.
    k.pages.write_back(&mut k.vfs, l.ino).map_err(io)?;
    k.vfs.read_all(l.ino).map_err(io)
}

/// A program ready to run in a fresh address space.
pub struct Image {
    pub mm: AddressSpace,
    pub cpu: Cpu,
    pub brk: u64,
    pub exe: Vec<u8>,
    pub cmdline: Vec<u8>,
    /// The task name (`/proc/PID/comm`): as Linux, the last component of the
    /// path given to execve (a script's own name, not its interpreter's).
    pub comm: Vec<u8>,
}

/// The task name Linux derives from a path: its last component, at most 15
/// bytes.
pub fn comm_of(path: &[u8]) -> Vec<u8> {
    let base = path.rsplit(|&c| c == b'/').next().unwrap_or(b"");
    base[..base.len().min(15)].to_vec()
}

/// Load `path` with `argv`/`envp` into a new address space.
pub fn load_program(
    k: &mut Kernel,
    pid: Pid,
    path: &[u8],
    mut argv: Vec<Vec<u8>>,
    envp: &[Vec<u8>],
) -> Result<Image, ExecError> {
    let cwd = k
        .procs
        .get(&pid)
        .map(|p| p.fs.borrow().cwd)
        .unwrap_or(crate::vfs::ROOT_INO);
    let comm = comm_of(path);
    let mut path = path.to_vec();
    let mut bytes = read_executable(k, cwd, &path)?;
    // `#!interpreter [one-arg]`, nested at most a few levels as Linux does.
    let mut depth = 0;
    while bytes.starts_with(b"#!") {
        depth += 1;
        if depth > 4 {
            return Err(ExecError::TooDeep(show(&path)));
        }
        let line_end = bytes
            .iter()
            .position(|&c| c == b'\n')
            .unwrap_or(bytes.len())
            .min(256);
        let line = bytes[2..line_end].trim_ascii();
        let (interp, arg) = match line.iter().position(|c| c.is_ascii_whitespace()) {
            Some(i) => (line[..i].to_vec(), Some(line[i..].trim_ascii().to_vec())),
            None => (line.to_vec(), None),
        };
        if interp.is_empty() {
            return Err(ExecError::Load {
                path: show(&path),
                source: LoadError::NotElf,
            });
        }
        let mut new_argv = vec![interp.clone()];
        new_argv.extend(arg.filter(|a| !a.is_empty()));
        new_argv.push(path.clone());
        new_argv.extend(argv.into_iter().skip(1));
        argv = new_argv;
        bytes = read_executable(k, cwd, &interp)?;
        path = interp;
    }
    let load_err = |p: &[u8], source| ExecError::Load {
        path: show(p),
        source,
    };
    let mut mm = AddressSpace::new(k.budget.clone());
    let exe =
        loader::load_elf(&mut mm, &bytes, loader::PIE_BASE).map_err(|e| load_err(&path, e))?;
    drop(bytes);
    let (entry, interp_base) = match &exe.interp {
        Some(interp) => {
            let ib = read_executable(k, cwd, interp).map_err(|e| match e {
                ExecError::NotFound(_) => ExecError::NotFound(format!(
                    "{} (the dynamic linker {} is missing from the image)",
                    show(&path),
                    show(interp)
                )),
                e => e,
            })?;
            let li = loader::load_elf(&mut mm, &ib, loader::INTERP_BASE)
                .map_err(|e| load_err(interp, e))?;
            (li.entry, li.bias)
        }
        None => (exe.entry, 0),
    };
    let mut random = [0u8; 16];
    k.host.random(&mut random);
    let (uid, gid) = k.procs.get(&pid).map(|p| (p.uid, p.gid)).unwrap_or((0, 0));
    let abs = if let Ok(c) = k.vfs.canonical(cwd, &path) {
        c
    } else if path.starts_with(b"/") {
        path.clone()
    } else {
        let mut a = k.vfs.path_of(cwd).unwrap_or_else(|_| b"/".to_vec());
        if !a.ends_with(b"/") {
            a.push(b'/');
        }
        a.extend_from_slice(&path);
        a
    };
    let cmdline: Vec<u8> = argv
        .iter()
        .flat_map(|a| a.iter().copied().chain([0]))
        .collect();
    let info = StackInfo {
        argv: &argv,
        envp,
        execfn: &path,
        exe: &exe,
        interp_base,
        random,
        uid,
        gid,
    };
    let sp = loader::build_stack(&mut mm, &info).map_err(|e| load_err(&path, e))?;
    super::signal::map_trampoline(&mut mm).map_err(|_| load_err(&path, LoadError::NoMemory))?;
    let brk = exe.end.next_multiple_of(crate::mm::PAGE_SIZE);
    Ok(Image {
        mm,
        cpu: Cpu::new(entry, sp),
        brk,
        exe: abs,
        cmdline,
        comm,
    })
}
