//! friscy's differential ISA fuzzer.
//!
//! Random RV64GC (+Zba/Zbb/Zbs) programs are generated ([`gen`]), rendered
//! to assembly ([`render`]), assembled with `riscv64-linux-gnu-gcc` and run
//! under `qemu-riscv64` (the oracle) and a friscy runner ([`run`]). Every
//! program is a sequence of independent blocks; after each block the program
//! writes one state record (x1..x31, fcsr, f0..f31, the scratch buffer) to
//! stdout, and the records must be byte-identical. A mismatching block is
//! shrunk to a minimal instruction list that still mismatches ([`shrink`]).
//!
//! Oracle limits (Debian's qemu 7.2, binutils 2.40), left to the CPU's
//! directed tests:
//! - Zicond is not generated: neither qemu 7.2 nor binutils 2.40 know it;
//! - `ctzw` of a value whose low 32 bits are zero: qemu 7.2 counts over all
//!   64 bits (the spec says 32), so `ctzw` operands get a low bit set.

pub mod dump;
pub mod gen;
pub mod render;
pub mod rng;
pub mod run;
pub mod shrink;
pub mod values;

use gen::{Block, GenConfig, RECORD};
use run::{Output, Runner};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Config {
    /// Programs to run.
    pub count: u64,
    pub seed: u64,
    /// Index of the first program (to replay program `k` alone: first = k, count = 1).
    pub first: u64,
    pub gen: GenConfig,
    pub runner: Runner,
    pub jobs: usize,
    /// Where programs are written (kept when `keep`).
    pub workdir: PathBuf,
    pub keep: bool,
    pub minimize: bool,
    /// Report every failing program instead of stopping at the first.
    pub keep_going: bool,
    pub timeout: Duration,
    pub progress: bool,
}

#[derive(Clone, Debug)]
pub struct Failure {
    pub program: u64,
    pub block: Option<usize>,
    pub report: String,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub programs: u64,
    /// Random instructions in the programs run.
    pub insns: u64,
    pub failures: Vec<Failure>,
    pub elapsed: Duration,
    /// Time spent in qemu and in the runner (summed over jobs).
    pub qemu_time: Duration,
    pub runner_time: Duration,
}

/// How blocks fared under the runner compared with qemu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Same,
    Differ,
    /// The runner stopped before this block.
    Unknown,
}

pub struct BlockRun {
    pub verdicts: Vec<Verdict>,
    pub qemu: Output,
    pub other: Output,
}

impl BlockRun {
    pub fn first_differ(&self) -> Option<usize> {
        self.verdicts.iter().position(|&v| v == Verdict::Differ)
    }
    /// Record `i` from qemu and from the runner (possibly short).
    pub fn records(&self, i: usize) -> (&[u8], &[u8]) {
        let q = &self.qemu.stdout[i * RECORD..(i + 1) * RECORD];
        let o = &self.other.stdout;
        let lo = (i * RECORD).min(o.len());
        let hi = ((i + 1) * RECORD).min(o.len());
        (q, &o[lo..hi])
    }
}

/// Assemble `blocks` as `dir/name` and run it under qemu and `runner`.
/// An error means the harness itself is broken (assembler or qemu failed).
pub fn run_blocks(
    blocks: &[Block],
    runner: &Runner,
    dir: &Path,
    name: &str,
    timeout: Duration,
) -> Result<BlockRun, String> {
    let asm = render::render(blocks);
    let elf = run::assemble(&asm, dir, name)?;
    let qemu = run::run(&Runner::Qemu, &elf, timeout)?;
    let want = blocks.len() * RECORD;
    if qemu.code != Some(0) || qemu.stdout.len() != want {
        return Err(format!(
            "harness bug: qemu on {} ({}) wrote {} bytes, expected {want}",
            elf.display(),
            qemu.describe(),
            qemu.stdout.len()
        ));
    }
    let other = run::run(runner, &elf, timeout)?;
    let mut verdicts = Vec::with_capacity(blocks.len());
    let mut stopped = false;
    for i in 0..blocks.len() {
        let q = &qemu.stdout[i * RECORD..(i + 1) * RECORD];
        let v = if stopped {
            Verdict::Unknown
        } else if other.stdout.len() < (i + 1) * RECORD {
            stopped = true;
            Verdict::Differ
        } else if &other.stdout[i * RECORD..(i + 1) * RECORD] == q {
            Verdict::Same
        } else {
            Verdict::Differ
        };
        verdicts.push(v);
    }
    Ok(BlockRun {
        verdicts,
        qemu,
        other,
    })
}

