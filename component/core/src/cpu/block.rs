//! Basic blocks of decoded ops and the per-address-space block cache.
//!
//! A block starts at a guest pc and runs to the first terminator (branch,
//! jump, system instruction), the end of its page, or `MAX_BLOCK`
//! instructions. Blocks are indexed per page (so a page can be invalidated
//! at once) and fronted by a direct-mapped jump cache keyed by pc. A block
//! whose last instruction straddles into the next page is registered in both
//! pages.

use std::cell::Cell;
use std::rc::Rc;

use super::decode::{decode32, expand_compressed, Op, K};
use crate::mm::{AddressSpace, MemFault, VpnMap, PAGE_SHIFT, PAGE_SIZE};

pub(crate) const MAX_BLOCK: usize = 128;
const JC_BITS: u32 = 12;
const JC_SIZE: usize = 1 << JC_BITS;
/// Flush everything when this many ops are cached (bounds host memory).
const MAX_CACHED_OPS: usize = 2 << 20;

pub(crate) struct Block {
    pub pc: u64,
    /// Address after the last instruction (fall-through pc).
    pub end: u64,
    /// Guest instructions in the block (fused pairs count as two).
    pub n: u64,
    pub valid: Cell<bool>,
    pub ops: Box<[Op]>,
}

#[derive(Default)]
struct CodePage {
    blocks: VpnMap<Rc<Block>>,
    /// Blocks from the previous page that straddle into this one.
    foreign: Vec<Rc<Block>>,
}

/// Decoded code of one address space.
pub struct CodeCache {
    jc: Box<[Option<Rc<Block>>]>,
    pages: VpnMap<CodePage>,
    ops: usize,
}

impl Default for CodeCache {
    fn default() -> Self {
        Self::new()
    }
}

impl CodeCache {
    pub fn new() -> Self {
        CodeCache {
            jc: vec![None; JC_SIZE].into_boxed_slice(),
            pages: VpnMap::default(),
            ops: 0,
        }
    }

    #[inline(always)]
    fn jc_index(pc: u64) -> usize {
        ((pc >> 1) as usize) & (JC_SIZE - 1)
    }

    #[inline(always)]
    pub(crate) fn lookup(&mut self, pc: u64) -> Option<Rc<Block>> {
        if let Some(b) = &self.jc[Self::jc_index(pc)] {
            if b.pc == pc && b.valid.get() {
                return Some(b.clone());
            }
        }
        let b = self
            .pages
            .get(&(pc >> PAGE_SHIFT))?
            .blocks
            .get(&pc)
            .filter(|b| b.valid.get())?
            .clone();
        self.jc[Self::jc_index(pc)] = Some(b.clone());
        Some(b)
    }

    pub(crate) fn has_page(&self, vpn: u64) -> bool {
        self.pages.contains_key(&vpn)
    }

    fn insert(&mut self, b: Rc<Block>) {
        if self.ops + b.ops.len() > MAX_CACHED_OPS {
            self.clear();
        }
        self.ops += b.ops.len();
        let first = b.pc >> PAGE_SHIFT;
        let last = (b.end - 1) >> PAGE_SHIFT;
        if last != first {
            self.pages.entry(last).or_default().foreign.push(b.clone());
        }
        self.jc[Self::jc_index(b.pc)] = Some(b.clone());
        self.pages.entry(first).or_default().blocks.insert(b.pc, b);
    }

    pub(crate) fn invalidate_page(&mut self, vpn: u64) {
        if let Some(cp) = self.pages.remove(&vpn) {
            for b in cp.blocks.values().chain(cp.foreign.iter()) {
                b.valid.set(false);
                self.ops = self.ops.saturating_sub(b.ops.len());
            }
        }
    }

    pub(crate) fn invalidate_range(&mut self, s: u64, e: u64) {
        if self.pages.is_empty() {
            return;
        }
        // Include the page before: its blocks may straddle into the range.
        let s = s.saturating_sub(1);
        if e - s <= self.pages.len() as u64 {
            for vpn in s..e {
                self.invalidate_page(vpn);
            }
        } else {
            let victims: Vec<u64> = self
                .pages
                .keys()
                .copied()
                .filter(|&v| v >= s && v < e)
                .collect();
            for vpn in victims {
                self.invalidate_page(vpn);
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        for cp in self.pages.values() {
            for b in cp.blocks.values() {
                b.valid.set(false);
            }
        }
        self.pages.clear();
        self.jc.fill(None);
        self.ops = 0;
    }
}

/// Decode the block at `pc` and add it to the cache.
pub(crate) fn build_block(mem: &mut AddressSpace, pc: u64) -> Result<Rc<Block>, MemFault> {
    let page_end = (pc | (PAGE_SIZE - 1)).wrapping_add(1);
    let mut ops: Vec<Op> = Vec::with_capacity(16);
    let mut cur = pc;
    let mut n = 0usize;
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
        op.off = (cur - pc) as u16;
        op.idx = n as u8;
        n += 1;
        cur = cur.wrapping_add(len);
        if !fuse(&mut ops, &op) {
            ops.push(op);
        }
        if op.k.is_terminator() || cur >= page_end || cur < pc || n >= MAX_BLOCK {
            break;
        }
    }
    let block = Rc::new(Block {
        pc,
        end: cur,
        n: n as u64,
        valid: Cell::new(true),
        ops: ops.into_boxed_slice(),
    });
    mem.protect_code_page(pc >> PAGE_SHIFT);
    mem.protect_code_page((cur.wrapping_sub(1)) >> PAGE_SHIFT);
    mem.code.insert(block.clone());
    Ok(block)
}

/// Try to merge `op` into the last op of `ops` (lui/auipc + addi/addiw/jalr).
fn fuse(ops: &mut [Op], op: &Op) -> bool {
    let Some(prev) = ops.last_mut() else {
        return false;
    };
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
