//! Soft-float unit tests. `QEMU_VECTORS` were produced by qemu-riscv64 7.2
//! (one per op x rounding mode x UF/OF/NV outcome) from random operands.

use super::*;

fn unbox(v: u64) -> u64 {
    if v >> 32 == 0xffff_ffff {
        v & 0xffff_ffff
    } else {
        CANON_NAN_S
    }
}

fn eval(op: &str, rm: u8, a: u64, b: u64, c: u64) -> (u64, u32) {
    let s = op.ends_with(".s");
    let f = if s { F32 } else { F64 };
    let (a, b, c) = if s {
        (unbox(a), unbox(b), unbox(c))
    } else {
        (a, b, c)
    };
    let (r, fl) = match op.split('.').next().unwrap_or("") {
        "fadd" => add(f, a, b, rm),
        "fsub" => sub(f, a, b, rm),
        "fmul" => mul(f, a, b, rm),
        "fdiv" => div(f, a, b, rm),
        "fsqrt" => sqrt(f, a, rm),
        "fmadd" => fma(f, a, b, c, false, false, rm),
        "fmsub" => fma(f, a, b, c, false, true, rm),
        "fnmsub" => fma(f, a, b, c, true, false, rm),
        "fnmadd" => fma(f, a, b, c, true, true, rm),
        "fcvt" => {
            return (
                f64_to_f32(a, rm).0 | 0xffff_ffff_0000_0000,
                f64_to_f32(a, rm).1,
            )
        }
        _ => panic!("{op}"),
    };
    (if s { r | 0xffff_ffff_0000_0000 } else { r }, fl)
}

#[test]
fn qemu_vectors() {
    for &(op, rm, a, b, c, want, flags) in QEMU_VECTORS {
        let got = eval(op, rm, a, b, c);
        assert_eq!(got, (want, flags), "{op} rm={rm} {a:#x} {b:#x} {c:#x}");
    }
}

#[test]
fn fast_paths_agree_with_soft() {
    // With NX already set and RNE the host FPU is used; results must match.
    let vals = [
        1.0f64,
        3.0,
        0.1,
        -7.5,
        1e300,
        1e-300,
        2.2250738585072014e-308,
        123456.789,
    ];
    for &x in &vals {
        for &y in &vals {
            for op in [Bin::Add, Bin::Sub, Bin::Mul, Bin::Div] {
                let mut fast = NX;
                let r = bin_d(op, x.to_bits(), y.to_bits(), RNE, &mut fast);
                let mut slow = NX;
                let r2 = bin_slow(F64, op, x.to_bits(), y.to_bits(), RNE, &mut slow);
                assert_eq!((r, fast), (r2, slow), "{op:?} {x} {y}");
                let (xs, ys) = ((x as f32).to_bits() as u64, (y as f32).to_bits() as u64);
                let mut fast = NX;
                let r = bin_s(op, xs, ys, RNE, &mut fast);
                let mut slow = NX;
                let r2 = bin_slow(F32, op, xs, ys, RNE, &mut slow);
                assert_eq!((r, fast), (r2, slow), "{op:?} {x} {y} (single)");
            }
        }
    }
}

#[test]
fn tininess_after_rounding() {
    // (1 - 2^-53) * 2^-1022 lies halfway between the largest subnormal and
    // MIN; RNE rounds to MIN, but with unbounded exponent it is exact and
    // below MIN, so it is tiny: UF | NX.
    let min = f64::MIN_POSITIVE.to_bits();
    assert_eq!(mul(F64, 0x3fef_ffff_ffff_ffff, min, RNE), (min, UF | NX));
    // RTZ gives the largest subnormal.
    assert_eq!(
        mul(F64, 0x3fef_ffff_ffff_ffff, min, RTZ),
        (min - 1, UF | NX)
    );
    // Exact subnormal results raise nothing.
    assert_eq!(mul(F64, 0x3fe0_0000_0000_0000, min, RNE), (min >> 1, 0));
    // (1 - 2^-24)^2 * 2^-126 in single: tiny and inexact.
    let (r, fl) = mul(F32, 0x3f7f_ffff, 0x0080_0000, RUP);
    assert_eq!((r, fl), (0x0080_0000, UF | NX));
}

#[test]
fn overflow_by_mode() {
    let max = f64::MAX.to_bits();
    let two = 2.0f64.to_bits();
    let neg = |v: u64| v | 1 << 63;
    assert_eq!(mul(F64, max, two, RNE), (f64::INFINITY.to_bits(), OF | NX));
    assert_eq!(mul(F64, max, two, RTZ), (max, OF | NX));
    assert_eq!(mul(F64, max, two, RDN), (max, OF | NX));
    assert_eq!(mul(F64, max, two, RUP), (f64::INFINITY.to_bits(), OF | NX));
    assert_eq!(
        mul(F64, neg(max), two, RDN),
        (f64::NEG_INFINITY.to_bits(), OF | NX)
    );
    assert_eq!(mul(F64, neg(max), two, RUP), (neg(max), OF | NX));
    assert_eq!(
        mul(F64, neg(max), two, RMM),
        (f64::NEG_INFINITY.to_bits(), OF | NX)
    );
    // MAX + 1ulp/2 rounds (RNE) to infinity, in RTZ stays MAX without OF
    // only if the exact value is below 2^1024.
    let half_ulp = 2f64.powi(970).to_bits();
    assert_eq!(
        add(F64, max, half_ulp, RNE),
        (f64::INFINITY.to_bits(), OF | NX)
    );
    assert_eq!(add(F64, max, half_ulp, RTZ), (max, NX));
}

#[test]
fn conversions() {
    assert_eq!(to_int(F64, 0.5f64.to_bits(), true, 32, RNE), (0, NX));
    assert_eq!(to_int(F64, 1.5f64.to_bits(), true, 32, RNE), (2, NX));
    assert_eq!(to_int(F64, (-1.5f64).to_bits(), false, 64, RTZ), (0, NV));
    assert_eq!(to_int(F64, (-0.75f64).to_bits(), false, 64, RTZ), (0, NX));
    assert_eq!(to_int(F64, (-1.5f64).to_bits(), false, 64, RNE), (0, NV));
    assert_eq!(
        to_int(F64, 9.3e18f64.to_bits(), true, 64, RNE),
        (i64::MAX as u64, NV)
    );
    assert_eq!(
        to_int(
            F64,
            (-9.223_372_036_854_776e18_f64).to_bits(),
            true,
            64,
            RNE
        ),
        (i64::MIN as u64, 0)
    );
    assert_eq!(to_int(F32, 0x4f80_0000, false, 32, RNE), (u64::MAX, NV)); // 2^32
    assert_eq!(
        to_int(F32, 0x4f7f_ffff, false, 32, RNE),
        (0xffff_ffff_ffff_ff00, 0)
    );
    assert_eq!(
        from_int(F64, u64::MAX, true, 64, RNE),
        ((-1.0f64).to_bits(), 0)
    );
    assert_eq!(from_int(F32, 0x8000_0000, true, 32, RNE), (0xcf00_0000, 0));
    assert_eq!(
        from_int(F32, 0xffff_ffff, false, 32, RNE),
        (0x4f80_0000, NX)
    );
    assert_eq!(
        from_int(F32, 0xffff_ffff, false, 32, RTZ),
        (0x4f7f_ffff, NX)
    );
    assert_eq!(f32_to_f64(1), (0x36a0_0000_0000_0000, 0)); // smallest subnormal single
    assert_eq!(f64_to_f32(0x36a0_0000_0000_0000, RNE), (1, 0));
    assert_eq!(f64_to_f32(0x3690_0000_0000_0000, RNE), (0, UF | NX)); // half of it: tie to even 0
    assert_eq!(f64_to_f32(0x3690_0000_0000_0000, RUP), (1, UF | NX));
}

