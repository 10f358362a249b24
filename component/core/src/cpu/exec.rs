//! The dispatch loop: executes chains of decoded blocks.
//!
//! One dense `match` on the op kind (a jump table natively, a `br_table` in
//! wasm) over a raw op pointer: every block ends with a terminator op, so
//! there is no per-op end test, and terminators move to the next block
//! through the block's cached link (or the jump cache). Instructions are
//! counted per block. The loop body is instantiated twice (two dispatch
//! sites predict better than one) and only handles the frequent ops itself;
//! the rest go to [`super::cold`].

use super::block::{Block, CodeCache};
use super::cold::Cold;
use super::decode::{Op, K};
use super::regs::{with_regs, Regs};
use super::{box_s, sext32, Chain, Cpu, Exit};
use crate::mm::Mem;

/// Executor state of a chain of blocks.
pub(super) struct State<'c> {
    /// `instret` when the chain started.
    base: u64,
    /// Instructions of the blocks completed so far.
    done: u64,
    budget: u64,
    /// The current block, and the next op in it.
    b: &'c Block,
    ip: *const Op,
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
        start: u32,
        budget: u64,
    ) -> Chain {
        let (mut x, mut f) = (self.x, self.f);
        let c = with_regs(&mut x, &mut f, |r| {
            // (The state is local to this closure so that it lives in
            // registers.)
            let b = code.block(start);
            let mut st = State {
                base: self.instret,
                done: 0,
                budget,
                b,
                ip: b.ops.as_ptr(),
            };
            loop {
                if let Some(c) = self.step(m, r, code, &mut st) {
                    break c;
                }
                if let Some(c) = self.step(m, r, code, &mut st) {
                    break c;
                }
            }
        });
        self.x = x;
        self.f = f;
        c
    }

    /// Execute one op; `Some` ends the chain.
    #[inline(always)]
    fn step<'c>(
        &mut self,
        m: &mut Mem,
        r: &mut Regs,
        code: &'c CodeCache,
        st: &mut State<'c>,
    ) -> Option<Chain> {
        let base = st.base;
        let done = st.done;
        let b = st.b;
        // SAFETY: `ip` always points into `b.ops`: it starts at a block's
        // first op and only advances past non-terminator ops, every block
        // (even a dead one) is non-empty and ends with a terminator
        // (`block::build_block`), and terminators either return or set
        // `b`/`ip` to another block. `code` is borrowed for the whole chain,
        // so no block is freed or moved meanwhile.
        let op: &Op = unsafe { &*st.ip };
        st.ip = unsafe { st.ip.add(1) };
        macro_rules! exit_at {
            ($op:expr, $count:expr, $e:expr) => {{
                self.pc = b.pc.wrapping_add($op.off as u64);
                self.instret = base + done + $count;
                return Some(Chain::Exit($e));
            }};
        }
        macro_rules! fault {
            ($op:expr, $f:expr) => {
                exit_at!($op, $op.idx as u64, Exit::Fault($f))
            };
        }
        macro_rules! illegal {
            ($op:expr) => {{
                let pc = b.pc.wrapping_add($op.off as u64);
                let insn = m.peek_insn(pc);
                exit_at!($op, $op.idx as u64, Exit::Illegal { insn })
            }};
        }
        // After a write to memory that may have hit decoded code: stop if it
        // did (and continue at the next op, which exists: writers are not
        // terminators).
        macro_rules! smc_check {
            () => {
                if !m.pending.is_empty() {
                    // SAFETY: see `op`; the current op is not a terminator,
                    // so `ip` points at the next op of the block.
                    let next = unsafe { &*st.ip };
                    self.pc = b.pc.wrapping_add(next.off as u64);
                    self.instret = base + done + next.idx as u64;
                    return Some(Chain::Continue);
                }
            };
        }
        // End of block: go to `$pc` via link slot `$k` (0 taken, 1 fall-through).
        macro_rules! end {
            ($pc:expr, $k:expr) => {{
                let target: u64 = $pc;
                let done = done + b.n;
                st.done = done;
                if done >= st.budget {
                    self.pc = target;
                    self.instret = base + done;
                    return Some(Chain::Exit(Exit::Budget));
                }
                let nb = b.link($k);
                let nb = if nb.pc == target {
                    nb
                } else {
                    match code.lookup(target) {
                        Some(n) => {
                            let nb = code.block(n);
                            b.set_link($k, nb);
                            nb
                        }
                        None => {
                            self.pc = target;
                            self.instret = base + done;
                            return Some(Chain::Continue);
                        }
                    }
                };
                st.b = nb;
                st.ip = nb.ops.as_ptr();
                return None;
            }};
        }
        // Register fields are register-file slots (see `super::regs`).
        let rd = op.rd as usize;
        let rs1 = op.rs1 as usize;
        let rs2 = op.rs2 as usize;
        let imm = op.imm as u64;
        macro_rules! x {
            ($v:expr) => {{
                let v: u64 = $v;
                r[rd] = v;
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
                r[rs1]
            };
        }
        macro_rules! bb {
            () => {
                r[rs2]
            };
        }
        macro_rules! load {
            ($n:literal, $conv:expr) => {{
                let addr = r[rs1].wrapping_add(imm);
                match m.load::<$n>(addr) {
                    Ok(v) => xz!($conv(v)),
                    Err(f) => fault!(op, f),
                }
            }};
        }
        macro_rules! store {
            ($v:expr) => {{
                let addr = r[rs1].wrapping_add(imm);
                let v = $v.to_le_bytes();
                // Write TLB entries never cover pages with decoded code, so
                // only the slow path can modify code.
                if !m.store_fast(addr, v) {
                    match m.store_slow(addr, &v) {
                        Ok(()) => smc_check!(),
                        Err(f) => fault!(op, f),
                    }
                }
            }};
        }
        match op.k {
                K::Nop => {}
                K::Li => x!(imm),
                K::Addi => x!(a!().wrapping_add(imm)),
                K::Slti => x!(((a!() as i64) < op.imm) as u64),
                K::Sltiu => x!((a!() < imm) as u64),
                K::Xori => x!(a!() ^ imm),
                K::Ori => x!(a!() | imm),
                K::Andi => x!(a!() & imm),
                K::Slli => x!(a!() << (imm & 63)),
                K::Srli => x!(a!() >> (imm & 63)),
                K::Srai => x!(((a!() as i64) >> (imm & 63)) as u64),
                K::Addiw => x!(sext32(a!().wrapping_add(imm))),
                K::Slliw => x!(sext32(((a!() as u32) << (imm & 31)) as u64)),
                K::Srliw => x!(sext32(((a!() as u32) >> (imm & 31)) as u64)),
                K::Sraiw => x!(((a!() as i32) >> (imm & 31)) as i64 as u64),
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
                K::SlliUw => x!((a!() as u32 as u64) << (imm & 63)),
                K::Lb => load!(1, |v: [u8; 1]| v[0] as i8 as i64 as u64),
                K::Lh => load!(2, |v| i16::from_le_bytes(v) as i64 as u64),
                K::Lw => load!(4, |v| i32::from_le_bytes(v) as i64 as u64),
                K::Ld => load!(8, u64::from_le_bytes),
                K::Lbu => load!(1, |v: [u8; 1]| v[0] as u64),
                K::Lhu => load!(2, |v| u16::from_le_bytes(v) as u64),
                K::Lwu => load!(4, |v| u32::from_le_bytes(v) as u64),
                K::Sb => store!(r[rs2] as u8),
                K::Sh => store!(r[rs2] as u16),
                K::Sw => store!(r[rs2] as u32),
                K::Sd => store!(r[rs2]),
                K::Flw => {
                    let addr = r[rs1].wrapping_add(imm);
                    match m.load::<4>(addr) {
                        Ok(v) => r[rd] = box_s(u32::from_le_bytes(v) as u64),
                        Err(f) => fault!(op, f),
                    }
                }
                K::Fld => {
                    let addr = r[rs1].wrapping_add(imm);
                    match m.load::<8>(addr) {
                        Ok(v) => r[rd] = u64::from_le_bytes(v),
                        Err(f) => fault!(op, f),
                    }
                }
                K::Fsw => store!(r[rs2] as u32),
                K::Fsd => store!(r[rs2]),
                K::Beq => {
                    if a!() == bb!() {
                        end!(imm, 0)
                    } else {
                        end!(b.end, 1)
                    }
                }
                K::Bne => {
                    if a!() != bb!() {
                        end!(imm, 0)
                    } else {
                        end!(b.end, 1)
                    }
                }
                K::Blt => {
                    if (a!() as i64) < (bb!() as i64) {
                        end!(imm, 0)
                    } else {
                        end!(b.end, 1)
                    }
                }
                K::Bge => {
                    if (a!() as i64) >= (bb!() as i64) {
                        end!(imm, 0)
                    } else {
                        end!(b.end, 1)
                    }
                }
                K::Bltu => {
                    if a!() < bb!() {
                        end!(imm, 0)
                    } else {
                        end!(b.end, 1)
                    }
                }
                K::Bgeu => {
                    if a!() >= bb!() {
                        end!(imm, 0)
                    } else {
                        end!(b.end, 1)
                    }
                }
                K::Jal => {
                    xz!(b.end);
                    end!(imm, 0)
                }
                K::Jalr => {
                    let target = a!().wrapping_add(imm) & !1;
                    xz!(b.end);
                    end!(target, 0)
                }
                K::JalrConst => {
                    let lo = (op.rs2 as u16 | (op.aux as u16) << 8) as i16 as i64 as u64;
                    r[rs1] = imm;
                    xz!(b.end);
                    end!(imm.wrapping_add(lo) & !1, 0)
                }
                K::Fall => end!(b.end, 1),
                K::FenceI => {
                    self.pc = b.end;
                    self.instret = base + done + b.n;
                    return Some(Chain::FlushCode);
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
            _ => match self.exec_cold(m, r, op, base + done + op.idx as u64) {
                Cold::Next => {}
                Cold::Wrote => smc_check!(),
                Cold::Fault(f) => fault!(op, f),
                Cold::Illegal => illegal!(op),
            },
        }
        None
    }
}
