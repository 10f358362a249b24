//! Guest test programs and the root file system image they run in.
//!
//! Layout under `build/fixtures/` (gitignored; paths relative to the
//! workspace root):
//!
//! ```text
//! glibc/<prog>        static glibc build of tests/guest/<prog>.c (ET_EXEC)
//! musl/<prog>         static-pie musl build (zig cc; ET_DYN, no PT_INTERP; stripped)
//! x86/hello           x86-64 build of hello.c (host gcc), for bad-input tests
//! rootfs.tar          the image: /glibc, /musl, /x86, /data, /etc, ... (see `rootfs_entries`)
//! rootfs/             rootfs.tar extracted, for the oracle (proot -r)
//! not-a-tar.txt       a text file, for bad-input tests
//! stamps/             build keys, so unchanged programs are not recompiled
//! packed/             `friscy-pack rootfs.tar -o packed/` (made by the harness)
//! manifest.json, expected/   written by `build-fixtures` for other hosts
//! ```
//!
//! Everything is deterministic: entries sorted, mtime fixed to [`MTIME`],
//! uid/gid 0, fixed modes; the tar is rewritten only when its bytes change.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Context, Result};

/// Modification time of every entry in the image (2023-11-14T22:13:20Z).
pub const MTIME: u64 = 1_700_000_000;

/// Size of `/data/blob.bin`.
pub const BLOB_SIZE: usize = 1 << 20;

/// The C library a guest program is linked against; also its directory in
/// the image (`/glibc/hello`, `/musl/hello`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Libc {
    Glibc,
    Musl,
}

impl Libc {
    pub const ALL: [Libc; 2] = [Libc::Glibc, Libc::Musl];

    pub fn name(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
        }
    }

    /// Path of a program inside the image, e.g. `/musl/cat`.
    pub fn guest_path(self, prog: &str) -> String {
        format!("/{}/{prog}", self.name())
    }
}

/// The workspace root (`../` from this crate's manifest).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests crate has a parent directory")
        .to_path_buf()
}

/// `tests/guest/`: the C sources of the guest programs.
pub fn guest_src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("guest")
}

/// `build/fixtures/` under the workspace root.
pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("build").join("fixtures")
}

/// Paths of the built fixtures.
#[derive(Debug, Clone)]
pub struct Fixtures {
    /// `build/fixtures/`
    pub dir: PathBuf,
    /// `build/fixtures/rootfs.tar`
    pub rootfs_tar: PathBuf,
    /// `build/fixtures/rootfs/` (the tar, extracted)
    pub rootfs_dir: PathBuf,
    /// `build/fixtures/not-a-tar.txt`
    pub not_a_tar: PathBuf,
    /// Guest program names (file stems of `tests/guest/*.c`), sorted.
    pub programs: Vec<String>,
}

impl Fixtures {
    /// Host path of a built guest program.
    pub fn binary(&self, libc: Libc, prog: &str) -> PathBuf {
        self.dir.join(libc.name()).join(prog)
    }

    /// Host path of the x86-64 build of hello.
    pub fn x86_hello(&self) -> PathBuf {
        self.dir.join("x86").join("hello")
    }
}

/// What one `build` call did.
#[derive(Debug, Default)]
pub struct BuildReport {
    /// Outputs that were (re)built, as paths relative to `build/fixtures/`.
    pub rebuilt: Vec<String>,
}

/// Builds the fixtures once per process (and waits for any other process
/// building them), then returns their paths. Panics with the build error,
/// which names the missing tool and `just setup` when a compiler is absent.
pub fn ensure() -> &'static Fixtures {
    static FIXTURES: OnceLock<Result<Fixtures, String>> = OnceLock::new();
    let built = FIXTURES.get_or_init(|| build().map(|(f, _)| f).map_err(|e| format!("{e:#}")));
    match built {
        Ok(f) => f,
        Err(e) => panic!("building the test fixtures failed:\n{e}"),
    }
}

/// An exclusive lock on `build/fixtures/.lock` (flock), held while fixtures
/// or the packed app are being written, so parallel test processes
/// (e.g. nextest) do not trip over each other.
pub struct FixtureLock {
    _file: File,
}

pub fn lock() -> Result<FixtureLock> {
    let dir = fixtures_dir();
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(".lock");
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    // SAFETY: flock on a file descriptor we own; released when `file` closes.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error()).context("flock build/fixtures/.lock");
    }
    Ok(FixtureLock { _file: file })
}

