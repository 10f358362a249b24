//! Basic blocks of decoded ops and the per-address-space block cache.
//!
//! A block starts at a guest pc and runs to the first terminator (branch,
//! jump, system instruction), the end of its page, or `MAX_BLOCK`
//! instructions; its last op is always a terminator (`K::Fall` if the block
//! ends for another reason). Blocks live in an arena of boxed blocks named by
//! `u32` indices, so the executor can hold the cache immutably while it
//! mutates page memory, and each block caches pointers to its successors
//! (taken / fall-through) to chain blocks without a lookup. A cached link is
//! only trusted if that block's `pc` still matches the target (freed blocks
//! get an impossible, odd pc), so invalidation never has to find the links
//! that point at a block.
//! Blocks are indexed per page for invalidation; a block whose last
//! instruction straddles into the next page is registered in both pages.

use std::cell::Cell;

use super::decode::{decode32, expand_compressed, pack, Op, K};
use super::regs::{DISCARD, FP};
use crate::mm::{AddressSpace, Mem, MemFault, VpnMap, PAGE_SHIFT, PAGE_SIZE};

pub(crate) const MAX_BLOCK: usize = 128;
const JC_BITS: u32 = 12;
const JC_SIZE: usize = 1 << JC_BITS;
/// Flush everything when this many ops are cached (bounds host memory).
const MAX_CACHED_OPS: usize = 2 << 20;
/// The pc of dead blocks: odd, so it never matches a real pc.
const DEAD_PC: u64 = 1;

pub(crate) struct Block {
    pub pc: u64,
    /// Address after the last instruction (fall-through pc).
    pub end: u64,
    /// Guest instructions in the block (fused pairs count as two).
    pub n: u64,
    pub ops: Box<[Op]>,
    /// Cached successors: [taken/jump target, fall-through]. Each points at
    /// a block of the same cache's arena (initially the dead sentinel) and
    /// must only be followed after checking its `pc`. Sound to dereference
    /// while the cache is alive: arena blocks are boxed (they never move) and
    /// are only freed by [`CodeCache::clear`], which frees every block that
    /// can hold a link (all but the sentinel, which never runs).
    pub next: [Cell<*const Block>; 2],
}

impl Block {
    /// Like every block, a dead one is non-empty and ends with a terminator
    /// (the executor relies on it); it is never entered, since no target pc
    /// is odd.
    fn dead() -> Block {
        Block {
            pc: DEAD_PC,
            end: DEAD_PC,
            n: 0,
            ops: Box::new([Op::new(K::Fall, 0, 0, 0, 0)]),
            next: [Cell::new(std::ptr::null()), Cell::new(std::ptr::null())],
        }
    }

    /// The cached successor in link slot `k` (0 taken, 1 fall-through):
    /// any block; check its `pc` before running it.
    #[inline(always)]
    pub(crate) fn link(&self, k: usize) -> &Block {
        // SAFETY: see `Block::next`: a link is never null (the sentinel's
        // links are never read, since the sentinel never runs) and points at
        // a live arena block.
        unsafe { &*self.next[k & 1].get() }
    }

    #[inline(always)]
    pub(crate) fn set_link(&self, k: usize, to: &Block) {
        self.next[k & 1].set(to);
    }
}

/// Decoded code of one address space.
pub struct CodeCache {
    /// Arena; index 0 is a permanently dead sentinel. Boxed so that links
    /// (pointers) stay valid when the arena grows; freed slots are reused in
    /// place.
    #[allow(clippy::vec_box)] // the Box is the point: stable addresses
    blocks: Vec<Box<Block>>,
    free: Vec<u32>,
    by_pc: VpnMap<u32>,
    /// Page number -> (block, its pc) of blocks with bytes in that page.
    pages: VpnMap<Vec<(u32, u64)>>,
    /// Jump cache: pc hash -> a block of the arena (pc-checked on use; the
    /// sentinel when empty). Pointers stay valid like links (see
    /// [`Block::next`]): `clear` resets every slot when it frees blocks.
    jc: Box<[Cell<*const Block>; JC_SIZE]>,
    ops: usize,
}

