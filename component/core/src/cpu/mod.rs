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
mod cold;
mod decode;
mod exec;
pub mod fp;
mod regs;

use std::sync::RwLock;

pub use block::CodeCache;
use decode::{CSR_CYCLE, CSR_FCSR, CSR_FFLAGS, CSR_FRM, CSR_INSTRET, CSR_TIME};

use crate::mm::{AccessKind, AddressSpace, MemFault};

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
    /// misaligned LR/SC/AMO also faults here, with `kind ==
    /// AccessKind::Misaligned` (deliver SIGBUS/BUS_ADRALN, not SIGSEGV).
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
            if self.pc & 1 != 0 {
                // (Also keeps the dead blocks' odd pc from ever being looked up.)
                return Exit::Fault(MemFault {
                    addr: self.pc,
                    kind: AccessKind::Exec,
                    unmapped: false,
                });
            }
            let idx = match space.code.lookup(self.pc) {
                Some(_) => None,
                None => match block::build_block(space, self.pc) {
                    Ok(i) => Some(i),
                    Err(f) => return Exit::Fault(f),
                },
            };
            let used = self.instret.wrapping_sub(start);
            let left = budget.saturating_sub(used).max(1);
            let (m, code) = (&mut space.m, &space.code);
            let first = match idx {
                Some(i) => code.block(i),
                None => match code.lookup(self.pc) {
                    Some(b) => b,
                    None => continue,
                },
            };
            match self.exec_chain(m, code, first, left) {
                Chain::Exit(e) => return e,
                Chain::Continue => {}
                Chain::FlushCode => space.flush_code(),
            }
            if self.instret.wrapping_sub(start) >= budget {
                return Exit::Budget;
            }
        }
    }

    /// `instret` is the count of instructions retired before this one.
    fn csr_read(&self, csr: u32, instret: u64) -> u64 {
        match csr {
            CSR_FFLAGS => (self.fcsr & 0x1f) as u64,
            CSR_FRM => ((self.fcsr >> 5) & 7) as u64,
            CSR_FCSR => (self.fcsr & 0xff) as u64,
            CSR_TIME => match time_source() {
                Some(f) => f() / 100,
                None => instret,
            },
            CSR_CYCLE | CSR_INSTRET => instret,
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
}

#[cfg(test)]
mod tests;
