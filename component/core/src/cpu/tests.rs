//! CPU tests. Instructions are encoded here (no cross toolchain needed);
//! the expected compressed expansions were taken from GNU as/objdump.

use super::decode::*;
use super::fp::{DZ, F64, NV, NX, OF, UF};
use super::*;
use crate::mm::{MemoryBudget, Prot};

const CODE: u64 = 0x1_0000;
const DATA: u64 = 0x8_0000;
const ECALL: u32 = 0x0000_0073;
const EBREAK: u32 = 0x0010_0073;

// Register numbers.
const RA: u32 = 1;
const SP: u32 = 2;
const T0: u32 = 5;
const T1: u32 = 6;
const A0: u32 = 10;
const A1: u32 = 11;
const A2: u32 = 12;
const A3: u32 = 13;

// ------------------------------------------------------------ encoder

fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    enc_i(0x13, rd, 0, rs1, imm)
}
fn addiw(rd: u32, rs1: u32, imm: i32) -> u32 {
    enc_i(0x1b, rd, 0, rs1, imm)
}
fn lui(rd: u32, imm: i32) -> u32 {
    enc_u(0x37, rd, imm)
}
fn auipc(rd: u32, imm: i32) -> u32 {
    enc_u(0x17, rd, imm)
}
fn jal(rd: u32, off: i32) -> u32 {
    enc_j(rd, off)
}
fn jalr(rd: u32, rs1: u32, imm: i32) -> u32 {
    enc_i(0x67, rd, 0, rs1, imm)
}
fn beq(rs1: u32, rs2: u32, off: i32) -> u32 {
    enc_b(0, rs1, rs2, off)
}
fn bne(rs1: u32, rs2: u32, off: i32) -> u32 {
    enc_b(1, rs1, rs2, off)
}
fn blt(rs1: u32, rs2: u32, off: i32) -> u32 {
    enc_b(4, rs1, rs2, off)
}
fn bgeu(rs1: u32, rs2: u32, off: i32) -> u32 {
    enc_b(7, rs1, rs2, off)
}
fn load(f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    enc_i(0x03, rd, f3, rs1, imm)
}
fn store(f3: u32, rs2: u32, rs1: u32, imm: i32) -> u32 {
    enc_s(0x23, f3, rs1, rs2, imm)
}
fn op(f7: u32, f3: u32) -> u32 {
    enc_r(0x33, A0, f3, A1, A2, f7)
}
fn op32(f7: u32, f3: u32) -> u32 {
    enc_r(0x3b, A0, f3, A1, A2, f7)
}
fn amo(f5: u32, w: bool, rd: u32, rs1: u32, rs2: u32) -> u32 {
    enc_r(0x2f, rd, if w { 2 } else { 3 }, rs1, rs2, f5 << 2)
}
fn csr(f3: u32, rd: u32, rs1: u32, csr: u32) -> u32 {
    enc_i(0x73, rd, f3, rs1, csr as i32)
}
/// OP-FP: f7, rm/f3, rd, rs1, rs2.
fn fop(f7: u32, rm: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    enc_r(0x53, rd, rm, rs1, rs2, f7)
}
fn fma4(opc: u32, fmt: u32, rm: u32, rd: u32, rs1: u32, rs2: u32, rs3: u32) -> u32 {
    enc_r(opc, rd, rm, rs1, rs2, (rs3 << 2) | fmt)
}

// ------------------------------------------------------------ harness

struct M {
    cpu: Cpu,
    mem: AddressSpace,
}