impl Default for CodeCache {
    fn default() -> Self {
        Self::new()
    }
}

impl CodeCache {
    pub fn new() -> Self {
        let blocks = vec![Box::new(Block::dead())];
        let sentinel: *const Block = &*blocks[0];
        CodeCache {
            blocks,
            free: Vec::new(),
            by_pc: VpnMap::default(),
            pages: VpnMap::default(),
            jc: Box::new(std::array::from_fn(|_| Cell::new(sentinel))),
            ops: 0,
        }
    }

    #[inline(always)]
    fn jc_slot(&self, pc: u64) -> &Cell<*const Block> {
        &self.jc[((pc >> 1) as usize) & (JC_SIZE - 1)]
    }

    #[inline(always)]
    pub(crate) fn block(&self, idx: u32) -> &Block {
        match self.blocks.get(idx as usize) {
            Some(b) => b,
            None => &self.blocks[0],
        }
    }

    /// The live block starting at `pc` if the jump cache has it (no calls).
    #[inline(always)]
    pub(crate) fn lookup_cached(&self, pc: u64) -> Option<&Block> {
        // SAFETY: jump cache entries point at live arena blocks (see `jc`).
        let b = unsafe { &*self.jc_slot(pc).get() };
        (b.pc == pc).then_some(b)
    }

    /// The live block starting at `pc`, if any.
    #[inline(always)]
    pub(crate) fn lookup(&self, pc: u64) -> Option<&Block> {
        if let Some(b) = self.lookup_cached(pc) {
            return Some(b);
        }
        let b = self.block(*self.by_pc.get(&pc)?);
        self.jc_slot(pc).set(b);
        Some(b)
    }

    /// Add `b`, whose instructions lie in the pages `vpns`.
    fn insert(&mut self, mut b: Block, vpns: &[u64], m: &mut Mem) -> u32 {
        if self.ops + b.ops.len() > MAX_CACHED_OPS {
            self.clear(m);
        }
        let sentinel: *const Block = &*self.blocks[0];
        b.next = [Cell::new(sentinel), Cell::new(sentinel)];
        self.ops += b.ops.len();
        let pc = b.pc;
        let idx = match self.free.pop() {
            Some(i) => {
                if let Some(slot) = self.blocks.get_mut(i as usize) {
                    // In place: links to this slot stay valid (pc-checked).
                    **slot = b;
                }
                i
            }
            None => {
                self.blocks.push(Box::new(b));
                (self.blocks.len() - 1) as u32
            }
        };
        self.by_pc.insert(pc, idx);
        for &vpn in vpns {
            self.pages.entry(vpn).or_default().push((idx, pc));
            m.mark_code_page(vpn);
        }
        let b: *const Block = self.block(idx);
        self.jc_slot(pc).set(b);
        idx
    }

    pub(crate) fn invalidate_page(&mut self, vpn: u64, m: &mut Mem) {
        m.unmark_code_page(vpn);
        let Some(list) = self.pages.remove(&vpn) else {
            return;
        };
        for (idx, pc) in list {
            let Some(b) = self.blocks.get_mut(idx as usize) else {
                continue;
            };
            if b.pc != pc || idx == 0 {
                continue;
            }
            self.ops = self.ops.saturating_sub(b.ops.len());
            **b = Block::dead();
            self.free.push(idx);
            if self.by_pc.get(&pc) == Some(&idx) {
                self.by_pc.remove(&pc);
            }
        }
    }

    pub(crate) fn invalidate_range(&mut self, s: u64, e: u64, m: &mut Mem) {
        if self.pages.is_empty() {
            return;
        }
        if e - s <= self.pages.len() as u64 {
            for vpn in s..e {
                self.invalidate_page(vpn, m);
            }
        } else {
            let victims: Vec<u64> = self
                .pages
                .keys()
                .copied()
                .filter(|&v| v >= s && v < e)
                .collect();
            for vpn in victims {
                self.invalidate_page(vpn, m);
            }
        }
    }

