//! The dispatch loop: executes chains of decoded blocks.
//!
//! One dense `match` on the op kind (a jump table natively, a `br_table` in
//! wasm) over a raw op pointer: every block ends with a terminator op, so
//! there is no per-op end test, and terminators move to the next block
//! through the block's cached link (or the jump cache). Instructions are
//! counted per block.
//!
//! The executor is instantiated twice from one source ([`Cpu::step`] with
//! `FAST` true or false):
//! - the *fast loop* handles the common case — integer ops, loads and stores
//!   that hit the TLB, branches whose target block is linked or in the jump
//!   cache — and contains no calls at all, so that the compiler (Cranelift in
//!   particular, whose internal calls preserve no registers) keeps the
//!   executor's state in registers. Anything else makes it stop *before*
//!   the op has any effect ("bail"): fused ops check every access before
//!   committing anything, terminators resolve their target block first.
//! - the *general* step executes any op (slow memory paths, faults, the ops
//!   of [`super::cold`], exits, lookups); the chain runs one general step per
//!   bail and re-enters the fast loop.
//!
//! The fast loop has one dispatch site. A second copy of the body (two
//! sites, for branch prediction) measured slower in the component: strfmt,
//! which touches the most handlers, ran 30-45% longer with the doubled
//! code, while no workload gained more than noise.

use super::block::{Block, CodeCache};
use super::cold::Cold;
use super::decode::{Op, K};
use super::fp::{self, Bin, Cmp};
use super::regs::{with_regs, Regs, FCSR};
use super::{box_s, sext32, unbox_s, Chain, Cpu, Exit};
use crate::mm::Mem;

/// Executor state of a chain of blocks (what the fast loop needs).
#[derive(Clone, Copy)]
pub(super) struct State<'c> {
    /// Instructions the chain may still run (blocks are only entered while
    /// their length is below it).
    left: u64,
    /// The current block, and the next op in it.
    b: &'c Block,
    ip: *const Op,
}

/// The rest of a chain's state (only needed on exits).
struct Info {
    /// `instret` when the chain started.
    base: u64,
    budget: u64,
}

/// What one step asks for next.
enum Step {
    Next,
    /// End the chain.
    Done(Chain),
    /// (Fast loop only.) The op at `ip` needs the general step; nothing of
    /// it has been executed.
    Slow,
}

impl Cpu {
    /// Execute blocks starting with `start`, following cached links, until
    /// an exit, a block that is not decoded yet, a write to decoded code, or
    /// `budget` instructions. `self.pc`/`instret` are exact on return.
    #[inline(never)]
    pub(super) fn exec_chain(
        &mut self,
        m: &mut Mem,
        code: &CodeCache,
        start: &Block,
        budget: u64,
    ) -> Chain {
        let (mut x, mut f, mut fcsr) = (self.x, self.f, self.fcsr);
        let c = with_regs(&mut x, &mut f, &mut fcsr, |r| {
            let b = start;
            let info = Info {
                base: self.instret,
                budget,
            };
            let mut st = State {
                left: budget,
                b,
                ip: b.ops.as_ptr(),
            };
            loop {
                Self::fast_loop(m, r, code, &mut st);
                match Self::step_impl::<false>(Some(self), &info, m, r, code, &mut st) {
                    Step::Done(c) => break c,
                    Step::Next | Step::Slow => {}
                }
            }
        });
        self.x = x;
        self.f = f;
        self.fcsr = fcsr;
        c
    }

