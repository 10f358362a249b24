//! Operand values: integer boundaries and IEEE-754 edge cases.

use crate::rng::Rng;

/// Integer boundary values (as 64-bit register contents).
pub const INT_EDGES: &[u64] = &[
    0,
    1,
    2,
    3,
    7,
    31,
    32,
    63,
    64,
    0xff,
    0x100,
    0xffff,
    0x7fff,
    0x8000,
    u64::MAX,              // -1
    u64::MAX - 1,          // -2
    0x7fff_ffff,           // i32::MAX
    0x8000_0000,           // 2^31 (zero-extended)
    0xffff_ffff_8000_0000, // i32::MIN
    0xffff_ffff,           // u32::MAX
    0x1_0000_0000,         // 2^32
    0x1_0000_0001,
    0xffff_ffff_7fff_ffff,
    0x7fff_ffff_ffff_ffff, // i64::MAX
    0x8000_0000_0000_0000, // i64::MIN
    0x8000_0000_0000_0001,
    0x0020_0000_0000_0001, // 2^53 + 1
    0x0020_0000_0000_0000,
    0x0000_0000_0100_0001, // 2^24 + 1
    0xffff_ffff_ffff_f800, // -2048
    0x7ff,
    0x800,
    0x0101_0101_0101_0101,
    0x8080_8080_8080_8080,
    0x5555_5555_5555_5555,
    0xaaaa_aaaa_aaaa_aaaa,
    0x0000_ff00_00ff_0000,
];

/// Single-precision edge bit patterns.
pub const F32_EDGES: &[u32] = &[
    0x0000_0000, // +0
    0x8000_0000, // -0
    0x7f80_0000, // +inf
    0xff80_0000, // -inf
    0x7fc0_0000, // canonical qNaN
    0xffc0_0000, // negative qNaN
    0x7fc1_2345, // qNaN with payload
    0x7f80_0001, // sNaN
    0xffa0_0000, // negative sNaN
    0x7fbf_ffff, // sNaN, max payload
    0x0000_0001, // min subnormal
    0x8000_0001,
    0x007f_ffff, // max subnormal
    0x807f_ffff,
    0x0080_0000, // min normal
    0x8080_0000,
    0x7f7f_ffff, // max finite
    0xff7f_ffff,
    0x3f80_0000, // 1.0
    0xbf80_0000, // -1.0
    0x3f00_0000, // 0.5
    0xbf00_0000, // -0.5
    0x3fc0_0000, // 1.5
    0x4020_0000, // 2.5
    0xc020_0000, // -2.5
    0x3eff_ffff, // 0.49999997
    0x3f7f_ffff, // 0.99999994
    0xbf7f_ffff,
    0x4f00_0000, // 2^31
    0xcf00_0000, // -2^31
    0x4eff_ffff, // largest below 2^31
    0xcf00_0001, // just below -2^31
    0x4f80_0000, // 2^32
    0x4f7f_ffff,
    0x5f00_0000, // 2^63
    0xdf00_0000, // -2^63
    0x5eff_ffff,
    0x5f80_0000, // 2^64
    0x4b80_0000, // 2^24
    0x4b80_0001,
    0x3400_0000, // 2^-23
    0x3eaa_aaab, // 1/3
];