    pub(crate) fn clear(&mut self, m: &mut Mem) {
        m.clear_code_pages();
        self.blocks.truncate(1);
        self.free.clear();
        self.by_pc.clear();
        self.pages.clear();
        let sentinel: *const Block = &*self.blocks[0];
        for c in self.jc.iter() {
            c.set(sentinel);
        }
        self.ops = 0;
    }
}

/// Direct jumps (`jal`) followed into the same block, at most.
const MAX_FOLLOW: u32 = 8;
/// How far (bytes) from the block's pc a followed jump may land: op offsets
/// are `i16`, and the target's page must fit too.
const FOLLOW_RANGE: i64 = 24 << 10;

/// Decode the block at `pc` and add it to the cache; returns its index.
///
/// A block is a trace: a `jal` to a target near `pc` does not end it (its
/// link write becomes a constant load and decoding goes on at the target),
/// so calls and `j` cost no block change. Its instructions may then come
/// from several pages; the block is registered in each of them.
pub(crate) fn build_block(space: &mut AddressSpace, pc: u64) -> Result<u32, MemFault> {
    let mem = &mut space.m;
    // Start and end of the straight-line run being decoded.
    let mut seg = pc;
    let mut page_end = (pc | (PAGE_SIZE - 1)).wrapping_add(1);
    let mut pages: Vec<u64> = vec![pc >> PAGE_SHIFT];
    let mut follows = 0u32;
    // The runs decoded before the current one.
    let mut done: Vec<std::ops::Range<u64>> = Vec::new();
    let mut ops: Vec<Op> = Vec::with_capacity(16);
    let mut cur = pc;
    let mut n = 0usize;
    // Byte length of the previous instruction, and whether the last op may
    // still absorb the next one (it is not a fused pair itself).
    let mut prev_len = 0u8;
    let mut open = false;
    loop {
        let lo = match mem.fetch_u16(cur) {
            Ok(v) => v,
            Err(f) if n == 0 => return Err(f),
            Err(_) => break,
        };
        let (mut op, len) = if lo & 3 == 3 {
            let hi = match mem.fetch_u16(cur.wrapping_add(2)) {
                Ok(v) => v,
                Err(f) if n == 0 => return Err(f),
                Err(_) => break,
            };
            (decode32(lo as u32 | (hi as u32) << 16, cur), 4)
        } else {
            match expand_compressed(lo) {
                Some(w) => (decode32(w, cur), 2),
                None => (Op::illegal(lo as u32), 2),
            }
        };
        let last_vpn = cur.wrapping_add(len - 1) >> PAGE_SHIFT;
        if !pages.contains(&last_vpn) {
            pages.push(last_vpn);
        }
        op.off = cur.wrapping_sub(pc) as i16;
        op.idx = n as u8;
        n += 1;
        cur = cur.wrapping_add(len);
        let target = op.imm as u64;
        let dist = target.wrapping_sub(pc) as i64;
        // (Not back into the trace: that would unroll a loop into it.)
        if op.k == K::Jal
            && follows < MAX_FOLLOW
            && n < MAX_BLOCK
            && (-FOLLOW_RANGE..FOLLOW_RANGE).contains(&dist)
            && !(seg..cur).contains(&target)
            && !done.iter().any(|r| r.contains(&target))
        {
            follows += 1;
            done.push(seg..cur);
            if op.rd != 0 {
                // The link: the address after the jal.
                op.k = K::Li;
                op.imm = cur as i64;
                lower(&mut op);
                ops.push(op);
            }
            cur = target;
            seg = target;
            page_end = (target | (PAGE_SIZE - 1)).wrapping_add(1);
            if !pages.contains(&(target >> PAGE_SHIFT)) {
                pages.push(target >> PAGE_SHIFT);
            }
            // Pairs are adjacent instructions: nothing fuses across a jump.
            open = false;
            continue;
        }
        lower(&mut op);
        let fused = match ops.last_mut() {
            Some(prev) if open => fuse(pc, prev, prev_len, &op),
            _ => false,
        };
        if fused {
            // A constant (lui/auipc + addi) may still absorb a jalr, and
            // a shift-and-add an indexed load.
            open = ops
                .last()
                .is_some_and(|o| matches!(o.k, K::Li | K::SlliAdd));
        } else {
            ops.push(op);
            open = true;
        }
        prev_len = len as u8;
        if op.k.is_terminator() || cur >= page_end || cur < seg || n >= MAX_BLOCK {
            break;
        }
    }
    if !ops.last().is_some_and(|o| o.k.is_terminator()) {
        // Every block ends with a terminator (the executor relies on it).
        ops.push(Op::new(K::Fall, 0, 0, 0, 0));
    }
    let block = Block {
        pc,
        end: cur,
        n: n as u64,
        ops: ops.into_boxed_slice(),
        next: [Cell::new(std::ptr::null()), Cell::new(std::ptr::null())],
    };
    Ok(space.code.insert(block, &pages, &mut space.m))
}

