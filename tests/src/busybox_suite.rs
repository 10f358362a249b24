//! Busybox's own testsuite, differential: the testsuite comes from Debian's
//! busybox *source* package in the same pool as the riscv64 binary in the
//! base image, and runs with that binary under the oracle (qemu-riscv64
//! under proot) and under friscy. Every test that passes under the oracle
//! must pass under friscy; both pass counts are reported.
//!
//! Layout, under `build/busybox-testsuite/` (gitignored, rebuilt each run):
//!
//! ```text
//! image.tar      the base image plus /bbts (for friscy)
//! rootfs/        the base tree plus /bbts (for the oracle)
//! oracle.log     runtest's output under the oracle
//! friscy.log     runtest's output under friscy
//! ```
//!
//! `/bbts` holds `busybox` (the image's /usr/bin/busybox), `.config` (Debian's
//! build configuration of that package, so runtest skips what is not built)
//! and `testsuite/`. runtest runs with `bindir=/bbts` under `/bin/sh` (dash);
//! dash's `echo` lacks `-n`/`-e`, so `ECHO` names busybox's (testing.sh would
//! otherwise compile a helper with gcc).
//!
//! The source files are downloaded once into the Debian cache and checked
//! against the SHA256 sums in the package's `.dsc`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};

use crate::debian::{self, Rootfs};
use crate::fixtures::workspace_root;
use crate::harness::{self, Invocation};

/// What runtest printed: test name -> outcomes (names can repeat across applets).
#[derive(Debug, Default)]
pub struct Results {
    pub outcomes: BTreeMap<String, Vec<String>>,
}

impl Results {
    /// Parse `PASS: name`, `FAIL: name`, `SKIPPED: name`, `UNTESTED: name` lines.
    pub fn parse(log: &str) -> Results {
        let mut r = Results::default();
        for line in log.lines() {
            for tag in ["PASS", "FAIL", "SKIPPED", "UNTESTED"] {
                if let Some(name) = line.strip_prefix(tag).and_then(|s| s.strip_prefix(": ")) {
                    r.outcomes
                        .entry(name.trim_end().to_string())
                        .or_default()
                        .push(tag.to_string());
                }
            }
        }
        r
    }

    pub fn count(&self, tag: &str) -> usize {
        self.outcomes
            .values()
            .flatten()
            .filter(|t| t.as_str() == tag)
            .count()
    }

    /// Tests with more passes here than in `other` (by name).
    pub fn passes_missing_from(&self, other: &Results) -> Vec<String> {
        let passes = |r: &Results, n: &str| {
            r.outcomes
                .get(n)
                .map(|v| v.iter().filter(|t| t.as_str() == "PASS").count())
                .unwrap_or(0)
        };
        self.outcomes
            .keys()
            .filter(|n| passes(self, n) > passes(other, n))
            .cloned()
            .collect()
    }
}

/// The source version (`1.37.0-6`) of the busybox binary in the base image
/// (its `packages.txt` line reads `busybox 1:1.37.0-6+b9 ...`: no epoch, no
/// binNMU suffix).
fn source_version(base: &Rootfs) -> Result<String> {
    let list = fs::read_to_string(base.dir.join("packages.txt"))?;
    let v = list
        .lines()
        .find_map(|l| l.strip_prefix("busybox "))
        .and_then(|l| l.split_whitespace().next())
        .ok_or_else(|| anyhow!("busybox is not in the base image's packages.txt"))?;
    let v = v.split_once(':').map(|(_, v)| v).unwrap_or(v);
    let v = v.split_once("+b").map(|(v, _)| v).unwrap_or(v);
    Ok(v.to_string())
}

/// Download the source package's files; returns (orig tarball, debian tarball).
fn fetch_source(version: &str) -> Result<(PathBuf, PathBuf)> {
    let cache = debian::cache_dir()?.join("source");
    fs::create_dir_all(&cache)?;
    let pool = format!("{}/pool/main/b/busybox", debian::mirror());
    let dsc_name = format!("busybox_{version}.dsc");
    let dsc_path = cache.join(&dsc_name);
    if !dsc_path.is_file() {
        debian::download(&format!("{pool}/{dsc_name}"), &dsc_path, &dsc_name, None)?;
    }
    let dsc = fs::read_to_string(&dsc_path)?;
    // " SHA256 SIZE NAME" lines after "Checksums-Sha256:".
    let files: Vec<(String, u64, String)> = dsc
        .lines()
        .skip_while(|l| !l.starts_with("Checksums-Sha256:"))
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((
                it.next()?.to_string(),
                it.next()?.parse().ok()?,
                it.next()?.to_string(),
            ))
        })
        .collect();
    let mut orig = None;
    let mut deb = None;
    for (sha, size, name) in files {
        let path = cache.join(&name);
        let ok = path.is_file() && debian::sha256_file(&path)? == sha;
        if !ok {
            debian::download(&format!("{pool}/{name}"), &path, &name, Some((size, &sha)))?;
        }
        if name.contains(".orig.tar") {
            orig = Some(path);
        } else if name.contains(".debian.tar") {
            deb = Some(path);
        }
    }
    match (orig, deb) {
        (Some(o), Some(d)) => Ok((o, d)),
        _ => bail!("{dsc_name} does not list an orig and a debian tarball"),
    }
}

