//! Running guest programs on the oracle and on friscy's runners, and
//! comparing what they did.
//!
//! Runners (all started with the workspace root as working directory):
//!
//! | runner | command |
//! |---|---|
//! | oracle | `proot -r build/fixtures/rootfs -b /dev -b /proc -q qemu-riscv64 -w / CMD ARGS` (env cleared; PATH + the case's variables) |
//! | `Wasmtime` | `wasmtime run --dir build/fixtures dist/friscy.wasm --image build/fixtures/rootfs.tar [-e K=V]... -- CMD ARGS` |
//! | `Packed` | `wasmtime run build/fixtures/packed/app.wasm [-e K=V]... -- CMD ARGS` (packed once with `friscy-pack rootfs.tar -o build/fixtures/packed/`) |
//! | `Native` | `target/release/friscy run build/fixtures/rootfs.tar [-i] [-e K=V]... -- CMD ARGS` (`-i` only when the case feeds stdin, as with `docker run`) |
//!
//! Environment overrides: `WASMTIME` (the wasmtime CLI), `CARGO_TARGET_DIR`,
//! `FRISCY_HARNESS_TIMEOUT` (seconds per run, default 120).

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{anyhow, bail, Context, Result};

use crate::cases::Case;
use crate::fixtures::{self, workspace_root};

/// A friscy runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// `wasmtime run dist/friscy.wasm --image ...`
    Wasmtime,
    /// `wasmtime run build/fixtures/packed/app.wasm`
    Packed,
    /// `target/release/friscy run ...`
    Native,
}

impl Runner {
    pub const ALL: [Runner; 3] = [Runner::Wasmtime, Runner::Packed, Runner::Native];

    pub fn name(self) -> &'static str {
        match self {
            Runner::Wasmtime => "wasmtime",
            Runner::Packed => "packed",
            Runner::Native => "native",
        }
    }
}

/// What to run: the guest command, its environment and stdin, and (for the
/// bad-input tests) the image path given to the runner.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// Image path relative to the workspace root; `None` means
    /// `build/fixtures/rootfs.tar`. Ignored by `Packed`.
    pub image: Option<String>,
    /// Guest argv (argv[0] is the path in the image). Empty: no `--` at all,
    /// so the runner uses the image's default command.
    pub argv: Vec<String>,
    /// Variables for the guest (`-e K=V`; qemu gets them as its environment).
    pub env: Vec<(String, String)>,
    /// Bytes written to the guest's stdin (empty: stdin is /dev/null).
    pub stdin: Vec<u8>,
}

impl Invocation {
    pub fn from_case(case: &Case) -> Invocation {
        Invocation {
            image: None,
            argv: case.argv(),
            env: case.env.clone(),
            stdin: case.stdin.clone(),
        }
    }

    fn guest_tail(&self, args: &mut Vec<String>) {
        for (k, v) in &self.env {
            args.push("-e".into());
            args.push(format!("{k}={v}"));
        }
        if !self.argv.is_empty() {
            args.push("--".into());
            args.extend(self.argv.iter().cloned());
        }
    }
}

/// The result of one process run.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit code, or 128 + signal number as a shell reports it.
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The command line, shell-quoted, for reports.
    pub command: String,
    pub elapsed: Duration,
}

/// Timeout for one process run.
pub fn timeout() -> Duration {
    let secs = std::env::var("FRISCY_HARNESS_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(120);
    Duration::from_secs(secs)
}

/// Quotes an argument for display in a shell-like command line.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn display_command(cmd: &Command) -> String {
    let mut s = String::new();
    if let Some(d) = cmd.get_current_dir() {
        let _ = write!(s, "(cd {} && ", shell_quote(&d.display().to_string()));
    }
    s.push_str(&shell_quote(&cmd.get_program().to_string_lossy()));
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&shell_quote(&a.to_string_lossy()));
    }
    if cmd.get_current_dir().is_some() {
        s.push(')');
    }
    s
}

fn status_code(st: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (st.code(), st.signal()) {
        (Some(c), _) => c,
        (None, Some(sig)) => 128 + sig,
        (None, None) => -1,
    }
}