/// Compiles what changed, rewrites the image if its bytes changed, and
/// re-extracts it for the oracle if needed.
pub fn build() -> Result<(Fixtures, BuildReport)> {
    let _lock = lock()?;
    let dir = fixtures_dir();
    let mut report = BuildReport::default();
    for sub in ["glibc", "musl", "x86", "stamps"] {
        fs::create_dir_all(dir.join(sub))?;
    }

    let programs = discover_programs()?;
    let headers = header_bytes()?;
    for prog in &programs {
        let src = guest_src_dir().join(format!("{prog}.c"));
        let source = fs::read(&src).with_context(|| format!("reading {}", src.display()))?;
        for libc in Libc::ALL {
            let out = dir.join(libc.name()).join(prog);
            let argv = compile_command(
                libc,
                &format!("tests/guest/{prog}.c"),
                &format!("build/fixtures/{}/{prog}", libc.name()),
            );
            let expect = match libc {
                Libc::Glibc => ElfExpect::StaticExec,
                Libc::Musl => ElfExpect::StaticPie,
            };
            if compile_if_stale(&dir, &argv, &source, &headers, &out, expect)? {
                report.rebuilt.push(format!("{}/{prog}", libc.name()));
            }
        }
    }
    // The x86-64 program for the "wrong architecture" test.
    {
        let src = guest_src_dir().join("hello.c");
        let source = fs::read(&src).with_context(|| format!("reading {}", src.display()))?;
        let out = dir.join("x86").join("hello");
        let argv = vec![
            "gcc".to_string(),
            "-O2".into(),
            "-o".into(),
            "build/fixtures/x86/hello".into(),
            "tests/guest/hello.c".into(),
        ];
        if compile_if_stale(&dir, &argv, &source, &headers, &out, ElfExpect::X86_64)? {
            report.rebuilt.push("x86/hello".into());
        }
    }

    let fixtures = Fixtures {
        rootfs_tar: dir.join("rootfs.tar"),
        rootfs_dir: dir.join("rootfs"),
        not_a_tar: dir.join("not-a-tar.txt"),
        dir: dir.clone(),
        programs,
    };

    let entries = rootfs_entries(&fixtures)?;
    let tar = tar_bytes(&entries)?;
    if write_if_changed(&fixtures.rootfs_tar, &tar)? {
        report.rebuilt.push("rootfs.tar".into());
    }
    let tar_key = format!("{:016x}\n", fnv64(&tar));
    let extract_stamp = dir.join("stamps").join("rootfs-dir");
    if fs::read_to_string(&extract_stamp).ok().as_deref() != Some(tar_key.as_str())
        || !fixtures.rootfs_dir.is_dir()
    {
        extract(&tar, &fixtures.rootfs_dir)?;
        fs::write(&extract_stamp, &tar_key)?;
        report.rebuilt.push("rootfs/".into());
    }
    if write_if_changed(&fixtures.not_a_tar, NOT_A_TAR)? {
        report.rebuilt.push("not-a-tar.txt".into());
    }
    Ok((fixtures, report))
}

const NOT_A_TAR: &[u8] = b"This is a plain text file, not a tar archive.\n\
It exists so that the runners can be shown something that is not an image.\n";

/// `tests/guest/*.c` stems, sorted.
fn discover_programs() -> Result<Vec<String>> {
    let dir = guest_src_dir();
    let mut progs = Vec::new();
    for ent in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = ent?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("c") {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                progs.push(stem.to_string());
            }
        }
    }
    progs.sort();
    if progs.is_empty() {
        bail!("no guest programs found in {}", dir.display());
    }
    Ok(progs)
}

/// All `tests/guest/*.h`, concatenated in name order (part of every build key).
fn header_bytes() -> Result<Vec<u8>> {
    let dir = guest_src_dir();
    let mut names: Vec<PathBuf> = fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("h"))
        .collect();
    names.sort();
    let mut all = Vec::new();
    for n in names {
        let name = n.file_name().map(|f| f.to_string_lossy().into_owned());
        all.extend_from_slice(name.unwrap_or_default().as_bytes());
        all.extend(fs::read(&n)?);
    }
    Ok(all)
}

/// The zig C compiler: `$FRISCY_ZIG` if set (a command line, e.g. `zig`),
/// else `python3 -m ziglang` (PyPI `ziglang`).
fn zig_command() -> Vec<String> {
    match std::env::var("FRISCY_ZIG") {
        Ok(v) if !v.trim().is_empty() => v.split_whitespace().map(String::from).collect(),
        _ => vec!["python3".into(), "-m".into(), "ziglang".into()],
    }
}