fn run(cmd: &mut Command) -> Result<()> {
    let st = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    if !st.success() {
        bail!("{cmd:?} failed: {st}");
    }
    Ok(())
}

/// Build `/bbts` in `stage` from the two tarballs and the base image.
fn stage_bbts(base: &Rootfs, orig: &Path, deb: &Path, work: &Path) -> Result<PathBuf> {
    let src = work.join("src");
    fs::create_dir_all(&src)?;
    run(Command::new("tar").arg("-xf").arg(orig).arg("-C").arg(&src))?;
    run(Command::new("tar").arg("-xf").arg(deb).arg("-C").arg(&src))?;
    let top = fs::read_dir(&src)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.join("testsuite").is_dir())
        .ok_or_else(|| anyhow!("no testsuite/ in {}", orig.display()))?;
    let bbts = work.join("stage").join("bbts");
    fs::create_dir_all(&bbts)?;
    run(Command::new("cp")
        .arg("-r")
        .arg(top.join("testsuite"))
        .arg(&bbts))?;
    // The base image has Debian's `busybox` package, built with config/pkg/deb.
    fs::copy(src.join("debian/config/pkg/deb"), bbts.join(".config"))?;
    fs::copy(base.tree.join("usr/bin/busybox"), bbts.join("busybox"))?;
    Ok(bbts)
}

pub struct Report {
    pub oracle: Results,
    pub friscy: Results,
    /// Passing under the oracle but not under friscy.
    pub regressions: Vec<String>,
}

/// Fetch, stage, run under both, compare. Applets in `skip` are left out
/// (bc's and dc's cases are long computations: minutes under qemu).
pub fn run_suite(skip: &[String]) -> Result<Report> {
    let base = debian::ensure("base").clone();
    let version = source_version(&base)?;
    eprintln!("busybox source {version}");
    let (orig, deb) = fetch_source(&version)?;
    let work = workspace_root().join("build").join("busybox-testsuite");
    if work.exists() {
        fs::remove_dir_all(&work)?;
    }
    fs::create_dir_all(&work)?;
    let bbts = stage_bbts(&base, &orig, &deb, &work)?;
    let stage = bbts.parent().unwrap_or(&work).to_path_buf();

    let rootfs = Rootfs {
        profile: "base",
        dir: work.clone(),
        tar: work.join("image.tar"),
        tree: work.join("rootfs"),
    };
    fs::copy(&base.tar, &rootfs.tar)?;
    run(Command::new("tar")
        .arg("-rf")
        .arg(&rootfs.tar)
        .args(["--owner=0", "--group=0", "--numeric-owner", "-C"])
        .arg(&stage)
        .arg("bbts"))?;
    run(Command::new("cp")
        .arg("-a")
        .arg(&base.tree)
        .arg(&rootfs.tree))?;
    run(Command::new("cp").arg("-a").arg(&bbts).arg(&rootfs.tree))?;

    let mut script = String::from("cd /bbts/testsuite && bindir=/bbts ./runtest");
    if !skip.is_empty() {
        // runtest takes the applets to test; list them all but the skipped.
        script.push_str(" $(/bbts/busybox --list | grep -vx");
        for a in skip {
            script.push_str(&format!(" -e '{a}'"));
        }
        script.push(')');
    }
    let inv = Invocation {
        image: None,
        argv: vec!["/bin/sh".into(), "-c".into(), script],
        env: vec![("ECHO".into(), "/bbts/busybox echo".into())],
        stdin: Vec::new(),
    };
    let scratch = debian::Scratch::new(&rootfs)?;
    eprintln!("running the testsuite under the oracle");
    let mut oracle = debian::oracle_command(&rootfs, &inv, &scratch)?;
    same_hostname_as_friscy(&mut oracle);
    let out = harness::run_command(oracle, &[])?;
    let oracle_log = String::from_utf8_lossy(&out.stdout).into_owned();
    fs::write(work.join("oracle.log"), &oracle_log)?;
    eprintln!("running the testsuite under friscy");
    let out = harness::run_command(debian::friscy_command(&rootfs, &inv)?, &[])?;
    let friscy_log = String::from_utf8_lossy(&out.stdout).into_owned();
    fs::write(work.join("friscy.log"), &friscy_log)?;

    let oracle = Results::parse(&oracle_log);
    let friscy = Results::parse(&friscy_log);
    let regressions = oracle.passes_missing_from(&friscy);
    Ok(Report {
        oracle,
        friscy,
        regressions,
    })
}

/// The hostname tests resolve the node name through the image's
/// `/etc/hosts`, which names friscy's node (`friscy`) and not the host's: the
/// oracle runs in its own UTS namespace with that name, so both sides see
/// the same system. Without the privilege for a namespace the oracle keeps
/// the host's name (and the hostname tests may differ).
fn same_hostname_as_friscy(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only raw system calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::unshare(libc::CLONE_NEWUTS) == 0 {
                let name = b"friscy";
                libc::sethostname(name.as_ptr().cast(), name.len());
            }
            Ok(())
        });
    }
}