    /// Run fast steps until one bails; `st.ip` is then the op to run with
    /// the general step.
    #[inline(never)]
    fn fast_loop<'c>(m: &mut Mem, r: &mut Regs, code: &'c CodeCache, st: &mut State<'c>) {
        // A local copy, so that it lives in registers.
        let mut s = *st;
        loop {
            if let Step::Slow = Self::step_fast(m, r, code, &mut s) {
                break;
            }
        }
        *st = s;
    }

    #[inline(always)]
    fn step_fast<'c>(m: &mut Mem, r: &mut Regs, code: &'c CodeCache, st: &mut State<'c>) -> Step {
        // The fast step never exits (it bails instead), so it needs neither
        // the `Cpu` nor the exit information.
        const NO_INFO: Info = Info { base: 0, budget: 0 };
        Self::step_impl::<true>(None, &NO_INFO, m, r, code, st)
    }

    /// Execute the op at `st.ip` (see the module docs). `cpu` is `None` only
    /// in the fast step, which never needs it.
    #[inline(always)]
    fn step_impl<'c, const FAST: bool>(
        mut cpu: Option<&mut Cpu>,
        info: &Info,
        m: &mut Mem,
        r: &mut Regs,
        code: &'c CodeCache,
        st: &mut State<'c>,
    ) -> Step {
        let base = info.base;
        // Instructions of the chain's completed blocks (for exits).
        let done = info.budget.wrapping_sub(st.left);
        let b = st.b;
        // SAFETY: `ip` always points into `b.ops`: it starts at a block's
        // first op and only advances past non-terminator ops, every block
        // (even a dead one) is non-empty and ends with a terminator
        // (`block::build_block`), and terminators either leave it alone
        // (bail/exit) or move it to the start of another block. `code` is
        // borrowed for the whole chain, so no block is freed or moved.
        let op: &Op = unsafe { &*st.ip };
        // Leave the chain at op `$op` with `$count` instructions of the
        // block retired (the fast step bails instead).
        macro_rules! exit_at {
            ($op:expr, $count:expr, $e:expr) => {{
                if FAST {
                    return Step::Slow;
                }
                if let Some(cpu) = cpu.as_deref_mut() {
                    cpu.pc = b.pc.wrapping_add($op.off as i64 as u64);
                    cpu.instret = base + done + $count;
                }
                return Step::Done(Chain::Exit($e));
            }};
        }
        macro_rules! fault {
            ($op:expr, $f:expr) => {
                exit_at!($op, $op.idx as u64, Exit::Fault($f))
            };
        }
        macro_rules! illegal {
            ($op:expr) => {{
                let pc = b.pc.wrapping_add($op.off as i64 as u64);
                let insn = if FAST { 0 } else { m.peek_insn(pc) };
                exit_at!($op, $op.idx as u64, Exit::Illegal { insn })
            }};
        }
        // Stop the chain at guest `pc` with `count` instructions retired in
        // this block, to continue after syncing the code cache.
        macro_rules! stop_continue {
            ($pc:expr, $count:expr) => {{
                if let Some(cpu) = cpu.as_deref_mut() {
                    cpu.pc = $pc;
                    cpu.instret = base + done + $count;
                }
                return Step::Done(Chain::Continue);
            }};
        }
        // After a (slow-path) write to memory that may have hit decoded
        // code: stop if it did, continuing at the next op (which exists:
        // writers are not terminators).
        macro_rules! smc_check {
            () => {
                if !m.pending.is_empty() {
                    // SAFETY: see `op`; the current op is not a terminator,
                    // so the next op is in the block.
                    let next = unsafe { &*st.ip.add(1) };
                    stop_continue!(b.pc.wrapping_add(next.off as i64 as u64), next.idx as u64)
                }
            };
        }
        // The same between the two instructions of a pair ("len" kinds).
        macro_rules! smc2 {
            () => {
                if !m.pending.is_empty() {
                    stop_continue!(
                        b.pc.wrapping_add((op.off as i64 as u64).wrapping_add(op.len1())),
                        op.idx as u64 + 1
                    )
                }
            };
        }
        // A fault at the second instruction of a pair whose first one is
        // done ("len" kinds).
        macro_rules! fault2 {
            ($op:expr, $f:expr) => {{
                if FAST {
                    return Step::Slow;
                }
                if let Some(cpu) = cpu.as_deref_mut() {
                    cpu.pc =
                        b.pc.wrapping_add(($op.off as i64 as u64).wrapping_add($op.len1()));
                    cpu.instret = base + done + $op.idx as u64 + 1;
                }
                return Step::Done(Chain::Exit(Exit::Fault($f)));
            }};
        }
        // The block to continue at `$target` through link slot `$k` (0
        // taken, 1 fall-through); ends the chain (the fast step: bails) if
        // the budget is used up or the block is not known yet. Has no
        // effect but caching the link.
        macro_rules! resolve {
            ($target:expr, $k:expr) => {{
                let target: u64 = $target;
                if b.n >= st.left {
                    if FAST {
                        return Step::Slow;
                    }
                    if let Some(cpu) = cpu.as_deref_mut() {
                        cpu.pc = target;
                        cpu.instret = base + done + b.n;
                    }
                    return Step::Done(Chain::Exit(Exit::Budget));
                }
                let nb = b.link($k);
                if nb.pc == target {
                    nb
                } else {
                    let found = if FAST {
                        code.lookup_cached(target)
                    } else {
                        code.lookup(target)
                    };
                    match found {
                        Some(nb) => {
                            b.set_link($k, nb);
                            nb
                        }
                        None => {
                            if FAST {
                                return Step::Slow;
                            }
                            if let Some(cpu) = cpu.as_deref_mut() {
                                cpu.pc = target;
                                cpu.instret = base + done + b.n;
                            }
                            return Step::Done(Chain::Continue);
                        }
                    }
                }
            }};
        }
        // End of block: commit the terminator's register writes `$commit`
        // (before the target is resolved in the general step, which may
        // exit; after it in the fast step, which may bail) and go on at
        // `$target` (computed before any commit).
        macro_rules! term {
            ($target:expr, $k:expr, $commit:block) => {{
                let t: u64 = $target;
                if !FAST {
                    $commit
                }
                let nb = resolve!(t, $k);
                if FAST {
                    $commit
                }
                st.left -= b.n;
                st.b = nb;
                st.ip = nb.ops.as_ptr();
                return Step::Next;
            }};
        }
        // Register fields are register-file slots (see `super::regs`).
        // Fields are read where a handler uses them (volatile, so LLVM
        // cannot hoist them all above the dispatch): loaded up front they
        // were live across the jump table in five registers, and Cranelift
        // spilled the memory pointer instead.
        macro_rules! field {
            ($f:ident) => {
                // SAFETY: a read of a field of a live op.
                unsafe { std::ptr::read_volatile(&op.$f) }
            };
        }
        macro_rules! rd {
            () => {
                field!(rd) as usize
            };
        }
        macro_rules! rs1 {
            () => {
                field!(rs1) as usize
            };
        }
        macro_rules! rs2 {
            () => {
                field!(rs2) as usize
            };
        }
        macro_rules! aux {
            () => {
                field!(aux) as usize
            };
        }
        macro_rules! imm {
            () => {
                field!(imm) as u64
            };
        }
        macro_rules! x {
            ($v:expr) => {{
                let v: u64 = $v;
                r[rd!()] = v;
            }};
        }
        // (x0 writes go to the discard slot.)
        macro_rules! xz {
            ($v:expr) => {
                x!($v)
            };
        }
        macro_rules! a {
            () => {
                r[rs1!()]
            };
        }
        macro_rules! bb {
            () => {
                r[rs2!()]
            };
        }
        // The `$n`-byte value at `$addr` converted by `$conv`; on a fault,
        // `$fault` (the fast step bails on a TLB miss).
        macro_rules! ldv {
            ($n:literal, $conv:expr, $addr:expr, $fault:ident) => {{
                let addr: u64 = $addr;
                if FAST {
                    match m.load_fast::<$n>(addr) {
                        Some(v) => $conv(v),
                        None => return Step::Slow,
                    }
                } else {
                    match m.load::<$n>(addr) {
                        Ok(v) => $conv(v),
                        Err(f) => $fault!(op, f),
                    }
                }
            }};
        }
        // Store `$v` at `$addr`: all or nothing; on a fault `$fault`, after
        // a slow-path store `$smc` (the fast step bails on a TLB miss). Write
        // TLB entries never cover pages with decoded code, so only the slow
        // path can modify code.
        macro_rules! stv {
            ($v:expr, $addr:expr, $fault:ident, $smc:ident) => {{
                let addr: u64 = $addr;
                let v = $v.to_le_bytes();
                if !m.store_fast(addr, v) {
                    if FAST {
                        return Step::Slow;
                    }
                    match m.store_slow(addr, &v) {
                        Ok(()) => $smc!(),
                        Err(f) => $fault!(op, f),
                    }
                }
            }};
        }
        let d64 = u64::from_le_bytes;
        let w32 = |v: [u8; 4]| i32::from_le_bytes(v) as i64 as u64;
        let wu32 = |v: [u8; 4]| u32::from_le_bytes(v) as u64;
        let bu8 = |v: [u8; 1]| v[0] as u64;
        // The value of slot `$s` after the first instruction of a pair wrote
        // `$new` to slot `$w` (without writing it yet).
        macro_rules! after {
            ($s:expr, $w:expr, $new:expr) => {
                if $s == $w {
                    $new
                } else {
                    r[$s]
                }
            };
        }
        // Fused branch: `$new` to be written to `rd` by the first
        // instruction, then compare rs1/rs2 (as seen after it) with `$cmp`;
        // taken to the block's pc + lo.
        macro_rules! fused_br {
            ($new:expr, $cmp:expr) => {{
                let new: u64 = $new;
                let c: fn(u64, u64) -> bool = $cmp;
                if c(after!(rs1!(), rd!(), new), after!(rs2!(), rd!(), new)) {
                    term!(b.pc.wrapping_add(op.lo()), 0, { r[rd!()] = new })
                } else {
                    term!(b.end, 1, { r[rd!()] = new })
                }
            }};
        }
        macro_rules! br {
            ($cmp:expr) => {{
                let c: fn(u64, u64) -> bool = $cmp;
                if c(a!(), bb!()) {
                    term!(imm!(), 0, {})
                } else {
                    term!(b.end, 1, {})
                }
            }};
        }
        // add aux, rs1, rs2; l* rd, lo(aux) (@2)
        macro_rules! add_load {
            ($n:literal, $conv:expr) => {{
                let t = a!().wrapping_add(bb!());
                if !FAST {
                    r[aux!()] = t;
                }
                let v = ldv!($n, $conv, t.wrapping_add(op.lo()), fault);
                r[aux!()] = t;
                x!(v);
            }};
        }
        // add rd, rs1, rs2; s* aux, lo(rd) (@2)
        macro_rules! add_store {
            ($conv:expr) => {{
                let t = a!().wrapping_add(bb!());
                if !FAST {
                    x!(t);
                }
                let v = $conv(after!(aux!(), rd!(), t));
                stv!(v, t.wrapping_add(op.lo()), fault, smc_check);
                x!(t);
            }};
        }
        // slli aux, rs1, hi; add <len1>, aux, rs2; l* rd, lo(<len1>) (@2)
        macro_rules! slli_add_load {
            ($n:literal, $conv:expr) => {{
                let sum = op.len1() as usize;
                let s = a!() << (op.hi() & 63);
                let t = s.wrapping_add(after!(rs2!(), aux!(), s));
                if !FAST {
                    r[aux!()] = s;
                    r[sum] = t;
                }
                let v = ldv!($n, $conv, t.wrapping_add(op.lo()), fault);
                r[aux!()] = s;
                r[sum] = t;
                x!(v);
            }};
        }
        // l* rd, lo(rs1); addi rs2, aux, hi
        macro_rules! load_addi {
            ($n:literal, $conv:expr) => {{
                x!(ldv!($n, $conv, a!().wrapping_add(op.lo()), fault));
                r[rs2!()] = r[aux!()].wrapping_add(op.hi());
            }};
        }
        // addi rs2, aux, hi; l* rd, lo(rs1) (@2)
        macro_rules! addi_load {
            ($n:literal, $conv:expr) => {{
                let new = r[aux!()].wrapping_add(op.hi());
                if !FAST {
                    r[rs2!()] = new;
                }
                let v = ldv!(
                    $n,
                    $conv,
                    after!(rs1!(), rs2!(), new).wrapping_add(op.lo()),
                    fault
                );
                r[rs2!()] = new;
                x!(v);
            }};
        }
        // l* rd, lo(rs1); l* rs2, hi(aux) (len)
        macro_rules! load_load {
            ($n:literal, $conv:expr) => {{
                let v = ldv!($n, $conv, a!().wrapping_add(op.lo()), fault);
                if !FAST {
                    x!(v);
                }
                let w = ldv!(
                    $n,
                    $conv,
                    after!(aux!(), rd!(), v).wrapping_add(op.hi()),
                    fault2
                );
                x!(v);
                r[rs2!()] = w;
            }};
        }
        // s* rs2, lo(rs1); s* rd, hi(aux) (len)
        macro_rules! store_store {
            ($n:literal, $conv:expr) => {{
                let (a1, v1) = (a!().wrapping_add(op.lo()), $conv(bb!()).to_le_bytes());
                let (a2, v2) = (
                    r[aux!()].wrapping_add(op.hi()),
                    $conv(r[rd!()]).to_le_bytes(),
                );
                if !m.store2_fast::<$n>(a1, v1, a2, v2) {
                    if FAST {
                        return Step::Slow;
                    }
                    stv!($conv(bb!()), a1, fault, smc2);
                    stv!($conv(r[rd!()]), a2, fault2, smc_check);
                }
            }};
        }
        // s* rs2, lo(rs1); addi rd, aux, hi (len)
        macro_rules! store_addi {
            ($conv:expr) => {{
                stv!($conv(bb!()), a!().wrapping_add(op.lo()), fault, smc2);
                x!(r[aux!()].wrapping_add(op.hi()));
            }};
        }
        // addi rd, aux, hi; s* rs2, lo(rs1) (@2)
        macro_rules! addi_store {
            ($conv:expr) => {{
                let new = r[aux!()].wrapping_add(op.hi());
                if !FAST {
                    x!(new);
                }
                let v = $conv(after!(rs2!(), rd!(), new));
                stv!(
                    v,
                    after!(rs1!(), rd!(), new).wrapping_add(op.lo()),
                    fault,
                    smc_check
                );
                x!(new);
            }};
        }
        // The general path of an op of `super::cold` (the fast step bails).
        // `fcsr` lives in the register file while a chain runs.
        macro_rules! cold {
            () => {{
                if FAST {
                    return Step::Slow;
                }
                let Some(cpu) = cpu.as_deref_mut() else {
                    return Step::Slow;
                };
                cpu.fcsr = r[FCSR] as u32;
                let c = cpu.exec_cold(m, r, op, base + done + op.idx as u64);
                r[FCSR] = cpu.fcsr as u64;
                match c {
                    Cold::Next => {}
                    Cold::Wrote => smc_check!(),
                    Cold::Fault(f) => fault!(op, f),
                    Cold::Illegal => illegal!(op),
                }
            }};
        }
        // The rounding mode is RNE and NX is set: FP fast paths apply.
        macro_rules! rne_nx {
            () => {{
                let fcsr = r[FCSR] as u32;
                let rm = op.aux >> 5;
                fcsr & fp::NX != 0 && (rm == fp::RNE || (rm == 7 && (fcsr >> 5) & 7 == 0))
            }};
        }
        macro_rules! fp_bin {
            ($f:ident, $op:expr, $a:expr, $b:expr, $boxed:expr) => {{
                let v = if rne_nx!() { fp::$f($op, $a, $b) } else { None };
                match v {
                    Some(v) => r[rd!()] = $boxed(v),
                    None => cold!(),
                }
            }};
        }
        macro_rules! fp_cmp {
            ($c:expr) => {
                match fp::compare_d_fast(r[rs1!()], r[rs2!()], $c) {
                    Some(v) => x!(v as u64),
                    None => cold!(),
                }
            };
        }
        // fcvt.{w,l}.d with a static rtz and the value strictly between
        // `$lo` and `$hi` (so it fits): truncate, NX if inexact.
        macro_rules! fcvt_rtz {
            ($lo:expr, $hi:expr, $conv:expr) => {{
                let v = f64::from_bits(r[rs1!()]);
                if op.aux >> 5 == fp::RTZ && v > $lo && v < $hi {
                    let t = v.trunc();
                    if t != v {
                        r[FCSR] |= fp::NX as u64;
                    }
                    let c: fn(f64) -> u64 = $conv;
                    x!(c(t));
                } else {
                    cold!()
                }
            }};
        }
        const SIGN_D: u64 = 1 << 63;
        let to8 = |v: u64| v as u8;
        let to32 = |v: u64| v as u32;
        let to64 = |v: u64| v;
        match op.k {
            K::Nop => {}
            K::Li => x!(imm!()),
            K::Addi => x!(a!().wrapping_add(imm!())),
            K::Slti => x!(((a!() as i64) < op.imm) as u64),
            K::Sltiu => x!((a!() < imm!()) as u64),
            K::Xori => x!(a!() ^ imm!()),
            K::Ori => x!(a!() | imm!()),
            K::Andi => x!(a!() & imm!()),
            K::Slli => x!(a!() << (imm!() & 63)),
            K::Srli => x!(a!() >> (imm!() & 63)),
            K::Srai => x!(((a!() as i64) >> (imm!() & 63)) as u64),
            K::Addiw => x!(sext32(a!().wrapping_add(imm!()))),
            K::Slliw => x!(sext32(((a!() as u32) << (imm!() & 31)) as u64)),
            K::Srliw => x!(sext32(((a!() as u32) >> (imm!() & 31)) as u64)),
            K::Sraiw => x!(((a!() as i32) >> (imm!() & 31)) as i64 as u64),
            K::Add => x!(a!().wrapping_add(bb!())),
            K::Sub => x!(a!().wrapping_sub(bb!())),
            K::Sll => x!(a!() << (bb!() & 63)),
            K::Slt => x!(((a!() as i64) < (bb!() as i64)) as u64),
            K::Sltu => x!((a!() < bb!()) as u64),
            K::Xor => x!(a!() ^ bb!()),
            K::Srl => x!(a!() >> (bb!() & 63)),
            K::Sra => x!(((a!() as i64) >> (bb!() & 63)) as u64),
            K::Or => x!(a!() | bb!()),
            K::And => x!(a!() & bb!()),
            K::Addw => x!(sext32(a!().wrapping_add(bb!()))),
            K::Subw => x!(sext32(a!().wrapping_sub(bb!()))),
            K::Sllw => x!(sext32(((a!() as u32) << (bb!() & 31)) as u64)),
            K::Srlw => x!(sext32(((a!() as u32) >> (bb!() & 31)) as u64)),
            K::Sraw => x!(((a!() as i32) >> (bb!() & 31)) as i64 as u64),
            K::Mul => x!(a!().wrapping_mul(bb!())),
            K::Mulw => x!(sext32(a!().wrapping_mul(bb!()))),
            K::AddUw => x!((a!() as u32 as u64).wrapping_add(bb!())),
            K::Sh1add => x!((a!() << 1).wrapping_add(bb!())),
            K::Sh2add => x!((a!() << 2).wrapping_add(bb!())),
            K::Sh3add => x!((a!() << 3).wrapping_add(bb!())),
            K::Sh1addUw => x!(((a!() as u32 as u64) << 1).wrapping_add(bb!())),
            K::Sh2addUw => x!(((a!() as u32 as u64) << 2).wrapping_add(bb!())),
            K::Sh3addUw => x!(((a!() as u32 as u64) << 3).wrapping_add(bb!())),
            K::SlliUw => x!((a!() as u32 as u64) << (imm!() & 63)),

            K::Lb => x!(ldv!(
                1,
                |v: [u8; 1]| v[0] as i8 as i64 as u64,
                a!().wrapping_add(imm!()),
                fault
            )),
            K::Lh => x!(ldv!(
                2,
                |v| i16::from_le_bytes(v) as i64 as u64,
                a!().wrapping_add(imm!()),
                fault
            )),
            K::Lw => x!(ldv!(4, w32, a!().wrapping_add(imm!()), fault)),
            K::Ld => x!(ldv!(8, d64, a!().wrapping_add(imm!()), fault)),
            K::Lbu => x!(ldv!(1, bu8, a!().wrapping_add(imm!()), fault)),
            K::Lhu => x!(ldv!(
                2,
                |v| u16::from_le_bytes(v) as u64,
                a!().wrapping_add(imm!()),
                fault
            )),
            K::Lwu => x!(ldv!(4, wu32, a!().wrapping_add(imm!()), fault)),
            K::Sb => stv!(bb!() as u8, a!().wrapping_add(imm!()), fault, smc_check),
            K::Sh => stv!(bb!() as u16, a!().wrapping_add(imm!()), fault, smc_check),
            K::Sw => stv!(bb!() as u32, a!().wrapping_add(imm!()), fault, smc_check),
            K::Sd => stv!(bb!(), a!().wrapping_add(imm!()), fault, smc_check),
            K::Flw => r[rd!()] = box_s(ldv!(4, wu32, a!().wrapping_add(imm!()), fault)),
            K::Fld => r[rd!()] = ldv!(8, d64, a!().wrapping_add(imm!()), fault),
            K::Fsw => stv!(bb!() as u32, a!().wrapping_add(imm!()), fault, smc_check),
            K::Fsd => stv!(bb!(), a!().wrapping_add(imm!()), fault, smc_check),

            // ---- fused pairs (see `decode::K`). One arm per kind: a shared
            // arm with an inner `match` would cost a second dispatch.
            K::SlliAdd => {
                r[aux!()] = a!() << (imm!() & 63);
                x!(r[aux!()].wrapping_add(bb!()));
            }
            K::SlliAddLd => slli_add_load!(8, d64),
            K::SlliAddLw => slli_add_load!(4, w32),
            K::AddLd => add_load!(8, d64),
            K::AddLw => add_load!(4, w32),
            K::AddLwu => add_load!(4, wu32),
            K::AddLbu => add_load!(1, bu8),
            K::AddSd => add_store!(to64),
            K::AddSw => add_store!(to32),
            K::AddSb => add_store!(to8),
            K::LdLd => load_load!(8, d64),
            K::LwLw => load_load!(4, w32),
            K::SdSd => store_store!(8, to64),
            K::SwSw => store_store!(4, to32),
            K::LdAddi => load_addi!(8, d64),
            K::LwAddi => load_addi!(4, w32),
            K::LbuAddi => load_addi!(1, bu8),
            K::AddiLd => addi_load!(8, d64),
            K::AddiLw => addi_load!(4, w32),
            K::AddiLbu => addi_load!(1, bu8),
            K::SdAddi => store_addi!(to64),
            K::SwAddi => store_addi!(to32),
            K::SbAddi => store_addi!(to8),
            K::AddiSd => addi_store!(to64),
            K::AddiSw => addi_store!(to32),
            K::AddiSb => addi_store!(to8),
            K::AddiAddi => {
                x!(a!().wrapping_add(op.lo()));
                r[rs2!()] = r[aux!()].wrapping_add(op.hi());
            }
            K::XorSext => {
                x!(a!() ^ bb!());
                r[aux!()] = sext32(r[rd!()]);
            }
            K::OrSext => {
                x!(a!() | bb!());
                r[aux!()] = sext32(r[rd!()]);
            }
            K::AndSext => {
                x!(a!() & bb!());
                r[aux!()] = sext32(r[rd!()]);
            }

            K::XorMul => {
                let t = a!() ^ bb!();
                r[aux!()] = t;
                x!(t.wrapping_mul(r[op.hi() as u8 as usize]));
            }
            K::SlliSrli => {
                let t = a!() << (op.lo() & 63);
                r[aux!()] = t;
                x!(t >> (op.hi() & 63));
            }
            K::SlliSrai => {
                let t = a!() << (op.lo() & 63);
                r[aux!()] = t;
                x!(((t as i64) >> (op.hi() & 63)) as u64);
            }

            // ---- terminators
            K::Beq => br!(|p, q| p == q),
            K::Bne => br!(|p, q| p != q),
            K::Blt => br!(|p, q| (p as i64) < (q as i64)),
            K::Bge => br!(|p, q| (p as i64) >= (q as i64)),
            K::Bltu => br!(|p, q| p < q),
            K::Bgeu => br!(|p, q| p >= q),
            K::Jal => term!(imm!(), 0, { xz!(b.end) }),
            K::Jalr => term!(a!().wrapping_add(imm!()) & !1, 0, { xz!(b.end) }),
            K::JalrConst => {
                let lo = (op.rs2 as u16 | (op.aux as u16) << 8) as i16 as i64 as u64;
                term!(imm!().wrapping_add(lo) & !1, 0, {
                    r[rs1!()] = imm!();
                    xz!(b.end);
                })
            }
            K::Fall => term!(b.end, 1, {}),
            K::AddiBeq => fused_br!(r[aux!()].wrapping_add(op.hi()), |p, q| p == q),
            K::AddiBne => fused_br!(r[aux!()].wrapping_add(op.hi()), |p, q| p != q),
            K::AddiBlt => fused_br!(r[aux!()].wrapping_add(op.hi()), |p, q| (p as i64)
                < (q as i64)),
            K::AddiBge => fused_br!(r[aux!()].wrapping_add(op.hi()), |p, q| (p as i64)
                >= (q as i64)),
            K::AddiBltu => fused_br!(r[aux!()].wrapping_add(op.hi()), |p, q| p < q),
            K::AddiBgeu => fused_br!(r[aux!()].wrapping_add(op.hi()), |p, q| p >= q),
            K::AddBeq => fused_br!(r[aux!()].wrapping_add(r[op.hi() as u8 as usize]), |p, q| p
                == q),
            K::AddBne => fused_br!(r[aux!()].wrapping_add(r[op.hi() as u8 as usize]), |p, q| p
                != q),
            K::AddBlt => fused_br!(r[aux!()].wrapping_add(r[op.hi() as u8 as usize]), |p, q| (p
                as i64)
                < (q as i64)),
            K::AddBge => fused_br!(r[aux!()].wrapping_add(r[op.hi() as u8 as usize]), |p, q| (p
                as i64)
                >= (q as i64)),
            K::AddBltu => fused_br!(r[aux!()].wrapping_add(r[op.hi() as u8 as usize]), |p, q| p
                < q),
            K::AddBgeu => fused_br!(r[aux!()].wrapping_add(r[op.hi() as u8 as usize]), |p, q| p
                >= q),
            K::LbuBeq => fused_br!(
                ldv!(1, bu8, r[aux!()].wrapping_add(op.hi()), fault),
                |p, q| p == q
            ),
            K::LbuBne => fused_br!(
                ldv!(1, bu8, r[aux!()].wrapping_add(op.hi()), fault),
                |p, q| p != q
            ),
            K::AddiwBeq => fused_br!(sext32(r[aux!()].wrapping_add(op.hi())), |p, q| p == q),
            K::AddiwBne => fused_br!(sext32(r[aux!()].wrapping_add(op.hi())), |p, q| p != q),
            K::AddiJalr => {
                let new = r[aux!()].wrapping_add(op.hi());
                let t = after!(rs1!(), rd!(), new).wrapping_add(op.lo()) & !1;
                term!(t, 0, {
                    r[rd!()] = new;
                    r[rs2!()] = b.end;
                })
            }
            K::FenceI => {
                if FAST {
                    return Step::Slow;
                }
                if let Some(cpu) = cpu.as_deref_mut() {
                    cpu.pc = b.end;
                    cpu.instret = base + done + b.n;
                }
                return Step::Done(Chain::FlushCode);
            }
            K::Ecall => exit_at!(op, op.idx as u64 + 1, Exit::Ecall),
            K::Ebreak => exit_at!(op, op.idx as u64 + 1, Exit::Ebreak),
            K::Illegal => exit_at!(
                op,
                op.idx as u64,
                Exit::Illegal {
                    insn: op.imm as u32
                }
            ),
            // ---- FP ops with a fast path (else cold)
            K::FaddD => fp_bin!(bin_d_fast, Bin::Add, r[rs1!()], r[rs2!()], |v| v),
            K::FsubD => fp_bin!(bin_d_fast, Bin::Sub, r[rs1!()], r[rs2!()], |v| v),
            K::FmulD => fp_bin!(bin_d_fast, Bin::Mul, r[rs1!()], r[rs2!()], |v| v),
            K::FdivD => fp_bin!(bin_d_fast, Bin::Div, r[rs1!()], r[rs2!()], |v| v),
            K::FaddS => fp_bin!(
                bin_s_fast,
                Bin::Add,
                unbox_s(r[rs1!()]),
                unbox_s(r[rs2!()]),
                box_s
            ),
            K::FsubS => fp_bin!(
                bin_s_fast,
                Bin::Sub,
                unbox_s(r[rs1!()]),
                unbox_s(r[rs2!()]),
                box_s
            ),
            K::FmulS => fp_bin!(
                bin_s_fast,
                Bin::Mul,
                unbox_s(r[rs1!()]),
                unbox_s(r[rs2!()]),
                box_s
            ),
            K::FdivS => fp_bin!(
                bin_s_fast,
                Bin::Div,
                unbox_s(r[rs1!()]),
                unbox_s(r[rs2!()]),
                box_s
            ),
            K::FsqrtD => {
                let v = if rne_nx!() {
                    fp::sqrt_d_fast(r[rs1!()])
                } else {
                    None
                };
                match v {
                    Some(v) => r[rd!()] = v,
                    None => cold!(),
                }
            }
            K::FeqD => fp_cmp!(Cmp::Eq),
            K::FltD => fp_cmp!(Cmp::Lt),
            K::FleD => fp_cmp!(Cmp::Le),
            K::FsgnjD => r[rd!()] = (r[rs1!()] & !SIGN_D) | (r[rs2!()] & SIGN_D),
            K::FsgnjnD => r[rd!()] = (r[rs1!()] & !SIGN_D) | (!r[rs2!()] & SIGN_D),
            K::FsgnjxD => r[rd!()] = r[rs1!()] ^ (r[rs2!()] & SIGN_D),
            K::FmvXD => x!(r[rs1!()]),
            K::FmvDX => r[rd!()] = r[rs1!()],
            K::FmvXW => x!(sext32(r[rs1!()])),
            K::FmvWX => r[rd!()] = box_s(r[rs1!()] & 0xffff_ffff),
            // int -> double: exact for 32-bit sources, so no flags (but a
            // dynamic rounding mode must still be valid).
            K::FcvtDW | K::FcvtDWu if op.aux >> 5 != 7 || (r[FCSR] >> 5) & 7 <= 4 => {
                r[rd!()] = if op.k == K::FcvtDW {
                    (r[rs1!()] as i32 as f64).to_bits()
                } else {
                    (r[rs1!()] as u32 as f64).to_bits()
                }
            }
            // double -> int, rounding towards zero (C casts) and in range.
            K::FcvtWD => fcvt_rtz!(-2147483649.0, 2147483648.0, |t: f64| t as i32 as i64 as u64),
            K::FcvtLD => fcvt_rtz!(
                -9223372036854777856.0,
                9223372036854775808.0,
                |t: f64| t as i64 as u64
            ),
            _ => cold!(),
        }
        // SAFETY: see `op`: this op is not a terminator.
        st.ip = unsafe { st.ip.add(1) };
        Step::Next
    }
}