/// Run the configured batch.
pub fn fuzz(cfg: &Config) -> Result<Summary, String> {
    run::check_tools()?;
    std::fs::create_dir_all(&cfg.workdir).map_err(|e| format!("{}: {e}", cfg.workdir.display()))?;
    sanity_check(cfg)?;
    let start = Instant::now();
    let next = AtomicU64::new(cfg.first);
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let insns = AtomicU64::new(0);
    let qemu_ns = AtomicU64::new(0);
    let runner_ns = AtomicU64::new(0);
    let failures = Mutex::new(Vec::new());
    let error: Mutex<Option<String>> = Mutex::new(None);
    let end = cfg.first + cfg.count;
    std::thread::scope(|s| {
        for _ in 0..cfg.jobs.max(1) {
            s.spawn(|| loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    break;
                }
                match fuzz_one(cfg, i) {
                    Ok((n, run, failure)) => {
                        insns.fetch_add(n, Ordering::Relaxed);
                        qemu_ns.fetch_add(run.qemu.elapsed.as_nanos() as u64, Ordering::Relaxed);
                        runner_ns.fetch_add(run.other.elapsed.as_nanos() as u64, Ordering::Relaxed);
                        if let Some(f) = failure {
                            if cfg.progress {
                                eprintln!("{}", f.report);
                            }
                            failures.lock().unwrap().push(f);
                            if !cfg.keep_going {
                                stop.store(true, Ordering::Relaxed);
                            }
                        }
                    }
                    Err(e) => {
                        *error.lock().unwrap() = Some(format!("program {i}: {e}"));
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                if cfg.progress && (d.is_multiple_of(10) || d == cfg.count) {
                    eprintln!(
                        "isa-fuzz: {d}/{} programs, {} instructions, {:.1}s",
                        cfg.count,
                        insns.load(Ordering::Relaxed),
                        start.elapsed().as_secs_f64()
                    );
                }
            });
        }
    });
    if let Some(e) = error.into_inner().unwrap() {
        return Err(e);
    }
    let mut failures = failures.into_inner().unwrap();
    failures.sort_by_key(|f| f.program);
    Ok(Summary {
        programs: done.load(Ordering::Relaxed),
        insns: insns.load(Ordering::Relaxed),
        failures,
        elapsed: start.elapsed(),
        qemu_time: Duration::from_nanos(qemu_ns.load(Ordering::Relaxed)),
        runner_time: Duration::from_nanos(runner_ns.load(Ordering::Relaxed)),
    })
}

/// A block without random instructions must pass, or the runner itself is
/// broken (not built, cannot load the ELF, ...): say so instead of
/// minimizing every program down to nothing.
fn sanity_check(cfg: &Config) -> Result<(), String> {
    let mut block = gen::generate(
        cfg.seed,
        &GenConfig {
            blocks: 1,
            block_insns: 0,
            ..cfg.gen
        },
    )
    .blocks
    .remove(0);
    block.items.clear();
    let r = run_blocks(&[block], &cfg.runner, &cfg.workdir, "sanity", cfg.timeout)?;
    if r.first_differ().is_some() || r.other.code != Some(0) {
        let (q, o) = r.records(0);
        return Err(format!(
            "{} cannot run even a program without random instructions \
             (it only loads and dumps registers): {}\n{}\nprogram: {}",
            cfg.runner.name(),
            r.other.describe(),
            dump::diff_lines(q, o, cfg.runner.name()).join("\n"),
            cfg.workdir.join("sanity.S").display()
        ));
    }
    Ok(())
}

/// Generate, run and compare program `i`.
fn fuzz_one(cfg: &Config, i: u64) -> Result<(u64, BlockRun, Option<Failure>), String> {
    let pseed = rng::program_seed(cfg.seed, i);
    let prog = gen::generate(pseed, &cfg.gen);
    let name = format!("p{i}");
    let run = run_blocks(&prog.blocks, &cfg.runner, &cfg.workdir, &name, cfg.timeout)?;
    let rname = cfg.runner.name();
    let header = format!(
        "=== MISMATCH qemu vs {rname}: program {i} of seed {} (program seed {pseed:#x}; \
         replay: friscy-isa-fuzz --seed {} --first {i} --count 1 --keep DIR)",
        cfg.seed, cfg.seed
    );
    let failure = if let Some(b) = run.first_differ() {
        let others: Vec<usize> = run
            .verdicts
            .iter()
            .enumerate()
            .filter(|&(j, &v)| j > b && v == Verdict::Differ)
            .map(|(j, _)| j)
            .collect();
        let mut report = format!("{header}, block {b}");
        if !others.is_empty() {
            report += &format!(" (blocks {others:?} differ too)");
        }
        report.push('\n');
        let block = &prog.blocks[b];
        if cfg.minimize {
            report += &shrink::minimize_report(cfg, block, &format!("{name}-b{b}"))?;
        } else {
            let (q, o) = run.records(b);
            report += &shrink::describe(block, q, o, &run.other, rname, block.insns());
        }
        Some(Failure {
            program: i,
            block: Some(b),
            report,
        })
    } else if run.other.code != Some(0)
        || run.other.stdout.len() != run.qemu.stdout.len()
        || run.other.timed_out
    {
        Some(Failure {
            program: i,
            block: None,
            report: format!(
                "{header}\nall {} blocks matched, but {rname} ended differently: {} ({} bytes of output, qemu {})\n",
                prog.blocks.len(),
                run.other.describe(),
                run.other.stdout.len(),
                run.qemu.stdout.len()
            ),
        })
    } else {
        None
    };
    if !cfg.keep && failure.is_none() {
        for ext in ["S", "tar", ""] {
            let p = cfg.workdir.join(&name).with_extension(ext);
            let _ = std::fs::remove_file(p);
        }
    }
    Ok((prog.insns(), run, failure))
}