/// Double-precision edge bit patterns.
pub const F64_EDGES: &[u64] = &[
    0x0000_0000_0000_0000,
    0x8000_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000, // canonical qNaN
    0xfff8_0000_0000_0000,
    0x7ff8_0000_dead_beef,
    0x7ff0_0000_0000_0001, // sNaN
    0xfff4_0000_0000_0000,
    0x7ff7_ffff_ffff_ffff,
    0x0000_0000_0000_0001, // min subnormal
    0x8000_0000_0000_0001,
    0x000f_ffff_ffff_ffff, // max subnormal
    0x800f_ffff_ffff_ffff,
    0x0010_0000_0000_0000, // min normal
    0x8010_0000_0000_0000,
    0x7fef_ffff_ffff_ffff, // max finite
    0xffef_ffff_ffff_ffff,
    0x3ff0_0000_0000_0000, // 1.0
    0xbff0_0000_0000_0000,
    0x3fe0_0000_0000_0000, // 0.5
    0xbfe0_0000_0000_0000,
    0x3ff8_0000_0000_0000, // 1.5
    0x4004_0000_0000_0000, // 2.5
    0xc004_0000_0000_0000,
    0x3fdf_ffff_ffff_ffff, // 0.49999999999999994
    0x3fef_ffff_ffff_ffff,
    0x41df_ffff_ffc0_0000, // 2^31 - 1
    0x41df_ffff_ffe0_0000, // 2^31 - 0.5
    0x41e0_0000_0000_0000, // 2^31
    0xc1e0_0000_0000_0000, // -2^31
    0xc1e0_0000_0010_0000, // -2^31 - 0.5
    0xc1e0_0000_0020_0000, // -2^31 - 1
    0x41ef_ffff_ffe0_0000, // 2^32 - 1
    0x41ef_ffff_fff0_0000, // 2^32 - 0.5
    0x41f0_0000_0000_0000, // 2^32
    0x43df_ffff_ffff_ffff, // largest below 2^63
    0x43e0_0000_0000_0000, // 2^63
    0xc3e0_0000_0000_0000, // -2^63
    0xc3e0_0000_0000_0001,
    0x43ef_ffff_ffff_ffff,
    0x43f0_0000_0000_0000, // 2^64
    0x4340_0000_0000_0000, // 2^53
    0x4340_0000_0000_0001,
    0x3ca0_0000_0000_0000, // 2^-53
    0x3fd5_5555_5555_5555, // 1/3
    0x47ef_ffff_e000_0000, // f32::MAX as f64
    0x47ef_ffff_f000_0000, // halfway above f32::MAX
    0x3810_0000_0000_0000, // f32 min normal as f64
    0x36a0_0000_0000_0000, // f32 min subnormal as f64
    0x3690_0000_0000_0000, // half of it
];

/// A random "ordinary" single: small exponent range, random mantissa.
fn ordinary_f32(rng: &mut Rng) -> u32 {
    match rng.below(4) {
        0 => (rng.range(-100, 100) as f32 * 0.25).to_bits(),
        1 => {
            let sign = (rng.below(2) as u32) << 31;
            let exp = (127 + rng.range(-30, 30)) as u32;
            sign | (exp << 23) | (rng.next_u64() as u32 & 0x7f_ffff)
        }
        2 => rng.next_u64() as u32,
        _ => {
            // Near an edge: flip a low mantissa bit.
            *rng.pick(F32_EDGES) ^ (1 << rng.below(3))
        }
    }
}

fn ordinary_f64(rng: &mut Rng) -> u64 {
    match rng.below(4) {
        0 => (rng.range(-100, 100) as f64 * 0.25).to_bits(),
        1 => {
            let sign = rng.below(2) << 63;
            let exp = (1023 + rng.range(-70, 70)) as u64;
            sign | (exp << 52) | (rng.next_u64() & 0xf_ffff_ffff_ffff)
        }
        2 => rng.next_u64(),
        _ => *rng.pick(F64_EDGES) ^ (1 << rng.below(3)),
    }
}

pub fn f32_value(rng: &mut Rng) -> u32 {
    if rng.chance(1, 2) {
        *rng.pick(F32_EDGES)
    } else {
        ordinary_f32(rng)
    }
}

pub fn f64_value(rng: &mut Rng) -> u64 {
    if rng.chance(1, 2) {
        *rng.pick(F64_EDGES)
    } else {
        ordinary_f64(rng)
    }
}

/// A NaN-boxed single (rarely an improperly boxed one).
pub fn boxed_f32(rng: &mut Rng) -> u64 {
    let v = f32_value(rng) as u64;
    match rng.below(20) {
        0 => v,                         // upper half zero: not a valid box
        1 => 0xffff_fffe_0000_0000 | v, // almost a box
        _ => 0xffff_ffff_0000_0000 | v,
    }
}

/// A 64-bit integer register value.
pub fn int_value(rng: &mut Rng) -> u64 {
    match rng.below(10) {
        0..=3 => *rng.pick(INT_EDGES),
        4 => rng.range(-64, 64) as u64,
        5 => rng.next_u64() as i32 as i64 as u64,
        6 => 1u64 << rng.below(64),
        7 => f64_value(rng),
        8 => f32_value(rng) as i32 as i64 as u64,
        _ => rng.next_u64(),
    }
}

/// A 12-bit signed immediate.
pub fn imm12(rng: &mut Rng) -> i64 {
    match rng.below(4) {
        0 => *rng.pick(&[0, 1, -1, 2047, -2048, 2046, -2047, 31, 32, 63, 64]),
        1 => rng.range(-16, 16),
        _ => rng.range(-2048, 2047),
    }
}

/// A 20-bit upper immediate (as written in assembly: 0..=0xfffff).
pub fn imm20(rng: &mut Rng) -> u64 {
    match rng.below(3) {
        0 => *rng.pick(&[0, 1, 0x7ffff, 0x80000, 0xfffff, 0x80001]),
        _ => rng.below(0x10_0000),
    }
}
