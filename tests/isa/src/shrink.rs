//! Delta debugging: shrink a mismatching block's item list while the
//! mismatch persists.
//!
//! Blocks are independent, so one assembled program tests a whole round of
//! candidates (one block each) with a single qemu run and a single runner
//! run; the first candidate that still mismatches wins the round.

use crate::gen::{self, Block, Item};
use crate::run::{self, Output};
use crate::{dump, run_blocks, Config};
use std::fmt::Write as _;

/// Candidates per program at most (keeps the assembler and runs quick).
const MAX_BATCH: usize = 256;

struct Shrinker<'a> {
    cfg: &'a Config,
    base: &'a Block,
    name: &'a str,
    round: usize,
}

impl Shrinker<'_> {
    /// Index of the first candidate item list that still mismatches.
    fn first_failing(&mut self, cands: &[Vec<Item>]) -> Result<Option<usize>, String> {
        for (k, chunk) in cands.chunks(MAX_BATCH).enumerate() {
            let blocks: Vec<Block> = chunk
                .iter()
                .map(|items| self.base.with_items(items.clone()))
                .collect();
            self.round += 1;
            let name = format!("{}-shrink{}", self.name, self.round);
            let r = run_blocks(
                &blocks,
                &self.cfg.runner,
                &self.cfg.workdir,
                &name,
                self.cfg.timeout,
            )?;
            if !self.cfg.keep {
                for ext in ["S", "tar", ""] {
                    let _ = std::fs::remove_file(self.cfg.workdir.join(&name).with_extension(ext));
                }
            }
            if let Some(i) = r.first_differ() {
                return Ok(Some(k * MAX_BATCH + i));
            }
        }
        Ok(None)
    }
}

/// Shrink `block`'s items; `None` if the block alone does not mismatch.
pub fn minimize(cfg: &Config, block: &Block, name: &str) -> Result<Option<Block>, String> {
    let mut s = Shrinker {
        cfg,
        base: block,
        name,
        round: 0,
    };
    let mut cur: Vec<Item> = block.items.clone();
    if s.first_failing(std::slice::from_ref(&cur))?.is_none() {
        return Ok(None);
    }
    // Shortest failing prefix, coarse then fine.
    for steps in [32usize, 32] {
        let n = cur.len();
        if n < 2 {
            break;
        }
        let mut lens: Vec<usize> = (1..steps)
            .map(|k| n * k / steps)
            .filter(|&l| l > 0)
            .collect();
        lens.dedup();
        let cands: Vec<Vec<Item>> = lens
            .iter()
            .map(|&l| gen::fix_labels(cur[..l].to_vec()))
            .collect();
        if let Some(i) = s.first_failing(&cands)? {
            cur = cands[i].clone();
        }
    }
    // ddmin over complements.
    let mut gran = 2usize;
    while cur.len() >= 2 {
        let n = cur.len();
        gran = gran.min(n);
        let bounds: Vec<(usize, usize)> = (0..gran)
            .map(|k| (n * k / gran, n * (k + 1) / gran))
            .collect();
        let cands: Vec<Vec<Item>> = bounds
            .iter()
            .filter(|(a, b)| a < b)
            .map(|&(a, b)| {
                let v: Vec<Item> = cur[..a].iter().chain(&cur[b..]).cloned().collect();
                gen::fix_labels(v)
            })
            .filter(|v| v.len() < n)
            .collect();
        match s.first_failing(&cands)? {
            Some(i) => {
                cur = cands[i].clone();
                gran = gran.saturating_sub(1).max(2);
            }
            None => {
                if gran >= n {
                    break;
                }
                gran = (gran * 2).min(n);
            }
        }
    }
    Ok(Some(block.with_items(cur)))
}

/// Minimize and describe, writing the reproducer next to the programs.
pub fn minimize_report(cfg: &Config, block: &Block, name: &str) -> Result<String, String> {
    let rname = cfg.runner.name();
    let orig = block.insns();
    let Some(min) = minimize(cfg, block, name)? else {
        return Ok(format!(
            "(the block alone does not mismatch: state from an earlier block leaks; \
             unminimized, {orig} instructions)\n{}",
            gen::listing(block)
        ));
    };
    let mname = format!("{name}-min");
    let r = run_blocks(
        std::slice::from_ref(&min),
        &cfg.runner,
        &cfg.workdir,
        &mname,
        cfg.timeout,
    )?;
    let (q, o) = r.records(0);
    let mut out = describe(&min, q, o, &r.other, rname, orig);
    let src = cfg.workdir.join(format!("{mname}.S"));
    let tar = cfg.workdir.join(format!("{mname}.tar"));
    let _ = writeln!(
        out,
        "reproducer: {src}\n  build: {} {} {src} -o {elf}\n  run:   qemu-riscv64 {elf} | xxd   vs   cargo run --release -p friscy-core --example run -- {tar} -- /prog | xxd\n  (stdout is one {} byte record: x1..x31, fcsr, f0..f31 at +0x100, scratch at +0x200)",
        run::GCC,
        run::gcc_args().join(" "),
        crate::gen::RECORD,
        src = src.display(),
        elf = cfg.workdir.join(&mname).display(),
        tar = tar.display(),
    );
    Ok(out)
}

/// Listing, initial state and differences of a (minimized) block.
pub fn describe(
    block: &Block,
    want: &[u8],
    got: &[u8],
    other: &Output,
    rname: &str,
    orig_insns: u64,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "program ({} instructions, from {orig_insns}):",
        block.insns()
    );
    out.push_str(&gen::listing(block));
    let (mut xr, mut fr, mut mem) = (0u32, 0u32, false);
    for it in &block.items {
        xr |= it.xregs;
        fr |= it.fregs;
        mem |= it.mem;
    }
    let _ = writeln!(
        out,
        "initial state (registers it names; all others are set too):"
    );
    for l in dump::init_lines(&block.init, xr, fr, mem) {
        let _ = writeln!(out, "    {l}");
    }
    let _ = writeln!(out, "differences:");
    for l in dump::diff_lines(want, got, rname) {
        for line in l.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    if other.code != Some(0) || other.timed_out || !other.stderr.is_empty() {
        let _ = writeln!(out, "{rname}: {}", other.describe());
    }
    out
}