fn bytes_of(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn machine(code: &[u8]) -> M {
    let mut mem = AddressSpace::new(MemoryBudget::new(64 << 20));
    mem.map_anon(CODE, 0x10000, Prot::READ | Prot::EXEC)
        .unwrap();
    mem.write_force(CODE, code).unwrap();
    mem.map_anon(DATA, 0x10000, Prot::READ | Prot::WRITE)
        .unwrap();
    M {
        cpu: Cpu::new(CODE, DATA + 0x8000),
        mem,
    }
}

/// Run `ws` + ecall with some registers preset; must end at the ecall.
fn run_regs(ws: &[u32], regs: &[(u32, u64)]) -> M {
    let mut v = ws.to_vec();
    v.push(ECALL);
    let mut m = machine(&bytes_of(&v));
    for &(r, val) in regs {
        m.cpu.x[r as usize] = val;
    }
    let e = m.cpu.run(&mut m.mem, 1_000_000);
    assert_eq!(e, Exit::Ecall, "pc={:#x}", m.cpu.pc);
    assert_eq!(m.cpu.pc, CODE + 4 * ws.len() as u64);
    m
}

fn run(ws: &[u32]) -> M {
    run_regs(ws, &[])
}

/// a0 = insn(a1, a2)
fn alu(insn: u32, a: u64, b: u64) -> u64 {
    run_regs(&[insn], &[(A1, a), (A2, b)]).cpu.x[A0 as usize]
}

// ------------------------------------------------------------ decoding

#[test]
fn decode_formats() {
    // I-type
    let o = decode32(addi(A0, A1, -5), 0x1000);
    assert_eq!((o.k, o.rd, o.rs1, o.imm), (K::Addi, 10, 11, -5));
    // S-type
    let o = decode32(store(3, A2, SP, -2048), 0);
    assert_eq!((o.k, o.rs1, o.rs2, o.imm), (K::Sd, 2, 12, -2048));
    // B-type: absolute target
    let o = decode32(beq(A0, A1, -4096), 0x10000);
    assert_eq!((o.k, o.imm), (K::Beq, 0x10000 - 4096));
    let o = decode32(bne(A0, A1, 4094), 0x10000);
    assert_eq!((o.k, o.imm), (K::Bne, 0x10000 + 4094));
    // U-type
    let o = decode32(lui(A0, 0x8000_0000u32 as i32), 0);
    assert_eq!((o.k, o.imm), (K::Li, -0x8000_0000));
    let o = decode32(auipc(A0, 0x1000), 0x2000);
    assert_eq!((o.k, o.imm), (K::Li, 0x3000));
    // J-type
    let o = decode32(jal(RA, -(1 << 20)), 0x20_0000);
    assert_eq!((o.k, o.rd, o.imm), (K::Jal, 1, 0x20_0000 - (1 << 20)));
    let o = decode32(jal(RA, (1 << 20) - 2), 0);
    assert_eq!(o.imm, (1 << 20) - 2);
    // R-type
    let o = decode32(op(0x20, 0), 0);
    assert_eq!((o.k, o.rd, o.rs1, o.rs2), (K::Sub, 10, 11, 12));
    // R4-type
    let o = decode32(fma4(0x43, 1, 7, 1, 2, 3, 31), 0);
    assert_eq!(
        (o.k, o.rd, o.rs1, o.rs2, o.aux & 31, o.aux >> 5),
        (K::FmaddD, 1, 2, 3, 31, 7)
    );
    // CSR
    let o = decode32(csr(2, A0, 0, 0x003), 0);
    assert_eq!((o.k, o.imm), (K::Csrrs, 3));
    // Pure ops writing x0 are no-ops; loads are not.
    assert_eq!(decode32(addi(0, A1, 1), 0).k, K::Nop);
    assert_eq!(decode32(load(3, 0, A1, 0), 0).k, K::Ld);
}

#[test]
fn decode_illegal() {
    for w in [
        0x0000_0000u32,
        0xffff_ffff,
        load(7, A0, A1, 0),
        store(4, A0, A1, 0),
        enc_i(0x67, 1, 1, 2, 0),          // jalr f3!=0
        enc_b(2, 1, 2, 8),                // branch f3=2
        0x1050_0073,                      // wfi
        0x3020_0073,                      // mret
        csr(1, A0, A1, 0xc00),            // write cycle
        csr(2, A0, 0, 0x300),             // mstatus
        csr(2, A0, 0, 0xc80),             // cycleh (RV32 only)
        enc_i(0x1b, A0, 1, A1, 32),       // slliw shamt 32
        fop(0x01, 5, 1, 2, 3),            // fadd.d rm=5
        fop(0x01, 6, 1, 2, 3),            // fadd.d rm=6
        fop(0x2d, 0, 1, 2, 1),            // fsqrt.d rs2!=0
        fop(0x02, 0, 1, 2, 3),            // fadd.h
        amo(0x02, true, A0, A1, A2),      // lr.w rs2!=0
        enc_i(0x0f, 0, 2, 0, 0),          // cbo
        enc_r(0x33, A0, 0, A1, A2, 0x02), // unknown OP
    ] {
        assert_eq!(decode32(w, 0).k, K::Illegal, "{w:#010x}");
    }
}

#[test]
fn compressed_expansions_match_gnu_as() {
    let pairs: &[(u16, u32)] = &[
        (0x1fe0, 0x3fc10413),
        (0x3ffc, 0x0f87b787),
        (0x5de8, 0x07c5a503),
        (0x7e64, 0x0f863483),
        (0xa480, 0x0084b427),
        (0xc33c, 0x04f72023),
        (0xf974, 0x0ed53823),
        (0x0001, 0x00000013),
        (0x1281, 0xfe028293),
        (0x257d, 0x01f5051b),
        (0x50fd, 0xfff00093),
        (0x7101, 0xe0010113),
        (0x617d, 0x1f010113),
        (0x7901, 0xfffe0937),
        (0x637d, 0x0001f337),
        (0x917d, 0x03f55513),
        (0x8785, 0x4017d793),
        (0x98e5, 0xff94f493),
        (0x8d0d, 0x40b50533),
        (0x8c25, 0x00944433),
        (0x8e55, 0x00d66633),
        (0x8f7d, 0x00f77733),
        (0x9d1d, 0x40f5053b),
        (0x9ca1, 0x008484bb),
        (0xaffd, 0x7fe0006f),
        (0xb001, 0x801ff06f),
        (0xcd7d, 0x0e050f63),
        (0xf081, 0xf00490e3),
        (0x1e7e, 0x03fe1e13),
        (0x30fe, 0x1f813087),
        (0x50fe, 0x0fc12083),
        (0x7dfe, 0x1f813d83),
        (0x8282, 0x00028067),
        (0x857e, 0x01f00533),
        (0x9002, 0x00100073),
        (0x9582, 0x000580e7),
        (0x9ada, 0x016a8ab3),
        (0xbfee, 0x1fb13c27),
        (0xdff6, 0x0fd12e23),
        (0xffea, 0x1fa13c23),
    ];
    for &(c, w) in pairs {
        assert_eq!(expand_compressed(c), Some(w), "c={c:#06x}");
    }
}

#[test]
fn compressed_reserved_are_illegal() {
    for c in [
        0x0000u16, // all zero
        0x0008,    // c.addi4spn a0, sp, 0
        0x6181,    // c.lui x3, 0
        0x6101,    // c.addi16sp 0
        0x2001,    // c.addiw x0
        0x4002,    // c.lwsp x0
        0x6002,    // c.ldsp x0
        0x8002,    // c.jr x0
        0x9c41,    // reserved misc-alu
        0x9c61,    // reserved misc-alu
        0x8000,    // quadrant 0 funct3=100
    ] {
        assert_eq!(expand_compressed(c), None, "{c:#06x}");
    }
    // Hints are legal.
    assert!(expand_compressed(0x0001).is_some()); // c.nop
    assert!(expand_compressed(0x6005).is_some()); // c.lui x0, 1
}

// ------------------------------------------------------------ integer

#[test]
fn div_rem_edge_cases() {
    let min = i64::MIN as u64;
    let m1 = u64::MAX;
    assert_eq!(alu(op(1, 4), min, m1), min); // div overflow
    assert_eq!(alu(op(1, 6), min, m1), 0); // rem overflow
    assert_eq!(alu(op(1, 4), 7, 0), m1); // div by zero
    assert_eq!(alu(op(1, 6), 7, 0), 7);
    assert_eq!(alu(op(1, 5), 7, 0), m1); // divu
    assert_eq!(alu(op(1, 7), 7, 0), 7); // remu
    assert_eq!(alu(op(1, 4), (-7i64) as u64, 2), (-3i64) as u64);
    assert_eq!(alu(op(1, 6), (-7i64) as u64, 2), (-1i64) as u64);
    // W forms: operate on low 32 bits, sign-extend.
    let w_min = 0xffff_ffff_8000_0000;
    assert_eq!(alu(op32(1, 4), 0x8000_0000, m1), w_min);
    assert_eq!(alu(op32(1, 6), 0x8000_0000, m1), 0);
    assert_eq!(alu(op32(1, 4), 5, 0), m1);
    assert_eq!(alu(op32(1, 6), 0x1_8000_0005, 0), 0xffff_ffff_8000_0005);
    assert_eq!(alu(op32(1, 5), 5, 0x1_0000_0000), m1); // divuw by (low) zero
    assert_eq!(alu(op32(1, 7), 0x8000_0000, 0), w_min); // remuw by zero
    assert_eq!(alu(op32(1, 4), 0x1_0000_0006, 2), 3);
    assert_eq!(alu(op32(1, 5), 0xffff_fffe, 2), 0x7fff_ffff);
    assert_eq!(alu(op32(1, 7), 0xffff_ffff, 0x10), 0xf);
    assert_eq!(alu(op32(1, 0), 0x1_0000_0000 | 0x10000, 0x10000), 0); // mulw
}

#[test]
fn mul_high() {
    let m1 = u64::MAX;
    assert_eq!(alu(op(1, 1), m1, m1), 0); // mulh(-1,-1)
    assert_eq!(alu(op(1, 3), m1, m1), m1 - 1); // mulhu
    assert_eq!(alu(op(1, 2), m1, m1), m1); // mulhsu(-1, 2^64-1)
    assert_eq!(alu(op(1, 2), 2, m1), 1);
    assert_eq!(alu(op(1, 1), i64::MIN as u64, i64::MIN as u64), 1 << 62);
    assert_eq!(alu(op(1, 0), 3, (-5i64) as u64), (-15i64) as u64);
}

#[test]
fn shifts_and_w_ops() {
    assert_eq!(alu(op(0, 1), 1, 64 + 3), 8); // sll masks to 6 bits
    assert_eq!(alu(op(0x20, 5), (-16i64) as u64, 2), (-4i64) as u64); // sra
    assert_eq!(alu(op(0, 5), (-16i64) as u64, 60), 0xf); // srl
    assert_eq!(alu(op32(0, 1), 1, 31), 0xffff_ffff_8000_0000); // sllw
    assert_eq!(alu(op32(0, 1), 1, 32 + 1), 2); // sllw masks to 5 bits
    assert_eq!(alu(op32(0, 5), 0xffff_ffff_8000_0000, 4), 0x0800_0000); // srlw
    assert_eq!(alu(op32(0, 5), 0x8000_0000, 0), 0xffff_ffff_8000_0000);
    assert_eq!(alu(op32(0x20, 5), 0x8000_0000, 4), 0xffff_ffff_f800_0000); // sraw
    assert_eq!(alu(op32(0, 0), 0x7fff_ffff, 1), 0xffff_ffff_8000_0000); // addw
    assert_eq!(alu(op32(0x20, 0), 0, 1), u64::MAX); // subw
    assert_eq!(alu(addiw(A0, A1, 0), 0x1_ffff_ffff, 0), u64::MAX); // sext.w
    assert_eq!(alu(enc_i(0x1b, A0, 1, A1, 31), 3, 0), 0xffff_ffff_8000_0000); // slliw
    assert_eq!(
        alu(enc_i(0x1b, A0, 5, A1, 0x400 | 31), 0x8000_0000, 0),
        u64::MAX
    ); // sraiw
    assert_eq!(alu(enc_i(0x1b, A0, 5, A1, 31), 0x8000_0000, 0), 1); // srliw
    assert_eq!(alu(enc_i(0x13, A0, 1, A1, 63), 1, 0), 1 << 63); // slli 63
    assert_eq!(
        alu(enc_i(0x13, A0, 5, A1, 0x400 | 63), 1 << 63, 0),
        u64::MAX
    ); // srai
}

#[test]
fn compares() {
    assert_eq!(alu(op(0, 2), u64::MAX, 0), 1); // slt -1 < 0
    assert_eq!(alu(op(0, 3), u64::MAX, 0), 0); // sltu
    assert_eq!(alu(enc_i(0x13, A0, 3, A1, -1), 5, 0), 1); // sltiu x, -1 (=MAX)
    assert_eq!(alu(enc_i(0x13, A0, 2, A1, -1), (-2i64) as u64, 0), 1); // slti
    assert_eq!(alu(enc_i(0x13, A0, 4, A1, -1), 0x0f, 0), !0x0f); // xori -1 = not
}

#[test]
fn lui_auipc_and_fusion() {
    let m = run(&[
        lui(A0, 0x8000_0000u32 as i32),
        lui(A1, 0x12345000),
        addiw(A1, A1, 0x678),
    ]);
    assert_eq!(m.cpu.x[A0 as usize], 0xffff_ffff_8000_0000);
    assert_eq!(m.cpu.x[A1 as usize], 0x1234_5678);
    // lui+addiw wrapping: li 0x7fffffff = lui 0x80000; addiw -1
    let m = run(&[lui(A0, 0x8000_0000u32 as i32), addiw(A0, A0, -1)]);
    assert_eq!(m.cpu.x[A0 as usize], 0x7fff_ffff);
    // auipc + addi (la)
    let m = run(&[addi(0, 0, 0), auipc(A0, 0x1000), addi(A0, A0, -4)]);
    assert_eq!(m.cpu.x[A0 as usize], CODE + 4 + 0x1000 - 4);
    // auipc into a different register than addi's rd: no fusion, both visible
    let m = run(&[auipc(A0, 0), addi(A1, A0, 8)]);
    assert_eq!(m.cpu.x[A0 as usize], CODE);
    assert_eq!(m.cpu.x[A1 as usize], CODE + 8);
}

#[test]
fn jumps_and_links() {
    // jal over one instruction
    let m = run(&[jal(RA, 8), addi(A0, 0, 1), addi(A1, 0, 2)]);
    assert_eq!(m.cpu.x[A0 as usize], 0);
    assert_eq!(m.cpu.x[A1 as usize], 2);
    assert_eq!(m.cpu.x[RA as usize], CODE + 4);
    // jalr with rd == rs1, and an odd target (bit 0 cleared)
    let m = run_regs(
        &[jalr(A2, A2, 1), addi(A0, 0, 1), addi(A1, 0, 2)],
        &[(A2, CODE + 8)],
    );
    assert_eq!(m.cpu.x[A0 as usize], 0);
    assert_eq!(m.cpu.x[A2 as usize], CODE + 4);
    // auipc+jalr (call) fused
    let m = run(&[
        auipc(RA, 0),
        jalr(RA, RA, 12),
        addi(A0, 0, 1),
        addi(A1, 0, 2),
    ]);
    assert_eq!(m.cpu.x[A0 as usize], 0);
    assert_eq!(m.cpu.x[RA as usize], CODE + 8);
    // tail: auipc t1; jalr x0, t1 — t1 keeps the auipc value
    let m = run(&[
        auipc(T1, 0),
        jalr(0, T1, 12),
        addi(A0, 0, 1),
        addi(A1, 0, 2),
    ]);
    assert_eq!(m.cpu.x[T1 as usize], CODE);
    assert_eq!(m.cpu.x[A0 as usize], 0);
    assert_eq!(m.cpu.x[0], 0);
}

#[test]
fn addi_then_return_fused() {
    // addi sp, sp, 16; ret
    let mut m = machine(&bytes_of(&[
        addi(SP, SP, 16),
        jalr(0, RA, 0),
        EBREAK,
        ECALL,
    ]));
    m.cpu.x[RA as usize] = CODE + 12;
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
    assert_eq!(m.cpu.x[SP as usize], DATA + 0x8000 + 16);
    assert_eq!(m.cpu.instret, 3);
    // The addi writes the jalr's base, which the jalr's link overwrites.
    let mut m = machine(&bytes_of(&[
        addi(RA, RA, 4),
        jalr(RA, RA, 4),
        EBREAK,
        ECALL,
    ]));
    m.cpu.x[RA as usize] = CODE + 4;
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
    assert_eq!(m.cpu.x[RA as usize], CODE + 8);
    // An odd target loses bit 0; a budget exit lands on the target.
    let mut m = machine(&bytes_of(&[
        addi(A0, A0, 1),
        jalr(A1, A0, 0),
        EBREAK,
        ECALL,
    ]));
    m.cpu.x[A0 as usize] = CODE + 12;
    assert_eq!(m.cpu.run(&mut m.mem, 2), Exit::Budget);
    assert_eq!((m.cpu.pc, m.cpu.x[A1 as usize]), (CODE + 12, CODE + 8));
}

#[test]
fn branch_loop() {
    // a0 = sum(1..=100)
    let m = run(&[
        addi(A1, 0, 100),
        addi(A0, A0, 0),
        // loop:
        enc_r(0x33, A0, 0, A0, A1, 0), // add a0, a0, a1
        addi(A1, A1, -1),
        bne(A1, 0, -8),
    ]);
    assert_eq!(m.cpu.x[A0 as usize], 5050);
    assert_eq!(m.cpu.instret, 2 + 300 + 1);
    // signed/unsigned branches
    let m = run_regs(
        &[
            blt(A1, A2, 8),
            addi(A0, 0, 1),
            bgeu(A1, A2, 8),
            addi(A3, 0, 1),
        ],
        &[(A1, u64::MAX), (A2, 1)],
    );
    assert_eq!(m.cpu.x[A0 as usize], 0);
    assert_eq!(m.cpu.x[A3 as usize], 0);
}

#[test]
fn x0_stays_zero() {
    let m = run_regs(
        &[load(3, 0, A1, 0), enc_r(0x33, A0, 0, 0, 0, 0)],
        &[(A1, DATA)],
    );
    assert_eq!(m.cpu.x[0], 0);
    assert_eq!(m.cpu.x[A0 as usize], 0);
    // lw x0 from an unmapped address still faults
    let mut m = machine(&bytes_of(&[load(2, 0, A1, 0)]));
    m.cpu.x[A1 as usize] = 0x9999_0000;
    assert!(
        matches!(m.cpu.run(&mut m.mem, 100), Exit::Fault(f) if f.addr == 0x9999_0000 && f.unmapped)
    );
}

#[test]
fn loads_stores_extension_and_misaligned() {
    let m = run_regs(
        &[
            store(3, A1, A2, 0),
            load(0, A0, A2, 7), // lb 0x80
            load(4, A3, A2, 7), // lbu
            load(1, T0, A2, 6), // lh 0x8081
            load(5, T1, A2, 6), // lhu
            load(2, 14, A2, 4), // lw 0x80818283
            load(6, 15, A2, 4), // lwu
            load(3, 16, A2, 1), // ld misaligned
        ],
        &[(A1, 0x8081_8283_8485_8687), (A2, DATA + 0x100)],
    );
    let x = &m.cpu.x;
    assert_eq!(x[A0 as usize], 0xffff_ffff_ffff_ff80);
    assert_eq!(x[A3 as usize], 0x80);
    assert_eq!(x[T0 as usize], 0xffff_ffff_ffff_8081);
    assert_eq!(x[T1 as usize], 0x8081);
    assert_eq!(x[14], 0xffff_ffff_8081_8283);
    assert_eq!(x[15], 0x8081_8283);
    assert_eq!(x[16], 0x0080_8182_8384_8586);
    // Misaligned store and load across a page boundary.
    let mut m = run_regs(
        &[store(3, A1, A2, 0), load(3, A0, A2, 0), load(2, A3, A2, 2)],
        &[(A1, 0x1122_3344_5566_7788), (A2, DATA + 0xffd)],
    );
    assert_eq!(m.cpu.x[A0 as usize], 0x1122_3344_5566_7788);
    assert_eq!(m.cpu.x[A3 as usize], 0x3344_5566);
    assert_eq!(m.mem.read_u8(DATA + 0x1000).unwrap(), 0x55);
}

#[test]
fn faults_report_pc_and_address() {
    // store to read-only code page
    let mut m = machine(&bytes_of(&[addi(A0, 0, 1), store(3, A0, A1, 0), ECALL]));
    m.cpu.x[A1 as usize] = CODE;
    let e = m.cpu.run(&mut m.mem, 100);
    assert_eq!(
        e,
        Exit::Fault(MemFault {
            addr: CODE,
            kind: AccessKind::Write,
            unmapped: false
        })
    );
    assert_eq!(m.cpu.pc, CODE + 4);
    assert_eq!(m.cpu.x[A0 as usize], 1);
    assert_eq!(m.cpu.instret, 1);
    // crossing into an unmapped page: the address of the first bad byte
    let mut m = machine(&bytes_of(&[load(3, A0, A1, 0), ECALL]));
    m.cpu.x[A1 as usize] = DATA + 0x10000 - 4;
    let e = m.cpu.run(&mut m.mem, 100);
    assert!(
        matches!(e, Exit::Fault(f) if f.addr == DATA + 0x10000 && f.unmapped && f.kind == AccessKind::Read)
    );
    // fetch from a non-executable page
    let mut m = machine(&[]);
    m.cpu.pc = DATA;
    let e = m.cpu.run(&mut m.mem, 100);
    assert!(
        matches!(e, Exit::Fault(f) if f.addr == DATA && !f.unmapped && f.kind == AccessKind::Exec)
    );
    // fetch from unmapped
    m.cpu.pc = 0x4000_0000;
    assert!(
        matches!(m.cpu.run(&mut m.mem, 100), Exit::Fault(f) if f.unmapped && f.kind == AccessKind::Exec)
    );
}

#[test]
fn illegal_exits() {
    let mut m = machine(&bytes_of(&[addi(A0, 0, 1), 0xffff_ffff]));
    assert_eq!(
        m.cpu.run(&mut m.mem, 100),
        Exit::Illegal { insn: 0xffff_ffff }
    );
    assert_eq!(m.cpu.pc, CODE + 4);
    assert_eq!(m.cpu.instret, 1);
    // all-zero halfword
    let mut m = machine(&[0x01, 0x00, 0x00, 0x00]); // c.nop; 0x0000
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Illegal { insn: 0 });
    assert_eq!(m.cpu.pc, CODE + 2);
    // ebreak
    let mut m = machine(&bytes_of(&[addi(A0, 0, 1), EBREAK]));
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ebreak);
    assert_eq!(m.cpu.pc, CODE + 4);
    // c.ebreak
    let mut m = machine(&[0x02, 0x90]);
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ebreak);
    assert_eq!(m.cpu.pc, CODE);
}