/// How to get the compiler `argv0` (for "not found" errors).
fn install_hint(argv0: &str) -> String {
    match argv0 {
        "riscv64-linux-gnu-gcc" => {
            "install the Debian package `gcc-riscv64-linux-gnu` (`just setup` does this)".into()
        }
        "gcc" => "install the Debian package `gcc` (`just setup` does this)".into(),
        _ => "install zig with `pip install ziglang` (`just setup` does this), \
              or set FRISCY_ZIG to a zig command"
            .into(),
    }
}

/// The full compiler command line for one guest program.
/// Paths are relative to the workspace root (the compiler runs there), so
/// neither the build keys nor the binaries depend on where the checkout is.
fn compile_command(libc: Libc, src: &str, out: &str) -> Vec<String> {
    let (src, out) = (src.to_string(), out.to_string());
    // zig puts DWARF in every musl program (1.7 MB each); drop it. (zig's
    // linker strips the symbol table too; glibc builds keep theirs.)
    let common = ["-Wall", "-Wextra", "-Wl,--strip-debug"];
    let mut argv: Vec<String> = match libc {
        Libc::Glibc => {
            // The Debian cross glibc has no rcrt1.o, so no static-pie here.
            let mut v = vec!["riscv64-linux-gnu-gcc".to_string()];
            v.extend(["-O2", "-static"].map(String::from));
            v
        }
        Libc::Musl => {
            // zig links musl programs built with -fPIE as static-pie; it
            // warns that `-static-pie` is unused, so say `-static -pie`
            // instead. `compile_if_stale` checks the result (ET_DYN, no
            // PT_INTERP).
            let mut v = zig_command();
            v.extend(
                [
                    "cc",
                    "-target",
                    "riscv64-linux-musl",
                    "-O2",
                    "-static",
                    "-fPIE",
                    "-pie",
                ]
                .map(String::from),
            );
            v
        }
    };
    argv.extend(common.map(String::from));
    argv.extend(["-o".to_string(), out, src, "-lm".to_string()]);
    argv
}

/// Runs `argv` if the stamp for `out` does not match (command line + source
/// + headers), checks the ELF, and records the stamp. Returns true if built.
fn compile_if_stale(
    dir: &Path,
    argv: &[String],
    source: &[u8],
    headers: &[u8],
    out: &Path,
    expect: ElfExpect,
) -> Result<bool> {
    let rel = out.strip_prefix(dir).unwrap_or(out).display().to_string();
    let stamp = dir.join("stamps").join(rel.replace('/', "-"));
    let mut keyed = argv.join(" ").into_bytes();
    keyed.push(0);
    keyed.extend_from_slice(source);
    keyed.push(0);
    keyed.extend_from_slice(headers);
    let key = format!("{:016x} {}\n", fnv64(&keyed), argv.join(" "));
    if out.is_file() && fs::read_to_string(&stamp).ok().as_deref() == Some(key.as_str()) {
        return Ok(false);
    }
    let tmp = out.with_extension("tmp");
    let mut tmp_argv = argv.to_vec();
    let o = tmp_argv
        .iter()
        .position(|a| a == "-o")
        .expect("compile command has -o");
    tmp_argv[o + 1].push_str(".tmp");
    let output = match Command::new(&tmp_argv[0])
        .args(&tmp_argv[1..])
        .current_dir(workspace_root())
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "`{}` not found: {}",
                tmp_argv[0],
                install_hint(&tmp_argv[0])
            )
        }
        Err(e) => return Err(e).with_context(|| format!("running {}", tmp_argv[0])),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() && stderr.contains("No module named") {
        bail!(
            "`{}` failed: {}: {}",
            tmp_argv[..3.min(tmp_argv.len())].join(" "),
            stderr.trim(),
            install_hint(&tmp_argv[0])
        );
    }
    if !output.status.success() {
        bail!(
            "compiling {rel} failed ({}):\n$ {}\n{}{}",
            output.status,
            tmp_argv.join(" "),
            String::from_utf8_lossy(&output.stdout),
            stderr
        );
    }
    check_elf(&tmp, expect)
        .with_context(|| format!("checking the output of `{}`", tmp_argv.join(" ")))?;
    fs::rename(&tmp, out)?;
    fs::write(&stamp, key)?;
    Ok(true)
}

/// What a built program must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfExpect {
    /// RISC-V, ET_EXEC, no PT_INTERP.
    StaticExec,
    /// RISC-V, ET_DYN with PT_DYNAMIC and no PT_INTERP.
    StaticPie,
    /// x86-64 (anything).
    X86_64,
}

