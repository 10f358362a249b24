//! The CI batch: 50 programs of seed 1 (over 1,000,000 random instructions)
//! under qemu and the core's native runner; any mismatch fails the test with
//! the minimized program in the message.

use friscy_isa_fuzz::gen::GenConfig;
use friscy_isa_fuzz::run::Runner;
use friscy_isa_fuzz::{fuzz, Config};
use std::time::Duration;

#[test]
fn isa_differential_seed_1() {
    // The runner is built in this test's profile (`cargo test --release`
    // uses the release one); building is a no-op when it is fresh.
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    let runner = Runner::from_name("native", None, true, profile).unwrap_or_else(|e| panic!("{e}"));
    let workdir = friscy_isa_fuzz::run::repo_root().join("target/isa-fuzz-ci");
    let _ = std::fs::remove_dir_all(&workdir);
    let cfg = Config {
        count: 50,
        seed: 1,
        first: 0,
        gen: GenConfig::default(),
        runner,
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        workdir: workdir.clone(),
        keep: false,
        minimize: true,
        keep_going: false,
        timeout: Duration::from_secs(120),
        progress: false,
    };
    let s = fuzz(&cfg).unwrap_or_else(|e| panic!("isa fuzzer: {e}"));
    eprintln!(
        "isa-fuzz: {} programs, {} random instructions, {:.1}s",
        s.programs,
        s.insns,
        s.elapsed.as_secs_f64()
    );
    if !s.failures.is_empty() {
        let reports: Vec<&str> = s.failures.iter().map(|f| f.report.as_str()).collect();
        panic!(
            "qemu and friscy disagree:\n{}\n(programs in {})",
            reports.join("\n"),
            workdir.display()
        );
    }
    assert!(s.insns >= 1_000_000, "only {} instructions ran", s.insns);
    let _ = std::fs::remove_dir_all(&workdir);
}

/// The generator and harness alone: qemu against itself, so a broken tool
/// chain shows up even before the CPU runs programs.
#[test]
fn harness_is_deterministic_under_qemu() {
    let workdir = friscy_isa_fuzz::run::repo_root().join("target/isa-fuzz-selfcheck");
    let _ = std::fs::remove_dir_all(&workdir);
    let cfg = Config {
        count: 2,
        seed: 7,
        first: 0,
        gen: GenConfig::default(),
        runner: Runner::Qemu,
        jobs: 2,
        workdir: workdir.clone(),
        keep: false,
        minimize: false,
        keep_going: false,
        timeout: Duration::from_secs(60),
        progress: false,
    };
    let s = fuzz(&cfg).unwrap_or_else(|e| panic!("isa fuzzer: {e}"));
    assert!(s.failures.is_empty(), "{}", s.failures[0].report);
    assert!(s.insns >= 40_000);
    let _ = std::fs::remove_dir_all(&workdir);
}