#[test]
fn budget_exit() {
    let mut m = machine(&bytes_of(&[addi(A0, A0, 1), jal(0, -4)]));
    assert_eq!(m.cpu.run(&mut m.mem, 1000), Exit::Budget);
    assert_eq!(m.cpu.instret, 1000);
    assert_eq!(m.cpu.x[A0 as usize], 500);
    assert_eq!(m.cpu.run(&mut m.mem, 10), Exit::Budget);
    assert_eq!(m.cpu.x[A0 as usize], 505);
}

// ------------------------------------------------------------ atomics

#[test]
fn lr_sc() {
    let (a, v) = (DATA + 0x40, 0x1234u64);
    // success
    let m = run_regs(
        &[amo(0x02, false, A0, A1, 0), amo(0x03, false, A3, A1, A2)],
        &[(A1, a), (A2, v)],
    );
    assert_eq!(m.cpu.x[A3 as usize], 0);
    let mut mem = m.mem;
    assert_eq!(mem.read_u64(a).unwrap(), v);
    // sc without lr fails, memory untouched
    let mut m = run_regs(&[amo(0x03, false, A3, A1, A2)], &[(A1, a), (A2, v)]);
    assert_eq!(m.cpu.x[A3 as usize], 1);
    assert_eq!(m.mem.read_u64(a).unwrap(), 0);
    // second sc after a successful one fails
    let m = run_regs(
        &[
            amo(0x02, false, A0, A1, 0),
            amo(0x03, false, A3, A1, A2),
            amo(0x03, false, T0, A1, A2),
        ],
        &[(A1, a), (A2, v)],
    );
    assert_eq!((m.cpu.x[A3 as usize], m.cpu.x[T0 as usize]), (0, 1));
    // different address fails
    let m = run_regs(
        &[
            amo(0x02, false, A0, A1, 0),
            addi(A1, A1, 8),
            amo(0x03, false, A3, A1, A2),
        ],
        &[(A1, a), (A2, v)],
    );
    assert_eq!(m.cpu.x[A3 as usize], 1);
    // an intervening store changing the value makes sc fail (qemu semantics)
    let m = run_regs(
        &[
            amo(0x02, false, A0, A1, 0),
            store(3, A2, A1, 0),
            amo(0x03, false, A3, A1, A2),
        ],
        &[(A1, a), (A2, v)],
    );
    assert_eq!(m.cpu.x[A3 as usize], 1);
    // lr.w sign-extends; sc.w succeeds
    let mut m = machine(&bytes_of(&[
        amo(0x02, true, A0, A1, 0),
        amo(0x03, true, A3, A1, A2),
        ECALL,
    ]));
    m.mem.write_u32(a, 0x8000_0001).unwrap();
    m.cpu.x[A1 as usize] = a;
    m.cpu.x[A2 as usize] = 7;
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
    assert_eq!(m.cpu.x[A0 as usize], 0xffff_ffff_8000_0001);
    assert_eq!(m.cpu.x[A3 as usize], 0);
    assert_eq!(m.mem.read_u64(a).unwrap(), 7);
    // clear_reservation between lr and sc
    let mut m = machine(&bytes_of(&[
        amo(0x02, false, A0, A1, 0),
        ECALL,
        amo(0x03, false, A3, A1, A2),
        ECALL,
    ]));
    m.cpu.x[A1 as usize] = a;
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
    m.cpu.clear_reservation();
    m.cpu.pc += 4;
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
    assert_eq!(m.cpu.x[A3 as usize], 1);
    // misaligned lr faults
    let mut m = machine(&bytes_of(&[amo(0x02, false, A0, A1, 0)]));
    m.cpu.x[A1 as usize] = a + 4;
    assert!(matches!(m.cpu.run(&mut m.mem, 100), Exit::Fault(f) if !f.unmapped));
}

#[test]
fn amos() {
    let a = DATA + 0x80;
    let cases: &[(u32, bool, u64, u64, u64)] = &[
        // (funct5, word, mem, src, expected mem)
        (0x01, false, 5, 9, 9),
        (0x00, false, 5, 9, 14),
        (0x04, false, 0b1100, 0b1010, 0b0110),
        (0x0c, false, 0b1100, 0b1010, 0b1000),
        (0x08, false, 0b1100, 0b1010, 0b1110),
        (0x10, false, (-5i64) as u64, 3, (-5i64) as u64),
        (0x14, false, (-5i64) as u64, 3, 3),
        (0x18, false, (-5i64) as u64, 3, 3),
        (0x1c, false, (-5i64) as u64, 3, (-5i64) as u64),
        (0x00, true, 0xffff_ffff, 1, 0),
        (0x10, true, 0x8000_0000, 1, 0x8000_0000),
        (0x14, true, 0x8000_0000, 1, 1),
        (0x18, true, 0x8000_0000, 1, 1),
        (0x1c, true, 0x8000_0000, 1, 0x8000_0000),
        (0x01, true, 0x8000_0000, 0x1_2345_6789, 0x2345_6789),
    ];
    for &(f5, w, init, src, want) in cases {
        let mut m = machine(&bytes_of(&[amo(f5, w, A0, A1, A2), ECALL]));
        m.mem
            .write_u64(
                a,
                if w {
                    init | 0xaaaa_aaaa_0000_0000
                } else {
                    init
                },
            )
            .unwrap();
        m.cpu.x[A1 as usize] = a;
        m.cpu.x[A2 as usize] = src;
        assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
        let old = if w {
            init as u32 as i32 as i64 as u64
        } else {
            init
        };
        assert_eq!(m.cpu.x[A0 as usize], old, "f5={f5:#x} w={w}");
        let got = if w {
            m.mem.read_u32(a).unwrap() as u64
        } else {
            m.mem.read_u64(a).unwrap()
        };
        assert_eq!(got, want, "f5={f5:#x} w={w}");
        if w {
            assert_eq!(m.mem.read_u32(a + 4).unwrap(), 0xaaaa_aaaa);
        }
    }
    // AMO on a read-only page faults as a write
    let mut m = machine(&bytes_of(&[amo(0x00, false, A0, A1, A2)]));
    m.cpu.x[A1 as usize] = CODE;
    assert!(
        matches!(m.cpu.run(&mut m.mem, 100), Exit::Fault(f) if f.kind == AccessKind::Write && !f.unmapped)
    );
}

