//! The random program generator.
//!
//! A [`Program`] is a list of independent [`Block`]s. Each block has an
//! initial machine state (integer and FP registers, `fcsr`, the scratch
//! buffer) and a list of [`Item`]s: one or more instructions that only make
//! sense together (an address computation and its load, an LR/SC pair, ...).
//! Items are the unit the minimizer removes, so every subsequence of a valid
//! item list is a valid program (a branch whose label was removed is dropped
//! with it).
//!
//! Invariants every item keeps, so that qemu and a correct emulator agree:
//! - `gp` (x3) holds the scratch buffer address and is never written;
//! - every memory access lands inside the scratch buffer (offsets masked or
//!   chosen statically), which straddles a page boundary; plain accesses may
//!   be misaligned (also across that boundary), AMOs and LR/SC are aligned;
//! - random branches and jumps only go forward, to a label of the same
//!   block; the only backward branches close counted loops (2..=4 rounds)
//!   whose counter nothing else in the body writes and that nothing enters
//!   from outside (so decoded blocks get re-executed);
//! - self-modifying code rewrites a slot in a writable code section and
//!   executes `fence.i` before running it again;
//! - `frm` only ever holds a valid rounding mode (0..=4), and static rounding
//!   modes are valid, so no FP instruction traps;
//! - an SC follows its LR in the same item (or follows another SC), with no
//!   memory access in between, so its outcome is architecturally defined;
//! - no ecall/ebreak, no cycle/time/instret reads.

use crate::rng::Rng;
use crate::values::{self, F32_EDGES, F64_EDGES};
use std::fmt::Write as _;

/// Size of the scratch buffer every memory access lands in.
pub const MEM: usize = 512;
/// Size of one state record: x1..x31, fcsr, f0..f31, scratch.
pub const RECORD: usize = 512 + MEM;
/// Offsets inside a record.
pub const OFF_FCSR: usize = 248;
pub const OFF_F: usize = 256;
pub const OFF_MEM: usize = 512;
/// The scratch buffer straddles a page boundary at this offset.
pub const PAGE_CROSS: usize = 256;

/// Instruction-set extensions the generator can draw from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ext {
    I,
    M,
    A,
    F,
    D,
    C,
    Zicsr,
    Zba,
    Zbb,
    Zbs,
}

impl Ext {
    pub const ALL: [Ext; 10] = [
        Ext::I,
        Ext::M,
        Ext::A,
        Ext::F,
        Ext::D,
        Ext::C,
        Ext::Zicsr,
        Ext::Zba,
        Ext::Zbb,
        Ext::Zbs,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Ext::I => "i",
            Ext::M => "m",
            Ext::A => "a",
            Ext::F => "f",
            Ext::D => "d",
            Ext::C => "c",
            Ext::Zicsr => "zicsr",
            Ext::Zba => "zba",
            Ext::Zbb => "zbb",
            Ext::Zbs => "zbs",
        }
    }

    pub fn parse(s: &str) -> Option<Ext> {
        Ext::ALL
            .into_iter()
            .find(|e| e.name() == s.to_ascii_lowercase())
    }
}

/// A set of [`Ext`]s (the base integer ISA is always in it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtSet(u32);

impl ExtSet {
    pub fn all() -> Self {
        ExtSet((1 << Ext::ALL.len()) - 1)
    }
    pub fn has(self, e: Ext) -> bool {
        self.0 & (1 << e as u32) != 0
    }
    pub fn with(self, e: Ext) -> Self {
        ExtSet(self.0 | 1 << e as u32)
    }
    pub fn without(self, e: Ext) -> Self {
        if e == Ext::I {
            return self;
        }
        ExtSet(self.0 & !(1 << e as u32))
    }
    pub fn only(exts: &[Ext]) -> Self {
        exts.iter().fold(ExtSet(1), |s, &e| s.with(e))
    }
    pub fn names(self) -> String {
        Ext::ALL
            .into_iter()
            .filter(|&e| self.has(e))
            .map(Ext::name)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// One or more instructions the minimizer keeps or drops together.
#[derive(Clone, Debug)]
pub struct Item {
    /// Assembly lines; `{L}` stands for this item's label, `{P}` for the
    /// block's constant pool.
    pub text: String,
    /// Instructions it assembles to.
    pub insns: u32,
    /// A label definition (then `text` is empty).
    pub label_def: Option<u32>,
    /// The label this item jumps to.
    pub label_use: Option<u32>,
    /// Head (`li counter, N` and the backward target `{H}`) or tail
    /// (decrement, branch back to `{H}`) of counted loop `id`.
    pub loop_head: Option<u32>,
    pub loop_tail: Option<u32>,
    /// Integer / FP registers it names (bit masks).
    pub xregs: u32,
    pub fregs: u32,
    /// Touches the scratch buffer.
    pub mem: bool,
}

/// An independent test: initial state, constants and instructions.
#[derive(Clone, Debug)]
pub struct Block {
    /// Initial state in record layout (the x3 slot is ignored).
    pub init: Vec<u8>,
    /// 64-bit constants addressed as `{P}+8*i`.
    pub pool: Vec<u64>,
    /// Initial instructions of the self-modifying-code slots at `{S}+8*i`
    /// (each slot is that instruction and `ret`, in a writable code section).
    pub smc: Vec<u32>,
    pub items: Vec<Item>,
}

impl Block {
    /// Random instructions in the block (labels count zero).
    pub fn insns(&self) -> u64 {
        self.items.iter().map(|i| i.insns as u64).sum()
    }

    /// The same initial state with other items (jumps whose label is gone
    /// are dropped).
    pub fn with_items(&self, items: Vec<Item>) -> Block {
        Block {
            init: self.init.clone(),
            pool: self.pool.clone(),
            smc: self.smc.clone(),
            items: fix_labels(items),
        }
    }
}

/// Drop jumps to labels that are not defined later in the list, labels
/// nobody uses, and loop heads or tails without their other half.
pub fn fix_labels(items: Vec<Item>) -> Vec<Item> {
    let heads: Vec<(usize, u32)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| it.loop_head.map(|l| (i, l)))
        .collect();
    let tails: Vec<(usize, u32)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| it.loop_tail.map(|l| (i, l)))
        .collect();
    let items: Vec<Item> = items
        .into_iter()
        .enumerate()
        .filter(|(i, it)| {
            it.loop_head
                .is_none_or(|l| tails.iter().any(|&(j, t)| t == l && j > *i))
                && it
                    .loop_tail
                    .is_none_or(|l| heads.iter().any(|&(j, h)| h == l && j < *i))
        })
        .map(|(_, it)| it)
        .collect();
    let defined: Vec<(usize, u32)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| it.label_def.map(|l| (i, l)))
        .collect();
    let ok = |i: usize, l: u32| defined.iter().any(|&(j, d)| d == l && j > i);
    let items: Vec<Item> = items
        .into_iter()
        .enumerate()
        .filter(|(i, it)| it.label_use.is_none_or(|l| ok(*i, l)))
        .map(|(_, it)| it)
        .collect();
    let used: Vec<u32> = items.iter().filter_map(|it| it.label_use).collect();
    items
        .into_iter()
        .filter(|it| it.label_def.is_none_or(|l| used.contains(&l)))
        .collect()
}

#[derive(Clone, Debug)]
pub struct Program {
    pub seed: u64,
    pub blocks: Vec<Block>,
}

impl Program {
    pub fn insns(&self) -> u64 {
        self.blocks.iter().map(Block::insns).sum()
    }
}

