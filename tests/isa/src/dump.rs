//! State records: field names, pretty values and differences.

use crate::gen::{FNAMES, MEM, OFF_F, OFF_FCSR, OFF_MEM, RECORD, XNAMES};

fn word(rec: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(rec[off..off + 8].try_into().unwrap())
}

/// The name of the 8-byte field at `off`.
pub fn field_name(off: usize) -> String {
    if off < OFF_FCSR {
        let r = off / 8 + 1;
        format!("x{r}/{}", XNAMES[r])
    } else if off < OFF_F {
        "fcsr".into()
    } else if off < OFF_MEM {
        let r = (off - OFF_F) / 8;
        format!("f{r}/{}", FNAMES[r])
    } else {
        format!("mem[{:#05x}]", off - OFF_MEM)
    }
}

pub fn fmt_fcsr(v: u64) -> String {
    let flags = ["NX", "UF", "OF", "DZ", "NV"];
    let set: Vec<&str> = (0..5)
        .rev()
        .filter(|&i| v & (1 << i) != 0)
        .map(|i| flags[i])
        .collect();
    let rm = ["rne", "rtz", "rdn", "rup", "rmm", "rm5?", "rm6?", "rm7?"][(v >> 5 & 7) as usize];
    format!(
        "{v:#x} (frm={rm} flags={}{})",
        if set.is_empty() {
            "-".into()
        } else {
            set.join("|")
        },
        if v >> 8 != 0 {
            " reserved bits set!"
        } else {
            ""
        }
    )
}

/// An FP register value with its reading as a boxed single or a double.
pub fn fmt_fp(v: u64) -> String {
    if v >> 32 == 0xffff_ffff {
        format!("{v:#018x} (f32 {:e})", f32::from_bits(v as u32))
    } else {
        format!("{v:#018x} (f64 {:e})", f64::from_bits(v))
    }
}

pub fn fmt_field(off: usize, v: u64) -> String {
    if off == OFF_FCSR {
        fmt_fcsr(v)
    } else if (OFF_F..OFF_MEM).contains(&off) {
        fmt_fp(v)
    } else {
        format!("{v:#018x} ({})", v as i64)
    }
}

/// Offsets of the 8-byte fields that differ (a short `got` differs from the
/// first missing field on).
pub fn differing(want: &[u8], got: &[u8]) -> Vec<usize> {
    (0..RECORD)
        .step_by(8)
        .filter(|&o| got.len() < o + 8 || want[o..o + 8] != got[o..o + 8])
        .collect()
}

/// Lines `name: qemu V, friscy W`.
pub fn diff_lines(want: &[u8], got: &[u8], runner: &str) -> Vec<String> {
    let mut out = Vec::new();
    if got.len() < RECORD {
        out.push(format!(
            "{runner} wrote only {} of the {RECORD} bytes of this block's record",
            got.len()
        ));
    }
    for o in differing(want, got) {
        if got.len() < o + 8 {
            break;
        }
        out.push(format!(
            "{:<12} qemu {}\n{:<12} {runner:<4} {}",
            field_name(o),
            fmt_field(o, word(want, o)),
            "",
            fmt_field(o, word(got, o))
        ));
    }
    out
}

/// The initial values of the named registers (and the scratch buffer when
/// `mem`), as report lines.
pub fn init_lines(init: &[u8], xregs: u32, fregs: u32, mem: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (r, name) in XNAMES.iter().enumerate().skip(1) {
        if xregs & (1 << r) != 0 {
            let v = if r == 3 {
                "&scratch".to_string()
            } else {
                fmt_field(8 * (r - 1), word(init, 8 * (r - 1)))
            };
            out.push(format!("{name:<8} = {v}"));
        }
    }
    for (r, name) in FNAMES.iter().enumerate() {
        if fregs & (1 << r) != 0 {
            out.push(format!("{name:<8} = {}", fmt_fp(word(init, OFF_F + 8 * r))));
        }
    }
    out.push(format!(
        "{:<8} = {}",
        "fcsr",
        fmt_fcsr(word(init, OFF_FCSR))
    ));
    if mem {
        out.push("scratch (gp) =".into());
        for row in 0..MEM / 32 {
            let words: Vec<String> = (0..4)
                .map(|k| format!("{:016x}", word(init, OFF_MEM + row * 32 + k * 8)))
                .collect();
            out.push(format!("  +{:#05x}: {}", row * 32, words.join(" ")));
        }
    }
    out
}