// ------------------------------------------------------------ compressed

#[test]
fn compressed_program() {
    // c.li a0, 0; c.li a1, 10; loop: c.add a0, a1; c.addi a1, -1; c.bnez a1, loop;
    // c.slli a0, 1; c.mv a2, a0; ecall
    let hw: [u16; 7] = [0x4501, 0x45a9, 0x952e, 0x15fd, 0xfdf5, 0x0506, 0x862a];
    let mut code: Vec<u8> = hw.iter().flat_map(|h| h.to_le_bytes()).collect();
    code.extend_from_slice(&ECALL.to_le_bytes());
    let mut m = machine(&code);
    assert_eq!(m.cpu.run(&mut m.mem, 10_000), Exit::Ecall);
    assert_eq!(m.cpu.x[A0 as usize], 110);
    assert_eq!(m.cpu.x[A2 as usize], 110);
    assert_eq!(m.cpu.pc, CODE + 14);
}

#[test]
fn compressed_loads_stores_fp() {
    // c.sdsp a0, 8(sp); c.ldsp a1, 8(sp); c.fsdsp fa0, 16(sp); c.fldsp fa1, 16(sp)
    // c.fsd fa0, 0(a2)... (a2 = x12 is a compressed reg)
    let c_sdsp = 0xe42a; // sd a0,8(sp)
    let c_ldsp = 0x65a2; // ld a1,8(sp)
    let c_fsdsp = 0xa82a; // fsd fa0,16(sp)
    let c_fldsp = 0x25c2; // fld fa1,16(sp)
    let c_fsd = 0xa208; // fsd fa0,0(a2)
    let c_fld = 0x2210; // fld fa2,0(a2)
    let c_addiw = 0x2505; // addiw a0,a0,1
    for &c in &[c_sdsp, c_ldsp, c_fsdsp, c_fldsp, c_fsd, c_fld, c_addiw] {
        assert!(expand_compressed(c).is_some(), "{c:#x}");
    }
    let hw = [c_sdsp, c_ldsp, c_fsdsp, c_fldsp, c_fsd, c_fld, c_addiw];
    let mut code: Vec<u8> = hw.iter().flat_map(|h: &u16| h.to_le_bytes()).collect();
    code.extend_from_slice(&ECALL.to_le_bytes());
    let mut m = machine(&code);
    m.cpu.x[A0 as usize] = 0x7fff_ffff;
    m.cpu.x[A2 as usize] = DATA + 0x200;
    m.cpu.f[10] = 0x4009_21fb_5444_2d18;
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
    assert_eq!(m.cpu.x[A1 as usize], 0x7fff_ffff);
    assert_eq!(m.cpu.f[11], 0x4009_21fb_5444_2d18);
    assert_eq!(m.cpu.f[12], 0x4009_21fb_5444_2d18);
    assert_eq!(m.cpu.x[A0 as usize], 0xffff_ffff_8000_0000);
}

// ------------------------------------------------------------ Zb*, Zicond

#[test]
fn bitmanip() {
    let (a, b) = (0x8000_0000_f00d_0ff1u64, 0x0000_0000_0000_0044u64);
    let cases: &[(u32, u64)] = &[
        (0x08c5853b, (a as u32 as u64).wrapping_add(b)), // add.uw a0,a1,a2
        (0x20c5a533, (a << 1).wrapping_add(b)),          // sh1add
        (0x20c5c533, (a << 2).wrapping_add(b)),          // sh2add
        (0x20c5e533, (a << 3).wrapping_add(b)),          // sh3add
        (0x20c5a53b, ((a as u32 as u64) << 1) + b),      // sh1add.uw
        (0x20c5c53b, ((a as u32 as u64) << 2) + b),      // sh2add.uw
        (0x20c5e53b, ((a as u32 as u64) << 3) + b),      // sh3add.uw
        (0x0a15951b, (a as u32 as u64) << 33),           // slli.uw a0,a1,33
        (0x40c5f533, a & !b),                            // andn
        (0x40c5e533, a | !b),                            // orn
        (0x40c5c533, !(a ^ b)),                          // xnor
        (0x60059513, 0),                                 // clz
        (0x6005951b, 0),                                 // clzw (0xf00d0ff1)
        (0x60159513, 0),                                 // ctz
        (0x6015951b, 0),                                 // ctzw
        (0x60259513, a.count_ones() as u64),             // cpop
        (0x6025951b, (a as u32).count_ones() as u64),    // cpopw
        (0x0ac5e533, b),                                 // max (a negative)
        (0x0ac5f533, a),                                 // maxu
        (0x0ac5c533, a),                                 // min
        (0x0ac5d533, b),                                 // minu
        (0x60459513, 0xffff_ffff_ffff_fff1),             // sext.b
        (0x60559513, 0x0ff1),                            // sext.h
        (0x0805c53b, 0x0ff1),                            // zext.h
        (0x60c59533, a.rotate_left(4)),                  // rol (b & 63 = 4)
        (0x60c5953b, sext32((a as u32).rotate_left(4) as u64)), // rolw
        (0x60c5d533, a.rotate_right(4)),                 // ror
        (0x6255d513, a.rotate_right(37)),                // rori 37
        (0x6115d51b, sext32((a as u32).rotate_right(17) as u64)), // roriw 17
        (0x60c5d53b, sext32((a as u32).rotate_right(4) as u64)), // rorw
        (0x2875d513, 0xff00_0000_ffff_ffff),             // orc.b
        (0x6b85d513, a.swap_bytes()),                    // rev8
        (0x48c59533, a & !(1 << 4)),                     // bclr
        (0x4a859513, a & !(1 << 40)),                    // bclri 40
        (0x48c5d533, 1),                                 // bext bit 4 of ...ff1 = 1
        (0x4a85d513, 0),                                 // bexti 40
        (0x68c59533, a ^ (1 << 4)),                      // binv
        (0x6a859513, a ^ (1 << 40)),                     // binvi
        (0x28c59533, a | (1 << 4)),                      // bset
        (0x2a859513, a | (1 << 40)),                     // bseti
    ];
    for &(insn, want) in cases {
        assert_eq!(alu(insn, a, b), want, "{insn:#010x}");
    }
    // clz/ctz/cpop edge values
    assert_eq!(alu(0x60059513, 0, 0), 64);
    assert_eq!(alu(0x60159513, 0, 0), 64);
    assert_eq!(alu(0x6005951b, 0xffff_ffff_0000_0000, 0), 32);
    assert_eq!(alu(0x6015951b, 0xffff_ffff_0000_0000, 0), 32);
    assert_eq!(alu(0x60059513, 1, 0), 63);
    assert_eq!(alu(0x6005951b, 0x8000, 0), 16);
    // clmul family
    assert_eq!(alu(0x0ac59533, 0b101, 0b11), 0b1111);
    assert_eq!(alu(0x0ac5b533, 1 << 63, 1 << 63), 1 << 62); // clmulh
    assert_eq!(alu(0x0ac5a533, 1 << 63, 1 << 63), 1 << 63); // clmulr
}

#[test]
fn zicond() {
    let eqz = enc_r(0x33, A0, 5, A1, A2, 0x07);
    let nez = enc_r(0x33, A0, 7, A1, A2, 0x07);
    assert_eq!(alu(eqz, 42, 0), 0);
    assert_eq!(alu(eqz, 42, 1), 42);
    assert_eq!(alu(nez, 42, 0), 42);
    assert_eq!(alu(nez, 42, u64::MAX), 0);
}

// ------------------------------------------------------------ CSRs

#[test]
fn csr_fp_registers() {
    let m = run_regs(
        &[
            csr(1, 0, A1, 0x003),    // fscsr a1 (0xff)
            csr(2, A0, 0, 0x001),    // frflags
            csr(2, A2, 0, 0x002),    // frrm
            csr(7, A3, 0x1f, 0x001), // csrrci a3, fflags, 31
            csr(6, T0, 0x3, 0x001),  // csrrsi t0, fflags, 3
            csr(5, T1, 0x1, 0x002),  // csrrwi t1, frm, 1 (old 7)
            csr(2, 14, 0, 0x003),    // frcsr
            csr(3, 15, A2, 0x003),   // csrrc x15, fcsr, a2 (=7: clears NX|UF|OF)
            csr(2, 16, 0, 0x003),
        ],
        &[(A1, 0x1ff)],
    );
    let x = &m.cpu.x;
    assert_eq!(x[A0 as usize], 0x1f);
    assert_eq!(x[A2 as usize], 7);
    assert_eq!(x[A3 as usize], 0x1f);
    assert_eq!(x[T0 as usize], 0);
    assert_eq!(x[T1 as usize], 7);
    assert_eq!(x[14], 0x23);
    assert_eq!(x[15], 0x23);
    assert_eq!(x[16], 0x20);
    assert_eq!(m.cpu.fcsr, 0x20);
}

#[test]
fn csr_counters() {
    let m = run(&[
        addi(A0, 0, 1),
        csr(2, A1, 0, 0xc02), // rdinstret
        csr(2, A2, 0, 0xc02),
        csr(2, A3, 0, 0xc00), // rdcycle
        csr(2, T0, 0, 0xc01), // rdtime
    ]);
    let x = &m.cpu.x;
    assert_eq!(x[A1 as usize], 1);
    assert_eq!(x[A2 as usize], 2);
    assert_eq!(x[A3 as usize], 3);
    // Illegal CSR accesses exit with the instruction bits.
    let bad = csr(1, A0, A1, 0xc00);
    let mut m = machine(&bytes_of(&[bad]));
    assert_eq!(m.cpu.run(&mut m.mem, 10), Exit::Illegal { insn: bad });
}

// ------------------------------------------------------------ FP

const ONE_D: u64 = 0x3ff0_0000_0000_0000;
const TWO_D: u64 = 0x4000_0000_0000_0000;
const ONE_S: u64 = 0xffff_ffff_3f80_0000;
const QNAN_D: u64 = 0x7ff8_0000_0000_0000;
const SNAN_D: u64 = 0x7ff0_0000_0000_0001;
const NEG_ZERO_D: u64 = 0x8000_0000_0000_0000;

/// Run one FP instruction with f1,f2,f3 and a1 preset; returns (f10, a0, fcsr).
fn fpu(insn: u32, f: [u64; 3], a1: u64, fcsr: u32) -> (u64, u64, u32) {
    let mut v = vec![insn, ECALL];
    v.truncate(2);
    let mut m = machine(&bytes_of(&v));
    m.cpu.f[1] = f[0];
    m.cpu.f[2] = f[1];
    m.cpu.f[3] = f[2];
    m.cpu.x[A1 as usize] = a1;
    m.cpu.fcsr = fcsr;
    let e = m.cpu.run(&mut m.mem, 10);
    assert_eq!(e, Exit::Ecall, "{insn:#010x}");
    (m.cpu.f[10], m.cpu.x[A0 as usize], m.cpu.fcsr & 0x1f)
}

