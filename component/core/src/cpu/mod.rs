//! The RV64GC hart: decode, execute, FP, CSRs and the decoded-block cache.
//!
//! Implements RV64IMAFDC + Zicsr + Zifencei + Zba/Zbb/Zbc/Zbs + Zicond, with
//! qemu-riscv64 as the oracle for semantics.
//!
//! Speed by design: instructions are decoded once into compact 16-byte
//! [`decode::Op`]s grouped in basic blocks ([`block`]), cached per page in
//! the address space's [`CodeCache`] and found through a jump cache. The run
//! loop executes a whole block per lookup, counts instructions per block for
//! the budget and makes no host calls (except the `time` CSR). Common pairs
//! are fused at decode (`lui/auipc + addi/addiw` into one constant load,
//! `auipc/lui + jalr` into a direct jump). Loads and stores go through the
//! address space's software TLB; a store that hits a page with decoded code
//! invalidates it and ends the block, so self-modifying code is precise.
//!
//! FP is exact (see [`fp`]): NaN-boxing, all rounding modes, fflags.

mod block;
mod decode;
pub mod fp;

use std::sync::RwLock;

pub use block::CodeCache;
use decode::{CSR_CYCLE, CSR_FCSR, CSR_FFLAGS, CSR_FRM, CSR_INSTRET, CSR_TIME, K};
use fp::{Bin, Cmp, F32, F64};

use crate::mm::{AccessKind, AddressSpace, Mem, MemFault};

/// How a run of chained blocks ended.
enum Chain {
    Exit(Exit),
    /// Continue at `pc` after syncing the code cache (miss or code write).
    Continue,
    /// fence.i: drop all decoded code, then continue.
    FlushCode,
}

/// Why [`Cpu::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// `ecall` at `pc` (pc still points at the ecall; the kernel advances it by 4).
    Ecall,
    /// `ebreak`/`c.ebreak` at `pc`.
    Ebreak,
    /// The instruction budget ran out at a block boundary.
    Budget,
    /// Load/store/fetch fault; pc points at the faulting instruction. A
    /// misaligned LR/SC/AMO also faults here (`unmapped == false`).
    Fault(MemFault),
    /// An encoding that is illegal or not implemented; pc points at it.
    /// `insn` is the raw 16- or 32-bit encoding.
    Illegal { insn: u32 },
}

/// One RISC-V hart's architectural state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpu {
    /// Integer registers; x[0] always reads 0.
    pub x: [u64; 32],
    /// Raw FP registers (singles NaN-boxed).
    pub f: [u64; 32],
    pub pc: u64,
    /// fflags in bits 0-4, frm in bits 5-7.
    pub fcsr: u32,
    /// Retired instructions (also `cycle`).
    pub instret: u64,
    /// LR reservation: address and the value LR loaded (SC compares it, as qemu does).
    reservation: Option<(u64, u64)>,
}

static TIME_SOURCE: RwLock<Option<fn() -> u64>> = RwLock::new(None);

/// Set the wall clock (ns) that the `time` CSR reads (at 10 MHz, like
/// Linux riscv's usual timebase). Without one, time follows `instret`.
pub fn set_time_source(f: fn() -> u64) {
    if let Ok(mut g) = TIME_SOURCE.write() {
        *g = Some(f);
    }
}

fn time_source() -> Option<fn() -> u64> {
    TIME_SOURCE.read().ok().and_then(|g| *g)
}

#[inline(always)]
fn unbox_s(v: u64) -> u64 {
    if v >> 32 == 0xffff_ffff {
        v & 0xffff_ffff
    } else {
        fp::CANON_NAN_S
    }
}

#[inline(always)]
fn box_s(v: u64) -> u64 {
    v | 0xffff_ffff_0000_0000
}

#[inline(always)]
fn sext32(v: u64) -> u64 {
    v as u32 as i32 as i64 as u64
}

