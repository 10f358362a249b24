//! `build-fixtures`: builds the guest programs and the fixture image
//! (`build/fixtures/`), and writes `build/fixtures/manifest.json` with the
//! oracle's expected outputs. Only what changed is rebuilt.
//!
//! usage: build-fixtures [--no-manifest]

use std::process::ExitCode;
use std::time::Instant;

use friscy_tests::{fixtures, manifest};

fn main() -> ExitCode {
    let mut with_manifest = true;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--no-manifest" => with_manifest = false,
            "-h" | "--help" => {
                println!("usage: build-fixtures [--no-manifest]");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("build-fixtures: unknown argument {other:?} (try --help)");
                return ExitCode::from(2);
            }
        }
    }
    let start = Instant::now();
    let (fx, report) = match fixtures::build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("build-fixtures: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    if report.rebuilt.is_empty() {
        println!("fixtures up to date in {}", fx.dir.display());
    } else {
        println!("rebuilt: {}", report.rebuilt.join(" "));
    }
    if with_manifest {
        match manifest::write(&fx) {
            Ok(true) => println!("wrote {}", fx.dir.join("manifest.json").display()),
            Ok(false) => {}
            Err(e) => {
                eprintln!("build-fixtures: writing the manifest: {e:#}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "image: {} ({} programs x glibc/musl) [{:.1?}]",
        fx.rootfs_tar.display(),
        fx.programs.len(),
        start.elapsed()
    );
    ExitCode::SUCCESS
}
