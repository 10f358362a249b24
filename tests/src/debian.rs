//! Debian trixie riscv64 root file systems, built from the archive's own
//! packages, and the differential runs of real software inside them.
//!
//! # Building
//!
//! `Packages.xz` of `dists/trixie/main/binary-riscv64/` is read directly
//! (apt and debootstrap may refuse the mirror: its `Packages.xz` can be
//! older than its `InRelease`). The stanzas are parsed, `Pre-Depends` and
//! `Depends` are followed from a profile's root packages (the first
//! alternative that is a real package wins, else the first provider of a
//! virtual one; version constraints are ignored, the index holds one
//! version of each package; what cannot be resolved is skipped with a
//! note). Each `.deb` is downloaded once into the cache
//! (`~/.cache/friscy/debian/`, never the repository), checked against the
//! SHA256 and size in the index, and unpacked with `dpkg-deb --fsys-tarfile`
//! (the tar stream `dpkg-deb -x` extracts) into an in-memory tree. No
//! maintainer script runs; instead the builder
//!
//! - merges `/usr`: anything shipped under `/bin`, `/sbin`, `/lib*` lands in
//!   `/usr/...`, and `/bin -> usr/bin`, `/sbin -> usr/sbin`, `/lib -> usr/lib`
//!   (and `/lib64`, ... when `/usr/lib64` exists) are symlinks, so `/bin/sh`
//!   and `/lib/ld-linux-riscv64-lp64d.so.1` resolve;
//! - adds `/usr/bin/sh -> dash`, `/etc/passwd`, `/etc/group`, `/etc/hostname`,
//!   `/etc/hosts`, `/etc/resolv.conf` (the same bytes friscy synthesizes),
//!   `/tmp`, `/var/tmp` (1777), `/root` (700), `/home`, `/run`, `/dev`, `/proc`;
//! - gives an image with dpkg an empty `/var/lib/dpkg/status` (dpkg will
//!   not start without its database);
//! - copies `tests/scripts/*` to `/friscy-tests/` (the guest test inputs).
//!
//! Output, under `build/debian/<profile>/` (gitignored):
//!
//! ```text
//! rootfs.tar     the image: entries sorted, mtime fixed to fixtures::MTIME, GNU tar
//! rootfs/        rootfs.tar extracted (owners, modes and every mtime incl. symlinks) for the oracle
//! packages.txt   the resolved packages (name, version, size, sha256) and the resolver's notes
//! stamp          what the image was built from (see `Rootfs::key`)
//! scratch/       per-run /tmp and /root bound into the oracle, and for cases that write
//!                to the image a copy of rootfs/ the oracle runs in (removed after each run)
//! ```
//!
//! Environment: `FRISCY_DEBIAN_MIRROR` (default `http://deb.debian.org/debian`),
//! `FRISCY_DEBIAN_CACHE` (default `$XDG_CACHE_HOME/friscy/debian` or
//! `~/.cache/friscy/debian`).
//!
//! # Running
//!
//! [`check`] runs a [`RealCase`] under the oracle
//! (`proot -r build/debian/<profile>/rootfs -b /dev -b /proc -b SCRATCH/tmp:/tmp
//! -b SCRATCH/root:/root -q qemu-riscv64 -w / CMD ARGS`, environment cleared
//! and set to what friscy gives a guest; `-r SCRATCH/rootfs`, a private copy,
//! for a case marked [`RealCase::writes_rootfs`]) and under friscy's native example
//! runner (`target/release/examples/run build/debian/<profile>/rootfs.tar
//! [-e K=V]... -- CMD ARGS`, built on first use), and compares stdout,
//! stderr and exit status with the harness's diff.
//!
//! Oracle quirks the cases live with (Debian's proot 5.1.0 + qemu 7.2):
//!
//! - proot does not translate `statx`/`faccessat2`/`openat2`: see
//!   `hide_untranslated_syscalls` (a seccomp filter makes them ENOSYS so
//!   qemu and glibc fall back to calls proot does translate);
//! - proot binds /dev/null over `/etc/ld.so.preload` and the host root at
//!   `/host-rootfs`, creating (and later removing) those mount points in the
//!   tree, so listings of `/` and `/etc` and their mtimes differ there;
//! - a guest killed by a signal makes proot exit 255 with a
//!   `proot info: ... terminated with signal N` line: see `proot_signal_status`;
//! - every exec goes through qemu, so a failed exec looks like a child
//!   exiting with 127 rather than an ENOENT/EACCES from execve;
//! - qemu lacks clone3, so glibc leaves errno at ENOSYS after `system()`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs::{self, File};
use std::io::{BufReader, IsTerminal, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::fixtures::{workspace_root, write_if_changed, MTIME};
use crate::harness::{self, Invocation, Output};

/// The Debian release the images come from.
pub const SUITE: &str = "trixie";
/// The Debian architecture.
pub const ARCH: &str = "riscv64";
/// Used unless `FRISCY_DEBIAN_MIRROR` names another mirror.
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";
/// Where the guest finds the test scripts (`tests/scripts/*`).
pub const GUEST_SCRIPTS: &str = "/friscy-tests";
/// Bump when the layout of the built image changes, so stale images are rebuilt.
const BUILDER_VERSION: u32 = 2;
/// `build-debian-rootfs` re-downloads `Packages.xz` when the cached copy is
/// older than this (the tests use any cached copy).
pub const INDEX_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// A named set of root packages.
#[derive(Debug)]
pub struct Profile {
    pub name: &'static str,
    /// Profiles whose packages this one contains too.
    pub includes: &'static [&'static str],
    pub packages: &'static [&'static str],
    pub about: &'static str,
}

/// The profiles `build-debian-rootfs` knows.
pub const PROFILES: &[Profile] = &[
    Profile {
        name: "base",
        includes: &[],
        packages: &[
            "libc6",
            "busybox",
            "dash",
            "bash",
            "coreutils",
            "findutils",
            "grep",
            "sed",
        ],
        about: "glibc, busybox, dash, bash, coreutils, findutils, grep, sed",
    },
    Profile {
        name: "python",
        includes: &["base"],
        packages: &["python3-minimal", "libpython3.13-stdlib"],
        about: "base + python3.13 (interpreter and standard library, incl. _sqlite3)",
    },
    Profile {
        name: "extras",
        includes: &["base"],
        packages: &["perl-base", "git", "sqlite3", "lua5.4"],
        about: "base + perl, git, the sqlite3 CLI, lua5.4",
    },
    Profile {
        name: "dpkg",
        includes: &["base"],
        // dpkg refuses to run unless `diff` and `ldconfig` are on PATH.
        packages: &["dpkg", "diffutils", "libc-bin"],
        about: "base + dpkg (with tar, diff, ldconfig), to install and remove packages",
    },
];