/// Turn an op's register numbers into register-file slots (see
/// `super::regs`): FP register fields get `FP` added (except `rs3` in `aux`),
/// and an integer destination `x0` becomes the discard slot. Ops whose `rd`
/// is not a register leave it unused, so remapping it is harmless.
fn lower(op: &mut Op) {
    use K::*;
    // (rd, rs1, rs2) that are FP registers.
    let (d, s1, s2) = match op.k {
        Flw | Fld => (true, false, false),
        Fsw | Fsd => (false, false, true),
        FaddS | FsubS | FmulS | FdivS | FminS | FmaxS | FmaddS | FmsubS | FnmsubS | FnmaddS
        | FsgnjS | FsgnjnS | FsgnjxS | FaddD | FsubD | FmulD | FdivD | FminD | FmaxD | FmaddD
        | FmsubD | FnmsubD | FnmaddD | FsgnjD | FsgnjnD | FsgnjxD => (true, true, true),
        FsqrtS | FsqrtD | FcvtSD | FcvtDS => (true, true, false),
        FeqS | FltS | FleS | FeqD | FltD | FleD => (false, true, true),
        FclassS | FmvXW | FcvtWS | FcvtWuS | FcvtLS | FcvtLuS | FclassD | FmvXD | FcvtWD
        | FcvtWuD | FcvtLD | FcvtLuD => (false, true, false),
        FmvWX | FcvtSW | FcvtSWu | FcvtSL | FcvtSLu | FmvDX | FcvtDW | FcvtDWu | FcvtDL
        | FcvtDLu => (true, false, false),
        _ => (false, false, false),
    };
    let fp = FP as u8;
    if d {
        op.rd += fp;
    } else if op.rd == 0 {
        op.rd = DISCARD;
    }
    if s1 {
        op.rs1 += fp;
    }
    if s2 {
        op.rs2 += fp;
    }
}

fn small(v: i64) -> Option<i16> {
    i16::try_from(v).ok()
}