#[test]
fn fp_nan_boxing() {
    // fadd.s with an improperly boxed operand reads the canonical NaN.
    let (r, _, fl) = fpu(fop(0x00, 0, 10, 1, 2), [0x3f80_0000, ONE_S, 0], 0, 0);
    assert_eq!(r, 0xffff_ffff_7fc0_0000);
    assert_eq!(fl, 0);
    // properly boxed: 1 + 1 = 2
    let (r, _, _) = fpu(fop(0x00, 0, 10, 1, 2), [ONE_S, ONE_S, 0], 0, 0);
    assert_eq!(r, 0xffff_ffff_4000_0000);
    // fmv.x.w sign-extends the raw low bits (no unboxing)
    let (_, a0, _) = fpu(fop(0x70, 0, A0, 1, 0), [0x1234_5678_8000_0000, 0, 0], 0, 0);
    assert_eq!(a0, 0xffff_ffff_8000_0000);
    // fmv.w.x boxes
    let (r, _, _) = fpu(fop(0x78, 0, 10, A1, 0), [0; 3], 0xdead_beef_1234_5678, 0);
    assert_eq!(r, 0xffff_ffff_1234_5678);
    // fsgnj.s (fmv.s) of a bad box gives the canonical NaN
    let (r, _, _) = fpu(fop(0x10, 0, 10, 1, 1), [0x0000_0001_3f80_0000, 0, 0], 0, 0);
    assert_eq!(r, 0xffff_ffff_7fc0_0000);
    // fclass.s of a bad box: quiet NaN
    let (_, a0, _) = fpu(fop(0x70, 1, A0, 1, 0), [0x3f80_0000, 0, 0], 0, 0);
    assert_eq!(a0, 1 << 9);
    // flw boxes, fsw stores raw low bits
    let mut m = machine(&bytes_of(&[
        enc_i(0x07, 10, 2, A1, 0),
        enc_s(0x27, 2, A1, 1, 8),
        ECALL,
    ]));
    m.mem.write_u32(DATA, 0x4049_0fdb).unwrap();
    m.cpu.x[A1 as usize] = DATA;
    m.cpu.f[1] = 0x0123_4567_89ab_cdef;
    assert_eq!(m.cpu.run(&mut m.mem, 10), Exit::Ecall);
    assert_eq!(m.cpu.f[10], 0xffff_ffff_4049_0fdb);
    assert_eq!(m.mem.read_u64(DATA + 8).unwrap(), 0x89ab_cdef);
}

#[test]
fn fp_fcvt_saturation() {
    let d = |v: f64| v.to_bits();
    let w = |rs2: u32, rm: u32| fop(0x61, rm, A0, 1, rs2);
    let cases: &[(u32, u64, u64, u32)] = &[
        (w(0, 1), QNAN_D, 0x7fff_ffff, NV),
        (w(0, 1), d(f64::NEG_INFINITY), 0xffff_ffff_8000_0000, NV),
        (w(0, 1), d(f64::INFINITY), 0x7fff_ffff, NV),
        (w(0, 1), d(3e9), 0x7fff_ffff, NV),
        (w(0, 1), d(-2147483648.9), 0xffff_ffff_8000_0000, NX),
        (w(1, 1), d(-1.0), 0, NV),
        (w(1, 1), d(-0.5), 0, NX),
        (w(1, 0), d(-0.7), 0, NV),
        (w(1, 1), QNAN_D, u64::MAX, NV),
        (w(1, 1), d(4294967295.0), u64::MAX, 0),
        (w(1, 1), d(4294967296.0), u64::MAX, NV),
        (w(2, 1), d(1e19), i64::MAX as u64, NV),
        (w(2, 1), d(-1e19), i64::MIN as u64, NV),
        (w(2, 1), SNAN_D, i64::MAX as u64, NV),
        (w(3, 1), QNAN_D, u64::MAX, NV),
        (w(3, 1), d(1.8e19), 18000000000000000000, 0),
        (w(3, 1), d(-0.0), 0, 0),
        (w(3, 1), d(f64::NEG_INFINITY), 0, NV),
    ];
    for &(insn, a, want, flags) in cases {
        let (_, a0, fl) = fpu(insn, [a, 0, 0], 0, 0);
        assert_eq!((a0, fl), (want, flags), "{insn:#010x} {a:#x}");
    }
    // All rounding modes on ±2.5 (fcvt.w.d)
    for (rm, pos, neg) in [(0, 2, -2), (1, 2, -2), (2, 2, -3), (3, 3, -2), (4, 3, -3)] {
        let (_, a0, fl) = fpu(w(0, rm), [d(2.5), 0, 0], 0, 0);
        assert_eq!((a0 as i64, fl), (pos, NX), "rm={rm}");
        let (_, a0, _) = fpu(w(0, rm), [d(-2.5), 0, 0], 0, 0);
        assert_eq!(a0 as i64, neg, "rm={rm}");
    }
    // dynamic rounding from frm (RUP)
    let (_, a0, _) = fpu(w(0, 7), [d(2.1), 0, 0], 0, 3 << 5);
    assert_eq!(a0, 3);
    // fcvt.w.s (single)
    let (_, a0, fl) = fpu(fop(0x60, 1, A0, 1, 0), [0xffff_ffff_cf00_0001, 0, 0], 0, 0);
    assert_eq!((a0, fl), (0xffff_ffff_8000_0000, NV));
}

#[test]
fn fp_int_to_float() {
    // fcvt.s.l with rounding: 2^24+1 is not representable in single
    let cvt = |rm| fop(0x68, rm, 10, A1, 2);
    let v = (1u64 << 24) + 1;
    assert_eq!(fpu(cvt(0), [0; 3], v, 0), (0xffff_ffff_4b80_0000, 0, NX));
    assert_eq!(fpu(cvt(3), [0; 3], v, 0).0, 0xffff_ffff_4b80_0001);
    // fcvt.d.lu of u64::MAX rounds to 2^64
    let (r, _, fl) = fpu(fop(0x69, 0, 10, A1, 3), [0; 3], u64::MAX, 0);
    assert_eq!((r, fl), (0x43f0_0000_0000_0000, NX));
    let (r, _, _) = fpu(fop(0x69, 1, 10, A1, 3), [0; 3], u64::MAX, 0);
    assert_eq!(r, 0x43ef_ffff_ffff_ffff);
    // fcvt.d.w uses the low 32 bits, signed
    let (r, _, fl) = fpu(fop(0x69, 0, 10, A1, 0), [0; 3], 0x1_ffff_fffe, 0);
    assert_eq!((f64::from_bits(r), fl), (-2.0, 0));
    // fcvt.d.wu
    let (r, _, _) = fpu(fop(0x69, 0, 10, A1, 1), [0; 3], 0x1_ffff_fffe, 0);
    assert_eq!(f64::from_bits(r), 4294967294.0);
    // fcvt.s.d / fcvt.d.s
    let (r, _, fl) = fpu(fop(0x20, 0, 10, 1, 1), [1e300f64.to_bits(), 0, 0], 0, 0);
    assert_eq!((r, fl), (0xffff_ffff_7f80_0000, OF | NX));
    let (r, _, fl) = fpu(fop(0x20, 1, 10, 1, 1), [1e300f64.to_bits(), 0, 0], 0, 0);
    assert_eq!((r, fl), (0xffff_ffff_7f7f_ffff, OF | NX));
    let (r, _, fl) = fpu(fop(0x21, 0, 10, 1, 0), [0xffff_ffff_7f80_0001, 0, 0], 0, 0);
    assert_eq!((r, fl), (QNAN_D, NV));
    let (r, _, fl) = fpu(fop(0x21, 0, 10, 1, 0), [ONE_S, 0, 0], 0, 0);
    assert_eq!((r, fl), (ONE_D, 0));
}

#[test]
fn fp_minmax_signed_zero_and_nans() {
    let fmin = fop(0x15, 0, 10, 1, 2);
    let fmax = fop(0x15, 1, 10, 1, 2);
    assert_eq!(fpu(fmin, [NEG_ZERO_D, 0, 0], 0, 0).0, NEG_ZERO_D);
    assert_eq!(fpu(fmin, [0, NEG_ZERO_D, 0], 0, 0).0, NEG_ZERO_D);
    assert_eq!(fpu(fmax, [NEG_ZERO_D, 0, 0], 0, 0).0, 0);
    assert_eq!(fpu(fmin, [QNAN_D, ONE_D, 0], 0, 0), (ONE_D, 0, 0));
    assert_eq!(fpu(fmin, [SNAN_D, ONE_D, 0], 0, 0), (ONE_D, 0, NV));
    assert_eq!(fpu(fmax, [QNAN_D | 5, SNAN_D, 0], 0, 0), (QNAN_D, 0, NV));
    assert_eq!(fpu(fmax, [ONE_D, TWO_D, 0], 0, 0).0, TWO_D);
    // single: -0 < +0
    let fmin_s = fop(0x14, 0, 10, 1, 2);
    assert_eq!(
        fpu(
            fmin_s,
            [0xffff_ffff_0000_0000, 0xffff_ffff_8000_0000, 0],
            0,
            0
        )
        .0,
        0xffff_ffff_8000_0000
    );
}

#[test]
fn fp_compare_flags() {
    let feq = fop(0x51, 2, A0, 1, 2);
    let flt = fop(0x51, 1, A0, 1, 2);
    let fle = fop(0x51, 0, A0, 1, 2);
    assert_eq!(fpu(feq, [QNAN_D, ONE_D, 0], 0, 0), (0, 0, 0));
    assert_eq!(fpu(feq, [SNAN_D, ONE_D, 0], 0, 0), (0, 0, NV));
    assert_eq!(fpu(flt, [QNAN_D, ONE_D, 0], 0, 0), (0, 0, NV));
    assert_eq!(fpu(fle, [NEG_ZERO_D, 0, 0], 0, 0), (0, 1, 0));
    assert_eq!(fpu(flt, [NEG_ZERO_D, 0, 0], 0, 0), (0, 0, 0));
    assert_eq!(fpu(feq, [NEG_ZERO_D, 0, 0], 0, 0), (0, 1, 0));
    assert_eq!(fpu(flt, [ONE_D, TWO_D, 0], 0, 0), (0, 1, 0));
}

