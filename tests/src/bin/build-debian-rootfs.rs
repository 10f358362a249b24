//! `build-debian-rootfs`: builds Debian trixie riscv64 images from the
//! archive's packages into `build/debian/<profile>/` (rootfs.tar and the
//! extracted rootfs/ for the oracle). See `friscy_tests::debian`.
//!
//! usage: build-debian-rootfs [--refresh] [--offline] [--list] [PROFILE...]
//!
//! With no profile, builds all of them. Downloads are cached in
//! `~/.cache/friscy/debian/`; `Packages.xz` is fetched again when the cached
//! copy is more than a day old (`--refresh`: always; `--offline`: never).

use std::process::ExitCode;
use std::time::Instant;

use friscy_tests::debian::{self, IndexPolicy, PROFILES};

fn usage() -> String {
    let mut s = String::from(
        "usage: build-debian-rootfs [--refresh] [--offline] [--list] [PROFILE...]\n\
         builds build/debian/<profile>/rootfs.tar and rootfs/ (all profiles when none is named)\n\
         \n  --refresh   download the package index even if the cached copy is recent\
         \n  --offline   use the cached package index whatever its age\
         \n  --list      print the resolved packages of each profile\n\nprofiles:\n",
    );
    for p in PROFILES {
        s.push_str(&format!("  {:<8} {}\n", p.name, p.about));
    }
    s
}

fn main() -> ExitCode {
    let mut policy = IndexPolicy::MaxAge(debian::INDEX_MAX_AGE);
    let mut list = false;
    let mut names: Vec<String> = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--refresh" => policy = IndexPolicy::Refresh,
            "--offline" => policy = IndexPolicy::AnyCached,
            "--list" => list = true,
            "-h" | "--help" => {
                print!("{}", usage());
                return ExitCode::SUCCESS;
            }
            o if o.starts_with('-') => {
                eprintln!("build-debian-rootfs: unknown option {o:?}\n{}", usage());
                return ExitCode::from(2);
            }
            p => names.push(p.to_string()),
        }
    }
    if names.is_empty() {
        names = PROFILES.iter().map(|p| p.name.to_string()).collect();
    }
    let mut profiles = Vec::new();
    for n in &names {
        match debian::profile(n) {
            Ok(p) => profiles.push(p),
            Err(e) => {
                eprintln!("build-debian-rootfs: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let start = Instant::now();
    let index = match debian::load_index(policy) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("build-debian-rootfs: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "debian: index {} has {} packages [{:.1?}]",
        debian::index_url(),
        index.packages.len(),
        start.elapsed()
    );
    for p in profiles {
        let (rootfs, report) = match debian::build_profile(p, &index) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("build-debian-rootfs: profile {}: {e:#}", p.name);
                return ExitCode::FAILURE;
            }
        };
        if list {
            for (name, version, size) in &report.packages {
                println!("{}\t{name}\t{version}\t{size}", p.name);
            }
        }
        for n in &report.notes {
            eprintln!("  note: {n}");
        }
        let deb_total: u64 = report.packages.iter().map(|(_, _, s)| s).sum();
        println!(
            "{}: {} packages ({} of .deb; downloaded {} = {} in {:.1}s, {} cached), \
             {} entries, {} {} ({}), tree {} [{:.1?}]",
            p.name,
            report.packages.len(),
            debian::size_str(deb_total),
            report.downloaded.0,
            debian::size_str(report.downloaded.1),
            report.download_time.as_secs_f64(),
            report.cached.0,
            report.entries,
            rootfs
                .tar
                .strip_prefix(friscy_tests::fixtures::workspace_root())
                .unwrap_or(&rootfs.tar)
                .display(),
            debian::size_str(report.tar_bytes),
            if report.tar_rewritten {
                "written"
            } else {
                "unchanged"
            },
            if report.tree_rewritten {
                "extracted"
            } else {
                "unchanged"
            },
            report.elapsed
        );
    }
    let (bytes, time) = debian::download_totals();
    println!(
        "downloaded {} in {:.1}s; total {:.1?}",
        debian::size_str(bytes),
        time.as_secs_f64(),
        start.elapsed()
    );
    ExitCode::SUCCESS
}