/// Try to merge `op` into the op before it, `prev` (an unfused op, a
/// constant or a shift-and-add), whose (last) instruction is `prev_len`
/// bytes long; `pc` is the block's. See the fused kinds of [`K`] for the
/// encodings.
fn fuse(pc: u64, prev: &mut Op, prev_len: u8, op: &Op) -> bool {
    use K::*;
    let first = *prev;
    // The fused op, reporting faults at the first instruction.
    let mk = |k: K, rd: u8, rs1: u8, rs2: u8, aux: u8, imm: i64| Op {
        imm,
        k,
        rd,
        rs1,
        rs2,
        aux,
        idx: first.idx,
        off: first.off,
    };
    // ... or at the second one ("@2").
    let mk2 = |k: K, rd: u8, rs1: u8, rs2: u8, aux: u8, imm: i64| Op {
        idx: op.idx,
        off: op.off,
        ..mk(k, rd, rs1, rs2, aux, imm)
    };
    // 12-bit immediates (always small; checked anyway) and the branch
    // target relative to the block.
    // (i16::MIN stands for "does not fit"; real ones are 12-bit.)
    let a = small(first.imm).unwrap_or(i16::MIN);
    let b = small(op.imm).unwrap_or(i16::MIN);
    let a_ok = a != i16::MIN;
    let ab = a_ok && b != i16::MIN;
    let rel = i32::try_from((op.imm as u64).wrapping_sub(pc) as i64).ok();
    let new = match (first.k, op.k) {
        (Li, _) => return fuse_const(prev, op),
        (Slli, Add) if op.rs1 == first.rd || op.rs2 == first.rd => {
            let other = if op.rs1 == first.rd { op.rs2 } else { op.rs1 };
            mk(SlliAdd, op.rd, first.rs1, other, first.rd, first.imm)
        }
        (SlliAdd, Ld | Lw) if op.rs1 == first.rd && b != i16::MIN => {
            let k = if op.k == Ld { SlliAddLd } else { SlliAddLw };
            // (The shift amount is 0-63; the sum's slot goes where pairs
            // keep a length.)
            let imm = pack(b as i32, first.imm as i16, first.rd);
            mk2(k, op.rd, first.rs1, first.rs2, first.aux, imm)
        }
        (Add, Ld | Lw | Lwu | Lbu) if op.rs1 == first.rd && b != i16::MIN => {
            let k = match op.k {
                Ld => AddLd,
                Lw => AddLw,
                Lwu => AddLwu,
                _ => AddLbu,
            };
            mk2(k, op.rd, first.rs1, first.rs2, first.rd, op.imm)
        }
        (Add, Sd | Sw | Sb) if op.rs1 == first.rd && b != i16::MIN => {
            let k = match op.k {
                Sd => AddSd,
                Sw => AddSw,
                _ => AddSb,
            };
            mk2(k, first.rd, first.rs1, first.rs2, op.rs2, op.imm)
        }
        (Ld, Ld) | (Lw, Lw) if ab => {
            let k = if op.k == Ld { LdLd } else { LwLw };
            let imm = pack(a as i32, b, prev_len);
            mk(k, first.rd, first.rs1, op.rd, op.rs1, imm)
        }
        (Sd, Sd) | (Sw, Sw) if ab => {
            let k = if op.k == Sd { SdSd } else { SwSw };
            let imm = pack(a as i32, b, prev_len);
            mk(k, op.rs2, first.rs1, first.rs2, op.rs1, imm)
        }
        (Ld | Lw | Lbu, Addi) if ab => {
            let k = match first.k {
                Ld => LdAddi,
                Lw => LwAddi,
                _ => LbuAddi,
            };
            mk(k, first.rd, first.rs1, op.rd, op.rs1, pack(a as i32, b, 0))
        }
        (Addi, Ld | Lw | Lbu) if ab => {
            let k = match op.k {
                Ld => AddiLd,
                Lw => AddiLw,
                _ => AddiLbu,
            };
            mk2(k, op.rd, op.rs1, first.rd, first.rs1, pack(b as i32, a, 0))
        }
        (Sd | Sw | Sb, Addi) if ab => {
            let k = match first.k {
                Sd => SdAddi,
                Sw => SwAddi,
                _ => SbAddi,
            };
            let imm = pack(a as i32, b, prev_len);
            mk(k, op.rd, first.rs1, first.rs2, op.rs1, imm)
        }
        (Addi, Sd | Sw | Sb) if ab => {
            let k = match op.k {
                Sd => AddiSd,
                Sw => AddiSw,
                _ => AddiSb,
            };
            mk2(k, first.rd, op.rs1, op.rs2, first.rs1, pack(b as i32, a, 0))
        }
        (Addi, Addi) if ab => mk(
            AddiAddi,
            first.rd,
            first.rs1,
            op.rd,
            op.rs1,
            pack(a as i32, b, 0),
        ),
        (Xor | Or | And, Addiw) if op.imm == 0 && op.rs1 == first.rd => {
            let k = match first.k {
                Xor => XorSext,
                Or => OrSext,
                _ => AndSext,
            };
            mk(k, first.rd, first.rs1, first.rs2, op.rd, 0)
        }
        (Addi | Add, Beq | Bne | Blt | Bge | Bltu | Bgeu)
            if rel.is_some() && (a_ok || first.k == Add) =>
        {
            let i = op.k as u8 - Beq as u8;
            let (base, extra) = if first.k == Addi {
                (AddiBeq, a)
            } else {
                (AddBeq, first.rs2 as i16)
            };
            let k = kind_at(base, i);
            let imm = pack(rel.unwrap_or(0), extra, 0);
            mk(k, first.rd, op.rs1, op.rs2, first.rs1, imm)
        }
        (Addiw, Beq | Bne) if rel.is_some() && a_ok => {
            let k = if op.k == Beq { AddiwBeq } else { AddiwBne };
            let imm = pack(rel.unwrap_or(0), a, 0);
            mk(k, first.rd, op.rs1, op.rs2, first.rs1, imm)
        }
        (Addi, Jalr) if ab => {
            let imm = pack(b as i32, a, 0);
            mk(AddiJalr, first.rd, op.rs1, op.rd, first.rs1, imm)
        }
        (Xor, Mul) if op.rs1 == first.rd || op.rs2 == first.rd => {
            let other = if op.rs1 == first.rd { op.rs2 } else { op.rs1 };
            let imm = pack(0, other as i16, 0);
            mk(XorMul, op.rd, first.rs1, first.rs2, first.rd, imm)
        }
        (Slli, Srli | Srai) if op.rs1 == first.rd && ab => {
            let k = if op.k == Srli { SlliSrli } else { SlliSrai };
            mk(k, op.rd, first.rs1, 0, first.rd, pack(a as i32, b, 0))
        }
        (Lbu, Beq | Bne) if rel.is_some() && a_ok => {
            let k = if op.k == Beq { LbuBeq } else { LbuBne };
            let imm = pack(rel.unwrap_or(0), a, 0);
            mk(k, first.rd, op.rs1, op.rs2, first.rs1, imm)
        }
        _ => return false,
    };
    *prev = new;
    true
}

