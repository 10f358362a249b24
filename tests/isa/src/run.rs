//! Tools: the cross assembler, the oracle and the friscy runners.

use crate::render::MARCH;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const GCC: &str = "riscv64-linux-gnu-gcc";
pub const QEMU: &str = "qemu-riscv64";

/// The repository root (this crate lives in `tests/isa`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Fail with a helpful message when a required tool is missing.
pub fn check_tools() -> Result<(), String> {
    let probe = |cmd: &str, arg: &str, pkg: &str| -> Result<(), String> {
        match Command::new(cmd)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Ok(_) => Ok(()),
            Err(e) => Err(format!(
                "`{cmd}` is not runnable ({e}): install the Debian package `{pkg}` \
                 (`just setup` does it)"
            )),
        }
    };
    probe(GCC, "--version", "gcc-riscv64-linux-gnu")?;
    probe(QEMU, "--version", "qemu-user")?;
    Ok(())
}

/// How a program is run.
#[derive(Clone, Debug)]
pub enum Runner {
    /// `qemu-riscv64 ELF` (the oracle; as the runner it checks determinism).
    Qemu,
    /// The core's native example runner: `run ROOTFS.tar -- /prog`.
    Native(PathBuf),
    /// The native host: `friscy run ROOTFS.tar -- /prog`.
    Friscy(PathBuf),
    /// The composed component under the wasmtime CLI.
    Wasmtime { wasmtime: PathBuf, wasm: PathBuf },
}

impl Runner {
    pub fn name(&self) -> &'static str {
        match self {
            Runner::Qemu => "qemu",
            Runner::Native(_) => "friscy-native",
            Runner::Friscy(_) => "friscy",
            Runner::Wasmtime { .. } => "friscy-wasmtime",
        }
    }

    /// The runner named `name` with its default paths (building the native
    /// example runner first when `build`).
    /// `profile` is the cargo profile of the native runner (`release`, `dev`).
    pub fn from_name(
        name: &str,
        bin: Option<PathBuf>,
        build: bool,
        profile: &str,
    ) -> Result<Runner, String> {
        let root = repo_root();
        match name {
            "qemu" => Ok(Runner::Qemu),
            "native" => {
                let path = match bin {
                    Some(p) => p,
                    None => {
                        if build {
                            build_native_runner(profile)?;
                        }
                        let dir = if profile == "dev" { "debug" } else { profile };
                        let target = std::env::var_os("CARGO_TARGET_DIR")
                            .map_or_else(|| root.join("target"), PathBuf::from);
                        target.join(dir).join("examples/run")
                    }
                };
                exists(&path, "cargo build --release -p friscy-core --example run")?;
                Ok(Runner::Native(path))
            }
            "friscy" => {
                let path = bin.unwrap_or_else(|| root.join("target/release/friscy"));
                exists(&path, "just build")?;
                Ok(Runner::Friscy(path))
            }
            "wasmtime" => {
                let wasm = bin.unwrap_or_else(|| root.join("dist/friscy.wasm"));
                exists(&wasm, "just build")?;
                Ok(Runner::Wasmtime {
                    wasmtime: PathBuf::from("wasmtime"),
                    wasm,
                })
            }
            other => Err(format!(
                "unknown runner `{other}` (native, friscy, wasmtime, qemu)"
            )),
        }
    }
}

fn exists(p: &Path, hint: &str) -> Result<(), String> {
    if p.exists() {
        Ok(())
    } else {
        Err(format!(
            "{} does not exist (build it: `{hint}`)",
            p.display()
        ))
    }
}

/// `cargo build -p friscy-core --example run` in `profile` (a no-op when fresh).
pub fn build_native_runner(profile: &str) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(repo_root())
        .args(["build", "-q", "--profile", profile])
        .args(["-p", "friscy-core", "--example", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "building the native runner (friscy-core example `run`) failed:\n{}",
            tail.join("\n")
        ));
    }
    Ok(())
}