#[test]
fn isqrt_exact() {
    for n in [
        0u128,
        1,
        2,
        3,
        4,
        15,
        16,
        17,
        u64::MAX as u128,
        u128::MAX,
        (1u128 << 126) - 1,
    ] {
        let r = isqrt(n);
        assert!(r * r <= n, "{n}");
        assert!((r + 1).checked_mul(r + 1).is_none_or(|s| s > n), "{n}");
    }
}

#[test]
fn min_max_compare_class() {
    let q = CANON_NAN_D;
    let snan = 0x7ff0_0000_0000_0001;
    assert_eq!(minmax(F64, q, snan, false), (q, NV));
    assert_eq!(
        minmax(F64, 1.0f64.to_bits(), q, true),
        (1.0f64.to_bits(), 0)
    );
    assert_eq!(compare(F64, q, q, Cmp::Eq), (false, 0));
    assert_eq!(compare(F64, q, q, Cmp::Le), (false, NV));
    assert_eq!(classify(F32, 0x7fc0_0001), 1 << 9);
    assert_eq!(classify(F32, 0x7f80_0001), 1 << 8);
    assert_eq!(classify(F32, 0x8000_0001), 1 << 2);
}

type Vector = (&'static str, u8, u64, u64, u64, u64, u32);

#[rustfmt::skip]
const QEMU_VECTORS: &[Vector] = &[
    ("fadd.d", 0, 0x000b4b470cbd6150, 0x7fefffffffffffff, 0x0, 0x7fefffffffffffff, 1),
    ("fadd.d", 1, 0x6cfe43fe6b30c534, 0xb7784615489adced, 0x0, 0x6cfe43fe6b30c533, 1),
    ("fadd.d", 2, 0x8000000000000000, 0x7fb7036dbe322637, 0x0, 0x7fb7036dbe322637, 0),
    ("fadd.d", 3, 0xcdc8d64a46660512, 0x43e0000000000000, 0x0, 0xcdc8d64a46660511, 1),
    ("fadd.d", 4, 0x62081805f1f0d2f3, 0xe46aeb55e0c861c9, 0x0, 0xe46aeb55e0c80169, 1),
    ("fadd.d", 0, 0xfff0000000000001, 0xd738650b4565689c, 0x0, 0x7ff8000000000000, 16),
    ("fadd.d", 1, 0x7ff8000000000000, 0x7ff0000000000001, 0x0, 0x7ff8000000000000, 16),
    ("fadd.d", 2, 0x7ff0000000000001, 0x40460d0a9f277192, 0x0, 0x7ff8000000000000, 16),
    ("fadd.d", 3, 0xb3998766c7eeccc0, 0x7ff0000000000001, 0x0, 0x7ff8000000000000, 16),
    ("fadd.d", 4, 0x7ff0000000000001, 0x001d2fea1b43cb35, 0x0, 0x7ff8000000000000, 16),
    ("fadd.d", 0, 0x7fc0c4d139998a32, 0x7fefd4d74e3db63c, 0x0, 0x7ff0000000000000, 5),
    ("fadd.d", 1, 0xffef81bfd9efe23c, 0xffd89003d9f9c888, 0x0, 0xffefffffffffffff, 5),
    ("fadd.d", 2, 0x7fefffffffffffff, 0x7fb85bf7f7a9262b, 0x0, 0x7fefffffffffffff, 5),
    ("fadd.d", 3, 0x7fefffffffffffff, 0x43f0000000000000, 0x0, 0x7ff0000000000000, 5),
    ("fadd.d", 4, 0xffecc663b7a50c81, 0xffd39f396ed75251, 0x0, 0xfff0000000000000, 5),
    ("fadd.s", 0, 0xffffffff3f7fffff, 0xffffffff3f000000, 0x0, 0xffffffff3fc00000, 1),
    ("fadd.s", 1, 0xffffffff80000003, 0xffffffff00400000, 0x0, 0xffffffff003ffffd, 0),
    ("fadd.s", 2, 0xffffffff40200003, 0xffffffff7f4e71ac, 0x0, 0xffffffff7f4e71ac, 1),
    ("fadd.s", 3, 0xffffffff9b0b53d4, 0xffffffffbc91a6d3, 0x0, 0xffffffffbc91a6d3, 1),
    ("fadd.s", 4, 0xffffffff3787eae1, 0xffffffff59e63447, 0x0, 0xffffffff59e63447, 1),
    ("fadd.s", 0, 0xffffffff0042d97c, 0xffffffff7f89a349, 0x0, 0xffffffff7fc00000, 16),
    ("fadd.s", 1, 0xffffffff565c1148, 0xffffffff7f800003, 0x0, 0xffffffff7fc00000, 16),
    ("fadd.s", 2, 0xffffffff7f800001, 0xffffffff00b7de49, 0x0, 0xffffffff7fc00000, 16),
    ("fadd.s", 3, 0xffffffff7f800001, 0xffffffff7f800003, 0x0, 0xffffffff7fc00000, 16),
    ("fadd.s", 4, 0xffffffff7f800002, 0xfffffffffec65db4, 0x0, 0xffffffff7fc00000, 16),
    ("fadd.s", 0, 0xffffffff7f7ffffe, 0xffffffff7eaf6dea, 0x0, 0xffffffff7f800000, 5),
    ("fadd.s", 1, 0xffffffff7f6c3c79, 0xffffffff7f24966e, 0x0, 0xffffffff7f7fffff, 5),
    ("fadd.s", 2, 0xffffffff7f6c3c79, 0xffffffff7f24966e, 0x0, 0xffffffff7f7fffff, 5),
    ("fadd.s", 3, 0xffffffff400b32f8, 0xffffffff7f7fffff, 0x0, 0xffffffff7f800000, 5),
    ("fadd.s", 4, 0xffffffff7f000000, 0xffffffff7f7fffff, 0x0, 0xffffffff7f800000, 5),
    ("fcvt.s.d", 0, 0x41efffffffe00002, 0x0, 0x0, 0xffffffff4f800000, 1),
    ("fcvt.s.d", 1, 0xbff0000000000000, 0x0, 0x0, 0xffffffffbf800000, 0),
    ("fcvt.s.d", 2, 0x3e957e17dc43fb68, 0x0, 0x0, 0xffffffff34abf0be, 1),
    ("fcvt.s.d", 3, 0xbff0000000000000, 0x0, 0x0, 0xffffffffbf800000, 0),
    ("fcvt.s.d", 4, 0xbe2ebbfafa466b62, 0x0, 0x0, 0xffffffffb175dfd8, 1),
    ("fcvt.s.d", 0, 0x7ff0000000000001, 0x0, 0x0, 0xffffffff7fc00000, 16),
    ("fcvt.s.d", 1, 0x7ff0000000000001, 0x0, 0x0, 0xffffffff7fc00000, 16),
    ("fcvt.s.d", 2, 0x7ff0000000000001, 0x0, 0x0, 0xffffffff7fc00000, 16),
    ("fcvt.s.d", 3, 0x7ff0000000000001, 0x0, 0x0, 0xffffffff7fc00000, 16),
    ("fcvt.s.d", 4, 0x7ff0000000000001, 0x0, 0x0, 0xffffffff7fc00000, 16),
    ("fcvt.s.d", 0, 0xe0af6e02a6c08d55, 0x0, 0x0, 0xffffffffff800000, 5),
    ("fcvt.s.d", 1, 0x7fefffffffffffff, 0x0, 0x0, 0xffffffff7f7fffff, 5),
    ("fcvt.s.d", 2, 0x7fefffffffffffff, 0x0, 0x0, 0xffffffff7f7fffff, 5),
    ("fcvt.s.d", 3, 0x70e6656f9c2bb82f, 0x0, 0x0, 0xffffffff7f800000, 5),
    ("fcvt.s.d", 4, 0x7c2c662fe4edadc1, 0x0, 0x0, 0xffffffff7f800000, 5),
    ("fcvt.s.d", 0, 0x08d227e2fea40b97, 0x0, 0x0, 0xffffffff00000000, 3),
    ("fcvt.s.d", 1, 0x000ffffffffffffc, 0x0, 0x0, 0xffffffff00000000, 3),
    ("fcvt.s.d", 2, 0x1a5851f56c860b0b, 0x0, 0x0, 0xffffffff00000000, 3),
    ("fcvt.s.d", 3, 0x85a60d6cecc9ebc0, 0x0, 0x0, 0xffffffff80000000, 3),
    ("fcvt.s.d", 4, 0x1cfe2eba1a128ea1, 0x0, 0x0, 0xffffffff00000000, 3),
    ("fdiv.d", 0, 0x7fb136890738e40f, 0xc313f8130d9805c5, 0x0, 0xfc8b95631f56a072, 1),
    ("fdiv.d", 1, 0x7ff8000000000002, 0xc1e0000000000000, 0x0, 0x7ff8000000000000, 0),
    ("fdiv.d", 2, 0xc004000000000000, 0x82e4f6c70f18d12f, 0x0, 0x7d0e874fd0de30e0, 1),
    ("fdiv.d", 3, 0x7fefffffffffffff, 0x7fe0000000000000, 0x0, 0x3fffffffffffffff, 0),
    ("fdiv.d", 4, 0x801a816c3dc90101, 0x3fc32d48b468ea65, 0x0, 0x80461d5543e48279, 1),
    ("fdiv.d", 0, 0x7ff0000000000003, 0x7fd148c0aa5fa8b4, 0x0, 0x7ff8000000000000, 16),
    ("fdiv.d", 1, 0x7fc7ee826ce78b68, 0x7ff0000000000001, 0x0, 0x7ff8000000000000, 16),
    ("fdiv.d", 2, 0xfff0000000000003, 0x7ff0000000000000, 0x0, 0x7ff8000000000000, 16),
    ("fdiv.d", 3, 0x7ff0000000000001, 0x801e70566fc6af55, 0x0, 0x7ff8000000000000, 16),
    ("fdiv.d", 4, 0x7ff0000000000001, 0x3ff0000000000000, 0x0, 0x7ff8000000000000, 16),
    ("fdiv.d", 0, 0xffb1db8902311e17, 0x0008000000000000, 0x0, 0xfff0000000000000, 5),
    ("fdiv.d", 1, 0xffdf2b2d9858b39e, 0x3e4ed59f8a714011, 0x0, 0xffefffffffffffff, 5),
    ("fdiv.d", 2, 0x69396b313a88251e, 0x00095e2ecc1c78b1, 0x0, 0x7fefffffffffffff, 5),
    ("fdiv.d", 3, 0xc1e0000000000001, 0x0000000000000001, 0x0, 0xffefffffffffffff, 5),
    ("fdiv.d", 4, 0x43e0000000000003, 0x8001397f6c9060a6, 0x0, 0xfff0000000000000, 5),
    ("fdiv.d", 0, 0x4004000000000003, 0xffe455c24200bce5, 0x0, 0x800fbc85ee304440, 3),
    ("fdiv.d", 1, 0x0000000000000001, 0xc004000000000000, 0x0, 0x8000000000000000, 3),
    ("fdiv.d", 2, 0x80044fa16f30a4cc, 0xffc7457043f9df28, 0x0, 0x0000000000000000, 3),
    ("fdiv.d", 3, 0x3eb97e73f087c63c, 0x7fbfeea42c52326b, 0x0, 0x000000033189f95e, 3),
    ("fdiv.d", 4, 0xbf9d7f2f0bdc6cf7, 0x7fd78f608bddf411, 0x0, 0x800050207eca52b1, 3),
    ("fdiv.s", 0, 0xffffffff7f000000, 0xffffffff7f35a5d1, 0x0, 0xffffffff3f3464a4, 1),
    ("fdiv.s", 1, 0xffffffff00da6d8f, 0xffffffff80b67921, 0x0, 0xffffffffbf9938a8, 1),
    ("fdiv.s", 2, 0xffffffff5f000002, 0xffffffffff4631e0, 0x0, 0xffffffff9f255513, 1),
    ("fdiv.s", 3, 0xffffffff7f800000, 0xffffffff007fffff, 0x0, 0xffffffff7f800000, 0),
    ("fdiv.s", 4, 0xffffffff1d10e9d4, 0xffffffff31f5d4bd, 0x0, 0xffffffff2a96e869, 1),
    ("fdiv.s", 0, 0xffffffffe7d4dff7, 0xffffffff7f800001, 0x0, 0xffffffff7fc00000, 16),
    ("fdiv.s", 1, 0xffffffff000326a4, 0xffffffff7f800001, 0x0, 0xffffffff7fc00000, 16),
    ("fdiv.s", 2, 0xffffffff7e210114, 0xffffffff7f800001, 0x0, 0xffffffff7fc00000, 16),
    ("fdiv.s", 3, 0xffffffff45382ba7, 0xffffffff7f800001, 0x0, 0xffffffff7fc00000, 16),
    ("fdiv.s", 4, 0xffffffff00b6053b, 0xffffffff7f800001, 0x0, 0xffffffff7fc00000, 16),
    ("fdiv.s", 0, 0xffffffffbe5a724d, 0xffffffff00000001, 0x0, 0xffffffffff800000, 5),
    ("fdiv.s", 1, 0xfffffffffbad5d06, 0xffffffff00c62230, 0x0, 0xffffffffff7fffff, 5),
    ("fdiv.s", 2, 0xffffffffb89ba0c7, 0xffffffff00000002, 0x0, 0xffffffffff800000, 5),
    ("fdiv.s", 3, 0xffffffff7f000000, 0xffffffffb09dfd4d, 0x0, 0xffffffffff7fffff, 5),
    ("fdiv.s", 4, 0xffffffffc7fddf5a, 0xffffffff004ae600, 0x0, 0xffffffffff800000, 5),
    ("fdiv.s", 0, 0xffffffff00e23eb8, 0xfffffffffed5432c, 0x0, 0xffffffff80000000, 3),
    ("fdiv.s", 1, 0xffffffff3100ca49, 0xffffffff7e88f82e, 0x0, 0xffffffff00000000, 3),
    ("fdiv.s", 2, 0xffffffff40200000, 0xffffffff7f4d511c, 0x0, 0xffffffff0063bf8e, 3),
    ("fdiv.s", 3, 0xffffffff00800000, 0xffffffff3f800001, 0x0, 0xffffffff00800000, 3),
    ("fdiv.s", 4, 0xffffffff00400003, 0xffffffff7f000000, 0x0, 0xffffffff00000000, 3),
    ("fmadd.d", 0, 0x3094f2336b97ca3e, 0x7fefffffffffffff, 0xffef6f762aa5612a, 0xffef6f762aa5612a, 1),
    ("fmadd.d", 1, 0x690710e6e16a78e2, 0xc34264e7157f89fa, 0x43f0000000000000, 0xec5a847a839c03fc, 1),
    ("fmadd.d", 2, 0xffdae78f8fa16401, 0x0015c2342f79e119, 0x42a1b55805b8a6b2, 0x42a1b55805b8a21f, 1),
    ("fmadd.d", 3, 0x600b73f4f45ec745, 0xbcd59af19bf97b5c, 0x6489adbbcded7a80, 0x6489adbbcded7a80, 1),
    ("fmadd.d", 4, 0x8014d342fd1a3719, 0x700ff969cf60893d, 0x37f08803ae55d7e1, 0x37f08803ae55d7e1, 1),
    ("fmadd.d", 0, 0xc3e0000000000000, 0xffb3603cd234bb6d, 0xfff0000000000002, 0x7ff8000000000000, 16),
    ("fmadd.d", 1, 0xffebefd1032cfd7e, 0x7ff0000000000001, 0x94a47aad5c7ddb92, 0x7ff8000000000000, 16),
    ("fmadd.d", 2, 0xfff0000000000001, 0x800dbe3aba0ce0ce, 0x59bbdcc7cceac75a, 0x7ff8000000000000, 16),
    ("fmadd.d", 3, 0x4167e794277d22be, 0xffdb706a723c26ec, 0x7ff0000000000001, 0x7ff8000000000000, 16),
    ("fmadd.d", 4, 0x7ff0000000000002, 0xf3ab91a3c8d4bfe1, 0xdad36271b1a4ecc3, 0x7ff8000000000000, 16),
    ("fmadd.d", 0, 0xc1e0000000000000, 0xffc8a8612f93e872, 0x0008c89480abe241, 0x7ff0000000000000, 5),
    ("fmadd.d", 1, 0xc1e0000000000000, 0x7fe22e84501c348d, 0xc354fe7c48ad3314, 0xffefffffffffffff, 5),
    ("fmadd.d", 2, 0x7fe0000000000000, 0xffb73ea3ebb7fa07, 0xbf0b48e3ae46fe09, 0xfff0000000000000, 5),
    ("fmadd.d", 3, 0xffc98070c4cef6eb, 0x7fcfec623ee9facb, 0x7feffffffffffffe, 0xffefffffffffffff, 5),
    ("fmadd.d", 4, 0x7fefffffffffffff, 0xffcd1a7ded024e66, 0x80040da7f635380b, 0xfff0000000000000, 5),
    ("fmadd.d", 0, 0x078e57a04aae3731, 0xb36af2abcb5c7dd1, 0x8000000000000000, 0x8000000000000000, 3),
    ("fmadd.d", 1, 0x0000000000000001, 0x3f6bdfb38cb78ac9, 0x80022d304ed54a73, 0x80022d304ed54a72, 3),
    ("fmadd.d", 2, 0x80095696c3862a99, 0x801bea15ff7482cd, 0x8000000000000000, 0x0000000000000000, 3),
    ("fmadd.d", 3, 0x801af7d45200fc5b, 0x3eb12839f6959eb5, 0x0010000000000000, 0x000ffffe314e1239, 3),
    ("fmadd.d", 4, 0x800cfb58b408c675, 0x0010000000000000, 0x800cd9e004d7793c, 0x800cd9e004d7793c, 3),
    ("fmadd.s", 0, 0xffffffff3f800001, 0xffffffff40200000, 0xffffffff7f000000, 0xffffffff7f000000, 1),
    ("fmadd.s", 1, 0xffffffffbeb50aa7, 0xffffffffdf000000, 0xffffffffcf000000, 0xffffffff5e350aa6, 1),
    ("fmadd.s", 2, 0xffffffffb8cfcbce, 0xffffffffc0200003, 0xffffffff1e023957, 0xffffffff3981df63, 1),
    ("fmadd.s", 3, 0xffffffffff800000, 0xffffffff7f7b2701, 0xffffffff7e726738, 0xffffffffff800000, 0),
    ("fmadd.s", 4, 0xffffffff00000001, 0xffffffff7f000003, 0xffffffff003e0b6e, 0xffffffff34800003, 1),
    ("fmadd.s", 0, 0xffffffffc2258775, 0xffffffff43c92e99, 0xffffffff7f800001, 0xffffffff7fc00000, 16),
    ("fmadd.s", 1, 0xfffffffffec90ab9, 0xffffffffff800001, 0xffffffff3f800000, 0xffffffff7fc00000, 16),
    ("fmadd.s", 2, 0xffffffffff800000, 0xffffffff00000000, 0xffffffff00800000, 0xffffffff7fc00000, 16),
    ("fmadd.s", 3, 0xffffffffff2e3f30, 0xffffffff7f800001, 0xffffffff80bec9e4, 0xffffffff7fc00000, 16),
    ("fmadd.s", 4, 0xffffffff738f0193, 0xffffffff7f800003, 0xffffffff7f7fffff, 0xffffffff7fc00000, 16),
    ("fmadd.s", 0, 0xfffffffffbeda87e, 0xffffffff73fd0077, 0xfffffffffda37e78, 0xffffffffff800000, 5),
    ("fmadd.s", 1, 0xffffffff7e43dd6e, 0xffffffffefc1c561, 0xffffffffbac8de16, 0xffffffffff7fffff, 5),
    ("fmadd.s", 2, 0xffffffffe1994815, 0xffffffff7ec68f3a, 0xfffffffffe6ab1e4, 0xffffffffff800000, 5),
    ("fmadd.s", 3, 0xffffffffe0f57e11, 0xffffffff7f735d8c, 0xffffffffee184db5, 0xffffffffff7fffff, 5),
    ("fmadd.s", 4, 0xffffffff40602de6, 0xffffffffff47a1d5, 0xffffffff7f7fffff, 0xffffffffff800000, 5),
    ("fmadd.s", 0, 0xffffffff00400000, 0xffffffffbc08c065, 0xffffffff8061a432, 0xffffffff80622cf2, 3),
    ("fmadd.s", 1, 0xffffffff00e4408f, 0xffffffffa3189cd9, 0xffffffff80000000, 0xffffffff80000000, 3),
    ("fmadd.s", 2, 0xffffffff00e4408f, 0xffffffffa3189cd9, 0xffffffff80000000, 0xffffffff80000001, 3),
    ("fmadd.s", 3, 0xffffffff3f800001, 0xffffffff80861d46, 0xffffffff006dd6fd, 0xffffffff8018464a, 3),
    ("fmadd.s", 4, 0xffffffff007fffff, 0xffffffff00400000, 0xffffffff80000000, 0xffffffff00000000, 3),
    ("fmsub.d", 0, 0x000ef63f8ad54534, 0x11a31e502678db7b, 0x7fd00842568fd865, 0xffd00842568fd865, 1),
    ("fmsub.d", 1, 0x0c72d73590bd6ed9, 0x8001e34c5e87ba40, 0x00162c330812007e, 0x80162c330812007e, 1),
    ("fmsub.d", 2, 0xc1e0000000000003, 0x3c31a3178bd202ed, 0x3d645a0b0b72d69e, 0xbe21a45d2c82ba1e, 1),
    ("fmsub.d", 3, 0x0013fd36c29f7b47, 0x8000000000000002, 0x43f0000000000000, 0xc3f0000000000000, 1),
    ("fmsub.d", 4, 0xbff0000000000000, 0xc252bfb12e4d2256, 0x7fefffffffffffff, 0xffefffffffffffff, 1),
    ("fmsub.d", 0, 0x7ff0000000000001, 0x7fe37a31ac2de234, 0x4004000000000000, 0x7ff8000000000000, 16),
    ("fmsub.d", 1, 0xfff0000000000002, 0x3fe0000000000001, 0xc6ee15fb4c8210ea, 0x7ff8000000000000, 16),
    ("fmsub.d", 2, 0xffcabd4c7a9eb24a, 0x7fc6f4d1d0944170, 0x7ff0000000000001, 0x7ff8000000000000, 16),
    ("fmsub.d", 3, 0x7ff8000000000002, 0x001f580296672dbb, 0x7ff0000000000001, 0x7ff8000000000000, 16),
    ("fmsub.d", 4, 0x7ff0000000000003, 0x8f9f97a75b3f0d4a, 0x000fffffffffffff, 0x7ff8000000000000, 16),
    ("fmsub.d", 0, 0x7fe0000000000000, 0x4297f71ff6a3ad32, 0x0008000000000000, 0x7ff0000000000000, 5),
    ("fmsub.d", 1, 0x7fc26a7b9fabfa7a, 0x41e0000000000003, 0xbcabdb8b9f364be0, 0x7fefffffffffffff, 5),
    ("fmsub.d", 2, 0xc58744e44d0f4ca1, 0x7fefffffffffffff, 0x801671ed83440601, 0xfff0000000000000, 5),
    ("fmsub.d", 3, 0x41e0000000000000, 0x7fb8c8577b3402aa, 0x7dd60dc78d88a4de, 0x7ff0000000000000, 5),
    ("fmsub.d", 4, 0xffe907dd6512a366, 0xf8296f3d81e52ac2, 0x2836b4f1dfbf41f7, 0x7ff0000000000000, 5),
    ("fmsub.d", 0, 0x0000000000000001, 0x0000c633cc7f5e15, 0x000fffffffffffff, 0x800fffffffffffff, 3),
    ("fmsub.d", 1, 0x3ff0000000000001, 0x000fffffffffffff, 0x0011114a4bd97e7f, 0x8001114a4bd97e7f, 3),
    ("fmsub.d", 2, 0xa557efda815f2314, 0x0008000000000003, 0x0000000000000000, 0x8000000000000001, 3),
    ("fmsub.d", 3, 0x000f1df23d0f7a56, 0x0010000000000000, 0x0008000000000000, 0x8007ffffffffffff, 3),
    ("fmsub.d", 4, 0x000f1df23d0f7a56, 0x0010000000000000, 0x0008000000000000, 0x8008000000000000, 3),
    ("fmsub.s", 0, 0xffffffff4232710b, 0xfffffffff631d671, 0xffffffff7e5976ce, 0xfffffffffe5995cb, 1),
    ("fmsub.s", 1, 0xffffffff7fc00000, 0xfffffffffedffb23, 0xffffffffff0be350, 0xffffffff7fc00000, 0),
    ("fmsub.s", 2, 0xffffffff16322baa, 0xffffffffff092df7, 0xffffffff3f800001, 0xffffffffd5bef2b8, 1),
    ("fmsub.s", 3, 0xffffffffbc3c5be2, 0xfffffffffe9dc7a2, 0xffffffff0019a0d6, 0xffffffff7b682e79, 1),
    ("fmsub.s", 4, 0xffffffffcb5032bb, 0xffffffffaa50d926, 0xffffffff803849f6, 0xffffffff3629d9d2, 1),
    ("fmsub.s", 0, 0xfffffffffe8a038f, 0xffffffff7f800001, 0xffffffff80cd6816, 0xffffffff7fc00000, 16),
    ("fmsub.s", 1, 0xffffffff7e695076, 0xffffffffcf000000, 0xffffffffff800002, 0xffffffff7fc00000, 16),
    ("fmsub.s", 2, 0xffffffff5f000000, 0xffffffff802c7ed4, 0xffffffff7f800001, 0xffffffff7fc00000, 16),
    ("fmsub.s", 3, 0xffffffff80000000, 0xffffffff7f800000, 0xffffffff0082337e, 0xffffffff7fc00000, 16),
    ("fmsub.s", 4, 0xffffffff7ee0eddc, 0xffffffffff800000, 0xffffffff7f800001, 0xffffffff7fc00000, 16),
    ("fmsub.s", 0, 0xfffffffffec81055, 0xffffffff795413bb, 0xffffffff80cb3836, 0xffffffffff800000, 5),
    ("fmsub.s", 1, 0xfffffffff9246de6, 0xfffffffffe4904c4, 0xffffffff40200000, 0xffffffff7f7fffff, 5),
    ("fmsub.s", 2, 0xffffffff48032a01, 0xfffffffffe190345, 0xffffffff369f9c93, 0xffffffffff800000, 5),
    ("fmsub.s", 3, 0xffffffffd56bdaca, 0xffffffff6a11c1c0, 0xffffffff47ad75a7, 0xffffffffff7fffff, 5),
    ("fmsub.s", 4, 0xffffffff7f0aa415, 0xffffffff7e09e877, 0xffffffffc004e084, 0xffffffff7f800000, 5),
    ("fmsub.s", 0, 0xffffffffbe4f9230, 0xffffffff802a3716, 0xffffffff00800000, 0xffffffff80777156, 3),
    ("fmsub.s", 1, 0xffffffff00400000, 0xffffffff05dbed18, 0xffffffff007fffff, 0xffffffff807ffffe, 3),
    ("fmsub.s", 2, 0xffffffff44e5d9c5, 0xffffffff00000003, 0xffffffff00800000, 0xffffffff807fea74, 3),
    ("fmsub.s", 3, 0xffffffff44e5d9c5, 0xffffffff00000003, 0xffffffff00800000, 0xffffffff807fea73, 3),
    ("fmsub.s", 4, 0xffffffff00000001, 0xffffffff80771128, 0xffffffff007fffff, 0xffffffff807fffff, 3),
    ("fmul.d", 0, 0x35b9aab1edbf7a25, 0x43e0000000000000, 0x0, 0x39a9aab1edbf7a25, 0),
    ("fmul.d", 1, 0x0014cf9387ca62df, 0xbff0000000000000, 0x0, 0x8014cf9387ca62df, 0),
    ("fmul.d", 2, 0x8e25d2c1f7f28a6d, 0x43f0000000000000, 0x0, 0x9225d2c1f7f28a6d, 0),
    ("fmul.d", 3, 0x0000000000000001, 0x7fbf2f4f57367caa, 0x0, 0x3c9f2f4f57367caa, 0),
    ("fmul.d", 4, 0x40ecc851c0b0778c, 0xc2192e5e322ad4ff, 0x0, 0xc316a6348d9e8754, 1),
    ("fmul.d", 0, 0xfff0000000000002, 0x3c692ddbb334ce57, 0x0, 0x7ff8000000000000, 16),
    ("fmul.d", 1, 0x8000000000000000, 0xfff0000000000000, 0x0, 0x7ff8000000000000, 16),
    ("fmul.d", 2, 0x7ff0000000000003, 0x4004000000000000, 0x0, 0x7ff8000000000000, 16),
    ("fmul.d", 3, 0x7ff0000000000001, 0x7ff0000000000001, 0x0, 0x7ff8000000000000, 16),
    ("fmul.d", 4, 0x7ff0000000000003, 0xb5579d90bfded56c, 0x0, 0x7ff8000000000000, 16),
    ("fmul.d", 0, 0x66ef73c209111f13, 0x7fd2b2e9f3e9bb9e, 0x0, 0x7ff0000000000000, 5),
    ("fmul.d", 1, 0xffdd88f8f3bc1649, 0x7fec39cec429ae00, 0x0, 0xffefffffffffffff, 5),
    ("fmul.d", 2, 0xffd4f64e8e358b7f, 0xcdadb948e7b75c26, 0x0, 0x7fefffffffffffff, 5),
    ("fmul.d", 3, 0xc004000000000001, 0x7fdb01c43ec16680, 0x0, 0xffefffffffffffff, 5),
    ("fmul.d", 4, 0x6cd930ef1fe88ee8, 0xffec7db55cbbbf7e, 0x0, 0xfff0000000000000, 5),
    ("fmul.d", 0, 0x000fffffffffffff, 0xa0b4a5d8b18db734, 0x0, 0x8000000000000000, 3),
    ("fmul.d", 1, 0x0000000000000003, 0xc004000000000002, 0x0, 0x8000000000000007, 3),
    ("fmul.d", 2, 0x001848407e9d89fc, 0x1d24f53c0f0210b4, 0x0, 0x0000000000000000, 3),
    ("fmul.d", 3, 0x0015f7d9fcc48ed6, 0xbe2bcac76b4f246f, 0x0, 0x8000000001314556, 3),
    ("fmul.d", 4, 0xa5b131acfb6d3051, 0x000fffffffffffff, 0x0, 0x8000000000000000, 3),
    ("fmul.s", 0, 0xffffffffff800000, 0xffffffff0098b7e8, 0x0, 0xffffffffff800000, 0),
    ("fmul.s", 1, 0xffffffff345b18a6, 0xffffffffeb35fc59, 0x0, 0xffffffffe01bc065, 1),
    ("fmul.s", 2, 0xffffffff59b9aec2, 0xffffffff86bc8485, 0x0, 0xffffffffa108bc76, 1),
    ("fmul.s", 3, 0xfffffffffedd3a1d, 0xffffffff1dbdcacf, 0x0, 0xffffffffdd24032a, 1),
    ("fmul.s", 4, 0xffffffff00c95688, 0xfffffffffe453fa9, 0x0, 0xffffffffbf9b21a8, 1),
    ("fmul.s", 0, 0xffffffff7f800002, 0xffffffff40200000, 0x0, 0xffffffff7fc00000, 16),
    ("fmul.s", 1, 0xffffffff3adb4d28, 0xffffffff7f800001, 0x0, 0xffffffff7fc00000, 16),
    ("fmul.s", 2, 0xffffffff7f800001, 0xffffffff7eaf5572, 0x0, 0xffffffff7fc00000, 16),
    ("fmul.s", 3, 0xffffffff7f800003, 0xffffffff9ab58f07, 0x0, 0xffffffff7fc00000, 16),
    ("fmul.s", 4, 0xffffffff7f800001, 0xffffffff3f000000, 0x0, 0xffffffff7fc00000, 16),
    ("fmul.s", 0, 0xffffffff7ee36b23, 0xffffffff48610273, 0x0, 0xffffffff7f800000, 5),
    ("fmul.s", 1, 0xffffffffc20640a8, 0xffffffff7f182e60, 0x0, 0xffffffffff7fffff, 5),
    ("fmul.s", 2, 0xffffffffff11db63, 0xffffffff7e4deb4a, 0x0, 0xffffffffff800000, 5),
    ("fmul.s", 3, 0xffffffff7cf07c25, 0xffffffffff13a2b6, 0x0, 0xffffffffff7fffff, 5),
    ("fmul.s", 4, 0xffffffffeb1e518c, 0xffffffff622582f3, 0x0, 0xffffffffff800000, 5),
    ("fmul.s", 0, 0xffffffff00800000, 0xffffffff930ffee8, 0x0, 0xffffffff80000000, 3),
    ("fmul.s", 1, 0xffffffff008f3660, 0xffffffff80c4886c, 0x0, 0xffffffff80000000, 3),
    ("fmul.s", 2, 0xffffffff007fffff, 0xffffffff3c3da09c, 0x0, 0xffffffff00017b41, 3),
    ("fmul.s", 3, 0xffffffff004f3f68, 0xffffffff3370a860, 0x0, 0xffffffff00000001, 3),
    ("fmul.s", 4, 0xffffffff80971b34, 0xffffffff00000001, 0x0, 0xffffffff80000000, 3),
    ("fnmadd.d", 0, 0x0000000000000000, 0x43e0000000000000, 0x43e0000000000000, 0xc3e0000000000000, 0),
    ("fnmadd.d", 1, 0xffc8d97be9d96a3a, 0x3ff0000000000002, 0x800e3f8821d0f8cb, 0x7fc8d97be9d96a3d, 1),
    ("fnmadd.d", 2, 0xad58e869d616454d, 0xd3bfe0b61fe5c272, 0x9a7e5dcdb91b595c, 0xc128d00f2eee1dbd, 1),
    ("fnmadd.d", 3, 0x1279be3a360be33d, 0xbc7dea015cd0084c, 0x3feffffffffffffc, 0xbfeffffffffffffb, 1),
    ("fnmadd.d", 4, 0x37a18e0ee06e20c8, 0x0008000000000000, 0x0010000000000001, 0x8010000000000001, 1),
    ("fnmadd.d", 0, 0x7ff0000000000003, 0xfff0000000000000, 0xf600de97a5ca11b4, 0x7ff8000000000000, 16),
    ("fnmadd.d", 1, 0xbff0000000000000, 0x3edbbd88ccb07181, 0x7ff0000000000001, 0x7ff8000000000000, 16),
    ("fnmadd.d", 2, 0xffcba4f02ab4fe9b, 0x7fc3128d95a64130, 0x7ff0000000000001, 0x7ff8000000000000, 16),
    ("fnmadd.d", 3, 0x7ff0000000000001, 0x7fdcdb496ffb1b5b, 0x0008000000000000, 0x7ff8000000000000, 16),
    ("fnmadd.d", 4, 0x0008000000000000, 0x3fefffffffffffff, 0x7ff0000000000001, 0x7ff8000000000000, 16),
    ("fnmadd.d", 0, 0x7fefffffffffffff, 0x4004000000000002, 0x6eeac2ed1e4bc351, 0xfff0000000000000, 5),
    ("fnmadd.d", 1, 0x742a1f9825dc0f30, 0xde6f6c302b4f2c58, 0x8000000000000000, 0x7fefffffffffffff, 5),
    ("fnmadd.d", 2, 0xffd1e12a81859ef4, 0x43f0000000000000, 0x43f0000000000000, 0x7fefffffffffffff, 5),
    ("fnmadd.d", 3, 0x7fd314f7bb78352b, 0xf4af463d6d15c952, 0x43f0000000000000, 0x7ff0000000000000, 5),
    ("fnmadd.d", 4, 0x7fe0000000000000, 0xffbf076b82088e73, 0xc1e0000000000003, 0x7ff0000000000000, 5),
    ("fnmadd.d", 0, 0x000fffffffffffff, 0x0a4ae54c56f3d570, 0x0000000000000001, 0x8000000000000001, 3),
    ("fnmadd.d", 1, 0x801b1a4a64fe6867, 0x3635c5ffcf504e6d, 0x0008000000000000, 0x8007ffffffffffff, 3),
    ("fnmadd.d", 2, 0x87ae090f747ac095, 0x80001b20084f1434, 0x800097bca58c0812, 0x000097bca58c0811, 3),
    ("fnmadd.d", 3, 0x00069bfd24e86d66, 0x8011b54db5ca7774, 0x8000000000000000, 0x0000000000000001, 3),
    ("fnmadd.d", 4, 0x8011d9d147e9f422, 0x0000000000000001, 0x0000000000000001, 0x8000000000000001, 3),
    ("fnmadd.s", 0, 0xffffffff3d90c204, 0xfffffffffe7eab43, 0xffffffff80000000, 0xffffffff7c900157, 1),
    ("fnmadd.s", 1, 0xffffffff3ec03c8b, 0xffffffff54ff42ac, 0xffffffffcf000000, 0xffffffffd43f8e5f, 1),
    ("fnmadd.s", 2, 0xffffffff00800003, 0xffffffff481dc7ca, 0xffffffff3f800000, 0xffffffffbf800001, 1),
    ("fnmadd.s", 3, 0xffffffffcd435b52, 0xffffffff8084caf6, 0xffffffffbfccb95e, 0xffffffff3fccb95e, 1),
    ("fnmadd.s", 4, 0xffffffff1185ef7f, 0xffffffffcf000000, 0xffffffffb859d6c8, 0xffffffff3859d6c8, 1),
    ("fnmadd.s", 0, 0xffffffff7f800001, 0xffffffffa241be71, 0xffffffffff050f0f, 0xffffffff7fc00000, 16),
    ("fnmadd.s", 1, 0xffffffffc0200003, 0xffffffff7f800001, 0xffffffff7f324f07, 0xffffffff7fc00000, 16),
    ("fnmadd.s", 2, 0xffffffff009982a5, 0xffffffff7f800001, 0xfffffffff0a48333, 0xffffffff7fc00000, 16),
    ("fnmadd.s", 3, 0xfffffffffe7b1b57, 0xffffffff7f800001, 0xffffffff7f800003, 0xffffffff7fc00000, 16),
    ("fnmadd.s", 4, 0xffffffff00ea5ed3, 0xffffffffdae70193, 0xffffffff7f800001, 0xffffffff7fc00000, 16),
    ("fnmadd.s", 0, 0xffffffffc941fa53, 0xffffffffff0fd91e, 0xffffffff2dfba28f, 0xffffffffff800000, 5),
    ("fnmadd.s", 1, 0xfffffffffef4ba8c, 0xffffffff5f000000, 0xffffffff3f800000, 0xffffffff7f7fffff, 5),
    ("fnmadd.s", 2, 0xffffffff5f000003, 0xffffffffeda24c26, 0xffffffff159b6b3c, 0xffffffff7f7fffff, 5),
    ("fnmadd.s", 3, 0xffffffff7f7fffff, 0xffffffff550e37f7, 0xffffffff00800003, 0xffffffffff7fffff, 5),
    ("fnmadd.s", 4, 0xfffffffffe147de8, 0xffffffff7e56e35e, 0xffffffff3f800000, 0xffffffff7f800000, 5),
    ("fnmadd.s", 0, 0xffffffff86f2c5bf, 0xffffffff001af1ab, 0xffffffff007fffff, 0xffffffff807fffff, 3),
    ("fnmadd.s", 1, 0xffffffff000e0220, 0xffffffff8045c608, 0xffffffff8013d91b, 0xffffffff0013d91b, 3),
    ("fnmadd.s", 2, 0xffffffff808616f7, 0xffffffff00400000, 0xffffffff80000001, 0xffffffff00000001, 3),
    ("fnmadd.s", 3, 0xffffffffc0200000, 0xffffffff00000001, 0xffffffff00400000, 0xffffffff803ffffd, 3),
    ("fnmadd.s", 4, 0xffffffff8048e071, 0xffffffff00000003, 0xffffffff007fffff, 0xffffffff807fffff, 3),
    ("fnmsub.d", 0, 0xbc6a633a5baa2647, 0x8006cdb0a8688a06, 0x7fefffffffffffff, 0x7fefffffffffffff, 1),
    ("fnmsub.d", 1, 0x3ff0000000000001, 0x4ad60133a89e071b, 0x7fda2644882047ae, 0x7fda2644882047ad, 1),
    ("fnmsub.d", 2, 0x80091a8cb37e0fed, 0x000fffffffffffff, 0x7fe0000000000000, 0x7fe0000000000000, 1),
    ("fnmsub.d", 3, 0x7fefffffffffffff, 0xbd17473ef2f7d340, 0x8044f3007ab02c5e, 0x7d17473ef2f7d340, 1),
    ("fnmsub.d", 4, 0xc3e0000000000000, 0xc3e0000000000000, 0x7fd756a0b6c0d5b2, 0x7fd756a0b6c0d5b2, 1),
    ("fnmsub.d", 0, 0xa9a7d566672759eb, 0x7ff0000000000002, 0x7fef89cc7c1db604, 0x7ff8000000000000, 16),
    ("fnmsub.d", 1, 0x7fe0000000000000, 0x7ff0000000000002, 0xffdce139386e6bf2, 0x7ff8000000000000, 16),
    ("fnmsub.d", 2, 0x04a9b86107e3ef74, 0x7ff0000000000001, 0x7ff0000000000000, 0x7ff8000000000000, 16),
    ("fnmsub.d", 3, 0x3feffffffffffffe, 0x7fbc957edb93ec9a, 0xfff0000000000001, 0x7ff8000000000000, 16),
    ("fnmsub.d", 4, 0x800922c1e0a5b346, 0x0008000000000000, 0x7ff0000000000001, 0x7ff8000000000000, 16),
    ("fnmsub.d", 0, 0xc3797406fffc2c0c, 0x7fe0000000000000, 0xbe82b0b5bd2a21b6, 0x7ff0000000000000, 5),
    ("fnmsub.d", 1, 0x7fe3a2ad03197766, 0x41efffffffe00003, 0xffe66e98f8d2cf42, 0xffefffffffffffff, 5),
    ("fnmsub.d", 2, 0x7fefffffffffffff, 0x6aabef68b1d93b76, 0x0000000000000001, 0xfff0000000000000, 5),
    ("fnmsub.d", 3, 0xffd0bf91883b8dfa, 0x43f0000000000000, 0x7fd6a8ca03e510e8, 0x7ff0000000000000, 5),
    ("fnmsub.d", 4, 0xffd0bf91883b8dfa, 0x43f0000000000000, 0x7fd6a8ca03e510e8, 0x7ff0000000000000, 5),
    ("fnmsub.d", 0, 0x8000000000000002, 0xbd4056aa7ceac635, 0x000b9c6c8f4c7edd, 0x000b9c6c8f4c7edd, 3),
    ("fnmsub.d", 1, 0x3c49b9d14b9e92e4, 0x000fc735959ce36f, 0x0000000000000001, 0x0000000000000000, 3),
    ("fnmsub.d", 2, 0x0008000000000000, 0xbe5c2e1b2e7e6120, 0x8000000000000001, 0x000000000385c364, 3),
    ("fnmsub.d", 3, 0x0cd294c5a15cbc44, 0x800a2f3ac98e9814, 0x000ad87bece46b24, 0x000ad87bece46b25, 3),
    ("fnmsub.d", 4, 0x80089cbe919c4e44, 0x0010000000000000, 0x0000000000000001, 0x0000000000000001, 3),
    ("fnmsub.s", 0, 0xffffffffb9b6e881, 0xffffffff3f800000, 0xffffffff475a5ac3, 0xffffffff475a5ac3, 1),
    ("fnmsub.s", 1, 0xffffffff8027e3c5, 0xffffffff3f7ffffd, 0xffffffff7e19e036, 0xffffffff7e19e036, 1),
    ("fnmsub.s", 2, 0xffffffffbd4f0b4a, 0xffffffff00983cd3, 0xffffffff3f000000, 0xffffffff3f000000, 1),
    ("fnmsub.s", 3, 0xffffffffdf000003, 0xffffffff006ce72a, 0xffffffff806a2c0c, 0xffffffff1fd9ce5a, 1),
    ("fnmsub.s", 4, 0xffffffff966d359b, 0xffffffff007fffff, 0xffffffff435a74aa, 0xffffffff435a74aa, 1),
    ("fnmsub.s", 0, 0xfffffffffcd76450, 0xffffffff7f800001, 0xffffffffdf000000, 0xffffffff7fc00000, 16),
    ("fnmsub.s", 1, 0xffffffff3fe1a65e, 0xffffffff7fc00000, 0xffffffff7fbf4b13, 0xffffffff7fc00000, 16),
    ("fnmsub.s", 2, 0xffffffffff800001, 0xffffffffff4e224c, 0xffffffff5f000000, 0xffffffff7fc00000, 16),
    ("fnmsub.s", 3, 0xfffffffffec0a94c, 0xffffffffff800001, 0xffffffff91a2328e, 0xffffffff7fc00000, 16),
    ("fnmsub.s", 4, 0xffffffff7f800001, 0xffffffff00000000, 0xffffffff3168ccaf, 0xffffffff7fc00000, 16),
    ("fnmsub.s", 0, 0xfffffffffec441c4, 0xffffffff754722c4, 0xffffffff3f800001, 0xffffffff7f800000, 5),
    ("fnmsub.s", 1, 0xffffffff7f7fffff, 0xffffffff3f000000, 0xffffffffff444280, 0xffffffffff7fffff, 5),
    ("fnmsub.s", 2, 0xffffffff7f4fa33a, 0xffffffffdf000002, 0xffffffff3f800000, 0xffffffff7f7fffff, 5),
    ("fnmsub.s", 3, 0xfffffffffe8840dd, 0xffffffff4f000000, 0xffffffff80d3fd47, 0xffffffff7f800000, 5),
    ("fnmsub.s", 4, 0xfffffffffeb3b7bf, 0xffffffffd4837eef, 0xffffffff3f800001, 0xffffffffff800000, 5),
    ("fnmsub.s", 0, 0xffffffff0e0b9240, 0xffffffff00aa2a4e, 0xffffffff00400000, 0xffffffff00400000, 3),
    ("fnmsub.s", 1, 0xffffffff39e10faf, 0xffffffff00078593, 0xffffffff007fffff, 0xffffffff007fff2b, 3),
    ("fnmsub.s", 2, 0xffffffff009c76f1, 0xffffffff001e08f8, 0xffffffff80000000, 0xffffffff80000001, 3),
    ("fnmsub.s", 3, 0xffffffff80179ba9, 0xffffffff2f62bda3, 0xffffffff00400000, 0xffffffff00400001, 3),
    ("fnmsub.s", 4, 0xffffffff00000003, 0xffffffff0021f1eb, 0xffffffff007fffff, 0xffffffff007fffff, 3),
    ("fsqrt.d", 0, 0x43e0000000000000, 0x0, 0x0, 0x41e6a09e667f3bcd, 1),
    ("fsqrt.d", 1, 0x0250b960adfd6ace, 0x0, 0x0, 0x21205ba9c5e47ae6, 1),
    ("fsqrt.d", 2, 0x0016dd7795187695, 0x0, 0x0, 0x20032082540e9624, 1),
    ("fsqrt.d", 3, 0x3fe0000000000000, 0x0, 0x0, 0x3fe6a09e667f3bcd, 1),
    ("fsqrt.d", 4, 0x7fde2d33a3def99e, 0x0, 0x0, 0x5fe5f928fcd87127, 1),
    ("fsqrt.d", 0, 0xbfd07964ec013599, 0x0, 0x0, 0x7ff8000000000000, 16),
    ("fsqrt.d", 1, 0xc223ee9a1f0bfa0b, 0x0, 0x0, 0x7ff8000000000000, 16),
    ("fsqrt.d", 2, 0xbc33c09e101effaf, 0x0, 0x0, 0x7ff8000000000000, 16),
    ("fsqrt.d", 3, 0xfff0000000000000, 0x0, 0x0, 0x7ff8000000000000, 16),
    ("fsqrt.d", 4, 0xbf6de2e1c391ec92, 0x0, 0x0, 0x7ff8000000000000, 16),
    ("fsqrt.s", 0, 0xffffffff00000001, 0x0, 0x0, 0xffffffff1a3504f3, 1),
    ("fsqrt.s", 1, 0xffffffff40478bfa, 0x0, 0x0, 0xffffffff3fe20484, 1),
    ("fsqrt.s", 2, 0xffffffff7e4ac37f, 0x0, 0x0, 0xffffffff5ee3d508, 1),
    ("fsqrt.s", 3, 0xffffffff7f427231, 0x0, 0x0, 0xffffffff5f5f1c3b, 1),
    ("fsqrt.s", 4, 0xffffffff7e8a8f46, 0x0, 0x0, 0xffffffff5f052cdb, 1),
    ("fsqrt.s", 0, 0xffffffff800ce59e, 0x0, 0x0, 0xffffffff7fc00000, 16),
    ("fsqrt.s", 1, 0xffffffffc2412811, 0x0, 0x0, 0xffffffff7fc00000, 16),
    ("fsqrt.s", 2, 0xffffffff80da2f18, 0x0, 0x0, 0xffffffff7fc00000, 16),
    ("fsqrt.s", 3, 0xffffffffc0200001, 0x0, 0x0, 0xffffffff7fc00000, 16),
    ("fsqrt.s", 4, 0xfffffffff09acdbc, 0x0, 0x0, 0xffffffff7fc00000, 16),
    ("fsub.d", 0, 0xbff0000000000000, 0x3efb0845b1a97cf5, 0x0, 0xbff0001b0845b1a9, 1),
    ("fsub.d", 1, 0xffc6d83d867fa185, 0x3fefffffffffffff, 0x0, 0xffc6d83d867fa185, 1),
    ("fsub.d", 2, 0x17f4a245f78f0104, 0x3fd4e603ae88863a, 0x0, 0xbfd4e603ae88863a, 1),
    ("fsub.d", 3, 0xc12e005cc3ede90d, 0x800e89ecd3ddaa6f, 0x0, 0xc12e005cc3ede90c, 1),
    ("fsub.d", 4, 0x70f19772369ec12d, 0x9c360cda4b457c00, 0x0, 0x70f19772369ec12d, 1),
    ("fsub.d", 0, 0x41e0000000000000, 0x7ff0000000000001, 0x0, 0x7ff8000000000000, 16),
    ("fsub.d", 1, 0x7ff0000000000001, 0xbe007a69e147d865, 0x0, 0x7ff8000000000000, 16),
    ("fsub.d", 2, 0x7fe14dc863b8297e, 0x7ff0000000000001, 0x0, 0x7ff8000000000000, 16),
    ("fsub.d", 3, 0x7ff0000000000003, 0xffa00e4d9cc3f566, 0x0, 0x7ff8000000000000, 16),
    ("fsub.d", 4, 0x7ff0000000000001, 0xc004000000000000, 0x0, 0x7ff8000000000000, 16),
    ("fsub.d", 0, 0xffe027aacbccdc64, 0x7feb25e57d29a291, 0x0, 0xfff0000000000000, 5),
    ("fsub.d", 1, 0xffe027aacbccdc64, 0x7feb25e57d29a291, 0x0, 0xffefffffffffffff, 5),
    ("fsub.d", 2, 0xd1027be29849a22e, 0x7fefffffffffffff, 0x0, 0xfff0000000000000, 5),
    ("fsub.d", 3, 0x7fefffffffffffff, 0x800271a4784dec8a, 0x0, 0x7ff0000000000000, 5),
    ("fsub.d", 4, 0xffc3c305ce187de1, 0x7feffffffffffffe, 0x0, 0xfff0000000000000, 5),
    ("fsub.s", 0, 0xffffffff4f000000, 0xffffffff4f000000, 0x0, 0xffffffff00000000, 0),
    ("fsub.s", 1, 0xffffffff002199f9, 0xffffffffbf800000, 0x0, 0xffffffff3f800000, 1),
    ("fsub.s", 2, 0xffffffff7e7c11c6, 0xffffffff7f00cc26, 0x0, 0xfffffffffe838f69, 0),
    ("fsub.s", 3, 0xffffffffc0523c5d, 0xffffffffc1a4e78f, 0x0, 0xffffffff418aa004, 1),
    ("fsub.s", 4, 0xfffffffff5ac59ad, 0xffffffff51b82c4a, 0x0, 0xfffffffff5ac59ad, 1),
    ("fsub.s", 0, 0xffffffff7f800001, 0xffffffff340d047f, 0x0, 0xffffffff7fc00000, 16),
    ("fsub.s", 1, 0xffffffff7f7ffffc, 0xffffffff7f800001, 0x0, 0xffffffff7fc00000, 16),
    ("fsub.s", 2, 0xffffffff7f7fffff, 0xffffffff7fa4fa15, 0x0, 0xffffffff7fc00000, 16),
    ("fsub.s", 3, 0xffffffff7f800001, 0xffffffff2753f097, 0x0, 0xffffffff7fc00000, 16),
    ("fsub.s", 4, 0xffffffffcf000002, 0xffffffff7f800001, 0x0, 0xffffffff7fc00000, 16),
    ("fsub.s", 0, 0xffffffff7f7fffff, 0xffffffffff646ab9, 0x0, 0xffffffff7f800000, 5),
    ("fsub.s", 1, 0xffffffffff5d266e, 0xffffffff7f23acd0, 0x0, 0xffffffffff7fffff, 5),
    ("fsub.s", 2, 0xffffffffff748ee5, 0xffffffff7e2f7c99, 0x0, 0xffffffffff800000, 5),
    ("fsub.s", 3, 0xffffffff7f7fffff, 0xffffffffff6098bc, 0x0, 0xffffffff7f800000, 5),
    ("fsub.s", 4, 0xffffffff7f7fffff, 0xfffffffffeee2234, 0x0, 0xffffffff7f800000, 5),
];