/// The kind `i` places after `base` (for the six branch conditions, which
/// are declared in the same order everywhere).
fn kind_at(base: K, i: u8) -> K {
    use K::*;
    const ADDI: [K; 6] = [AddiBeq, AddiBne, AddiBlt, AddiBge, AddiBltu, AddiBgeu];
    const ADD: [K; 6] = [AddBeq, AddBne, AddBlt, AddBge, AddBltu, AddBgeu];
    let t = if base == AddiBeq { &ADDI } else { &ADD };
    t[i as usize % 6]
}

/// Constants: lui/auipc + addi/addiw into one constant load, lui/auipc +
/// jalr into a direct jump.
fn fuse_const(prev: &mut Op, op: &Op) -> bool {
    if prev.k != K::Li || op.rs1 != prev.rd {
        return false;
    }
    match op.k {
        K::Addi if op.rd == prev.rd => {
            prev.imm = prev.imm.wrapping_add(op.imm);
            true
        }
        K::Addiw if op.rd == prev.rd => {
            prev.imm = prev.imm.wrapping_add(op.imm) as i32 as i64;
            true
        }
        K::Jalr => {
            let lo = op.imm as i16 as u16;
            *prev = Op {
                imm: prev.imm,
                k: K::JalrConst,
                rd: op.rd,
                rs1: prev.rd,
                rs2: lo as u8,
                aux: (lo >> 8) as u8,
                idx: prev.idx,
                off: prev.off,
            };
            true
        }
        _ => false,
    }
}
