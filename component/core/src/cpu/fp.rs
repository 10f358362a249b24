//! IEEE 754 binary32/binary64 arithmetic with RISC-V semantics: all five
//! rounding modes, exact fflags (tininess after rounding), canonical NaNs.
//!
//! Every operation has an exact software path working on integer
//! significands (`u128` frames with a sticky bit); add/sub/mul/div/sqrt also
//! have qemu's "hardfloat" fast path: when the mode is RNE and NX is already
//! set (so inexactness needs no tracking), the operands are zero-or-normal
//! and the host result is normal (no overflow/underflow to detect), the host
//! FPU's result is exact and used directly.
//!
//! Values are raw bits in a `u64` (binary32 in the low 32 bits).

pub const NX: u32 = 1;
pub const UF: u32 = 2;
pub const OF: u32 = 4;
pub const DZ: u32 = 8;
pub const NV: u32 = 16;

pub const RNE: u8 = 0;
pub const RTZ: u8 = 1;
pub const RDN: u8 = 2;
pub const RUP: u8 = 3;
pub const RMM: u8 = 4;

pub const CANON_NAN_S: u64 = 0x7fc0_0000;
pub const CANON_NAN_D: u64 = 0x7ff8_0000_0000_0000;

/// A binary floating-point format.
#[derive(Clone, Copy, Debug)]
pub struct Fmt {
    /// Total width in bits.
    pub w: u32,
    /// Precision including the hidden bit.
    pub p: u32,
    pub bias: i32,
}

pub const F32: Fmt = Fmt {
    w: 32,
    p: 24,
    bias: 127,
};
pub const F64: Fmt = Fmt {
    w: 64,
    p: 53,
    bias: 1023,
};