/// Runs `cmd` with `stdin` fed to it (or /dev/null when empty), capturing
/// stdout and stderr, and kills it after [`timeout`].
pub fn run_command(mut cmd: Command, stdin: &[u8]) -> Result<Output> {
    let command = display_command(&cmd);
    cmd.stdin(if stdin.is_empty() {
        Stdio::null()
    } else {
        Stdio::piped()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting `{command}`"))?;
    let feeder = child.stdin.take().map(|mut w| {
        let data = stdin.to_vec();
        std::thread::spawn(move || {
            // The guest may exit without reading everything: ignore EPIPE.
            let _ = w.write_all(&data);
        })
    });
    let (out_tx, out_rx) = std::sync::mpsc::channel();
    let (err_tx, err_rx) = std::sync::mpsc::channel();
    for (pipe, tx) in [
        (
            Box::new(child.stdout.take().expect("piped stdout")) as Box<dyn Read + Send>,
            out_tx,
        ),
        (Box::new(child.stderr.take().expect("piped stderr")), err_tx),
    ] {
        let mut pipe = pipe;
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = pipe.read_to_end(&mut v);
            let _ = tx.send(v);
        });
    }
    let limit = timeout();
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = err_rx
                .recv_timeout(Duration::from_secs(2))
                .unwrap_or_default();
            let tail = String::from_utf8_lossy(&stderr);
            let skip = tail.chars().count().saturating_sub(2000);
            let tail: String = tail.chars().skip(skip).collect();
            bail!(
                "`{command}` did not finish within {}s (FRISCY_HARNESS_TIMEOUT); killed it. \
                 End of its stderr:\n{tail}",
                limit.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    // Something the child started may still hold the pipes open: wait a
    // little for end-of-file, not forever.
    let grace = Duration::from_secs(10);
    let stdout = out_rx
        .recv_timeout(grace)
        .map_err(|_| anyhow!("`{command}` exited but its stdout stayed open"))?;
    let stderr = err_rx
        .recv_timeout(grace)
        .map_err(|_| anyhow!("`{command}` exited but its stderr stayed open"))?;
    // The stdin feeder finishes by itself (EPIPE at worst); not joined, so
    // a stray reader of the pipe cannot hang the harness.
    drop(feeder);
    Ok(Output {
        status: status_code(status),
        stdout,
        stderr,
        command,
        elapsed,
    })
}

/// Finds `name` in PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// `$CARGO_TARGET_DIR` (relative to the workspace root) or `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => workspace_root().join(d),
        _ => workspace_root().join("target"),
    }
}

fn need_file(path: &Path, what: &str) -> Result<PathBuf> {
    if path.is_file() {
        Ok(path.to_path_buf())
    } else {
        bail!(
            "{what} is missing ({}): run `just build` first",
            path.display()
        )
    }
}

/// `dist/friscy.wasm`.
pub fn friscy_wasm() -> Result<PathBuf> {
    need_file(
        &workspace_root().join("dist").join("friscy.wasm"),
        "dist/friscy.wasm",
    )
}

/// The native runner, `target/release/friscy`.
pub fn friscy_native() -> Result<PathBuf> {
    need_file(
        &target_dir().join("release").join("friscy"),
        "the native runner target/release/friscy",
    )
}

/// The packer, `target/release/friscy-pack`.
pub fn friscy_pack() -> Result<PathBuf> {
    need_file(
        &target_dir().join("release").join("friscy-pack"),
        "the packer target/release/friscy-pack",
    )
}