fn clmul(a: u64, b: u64) -> u64 {
    (0..64)
        .filter(|i| (b >> i) & 1 == 1)
        .fold(0, |r, i| r ^ (a << i))
}
fn clmulh(a: u64, b: u64) -> u64 {
    (1..64)
        .filter(|i| (b >> i) & 1 == 1)
        .fold(0, |r, i| r ^ (a >> (64 - i)))
}
fn clmulr(a: u64, b: u64) -> u64 {
    (0..64)
        .filter(|i| (b >> i) & 1 == 1)
        .fold(0, |r, i| r ^ (a >> (63 - i)))
}
fn orc_b(v: u64) -> u64 {
    (0..8).fold(0, |r, i| {
        if (v >> (8 * i)) & 0xff != 0 {
            r | (0xff << (8 * i))
        } else {
            r
        }
    })
}

impl Cpu {
    pub fn new(pc: u64, sp: u64) -> Self {
        let mut x = [0u64; 32];
        x[2] = sp;
        Cpu {
            x,
            f: [0; 32],
            pc,
            fcsr: 0,
            instret: 0,
            reservation: None,
        }
    }

    /// Forget a reservation (on context switch / signal delivery).
    pub fn clear_reservation(&mut self) {
        self.reservation = None;
    }

    /// Execute until an exit; at most about `budget` instructions (block
    /// granularity; at least one block runs).
    pub fn run(&mut self, space: &mut AddressSpace, budget: u64) -> Exit {
        let start = self.instret;
        loop {
            space.sync_code();
            let idx = match space.code.lookup(self.pc) {
                Some(i) => i,
                None => {
                    if self.pc & 1 != 0 {
                        return Exit::Fault(MemFault {
                            addr: self.pc,
                            kind: AccessKind::Exec,
                            unmapped: false,
                        });
                    }
                    match block::build_block(space, self.pc) {
                        Ok(i) => i,
                        Err(f) => return Exit::Fault(f),
                    }
                }
            };
            let used = self.instret.wrapping_sub(start);
            let left = budget.saturating_sub(used).max(1);
            match self.exec_chain(&mut space.m, &space.code, idx, left) {
                Chain::Exit(e) => return e,
                Chain::Continue => {}
                Chain::FlushCode => space.flush_code(),
            }
            if self.instret.wrapping_sub(start) >= budget {
                return Exit::Budget;
            }
        }
    }

    fn csr_read(&self, csr: u32, idx: u8) -> u64 {
        match csr {
            CSR_FFLAGS => (self.fcsr & 0x1f) as u64,
            CSR_FRM => ((self.fcsr >> 5) & 7) as u64,
            CSR_FCSR => (self.fcsr & 0xff) as u64,
            CSR_TIME => match time_source() {
                Some(f) => f() / 100,
                None => self.instret + idx as u64,
            },
            CSR_CYCLE | CSR_INSTRET => self.instret + idx as u64,
            _ => 0,
        }
    }

    fn csr_write(&mut self, csr: u32, v: u64) {
        let v = v as u32;
        match csr {
            CSR_FFLAGS => self.fcsr = (self.fcsr & !0x1f) | (v & 0x1f),
            CSR_FRM => self.fcsr = (self.fcsr & !0xe0) | ((v & 7) << 5),
            CSR_FCSR => self.fcsr = v & 0xff,
            _ => {}
        }
    }