#[test]
fn fp_classify() {
    let fclass = fop(0x71, 1, A0, 1, 0);
    let cases: &[(u64, u64)] = &[
        (f64::NEG_INFINITY.to_bits(), 1 << 0),
        ((-1.0f64).to_bits(), 1 << 1),
        (0x8000_0000_0000_0001, 1 << 2),
        (NEG_ZERO_D, 1 << 3),
        (0, 1 << 4),
        (1, 1 << 5),
        (ONE_D, 1 << 6),
        (f64::INFINITY.to_bits(), 1 << 7),
        (SNAN_D, 1 << 8),
        (QNAN_D, 1 << 9),
    ];
    for &(v, want) in cases {
        assert_eq!(fpu(fclass, [v, 0, 0], 0, 0).1, want, "{v:#x}");
    }
}

#[test]
fn fp_rounding_modes_and_flags() {
    let d = |v: f64| v.to_bits();
    let tiny = d(2f64.powi(-60));
    let fadd = |rm| fop(0x01, rm, 10, 1, 2);
    let up = d(1.0 + f64::EPSILON);
    assert_eq!(fpu(fadd(0), [ONE_D, tiny, 0], 0, 0), (ONE_D, 0, NX));
    assert_eq!(fpu(fadd(1), [ONE_D, tiny, 0], 0, 0).0, ONE_D);
    assert_eq!(fpu(fadd(2), [ONE_D, tiny, 0], 0, 0).0, ONE_D);
    assert_eq!(fpu(fadd(3), [ONE_D, tiny, 0], 0, 0).0, up);
    assert_eq!(fpu(fadd(4), [ONE_D, tiny, 0], 0, 0).0, ONE_D);
    // negative side
    let neg_one = d(-1.0);
    let neg_tiny = d(-(2f64.powi(-60)));
    assert_eq!(
        fpu(fadd(2), [neg_one, neg_tiny, 0], 0, 0).0,
        d(-1.0 - f64::EPSILON)
    );
    assert_eq!(fpu(fadd(3), [neg_one, neg_tiny, 0], 0, 0).0, neg_one);
    // ties: 1 + 2^-53 is halfway: RNE -> 1, RMM -> 1+eps
    let half = d(2f64.powi(-53));
    assert_eq!(fpu(fadd(0), [ONE_D, half, 0], 0, 0).0, ONE_D);
    assert_eq!(fpu(fadd(4), [ONE_D, half, 0], 0, 0).0, up);
    // x - x = +0, but -0 in RDN
    let fsub = |rm| fop(0x05, rm, 10, 1, 2);
    assert_eq!(fpu(fsub(0), [ONE_D, ONE_D, 0], 0, 0), (0, 0, 0));
    assert_eq!(fpu(fsub(2), [ONE_D, ONE_D, 0], 0, 0), (NEG_ZERO_D, 0, 0));
    // dynamic rm, invalid frm is an illegal instruction
    let insn = fadd(7);
    assert_eq!(fpu(insn, [ONE_D, tiny, 0], 0, 3 << 5).0, up);
    let mut m = machine(&bytes_of(&[addi(A0, 0, 1), insn]));
    m.cpu.fcsr = 5 << 5;
    assert_eq!(m.cpu.run(&mut m.mem, 10), Exit::Illegal { insn });
    assert_eq!(m.cpu.pc, CODE + 4);
    // division
    let fdiv = fop(0x0d, 0, 10, 1, 2);
    assert_eq!(fpu(fdiv, [ONE_D, 0, 0], 0, 0), (d(f64::INFINITY), 0, DZ));
    assert_eq!(fpu(fdiv, [0, 0, 0], 0, 0), (QNAN_D, 0, NV));
    assert_eq!(fpu(fdiv, [ONE_D, d(3.0), 0], 0, 0), (d(1.0 / 3.0), 0, NX));
    assert_eq!(
        fpu(fop(0x0d, 2, 10, 1, 2), [ONE_D, d(3.0), 0], 0, 0).0,
        d(1.0 / 3.0)
    );
    assert_eq!(
        fpu(fop(0x0d, 3, 10, 1, 2), [ONE_D, d(3.0), 0], 0, 0).0,
        d(1.0 / 3.0) + 1
    );
    // sqrt
    let fsqrt = |rm| fop(0x2d, rm, 10, 1, 0);
    assert_eq!(fpu(fsqrt(0), [d(-1.0), 0, 0], 0, 0), (QNAN_D, 0, NV));
    assert_eq!(fpu(fsqrt(0), [NEG_ZERO_D, 0, 0], 0, 0), (NEG_ZERO_D, 0, 0));
    assert_eq!(fpu(fsqrt(0), [d(4.0), 0, 0], 0, 0), (TWO_D, 0, 0));
    assert_eq!(fpu(fsqrt(0), [TWO_D, 0, 0], 0, 0), (d(2f64.sqrt()), 0, NX));
    assert_eq!(fpu(fsqrt(2), [TWO_D, 0, 0], 0, 0).0, d(2f64.sqrt()) - 1);
    assert_eq!(fpu(fsqrt(3), [TWO_D, 0, 0], 0, 0).0, d(2f64.sqrt()));
    // overflow / underflow
    let fmul = |rm| fop(0x09, rm, 10, 1, 2);
    assert_eq!(
        fpu(fmul(0), [d(f64::MAX), TWO_D, 0], 0, 0),
        (d(f64::INFINITY), 0, OF | NX)
    );
    assert_eq!(
        fpu(fmul(1), [d(f64::MAX), TWO_D, 0], 0, 0),
        (d(f64::MAX), 0, OF | NX)
    );
    let min = d(f64::MIN_POSITIVE);
    assert_eq!(fpu(fmul(0), [min, d(0.5), 0], 0, 0), (min / 2, 0, 0)); // exact subnormal
    let (r, _, fl) = fpu(fmul(0), [min, d(1.0 / 3.0), 0], 0, 0);
    assert_eq!(fl, UF | NX);
    assert!(f64::from_bits(r) > 0.0 && f64::from_bits(r) < f64::MIN_POSITIVE);
    // (1 - 2^-53) * MIN is halfway below MIN: rounds to MIN, still tiny (UF)
    let (r, _, fl) = fpu(fmul(0), [0x3fef_ffff_ffff_ffff, min, 0], 0, 0);
    assert_eq!((r, fl), (min, UF | NX));
    // fast path (NX already set) gives the same answers
    assert_eq!(fpu(fdiv, [ONE_D, d(3.0), 0], 0, NX), (d(1.0 / 3.0), 0, NX));
    assert_eq!(fpu(fmul(0), [d(f64::MAX), TWO_D, 0], 0, NX).2, OF | NX);
}

#[test]
fn fp_fma() {
    let d = |v: f64| v.to_bits();
    let fmadd = |rm| fma4(0x43, 1, rm, 10, 1, 2, 3);
    // fused: a*b+c with a single rounding; compare with host fma
    let (a, b, c) = (0.1f64, 10.0f64, -1.0f64);
    assert_eq!(
        fpu(fmadd(0), [d(a), d(b), d(c)], 0, 0).0,
        d(a.mul_add(b, c))
    );
    assert_ne!(d(a * b + c), d(a.mul_add(b, c)));
    // sign variants
    let (r, _, _) = fpu(
        fma4(0x47, 1, 0, 10, 1, 2, 3),
        [d(2.0), d(3.0), d(1.0)],
        0,
        0,
    );
    assert_eq!(f64::from_bits(r), 5.0); // fmsub
    let (r, _, _) = fpu(
        fma4(0x4b, 1, 0, 10, 1, 2, 3),
        [d(2.0), d(3.0), d(1.0)],
        0,
        0,
    );
    assert_eq!(f64::from_bits(r), -5.0); // fnmsub
    let (r, _, _) = fpu(
        fma4(0x4f, 1, 0, 10, 1, 2, 3),
        [d(2.0), d(3.0), d(1.0)],
        0,
        0,
    );
    assert_eq!(f64::from_bits(r), -7.0); // fnmadd
                                         // inf*0 + qNaN raises NV
    assert_eq!(
        fpu(fmadd(0), [d(f64::INFINITY), 0, QNAN_D], 0, 0),
        (QNAN_D, 0, NV)
    );
    // inf - inf
    assert_eq!(
        fpu(
            fmadd(0),
            [d(f64::INFINITY), ONE_D, d(f64::NEG_INFINITY)],
            0,
            0
        ),
        (QNAN_D, 0, NV)
    );
    // exact zero sum: +0 (RNE), -0 (RDN)
    assert_eq!(fpu(fmadd(0), [ONE_D, ONE_D, d(-1.0)], 0, 0), (0, 0, 0));
    assert_eq!(
        fpu(fmadd(2), [ONE_D, ONE_D, d(-1.0)], 0, 0),
        (NEG_ZERO_D, 0, 0)
    );
    // 0*x + -0: signs of zero
    assert_eq!(
        fpu(fmadd(0), [NEG_ZERO_D, ONE_D, NEG_ZERO_D], 0, 0).0,
        NEG_ZERO_D
    );
    // directed rounding of a fused result: (1+eps)*(1+eps) - 1 = 2eps + eps^2
    let e = f64::EPSILON;
    let (r, _, fl) = fpu(fmadd(1), [d(1.0 + e), d(1.0 + e), d(-1.0)], 0, 0);
    assert_eq!((r, fl), (d(2.0 * e), NX));
    let (r, _, _) = fpu(fmadd(3), [d(1.0 + e), d(1.0 + e), d(-1.0)], 0, 0);
    assert_eq!(r, d(2.0 * e) + 1);
    // single precision fma
    let (r, _, _) = fpu(
        fma4(0x43, 0, 0, 10, 1, 2, 3),
        [0xffff_ffff_4040_0000, 0xffff_ffff_4080_0000, ONE_S],
        0,
        0,
    );
    assert_eq!(r, 0xffff_ffff_4150_0000); // 3*4+1 = 13
}

#[test]
fn fp_sign_injection() {
    let v = 0x4000_0000_0000_0000u64;
    let n = v | 1 << 63;
    assert_eq!(fpu(fop(0x11, 0, 10, 1, 2), [v, n, 0], 0, 0).0, n);
    assert_eq!(fpu(fop(0x11, 1, 10, 1, 2), [v, n, 0], 0, 0).0, v);
    assert_eq!(fpu(fop(0x11, 2, 10, 1, 2), [n, n, 0], 0, 0).0, v);
    // NaN payloads pass through sign injection unchanged
    assert_eq!(
        fpu(fop(0x11, 0, 10, 1, 1), [SNAN_D, 0, 0], 0, 0),
        (SNAN_D, 0, 0)
    );
}

// ------------------------------------------------------------ memory/code