/// The profile called `name`.
pub fn profile(name: &str) -> Result<&'static Profile> {
    PROFILES.iter().find(|p| p.name == name).ok_or_else(|| {
        anyhow!(
            "unknown profile {name:?}; known: {}",
            PROFILES
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

impl Profile {
    /// Root packages, included profiles first, without duplicates.
    pub fn roots(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for inc in self.includes {
            if let Ok(p) = profile(inc) {
                for r in p.roots() {
                    if !out.contains(&r) {
                        out.push(r);
                    }
                }
            }
        }
        for r in self.packages {
            if !out.contains(r) {
                out.push(r);
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Paths

/// The mirror: `$FRISCY_DEBIAN_MIRROR` or [`DEFAULT_MIRROR`], without a trailing `/`.
pub fn mirror() -> String {
    std::env::var("FRISCY_DEBIAN_MIRROR")
        .ok()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_MIRROR.to_string())
        .trim_end_matches('/')
        .to_string()
}

/// URL of the package index.
pub fn index_url() -> String {
    format!("{}/dists/{SUITE}/main/binary-{ARCH}/Packages.xz", mirror())
}

/// The download cache: `$FRISCY_DEBIAN_CACHE`, else
/// `$XDG_CACHE_HOME/friscy/debian`, else `~/.cache/friscy/debian`.
pub fn cache_dir() -> Result<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = var("FRISCY_DEBIAN_CACHE") {
        return Ok(PathBuf::from(d));
    }
    if let Some(d) = var("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(d).join("friscy").join("debian"));
    }
    match var("HOME") {
        Some(h) => Ok(PathBuf::from(h).join(".cache").join("friscy").join("debian")),
        None => bail!("neither FRISCY_DEBIAN_CACHE, XDG_CACHE_HOME nor HOME is set: nowhere to cache .deb files"),
    }
}

/// `build/debian/` under the workspace root.
pub fn debian_dir() -> PathBuf {
    workspace_root().join("build").join("debian")
}

/// `tests/scripts/`: shell and Python scripts copied into every image.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts")
}

/// Where one profile's outputs live.
#[derive(Debug, Clone)]
pub struct Rootfs {
    pub profile: &'static str,
    /// `build/debian/<profile>/`
    pub dir: PathBuf,
    /// `build/debian/<profile>/rootfs.tar`
    pub tar: PathBuf,
    /// `build/debian/<profile>/rootfs/`
    pub tree: PathBuf,
}

impl Rootfs {
    pub fn of(profile: &'static Profile) -> Rootfs {
        let dir = debian_dir().join(profile.name);
        Rootfs {
            profile: profile.name,
            tar: dir.join("rootfs.tar"),
            tree: dir.join("rootfs"),
            dir,
        }
    }

    fn stamp(&self) -> PathBuf {
        self.dir.join("stamp")
    }

    /// What an up-to-date image was built from: builder version, root
    /// packages, test scripts. (The package versions come from whichever
    /// index was current at build time; `build-debian-rootfs` refreshes.)
    pub fn key(&self) -> Result<String> {
        let p = profile(self.profile)?;
        let mut h = Sha256::new();
        for (name, data) in script_files()? {
            h.update(name.as_bytes());
            h.update([0]);
            h.update(&data);
            h.update([0]);
        }
        Ok(format!(
            "builder {BUILDER_VERSION}; suite {SUITE}/{ARCH}; roots {}; scripts {}",
            p.roots().join(" "),
            hex(&h.finalize()[..8])
        ))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `tests/scripts/*` (regular files, sorted by name).
fn script_files() -> Result<Vec<(String, Vec<u8>)>> {
    let dir = scripts_dir();
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for e in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let e = e?;
        if e.file_type()?.is_file() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.ends_with('~') {
                continue;
            }
            out.push((name, fs::read(e.path())?));
        }
    }
    out.sort();
    Ok(out)
}

// ---------------------------------------------------------------------------
// The package index

/// One dependency alternative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dep {
    /// Package name without an architecture qualifier (`perl:any` -> `perl`).
    pub name: String,
    /// The version constraint as written (`>= 2.38`), if any; not enforced.
    pub version: Option<String>,
}

/// The fields of a `Packages` stanza the builder uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub architecture: String,
    /// Path of the .deb relative to the mirror root.
    pub filename: String,
    pub size: u64,
    pub sha256: String,
    /// `Pre-Depends` then `Depends`: a list of alternatives lists.
    pub depends: Vec<Vec<Dep>>,
    /// Virtual package names this package provides.
    pub provides: Vec<String>,
    /// `Priority` (required, important, standard, optional, extra).
    pub priority: String,
}

/// A parsed `Packages` file.
#[derive(Debug, Default)]
pub struct Index {
    pub packages: BTreeMap<String, Package>,
    /// Virtual name -> real packages providing it (by priority, then name).
    pub providers: BTreeMap<String, Vec<String>>,
}

/// Parses a dependency field (`a (>= 1) | b:any, c`).
pub fn parse_depends(field: &str) -> Vec<Vec<Dep>> {
    field
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(|group| {
            group
                .split('|')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|alt| {
                    let (head, version) = match alt.split_once('(') {
                        Some((h, rest)) => (
                            h.trim(),
                            Some(rest.split(')').next().unwrap_or("").trim().to_string()),
                        ),
                        None => (alt, None),
                    };
                    // Drop `[arch]` and `<profile>` restrictions and `:any`.
                    let head = head
                        .split(|c: char| c.is_whitespace() || c == '[' || c == '<')
                        .next()
                        .unwrap_or("");
                    let name = head.split(':').next().unwrap_or("").to_string();
                    Dep { name, version }
                })
                .filter(|d| !d.name.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|g| !g.is_empty())
        .collect()
}

/// Parses the text of a `Packages` file.
pub fn parse_index(text: &str) -> Result<Index> {
    let mut index = Index::default();
    for (n, stanza) in text.split("\n\n").enumerate() {
        if stanza.trim().is_empty() {
            continue;
        }
        let mut fields: BTreeMap<&str, String> = BTreeMap::new();
        let mut last: Option<&str> = None;
        for line in stanza.lines() {
            if line.starts_with(' ') || line.starts_with('\t') {
                if let Some(k) = last {
                    if let Some(v) = fields.get_mut(k) {
                        v.push('\n');
                        v.push_str(line.trim());
                    }
                }
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                fields.insert(k.trim(), v.trim().to_string());
                last = Some(k.trim());
            }
        }
        let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
        let name = get("Package");
        if name.is_empty() {
            bail!("stanza {} of the package index has no Package field", n + 1);
        }
        let mut depends = parse_depends(&get("Pre-Depends"));
        depends.extend(parse_depends(&get("Depends")));
        let provides: Vec<String> = parse_depends(&get("Provides"))
            .into_iter()
            .flatten()
            .map(|d| d.name)
            .collect();
        let pkg = Package {
            version: get("Version"),
            architecture: get("Architecture"),
            filename: get("Filename"),
            size: get("Size").parse().unwrap_or(0),
            sha256: get("SHA256").to_ascii_lowercase(),
            depends,
            provides,
            priority: get("Priority"),
            name: name.clone(),
        };
        if pkg.filename.is_empty() || pkg.sha256.len() != 64 {
            bail!("package {name} in the index has no Filename or SHA256 field");
        }
        // One version per package in a release index; keep the first.
        index.packages.entry(name).or_insert(pkg);
    }
    for p in index.packages.values() {
        for v in &p.provides {
            index
                .providers
                .entry(v.clone())
                .or_default()
                .push(p.name.clone());
        }
    }
    // Providers by priority (Debian's `required` awk is mawk), then name.
    let rank = |p: &str| match p {
        "required" => 0,
        "important" => 1,
        "standard" => 2,
        "optional" => 3,
        _ => 4,
    };
    for v in index.providers.values_mut() {
        v.sort_by_key(|n| (rank(&index.packages[n].priority), n.clone()));
        v.dedup();
    }
    Ok(index)
}

/// The closure of some root packages under `Pre-Depends` and `Depends`.
#[derive(Debug)]
pub struct Resolution {
    /// Sorted by name.
    pub packages: Vec<Package>,
    /// Package -> the package that pulled it in (roots: "root").
    pub why: BTreeMap<String, String>,
    /// Skipped or ambiguous dependencies.
    pub notes: Vec<String>,
}

/// Resolves `roots` in `index`. A root that is not in the index is an
/// error; an unresolvable dependency is skipped with a note.
pub fn resolve(index: &Index, roots: &[&str]) -> Result<Resolution> {
    let mut why: BTreeMap<String, String> = BTreeMap::new();
    let mut provided: BTreeSet<String> = BTreeSet::new();
    let mut notes = Vec::new();
    let mut queue: VecDeque<String> = VecDeque::new();
    let select = |name: &str,
                  by: &str,
                  why: &mut BTreeMap<String, String>,
                  provided: &mut BTreeSet<String>,
                  queue: &mut VecDeque<String>| {
        if why.contains_key(name) {
            return;
        }
        why.insert(name.to_string(), by.to_string());
        if let Some(p) = index.packages.get(name) {
            provided.extend(p.provides.iter().cloned());
        }
        queue.push_back(name.to_string());
    };
    for r in roots {
        if !index.packages.contains_key(*r) {
            let hint = match index.providers.get(*r) {
                Some(p) => format!(" (it is a virtual package provided by {})", p.join(", ")),
                None => String::new(),
            };
            bail!(
                "package {r} is not in the {SUITE}/{ARCH} index {}{hint}",
                index_url()
            );
        }
        select(r, "root", &mut why, &mut provided, &mut queue);
    }
    while let Some(name) = queue.pop_front() {
        let pkg = &index.packages[&name];
        for group in &pkg.depends {
            let satisfied = group
                .iter()
                .any(|d| why.contains_key(&d.name) || provided.contains(&d.name));
            if satisfied {
                continue;
            }
            let text = group
                .iter()
                .map(|d| match &d.version {
                    Some(v) => format!("{} ({v})", d.name),
                    None => d.name.clone(),
                })
                .collect::<Vec<_>>()
                .join(" | ");
            if let Some(d) = group.iter().find(|d| index.packages.contains_key(&d.name)) {
                select(&d.name, &name, &mut why, &mut provided, &mut queue);
                continue;
            }
            let virt = group
                .iter()
                .find_map(|d| index.providers.get(&d.name).map(|p| (d, p)));
            match virt {
                Some((d, provs)) => {
                    if provs.len() > 1 {
                        notes.push(format!(
                            "{name}: `{text}`: virtual {} has several providers ({}); took {} (highest priority)",
                            d.name,
                            provs.join(", "),
                            provs[0]
                        ));
                    }
                    let chosen = provs[0].clone();
                    select(&chosen, &name, &mut why, &mut provided, &mut queue);
                }
                None => notes.push(format!(
                    "{name}: skipped dependency `{text}`: no such package or provider in the index"
                )),
            }
        }
    }
    let packages = why
        .keys()
        .map(|n| index.packages[n].clone())
        .collect::<Vec<_>>();
    Ok(Resolution {
        packages,
        why,
        notes,
    })
}

// ---------------------------------------------------------------------------
// Downloads

/// How old a cached `Packages.xz` may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexPolicy {
    /// Any cached copy (download only when there is none).
    AnyCached,
    /// Download again when the cached copy is older than this.
    MaxAge(Duration),
    /// Always download.
    Refresh,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_body(Some(Duration::from_secs(600)))
        .user_agent(concat!("friscy-tests/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Byte count and time spent downloading in this process.
static DOWNLOADED_BYTES: AtomicU64 = AtomicU64::new(0);
static DOWNLOAD_NANOS: AtomicU64 = AtomicU64::new(0);

/// Bytes downloaded and time spent downloading so far in this process.
pub fn download_totals() -> (u64, Duration) {
    (
        DOWNLOADED_BYTES.load(Ordering::Relaxed),
        Duration::from_nanos(DOWNLOAD_NANOS.load(Ordering::Relaxed)),
    )
}

/// Human-readable size.
pub fn size_str(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.0} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// Downloads `url` to `dest` (through `dest.part`), reporting progress on
/// stderr, and returns the SHA256 (hex) of what it wrote. With `expect`,
/// the size and SHA256 must match or nothing is kept.
pub fn download(
    url: &str,
    dest: &Path,
    label: &str,
    expect: Option<(u64, &str)>,
) -> Result<String> {
    let start = Instant::now();
    let resp = agent()
        .get(url)
        .call()
        .map_err(|e| anyhow!("{label}: downloading {url} failed: {e}"))?;
    let status = resp.status().as_u16();
    if status == 404 {
        bail!(
            "{label}: {url} does not exist (404). The cached package index is probably \
             older than the mirror: run `build-debian-rootfs --refresh`"
        );
    }
    if status != 200 {
        bail!("{label}: downloading {url} failed: HTTP status {status}");
    }
    let total = expect.map(|(s, _)| s).or_else(|| {
        resp.headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    });
    let part = dest.with_extension("part");
    let mut out = File::create(&part).with_context(|| format!("creating {}", part.display()))?;
    let mut body = resp.into_body();
    let mut reader = body.as_reader();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut got: u64 = 0;
    let tty = std::io::stderr().is_terminal();
    let mut last_report = Instant::now();
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| anyhow!("{label}: reading {url} failed after {got} bytes: {e}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .with_context(|| format!("writing {}", part.display()))?;
        got += n as u64;
        if tty && last_report.elapsed() > Duration::from_millis(200) {
            last_report = Instant::now();
            match total {
                Some(t) if t > 0 => eprint!(
                    "\r  {label}: {} / {} ({}%)   ",
                    size_str(got),
                    size_str(t),
                    got * 100 / t
                ),
                _ => eprint!("\r  {label}: {}   ", size_str(got)),
            }
        }
    }
    out.sync_all().ok();
    drop(out);
    let elapsed = start.elapsed();
    DOWNLOADED_BYTES.fetch_add(got, Ordering::Relaxed);
    DOWNLOAD_NANOS.fetch_add(elapsed.as_nanos() as u64, Ordering::Relaxed);
    let sha = hex(&hasher.finalize());
    if let Some((size, want)) = expect {
        if got != size || sha != want {
            let _ = fs::remove_file(&part);
            bail!(
                "{label}: {url} does not match the package index: got {got} bytes with \
                 SHA256 {sha}, the index says {size} bytes with SHA256 {want}"
            );
        }
    }
    fs::rename(&part, dest).with_context(|| format!("renaming {}", part.display()))?;
    let rate = got as f64 / elapsed.as_secs_f64().max(1e-3) / (1u64 << 20) as f64;
    if tty {
        eprint!("\r");
    }
    eprintln!(
        "  {label}: {} in {:.1}s ({rate:.1} MiB/s)          ",
        size_str(got),
        elapsed.as_secs_f64()
    );
    Ok(sha)
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// Loads the package index, downloading `Packages.xz` into the cache
/// according to `policy`.
pub fn load_index(policy: IndexPolicy) -> Result<Index> {
    let cache = cache_dir()?;
    fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
    let path = cache.join(format!("Packages-{SUITE}-main-{ARCH}.xz"));
    let age = fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok());
    let fetch = match (policy, age) {
        (_, None) => true,
        (IndexPolicy::AnyCached, Some(_)) => false,
        (IndexPolicy::MaxAge(max), Some(a)) => a > max,
        (IndexPolicy::Refresh, _) => true,
    };
    let url = index_url();
    if fetch {
        eprintln!("debian: fetching the package index {url}");
        download(&url, &path, "Packages.xz", None)?;
    }
    let f = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut text = Vec::new();
    lzma_rs::xz_decompress(&mut BufReader::new(f), &mut text).map_err(|e| {
        anyhow!(
            "{} (from {url}) is not a valid xz file ({e:?}); delete it or run with --refresh",
            path.display()
        )
    })?;
    let text = String::from_utf8_lossy(&text);
    let index = parse_index(&text).with_context(|| format!("parsing {url}"))?;
    if index.packages.is_empty() {
        bail!("the package index {url} lists no packages");
    }
    Ok(index)
}

/// The cached .deb of `pkg`, downloading and checking it if needed.
/// Returns the path and whether it was downloaded now.
pub fn fetch_deb(pkg: &Package) -> Result<(PathBuf, bool)> {
    let cache = cache_dir()?;
    fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
    let base = pkg
        .filename
        .rsplit('/')
        .next()
        .filter(|b| b.ends_with(".deb"))
        .ok_or_else(|| anyhow!("package {}: odd Filename {:?}", pkg.name, pkg.filename))?;
    let path = cache.join(base);
    let url = format!("{}/{}", mirror(), pkg.filename);
    if path.is_file() {
        let len = fs::metadata(&path)?.len();
        if len == pkg.size && sha256_file(&path)? == pkg.sha256 {
            return Ok((path, false));
        }
        eprintln!(
            "  {}: cached {} does not match the index; downloading it again",
            pkg.name,
            path.display()
        );
        fs::remove_file(&path)?;
    }
    let label = format!("{} {} ({})", pkg.name, pkg.version, size_str(pkg.size));
    download(&url, &path, &label, Some((pkg.size, &pkg.sha256)))
        .with_context(|| format!("package {} ({url})", pkg.name))?;
    Ok((path, true))
}

// ---------------------------------------------------------------------------
// The file tree

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir {
        mode: u32,
        uid: u64,
        gid: u64,
    },
    /// `data` indexes `Tree::blobs`; hard links share it.
    File {
        mode: u32,
        uid: u64,
        gid: u64,
        data: usize,
    },
    Symlink {
        target: String,
        uid: u64,
        gid: u64,
    },
}

#[derive(Debug, Default)]
struct Tree {
    nodes: BTreeMap<String, Node>,
    blobs: Vec<Vec<u8>>,
    /// Path -> package that shipped it (for conflict notes).
    owner: BTreeMap<String, String>,
    notes: Vec<String>,
}

/// Top-level directories that merged-/usr systems keep under `/usr`.
const MERGED: [&str; 6] = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

/// `./bin/sh` -> `usr/bin/sh`; `None` for the root itself.
fn normalize(path: &str) -> Option<String> {
    let comps: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if comps.is_empty() {
        return None;
    }
    let mut s = comps.join("/");
    if MERGED.contains(&comps[0]) {
        s = format!("usr/{s}");
    }
    Some(s)
}

impl Tree {
    fn parents(&mut self, path: &str) {
        let mut cur = path;
        while let Some((parent, _)) = cur.rsplit_once('/') {
            if !self.nodes.contains_key(parent) {
                self.nodes.insert(
                    parent.to_string(),
                    Node::Dir {
                        mode: 0o755,
                        uid: 0,
                        gid: 0,
                    },
                );
            }
            cur = parent;
        }
    }

    fn put(&mut self, path: String, node: Node, pkg: &str) {
        self.parents(&path);
        match (self.nodes.get(&path), &node) {
            (Some(Node::Dir { .. }), Node::Dir { .. }) => return, // first one wins
            (Some(old), _) if *old != node => {
                let prev = self.owner.get(&path).cloned().unwrap_or_default();
                if matches!(old, Node::Dir { .. }) {
                    // Would orphan the directory's children: keep it.
                    self.notes.push(format!(
                        "{pkg}: /{path} is a directory (from {prev}); ignored the non-directory"
                    ));
                    return;
                }
                self.notes
                    .push(format!("{pkg}: /{path} replaces the one from {prev}"));
            }
            _ => {}
        }
        self.owner.insert(path.clone(), pkg.to_string());
        self.nodes.insert(path, node);
    }

    fn put_file(&mut self, path: &str, mode: u32, data: Vec<u8>) {
        self.blobs.push(data);
        let node = Node::File {
            mode,
            uid: 0,
            gid: 0,
            data: self.blobs.len() - 1,
        };
        self.put(path.to_string(), node, "friscy");
    }

    fn put_dir(&mut self, path: &str, mode: u32) {
        self.parents(path);
        self.nodes.insert(
            path.to_string(),
            Node::Dir {
                mode,
                uid: 0,
                gid: 0,
            },
        );
    }

    fn put_symlink(&mut self, path: &str, target: &str) {
        self.put(
            path.to_string(),
            Node::Symlink {
                target: target.to_string(),
                uid: 0,
                gid: 0,
            },
            "friscy",
        );
    }

    /// Adds the contents of one .deb (its data tar, from `dpkg-deb --fsys-tarfile`).
    fn add_deb(&mut self, pkg: &str, deb: &Path) -> Result<usize> {
        let out = Command::new("dpkg-deb")
            .arg("--fsys-tarfile")
            .arg(deb)
            .output()
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    anyhow!("`dpkg-deb` not found: install the Debian package `dpkg`")
                } else {
                    anyhow!("running dpkg-deb: {e}")
                }
            })?;
        if !out.status.success() {
            bail!(
                "package {pkg}: `dpkg-deb --fsys-tarfile {}` failed ({}): {}",
                deb.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let mut archive = tar::Archive::new(&out.stdout[..]);
        let mut count = 0;
        for entry in archive
            .entries()
            .with_context(|| format!("package {pkg}: reading its data tar"))?
        {
            let mut entry =
                entry.with_context(|| format!("package {pkg}: reading its data tar"))?;
            let raw = entry.path_bytes().into_owned();
            let raw = String::from_utf8(raw)
                .map_err(|_| anyhow!("package {pkg}: a path is not UTF-8"))?;
            let Some(path) = normalize(&raw) else {
                continue;
            };
            let h = entry.header();
            // base-files ships the merged-/usr links (`/bin -> usr/bin`)
            // itself; `finish_tree` makes them, after the mapping above.
            if MERGED.iter().any(|m| path == format!("usr/{m}"))
                && h.entry_type() == tar::EntryType::Symlink
                && !raw.trim_start_matches("./").starts_with("usr/")
            {
                continue;
            }
            let mode = h.mode().unwrap_or(0o644) & 0o7777;
            let uid = h.uid().unwrap_or(0);
            let gid = h.gid().unwrap_or(0);
            let kind = h.entry_type();
            let node = match kind {
                tar::EntryType::Directory => Node::Dir { mode, uid, gid },
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    let mut data = Vec::with_capacity(entry.size() as usize);
                    entry
                        .read_to_end(&mut data)
                        .with_context(|| format!("package {pkg}: reading /{path}"))?;
                    self.blobs.push(data);
                    Node::File {
                        mode,
                        uid,
                        gid,
                        data: self.blobs.len() - 1,
                    }
                }
                tar::EntryType::Symlink => {
                    let target = entry
                        .link_name_bytes()
                        .map(|l| String::from_utf8_lossy(&l).into_owned())
                        .unwrap_or_default();
                    Node::Symlink { target, uid, gid }
                }
                tar::EntryType::Link => {
                    let target = entry
                        .link_name_bytes()
                        .map(|l| String::from_utf8_lossy(&l).into_owned())
                        .unwrap_or_default();
                    let t = normalize(&target).unwrap_or_default();
                    match self.nodes.get(&t) {
                        Some(Node::File { data, .. }) => Node::File {
                            mode,
                            uid,
                            gid,
                            data: *data,
                        },
                        _ => bail!(
                            "package {pkg}: hard link /{path} -> /{t}: the target is not a file shipped earlier"
                        ),
                    }
                }
                other => {
                    self.notes
                        .push(format!("{pkg}: skipped /{path} (tar entry type {other:?})"));
                    continue;
                }
            };
            self.put(path, node, pkg);
            count += 1;
        }
        Ok(count)
    }

    /// Writes a deterministic GNU tar: sorted paths (parents first), mtime
    /// [`MTIME`], numeric owners; the first path of each hard-link group is
    /// the file, the others link to it.
    fn tar_bytes(&self) -> Result<Vec<u8>> {
        let mut b = tar::Builder::new(Vec::new());
        let mut first_path: BTreeMap<usize, &str> = BTreeMap::new();
        // The root directory itself, so that `/` has the fixed mtime too.
        {
            let mut h = tar::Header::new_gnu();
            h.set_mtime(MTIME);
            h.set_entry_type(tar::EntryType::Directory);
            h.set_mode(0o755);
            h.set_uid(0);
            h.set_gid(0);
            h.set_size(0);
            h.as_old_mut().name[..2].copy_from_slice(b"./");
            h.set_cksum();
            b.append(&h, std::io::empty())?;
        }
        for (path, node) in &self.nodes {
            let mut h = tar::Header::new_gnu();
            h.set_mtime(MTIME);
            match node {
                Node::Dir { mode, uid, gid } => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_mode(*mode);
                    h.set_uid(*uid);
                    h.set_gid(*gid);
                    h.set_size(0);
                    b.append_data(&mut h, format!("{path}/"), std::io::empty())?;
                }
                Node::File {
                    mode,
                    uid,
                    gid,
                    data,
                } => {
                    h.set_mode(*mode);
                    h.set_uid(*uid);
                    h.set_gid(*gid);
                    if let Some(first) = first_path.get(data) {
                        h.set_entry_type(tar::EntryType::Link);
                        h.set_size(0);
                        b.append_link(&mut h, path, first)?;
                    } else {
                        first_path.insert(*data, path);
                        h.set_entry_type(tar::EntryType::Regular);
                        let bytes = &self.blobs[*data];
                        h.set_size(bytes.len() as u64);
                        b.append_data(&mut h, path, bytes.as_slice())?;
                    }
                }
                Node::Symlink { target, uid, gid } => {
                    h.set_entry_type(tar::EntryType::Symlink);
                    h.set_mode(0o777);
                    h.set_uid(*uid);
                    h.set_gid(*gid);
                    h.set_size(0);
                    b.append_link(&mut h, path, target)?;
                }
            }
        }
        Ok(b.into_inner()?)
    }
}

/// The contents of `/etc/passwd` in every image.
pub const ETC_PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
bin:x:2:2:bin:/bin:/usr/sbin/nologin\n\
sys:x:3:3:sys:/dev:/usr/sbin/nologin\n\
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

/// The contents of `/etc/group` in every image.
pub const ETC_GROUP: &str = "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\n\
tty:x:5:\ndisk:x:6:\nmail:x:8:\nstaff:x:50:\nusers:x:100:\nnogroup:x:65534:\n";

/// What no maintainer script did: merged-/usr links, `sh`, users, `/tmp`, ...
fn finish_tree(tree: &mut Tree) -> Result<()> {
    for d in ["usr/bin", "usr/sbin", "usr/lib"] {
        if !tree.nodes.contains_key(d) {
            tree.put_dir(d, 0o755);
        }
    }
    for top in MERGED {
        let under = format!("usr/{top}");
        if matches!(tree.nodes.get(&under), Some(Node::Dir { .. })) {
            tree.nodes.remove(top);
            tree.put_symlink(top, &under);
        }
    }
    if !tree.nodes.contains_key("usr/bin/sh") {
        if tree.nodes.contains_key("usr/bin/dash") {
            tree.put_symlink("usr/bin/sh", "dash");
        } else if tree.nodes.contains_key("usr/bin/bash") {
            tree.put_symlink("usr/bin/sh", "bash");
        }
    }
    tree.put_file("etc/passwd", 0o644, ETC_PASSWD.as_bytes().to_vec());
    tree.put_file("etc/group", 0o644, ETC_GROUP.as_bytes().to_vec());
    // The same bytes friscy's kernel synthesizes (vfs/system.rs), so that
    // listings of /etc agree with the oracle.
    tree.put_file("etc/hostname", 0o644, b"friscy\n".to_vec());
    tree.put_file(
        "etc/hosts",
        0o644,
        b"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tfriscy\n"
            .to_vec(),
    );
    tree.put_file(
        "etc/resolv.conf",
        0o644,
        b"nameserver 127.0.0.53\noptions edns0\n".to_vec(),
    );
    // dpkg refuses to run without its database, which dpkg's own
    // bootstrap would have written; an empty one says "nothing installed
    // through dpkg yet" (the image's packages were unpacked, not installed).
    if tree.nodes.contains_key("usr/bin/dpkg") && !tree.nodes.contains_key("var/lib/dpkg/status") {
        tree.put_file("var/lib/dpkg/status", 0o644, Vec::new());
    }
    for (d, mode) in [
        ("tmp", 0o1777),
        ("var/tmp", 0o1777),
        ("root", 0o700),
        ("home", 0o755),
        ("run", 0o755),
        ("dev", 0o755),
        ("proc", 0o555),
        ("friscy-tests", 0o755),
    ] {
        tree.put_dir(d, mode);
    }
    for (name, data) in script_files()? {
        tree.put_file(
            &format!("{}/{name}", GUEST_SCRIPTS.trim_start_matches('/')),
            0o755,
            data,
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Building a profile

/// What building one profile did.
#[derive(Debug, Default)]
pub struct BuildReport {
    pub profile: String,
    /// Resolved packages: (name, version, .deb size).
    pub packages: Vec<(String, String, u64)>,
    /// .debs downloaded now (count, bytes).
    pub downloaded: (usize, u64),
    /// .debs taken from the cache (count, bytes).
    pub cached: (usize, u64),
    pub download_time: Duration,
    /// Files, directories and symlinks in the image.
    pub entries: usize,
    /// Size of rootfs.tar.
    pub tar_bytes: u64,
    /// Whether rootfs.tar / rootfs/ changed.
    pub tar_rewritten: bool,
    pub tree_rewritten: bool,
    pub notes: Vec<String>,
    pub elapsed: Duration,
}

/// An exclusive lock on `build/debian/.lock`, held while an image is built.
pub struct BuildLock {
    _file: File,
}

pub fn lock() -> Result<BuildLock> {
    let dir = debian_dir();
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(".lock");
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    // SAFETY: flock on a descriptor we own; released when `file` closes.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error()).context("flock build/debian/.lock");
    }
    Ok(BuildLock { _file: file })
}

/// Resolves, downloads and unpacks `profile`, then writes
/// `build/debian/<profile>/` (the tar only if its bytes changed, the tree
/// only if the tar changed or it is missing). Takes the build lock.
pub fn build_profile(profile: &'static Profile, index: &Index) -> Result<(Rootfs, BuildReport)> {
    let _lock = lock()?;
    build_locked(profile, index)
}

fn build_locked(profile: &'static Profile, index: &Index) -> Result<(Rootfs, BuildReport)> {
    let start = Instant::now();
    let rootfs = Rootfs::of(profile);
    let mut report = BuildReport {
        profile: profile.name.to_string(),
        ..BuildReport::default()
    };
    let res = resolve(index, &profile.roots())?;
    eprintln!(
        "debian: profile {}: {} packages ({} roots), {} of .deb files",
        profile.name,
        res.packages.len(),
        profile.roots().len(),
        size_str(res.packages.iter().map(|p| p.size).sum())
    );
    let dl_start = download_totals().1;
    let mut debs = Vec::new();
    for p in &res.packages {
        let (path, fresh) = fetch_deb(p)?;
        if fresh {
            report.downloaded.0 += 1;
            report.downloaded.1 += p.size;
        } else {
            report.cached.0 += 1;
            report.cached.1 += p.size;
        }
        report
            .packages
            .push((p.name.clone(), p.version.clone(), p.size));
        debs.push((p.name.clone(), path));
    }
    report.download_time = download_totals().1.saturating_sub(dl_start);
    let mut tree = Tree::default();
    for (name, deb) in &debs {
        tree.add_deb(name, deb)?;
    }
    finish_tree(&mut tree)?;
    report.notes = res.notes.clone();
    report.notes.append(&mut tree.notes);
    report.entries = tree.nodes.len();
    let tar = tree.tar_bytes()?;
    drop(tree);
    report.tar_bytes = tar.len() as u64;
    fs::create_dir_all(&rootfs.dir)?;
    report.tar_rewritten = write_if_changed(&rootfs.tar, &tar)?;
    let tar_sha = hex(&Sha256::digest(&tar));
    let tree_stamp = rootfs.dir.join("rootfs.sha256");
    if report.tar_rewritten
        || !rootfs.tree.is_dir()
        || fs::read_to_string(&tree_stamp).ok().as_deref() != Some(tar_sha.as_str())
    {
        extract_tree(&tar, &rootfs.tree)?;
        fs::write(&tree_stamp, &tar_sha)?;
        report.tree_rewritten = true;
    }
    // packages.txt: what went in, and why some things did not.
    let mut listing = format!(
        "# friscy Debian rootfs, profile {} ({}), from {}\n# roots: {}\n",
        profile.name,
        profile.about,
        index_url(),
        profile.roots().join(" ")
    );
    for p in &res.packages {
        listing.push_str(&format!(
            "{} {} {} {} (pulled in by {})\n",
            p.name, p.version, p.size, p.sha256, res.why[&p.name]
        ));
    }
    for n in &report.notes {
        listing.push_str(&format!("# note: {n}\n"));
    }
    write_if_changed(&rootfs.dir.join("packages.txt"), listing.as_bytes())?;
    fs::write(rootfs.stamp(), format!("{}\n", rootfs.key()?))?;
    report.elapsed = start.elapsed();
    Ok((rootfs, report))
}

/// Extracts `tar` into `dest` (replacing it), then sets every mtime and
/// atime, symlinks included, to [`MTIME`].
fn extract_tree(tar: &[u8], dest: &Path) -> Result<()> {
    let tmp = dest.with_extension("tmp");
    if tmp.exists() {
        fs::remove_dir_all(&tmp).with_context(|| format!("removing {}", tmp.display()))?;
    }
    fs::create_dir_all(&tmp)?;
    let mut a = tar::Archive::new(tar);
    a.set_preserve_permissions(true);
    a.set_preserve_mtime(true);
    // SAFETY: geteuid has no preconditions.
    a.set_preserve_ownerships(unsafe { libc::geteuid() } == 0);
    a.set_unpack_xattrs(false);
    a.unpack(&tmp)
        .with_context(|| format!("extracting rootfs.tar into {}", tmp.display()))?;
    set_times(&tmp)?;
    if dest.exists() {
        fs::remove_dir_all(dest).with_context(|| format!("removing {}", dest.display()))?;
    }
    fs::rename(&tmp, dest)?;
    Ok(())
}

fn set_times(root: &Path) -> Result<()> {
    let mut stack = vec![root.to_path_buf()];
    let mut all = Vec::new();
    while let Some(p) = stack.pop() {
        let md = fs::symlink_metadata(&p)?;
        if md.is_dir() {
            for e in fs::read_dir(&p)? {
                stack.push(e?.path());
            }
        }
        all.push(p);
    }
    let t = libc::timespec {
        tv_sec: MTIME as libc::time_t,
        tv_nsec: 0,
    };
    let times = [t, t];
    for p in all {
        let c = std::ffi::CString::new(p.as_os_str().as_bytes())?;
        // SAFETY: valid NUL-terminated path and a two-element timespec array.
        let rc = unsafe {
            libc::utimensat(
                libc::AT_FDCWD,
                c.as_ptr(),
                times.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("setting the times of {}", p.display()));
        }
    }
    Ok(())
}

/// For tests: the image of `profile`, built once per process when missing
/// or stale (any cached package index will do; downloads go to the cache).
/// Panics with the build error.
pub fn ensure(name: &str) -> &'static Rootfs {
    static CELLS: [OnceLock<Result<Rootfs, String>>; PROFILES.len()] =
        [const { OnceLock::new() }; PROFILES.len()];
    let i = PROFILES
        .iter()
        .position(|p| p.name == name)
        .unwrap_or_else(|| panic!("unknown Debian profile {name:?}"));
    let cell = &CELLS[i];
    match cell.get_or_init(|| ensure_uncached(&PROFILES[i]).map_err(|e| format!("{e:#}"))) {
        Ok(r) => r,
        Err(e) => panic!("building the Debian {name} image failed:\n{e}"),
    }
}

fn ensure_uncached(profile: &'static Profile) -> Result<Rootfs> {
    let rootfs = Rootfs::of(profile);
    let _lock = lock()?;
    let key = rootfs.key()?;
    let up_to_date = rootfs.tar.is_file()
        && rootfs.tree.is_dir()
        && fs::read_to_string(rootfs.stamp()).ok().as_deref() == Some(format!("{key}\n").as_str());
    if up_to_date {
        return Ok(rootfs);
    }
    eprintln!(
        "debian: building the {} image (build/debian/{}/)",
        profile.name, profile.name
    );
    let index = load_index(IndexPolicy::AnyCached)?;
    let (rootfs, _) = build_locked(profile, &index)?;
    Ok(rootfs)
}

// ---------------------------------------------------------------------------
// Running real software: the oracle and friscy

/// The environment friscy gives every guest (driver/mod.rs); the oracle
/// gets exactly this too, plus the case's variables.
pub const GUEST_BASE_ENV: [(&str, &str); 3] = [
    (
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ),
    ("HOSTNAME", "friscy"),
    ("HOME", "/root"),
];

/// friscy's native example runner (`target/release/examples/run`), built
/// once per process with `cargo build --release -p friscy-core --example run`
/// (`$FRISCY_RUN` names another binary).
pub fn friscy_run_example() -> Result<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| build_run_example().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(|e| anyhow!(e))
}

fn build_run_example() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("FRISCY_RUN").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if !p.is_file() {
            bail!("FRISCY_RUN names {}, which does not exist", p.display());
        }
        return Ok(p);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(&cargo)
        .current_dir(workspace_root())
        .args([
            "build",
            "--release",
            "-q",
            "-p",
            "friscy-core",
            "--example",
            "run",
        ])
        .output()
        .with_context(|| format!("running {}", cargo.to_string_lossy()))?;
    if !out.status.success() {
        bail!(
            "`cargo build --release -p friscy-core --example run` failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let p = harness::target_dir()
        .join("release")
        .join("examples")
        .join("run");
    if !p.is_file() {
        bail!(
            "cargo built the example runner but {} is missing",
            p.display()
        );
    }
    Ok(p)
}

/// A fresh `/tmp` and `/root` for one oracle run (and, for cases that
/// write to the image, a private copy of the tree), removed on drop.
pub struct Scratch {
    pub dir: PathBuf,
    /// `SCRATCH/rootfs`, the oracle's root instead of the shared tree.
    pub tree: Option<PathBuf>,
}

impl Scratch {
    pub fn new(rootfs: &Rootfs) -> Result<Scratch> {
        Scratch::create(rootfs, false)
    }

    /// A scratch, with `private_tree` also a copy of `rootfs/` (`cp -a`, so
    /// owners, modes, hard links and times survive) for the oracle to
    /// change: the extracted tree is shared by every run, and friscy's
    /// writes go to a per-run overlay that the oracle has no equivalent of.
    pub fn create(rootfs: &Rootfs, private_tree: bool) -> Result<Scratch> {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = rootfs.dir.join("scratch").join(format!(
            "{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        use std::os::unix::fs::PermissionsExt;
        for (sub, mode) in [("tmp", 0o1777), ("root", 0o700)] {
            let d = dir.join(sub);
            fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
            fs::set_permissions(&d, fs::Permissions::from_mode(mode))?;
        }
        let mut scratch = Scratch { dir, tree: None };
        if private_tree {
            let copy = scratch.dir.join("rootfs");
            let out = Command::new("cp")
                .arg("-a")
                .arg(&rootfs.tree)
                .arg(&copy)
                .output()
                .context("running cp")?;
            if !out.status.success() {
                bail!(
                    "cp -a {} {} failed ({}): {}",
                    rootfs.tree.display(),
                    copy.display(),
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            scratch.tree = Some(copy);
        }
        Ok(scratch)
    }

    /// The root the oracle runs in: the private copy, else the shared tree.
    pub fn root<'a>(&'a self, rootfs: &'a Rootfs) -> &'a Path {
        self.tree.as_deref().unwrap_or(&rootfs.tree)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The oracle's command line for `inv` in `rootfs`, with `/tmp` and `/root`
/// bound to `scratch` so runs do not change the extracted tree (and the
/// root itself replaced by the scratch's private copy when it has one).
pub fn oracle_command(rootfs: &Rootfs, inv: &Invocation, scratch: &Scratch) -> Result<Command> {
    let proot = harness::which("proot").ok_or_else(|| {
        anyhow!("`proot` not found: install the Debian package `proot` (`just setup` does this)")
    })?;
    let qemu = harness::which("qemu-riscv64").ok_or_else(|| {
        anyhow!("`qemu-riscv64` not found: install the Debian package `qemu-user` (`just setup` does this)")
    })?;
    if inv.argv.is_empty() {
        bail!("the oracle needs a command");
    }
    let mut cmd = Command::new(proot);
    cmd.current_dir(workspace_root())
        .arg("-r")
        .arg(scratch.root(rootfs))
        .args(["-b", "/dev", "-b", "/proc", "-b"])
        .arg(format!("{}:/tmp", scratch.dir.join("tmp").display()))
        .arg("-b")
        .arg(format!("{}:/root", scratch.dir.join("root").display()))
        .arg("-q")
        .arg(qemu)
        .args(["-w", "/"])
        .args(&inv.argv)
        .env_clear();
    for (k, v) in GUEST_BASE_ENV {
        cmd.env(k, v);
    }
    for (k, v) in &inv.env {
        cmd.env(k, v);
    }
    hide_untranslated_syscalls(&mut cmd);
    default_interrupt_signals(&mut cmd);
    Ok(cmd)
}

/// A guest starts with default signal dispositions under friscy; the oracle
/// would inherit SIGINT/SIGQUIT ignored when the tests run as a background
/// job of a non-interactive shell (and `trap` cases would then differ).
fn default_interrupt_signals(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            Ok(())
        });
    }
}

/// Debian's proot 5.1.0 does not know `statx`, `faccessat2` and `openat2`:
/// qemu-riscv64 passes the guest's calls to the host kernel, which then
/// resolves the guest's paths on the *host* (so `ls -l /etc` under the
/// oracle showed the host's /etc/passwd). A seccomp filter installed before
/// proot starts makes those calls fail with ENOSYS for proot and everything
/// under it (an ERRNO action wins over proot's own TRACE filter); qemu and
/// glibc then fall back to `newfstatat`/`faccessat`, which proot translates.
fn hide_untranslated_syscalls(cmd: &mut Command) {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    {
        use std::os::unix::process::CommandExt;
        const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
        const NR_STATX: u32 = 332;
        const NR_OPENAT2: u32 = 437;
        const NR_FACCESSAT2: u32 = 439;
        const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
        const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
        const RET_K: u16 = 0x06; // BPF_RET | BPF_K
        const RET_ALLOW: u32 = 0x7fff_0000;
        const RET_ENOSYS: u32 = 0x0005_0000 | libc::ENOSYS as u32;
        let f = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
        let filter = [
            f(LD_W_ABS, 0, 0, 4), // seccomp_data.arch
            f(JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
            f(RET_K, 0, 0, RET_ALLOW),
            f(LD_W_ABS, 0, 0, 0), // seccomp_data.nr
            f(JEQ_K, 3, 0, NR_STATX),
            f(JEQ_K, 2, 0, NR_FACCESSAT2),
            f(JEQ_K, 1, 0, NR_OPENAT2),
            f(RET_K, 0, 0, RET_ALLOW),
            f(RET_K, 0, 0, RET_ENOSYS),
        ];
        // SAFETY: only raw system calls between fork and exec; `filter`
        // is moved into the closure and outlives the prctl calls.
        unsafe {
            cmd.pre_exec(move || {
                let prog = libc::sock_fprog {
                    len: filter.len() as u16,
                    filter: filter.as_ptr() as *mut libc::sock_filter,
                };
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                    || libc::prctl(
                        libc::PR_SET_SECCOMP,
                        libc::SECCOMP_MODE_FILTER,
                        &prog as *const libc::sock_fprog,
                    ) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    let _ = cmd;
}

/// friscy's command line: the native example runner on `rootfs.tar`.
pub fn friscy_command(rootfs: &Rootfs, inv: &Invocation) -> Result<Command> {
    let run = friscy_run_example()?;
    let mut cmd = Command::new(run);
    cmd.current_dir(workspace_root()).arg(&rootfs.tar);
    for (k, v) in &inv.env {
        cmd.arg("-e").arg(format!("{k}={v}"));
    }
    cmd.arg("--").args(&inv.argv);
    // Only what the test asks for reaches the emulator.
    cmd.env_remove("FRISCY_STRACE");
    if std::env::var_os("FRISCY_REAL_STRACE").is_some() {
        cmd.env("FRISCY_STRACE", "1");
    }
    Ok(cmd)
}

/// Runs `inv` on the oracle in `rootfs` (in a private copy of its tree
/// when `writes_rootfs`).
pub fn run_oracle(rootfs: &Rootfs, inv: &Invocation, writes_rootfs: bool) -> Result<Output> {
    let scratch = Scratch::create(rootfs, writes_rootfs)?;
    let cmd = oracle_command(rootfs, inv, &scratch)?;
    let mut out = harness::run_command(cmd, &inv.stdin)?;
    proot_signal_status(&mut out);
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("proot error") || err.contains("proot warning") || err.contains("qemu: ") {
        bail!(
            "the oracle itself reported a problem running `{}`:\n{err}",
            out.command
        );
    }
    Ok(out)
}

/// proot does not die by the signal that killed the guest: it prints
/// `proot info: pid N: terminated with signal S` (once per thread: qemu
/// has two) and exits with 255. Turn that back into what a shell reports
/// (128 + S) and drop the lines. (When a background child outlives the
/// killed guest, proot's status is the child's; cases avoid that.)
fn proot_signal_status(out: &mut Output) {
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut sig = None;
    let mut kept = String::new();
    for line in text.split_inclusive('\n') {
        let l = line.trim_end();
        if let Some(rest) = l.strip_prefix("proot info: pid ") {
            if let Some((_, s)) = rest.split_once(": terminated with signal ") {
                if let Ok(s) = s.trim().parse::<i32>() {
                    sig = Some(s);
                    continue;
                }
            }
        }
        kept.push_str(line);
    }
    if let Some(s) = sig {
        out.stderr = kept.into_bytes();
        if out.status == 255 {
            out.status = 128 + s;
        }
    }
}

/// Runs `inv` on friscy (native example runner) in `rootfs`.
pub fn run_friscy(rootfs: &Rootfs, inv: &Invocation) -> Result<Output> {
    let cmd = friscy_command(rootfs, inv)?;
    harness::run_command(cmd, &inv.stdin)
}

/// Rewrites output before comparison (see [`RealCase::normalize`]).
pub type Normalizer = fn(&[u8]) -> Vec<u8>;

/// One real-software differential case.
#[derive(Debug, Clone)]
pub struct RealCase {
    pub name: String,
    /// Profile whose image the case runs in.
    pub profile: &'static str,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub stdin: Vec<u8>,
    /// The exit status the oracle gives (checked, so case bugs show up).
    pub expect_status: i32,
    pub compare_stderr: bool,
    /// Applied to stdout and stderr of both sides before comparing (only
    /// for values that cannot agree: pids, times).
    pub normalize: Option<Normalizer>,
    /// The case changes files outside `/tmp` and `/root`, so the oracle
    /// runs in a private copy of the tree (see [`Scratch::create`]).
    pub writes_rootfs: bool,
}

impl RealCase {
    pub fn new(name: &str, profile: &'static str, argv: &[&str]) -> RealCase {
        RealCase {
            name: name.to_string(),
            profile,
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            stdin: Vec::new(),
            expect_status: 0,
            compare_stderr: true,
            normalize: None,
            writes_rootfs: false,
        }
    }
    pub fn env(mut self, vars: &[(&str, &str)]) -> RealCase {
        self.env
            .extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }
    pub fn stdin(mut self, data: &[u8]) -> RealCase {
        self.stdin = data.to_vec();
        self
    }
    pub fn status(mut self, s: i32) -> RealCase {
        self.expect_status = s;
        self
    }
    pub fn normalize(mut self, f: Normalizer) -> RealCase {
        self.normalize = Some(f);
        self
    }
    /// The case writes to the image (outside `/tmp` and `/root`).
    pub fn writes_rootfs(mut self) -> RealCase {
        self.writes_rootfs = true;
        self
    }
    pub fn invocation(&self) -> Invocation {
        Invocation {
            image: None,
            argv: self.argv.clone(),
            env: self.env.clone(),
            stdin: self.stdin.clone(),
        }
    }
}

/// `None` when friscy's output matches the oracle's; otherwise a report.
pub fn compare(case: &RealCase, oracle: &Output, got: &Output) -> Option<String> {
    let norm = |b: &[u8]| match case.normalize {
        Some(f) => f(b),
        None => b.to_vec(),
    };
    let mut problems = Vec::new();
    if oracle.status != got.status {
        problems.push(format!(
            "exit status: oracle {}, friscy {}",
            oracle.status, got.status
        ));
    }
    let (os, gs) = (norm(&oracle.stdout), norm(&got.stdout));
    if os != gs {
        problems.push(format!("stdout differs:\n{}", harness::diff(&os, &gs)));
    }
    let (oe, ge) = (norm(&oracle.stderr), norm(&got.stderr));
    if case.compare_stderr && oe != ge {
        problems.push(format!("stderr differs:\n{}", harness::diff(&oe, &ge)));
    }
    if problems.is_empty() {
        return None;
    }
    let mut r = format!(
        "{} ({} image): friscy differs from the oracle (qemu-riscv64 under proot)\n  oracle: {} ({:.2?})\n  friscy: {} ({:.2?})\n",
        case.name, case.profile, oracle.command, oracle.elapsed, got.command, got.elapsed
    );
    for p in problems {
        for line in p.lines() {
            r.push_str("  ");
            r.push_str(line);
            r.push('\n');
        }
    }
    if !case.compare_stderr && !got.stderr.is_empty() {
        r.push_str("  friscy stderr (not compared):\n");
        for l in harness::excerpt(&got.stderr, 40).lines() {
            r.push_str("    | ");
            r.push_str(l);
            r.push('\n');
        }
    }
    r.push_str(
        "  (re-run friscy with FRISCY_STRACE=1 on the command above to see its system calls)\n",
    );
    Some(r)
}

/// Runs `case` on the oracle and on friscy; panics with a readable report
/// when they differ, or when the oracle does not exit as the case expects.
pub fn check(case: &RealCase) {
    let rootfs = ensure(case.profile);
    let inv = case.invocation();
    let oracle = run_oracle(rootfs, &inv, case.writes_rootfs)
        .unwrap_or_else(|e| panic!("{}: oracle: {e:#}", case.name));
    if oracle.status != case.expect_status {
        panic!(
            "{}: the oracle exited with {} but the case expects {} (case bug)\n{}",
            case.name,
            oracle.status,
            case.expect_status,
            harness::describe_output("oracle", &oracle)
        );
    }
    let got = run_friscy(rootfs, &inv).unwrap_or_else(|e| panic!("{} on friscy: {e:#}", case.name));
    if let Some(report) = compare(case, &oracle, &got) {
        panic!("{report}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Package: a\nVersion: 1\nArchitecture: riscv64\n\
Pre-Depends: libc6 (>= 2.38)\nDepends: b | c, virt, perl:any, missing (>= 1) | gone\n\
Filename: pool/main/a/a_1_riscv64.deb\nSize: 10\n\
SHA256: 0000000000000000000000000000000000000000000000000000000000000000\n\
Description: a\n long description\n .\n more\n\n\
Package: b\nVersion: 2\nArchitecture: all\nFilename: pool/b.deb\nSize: 1\n\
SHA256: 1111111111111111111111111111111111111111111111111111111111111111\n\n\
Package: c\nVersion: 2\nArchitecture: all\nFilename: pool/c.deb\nSize: 1\n\
SHA256: 2222222222222222222222222222222222222222222222222222222222222222\n\n\
Package: libc6\nVersion: 2.41\nArchitecture: riscv64\nFilename: pool/l.deb\nSize: 1\n\
SHA256: 3333333333333333333333333333333333333333333333333333333333333333\n\n\
Package: p2\nVersion: 1\nProvides: virt (= 1)\nDepends: a\nFilename: pool/p2.deb\nSize: 1\n\
SHA256: 4444444444444444444444444444444444444444444444444444444444444444\n\n\
Package: p1\nVersion: 1\nProvides: virt\nFilename: pool/p1.deb\nSize: 1\n\
SHA256: 5555555555555555555555555555555555555555555555555555555555555555\n\n\
Package: perl\nVersion: 5\nFilename: pool/perl.deb\nSize: 1\n\
SHA256: 6666666666666666666666666666666666666666666666666666666666666666\n";

    #[test]
    fn depends_fields_parse() {
        let d = parse_depends("libc6 (>= 2.38), b:any | c (<< 3) [amd64], , d <!nocheck>");
        assert_eq!(d.len(), 3);
        assert_eq!(d[0][0].name, "libc6");
        assert_eq!(d[0][0].version.as_deref(), Some(">= 2.38"));
        assert_eq!(
            d[1].iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            ["b", "c"]
        );
        assert_eq!(d[2][0].name, "d");
    }

    #[test]
    fn index_parses_and_resolves() {
        let idx = parse_index(SAMPLE).unwrap();
        assert_eq!(idx.packages.len(), 7);
        assert_eq!(idx.providers["virt"], ["p1", "p2"]);
        let a = &idx.packages["a"];
        assert_eq!(a.depends[0][0].name, "libc6");
        assert_eq!(a.size, 10);
        let r = resolve(&idx, &["a"]).unwrap();
        let names: Vec<&str> = r.packages.iter().map(|p| p.name.as_str()).collect();
        // b (first alternative), not c; p1 (first provider of virt); perl for perl:any.
        assert_eq!(names, ["a", "b", "libc6", "p1", "perl"]);
        assert_eq!(r.why["p1"], "a");
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains("missing") && n.contains("skipped")),
            "{:?}",
            r.notes
        );
        assert!(
            r.notes.iter().any(|n| n.contains("several providers")),
            "{:?}",
            r.notes
        );
        // A virtual package that is already provided is not pulled again.
        let r = resolve(&idx, &["p2"]).unwrap();
        let names: Vec<&str> = r.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "libc6", "p2", "perl"]);
        let e = resolve(&idx, &["virt"]).unwrap_err().to_string();
        assert!(e.contains("virtual package provided by p1, p2"), "{e}");
    }

    #[test]
    fn paths_are_usr_merged() {
        assert_eq!(normalize("./bin/sh").as_deref(), Some("usr/bin/sh"));
        assert_eq!(normalize("./lib/ld.so").as_deref(), Some("usr/lib/ld.so"));
        assert_eq!(normalize("./usr/lib/x/").as_deref(), Some("usr/lib/x"));
        assert_eq!(normalize("./etc/libfoo").as_deref(), Some("etc/libfoo"));
        assert_eq!(normalize("./"), None);
    }

    #[test]
    fn tree_tar_is_deterministic_with_hard_links_after_their_file() {
        let mut t = Tree::default();
        t.put_file("usr/bin/z", 0o755, b"zz".to_vec());
        let data = match t.nodes["usr/bin/z"] {
            Node::File { data, .. } => data,
            _ => unreachable!(),
        };
        t.put(
            "usr/bin/a".into(),
            Node::File {
                mode: 0o755,
                uid: 0,
                gid: 0,
                data,
            },
            "x",
        );
        finish_tree(&mut t).unwrap();
        let a = t.tar_bytes().unwrap();
        assert_eq!(a, t.tar_bytes().unwrap());
        let mut ar = tar::Archive::new(&a[..]);
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            let p = e.path().unwrap().display().to_string();
            assert_eq!(e.header().mtime().unwrap(), MTIME);
            seen.push((p, e.header().entry_type()));
        }
        let pos = |p: &str| {
            seen.iter()
                .position(|(q, _)| q == p)
                .unwrap_or_else(|| panic!("{p} missing: {seen:?}"))
        };
        assert_eq!(seen[pos("usr/bin/a")].1, tar::EntryType::Regular);
        assert_eq!(seen[pos("usr/bin/z")].1, tar::EntryType::Link);
        assert_eq!(seen[pos("bin")].1, tar::EntryType::Symlink);
        assert!(pos("usr/") < pos("usr/bin/"));
        assert_eq!(seen[0], ("./".to_string(), tar::EntryType::Directory));
        assert!(pos("etc/passwd") > pos("etc/"));
    }
}