/// Assemble `asm` into the static ELF `dir/name` (keeping `dir/name.S`).
pub fn assemble(asm: &str, dir: &Path, name: &str) -> Result<PathBuf, String> {
    let src = dir.join(format!("{name}.S"));
    let elf = dir.join(name);
    std::fs::write(&src, asm).map_err(|e| format!("{}: {e}", src.display()))?;
    let out = Command::new(GCC)
        .args(gcc_args())
        .arg(&src)
        .arg("-o")
        .arg(&elf)
        .output()
        .map_err(|e| {
            format!("cannot run {GCC}: {e} (install gcc-riscv64-linux-gnu: `just setup`)")
        })?;
    if !out.status.success() {
        return Err(format!(
            "assembling {} failed:\n{}",
            src.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(elf)
}

pub fn gcc_args() -> Vec<String> {
    [
        "-nostdlib",
        "-static",
        "-no-pie",
        "-Wl,--no-relax",
        "-Wl,--build-id=none",
        "-Wl,--no-warn-rwx-segments",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("-march={MARCH}"), "-mabi=lp64d".into()])
    .collect()
}

/// A rootfs tar holding the ELF as `/prog`.
pub fn write_tar(elf: &Path, tar: &Path) -> Result<(), String> {
    let data = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    let mut out = Vec::with_capacity(data.len() + 2048);
    let mut h = [0u8; 512];
    h[..4].copy_from_slice(b"prog");
    let octal = |h: &mut [u8; 512], off: usize, len: usize, v: u64| {
        let s = format!("{:0w$o}\0", v, w = len - 1);
        h[off..off + len].copy_from_slice(s.as_bytes());
    };
    octal(&mut h, 100, 8, 0o755);
    octal(&mut h, 108, 8, 0);
    octal(&mut h, 116, 8, 0);
    octal(&mut h, 124, 12, data.len() as u64);
    octal(&mut h, 136, 12, 0);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(&data);
    out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
    std::fs::write(tar, out).map_err(|e| format!("{}: {e}", tar.display()))
}

#[derive(Debug)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Exit code; `None` when killed by a signal or the timeout.
    pub code: Option<i32>,
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl Output {
    /// One line describing how it ended, with the start of stderr.
    pub fn describe(&self) -> String {
        let how = if self.timed_out {
            "timed out".to_string()
        } else {
            match self.code {
                Some(c) => format!("exit status {c}"),
                None => "killed by a signal".to_string(),
            }
        };
        let err = String::from_utf8_lossy(&self.stderr);
        let err: Vec<&str> = err.lines().take(6).collect();
        if err.is_empty() {
            how
        } else {
            format!("{how}; stderr: {}", err.join(" | "))
        }
    }
}

/// Run `elf` with `runner`, killing it after `timeout`.
pub fn run(runner: &Runner, elf: &Path, timeout: Duration) -> Result<Output, String> {
    let mut cmd = match runner {
        Runner::Qemu => {
            let mut c = Command::new(QEMU);
            c.arg(elf);
            c
        }
        Runner::Native(bin) | Runner::Friscy(bin) => {
            let tar = elf.with_extension("tar");
            write_tar(elf, &tar)?;
            let mut c = Command::new(bin);
            if matches!(runner, Runner::Friscy(_)) {
                c.arg("run");
            }
            c.arg(&tar).args(["--", "/prog"]);
            c
        }
        Runner::Wasmtime { wasmtime, wasm } => {
            let tar = elf.with_extension("tar");
            write_tar(elf, &tar)?;
            let dir = std::fs::canonicalize(tar.parent().unwrap_or(Path::new(".")))
                .map_err(|e| e.to_string())?;
            let tar = dir.join(tar.file_name().unwrap());
            let mut c = Command::new(wasmtime);
            c.arg("run")
                .arg("--dir")
                .arg(&dir)
                .arg(wasm)
                .arg("--image")
                .arg(&tar)
                .args(["--", "/prog"]);
            c
        }
    };
    run_cmd(&mut cmd, timeout)
}

/// Run a command with captured output and a timeout.
pub fn run_cmd(cmd: &mut Command, timeout: Duration) -> Result<Output, String> {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        // Bound what a runaway emulator can make us hold.
        let _ = (&mut se).take(1 << 20).read_to_end(&mut v);
        let _ = std::io::copy(&mut se, &mut std::io::sink());
        v
    });
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) => {}
            Err(e) => return Err(e.to_string()),
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            timed_out = true;
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let stdout = t_out.join().unwrap_or_default();
    let stderr = t_err.join().unwrap_or_default();
    Ok(Output {
        stdout,
        stderr,
        code: status.and_then(|s| s.code()),
        timed_out,
        elapsed: start.elapsed(),
    })
}