#[test]
fn self_modifying_code() {
    // Page is RWX. The program overwrites the instruction at `target` with
    // `addi a0, a0, 100` and then executes it (same block, then again).
    let new = addi(A0, A0, 100);
    let prog = [
        lui(A1, (new & 0xffff_f000) as i32),
        addiw(A1, A1, ((new & 0xfff) as i32) << 20 >> 20),
        auipc(A2, 0),
        store(2, A1, A2, 8), // -> target (auipc pc + 8)
        addi(A0, A0, 1),     // target: replaced before it runs
        ECALL,
    ];
    let mut m = machine(&bytes_of(&prog));
    m.mem
        .protect(CODE, 0x10000, Prot::READ | Prot::WRITE | Prot::EXEC)
        .unwrap();
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
    assert_eq!(m.cpu.x[A0 as usize], 100);
    // Run it again from the start: now decoded from the new bytes.
    m.cpu.pc = CODE;
    m.cpu.x[A0 as usize] = 0;
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
    assert_eq!(m.cpu.x[A0 as usize], 100);
    // Kernel-side writes (write_force) also invalidate decoded code.
    m.mem
        .write_force(CODE + 16, &addi(A0, A0, 7).to_le_bytes())
        .unwrap();
    m.mem
        .write_force(CODE + 12, &addi(0, 0, 0).to_le_bytes())
        .unwrap();
    m.cpu.pc = CODE;
    m.cpu.x[A0 as usize] = 0;
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
    assert_eq!(m.cpu.x[A0 as usize], 7);
}

#[test]
fn followed_jumps_across_pages() {
    // jal into the next page and `j` back: one trace over two pages.
    let mut code = bytes_of(&[addi(A1, 0, 1), jal(RA, 0x1000), EBREAK]);
    code.resize(0x1004, 0);
    code.extend_from_slice(&bytes_of(&[addi(A0, A0, 5), jal(0, -0x1000)]));
    let mut m = machine(&code);
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ebreak);
    assert_eq!(m.cpu.pc, CODE + 8);
    assert_eq!(m.cpu.x[RA as usize], CODE + 8);
    assert_eq!((m.cpu.x[A0 as usize], m.cpu.x[A1 as usize]), (5, 1));
    assert_eq!(m.cpu.instret, 5);
    // Changing the second page re-decodes the trace.
    m.mem
        .write_force(CODE + 0x1004, &addi(A0, A0, 9).to_le_bytes())
        .unwrap();
    m.cpu.pc = CODE;
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ebreak);
    assert_eq!(m.cpu.x[A0 as usize], 14);
    // A fault in the jumped-to code reports its own pc.
    m.mem
        .write_force(CODE + 0x1004, &load(3, A0, 0, 8).to_le_bytes())
        .unwrap();
    m.cpu.pc = CODE;
    assert!(matches!(m.cpu.run(&mut m.mem, 100), Exit::Fault(f) if f.addr == 8));
    assert_eq!(m.cpu.pc, CODE + 0x1004);
    assert_eq!(m.cpu.instret, 2 * 5 + 2);
}

#[test]
fn fence_i_and_protect_invalidate() {
    let mut m = machine(&bytes_of(&[addi(A0, A0, 1), 0x0000_100f, ECALL])); // fence.i
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
    assert_eq!(m.cpu.x[A0 as usize], 1);
    // Removing EXEC makes the cached code unrunnable.
    m.mem.protect(CODE, 0x1000, Prot::READ).unwrap();
    m.cpu.pc = CODE;
    assert!(matches!(m.cpu.run(&mut m.mem, 100), Exit::Fault(f) if f.kind == AccessKind::Exec));
    // Unmap + map new code at the same place.
    m.mem.unmap(CODE, 0x1000);
    m.mem
        .map_anon(CODE, 0x1000, Prot::READ | Prot::WRITE | Prot::EXEC)
        .unwrap();
    m.mem
        .write(CODE, &bytes_of(&[addi(A0, 0, 42), ECALL]))
        .unwrap();
    m.cpu.pc = CODE;
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
    assert_eq!(m.cpu.x[A0 as usize], 42);
}

#[test]
fn straddling_instruction() {
    // A 4-byte instruction across a page boundary, preceded by a c.nop.
    let mut mem = AddressSpace::new(MemoryBudget::new(1 << 20));
    mem.map_anon(0x10000, 0x2000, Prot::READ | Prot::WRITE | Prot::EXEC)
        .unwrap();
    let start = 0x10ffc;
    let mut code = vec![0x01, 0x00, 0x01, 0x00]; // c.nop c.nop -> next at 0x11000? no:
    code.truncate(2); // one c.nop at 0x10ffc, addi at 0x10ffe (straddles)
    code.extend_from_slice(&addi(A0, 0, 5).to_le_bytes());
    code.extend_from_slice(&ECALL.to_le_bytes());
    mem.write(start, &code).unwrap();
    let mut cpu = Cpu::new(start, 0);
    assert_eq!(cpu.run(&mut mem, 100), Exit::Ecall);
    assert_eq!(cpu.x[A0 as usize], 5);
    // Modify the half in the second page: the block must be re-decoded.
    mem.write(0x11000, &(addi(A0, 0, 9) >> 16).to_le_bytes()[..2])
        .unwrap();
    cpu.pc = start;
    assert_eq!(cpu.run(&mut mem, 100), Exit::Ecall);
    assert_eq!(cpu.x[A0 as usize], 9);
    // Second page not executable: fault at the page boundary when reached.
    mem.protect(0x11000, 0x1000, Prot::READ).unwrap();
    cpu.pc = start;
    let e = cpu.run(&mut mem, 100);
    assert!(
        matches!(e, Exit::Fault(f) if f.addr == 0x11000 && f.kind == AccessKind::Exec),
        "{e:?}"
    );
    assert_eq!(cpu.pc, 0x10ffe);
}

#[test]
fn cow_fork_isolation_for_running_code() {
    let prog = [
        load(3, A0, A1, 0),
        addi(A0, A0, 1),
        store(3, A0, A1, 0),
        ECALL,
    ];
    let mut m = machine(&bytes_of(&prog));
    m.cpu.x[A1 as usize] = DATA;
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
    let mut child_mem = m.mem.fork();
    let mut child = m.cpu.clone();
    for _ in 0..3 {
        child.pc = CODE;
        assert_eq!(child.run(&mut child_mem, 100), Exit::Ecall);
    }
    assert_eq!(child_mem.read_u64(DATA).unwrap(), 4);
    assert_eq!(m.mem.read_u64(DATA).unwrap(), 1);
    m.cpu.pc = CODE;
    assert_eq!(m.cpu.run(&mut m.mem, 100), Exit::Ecall);
    assert_eq!(m.mem.read_u64(DATA).unwrap(), 2);
    assert_eq!(child_mem.read_u64(DATA).unwrap(), 4);
}

#[test]
fn time_source_is_used() {
    fn fake() -> u64 {
        123_456_700
    }
    set_time_source(fake);
    let m = run(&[csr(2, A0, 0, 0xc01)]);
    assert_eq!(m.cpu.x[A0 as usize], 1_234_567);
}

#[test]
fn op_is_16_bytes() {
    assert_eq!(std::mem::size_of::<Op>(), 16);
}

// ------------------------------------------------------------ fusion

/// A small deterministic PRNG for the randomized tests below.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[(self.next() % v.len() as u64) as usize]
    }
}

/// What a run left behind: exit, pc as an instruction index (see below),
/// registers, fcsr, instret and the data page.
type Outcome = (Exit, u64, [u64; 32], [u64; 32], u32, u64, Vec<u8>);

/// `warm`: fill the data page's TLB entries first, so that the dispatch
/// loop's fast path (not only the general one) runs the accesses.
fn outcome(ws: &[u32], regs: &[(u32, u64)], warm: bool) -> Outcome {
    let mut m = machine(&bytes_of(ws));
    if warm {
        m.mem.write_u64(DATA, 0).unwrap();
    }
    for &(r, v) in regs {
        m.cpu.x[r as usize] = v;
    }
    let e = m.cpu.run(&mut m.mem, 1000);
    let mut data = vec![0u8; 0x100];
    m.mem.read(DATA, &mut data).unwrap();
    let pc = (m.cpu.pc - CODE) / 4;
    (e, pc, m.cpu.x, m.cpu.f, m.cpu.fcsr, m.cpu.instret, data)
}

/// Every pair the block builder may fuse behaves exactly like the two
/// instructions in separate blocks (a `jal x0, +4` between them keeps them
/// apart): same registers, memory, exit, faulting instruction and
/// instruction count (minus the jal). Registers are drawn from a small set
/// so that every kind of aliasing (including x0 and base registers) occurs,
/// and some bases point at unmapped memory so that either instruction of a
/// pair faults.
#[test]
fn fused_pairs_match_separate_instructions() {
    const R: [u32; 5] = [0, A0, A1, A2, A3];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut fused_kinds = std::collections::HashSet::new();
    for _ in 0..40_000 {
        // (Only the second instruction may be a branch: it skips the addi
        // after the pair when taken.)
        let insn = |rng: &mut Rng, branch: bool| -> u32 {
            let (d, s, t) = (rng.pick(&R), rng.pick(&R), rng.pick(&R));
            let off = rng.pick(&[0, 8, 16, -8, 4, 1]);
            let small = rng.pick(&[0, 1, -1, 8, 2047, -2048, 3]);
            match rng.next() % if branch { 21 } else { 18 } {
                0 => enc_i(0x13, d, 1, s, rng.pick(&[1, 2, 3, 6, 63])), // slli
                1 => enc_r(0x33, d, 0, s, t, 0),                        // add
                2 | 3 => addi(d, s, small),
                4 => load(3, d, s, off),                            // ld
                5 => load(2, d, s, off),                            // lw
                6 => load(6, d, s, off),                            // lwu
                7 => load(4, d, s, off),                            // lbu
                8 => store(3, t, s, off),                           // sd
                9 => store(2, t, s, off),                           // sw
                10 => store(0, t, s, off),                          // sb
                11 => enc_r(0x33, d, 4, s, t, 0),                   // xor
                12 => enc_r(0x33, d, 6, s, t, 0),                   // or
                13 => enc_r(0x33, d, 7, s, t, 0),                   // and
                14 => addiw(d, s, rng.pick(&[0, small])),           // sext.w, addiw
                15 => enc_r(0x33, d, 0, s, t, 1),                   // mul
                16 => enc_i(0x13, d, 5, s, rng.pick(&[1, 32, 63])), // srli
                17 => enc_i(0x13, d, 5, s, 0x400 | rng.pick(&[1, 32, 63])), // srai
                // Branches skip the following addi when taken.
                18 => beq(s, t, 8),
                19 => bne(s, t, 8),
                _ => [
                    blt(s, t, 8),
                    bgeu(s, t, 8),
                    enc_b(5, s, t, 8),
                    enc_b(6, s, t, 8),
                ][(rng.next() % 4) as usize],
            }
        };
        let (a, b) = (insn(&mut rng, false), insn(&mut rng, true));
        let tail = [addi(T0, T0, 1), ECALL];
        let fused: Vec<u32> = [a, b].iter().chain(&tail).copied().collect();
        let apart: Vec<u32> = [a, jal(0, 4), b].iter().chain(&tail).copied().collect();
        let vals = [DATA, DATA + 8, DATA + 0x20, 0x10, 5, u64::MAX - 7];
        let regs: Vec<(u32, u64)> = R[1..].iter().map(|&r| (r, rng.pick(&vals))).collect();
        for warm in [false, true] {
            let x = outcome(&fused, &regs, warm);
            let mut y = outcome(&apart, &regs, warm);
            // Map pcs after the jal back, which also did count as an
            // instruction then.
            if y.1 >= 2 {
                y.1 -= 1;
                y.5 -= 1;
            }
            assert_eq!(x, y, "{a:#010x} {b:#010x} regs {regs:x?} warm {warm}");
        }
        let mut m = machine(&bytes_of(&fused));
        m.cpu.run(&mut m.mem, 1);
        if let Some(b) = m.mem.code.lookup(CODE) {
            if b.ops.len() < 4 {
                fused_kinds.insert(format!("{:?}", b.ops[0].k));
            }
        }
    }
    // The generator does reach the fused kinds.
    for k in [
        "SlliAdd", "AddLd", "AddLw", "AddLwu", "AddLbu", "AddSd", "AddSw", "AddSb", "LdLd", "LwLw",
        "SdSd", "SwSw", "LdAddi", "LwAddi", "LbuAddi", "AddiLd", "AddiLw", "AddiLbu", "SdAddi",
        "SwAddi", "SbAddi", "AddiSd", "AddiSw", "AddiSb", "AddiAddi", "XorSext", "OrSext",
        "AndSext", "AddiBeq", "AddiBne", "AddiBlt", "AddiBgeu", "AddBeq", "AddBne", "LbuBeq",
        "LbuBne", "AddiwBeq", "AddiwBne", "XorMul", "SlliSrli", "SlliSrai",
    ] {
        assert!(fused_kinds.contains(k), "{k} never built: {fused_kinds:?}");
    }
}