/// The few ELF header facts the fixtures care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElfFacts {
    pub e_type: u16,
    pub e_machine: u16,
    pub has_interp: bool,
    pub has_dynamic: bool,
}

pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const EM_X86_64: u16 = 62;
pub const EM_RISCV: u16 = 243;

/// Reads the ELF64 little-endian header and program headers of `path`.
pub fn elf_facts(path: &Path) -> Result<ElfFacts> {
    let mut data = Vec::new();
    File::open(path)
        .with_context(|| format!("opening {}", path.display()))?
        .read_to_end(&mut data)?;
    let u16_at = |o: usize| -> Result<u16> {
        data.get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or_else(|| anyhow!("{}: truncated ELF", path.display()))
    };
    let u32_at = |o: usize| -> Result<u32> {
        data.get(o..o + 4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
            .ok_or_else(|| anyhow!("{}: truncated ELF", path.display()))
    };
    let u64_at = |o: usize| -> Result<u64> {
        data.get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .ok_or_else(|| anyhow!("{}: truncated ELF", path.display()))
    };
    if data.len() < 64 || &data[..4] != b"\x7fELF" || data[4] != 2 || data[5] != 1 {
        bail!("{}: not a little-endian ELF64 file", path.display());
    }
    let phoff = usize::try_from(u64_at(32)?)?;
    let phentsize = usize::from(u16_at(54)?);
    let phnum = usize::from(u16_at(56)?);
    let (mut has_interp, mut has_dynamic) = (false, false);
    for i in 0..phnum {
        match u32_at(phoff + i * phentsize)? {
            2 => has_dynamic = true,
            3 => has_interp = true,
            _ => {}
        }
    }
    Ok(ElfFacts {
        e_type: u16_at(16)?,
        e_machine: u16_at(18)?,
        has_interp,
        has_dynamic,
    })
}

pub fn check_elf(path: &Path, expect: ElfExpect) -> Result<()> {
    let f = elf_facts(path)?;
    let ok = match expect {
        ElfExpect::StaticExec => f.e_machine == EM_RISCV && f.e_type == ET_EXEC && !f.has_interp,
        ElfExpect::StaticPie => {
            f.e_machine == EM_RISCV && f.e_type == ET_DYN && !f.has_interp && f.has_dynamic
        }
        ElfExpect::X86_64 => f.e_machine == EM_X86_64,
    };
    if !ok {
        bail!("{}: expected {expect:?}, found {f:?}", path.display());
    }
    Ok(())
}

/// One entry of the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    Dir,
    File(Vec<u8>),
    Symlink(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    /// Path inside the image without a leading `/` (directories without a
    /// trailing `/`; `tar_bytes` adds it).
    pub path: String,
    pub mode: u32,
    pub kind: EntryKind,
}

/// `/data/lines.txt`: 200 lines of varying length, one longer than the
/// 256-byte fgets buffer of cat.c, and a last line without a newline.
pub fn lines_txt() -> Vec<u8> {
    let mut s = String::new();
    for i in 1..=200u32 {
        if i == 150 {
            s.push_str(&format!("line {i:03}: {}\n", "long ".repeat(80)));
        } else {
            s.push_str(&format!(
                "line {i:03}: {}\n",
                "abcdefghij".repeat(usize::try_from(i % 7).expect("small"))
            ));
        }
    }
    s.push_str("last line without a newline");
    s.into_bytes()
}

/// `/data/blob.bin`: 1 MiB from xorshift64 with a fixed seed.
pub fn blob_bin() -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut v = Vec::with_capacity(BLOB_SIZE);
    while v.len() < BLOB_SIZE {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(BLOB_SIZE);
    v
}

/// Every entry of `rootfs.tar`, sorted by path, parents before children.
pub fn rootfs_entries(fx: &Fixtures) -> Result<Vec<TarEntry>> {
    let mut m: BTreeMap<String, (u32, EntryKind)> = BTreeMap::new();
    let file = |s: &[u8]| EntryKind::File(s.to_vec());
    for libc in Libc::ALL {
        for prog in &fx.programs {
            let bin = fx.binary(libc, prog);
            let bytes = fs::read(&bin).with_context(|| format!("reading {}", bin.display()))?;
            m.insert(
                format!("{}/{prog}", libc.name()),
                (0o755, EntryKind::File(bytes)),
            );
        }
    }
    let x86 = fs::read(fx.x86_hello())?;
    m.insert("x86/hello".into(), (0o755, EntryKind::File(x86)));

    m.insert(
        "data/small.txt".into(),
        (0o644, file(b"hello from the friscy test image\n")),
    );
    m.insert(
        "data/lines.txt".into(),
        (0o644, EntryKind::File(lines_txt())),
    );
    m.insert("data/blob.bin".into(), (0o644, EntryKind::File(blob_bin())));
    m.insert("data/empty".into(), (0o644, file(b"")));
    let link = |t: &str| EntryKind::Symlink(t.to_string());
    m.insert("data/link.txt".into(), (0o777, link("small.txt")));
    m.insert("data/abslink".into(), (0o777, link("/data/lines.txt")));
    m.insert("data/dangling".into(), (0o777, link("does-not-exist")));
    m.insert("data/dir/a.txt".into(), (0o644, file(b"file a\n")));
    m.insert(
        "data/dir/b.txt".into(),
        (0o644, file(b"file b\nsecond line\n")),
    );
    m.insert("data/dir/.hidden".into(), (0o600, file(b"hidden\n")));
    m.insert(
        "data/dir/name with spaces.txt".into(),
        (0o644, file(b"spaces\n")),
    );
    m.insert("data/dir/sub/deep.txt".into(), (0o644, file(b"deep\n")));
    m.insert("data/dir/link-to-sub".into(), (0o777, link("sub")));
    for i in 0..150 {
        m.insert(format!("data/many/entry-{i:03}"), (0o644, file(b"")));
    }
    m.insert(
        "etc/passwd".into(),
        (
            0o644,
            file(b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"),
        ),
    );
    m.insert(
        "etc/group".into(),
        (0o644, file(b"root:x:0:\nnogroup:x:65534:\n")),
    );
    m.insert(
        "etc/os-release".into(),
        (0o644, file(b"NAME=\"friscy test image\"\nID=friscy-test\n")),
    );
    for d in ["dev", "proc", "root", "tmp"] {
        m.insert(
            d.into(),
            (if d == "tmp" { 0o1777 } else { 0o755 }, EntryKind::Dir),
        );
    }
    // Parent directories of everything.
    let paths: Vec<String> = m.keys().cloned().collect();
    for p in paths {
        let mut cur = p.as_str();
        while let Some((parent, _)) = cur.rsplit_once('/') {
            m.entry(parent.to_string())
                .or_insert((0o755, EntryKind::Dir));
            cur = parent;
        }
    }
    Ok(m.into_iter()
        .map(|(path, (mode, kind))| TarEntry { path, mode, kind })
        .collect())
}

/// A deterministic ustar archive of `entries` (in the given order).
pub fn tar_bytes(entries: &[TarEntry]) -> Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_ustar();
        h.set_mode(e.mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_username("root")?;
        h.set_groupname("root")?;
        h.set_mtime(MTIME);
        match &e.kind {
            EntryKind::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                h.set_path(format!("{}/", e.path))?;
                h.set_cksum();
                b.append(&h, std::io::empty())?;
            }
            EntryKind::File(data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                h.set_path(&e.path)?;
                h.set_cksum();
                b.append(&h, data.as_slice())?;
            }
            EntryKind::Symlink(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_path(&e.path)?;
                h.set_link_name(target)?;
                h.set_cksum();
                b.append(&h, std::io::empty())?;
            }
        }
    }
    Ok(b.into_inner()?)
}

/// Extracts `tar` into `dest` (replacing it) via a temporary directory.
fn extract(tar: &[u8], dest: &Path) -> Result<()> {
    let tmp = dest.with_extension("tmp");
    if tmp.exists() {
        fs::remove_dir_all(&tmp)?;
    }
    fs::create_dir_all(&tmp)?;
    let mut a = tar::Archive::new(tar);
    a.set_preserve_permissions(true);
    a.set_preserve_mtime(true);
    a.unpack(&tmp)
        .with_context(|| format!("extracting rootfs.tar into {}", tmp.display()))?;
    if dest.exists() {
        fs::remove_dir_all(dest)?;
    }
    fs::rename(&tmp, dest)?;
    Ok(())
}

/// Writes `data` to `path` (atomically) unless it already holds exactly that.
pub fn write_if_changed(path: &Path, data: &[u8]) -> Result<bool> {
    if let Ok(old) = fs::read(path) {
        if old == data {
            return Ok(false);
        }
    }
    let tmp = path.with_extension("tmp-write");
    {
        let mut f = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(data)?;
    }
    fs::rename(&tmp, path)?;
    Ok(true)
}

/// FNV-1a, 64 bit: stable across Rust versions (unlike `DefaultHasher`).
pub fn fnv64(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