impl Fmt {
    #[inline]
    fn sign_bit(self) -> u64 {
        1 << (self.w - 1)
    }
    #[inline]
    fn frac_mask(self) -> u64 {
        (1 << (self.p - 1)) - 1
    }
    #[inline]
    fn exp_field_max(self) -> u64 {
        (1 << (self.w - self.p)) - 1
    }
    #[inline]
    fn emin(self) -> i32 {
        1 - self.bias
    }
    #[inline]
    fn emax(self) -> i32 {
        self.bias
    }
    #[inline]
    pub fn canonical_nan(self) -> u64 {
        if self.w == 32 {
            CANON_NAN_S
        } else {
            CANON_NAN_D
        }
    }
    #[inline]
    fn inf(self, sign: bool) -> u64 {
        self.signed(sign, self.exp_field_max() << (self.p - 1))
    }
    #[inline]
    fn zero(self, sign: bool) -> u64 {
        self.signed(sign, 0)
    }
    #[inline]
    fn max_finite(self, sign: bool) -> u64 {
        self.signed(
            sign,
            ((self.exp_field_max() - 1) << (self.p - 1)) | self.frac_mask(),
        )
    }
    #[inline]
    fn signed(self, sign: bool, mag: u64) -> u64 {
        if sign {
            mag | self.sign_bit()
        } else {
            mag
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cls {
    Zero,
    Finite,
    Inf,
    QNan,
    SNan,
}

/// Unpacked value: for `Finite`, value = sig * 2^exp with sig normalised so
/// that its top bit is bit `p-1`.
#[derive(Clone, Copy, Debug)]
struct Un {
    sign: bool,
    cls: Cls,
    exp: i32,
    sig: u64,
}

#[inline]
fn unpack(f: Fmt, bits: u64) -> Un {
    let sign = bits & f.sign_bit() != 0;
    let e = ((bits >> (f.p - 1)) & f.exp_field_max()) as i32;
    let frac = bits & f.frac_mask();
    let (cls, exp, sig) = if e as u64 == f.exp_field_max() {
        if frac == 0 {
            (Cls::Inf, 0, 0)
        } else if frac & (1 << (f.p - 2)) != 0 {
            (Cls::QNan, 0, 0)
        } else {
            (Cls::SNan, 0, 0)
        }
    } else if e == 0 {
        if frac == 0 {
            (Cls::Zero, 0, 0)
        } else {
            // Subnormal: normalise.
            let shift = frac.leading_zeros() - (64 - f.p);
            (
                Cls::Finite,
                f.emin() - (f.p as i32 - 1) - shift as i32,
                frac << shift,
            )
        }
    } else {
        (
            Cls::Finite,
            e - f.bias - (f.p as i32 - 1),
            frac | (1 << (f.p - 1)),
        )
    };
    Un {
        sign,
        cls,
        exp,
        sig,
    }
}

#[inline]
fn is_nan(c: Cls) -> bool {
    matches!(c, Cls::QNan | Cls::SNan)
}

/// Shift right by `shift` bits and round according to `rm`; returns the
/// rounded value and whether any bits were lost.
#[inline]
fn round_shift(sig: u128, shift: i32, sign: bool, rm: u8) -> (u128, bool) {
    if shift <= 0 {
        return (sig << (-shift).min(127), false);
    }
    let (m, rem, half) = if shift >= 129 {
        (0u128, sig, None)
    } else if shift == 128 {
        (0u128, sig, Some(1u128 << 127))
    } else {
        let s = shift as u32;
        (sig >> s, sig & ((1u128 << s) - 1), Some(1u128 << (s - 1)))
    };
    if rem == 0 {
        return (m, false);
    }
    // `half == None` means the remainder is below half an ulp.
    let cmp = match half {
        Some(h) => rem.cmp(&h),
        None => std::cmp::Ordering::Less,
    };
    use std::cmp::Ordering::*;
    let inc = match rm {
        RNE => cmp == Greater || (cmp == Equal && m & 1 == 1),
        RTZ => false,
        RDN => sign,
        RUP => !sign,
        _ => cmp != Less, // RMM
    };
    (m + inc as u128, true)
}

/// Round the exact value (-1)^sign * sig * 2^exp (sig != 0; any sticky bit
/// already folded into bit 0, at least 2 bits below the rounding point) to
/// format `f`.
fn round_pack(f: Fmt, sign: bool, exp: i32, sig: u128, rm: u8) -> (u64, u32) {
    if sig == 0 {
        return (f.zero(sign), 0);
    }
    let p = f.p as i32;
    let msb = 127 - sig.leading_zeros() as i32;
    let e = exp + msb;
    if e >= f.emin() {
        let (mut m, inexact) = round_shift(sig, msb - (p - 1), sign, rm);
        let mut e = e;
        if m >> p != 0 {
            m >>= 1;
            e += 1;
        }
        if e > f.emax() {
            return overflow(f, sign, rm);
        }
        let bits = ((e + f.bias) as u64) << (p - 1) | (m as u64 & f.frac_mask());
        (f.signed(sign, bits), if inexact { NX } else { 0 })
    } else {
        // Subnormal range: the lsb is 2^(emin - (p-1)).
        let shift = (f.emin() - (p - 1)) - exp;
        let (m, inexact) = round_shift(sig, shift, sign, rm);
        let mut flags = 0;
        if inexact {
            flags |= NX;
            // Tininess after rounding: would rounding to p bits with an
            // unbounded exponent reach 2^emin?
            let tiny = if e == f.emin() - 1 {
                let (mu, _) = round_shift(sig, msb - (p - 1), sign, rm);
                mu >> p == 0
            } else {
                true
            };
            if tiny {
                flags |= UF;
            }
        }
        // m <= 2^(p-1): a carry into bit p-1 gives the smallest normal.
        (f.signed(sign, m as u64), flags)
    }
}

fn overflow(f: Fmt, sign: bool, rm: u8) -> (u64, u32) {
    let to_inf = match rm {
        RNE | RMM => true,
        RTZ => false,
        RDN => sign,
        _ => !sign,
    };
    let v = if to_inf {
        f.inf(sign)
    } else {
        f.max_finite(sign)
    };
    (v, OF | NX)
}

#[inline]
fn nan_result(f: Fmt, a: &Un, b: &Un) -> (u64, u32) {
    let nv = if a.cls == Cls::SNan || b.cls == Cls::SNan {
        NV
    } else {
        0
    };
    (f.canonical_nan(), nv)
}

/// Place `sig * 2^exp` in a frame whose bit 0 is worth 2^frame, folding
/// lost bits into a sticky bit 0.
#[inline]
fn place(sig: u128, exp: i32, frame: i32) -> u128 {
    let sh = exp - frame;
    if sh >= 0 {
        sig << sh.min(127)
    } else {
        let r = (-sh) as u32;
        if r >= 128 {
            (sig != 0) as u128
        } else {
            (sig >> r) | ((sig & ((1u128 << r) - 1)) != 0) as u128
        }
    }
}

/// Add two exact values (frame-aligned) with signs, then round.
fn add_frames(f: Fmt, sa: bool, a: u128, sb: bool, b: u128, frame: i32, rm: u8) -> (u64, u32) {
    if sa == sb {
        return round_pack(f, sa, frame, a + b, rm);
    }
    let (sign, diff) = if a >= b { (sa, a - b) } else { (sb, b - a) };
    if diff == 0 {
        return (f.zero(rm == RDN), 0);
    }
    round_pack(f, sign, frame, diff, rm)
}

pub fn add(f: Fmt, a: u64, b: u64, rm: u8) -> (u64, u32) {
    let x = unpack(f, a);
    let y = unpack(f, b);
    if is_nan(x.cls) || is_nan(y.cls) {
        return nan_result(f, &x, &y);
    }
    match (x.cls, y.cls) {
        (Cls::Inf, Cls::Inf) if x.sign != y.sign => return (f.canonical_nan(), NV),
        (Cls::Inf, _) => return (f.inf(x.sign), 0),
        (_, Cls::Inf) => return (f.inf(y.sign), 0),
        (Cls::Zero, Cls::Zero) => {
            let s = if x.sign == y.sign { x.sign } else { rm == RDN };
            return (f.zero(s), 0);
        }
        (Cls::Zero, _) => return (b & ((f.sign_bit() << 1).wrapping_sub(1)), 0),
        (_, Cls::Zero) => return (a & ((f.sign_bit() << 1).wrapping_sub(1)), 0),
        _ => {}
    }
    let top = x.exp.max(y.exp);
    let frame = top - 70;
    let xa = place(x.sig as u128, x.exp, frame);
    let ya = place(y.sig as u128, y.exp, frame);
    add_frames(f, x.sign, xa, y.sign, ya, frame, rm)
}

pub fn sub(f: Fmt, a: u64, b: u64, rm: u8) -> (u64, u32) {
    let y = unpack(f, b);
    if is_nan(y.cls) {
        // Keep the NaN (and its signalling-ness) as is.
        return add(f, a, b, rm);
    }
    add(f, a, b ^ f.sign_bit(), rm)
}

pub fn mul(f: Fmt, a: u64, b: u64, rm: u8) -> (u64, u32) {
    let x = unpack(f, a);
    let y = unpack(f, b);
    if is_nan(x.cls) || is_nan(y.cls) {
        return nan_result(f, &x, &y);
    }
    let sign = x.sign != y.sign;
    match (x.cls, y.cls) {
        (Cls::Inf, Cls::Zero) | (Cls::Zero, Cls::Inf) => return (f.canonical_nan(), NV),
        (Cls::Inf, _) | (_, Cls::Inf) => return (f.inf(sign), 0),
        (Cls::Zero, _) | (_, Cls::Zero) => return (f.zero(sign), 0),
        _ => {}
    }
    round_pack(f, sign, x.exp + y.exp, x.sig as u128 * y.sig as u128, rm)
}

pub fn div(f: Fmt, a: u64, b: u64, rm: u8) -> (u64, u32) {
    let x = unpack(f, a);
    let y = unpack(f, b);
    if is_nan(x.cls) || is_nan(y.cls) {
        return nan_result(f, &x, &y);
    }
    let sign = x.sign != y.sign;
    match (x.cls, y.cls) {
        (Cls::Inf, Cls::Inf) | (Cls::Zero, Cls::Zero) => return (f.canonical_nan(), NV),
        (Cls::Inf, _) => return (f.inf(sign), 0),
        (_, Cls::Inf) => return (f.zero(sign), 0),
        (Cls::Zero, _) => return (f.zero(sign), 0),
        (_, Cls::Zero) => return (f.inf(sign), DZ),
        _ => {}
    }
    let n = (x.sig as u128) << 64;
    let d = y.sig as u128;
    let q = n / d;
    let r = n % d;
    round_pack(f, sign, x.exp - y.exp - 64, q | (r != 0) as u128, rm)
}

fn isqrt(n: u128) -> u128 {
    if n == 0 {
        return 0;
    }
    let mut r = (n as f64).sqrt() as u128;
    if r == 0 {
        r = 1;
    }
    // One Newton step from a 53-bit estimate, then exact fix-up.
    r = (r + n / r) / 2;
    while r.checked_mul(r).is_none_or(|s| s > n) {
        r -= 1;
    }
    while (r + 1).checked_mul(r + 1).is_some_and(|s| s <= n) {
        r += 1;
    }
    r
}

pub fn sqrt(f: Fmt, a: u64, rm: u8) -> (u64, u32) {
    let x = unpack(f, a);
    match x.cls {
        Cls::SNan => return (f.canonical_nan(), NV),
        Cls::QNan => return (f.canonical_nan(), 0),
        Cls::Zero => return (a, 0),
        _ if x.sign => return (f.canonical_nan(), NV),
        Cls::Inf => return (a, 0),
        _ => {}
    }
    let mut s = 126 - f.p as i32;
    if (x.exp - s) & 1 != 0 {
        s += 1;
    }
    let n = (x.sig as u128) << s;
    let r = isqrt(n);
    let exact = r * r == n;
    round_pack(f, false, (x.exp - s) >> 1, r | (!exact) as u128, rm)
}

/// Fused multiply-add: (±a*b) ± c with a single rounding.
pub fn fma(f: Fmt, a: u64, b: u64, c: u64, neg_prod: bool, neg_c: bool, rm: u8) -> (u64, u32) {
    let x = unpack(f, a);
    let y = unpack(f, b);
    let mut z = unpack(f, c);
    z.sign ^= neg_c;
    let inf_zero = matches!(
        (x.cls, y.cls),
        (Cls::Inf, Cls::Zero) | (Cls::Zero, Cls::Inf)
    );
    if is_nan(x.cls) || is_nan(y.cls) || is_nan(z.cls) {
        let snan = [x.cls, y.cls, z.cls].contains(&Cls::SNan);
        // RISC-V: inf*0 raises NV even if the addend is a quiet NaN.
        return (f.canonical_nan(), if snan || inf_zero { NV } else { 0 });
    }
    if inf_zero {
        return (f.canonical_nan(), NV);
    }
    let sp = x.sign ^ y.sign ^ neg_prod;
    if x.cls == Cls::Inf || y.cls == Cls::Inf {
        if z.cls == Cls::Inf && z.sign != sp {
            return (f.canonical_nan(), NV);
        }
        return (f.inf(sp), 0);
    }
    if z.cls == Cls::Inf {
        return (f.inf(z.sign), 0);
    }
    if x.cls == Cls::Zero || y.cls == Cls::Zero {
        if z.cls == Cls::Zero {
            let s = if sp == z.sign { sp } else { rm == RDN };
            return (f.zero(s), 0);
        }
        return (f.signed(z.sign, c & (f.sign_bit() - 1)), 0);
    }
    let prod = x.sig as u128 * y.sig as u128;
    let pexp = x.exp + y.exp;
    if z.cls == Cls::Zero {
        return round_pack(f, sp, pexp, prod, rm);
    }
    let ptop = pexp + (127 - prod.leading_zeros() as i32);
    let ztop = z.exp + (f.p as i32 - 1);
    let frame = ptop.max(ztop) - 125;
    let pa = place(prod, pexp, frame);
    let za = place(z.sig as u128, z.exp, frame);
    add_frames(f, sp, pa, z.sign, za, frame, rm)
}

/// fmin/fmax (IEEE 754-2019 minimumNumber/maximumNumber, -0 < +0).
pub fn minmax(f: Fmt, a: u64, b: u64, max: bool) -> (u64, u32) {
    let x = unpack(f, a);
    let y = unpack(f, b);
    let flags = if x.cls == Cls::SNan || y.cls == Cls::SNan {
        NV
    } else {
        0
    };
    match (is_nan(x.cls), is_nan(y.cls)) {
        (true, true) => return (f.canonical_nan(), flags),
        (true, false) => return (b, flags),
        (false, true) => return (a, flags),
        _ => {}
    }
    let ka = order_key(f, a);
    let kb = order_key(f, b);
    let pick_a = if max { ka >= kb } else { ka <= kb };
    (if pick_a { a } else { b }, flags)
}

/// Monotonic integer key for non-NaN values (-0 sorts below +0).
#[inline]
fn order_key(f: Fmt, v: u64) -> i64 {
    let mag = (v & (f.sign_bit() - 1)) as i64;
    if v & f.sign_bit() != 0 {
        -mag - 1
    } else {
        mag
    }
}

/// feq (quiet), flt/fle (signalling). Returns (result, flags).
#[inline]
pub fn compare(f: Fmt, a: u64, b: u64, op: Cmp) -> (bool, u32) {
    // Without NaNs no flag can be raised and the host comparison is exact.
    let (hx, hy) = if f.w == 64 {
        (f64::from_bits(a), f64::from_bits(b))
    } else {
        (
            f32::from_bits(a as u32) as f64,
            f32::from_bits(b as u32) as f64,
        )
    };
    if !hx.is_nan() && !hy.is_nan() {
        let r = match op {
            Cmp::Eq => hx == hy,
            Cmp::Lt => hx < hy,
            Cmp::Le => hx <= hy,
        };
        return (r, 0);
    }
    compare_nan(f, a, b, op)
}

#[cold]
fn compare_nan(f: Fmt, a: u64, b: u64, op: Cmp) -> (bool, u32) {
    let x = unpack(f, a);
    let y = unpack(f, b);
    if is_nan(x.cls) || is_nan(y.cls) {
        let nv = match op {
            Cmp::Eq => x.cls == Cls::SNan || y.cls == Cls::SNan,
            _ => true,
        };
        return (false, if nv { NV } else { 0 });
    }
    let (ka, kb) = if x.cls == Cls::Zero && y.cls == Cls::Zero {
        (0, 0)
    } else {
        (order_key(f, a), order_key(f, b))
    };
    let r = match op {
        Cmp::Eq => ka == kb,
        Cmp::Lt => ka < kb,
        Cmp::Le => ka <= kb,
    };
    (r, 0)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Lt,
    Le,
}

pub fn classify(f: Fmt, a: u64) -> u64 {
    let x = unpack(f, a);
    let subnormal = (a >> (f.p - 1)) & f.exp_field_max() == 0;
    let bit = match x.cls {
        Cls::Inf => {
            if x.sign {
                0
            } else {
                7
            }
        }
        Cls::Zero => {
            if x.sign {
                3
            } else {
                4
            }
        }
        Cls::Finite if subnormal => {
            if x.sign {
                2
            } else {
                5
            }
        }
        Cls::Finite => {
            if x.sign {
                1
            } else {
                6
            }
        }
        Cls::SNan => 8,
        Cls::QNan => 9,
    };
    1 << bit
}

/// Float to integer (`bits` = 32 or 64), saturating, with RISC-V NaN rules.
/// The result is sign-extended to 64 bits for 32-bit widths.
pub fn to_int(f: Fmt, a: u64, signed: bool, bits: u32, rm: u8) -> (u64, u32) {
    let x = unpack(f, a);
    let (min, max): (i128, i128) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    let out = |v: i128| -> u64 {
        if bits == 32 {
            v as u32 as i32 as i64 as u64
        } else {
            v as u64
        }
    };
    match x.cls {
        Cls::QNan | Cls::SNan => return (out(max), NV),
        Cls::Inf => return (out(if x.sign { min } else { max }), NV),
        Cls::Zero => return (0, 0),
        Cls::Finite => {}
    }
    let (mag, inexact) = if x.exp >= 0 {
        if x.exp > 70 {
            (u128::MAX, false)
        } else {
            ((x.sig as u128) << x.exp, false)
        }
    } else {
        round_shift(x.sig as u128, -x.exp, x.sign, rm)
    };
    if mag == 0 {
        return (0, if inexact { NX } else { 0 });
    }
    let v: i128 = if mag > (1u128 << 100) {
        if x.sign {
            i128::MIN
        } else {
            i128::MAX
        }
    } else if x.sign {
        -(mag as i128)
    } else {
        mag as i128
    };
    if v < min || v > max {
        return (out(if x.sign { min } else { max }), NV);
    }
    (out(v), if inexact { NX } else { 0 })
}

/// Integer (`bits` = 32 or 64, from the low bits of `v`) to float.
pub fn from_int(f: Fmt, v: u64, signed: bool, bits: u32, rm: u8) -> (u64, u32) {
    let (neg, mag) = match (signed, bits) {
        (true, 32) => {
            let s = v as u32 as i32 as i64;
            (s < 0, s.unsigned_abs())
        }
        (false, 32) => (false, v as u32 as u64),
        (true, _) => {
            let s = v as i64;
            (s < 0, s.unsigned_abs())
        }
        (false, _) => (false, v),
    };
    if mag == 0 {
        return (0, 0);
    }
    round_pack(f, neg, 0, mag as u128, rm)
}

/// fcvt.s.d
pub fn f64_to_f32(a: u64, rm: u8) -> (u64, u32) {
    let x = unpack(F64, a);
    match x.cls {
        Cls::SNan => (CANON_NAN_S, NV),
        Cls::QNan => (CANON_NAN_S, 0),
        Cls::Inf => (F32.inf(x.sign), 0),
        Cls::Zero => (F32.zero(x.sign), 0),
        Cls::Finite => round_pack(F32, x.sign, x.exp, x.sig as u128, rm),
    }
}

/// fcvt.d.s (exact)
pub fn f32_to_f64(a: u64) -> (u64, u32) {
    let x = unpack(F32, a);
    match x.cls {
        Cls::SNan => (CANON_NAN_D, NV),
        Cls::QNan => (CANON_NAN_D, 0),
        Cls::Inf => (F64.inf(x.sign), 0),
        Cls::Zero => (F64.zero(x.sign), 0),
        Cls::Finite => round_pack(F64, x.sign, x.exp, x.sig as u128, RNE),
    }
}

// ------------------------------------------------------------- fast paths

#[inline(always)]
fn zon64(x: f64) -> bool {
    x.is_normal() || x == 0.0
}
#[inline(always)]
fn zon32(x: f32) -> bool {
    x.is_normal() || x == 0.0
}

/// Binary op kinds with a hardfloat fast path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bin {
    Add,
    Sub,
    Mul,
    Div,
}

/// The hardfloat fast path of [`bin_d`] alone: the exact result if it
/// applies, for a caller that checked that the mode is RNE and NX is set.
/// No calls (the dispatch loop inlines it).
#[inline(always)]
pub fn bin_d_fast(op: Bin, a: u64, b: u64) -> Option<u64> {
    let (x, y) = (f64::from_bits(a), f64::from_bits(b));
    if zon64(x) && zon64(y) {
        let r = match op {
            Bin::Add => x + y,
            Bin::Sub => x - y,
            Bin::Mul => x * y,
            Bin::Div => {
                if y == 0.0 {
                    f64::NAN
                } else {
                    x / y
                }
            }
        };
        if r.is_finite() && r.abs() > f64::MIN_POSITIVE {
            return Some(r.to_bits());
        }
    }
    None
}

/// Like [`bin_d_fast`] for binary32 (`a`, `b` unboxed; the result unboxed).
#[inline(always)]
pub fn bin_s_fast(op: Bin, a: u64, b: u64) -> Option<u64> {
    let (x, y) = (f32::from_bits(a as u32), f32::from_bits(b as u32));
    if zon32(x) && zon32(y) {
        let r = match op {
            Bin::Add => x + y,
            Bin::Sub => x - y,
            Bin::Mul => x * y,
            Bin::Div => {
                if y == 0.0 {
                    f32::NAN
                } else {
                    x / y
                }
            }
        };
        if r.is_finite() && r.abs() > f32::MIN_POSITIVE {
            return Some(r.to_bits() as u64);
        }
    }
    None
}

/// The fast path of [`sqrt_d`] alone (see [`bin_d_fast`]).
#[inline(always)]
pub fn sqrt_d_fast(a: u64) -> Option<u64> {
    let x = f64::from_bits(a);
    (x.is_normal() && x > 0.0).then(|| x.sqrt().to_bits())
}

/// A quiet (`feq`) or signaling (`flt`/`fle`) comparison of two binary64
/// values that are not NaN: no flags. None for NaNs.
#[inline(always)]
pub fn compare_d_fast(a: u64, b: u64, op: Cmp) -> Option<bool> {
    let (x, y) = (f64::from_bits(a), f64::from_bits(b));
    if x.is_nan() || y.is_nan() {
        return None;
    }
    Some(match op {
        Cmp::Eq => x == y,
        Cmp::Lt => x < y,
        Cmp::Le => x <= y,
    })
}

#[inline(always)]
pub fn bin_d(op: Bin, a: u64, b: u64, rm: u8, fcsr: &mut u32) -> u64 {
    if rm == RNE && *fcsr & NX != 0 {
        if let Some(r) = bin_d_fast(op, a, b) {
            return r;
        }
    }
    bin_slow(F64, op, a, b, rm, fcsr)
}

#[inline(always)]
pub fn bin_s(op: Bin, a: u64, b: u64, rm: u8, fcsr: &mut u32) -> u64 {
    if rm == RNE && *fcsr & NX != 0 {
        if let Some(r) = bin_s_fast(op, a, b) {
            return r;
        }
    }
    bin_slow(F32, op, a, b, rm, fcsr)
}

#[inline(never)]
fn bin_slow(f: Fmt, op: Bin, a: u64, b: u64, rm: u8, fcsr: &mut u32) -> u64 {
    let (r, fl) = match op {
        Bin::Add => add(f, a, b, rm),
        Bin::Sub => sub(f, a, b, rm),
        Bin::Mul => mul(f, a, b, rm),
        Bin::Div => div(f, a, b, rm),
    };
    *fcsr |= fl;
    r
}

#[inline]
pub fn sqrt_d(a: u64, rm: u8, fcsr: &mut u32) -> u64 {
    if rm == RNE && *fcsr & NX != 0 {
        let x = f64::from_bits(a);
        if x.is_normal() && x > 0.0 {
            return x.sqrt().to_bits();
        }
    }
    let (r, fl) = sqrt(F64, a, rm);
    *fcsr |= fl;
    r
}

#[inline]
pub fn sqrt_s(a: u64, rm: u8, fcsr: &mut u32) -> u64 {
    if rm == RNE && *fcsr & NX != 0 {
        let x = f32::from_bits(a as u32);
        if x.is_normal() && x > 0.0 {
            return x.sqrt().to_bits() as u64;
        }
    }
    let (r, fl) = sqrt(F32, a, rm);
    *fcsr |= fl;
    r
}

/// Fused multiply-add with the hardfloat fast path (binary64).
#[inline]
pub fn fma_d(a: u64, b: u64, c: u64, np: bool, nc: bool, rm: u8, fcsr: &mut u32) -> u64 {
    if rm == RNE && *fcsr & NX != 0 {
        let (x, y, z) = (f64::from_bits(a), f64::from_bits(b), f64::from_bits(c));
        if zon64(x) && zon64(y) && zon64(z) {
            let x = if np { -x } else { x };
            let z = if nc { -z } else { z };
            // fma is correctly rounded (IEEE), so RNE results are exact.
            let r = x.mul_add(y, z);
            if r.is_finite() && r.abs() > f64::MIN_POSITIVE {
                return r.to_bits();
            }
        }
    }
    let (r, fl) = fma(F64, a, b, c, np, nc, rm);
    *fcsr |= fl;
    r
}

/// Fused multiply-add with the hardfloat fast path (binary32; the f64
/// product of two singles is exact, so one f64 add would double-round:
/// use the f32 fma).
#[inline]
pub fn fma_s(a: u64, b: u64, c: u64, np: bool, nc: bool, rm: u8, fcsr: &mut u32) -> u64 {
    if rm == RNE && *fcsr & NX != 0 {
        let (x, y, z) = (
            f32::from_bits(a as u32),
            f32::from_bits(b as u32),
            f32::from_bits(c as u32),
        );
        if zon32(x) && zon32(y) && zon32(z) {
            let x = if np { -x } else { x };
            let z = if nc { -z } else { z };
            let r = x.mul_add(y, z);
            if r.is_finite() && r.abs() > f32::MIN_POSITIVE {
                return r.to_bits() as u64;
            }
        }
    }
    let (r, fl) = fma(F32, a, b, c, np, nc, rm);
    *fcsr |= fl;
    r
}

#[cfg(test)]
mod tests;