#[derive(Clone, Copy, Debug)]
pub struct GenConfig {
    pub blocks: usize,
    /// Random instructions per block (approximately: at least this many).
    pub block_insns: usize,
    pub exts: ExtSet,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            blocks: 50,
            block_insns: 400,
            exts: ExtSet::all(),
        }
    }
}

pub fn generate(seed: u64, cfg: &GenConfig) -> Program {
    let mut rng = Rng::new(seed);
    let blocks = (0..cfg.blocks)
        .map(|_| {
            let s = rng.next_u64();
            gen_block(s, cfg)
        })
        .collect();
    Program { seed, blocks }
}

pub const XNAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];
pub const FNAMES: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2",
    "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9",
    "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];
const GP: u8 = 3;

/// Instructions `li` expands to (the usual lui/addiw/slli/addi sequence).
pub fn li_count(v: i64) -> u32 {
    if (-2048..2048).contains(&v) {
        return 1;
    }
    if v == v as i32 as i64 {
        let lo = (v << 52) >> 52;
        return 1 + u32::from(lo != 0);
    }
    let lo = (v << 52) >> 52;
    let mut hi = ((v.wrapping_sub(lo) as u64 >> 12) as i64) << 12 >> 12;
    let sh = hi.trailing_zeros();
    hi >>= sh;
    li_count(hi) + 1 + u32::from(lo != 0)
}

struct ItemB {
    lines: Vec<String>,
    insns: u32,
    x: u32,
    f: u32,
    mem: bool,
    label_use: Option<u32>,
}

impl ItemB {
    fn new() -> Self {
        ItemB {
            lines: Vec::new(),
            insns: 0,
            x: 0,
            f: 0,
            mem: false,
            label_use: None,
        }
    }
    fn x(&mut self, r: u8) -> &'static str {
        self.x |= 1 << r;
        XNAMES[r as usize]
    }
    fn f(&mut self, r: u8) -> &'static str {
        self.f |= 1 << r;
        FNAMES[r as usize]
    }
    fn op(&mut self, s: String) {
        self.op_n(s, 1);
    }
    fn op_n(&mut self, s: String, n: u32) {
        self.lines.push(s);
        self.insns += n;
    }
    /// A compressed instruction (assembled with `.option rvc`).
    fn c(&mut self, s: String) {
        self.lines.push(".option rvc".into());
        self.lines.push(s);
        self.lines.push(".option norvc".into());
        self.insns += 1;
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    AluR,
    AluI,
    Upper,
    Mul,
    Zba,
    Zbb,
    Zbs,
    Load,
    Store,
    FMem,
    Amo,
    LrSc,
    Branch,
    Jump,
    FArith,
    Fma,
    FCvt,
    FMisc,
    Csr,
    CAlu,
    CMem,
    CJump,
    Const,
    Misc,
    Smc,
    Loop,
}

const KINDS: [(Kind, u32); 26] = [
    (Kind::AluR, 10),
    (Kind::AluI, 8),
    (Kind::Upper, 2),
    (Kind::Mul, 6),
    (Kind::Zba, 3),
    (Kind::Zbb, 5),
    (Kind::Zbs, 3),
    (Kind::Load, 6),
    (Kind::Store, 5),
    (Kind::FMem, 4),
    (Kind::Amo, 3),
    (Kind::LrSc, 2),
    (Kind::Branch, 4),
    (Kind::Jump, 2),
    (Kind::FArith, 10),
    (Kind::Fma, 4),
    (Kind::FCvt, 7),
    (Kind::FMisc, 7),
    (Kind::Csr, 3),
    (Kind::CAlu, 6),
    (Kind::CMem, 3),
    (Kind::CJump, 2),
    (Kind::Const, 6),
    (Kind::Misc, 1),
    (Kind::Smc, 1),
    (Kind::Loop, 2),
];

struct Gen<'a> {
    rng: Rng,
    exts: ExtSet,
    items: Vec<Item>,
    /// (label, items still to emit before it)
    pending: Vec<(u32, u32)>,
    next_label: u32,
    /// FP register holds a double (else a boxed single), as a hint only.
    fdouble: [bool; 32],
    recent: Vec<u8>,
    pool: &'a mut Vec<u64>,
    smc: Vec<u32>,
    /// Loop counters: never written by other items while their loop is open.
    reserved: Vec<u8>,
    /// Open loops: (id, counter, items left in the body).
    loops: Vec<(u32, u8, u32)>,
    next_loop: u32,
}

fn gen_block(seed: u64, cfg: &GenConfig) -> Block {
    let mut rng = Rng::new(seed);
    let mut init = vec![0u8; RECORD];
    let put = |init: &mut Vec<u8>, off: usize, v: u64| {
        init[off..off + 8].copy_from_slice(&v.to_le_bytes());
    };
    for r in 1..32 {
        let v = values::int_value(&mut rng);
        put(&mut init, 8 * (r - 1), v);
    }
    let fcsr = rng.below(32) | rng.below(5) << 5;
    put(&mut init, OFF_FCSR, fcsr);
    let has_f = cfg.exts.has(Ext::F);
    let has_d = cfg.exts.has(Ext::D);
    let mut fdouble = [false; 32];
    for (r, fd) in fdouble.iter_mut().enumerate() {
        *fd = has_d && (!has_f || rng.chance(1, 2));
        let v = if *fd {
            values::f64_value(&mut rng)
        } else {
            values::boxed_f32(&mut rng)
        };
        put(&mut init, OFF_F + 8 * r, v);
    }
    for i in 0..MEM / 8 {
        let v = match rng.below(4) {
            0 => rng.next_u64(),
            1 => values::int_value(&mut rng),
            2 => values::f64_value(&mut rng),
            _ => values::f32_value(&mut rng) as u64 | (values::f32_value(&mut rng) as u64) << 32,
        };
        put(&mut init, OFF_MEM + 8 * i, v);
    }
    let mut pool = Vec::new();
    let mut g = Gen {
        rng,
        exts: cfg.exts,
        items: Vec::new(),
        pending: Vec::new(),
        next_label: 0,
        fdouble,
        recent: Vec::new(),
        pool: &mut pool,
        smc: Vec::new(),
        reserved: Vec::new(),
        loops: Vec::new(),
        next_loop: 0,
    };
    let mut n = 0u64;
    while n < cfg.block_insns as u64 {
        n += g.item() as u64;
    }
    // Open loops end, and labels still pending go, at the end of the block.
    while !g.loops.is_empty() {
        g.close_loop();
    }
    let rest: Vec<u32> = g.pending.drain(..).map(|(l, _)| l).collect();
    for l in rest {
        g.items.push(label_item(l));
    }
    let items = std::mem::take(&mut g.items);
    let smc = std::mem::take(&mut g.smc);
    Block {
        init,
        pool,
        smc,
        items,
    }
}

fn label_item(l: u32) -> Item {
    Item {
        text: String::new(),
        insns: 0,
        label_def: Some(l),
        label_use: None,
        loop_head: None,
        loop_tail: None,
        xregs: 0,
        fregs: 0,
        mem: false,
    }
}

const RMS: [&str; 5] = ["rne", "rtz", "rdn", "rup", "rmm"];