/// The wasmtime CLI: `$WASMTIME`, else `wasmtime` in PATH, else
/// `~/.cargo/bin/wasmtime`.
pub fn wasmtime() -> Result<PathBuf> {
    if let Some(w) = std::env::var_os("WASMTIME").filter(|w| !w.is_empty()) {
        return need_file(Path::new(&w), "the wasmtime CLI named by $WASMTIME");
    }
    if let Some(w) = which("wasmtime") {
        return Ok(w);
    }
    if let Some(home) = std::env::var_os("HOME") {
        let w = Path::new(&home).join(".cargo/bin/wasmtime");
        if w.is_file() {
            return Ok(w);
        }
    }
    bail!(
        "the wasmtime CLI is missing (looked at $WASMTIME, PATH and ~/.cargo/bin): \
         run `just setup` (cargo install wasmtime-cli --version 48.0.8 --locked)"
    )
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// `build/fixtures/packed/`, holding `app.wasm` made by
/// `friscy-pack build/fixtures/rootfs.tar -o build/fixtures/packed/`.
pub fn packed_dir() -> PathBuf {
    fixtures::fixtures_dir().join("packed")
}

/// Packs the fixture image once (per process, and only when app.wasm is
/// older than rootfs.tar, the packer or the emulator), returning app.wasm.
pub fn packed_app() -> Result<PathBuf> {
    static PACKED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PACKED
        .get_or_init(|| pack_fixture_image().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(|e| anyhow!(e))
}

fn pack_fixture_image() -> Result<PathBuf> {
    let fx = fixtures::ensure();
    let packer = friscy_pack()?;
    let _lock = fixtures::lock()?;
    let out_dir = packed_dir();
    let app = out_dir.join("app.wasm");
    let inputs = [
        fx.rootfs_tar.clone(),
        packer.clone(),
        workspace_root().join("dist").join("emulator.wasm"),
    ];
    let newest_input = inputs.iter().filter_map(|p| mtime(p)).max();
    if let (Some(a), Some(i)) = (mtime(&app), newest_input) {
        if a >= i {
            return Ok(app);
        }
    }
    if out_dir.exists() {
        std::fs::remove_dir_all(&out_dir)?;
    }
    let mut cmd = Command::new(&packer);
    cmd.current_dir(workspace_root())
        .arg("build/fixtures/rootfs.tar")
        .arg("-o")
        .arg("build/fixtures/packed/");
    let out = run_command(cmd, b"")?;
    if out.status != 0 || !app.is_file() {
        bail!(
            "packing the fixture image failed: `{}` exited with {} (app.wasm {}):\n{}{}",
            out.command,
            out.status,
            if app.is_file() { "exists" } else { "missing" },
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(app)
}

/// The command line for `runner` (not started).
pub fn runner_command(runner: Runner, inv: &Invocation) -> Result<Command> {
    let image = inv
        .image
        .clone()
        .unwrap_or_else(|| "build/fixtures/rootfs.tar".to_string());
    let mut args: Vec<String> = Vec::new();
    let program = match runner {
        Runner::Wasmtime => {
            let wasm = friscy_wasm()?;
            let w = wasmtime()?;
            args.extend(["run", "--dir", "build/fixtures"].map(String::from));
            args.push(rel(&wasm));
            args.push("--image".into());
            args.push(image);
            w
        }
        Runner::Packed => {
            let w = wasmtime()?;
            let app = packed_app()?;
            args.push("run".into());
            args.push(rel(&app));
            w
        }
        Runner::Native => {
            let f = friscy_native()?;
            args.push("run".into());
            args.push(image);
            if !inv.stdin.is_empty() {
                args.push("-i".into());
            }
            f
        }
    };
    inv.guest_tail(&mut args);
    let mut cmd = Command::new(program);
    cmd.current_dir(workspace_root()).args(args);
    Ok(cmd)
}

/// `p` relative to the workspace root when it is inside it.
fn rel(p: &Path) -> String {
    p.strip_prefix(workspace_root())
        .unwrap_or(p)
        .display()
        .to_string()
}

/// Runs `inv` on `runner`.
pub fn run_runner(runner: Runner, inv: &Invocation) -> Result<Output> {
    fixtures::ensure();
    let cmd = runner_command(runner, inv)?;
    run_command(cmd, &inv.stdin)
}

/// The oracle's command line: qemu-riscv64 under proot, rooted in the
/// extracted image, with the working directory `/` and only PATH plus the
/// case's variables in the environment.
pub fn oracle_command(inv: &Invocation) -> Result<Command> {
    let fx = fixtures::ensure();
    let proot = which("proot").ok_or_else(|| {
        anyhow!("`proot` not found: install the Debian package `proot` (`just setup` does this)")
    })?;
    let qemu = which("qemu-riscv64").ok_or_else(|| {
        anyhow!(
            "`qemu-riscv64` not found: install the Debian package `qemu-user` \
             (`just setup` does this)"
        )
    })?;
    if inv.argv.is_empty() {
        bail!("the oracle needs a command");
    }
    let mut cmd = Command::new(proot);
    cmd.current_dir(workspace_root())
        .arg("-r")
        .arg(&fx.rootfs_dir)
        .args(["-b", "/dev", "-b", "/proc", "-q"])
        .arg(qemu)
        .args(["-w", "/"])
        .args(&inv.argv)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin");
    for (k, v) in &inv.env {
        cmd.env(k, v);
    }
    Ok(cmd)
}

/// Runs `inv` on the oracle.
pub fn run_oracle(inv: &Invocation) -> Result<Output> {
    let cmd = oracle_command(inv)?;
    let out = run_command(cmd, &inv.stdin)?;
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("proot error") || err.contains("proot warning") || err.contains("qemu: ") {
        bail!(
            "the oracle itself reported a problem running `{}`:\n{err}",
            out.command
        );
    }
    Ok(out)
}

/// Runs `case` on the oracle and on `runner`; panics with a readable report
/// when stdout, stderr (if the case compares it) or the exit status differ,
/// or when the oracle does not exit as the case expects (a fixture bug).
pub fn check_case(case: &Case, runner: Runner) {
    let inv = Invocation::from_case(case);
    let oracle = run_oracle(&inv).unwrap_or_else(|e| panic!("{}: oracle: {e:#}", case.name));
    if oracle.status != case.expect_status {
        panic!(
            "{}: the oracle exited with {} but the case expects {} (fixture or case bug)\n{}",
            case.name,
            oracle.status,
            case.expect_status,
            describe_output("oracle", &oracle)
        );
    }
    let got = run_runner(runner, &inv)
        .unwrap_or_else(|e| panic!("{} on {}: {e:#}", case.name, runner.name()));
    if let Some(report) = compare(case, runner, &oracle, &got) {
        panic!("{report}");
    }
}

/// `None` when `got` matches `oracle`; otherwise a report with diffs.
pub fn compare(case: &Case, runner: Runner, oracle: &Output, got: &Output) -> Option<String> {
    let mut problems = Vec::new();
    if oracle.status != got.status {
        problems.push(format!(
            "exit status: oracle {}, {} {}",
            oracle.status,
            runner.name(),
            got.status
        ));
    }
    if oracle.stdout != got.stdout {
        problems.push(format!(
            "stdout differs:\n{}",
            diff(&oracle.stdout, &got.stdout)
        ));
    }
    if case.compare_stderr && oracle.stderr != got.stderr {
        problems.push(format!(
            "stderr differs:\n{}",
            diff(&oracle.stderr, &got.stderr)
        ));
    }
    if problems.is_empty() {
        return None;
    }
    let mut r = format!(
        "{} on {}: output differs from the oracle (qemu-riscv64)\n  oracle: {} ({:.2?})\n  {}: {} ({:.2?})\n",
        case.name,
        runner.name(),
        oracle.command,
        oracle.elapsed,
        runner.name(),
        got.command,
        got.elapsed
    );
    for p in problems {
        for line in p.lines() {
            let _ = writeln!(r, "  {line}");
        }
    }
    if !case.compare_stderr && !got.stderr.is_empty() {
        let _ = writeln!(
            r,
            "  {} stderr (not compared):\n{}",
            runner.name(),
            indent(&excerpt(&got.stderr, 40), "    | ")
        );
    }
    Some(r)
}

/// A short description of an output, for failure messages.
pub fn describe_output(label: &str, o: &Output) -> String {
    format!(
        "{label}: {} ({:.2?}) exited with {}\n  stdout:\n{}\n  stderr:\n{}",
        o.command,
        o.elapsed,
        o.status,
        indent(&excerpt(&o.stdout, 30), "    | "),
        indent(&excerpt(&o.stderr, 30), "    | ")
    )
}

fn indent(s: &str, prefix: &str) -> String {
    s.lines().map(|l| format!("{prefix}{l}\n")).collect()
}

/// One line, made printable and cut at 200 characters.
fn show_line(l: &[u8]) -> String {
    let s = String::from_utf8_lossy(l);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i >= 200 {
            out.push_str("…(cut)");
            break;
        }
        if c == '\t' || !c.is_control() {
            out.push(c);
        } else {
            out.extend(c.escape_default());
        }
    }
    out
}

fn split_lines(b: &[u8]) -> Vec<&[u8]> {
    if b.is_empty() {
        return Vec::new();
    }
    b.split_inclusive(|&c| c == b'\n').collect()
}

/// The first `max` lines of `b`, printable.
pub fn excerpt(b: &[u8], max: usize) -> String {
    let lines = split_lines(b);
    let mut s = String::new();
    for l in lines.iter().take(max) {
        let _ = writeln!(s, "{}", show_line(l.strip_suffix(b"\n").unwrap_or(l)));
    }
    if lines.len() > max {
        let _ = writeln!(
            s,
            "… ({} more lines, {} bytes in all)",
            lines.len() - max,
            b.len()
        );
    }
    if b.is_empty() {
        s.push_str("(empty)\n");
    }
    s
}

/// A compact diff: common leading and trailing lines are skipped; if the
/// differing middle has the same number of lines on both sides, each changed
/// line pair is shown, otherwise the middle is (up to 25 lines a side, with
/// 3 lines of context). Linear, so cheap on megabytes of output.
pub fn diff(expected: &[u8], got: &[u8]) -> String {
    const MAX: usize = 25;
    let a = split_lines(expected);
    let b = split_lines(got);
    let pre = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let max_suf = a.len().min(b.len()) - pre;
    let suf = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suf)
        .take_while(|(x, y)| x == y)
        .count();
    let first_byte = expected
        .iter()
        .zip(got)
        .position(|(x, y)| x != y)
        .unwrap_or(expected.len().min(got.len()));
    let mut s = format!(
        "(- oracle {} bytes / {} lines, + runner {} bytes / {} lines; first difference at byte {first_byte}, line {})\n",
        expected.len(),
        a.len(),
        got.len(),
        b.len(),
        pre + 1
    );
    let (mid_a, mid_b) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    if mid_a.len() == mid_b.len() {
        // Same number of lines: show each changed line pair.
        let mut shown = 0;
        for (i, (x, y)) in mid_a.iter().zip(mid_b).enumerate() {
            if x == y {
                continue;
            }
            if shown == MAX {
                let _ = writeln!(s, "… (more changed lines)");
                break;
            }
            shown += 1;
            let _ = writeln!(s, "@@ line {} @@", pre + i + 1);
            for (sign, l) in [('-', x), ('+', y)] {
                let nl = if l.ends_with(b"\n") {
                    ""
                } else {
                    "  ⟨no newline⟩"
                };
                let _ = writeln!(
                    s,
                    "{sign} {}{nl}",
                    show_line(l.strip_suffix(b"\n").unwrap_or(l))
                );
            }
        }
        return s;
    }
    let ctx_start = pre.saturating_sub(3);
    for l in &a[ctx_start..pre] {
        let _ = writeln!(s, "  {}", show_line(l.strip_suffix(b"\n").unwrap_or(l)));
    }
    for (sign, lines) in [('-', mid_a), ('+', mid_b)] {
        for l in lines.iter().take(MAX) {
            let nl = if l.ends_with(b"\n") {
                ""
            } else {
                "  ⟨no newline⟩"
            };
            let _ = writeln!(
                s,
                "{sign} {}{nl}",
                show_line(l.strip_suffix(b"\n").unwrap_or(l))
            );
        }
        if lines.len() > MAX {
            let _ = writeln!(s, "{sign} … ({} more lines)", lines.len() - MAX);
        }
    }
    for l in b[b.len() - suf..].iter().take(3) {
        let _ = writeln!(s, "  {}", show_line(l.strip_suffix(b"\n").unwrap_or(l)));
    }
    s
}

/// Forbidden substrings in user-facing error output (case-insensitive).
pub const FORBIDDEN_IN_ERRORS: [&str; 3] = ["panicked", "wasm trap", "backtrace"];

/// The exit status a bad-input test requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectStatus {
    /// Any status but 0.
    NonZero,
    /// Exactly this status.
    Exactly(i32),
}

/// Checks a user-facing failure: the expected non-zero status, nothing on
/// stdout, and exactly one non-empty line on stderr that contains `needle`
/// and none of [`FORBIDDEN_IN_ERRORS`]. Returns the problems found.
pub fn check_error_output(out: &Output, status: ExpectStatus, needle: &str) -> Vec<String> {
    let mut problems = Vec::new();
    match status {
        ExpectStatus::NonZero if out.status == 0 => {
            problems.push("exited with 0; expected a failure".to_string())
        }
        ExpectStatus::Exactly(s) if out.status != s => {
            problems.push(format!("exited with {}; expected {s}", out.status))
        }
        _ => {}
    }
    if !out.stdout.is_empty() {
        problems.push(format!(
            "wrote {} bytes to stdout; expected nothing",
            out.stdout.len()
        ));
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.trim_end_matches('\n').split('\n').collect();
    if err.trim().is_empty() {
        problems.push("stderr is empty; expected one line naming the problem".into());
    } else if lines.len() != 1 {
        problems.push(format!(
            "stderr has {} lines; expected exactly one",
            lines.len()
        ));
    }
    if !err.trim().is_empty() && !err.to_lowercase().contains(&needle.to_lowercase()) {
        problems.push(format!("stderr does not mention {needle:?}"));
    }
    let lower = err.to_lowercase();
    for f in FORBIDDEN_IN_ERRORS {
        if lower.contains(f) {
            problems.push(format!("stderr contains {f:?}"));
        }
    }
    problems
}

/// Runs `inv` on `runner` and panics unless it fails cleanly (see
/// [`check_error_output`]).
pub fn check_bad_input(runner: Runner, inv: &Invocation, status: ExpectStatus, needle: &str) {
    let out = run_runner(runner, inv).unwrap_or_else(|e| panic!("{}: {e:#}", runner.name()));
    assert_clean_failure(runner.name(), &out, status, needle);
}

/// Panics with a report unless `out` is a clean failure.
pub fn assert_clean_failure(label: &str, out: &Output, status: ExpectStatus, needle: &str) {
    let problems = check_error_output(out, status, needle);
    if !problems.is_empty() {
        panic!(
            "{label}: bad input not reported cleanly:\n  - {}\n{}",
            problems.join("\n  - "),
            describe_output(label, out)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(status: i32, stdout: &str, stderr: &str) -> Output {
        Output {
            status,
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
            command: "x".into(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn diff_shows_the_differing_middle_with_context() {
        let a = "1\n2\n3\n4\n5\n6\n7\n";
        let b = "1\n2\n3\n4\nfive\n6\n7\n";
        let d = diff(a.as_bytes(), b.as_bytes());
        assert!(d.contains("@@ line 5 @@\n- 5\n+ five\n"), "{d}");
        assert!(!d.contains("4\n") && !d.contains("6\n"), "{d}");
        let c = "1\n2\n3\n4\n5a\n5b\n6\n7\n";
        let d = diff(a.as_bytes(), c.as_bytes());
        assert!(d.contains("- 5\n+ 5a\n+ 5b\n"), "{d}");
        assert!(d.contains("  4\n") && d.contains("  6\n"), "{d}");
        assert!(!d.contains("  1\n"), "{d}");
        let d = diff(b"same\n", b"same\nextra");
        assert!(d.contains("+ extra  ⟨no newline⟩"), "{d}");
        let d = diff(b"a\n", b"");
        assert!(d.contains("- a"), "{d}");
    }

    #[test]
    fn clean_failure_rules() {
        let ok = out(127, "", "friscy: /bin/x: command not found in the image\n");
        assert!(check_error_output(&ok, ExpectStatus::Exactly(127), "/bin/x").is_empty());
        assert!(check_error_output(&ok, ExpectStatus::NonZero, "/BIN/X").is_empty());
        let p = check_error_output(&ok, ExpectStatus::Exactly(126), "/bin/x");
        assert_eq!(p.len(), 1, "{p:?}");
        let two = out(
            1,
            "",
            "Error: failed to run main module\n\nCaused by: wasm trap\n",
        );
        let p = check_error_output(&two, ExpectStatus::NonZero, "app.tar");
        assert!(p.iter().any(|s| s.contains("lines")), "{p:?}");
        assert!(p.iter().any(|s| s.contains("app.tar")), "{p:?}");
        assert!(p.iter().any(|s| s.contains("wasm trap")), "{p:?}");
        let zero = out(0, "hi\n", "");
        assert_eq!(
            check_error_output(&zero, ExpectStatus::NonZero, "x").len(),
            3
        );
        let panic = out(101, "", "thread 'main' panicked at src/x.rs: x.tar\n");
        assert_eq!(
            check_error_output(&panic, ExpectStatus::NonZero, "x.tar").len(),
            1
        );
    }

    #[test]
    fn commands_are_quoted_for_display() {
        assert_eq!(shell_quote("a/b.c"), "a/b.c");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("b c"), "'b c'");
    }

    #[test]
    fn run_command_captures_everything_and_feeds_stdin() {
        let mut c = Command::new("sh");
        c.args(["-c", "cat; echo err >&2; exit 7"]);
        let o = run_command(c, b"input\n").unwrap();
        assert_eq!(o.status, 7);
        assert_eq!(o.stdout, b"input\n");
        assert_eq!(o.stderr, b"err\n");
        let mut c = Command::new("sh");
        c.args(["-c", "kill -TERM $$"]);
        assert_eq!(run_command(c, b"").unwrap().status, 128 + 15);
    }

    #[test]
    fn runner_command_lines() {
        let inv = Invocation {
            image: None,
            argv: vec!["/glibc/hello".into(), "a b".into()],
            env: vec![("FRISCY_TEST_A".into(), "1".into())],
            stdin: b"x".to_vec(),
        };
        let mut args = Vec::new();
        inv.guest_tail(&mut args);
        assert_eq!(args, ["-e", "FRISCY_TEST_A=1", "--", "/glibc/hello", "a b"]);
        let mut args = Vec::new();
        Invocation::default().guest_tail(&mut args);
        assert!(args.is_empty());
    }
}