    /// Execute blocks starting with `idx`, following cached links, until an
    /// exit, a block that is not decoded yet, a write to decoded code, or
    /// `budget` instructions. `self.pc`/`instret` are exact on return.
    #[inline(never)]
    fn exec_chain(&mut self, m: &mut Mem, code: &CodeCache, mut idx: u32, budget: u64) -> Chain {
        let mut done = 0u64;
        'blocks: loop {
            let b = code.block(idx);
            macro_rules! exit_at {
                ($op:expr, $count:expr, $e:expr) => {{
                    self.pc = b.pc.wrapping_add($op.off as u64);
                    self.instret += $count;
                    return Chain::Exit($e);
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
            // End of block: go to `$pc` via link slot `$k` (0 taken, 1 fall-through).
            macro_rules! end {
                ($pc:expr, $k:expr) => {{
                    let target: u64 = $pc;
                    self.pc = target;
                    self.instret += b.n;
                    done += b.n;
                    if done >= budget {
                        return Chain::Exit(Exit::Budget);
                    }
                    let link = &b.next[$k];
                    let n = link.get();
                    if code.block(n).pc == target {
                        idx = n;
                        continue 'blocks;
                    }
                    match code.lookup(target) {
                        Some(n) => {
                            link.set(n);
                            idx = n;
                            continue 'blocks;
                        }
                        None => return Chain::Continue,
                    }
                }};
            }
            for (i, op) in b.ops.iter().enumerate() {
                let rd = op.rd as usize & 31;
                let rs1 = op.rs1 as usize & 31;
                let rs2 = op.rs2 as usize & 31;
                let imm = op.imm as u64;
                macro_rules! x {
                    ($v:expr) => {{
                        let v: u64 = $v;
                        self.x[rd] = v;
                    }};
                }
                // Write that may target x0 (ops with side effects).
                macro_rules! xz {
                    ($v:expr) => {{
                        let v: u64 = $v;
                        self.x[rd] = v;
                        self.x[0] = 0;
                    }};
                }
                macro_rules! a {
                    () => {
                        self.x[rs1]
                    };
                }
                macro_rules! bb {
                    () => {
                        self.x[rs2]
                    };
                }
                macro_rules! load {
                    ($m:ident, $conv:expr) => {{
                        let addr = self.x[rs1].wrapping_add(imm);
                        match m.$m(addr) {
                            Ok(v) => xz!($conv(v)),
                            Err(f) => fault!(op, f),
                        }
                    }};
                }
                // After anything that wrote memory: stop if code was modified.
                macro_rules! smc_check {
                    () => {
                        if !m.pending.is_empty() {
                            let next = b.ops.get(i + 1);
                            self.pc = next.map_or(b.end, |o| b.pc.wrapping_add(o.off as u64));
                            self.instret += next.map_or(b.n, |o| o.idx as u64);
                            return Chain::Continue;
                        }
                    };
                }
                macro_rules! store {
                    ($m:ident, $v:expr) => {{
                        let addr = self.x[rs1].wrapping_add(imm);
                        match m.$m(addr, $v) {
                            Ok(()) => smc_check!(),
                            Err(f) => fault!(op, f),
                        }
                    }};
                }
                macro_rules! rm {
                    () => {{
                        let r = op.aux >> 5;
                        if r == 7 {
                            let fr = ((self.fcsr >> 5) & 7) as u8;
                            if fr > 4 {
                                illegal!(op)
                            }
                            fr
                        } else {
                            r
                        }
                    }};
                }
                macro_rules! flags {
                    ($e:expr) => {{
                        let (v, fl) = $e;
                        self.fcsr |= fl;
                        v
                    }};
                }
                macro_rules! fs {
                    ($r:expr) => {
                        unbox_s(self.f[$r])
                    };
                }
                macro_rules! amo {
                    ($w:literal, $t:ident, $conv:expr, $f:expr) => {{
                        let addr = self.x[rs1];
                        let src = self.x[rs2];
                        match m.rmw_slice::<$w>(addr) {
                            Ok(d) => {
                                let old = $t::from_le_bytes(*d);
                                *d = $f(old, src).to_le_bytes();
                                xz!($conv(old));
                                smc_check!();
                            }
                            Err(f) => fault!(op, f),
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
                    K::Mulh => x!(((a!() as i64 as i128 * bb!() as i64 as i128) >> 64) as u64),
                    K::Mulhsu => {
                        x!(((a!() as i64 as i128).wrapping_mul(bb!() as i128) >> 64) as u64)
                    }
                    K::Mulhu => x!(((a!() as u128 * bb!() as u128) >> 64) as u64),
                    K::Div => {
                        let (p, q) = (a!() as i64, bb!() as i64);
                        x!(if q == 0 {
                            u64::MAX
                        } else {
                            p.wrapping_div(q) as u64
                        })
                    }
                    K::Divu => {
                        let (p, q) = (a!(), bb!());
                        x!(p.checked_div(q).unwrap_or(u64::MAX))
                    }
                    K::Rem => {
                        let (p, q) = (a!() as i64, bb!() as i64);
                        x!(if q == 0 {
                            p as u64
                        } else {
                            p.wrapping_rem(q) as u64
                        })
                    }
                    K::Remu => {
                        let (p, q) = (a!(), bb!());
                        x!(if q == 0 { p } else { p % q })
                    }
                    K::Mulw => x!(sext32(a!().wrapping_mul(bb!()))),
                    K::Divw => {
                        let (p, q) = (a!() as i32, bb!() as i32);
                        x!(if q == 0 {
                            u64::MAX
                        } else {
                            p.wrapping_div(q) as i64 as u64
                        })
                    }
                    K::Divuw => {
                        let (p, q) = (a!() as u32, bb!() as u32);
                        x!(p.checked_div(q).map_or(u64::MAX, |v| sext32(v as u64)))
                    }
                    K::Remw => {
                        let (p, q) = (a!() as i32, bb!() as i32);
                        x!(if q == 0 {
                            p as i64 as u64
                        } else {
                            p.wrapping_rem(q) as i64 as u64
                        })
                    }
                    K::Remuw => {
                        let (p, q) = (a!() as u32, bb!() as u32);
                        x!(if q == 0 {
                            sext32(p as u64)
                        } else {
                            sext32((p % q) as u64)
                        })
                    }
                    K::AddUw => x!((a!() as u32 as u64).wrapping_add(bb!())),
                    K::Sh1add => x!((a!() << 1).wrapping_add(bb!())),
                    K::Sh2add => x!((a!() << 2).wrapping_add(bb!())),
                    K::Sh3add => x!((a!() << 3).wrapping_add(bb!())),
                    K::Sh1addUw => x!(((a!() as u32 as u64) << 1).wrapping_add(bb!())),
                    K::Sh2addUw => x!(((a!() as u32 as u64) << 2).wrapping_add(bb!())),
                    K::Sh3addUw => x!(((a!() as u32 as u64) << 3).wrapping_add(bb!())),
                    K::SlliUw => x!((a!() as u32 as u64) << (imm & 63)),
                    K::Andn => x!(a!() & !bb!()),
                    K::Orn => x!(a!() | !bb!()),
                    K::Xnor => x!(!(a!() ^ bb!())),
                    K::Clz => x!(a!().leading_zeros() as u64),
                    K::Clzw => x!((a!() as u32).leading_zeros() as u64),
                    K::Ctz => x!(a!().trailing_zeros() as u64),
                    K::Ctzw => x!((a!() as u32).trailing_zeros() as u64),
                    K::Cpop => x!(a!().count_ones() as u64),
                    K::Cpopw => x!((a!() as u32).count_ones() as u64),
                    K::Max => x!((a!() as i64).max(bb!() as i64) as u64),
                    K::Maxu => x!(a!().max(bb!())),
                    K::Min => x!((a!() as i64).min(bb!() as i64) as u64),
                    K::Minu => x!(a!().min(bb!())),
                    K::SextB => x!(a!() as i8 as i64 as u64),
                    K::SextH => x!(a!() as i16 as i64 as u64),
                    K::ZextH => x!(a!() as u16 as u64),
                    K::Rol => x!(a!().rotate_left((bb!() & 63) as u32)),
                    K::Rolw => x!(sext32((a!() as u32).rotate_left((bb!() & 31) as u32) as u64)),
                    K::Ror => x!(a!().rotate_right((bb!() & 63) as u32)),
                    K::Rori => x!(a!().rotate_right((imm & 63) as u32)),
                    K::Roriw => x!(sext32((a!() as u32).rotate_right((imm & 31) as u32) as u64)),
                    K::Rorw => x!(sext32(
                        (a!() as u32).rotate_right((bb!() & 31) as u32) as u64
                    )),
                    K::OrcB => x!(orc_b(a!())),
                    K::Rev8 => x!(a!().swap_bytes()),
                    K::Clmul => x!(clmul(a!(), bb!())),
                    K::Clmulh => x!(clmulh(a!(), bb!())),
                    K::Clmulr => x!(clmulr(a!(), bb!())),
                    K::Bclr => x!(a!() & !(1u64 << (bb!() & 63))),
                    K::Bclri => x!(a!() & !(1u64 << (imm & 63))),
                    K::Bext => x!((a!() >> (bb!() & 63)) & 1),
                    K::Bexti => x!((a!() >> (imm & 63)) & 1),
                    K::Binv => x!(a!() ^ (1u64 << (bb!() & 63))),
                    K::Binvi => x!(a!() ^ (1u64 << (imm & 63))),
                    K::Bset => x!(a!() | (1u64 << (bb!() & 63))),
                    K::Bseti => x!(a!() | (1u64 << (imm & 63))),
                    K::CzeroEqz => x!(if bb!() == 0 { 0 } else { a!() }),
                    K::CzeroNez => x!(if bb!() != 0 { 0 } else { a!() }),

                    K::Lb => load!(read_u8, |v: u8| v as i8 as i64 as u64),
                    K::Lh => load!(read_u16, |v: u16| v as i16 as i64 as u64),
                    K::Lw => load!(read_u32, |v: u32| v as i32 as i64 as u64),
                    K::Ld => load!(read_u64, |v: u64| v),
                    K::Lbu => load!(read_u8, |v: u8| v as u64),
                    K::Lhu => load!(read_u16, |v: u16| v as u64),
                    K::Lwu => load!(read_u32, |v: u32| v as u64),
                    K::Sb => store!(write_u8, self.x[rs2] as u8),
                    K::Sh => store!(write_u16, self.x[rs2] as u16),
                    K::Sw => store!(write_u32, self.x[rs2] as u32),
                    K::Sd => store!(write_u64, self.x[rs2]),
                    K::Flw => {
                        let addr = self.x[rs1].wrapping_add(imm);
                        match m.read_u32(addr) {
                            Ok(v) => self.f[rd] = box_s(v as u64),
                            Err(f) => fault!(op, f),
                        }
                    }
                    K::Fld => {
                        let addr = self.x[rs1].wrapping_add(imm);
                        match m.read_u64(addr) {
                            Ok(v) => self.f[rd] = v,
                            Err(f) => fault!(op, f),
                        }
                    }
                    K::Fsw => store!(write_u32, self.f[rs2] as u32),
                    K::Fsd => store!(write_u64, self.f[rs2]),

                    K::LrW | K::LrD => {
                        let addr = self.x[rs1];
                        let w = op.k == K::LrW;
                        let align = if w { 3 } else { 7 };
                        if addr & align != 0 {
                            fault!(
                                op,
                                MemFault {
                                    addr,
                                    kind: AccessKind::Read,
                                    unmapped: false
                                }
                            )
                        }
                        let r = if w {
                            m.read_u32(addr).map(|v| sext32(v as u64))
                        } else {
                            m.read_u64(addr)
                        };
                        match r {
                            Ok(v) => {
                                self.reservation = Some((addr, v));
                                xz!(v)
                            }
                            Err(f) => fault!(op, f),
                        }
                    }
                    K::ScW | K::ScD => {
                        let addr = self.x[rs1];
                        let src = self.x[rs2];
                        let res = self.reservation.take();
                        let w = op.k == K::ScW;
                        let align = if w { 3 } else { 7 };
                        if addr & align != 0 {
                            fault!(
                                op,
                                MemFault {
                                    addr,
                                    kind: AccessKind::Write,
                                    unmapped: false
                                }
                            )
                        }
                        match res {
                            Some((ra, rv)) if ra == addr => {
                                let r = if w {
                                    m.rmw_slice::<4>(addr).map(|d| {
                                        let ok = sext32(u32::from_le_bytes(*d) as u64) == rv;
                                        if ok {
                                            *d = (src as u32).to_le_bytes();
                                        }
                                        ok
                                    })
                                } else {
                                    m.rmw_slice::<8>(addr).map(|d| {
                                        let ok = u64::from_le_bytes(*d) == rv;
                                        if ok {
                                            *d = src.to_le_bytes();
                                        }
                                        ok
                                    })
                                };
                                match r {
                                    Ok(ok) => {
                                        xz!((!ok) as u64);
                                        smc_check!();
                                    }
                                    Err(f) => fault!(op, f),
                                }
                            }
                            _ => xz!(1),
                        }
                    }
                    K::AmoSwapW => amo!(4, u32, |o: u32| sext32(o as u64), |_o: u32, s: u64| s
                        as u32),
                    K::AmoAddW => amo!(4, u32, |o: u32| sext32(o as u64), |o: u32, s: u64| o
                        .wrapping_add(s as u32)),
                    K::AmoXorW => amo!(4, u32, |o: u32| sext32(o as u64), |o: u32, s: u64| o ^ s
                        as u32),
                    K::AmoAndW => amo!(4, u32, |o: u32| sext32(o as u64), |o: u32, s: u64| o & s
                        as u32),
                    K::AmoOrW => amo!(4, u32, |o: u32| sext32(o as u64), |o: u32, s: u64| o | s
                        as u32),
                    K::AmoMinW => amo!(4, u32, |o: u32| sext32(o as u64), |o: u32, s: u64| (o
                        as i32)
                        .min(s as i32)
                        as u32),
                    K::AmoMaxW => amo!(4, u32, |o: u32| sext32(o as u64), |o: u32, s: u64| (o
                        as i32)
                        .max(s as i32)
                        as u32),
                    K::AmoMinuW => amo!(4, u32, |o: u32| sext32(o as u64), |o: u32, s: u64| o
                        .min(s as u32)),
                    K::AmoMaxuW => amo!(4, u32, |o: u32| sext32(o as u64), |o: u32, s: u64| o
                        .max(s as u32)),
                    K::AmoSwapD => amo!(8, u64, |o: u64| o, |_o: u64, s: u64| s),
                    K::AmoAddD => amo!(8, u64, |o: u64| o, |o: u64, s: u64| o.wrapping_add(s)),
                    K::AmoXorD => amo!(8, u64, |o: u64| o, |o: u64, s: u64| o ^ s),
                    K::AmoAndD => amo!(8, u64, |o: u64| o, |o: u64, s: u64| o & s),
                    K::AmoOrD => amo!(8, u64, |o: u64| o, |o: u64, s: u64| o | s),
                    K::AmoMinD => amo!(
                        8,
                        u64,
                        |o: u64| o,
                        |o: u64, s: u64| (o as i64).min(s as i64) as u64
                    ),
                    K::AmoMaxD => amo!(
                        8,
                        u64,
                        |o: u64| o,
                        |o: u64, s: u64| (o as i64).max(s as i64) as u64
                    ),
                    K::AmoMinuD => amo!(8, u64, |o: u64| o, |o: u64, s: u64| o.min(s)),
                    K::AmoMaxuD => amo!(8, u64, |o: u64| o, |o: u64, s: u64| o.max(s)),

                    K::Csrrw | K::Csrrs | K::Csrrc | K::Csrrwi | K::Csrrsi | K::Csrrci => {
                        let csr = op.imm as u32;
                        let src = match op.k {
                            K::Csrrw | K::Csrrs | K::Csrrc => self.x[rs1],
                            _ => rs1 as u64,
                        };
                        let old = self.csr_read(csr, op.idx);
                        match op.k {
                            K::Csrrw | K::Csrrwi => self.csr_write(csr, src),
                            K::Csrrs | K::Csrrsi if rs1 != 0 => self.csr_write(csr, old | src),
                            K::Csrrc | K::Csrrci if rs1 != 0 => self.csr_write(csr, old & !src),
                            _ => {}
                        }
                        xz!(old)
                    }

                    // ---- single precision
                    K::FaddS | K::FsubS | K::FmulS | K::FdivS => {
                        let rm = rm!();
                        let o = match op.k {
                            K::FaddS => Bin::Add,
                            K::FsubS => Bin::Sub,
                            K::FmulS => Bin::Mul,
                            _ => Bin::Div,
                        };
                        self.f[rd] = box_s(fp::bin_s(o, fs!(rs1), fs!(rs2), rm, &mut self.fcsr));
                    }
                    K::FsqrtS => {
                        let rm = rm!();
                        self.f[rd] = box_s(fp::sqrt_s(fs!(rs1), rm, &mut self.fcsr));
                    }
                    K::FminS | K::FmaxS => {
                        self.f[rd] = box_s(flags!(fp::minmax(
                            F32,
                            fs!(rs1),
                            fs!(rs2),
                            op.k == K::FmaxS
                        )));
                    }
                    K::FmaddS | K::FmsubS | K::FnmsubS | K::FnmaddS => {
                        let rm = rm!();
                        let rs3 = (op.aux & 31) as usize;
                        let (np, nc) = match op.k {
                            K::FmaddS => (false, false),
                            K::FmsubS => (false, true),
                            K::FnmsubS => (true, false),
                            _ => (true, true),
                        };
                        self.f[rd] = box_s(fp::fma_s(
                            fs!(rs1),
                            fs!(rs2),
                            fs!(rs3),
                            np,
                            nc,
                            rm,
                            &mut self.fcsr,
                        ));
                    }
                    K::FsgnjS | K::FsgnjnS | K::FsgnjxS => {
                        let (p, q) = (fs!(rs1), fs!(rs2));
                        const S: u64 = 1 << 31;
                        let v = match op.k {
                            K::FsgnjS => (p & !S) | (q & S),
                            K::FsgnjnS => (p & !S) | (!q & S),
                            _ => p ^ (q & S),
                        };
                        self.f[rd] = box_s(v);
                    }
                    K::FeqS | K::FltS | K::FleS => {
                        let c = match op.k {
                            K::FeqS => Cmp::Eq,
                            K::FltS => Cmp::Lt,
                            _ => Cmp::Le,
                        };
                        let r = flags!(fp::compare(F32, fs!(rs1), fs!(rs2), c));
                        xz!(r as u64)
                    }
                    K::FclassS => xz!(fp::classify(F32, fs!(rs1))),
                    K::FmvXW => xz!(sext32(self.f[rs1])),
                    K::FmvWX => self.f[rd] = box_s(self.x[rs1] & 0xffff_ffff),
                    K::FcvtWS | K::FcvtWuS | K::FcvtLS | K::FcvtLuS => {
                        let rm = rm!();
                        let (signed, bits) = match op.k {
                            K::FcvtWS => (true, 32),
                            K::FcvtWuS => (false, 32),
                            K::FcvtLS => (true, 64),
                            _ => (false, 64),
                        };
                        let r = flags!(fp::to_int(F32, fs!(rs1), signed, bits, rm));
                        xz!(r)
                    }
                    K::FcvtSW | K::FcvtSWu | K::FcvtSL | K::FcvtSLu => {
                        let rm = rm!();
                        let (signed, bits) = match op.k {
                            K::FcvtSW => (true, 32),
                            K::FcvtSWu => (false, 32),
                            K::FcvtSL => (true, 64),
                            _ => (false, 64),
                        };
                        self.f[rd] =
                            box_s(flags!(fp::from_int(F32, self.x[rs1], signed, bits, rm)));
                    }

                    // ---- double precision
                    K::FaddD | K::FsubD | K::FmulD | K::FdivD => {
                        let rm = rm!();
                        let o = match op.k {
                            K::FaddD => Bin::Add,
                            K::FsubD => Bin::Sub,
                            K::FmulD => Bin::Mul,
                            _ => Bin::Div,
                        };
                        self.f[rd] = fp::bin_d(o, self.f[rs1], self.f[rs2], rm, &mut self.fcsr);
                    }
                    K::FsqrtD => {
                        let rm = rm!();
                        self.f[rd] = fp::sqrt_d(self.f[rs1], rm, &mut self.fcsr);
                    }
                    K::FminD | K::FmaxD => {
                        self.f[rd] =
                            flags!(fp::minmax(F64, self.f[rs1], self.f[rs2], op.k == K::FmaxD));
                    }
                    K::FmaddD | K::FmsubD | K::FnmsubD | K::FnmaddD => {
                        let rm = rm!();
                        let rs3 = (op.aux & 31) as usize;
                        let (np, nc) = match op.k {
                            K::FmaddD => (false, false),
                            K::FmsubD => (false, true),
                            K::FnmsubD => (true, false),
                            _ => (true, true),
                        };
                        self.f[rd] = fp::fma_d(
                            self.f[rs1],
                            self.f[rs2],
                            self.f[rs3],
                            np,
                            nc,
                            rm,
                            &mut self.fcsr,
                        );
                    }
                    K::FsgnjD | K::FsgnjnD | K::FsgnjxD => {
                        let (p, q) = (self.f[rs1], self.f[rs2]);
                        const S: u64 = 1 << 63;
                        self.f[rd] = match op.k {
                            K::FsgnjD => (p & !S) | (q & S),
                            K::FsgnjnD => (p & !S) | (!q & S),
                            _ => p ^ (q & S),
                        };
                    }
                    K::FeqD | K::FltD | K::FleD => {
                        let c = match op.k {
                            K::FeqD => Cmp::Eq,
                            K::FltD => Cmp::Lt,
                            _ => Cmp::Le,
                        };
                        let r = flags!(fp::compare(F64, self.f[rs1], self.f[rs2], c));
                        xz!(r as u64)
                    }
                    K::FclassD => xz!(fp::classify(F64, self.f[rs1])),
                    K::FmvXD => xz!(self.f[rs1]),
                    K::FmvDX => self.f[rd] = self.x[rs1],
                    K::FcvtWD | K::FcvtWuD | K::FcvtLD | K::FcvtLuD => {
                        let rm = rm!();
                        let (signed, bits) = match op.k {
                            K::FcvtWD => (true, 32),
                            K::FcvtWuD => (false, 32),
                            K::FcvtLD => (true, 64),
                            _ => (false, 64),
                        };
                        let r = flags!(fp::to_int(F64, self.f[rs1], signed, bits, rm));
                        xz!(r)
                    }
                    K::FcvtDW | K::FcvtDWu | K::FcvtDL | K::FcvtDLu => {
                        let rm = rm!();
                        let (signed, bits) = match op.k {
                            K::FcvtDW => (true, 32),
                            K::FcvtDWu => (false, 32),
                            K::FcvtDL => (true, 64),
                            _ => (false, 64),
                        };
                        self.f[rd] = flags!(fp::from_int(F64, self.x[rs1], signed, bits, rm));
                    }
                    K::FcvtSD => {
                        let rm = rm!();
                        self.f[rd] = box_s(flags!(fp::f64_to_f32(self.f[rs1], rm)));
                    }
                    K::FcvtDS => {
                        let _ = rm!();
                        self.f[rd] = flags!(fp::f32_to_f64(fs!(rs1)));
                    }

                    // ---- terminators
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
                        self.x[rs1] = imm;
                        xz!(b.end);
                        end!(imm.wrapping_add(lo) & !1, 0)
                    }
                    K::FenceI => {
                        self.pc = b.end;
                        self.instret += b.n;
                        return Chain::FlushCode;
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
                }
            }
            end!(b.end, 1)
        }
    }
}

#[cfg(test)]
mod tests;