impl Gen<'_> {
    fn push(&mut self, b: ItemB) -> u32 {
        let n = b.insns;
        self.items.push(Item {
            text: b.lines.join("\n"),
            insns: b.insns,
            label_def: None,
            label_use: b.label_use,
            loop_head: None,
            loop_tail: None,
            xregs: b.x,
            fregs: b.f,
            mem: b.mem,
        });
        // Place labels whose distance ran out.
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].1 == 0 {
                let (l, _) = self.pending.remove(i);
                self.items.push(label_item(l));
            } else {
                self.pending[i].1 -= 1;
                i += 1;
            }
        }
        for l in &mut self.loops {
            l.2 = l.2.saturating_sub(1);
        }
        while self.loops.last().is_some_and(|l| l.2 == 0) {
            self.close_loop();
        }
        n
    }

    /// Start a counted loop of a few items, run 2..=4 times. Pending forward
    /// labels are placed first, so nothing jumps into the body from outside.
    fn open_loop(&mut self) {
        for (l, _) in std::mem::take(&mut self.pending) {
            self.items.push(label_item(l));
        }
        let c = loop {
            let r = self.rng.range(5, 31) as u8;
            if r != GP && !self.reserved.contains(&r) {
                break r;
            }
        };
        let id = self.next_loop;
        self.next_loop += 1;
        let n = self.rng.range(2, 4);
        let name = XNAMES[c as usize];
        self.items.push(Item {
            text: format!("li {name}, {n}\n{{H}}:"),
            insns: 1,
            label_def: None,
            label_use: None,
            loop_head: Some(id),
            loop_tail: None,
            xregs: 1 << c,
            fregs: 0,
            mem: false,
        });
        self.reserved.push(c);
        let body = self.rng.range(1, 8) as u32;
        self.loops.push((id, c, body));
    }

    fn close_loop(&mut self) {
        let Some((id, c, _)) = self.loops.pop() else {
            return;
        };
        self.reserved.retain(|&r| r != c);
        let name = XNAMES[c as usize];
        self.items.push(Item {
            text: format!("addi {name}, {name}, -1\nbnez {name}, {{H}}"),
            insns: 2,
            label_def: None,
            label_use: None,
            loop_head: None,
            loop_tail: Some(id),
            xregs: 1 << c,
            fregs: 0,
            mem: false,
        });
    }

    /// A new label placed after `skip` more items.
    fn label(&mut self, skip: u32) -> u32 {
        let l = self.next_label;
        self.next_label += 1;
        self.pending.push((l, skip));
        l
    }

    // ---- register choice -------------------------------------------------

    /// A destination: any integer register but gp, rarely x0.
    fn rd(&mut self) -> u8 {
        if self.rng.chance(1, 40) {
            return 0;
        }
        let r = loop {
            let r = self.rng.range(1, 31) as u8;
            if r != GP && !self.reserved.contains(&r) {
                break r;
            }
        };
        self.recent.push(r);
        if self.recent.len() > 8 {
            self.recent.remove(0);
        }
        r
    }

    /// A destination that is not x0 (nor gp).
    fn rd_nz(&mut self) -> u8 {
        loop {
            let r = self.rd();
            if r != 0 {
                return r;
            }
        }
    }

    /// A temporary (not x0, not gp), also excluding `avoid`.
    fn tmp(&mut self, avoid: &[u8]) -> u8 {
        loop {
            let r = self.rng.range(1, 31) as u8;
            if r != GP && !avoid.contains(&r) && !self.reserved.contains(&r) {
                return r;
            }
        }
    }

    /// A source: often a recently written register.
    fn rs(&mut self) -> u8 {
        if !self.recent.is_empty() && self.rng.chance(1, 2) {
            return *self.rng.pick(&self.recent);
        }
        self.rng.below(32) as u8
    }

    /// x8..x15 (compressed register fields).
    fn rc(&mut self) -> u8 {
        loop {
            let r = self.rng.range(8, 15) as u8;
            if !self.reserved.contains(&r) {
                return r;
            }
        }
    }

    /// An FP source, preferably holding a value of the given precision.
    fn fs(&mut self, double: bool) -> u8 {
        for _ in 0..8 {
            let r = self.rng.below(32) as u8;
            if self.fdouble[r as usize] == double || self.rng.chance(1, 25) {
                return r;
            }
        }
        self.rng.below(32) as u8
    }

    fn fd(&mut self, double: bool) -> u8 {
        let r = self.rng.below(32) as u8;
        self.fdouble[r as usize] = double;
        r
    }

    /// Precision for an FP instruction: `Some(true)` for D.
    fn prec(&mut self) -> Option<bool> {
        match (self.exts.has(Ext::F), self.exts.has(Ext::D)) {
            (true, true) => Some(self.rng.chance(1, 2)),
            (true, false) => Some(false),
            (false, true) => Some(true),
            (false, false) => None,
        }
    }

    /// A rounding-mode operand: mostly dynamic (from `frm`).
    fn rm(&mut self) -> String {
        match self.rng.below(20) {
            0..=9 => String::new(),
            10 => ", dyn".into(),
            _ => format!(", {}", self.rng.pick(&RMS)),
        }
    }

    // ---- items -----------------------------------------------------------

    fn enabled(&self, k: Kind) -> bool {
        let e = self.exts;
        let fp = e.has(Ext::F) || e.has(Ext::D);
        match k {
            Kind::Mul => e.has(Ext::M),
            Kind::Zba => e.has(Ext::Zba),
            Kind::Zbb => e.has(Ext::Zbb),
            Kind::Zbs => e.has(Ext::Zbs),
            Kind::Amo | Kind::LrSc => e.has(Ext::A),
            Kind::FMem | Kind::FArith | Kind::Fma | Kind::FCvt | Kind::FMisc => fp,
            Kind::Csr => e.has(Ext::Zicsr) && fp,
            Kind::CAlu | Kind::CMem | Kind::CJump => e.has(Ext::C),
            _ => true,
        }
    }

    /// Generate one item; returns its instruction count.
    fn item(&mut self) -> u32 {
        let weights: Vec<u32> = KINDS
            .iter()
            .map(|&(k, w)| if self.enabled(k) { w } else { 0 })
            .collect();
        let k = KINDS[self.rng.weighted(&weights)].0;
        let mut b = ItemB::new();
        match k {
            Kind::AluR => self.alu_r(&mut b, &[]),
            Kind::AluI => self.alu_i(&mut b, &[]),
            Kind::Upper => {
                let op = *self.rng.pick(&["lui", "auipc"]);
                let rd = self.rd();
                let imm = values::imm20(&mut self.rng);
                let s = format!("{op} {}, {imm:#x}", b.x(rd));
                b.op(s);
            }
            Kind::Mul => self.mul(&mut b, &[]),
            Kind::Zba => self.zba(&mut b),
            Kind::Zbb => self.zbb(&mut b),
            Kind::Zbs => self.zbs(&mut b),
            Kind::Load => self.load(&mut b),
            Kind::Store => self.store(&mut b),
            Kind::FMem => self.fmem(&mut b),
            Kind::Amo => self.amo(&mut b),
            Kind::LrSc => self.lrsc(&mut b),
            Kind::Branch => self.branch(&mut b),
            Kind::Jump => self.jump(&mut b),
            Kind::FArith => self.farith(&mut b),
            Kind::Fma => self.fma(&mut b),
            Kind::FCvt => self.fcvt(&mut b),
            Kind::FMisc => self.fmisc(&mut b),
            Kind::Csr => self.csr(&mut b),
            Kind::CAlu => self.calu(&mut b),
            Kind::CMem => self.cmem(&mut b),
            Kind::CJump => self.cjump(&mut b),
            Kind::Const => self.constant(&mut b),
            Kind::Smc => self.smc(&mut b),
            Kind::Loop if self.loops.len() < 2 => {
                self.open_loop();
                return 1;
            }
            Kind::Loop => self.alu_r(&mut b, &[]),
            Kind::Misc => {
                let mut ops = vec!["fence", "fence rw,rw", "fence.tso", "fence.i", "nop"];
                if self.exts.has(Ext::C) {
                    ops.push("c.nop");
                }
                let op = *self.rng.pick(&ops);
                if op.starts_with("c.") {
                    b.c(op.into());
                } else {
                    b.op(op.into());
                }
            }
        }
        self.push(b)
    }

    fn alu_r(&mut self, b: &mut ItemB, avoid: &[u8]) {
        let op = *self.rng.pick(&[
            "add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and", "addw", "subw",
            "sllw", "srlw", "sraw",
        ]);
        let rd = self.rd_avoid(avoid);
        let (r1, r2) = (self.rs(), self.rs());
        let s = format!("{op} {}, {}, {}", b.x(rd), b.x(r1), b.x(r2));
        b.op(s);
    }

    fn rd_avoid(&mut self, avoid: &[u8]) -> u8 {
        loop {
            let r = self.rd();
            if !avoid.contains(&r) {
                return r;
            }
        }
    }

    fn alu_i(&mut self, b: &mut ItemB, avoid: &[u8]) {
        let rd = self.rd_avoid(avoid);
        let r1 = self.rs();
        let (op, imm) = match self.rng.below(13) {
            0..=5 => {
                let op = *self
                    .rng
                    .pick(&["addi", "slti", "sltiu", "xori", "ori", "andi"]);
                (op, values::imm12(&mut self.rng))
            }
            6 => ("addiw", values::imm12(&mut self.rng)),
            7..=9 => (*self.rng.pick(&["slli", "srli", "srai"]), self.shamt(64)),
            _ => (*self.rng.pick(&["slliw", "srliw", "sraiw"]), self.shamt(32)),
        };
        let s = format!("{op} {}, {}, {imm}", b.x(rd), b.x(r1));
        b.op(s);
    }

    fn shamt(&mut self, width: i64) -> i64 {
        if self.rng.chance(1, 3) {
            *self.rng.pick(&[0, 1, width / 2 - 1, width / 2, width - 1])
        } else {
            self.rng.range(0, width - 1)
        }
    }

    fn mul(&mut self, b: &mut ItemB, avoid: &[u8]) {
        let op = *self.rng.pick(&[
            "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu", "mulw", "divw",
            "divuw", "remw", "remuw",
        ]);
        let rd = self.rd_avoid(avoid);
        let r1 = self.rs();
        // Division by zero and overflow are the interesting cases.
        let r2 = if self.rng.chance(1, 8) { 0 } else { self.rs() };
        let s = format!("{op} {}, {}, {}", b.x(rd), b.x(r1), b.x(r2));
        b.op(s);
    }

    fn zba(&mut self, b: &mut ItemB) {
        let rd = self.rd();
        let r1 = self.rs();
        if self.rng.chance(1, 6) {
            let sh = self.shamt(64);
            let s = format!("slli.uw {}, {}, {sh}", b.x(rd), b.x(r1));
            b.op(s);
        } else {
            let op = *self.rng.pick(&[
                "sh1add",
                "sh2add",
                "sh3add",
                "add.uw",
                "sh1add.uw",
                "sh2add.uw",
                "sh3add.uw",
            ]);
            let r2 = self.rs();
            let s = format!("{op} {}, {}, {}", b.x(rd), b.x(r1), b.x(r2));
            b.op(s);
        }
    }

    fn zbb(&mut self, b: &mut ItemB) {
        let rd = self.rd();
        let r1 = self.rs();
        match self.rng.below(3) {
            0 => {
                let op = *self.rng.pick(&[
                    "andn", "orn", "xnor", "max", "maxu", "min", "minu", "rol", "ror", "rolw",
                    "rorw",
                ]);
                let r2 = self.rs();
                let s = format!("{op} {}, {}, {}", b.x(rd), b.x(r1), b.x(r2));
                b.op(s);
            }
            1 => {
                let op = *self.rng.pick(&[
                    "clz", "clzw", "ctz", "ctzw", "cpop", "cpopw", "sext.b", "sext.h", "zext.h",
                    "orc.b", "rev8",
                ]);
                let mut r1 = r1;
                if op == "ctzw" {
                    // qemu 7.2 (the oracle) counts over all 64 bits when
                    // rs1[31:0] == 0 (the spec says 32): give the operand a
                    // set bit in the low word. The zero case is a directed test.
                    let t = self.tmp(&[]);
                    let bit = self.rng.below(32);
                    let s = if self.exts.has(Ext::Zbs) {
                        format!("bseti {}, {}, {bit}", b.x(t), b.x(r1))
                    } else {
                        format!("ori {}, {}, {}", b.x(t), b.x(r1), 1 << (bit % 11))
                    };
                    b.op(s);
                    r1 = t;
                }
                let s = format!("{op} {}, {}", b.x(rd), b.x(r1));
                b.op(s);
            }
            _ => {
                let (op, sh) = if self.rng.chance(1, 2) {
                    ("rori", self.shamt(64))
                } else {
                    ("roriw", self.shamt(32))
                };
                let s = format!("{op} {}, {}, {sh}", b.x(rd), b.x(r1));
                b.op(s);
            }
        }
    }

    fn zbs(&mut self, b: &mut ItemB) {
        let rd = self.rd();
        let r1 = self.rs();
        if self.rng.chance(1, 2) {
            let op = *self.rng.pick(&["bclr", "bext", "binv", "bset"]);
            let r2 = self.rs();
            let s = format!("{op} {}, {}, {}", b.x(rd), b.x(r1), b.x(r2));
            b.op(s);
        } else {
            let op = *self.rng.pick(&["bclri", "bexti", "binvi", "bseti"]);
            let sh = self.shamt(64);
            let s = format!("{op} {}, {}, {sh}", b.x(rd), b.x(r1));
            b.op(s);
        }
    }

    /// Emit an address computation for a `size`-byte access; returns the
    /// operand text (`imm(reg)` or `scratch+off`, the latter only when
    /// `pcrel_ok`). `avoid`: registers the temporary must not be.
    fn addr(&mut self, b: &mut ItemB, size: usize, avoid: &[u8], pcrel_ok: bool) -> String {
        b.mem = true;
        // The final offset in the scratch buffer: sometimes misaligned, and
        // sometimes straddling the page boundary at scratch+PAGE_CROSS.
        let off = if size > 1 && self.rng.chance(1, 8) {
            PAGE_CROSS - size + 1 + self.rng.below(size as u64 - 1) as usize
        } else {
            let o = self.rng.below((MEM - size + 1) as u64) as usize;
            if self.rng.chance(4, 5) {
                o & !(size - 1)
            } else {
                o
            }
        };
        match self.rng.below(if pcrel_ok { 6 } else { 5 }) {
            0 => format!("{off}({})", b.x(GP)),
            1 => {
                // Offset from a register value, masked into the first half.
                let t = self.tmp(avoid);
                let r = self.rs();
                let aligned = self.rng.chance(4, 5);
                let mask = if aligned { 0xff & !(size - 1) } else { 0xff };
                let s = format!("andi {}, {}, {mask}", b.x(t), b.x(r));
                b.op(s);
                let s = format!("add {}, {}, {}", b.x(t), b.x(t), b.x(GP));
                b.op(s);
                let mut imm = self.rng.below((256 - size + 1) as u64) as usize;
                if aligned {
                    imm &= !(size - 1);
                }
                format!("{imm}({})", b.x(t))
            }
            2 | 3 => {
                // A nearby base and a possibly negative offset.
                let t = self.tmp(avoid);
                let imm = self.rng.range(-(MEM as i64), MEM as i64);
                let base = off as i64 - imm;
                let s = format!("addi {}, {}, {base}", b.x(t), b.x(GP));
                b.op(s);
                format!("{imm}({})", b.x(t))
            }
            4 => {
                // A far base and a large offset.
                let t = self.tmp(avoid);
                let r = self.rng.range(-2048, 2047);
                let imm = *self.rng.pick(&[-2048, 2047, -2047, 2040, r]);
                let base = off as i64 - imm;
                let s = format!("li {}, {base}", b.x(t));
                b.op_n(s, li_count(base));
                let s = format!("add {}, {}, {}", b.x(t), b.x(t), b.x(GP));
                b.op(s);
                format!("{imm}({})", b.x(t))
            }
            _ => format!("scratch+{off}"),
        }
    }

    fn load(&mut self, b: &mut ItemB) {
        let (op, size) = *self.rng.pick(&[
            ("lb", 1),
            ("lh", 2),
            ("lw", 4),
            ("ld", 8),
            ("lbu", 1),
            ("lhu", 2),
            ("lwu", 4),
        ]);
        let rd = self.rd();
        let a = self.addr(b, size, &[], rd != 0);
        if a.starts_with("scratch") {
            // auipc rd; load rd, %lo(rd)
            let s = format!("{op} {}, {a}", b.x(rd));
            b.op_n(s, 2);
        } else {
            let s = format!("{op} {}, {a}", b.x(rd));
            b.op(s);
        }
    }

    fn store(&mut self, b: &mut ItemB) {
        let (op, size) = *self.rng.pick(&[("sb", 1), ("sh", 2), ("sw", 4), ("sd", 8)]);
        let r2 = self.rs();
        let a = self.addr(b, size, &[], true);
        if a.starts_with("scratch") {
            let t = self.tmp(&[r2]);
            let s = format!("{op} {}, {a}, {}", b.x(r2), b.x(t));
            b.op_n(s, 2);
        } else {
            let s = format!("{op} {}, {a}", b.x(r2));
            b.op(s);
        }
    }

    fn fmem(&mut self, b: &mut ItemB) {
        let Some(double) = self.prec() else { return };
        let size = if double { 8 } else { 4 };
        let sfx = if double { "d" } else { "w" };
        let a = self.addr(b, size, &[], true);
        let pc = a.starts_with("scratch");
        let tail = if pc {
            let t = self.tmp(&[]);
            format!(", {}", b.x(t))
        } else {
            String::new()
        };
        let n = if pc { 2 } else { 1 };
        if self.rng.chance(1, 2) {
            let fd = self.fd(double);
            let s = format!("fl{sfx} {}, {a}{tail}", b.f(fd));
            b.op_n(s, n);
        } else {
            let fs = self.fs(double);
            let s = format!("fs{sfx} {}, {a}{tail}", b.f(fs));
            b.op_n(s, n);
        }
    }

    /// An aligned address in a register for AMOs and LR/SC.
    fn amo_addr(&mut self, b: &mut ItemB, size: usize, avoid: &[u8]) -> u8 {
        b.mem = true;
        let t = self.tmp(avoid);
        if self.rng.chance(1, 2) {
            let r = self.rs();
            let s = format!("andi {}, {}, {}", b.x(t), b.x(r), 0x1ff & !(size - 1));
            b.op(s);
            let s = format!("add {}, {}, {}", b.x(t), b.x(t), b.x(GP));
            b.op(s);
        } else {
            let off = self.rng.below((MEM / size) as u64) as usize * size;
            let s = format!("addi {}, {}, {off}", b.x(t), b.x(GP));
            b.op(s);
        }
        t
    }

    fn order(&mut self) -> &'static str {
        const ORDERS: [&str; 5] = ["", "", ".aq", ".rl", ".aqrl"];
        ORDERS[self.rng.below(5) as usize]
    }

    fn amo(&mut self, b: &mut ItemB) {
        let (w, size) = *self.rng.pick(&[("w", 4), ("d", 8)]);
        let op = *self.rng.pick(&[
            "amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu",
            "amomaxu",
        ]);
        let t = self.amo_addr(b, size, &[]);
        let ord = self.order();
        let rd = self.rd();
        let r2 = self.rs();
        let s = format!("{op}.{w}{ord} {}, {}, ({})", b.x(rd), b.x(r2), b.x(t));
        b.op(s);
    }

    fn lrsc(&mut self, b: &mut ItemB) {
        let (w, size) = *self.rng.pick(&[("w", 4), ("d", 8)]);
        let t = self.amo_addr(b, size, &[]);
        let ord = self.order();
        let rd = self.rd_avoid(&[t]);
        let s = format!("lr.{w}{ord} {}, ({})", b.x(rd), b.x(t));
        b.op(s);
        for _ in 0..self.rng.below(3) {
            match self.rng.below(3) {
                0 => self.alu_r(b, &[t]),
                1 => self.alu_i(b, &[t]),
                _ if self.exts.has(Ext::M) => self.mul(b, &[t]),
                _ => self.alu_i(b, &[t]),
            }
        }
        let second = self.rng.chance(1, 4);
        let rd2 = if second {
            self.rd_avoid(&[t])
        } else {
            self.rd()
        };
        let r2 = self.rs();
        let ord = self.order();
        let s = format!("sc.{w}{ord} {}, {}, ({})", b.x(rd2), b.x(r2), b.x(t));
        b.op(s);
        if second {
            // No reservation any more: this one must fail.
            let rd3 = self.rd();
            let r3 = self.rs();
            let s = format!("sc.{w} {}, {}, ({})", b.x(rd3), b.x(r3), b.x(t));
            b.op(s);
        }
    }

    fn branch(&mut self, b: &mut ItemB) {
        let op = *self.rng.pick(&["beq", "bne", "blt", "bge", "bltu", "bgeu"]);
        let r1 = self.rs();
        let r2 = match self.rng.below(8) {
            0 => r1,
            1 | 2 => 0,
            _ => self.rs(),
        };
        let skip = self.rng.below(5) as u32;
        let l = self.label(skip);
        b.label_use = Some(l);
        let s = format!("{op} {}, {}, {{L}}", b.x(r1), b.x(r2));
        b.op(s);
    }

    fn jump(&mut self, b: &mut ItemB) {
        let skip = self.rng.below(4) as u32;
        let l = self.label(skip);
        b.label_use = Some(l);
        if self.rng.chance(1, 2) {
            let rd = match self.rng.below(3) {
                0 => 0,
                1 => 1,
                _ => self.rd(),
            };
            let s = format!("jal {}, {{L}}", b.x(rd));
            b.op(s);
        } else {
            let t = self.tmp(&[]);
            let s = format!("lla {}, {{L}}", b.x(t));
            b.op_n(s, 2);
            let rd = if self.rng.chance(1, 3) { 0 } else { self.rd() };
            // Bit 0 of the target is cleared: an odd offset still lands on {L}.
            let off = *self.rng.pick(&[0, 0, 1]);
            let s = format!("jalr {}, {off}({})", b.x(rd), b.x(t));
            b.op(s);
        }
    }

    fn farith(&mut self, b: &mut ItemB) {
        let Some(d) = self.prec() else { return };
        let p = if d { "d" } else { "s" };
        let rm = self.rm();
        if self.rng.chance(1, 6) {
            let mut r1 = self.fs(d);
            if self.rng.chance(1, 2) {
                // Mostly non-negative operands, or NaNs take over.
                let t = self.fd(d);
                let s = format!("fabs.{p} {}, {}", b.f(t), b.f(r1));
                b.op(s);
                r1 = t;
            }
            let fd = self.fd(d);
            let s = format!("fsqrt.{p} {}, {}{rm}", b.f(fd), b.f(r1));
            b.op(s);
        } else {
            let op = *self.rng.pick(&["fadd", "fsub", "fmul", "fdiv"]);
            let (r1, r2) = (self.fs(d), self.fs(d));
            let fd = self.fd(d);
            let s = format!("{op}.{p} {}, {}, {}{rm}", b.f(fd), b.f(r1), b.f(r2));
            b.op(s);
        }
    }

    fn fma(&mut self, b: &mut ItemB) {
        let Some(d) = self.prec() else { return };
        let p = if d { "d" } else { "s" };
        let rm = self.rm();
        let op = *self.rng.pick(&["fmadd", "fmsub", "fnmadd", "fnmsub"]);
        let (r1, r2, r3) = (self.fs(d), self.fs(d), self.fs(d));
        let fd = self.fd(d);
        let s = format!(
            "{op}.{p} {}, {}, {}, {}{rm}",
            b.f(fd),
            b.f(r1),
            b.f(r2),
            b.f(r3)
        );
        b.op(s);
    }

    fn fcvt(&mut self, b: &mut ItemB) {
        let Some(d) = self.prec() else { return };
        let p = if d { "d" } else { "s" };
        let both = self.exts.has(Ext::F) && self.exts.has(Ext::D);
        match self.rng.below(if both { 5 } else { 2 }) {
            0 => {
                // FP -> integer, saturating.
                let it = *self.rng.pick(&["w", "wu", "l", "lu"]);
                let r1 = self.fs(d);
                let rd = self.rd();
                let rm = self.rm();
                let s = format!("fcvt.{it}.{p} {}, {}{rm}", b.x(rd), b.f(r1));
                b.op(s);
            }
            1 => {
                // Integer -> FP.
                let it = *self.rng.pick(&["w", "wu", "l", "lu"]);
                let r1 = self.rs();
                let fd = self.fd(d);
                let exact = d && it.starts_with('w');
                if exact && self.rng.chance(1, 3) {
                    // Exact conversions ignore rm, but any valid rm must work.
                    let rm = *self.rng.pick(&[0, 1, 2, 3, 4, 7]);
                    let rs2 = if it == "w" { "x0" } else { "x1" };
                    let s = format!(".insn r 0x53, {rm}, 0x69, {}, {}, {rs2}", b.f(fd), b.x(r1));
                    b.op(s);
                } else {
                    let rm = if exact { String::new() } else { self.rm() };
                    let s = format!("fcvt.{p}.{it} {}, {}{rm}", b.f(fd), b.x(r1));
                    b.op(s);
                }
            }
            2 | 3 => {
                // fcvt.s.d
                let r1 = self.fs(true);
                let fd = self.fd(false);
                let rm = self.rm();
                let s = format!("fcvt.s.d {}, {}{rm}", b.f(fd), b.f(r1));
                b.op(s);
            }
            _ => {
                let r1 = self.fs(false);
                let fd = self.fd(true);
                if self.rng.chance(1, 3) {
                    let rm = *self.rng.pick(&[0, 1, 2, 3, 4, 7]);
                    let s = format!(".insn r 0x53, {rm}, 0x21, {}, {}, f0", b.f(fd), b.f(r1));
                    b.op(s);
                } else {
                    let s = format!("fcvt.d.s {}, {}", b.f(fd), b.f(r1));
                    b.op(s);
                }
            }
        }
    }

    fn fmisc(&mut self, b: &mut ItemB) {
        let Some(d) = self.prec() else { return };
        let p = if d { "d" } else { "s" };
        match self.rng.below(10) {
            0..=3 => {
                let op = *self
                    .rng
                    .pick(&["fmin", "fmax", "fsgnj", "fsgnjn", "fsgnjx"]);
                let r1 = self.fs(d);
                let r2 = if self.rng.chance(1, 4) {
                    r1
                } else {
                    self.fs(d)
                };
                let fd = self.fd(d);
                let s = format!("{op}.{p} {}, {}, {}", b.f(fd), b.f(r1), b.f(r2));
                b.op(s);
            }
            4..=5 => {
                let op = *self.rng.pick(&["feq", "flt", "fle"]);
                let r1 = self.fs(d);
                let r2 = if self.rng.chance(1, 6) {
                    r1
                } else {
                    self.fs(d)
                };
                let rd = self.rd();
                let s = format!("{op}.{p} {}, {}, {}", b.x(rd), b.f(r1), b.f(r2));
                b.op(s);
            }
            6 => {
                let r1 = self.fs(d);
                let rd = self.rd();
                let s = format!("fclass.{p} {}, {}", b.x(rd), b.f(r1));
                b.op(s);
            }
            7 => {
                let w = if d { "d" } else { "w" };
                let r1 = self.fs(d);
                let rd = self.rd();
                let s = format!("fmv.x.{w} {}, {}", b.x(rd), b.f(r1));
                b.op(s);
            }
            _ => {
                let w = if d { "d" } else { "w" };
                let r1 = self.rs();
                let fd = self.fd(d);
                let s = format!("fmv.{w}.x {}, {}", b.f(fd), b.x(r1));
                b.op(s);
            }
        }
    }

    fn csr(&mut self, b: &mut ItemB) {
        let rd = if self.rng.chance(1, 4) { 0 } else { self.rd() };
        let imm5 = self.rng.below(32);
        match self.rng.below(16) {
            0 => {
                let s = format!("frflags {}", b.x(rd));
                b.op(s);
            }
            1 => {
                let s = format!("frrm {}", b.x(rd));
                b.op(s);
            }
            2 => {
                let s = format!("frcsr {}", b.x(rd));
                b.op(s);
            }
            3 => {
                let r = self.rs();
                let s = format!("fsflags {}, {}", b.x(rd), b.x(r));
                b.op(s);
            }
            4 => {
                let s = format!("fsflagsi {}, {imm5}", b.x(rd));
                b.op(s);
            }
            5 => {
                let op = *self.rng.pick(&["csrrs", "csrrc"]);
                let r = self.rs();
                let s = format!("{op} {}, fflags, {}", b.x(rd), b.x(r));
                b.op(s);
            }
            6 => {
                let op = *self.rng.pick(&["csrrsi", "csrrci", "csrrwi"]);
                let s = format!("{op} {}, fflags, {imm5}", b.x(rd));
                b.op(s);
            }
            7 => {
                let m = self.rng.below(5);
                let s = format!("fsrmi {}, {m}", b.x(rd));
                b.op(s);
            }
            8 => {
                let t = self.tmp(&[]);
                let r = self.rs();
                let s = format!("andi {}, {}, 3", b.x(t), b.x(r));
                b.op(s);
                let s = format!("fsrm {}, {}", b.x(rd), b.x(t));
                b.op(s);
            }
            9 => {
                let s = format!("csrrci {}, frm, {imm5}", b.x(rd));
                b.op(s);
            }
            10 | 11 => {
                // Whole fcsr, with a valid frm and random reserved bits.
                let t = self.tmp(&[]);
                let r = self.rs();
                let m = self.rng.below(5);
                let s = format!("andi {}, {}, -225", b.x(t), b.x(r));
                b.op(s);
                let s = format!("ori {}, {}, {}", b.x(t), b.x(t), m << 5);
                b.op(s);
                let s = format!("fscsr {}, {}", b.x(rd), b.x(t));
                b.op(s);
            }
            12 => {
                let r = self.rs();
                let s = format!("csrrc {}, fcsr, {}", b.x(rd), b.x(r));
                b.op(s);
            }
            13 => {
                let t = self.tmp(&[]);
                let r = self.rs();
                let s = format!("andi {}, {}, -225", b.x(t), b.x(r));
                b.op(s);
                let s = format!("csrrs {}, fcsr, {}", b.x(rd), b.x(t));
                b.op(s);
            }
            _ => {
                let op = *self.rng.pick(&["csrrsi", "csrrci", "csrrwi"]);
                let s = format!("{op} {}, fcsr, {imm5}", b.x(rd));
                b.op(s);
            }
        }
    }

    fn calu(&mut self, b: &mut ItemB) {
        match self.rng.below(14) {
            0 => {
                let rd = self.rd_nz();
                let imm = self.nz_imm6();
                let s = format!("c.addi {}, {imm}", b.x(rd));
                b.c(s);
            }
            1 => {
                let rd = self.rd_nz();
                let imm = self.rng.range(-32, 31);
                let s = format!("c.addiw {}, {imm}", b.x(rd));
                b.c(s);
            }
            2 => {
                let rd = self.rd_nz();
                let imm = self.rng.range(-32, 31);
                let s = format!("c.li {}, {imm}", b.x(rd));
                b.c(s);
            }
            3 => {
                let rd = loop {
                    let r = self.rd_nz();
                    if r != 2 {
                        break r;
                    }
                };
                let imm = if self.rng.chance(1, 2) {
                    self.rng.range(1, 0x1f)
                } else {
                    self.rng.range(0xfffe0, 0xfffff)
                };
                let s = format!("c.lui {}, {imm:#x}", b.x(rd));
                b.c(s);
            }
            4 => {
                let imm = loop {
                    let v = self.rng.range(-32, 31) * 16;
                    if v != 0 {
                        break v;
                    }
                };
                let s = format!("c.addi16sp {}, {imm}", b.x(2));
                b.c(s);
            }
            5 => {
                let rd = self.rc();
                let imm = self.rng.range(1, 255) * 4;
                let s = format!("c.addi4spn {}, {}, {imm}", b.x(rd), b.x(2));
                b.c(s);
            }
            6 => {
                let rd = self.rd_nz();
                let sh = self.rng.range(1, 63);
                let s = format!("c.slli {}, {sh}", b.x(rd));
                b.c(s);
            }
            7 => {
                let op = *self.rng.pick(&["c.srli", "c.srai"]);
                let rd = self.rc();
                let sh = self.rng.range(1, 63);
                let s = format!("{op} {}, {sh}", b.x(rd));
                b.c(s);
            }
            8 => {
                let rd = self.rc();
                let imm = self.rng.range(-32, 31);
                let s = format!("c.andi {}, {imm}", b.x(rd));
                b.c(s);
            }
            9 | 10 => {
                let op = *self.rng.pick(&["c.mv", "c.add"]);
                let rd = self.rd_nz();
                let r2 = loop {
                    let r = self.rs();
                    if r != 0 {
                        break r;
                    }
                };
                let s = format!("{op} {}, {}", b.x(rd), b.x(r2));
                b.c(s);
            }
            _ => {
                let op = *self
                    .rng
                    .pick(&["c.sub", "c.xor", "c.or", "c.and", "c.subw", "c.addw"]);
                let rd = self.rc();
                let r2 = self.rc();
                let s = format!("{op} {}, {}", b.x(rd), b.x(r2));
                b.c(s);
            }
        }
    }

    fn nz_imm6(&mut self) -> i64 {
        loop {
            let v = self.rng.range(-32, 31);
            if v != 0 {
                return v;
            }
        }
    }

    fn cmem(&mut self, b: &mut ItemB) {
        b.mem = true;
        let has_d = self.exts.has(Ext::D);
        // (mnemonic, size, max offset, via sp, FP, store)
        let mut ops: Vec<(&str, usize, usize, bool, bool, bool)> = vec![
            ("c.lw", 4, 124, false, false, false),
            ("c.ld", 8, 248, false, false, false),
            ("c.sw", 4, 124, false, false, true),
            ("c.sd", 8, 248, false, false, true),
            ("c.lwsp", 4, 252, true, false, false),
            ("c.ldsp", 8, 504, true, false, false),
            ("c.swsp", 4, 252, true, false, true),
            ("c.sdsp", 8, 504, true, false, true),
        ];
        if has_d {
            ops.extend([
                ("c.fld", 8, 248, false, true, false),
                ("c.fsd", 8, 248, false, true, true),
                ("c.fldsp", 8, 504, true, true, false),
                ("c.fsdsp", 8, 504, true, true, true),
            ]);
        }
        let (op, size, max, sp, fp, store) = *self.rng.pick(&ops);
        let base = if sp { 2 } else { self.rc() };
        let misaligned = self.rng.chance(1, 5);
        let mut boff = self.rng.below((MEM - size + 1) as u64) as usize;
        if !misaligned {
            boff &= !(size - 1);
        }
        let room = (MEM - size - boff).min(max);
        let uimm = self.rng.below((room / size + 1) as u64) as usize * size;
        let s = format!("addi {}, {}, {boff}", b.x(base), b.x(GP));
        b.op(s);
        let reg = match (fp, sp) {
            (true, true) => {
                if store {
                    let r = self.fs(true);
                    b.f(r)
                } else {
                    let r = self.fd(true);
                    b.f(r)
                }
            }
            (true, false) => {
                let r = self.rng.range(8, 15) as u8;
                if !store {
                    self.fdouble[r as usize] = true;
                }
                b.f(r)
            }
            (false, true) => {
                let r = if store { self.rs() } else { self.rd_nz() };
                b.x(r)
            }
            (false, false) => {
                let r = self.rc();
                b.x(r)
            }
        };
        let s = format!("{op} {reg}, {uimm}({})", b.x(base));
        b.c(s);
    }

    fn cjump(&mut self, b: &mut ItemB) {
        match self.rng.below(4) {
            0 | 1 => {
                let op = *self.rng.pick(&["c.beqz", "c.bnez"]);
                let r = self.rc();
                let skip = self.rng.below(4) as u32;
                let l = self.label(skip);
                b.label_use = Some(l);
                let s = format!("{op} {}, {{L}}", b.x(r));
                b.c(s);
            }
            2 => {
                let skip = self.rng.below(4) as u32;
                let l = self.label(skip);
                b.label_use = Some(l);
                b.c("c.j {L}".into());
            }
            _ => {
                let skip = self.rng.below(4) as u32;
                let l = self.label(skip);
                b.label_use = Some(l);
                let t = self.tmp(&[]);
                let s = format!("lla {}, {{L}}", b.x(t));
                b.op_n(s, 2);
                let op = *self.rng.pick(&["c.jr", "c.jalr"]);
                let s = format!("{op} {}", b.x(t));
                b.c(s);
            }
        }
    }

    fn constant(&mut self, b: &mut ItemB) {
        let fp = self.prec();
        match self.rng.below(if fp.is_some() { 5 } else { 2 }) {
            0 => {
                let rd = self.rd_nz();
                let v = values::int_value(&mut self.rng) as i64;
                let s = format!("li {}, {v:#x}", b.x(rd));
                b.op_n(s, li_count(v));
            }
            1 => {
                let rd = self.rd_nz();
                let v = values::int_value(&mut self.rng);
                let i = self.pool_add(v);
                let s = format!("ld {}, {{P}}+{}", b.x(rd), 8 * i);
                b.op_n(s, 2);
            }
            _ => {
                let d = fp.unwrap_or(true);
                let v = if d {
                    if self.rng.chance(1, 2) {
                        *self.rng.pick(F64_EDGES)
                    } else {
                        values::f64_value(&mut self.rng)
                    }
                } else if self.rng.chance(1, 2) {
                    *self.rng.pick(F32_EDGES) as u64
                } else {
                    values::f32_value(&mut self.rng) as u64
                };
                let i = self.pool_add(v);
                let t = self.tmp(&[]);
                let fd = self.fd(d);
                let op = if d { "fld" } else { "flw" };
                let s = format!("{op} {}, {{P}}+{}, {}", b.f(fd), 8 * i, b.x(t));
                b.op_n(s, 2);
            }
        }
    }

    /// Self-modifying code: run a slot, rewrite its instruction, `fence.i`,
    /// run it again (exercises decoded-code invalidation).
    fn smc(&mut self, b: &mut ItemB) {
        let t = self.tmp(&[1]);
        let w = self.tmp(&[1, t]);
        let (old, old_s) = self.encode_alu(&[1, GP, t]);
        let (new, new_s) = self.encode_alu(&[1, GP, t]);
        let slot = self.smc.len();
        self.smc.push(old);
        let i = self.pool_add(new as u64);
        b.lines
            .push(format!("# smc slot {slot}: `{old_s}` then `{new_s}`"));
        let s = format!("lla {}, {{S}}+{}", b.x(t), 8 * slot);
        b.op_n(s, 2);
        let s = format!("jalr {}, 0({})", b.x(1), b.x(t));
        b.op_n(s, 3);
        let s = format!("ld {}, {{P}}+{}", b.x(w), 8 * i);
        b.op_n(s, 2);
        let s = format!("sw {}, 0({})", b.x(w), b.x(t));
        b.op(s);
        b.op("fence.i".into());
        let s = format!("jalr {}, 0({})", b.x(1), b.x(t));
        b.op_n(s, 3);
    }

    /// A random integer instruction, encoded: (word, assembly).
    fn encode_alu(&mut self, avoid_rd: &[u8]) -> (u32, String) {
        let rd = loop {
            let r = self.rng.below(32) as u8;
            if !avoid_rd.contains(&r) && !self.reserved.contains(&r) {
                break r;
            }
        };
        let (r1, r2) = (self.rs(), self.rs());
        let (rd32, r132, r232) = (rd as u32, r1 as u32, r2 as u32);
        let (x, y, z) = (
            XNAMES[rd as usize],
            XNAMES[r1 as usize],
            XNAMES[r2 as usize],
        );
        let m = self.exts.has(Ext::M);
        match self.rng.below(4) {
            0 | 1 => {
                // OP / OP-32: (name, funct7, funct3, opcode)
                let mut ops = vec![
                    ("add", 0, 0, 0x33),
                    ("sub", 0x20, 0, 0x33),
                    ("sll", 0, 1, 0x33),
                    ("slt", 0, 2, 0x33),
                    ("sltu", 0, 3, 0x33),
                    ("xor", 0, 4, 0x33),
                    ("srl", 0, 5, 0x33),
                    ("sra", 0x20, 5, 0x33),
                    ("or", 0, 6, 0x33),
                    ("and", 0, 7, 0x33),
                    ("addw", 0, 0, 0x3b),
                    ("subw", 0x20, 0, 0x3b),
                    ("sllw", 0, 1, 0x3b),
                    ("srlw", 0, 5, 0x3b),
                    ("sraw", 0x20, 5, 0x3b),
                ];
                if m {
                    ops.extend([
                        ("mul", 1, 0, 0x33),
                        ("mulh", 1, 1, 0x33),
                        ("mulhu", 1, 3, 0x33),
                        ("div", 1, 4, 0x33),
                        ("remu", 1, 7, 0x33),
                        ("mulw", 1, 0, 0x3b),
                        ("divw", 1, 4, 0x3b),
                        ("remuw", 1, 7, 0x3b),
                    ]);
                }
                let (name, f7, f3, opc) = *self.rng.pick(&ops);
                let enc = f7 << 25 | r232 << 20 | r132 << 15 | f3 << 12 | rd32 << 7 | opc;
                (enc, format!("{name} {x}, {y}, {z}"))
            }
            2 => {
                let (name, f3) = *self.rng.pick(&[
                    ("addi", 0),
                    ("slti", 2),
                    ("sltiu", 3),
                    ("xori", 4),
                    ("ori", 6),
                    ("andi", 7),
                    ("slli", 1),
                    ("srli", 5),
                    ("srai", 5),
                ]);
                let imm: i64 = match name {
                    "slli" | "srli" => self.rng.range(0, 63),
                    "srai" => self.rng.range(0, 63),
                    _ => values::imm12(&mut self.rng),
                };
                let field = if name == "srai" {
                    0x400 | imm as u32
                } else {
                    imm as u32 & 0xfff
                };
                let enc = field << 20 | r132 << 15 | f3 << 12 | rd32 << 7 | 0x13;
                (enc, format!("{name} {x}, {y}, {imm}"))
            }
            _ => {
                let imm = values::imm20(&mut self.rng) as u32;
                (imm << 12 | rd32 << 7 | 0x37, format!("lui {x}, {imm:#x}"))
            }
        }
    }

    fn pool_add(&mut self, v: u64) -> usize {
        self.pool.push(v);
        self.pool.len() - 1
    }
}

