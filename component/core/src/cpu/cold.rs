//! Out-of-line execution of the less frequent ops: M's high multiplies and
//! divisions, Zbb/Zbc/Zbs/Zicond, A, Zicsr and all F/D arithmetic.
//!
//! Keeping them out of [`super::exec`]'s dispatch loop keeps that loop small
//! (instruction cache, branch predictor, register allocation — natively and
//! in wasm); the cost is one call and a second dispatch for these ops.

use super::decode::{Op, K};
use super::fp::{self, Bin, Cmp, F32, F64};
use super::regs::{Regs, FP};
use super::{box_s, clmul, clmulh, clmulr, orc_b, sext32, unbox_s, Cpu};
use crate::mm::{AccessKind, Mem, MemFault};

/// What an out-of-line op asks the dispatch loop to do next.
pub(super) enum Cold {
    /// Go on with the next op.
    Next,
    /// Go on, but memory was written: check for modified code first.
    Wrote,
    Fault(MemFault),
    /// Illegal instruction (e.g. a reserved dynamic rounding mode).
    Illegal,
}

impl Cpu {
    /// Execute `op` (a kind [`super::exec`] does not handle inline).
    /// `instret` counts the instructions retired before it.
    #[inline(never)]
    pub(super) fn exec_cold(&mut self, m: &mut Mem, r: &mut Regs, op: &Op, instret: u64) -> Cold {
        // Register fields index the executor's register file directly (see
        // `super::regs`): FP registers are already offset, x0 writes go to
        // the discard slot.
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
        // (x0 writes go to the discard slot: see `super::regs`.)
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
        macro_rules! fault {
            ($op:expr, $f:expr) => {
                return Cold::Fault($f)
            };
        }
        macro_rules! illegal {
            ($op:expr) => {
                return Cold::Illegal
            };
        }
        macro_rules! smc_check {
            () => {
                return Cold::Wrote
            };
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
                unbox_s(r[$r])
            };
        }
        macro_rules! amo {
            ($w:literal, $t:ident, $conv:expr, $f:expr) => {{
                let addr = r[rs1];
                let src = r[rs2];
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
            K::LrW | K::LrD => {
                let addr = r[rs1];
                let w = op.k == K::LrW;
                let align = if w { 3 } else { 7 };
                if addr & align != 0 {
                    fault!(
                        op,
                        MemFault {
                            addr,
                            kind: AccessKind::Misaligned,
                            unmapped: false
                        }
                    )
                }
                let r = if w {
                    m.load::<4>(addr)
                        .map(|v| u32::from_le_bytes(v) as i32 as i64 as u64)
                } else {
                    m.load::<8>(addr).map(u64::from_le_bytes)
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
                let addr = r[rs1];
                let src = r[rs2];
                let res = self.reservation.take();
                let w = op.k == K::ScW;
                let align = if w { 3 } else { 7 };
                if addr & align != 0 {
                    fault!(
                        op,
                        MemFault {
                            addr,
                            kind: AccessKind::Misaligned,
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
            K::AmoMinW => amo!(
                4,
                u32,
                |o: u32| sext32(o as u64),
                |o: u32, s: u64| (o as i32).min(s as i32) as u32
            ),
            K::AmoMaxW => amo!(
                4,
                u32,
                |o: u32| sext32(o as u64),
                |o: u32, s: u64| (o as i32).max(s as i32) as u32
            ),
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
                    K::Csrrw | K::Csrrs | K::Csrrc => r[rs1],
                    _ => rs1 as u64,
                };
                let old = self.csr_read(csr, instret);
                match op.k {
                    K::Csrrw | K::Csrrwi => self.csr_write(csr, src),
                    K::Csrrs | K::Csrrsi if rs1 != 0 => self.csr_write(csr, old | src),
                    K::Csrrc | K::Csrrci if rs1 != 0 => self.csr_write(csr, old & !src),
                    _ => {}
                }
                xz!(old)
            }
            K::FaddS | K::FsubS | K::FmulS | K::FdivS => {
                let rm = rm!();
                let o = match op.k {
                    K::FaddS => Bin::Add,
                    K::FsubS => Bin::Sub,
                    K::FmulS => Bin::Mul,
                    _ => Bin::Div,
                };
                r[rd] = box_s(fp::bin_s(o, fs!(rs1), fs!(rs2), rm, &mut self.fcsr));
            }
            K::FsqrtS => {
                let rm = rm!();
                r[rd] = box_s(fp::sqrt_s(fs!(rs1), rm, &mut self.fcsr));
            }
            K::FminS | K::FmaxS => {
                r[rd] = box_s(flags!(fp::minmax(
                    F32,
                    fs!(rs1),
                    fs!(rs2),
                    op.k == K::FmaxS
                )));
            }
            K::FmaddS | K::FmsubS | K::FnmsubS | K::FnmaddS => {
                let rm = rm!();
                let rs3 = FP + (op.aux & 31) as usize;
                let (np, nc) = match op.k {
                    K::FmaddS => (false, false),
                    K::FmsubS => (false, true),
                    K::FnmsubS => (true, false),
                    _ => (true, true),
                };
                r[rd] = box_s(fp::fma_s(
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
                r[rd] = box_s(v);
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
            K::FmvXW => xz!(sext32(r[rs1])),
            K::FmvWX => r[rd] = box_s(r[rs1] & 0xffff_ffff),
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
                r[rd] = box_s(flags!(fp::from_int(F32, r[rs1], signed, bits, rm)));
            }
            K::FaddD | K::FsubD | K::FmulD | K::FdivD => {
                let rm = rm!();
                let o = match op.k {
                    K::FaddD => Bin::Add,
                    K::FsubD => Bin::Sub,
                    K::FmulD => Bin::Mul,
                    _ => Bin::Div,
                };
                r[rd] = fp::bin_d(o, r[rs1], r[rs2], rm, &mut self.fcsr);
            }
            K::FsqrtD => {
                let rm = rm!();
                r[rd] = fp::sqrt_d(r[rs1], rm, &mut self.fcsr);
            }
            K::FminD | K::FmaxD => {
                r[rd] = flags!(fp::minmax(F64, r[rs1], r[rs2], op.k == K::FmaxD));
            }
            K::FmaddD | K::FmsubD | K::FnmsubD | K::FnmaddD => {
                let rm = rm!();
                let rs3 = FP + (op.aux & 31) as usize;
                let (np, nc) = match op.k {
                    K::FmaddD => (false, false),
                    K::FmsubD => (false, true),
                    K::FnmsubD => (true, false),
                    _ => (true, true),
                };
                r[rd] = fp::fma_d(r[rs1], r[rs2], r[rs3], np, nc, rm, &mut self.fcsr);
            }
            K::FsgnjD | K::FsgnjnD | K::FsgnjxD => {
                let (p, q) = (r[rs1], r[rs2]);
                const S: u64 = 1 << 63;
                r[rd] = match op.k {
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
                let r = flags!(fp::compare(F64, r[rs1], r[rs2], c));
                xz!(r as u64)
            }
            K::FclassD => xz!(fp::classify(F64, r[rs1])),
            K::FmvXD => xz!(r[rs1]),
            K::FmvDX => r[rd] = r[rs1],
            K::FcvtWD | K::FcvtWuD | K::FcvtLD | K::FcvtLuD => {
                let rm = rm!();
                let (signed, bits) = match op.k {
                    K::FcvtWD => (true, 32),
                    K::FcvtWuD => (false, 32),
                    K::FcvtLD => (true, 64),
                    _ => (false, 64),
                };
                let r = flags!(fp::to_int(F64, r[rs1], signed, bits, rm));
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
                r[rd] = flags!(fp::from_int(F64, r[rs1], signed, bits, rm));
            }
            K::FcvtSD => {
                let rm = rm!();
                r[rd] = box_s(flags!(fp::f64_to_f32(r[rs1], rm)));
            }
            K::FcvtDS => {
                let _ = rm!();
                r[rd] = flags!(fp::f32_to_f64(fs!(rs1)));
            }
            // The dispatch loop handles every other kind itself.
            _ => illegal!(op),
        }
        Cold::Next
    }
}