/// Indexed loads (`slli; add; l*`, fused into one op) behave exactly like
/// the three instructions in separate blocks, with every kind of register
/// aliasing among the shift, the sum, the load and x0, and bases that make
/// the load fault.
#[test]
fn fused_indexed_loads_match_separate_instructions() {
    const R: [u32; 5] = [0, A0, A1, A2, A3];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut fused_kinds = std::collections::HashSet::new();
    for _ in 0..20_000 {
        let (t, s, sum, other, d) = (
            rng.pick(&R),
            rng.pick(&R),
            rng.pick(&R),
            rng.pick(&R),
            rng.pick(&R),
        );
        let shift = enc_i(0x13, t, 1, s, rng.pick(&[0, 1, 2, 3, 63]));
        // The sum of the shifted value and another register, either way
        // round (and sometimes of something else, which must not fuse).
        let add = match rng.next() % 5 {
            0 => enc_r(0x33, sum, 0, other, t, 0),
            4 => enc_r(0x33, sum, 0, other, other, 0),
            _ => enc_r(0x33, sum, 0, t, other, 0),
        };
        let base = if rng.next().is_multiple_of(6) {
            other
        } else {
            sum
        };
        let off = rng.pick(&[0, 8, -8, 4, 1, 2047]);
        let ld = load(rng.pick(&[3, 2, 6, 4]), d, base, off);
        let tail = [addi(T0, T0, 1), ECALL];
        let fused: Vec<u32> = [shift, add, ld].iter().chain(&tail).copied().collect();
        let apart: Vec<u32> = [shift, jal(0, 4), add, jal(0, 4), ld]
            .iter()
            .chain(&tail)
            .copied()
            .collect();
        let vals = [DATA, DATA + 8, DATA + 0x20, 0x10, 5, 1, u64::MAX - 7];
        let regs: Vec<(u32, u64)> = R[1..].iter().map(|&r| (r, rng.pick(&vals))).collect();
        for warm in [false, true] {
            let x = outcome(&fused, &regs, warm);
            let mut y = outcome(&apart, &regs, warm);
            // Map pcs after the jals back, which also did count as
            // instructions then.
            let jals = match y.1 {
                0 | 1 => 0,
                2 | 3 => 1,
                _ => 2,
            };
            y.1 -= jals;
            y.5 -= jals;
            assert_eq!(
                x, y,
                "{shift:#010x} {add:#010x} {ld:#010x} regs {regs:x?} warm {warm}"
            );
        }
        let mut m = machine(&bytes_of(&fused));
        m.cpu.run(&mut m.mem, 1);
        if let Some(b) = m.mem.code.lookup(CODE) {
            if b.ops.len() < 4 {
                fused_kinds.insert(format!("{:?}", b.ops[0].k));
            }
        }
    }
    for k in ["SlliAddLd", "SlliAddLw"] {
        assert!(fused_kinds.contains(k), "{k} never built: {fused_kinds:?}");
    }
}

#[test]
fn misaligned_atomics_are_alignment_faults() {
    for insn in [
        amo(0x02, false, A0, A1, 0),  // lr.d
        amo(0x03, false, A0, A1, A2), // sc.d
        amo(0x01, true, A0, A1, A2),  // amoswap.w
        amo(0x00, false, A0, A1, A2), // amoadd.d
    ] {
        let mut m = machine(&bytes_of(&[insn]));
        m.cpu.x[A1 as usize] = DATA + 2;
        let e = m.cpu.run(&mut m.mem, 100);
        assert!(
            matches!(e, Exit::Fault(f) if f.is_misaligned() && f.addr == DATA + 2 && !f.unmapped),
            "{insn:#010x}: {e:?}"
        );
        assert_eq!(m.cpu.pc, CODE);
    }
    // A misaligned atomic on unmapped memory is still an alignment fault
    // (as on Linux, where alignment is checked first).
    let mut m = machine(&bytes_of(&[amo(0x00, false, A0, A1, A2)]));
    m.cpu.x[A1 as usize] = 0x3;
    assert!(matches!(m.cpu.run(&mut m.mem, 100), Exit::Fault(f) if f.is_misaligned()));
    // Aligned but unmapped: a SEGV-style fault.
    m.cpu.pc = CODE;
    m.cpu.x[A1 as usize] = 0x8;
    assert!(
        matches!(m.cpu.run(&mut m.mem, 100), Exit::Fault(f) if !f.is_misaligned() && f.unmapped)
    );
}

/// The dispatch loop's inline FP paths (RNE with NX set, comparisons,
/// sign injection, moves, conversions) agree with the exact soft-float
/// path, flags included, on edge and random values.
#[test]
fn fp_fast_paths_match_soft_float() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let edges = [
        0.0f64,
        -0.0,
        1.0,
        -1.5,
        3.0,
        1e308,
        -1e308,
        f64::MIN_POSITIVE,
        1e-310,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        2147483647.9,
        -2147483648.5,
        2147483648.0,
        -2147483649.0,
        9.3e18,
        -9.3e18,
        0.5,
        -0.5,
        1e-300,
        7.0,
    ];
    // (f7, rm) of fadd/fsub/fmul/fdiv/fsqrt.d, feq/flt/fle.d, fsgnj*.d
    let ops = [
        (0x01, 7),
        (0x05, 0),
        (0x09, 7),
        (0x0d, 0),
        (0x2d, 7),
        (0x51, 2),
        (0x51, 1),
        (0x51, 0),
        (0x11, 0),
        (0x11, 1),
        (0x11, 2),
    ];
    for i in 0..6000 {
        let v = |rng: &mut Rng| {
            if rng.next().is_multiple_of(3) {
                f64::from_bits(rng.next())
            } else {
                rng.pick(&edges)
            }
        };
        let (a, b) = (v(&mut rng), v(&mut rng));
        let (f7, rm) = rng.pick(&ops);
        let rs2 = if f7 == 0x2d { 0 } else { 2 };
        let insn = fop(f7, rm, 10, 1, rs2);
        // fcsr: NX set or not, frm RNE or not.
        let fcsr = rng.pick(&[0u32, 1, 0x21, 0x01 | 0x10]);
        let (fast, slow) = (
            fpu(insn, [a.to_bits(), b.to_bits(), 0], 0, fcsr),
            soft(insn, a.to_bits(), b.to_bits(), fcsr),
        );
        assert_eq!(fast, slow, "#{i} {insn:#010x} {a:e} {b:e} fcsr {fcsr:#x}");
    }
    // fcvt.w.d / fcvt.l.d rtz and fcvt.d.w / fcvt.d.wu.
    for &a in &edges {
        for (f7, rs2, rm) in [(0x61, 0, 1), (0x61, 2, 1), (0x61, 0, 0)] {
            let insn = fop(f7, rm, A0, 1, rs2);
            let got = fpu(insn, [a.to_bits(), 0, 0], 0, 0);
            let (v, fl) = fp::to_int(
                F64,
                a.to_bits(),
                true,
                if rs2 == 0 { 32 } else { 64 },
                rm as u8,
            );
            assert_eq!((got.1, got.2), (v, fl), "{insn:#010x} {a:e}");
        }
    }
    for v in [0u64, 1, 0x8000_0000, 0xffff_ffff, u64::MAX, 0x1_0000_0001] {
        for rs2 in [0, 1] {
            let got = fpu(fop(0x69, 7, 10, A1, rs2), [0; 3], v, 0);
            let (w, fl) = fp::from_int(F64, v, rs2 == 0, 32, 0);
            assert_eq!((got.0, got.2), (w, fl));
        }
    }
}

/// The result of `insn` (f3 = op(f1, f2) or a0 = op(f1, f2)) through the
/// exact soft-float functions, as `fpu` reports it.
fn soft(insn: u32, a: u64, b: u64, fcsr: u32) -> (u64, u64, u32) {
    let f7 = insn >> 25;
    let rm = (insn >> 12) & 7;
    let rm8 = if rm == 7 {
        ((fcsr >> 5) & 7) as u8
    } else {
        rm as u8
    };
    let (v, fl) = match (f7, rm) {
        (0x01, _) => fp::add(F64, a, b, rm8),
        (0x05, _) => fp::sub(F64, a, b, rm8),
        (0x09, _) => fp::mul(F64, a, b, rm8),
        (0x0d, _) => fp::div(F64, a, b, rm8),
        (0x2d, _) => fp::sqrt(F64, a, rm8),
        (0x51, 2) => {
            let (r, fl) = fp::compare(F64, a, b, fp::Cmp::Eq);
            return (0, r as u64, (fcsr | fl) & 0x1f);
        }
        (0x51, 1) => {
            let (r, fl) = fp::compare(F64, a, b, fp::Cmp::Lt);
            return (0, r as u64, (fcsr | fl) & 0x1f);
        }
        (0x51, 0) => {
            let (r, fl) = fp::compare(F64, a, b, fp::Cmp::Le);
            return (0, r as u64, (fcsr | fl) & 0x1f);
        }
        (0x11, 0) => ((a & !(1 << 63)) | (b & (1 << 63)), 0),
        (0x11, 1) => ((a & !(1 << 63)) | (!b & (1 << 63)), 0),
        _ => (a ^ (b & (1 << 63)), 0),
    };
    (v, 0, (fcsr | fl) & 0x1f)
}