/// Human-readable listing of a block's items, for reports.
pub fn listing(block: &Block) -> String {
    let mut out = String::new();
    for it in &block.items {
        if let Some(l) = it.label_def {
            let _ = writeln!(out, ".L{l}:");
            continue;
        }
        for line in it.text.lines() {
            if line.starts_with(".option") {
                continue;
            }
            let line = line.replace("{P}", "pool").replace("{S}", "smc");
            let line = match it.loop_head.or(it.loop_tail) {
                Some(l) => line.replace("{H}", &format!(".Loop{l}")),
                None => line,
            };
            let line = match it.label_use {
                Some(l) => line.replace("{L}", &format!(".L{l}")),
                None => line,
            };
            let _ = writeln!(out, "    {line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every subsequence the minimizer can produce stays well formed:
    /// jumps only forward to a defined label, loops closed and not entered
    /// from outside.
    #[test]
    fn subsets_stay_well_formed() {
        let cfg = GenConfig {
            blocks: 4,
            ..GenConfig::default()
        };
        let prog = generate(3, &cfg);
        let mut rng = Rng::new(9);
        for b in &prog.blocks {
            assert!(b.insns() >= cfg.block_insns as u64);
            for keep_num in [1, 2, 4, 8] {
                let items: Vec<Item> = b
                    .items
                    .iter()
                    .filter(|_| rng.below(8) < keep_num)
                    .cloned()
                    .collect();
                let blk = b.with_items(items);
                let mut open: Vec<u32> = Vec::new();
                for (i, it) in blk.items.iter().enumerate() {
                    if let Some(l) = it.label_use {
                        let j = blk.items.iter().position(|x| x.label_def == Some(l));
                        assert!(j.is_some_and(|j| j > i), "label {l} not ahead");
                        // The target is not inside a loop the jump is outside of.
                        let j = j.unwrap();
                        for x in &blk.items[i..j] {
                            assert!(x.loop_head.is_none(), "jump into a loop");
                        }
                    }
                    if let Some(l) = it.loop_head {
                        open.push(l);
                    }
                    if let Some(l) = it.loop_tail {
                        assert_eq!(open.pop(), Some(l));
                    }
                }
                assert!(open.is_empty());
            }
        }
    }

    #[test]
    fn li_count_matches_known_sequences() {
        assert_eq!(li_count(0), 1);
        assert_eq!(li_count(-2048), 1);
        assert_eq!(li_count(4096), 1);
        assert_eq!(li_count(0x12345678), 2);
        assert_eq!(li_count(-4097), 2);
        // lui, addiw, slli, addi, slli, addi, slli, addi (gas 2.40)
        assert_eq!(li_count(0x1234_5678_9abc_def0), 8);
    }
}
