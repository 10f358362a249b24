//! Decoding RV64GC (+Zba/Zbb/Zbs/Zbc/Zicond) into compact ops.
//!
//! An [`Op`] is 16 bytes: a 64-bit immediate (pc-relative targets and
//! `auipc` results are made absolute here, since a decoded op belongs to one
//! address), the kind, register numbers, an auxiliary byte (FP `rs3 | rm<<5`),
//! and its position in its block. Compressed instructions are expanded to
//! their 32-bit equivalents first, so both share one decoder. Writes to `x0`
//! by side-effect-free integer ops decode to `Nop`, so the executor needs no
//! `rd != 0` test for them.

/// Op kinds. Terminators (branches, jumps, system) end a block.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum K {
    Nop,
    Li,
    // OP-IMM
    Addi,
    Slti,
    Sltiu,
    Xori,
    Ori,
    Andi,
    Slli,
    Srli,
    Srai,
    Addiw,
    Slliw,
    Srliw,
    Sraiw,
    // OP
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Addw,
    Subw,
    Sllw,
    Srlw,
    Sraw,
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
    Mulw,
    Divw,
    Divuw,
    Remw,
    Remuw,
    // Zba
    AddUw,
    Sh1add,
    Sh2add,
    Sh3add,
    Sh1addUw,
    Sh2addUw,
    Sh3addUw,
    SlliUw,
    // Zbb
    Andn,
    Orn,
    Xnor,
    Clz,
    Clzw,
    Ctz,
    Ctzw,
    Cpop,
    Cpopw,
    Max,
    Maxu,
    Min,
    Minu,
    SextB,
    SextH,
    ZextH,
    Rol,
    Rolw,
    Ror,
    Rori,
    Roriw,
    Rorw,
    OrcB,
    Rev8,
    // Zbc
    Clmul,
    Clmulh,
    Clmulr,
    // Zbs
    Bclr,
    Bclri,
    Bext,
    Bexti,
    Binv,
    Binvi,
    Bset,
    Bseti,
    // Zicond
    CzeroEqz,
    CzeroNez,
    // Memory
    Lb,
    Lh,
    Lw,
    Ld,
    Lbu,
    Lhu,
    Lwu,
    Sb,
    Sh,
    Sw,
    Sd,
    Flw,
    Fld,
    Fsw,
    Fsd,
    // A
    LrW,
    LrD,
    ScW,
    ScD,
    AmoSwapW,
    AmoAddW,
    AmoXorW,
    AmoAndW,
    AmoOrW,
    AmoMinW,
    AmoMaxW,
    AmoMinuW,
    AmoMaxuW,
    AmoSwapD,
    AmoAddD,
    AmoXorD,
    AmoAndD,
    AmoOrD,
    AmoMinD,
    AmoMaxD,
    AmoMinuD,
    AmoMaxuD,
    // Zicsr (imm = csr number; rs1 = register or uimm)
    Csrrw,
    Csrrs,
    Csrrc,
    Csrrwi,
    Csrrsi,
    Csrrci,
    // F
    FaddS,
    FsubS,
    FmulS,
    FdivS,
    FsqrtS,
    FminS,
    FmaxS,
    FmaddS,
    FmsubS,
    FnmsubS,
    FnmaddS,
    FsgnjS,
    FsgnjnS,
    FsgnjxS,
    FeqS,
    FltS,
    FleS,
    FclassS,
    FmvXW,
    FmvWX,
    FcvtWS,
    FcvtWuS,
    FcvtLS,
    FcvtLuS,
    FcvtSW,
    FcvtSWu,
    FcvtSL,
    FcvtSLu,
    // D
    FaddD,
    FsubD,
    FmulD,
    FdivD,
    FsqrtD,
    FminD,
    FmaxD,
    FmaddD,
    FmsubD,
    FnmsubD,
    FnmaddD,
    FsgnjD,
    FsgnjnD,
    FsgnjxD,
    FeqD,
    FltD,
    FleD,
    FclassD,
    FmvXD,
    FmvDX,
    FcvtWD,
    FcvtWuD,
    FcvtLD,
    FcvtLuD,
    FcvtDW,
    FcvtDWu,
    FcvtDL,
    FcvtDLu,
    FcvtSD,
    FcvtDS,

    // ---- Fused pairs, built by `block::fuse` (never by `decode32`). Their
    // fields are register-file slots; `imm` is packed (see `pack`): `lo`
    // (bits 0-31) the first immediate, `hi` (bits 32-47) the second, `len`
    // (bits 48-55) the byte length of the first instruction. `off`/`idx`
    // are those of the first instruction, except for kinds marked "@2",
    // whose first instruction cannot fault: those report the second.
    // Handlers execute the two instructions in order, so a register written
    // by the first is seen by the second.
    /// slli aux, rs1, lo; add rd, aux, rs2
    SlliAdd,
    /// Indexed loads, a triple: slli aux, rs1, hi; add <slot in bits
    /// 48-55>, aux, rs2; l* rd, lo(<that slot>) — @2 (the load reports)
    SlliAddLd,
    SlliAddLw,
    /// add aux, rs1, rs2; l* rd, lo(aux) — @2
    AddLd,
    AddLw,
    AddLwu,
    AddLbu,
    /// add rd, rs1, rs2; s* aux, lo(rd) — @2
    AddSd,
    AddSw,
    AddSb,
    /// l* rd, lo(rs1); l* rs2, hi(aux) — len
    LdLd,
    LwLw,
    /// s* rs2, lo(rs1); s* rd, hi(aux) — len (rd is a source here)
    SdSd,
    SwSw,
    /// l* rd, lo(rs1); addi rs2, aux, hi
    LdAddi,
    LwAddi,
    LbuAddi,
    /// addi rs2, aux, hi; l* rd, lo(rs1) — @2
    AddiLd,
    AddiLw,
    AddiLbu,
    /// s* rs2, lo(rs1); addi rd, aux, hi — len
    SdAddi,
    SwAddi,
    SbAddi,
    /// addi rd, aux, hi; s* rs2, lo(rs1) — @2
    AddiSd,
    AddiSw,
    AddiSb,
    /// addi rd, rs1, lo; addi rs2, aux, hi
    AddiAddi,
    /// xor/or/and rd, rs1, rs2; sext.w aux, rd
    XorSext,
    OrSext,
    AndSext,
    /// xor aux, rs1, rs2; mul rd, aux, <slot in bits 32-39> (hashing)
    XorMul,
    /// slli aux, rs1, lo; srli/srai rd, aux, hi (zero/sign extension,
    /// bit fields)
    SlliSrli,
    SlliSrai,

    // Terminators (imm = absolute target for branches/jal)
    Beq,
    Bne,
    Blt,
    Bge,
    Bltu,
    Bgeu,
    Jal,
    Jalr,
    /// Fused `auipc/lui rs1; jalr rd, lo(rs1)`: x[rs1] = imm, jump to
    /// (imm + lo) & !1 with lo = `rs2 | aux << 8` as i16.
    JalrConst,
    /// End of a block that has no branch of its own: continue at its end.
    Fall,
    FenceI,
    Ecall,
    Ebreak,
    /// imm = the raw instruction bits.
    Illegal,

    // ---- Fused terminators (see the fused pairs above); the branch target
    // is the block's pc + `lo`.
    /// addi rd, aux, hi; b* rs1, rs2, target
    AddiBeq,
    AddiBne,
    AddiBlt,
    AddiBge,
    AddiBltu,
    AddiBgeu,
    /// add rd, aux, <slot in bits 32-39>; b* rs1, rs2, target
    AddBeq,
    AddBne,
    AddBlt,
    AddBge,
    AddBltu,
    AddBgeu,
    /// lbu rd, hi(aux); beq/bne rs1, rs2, target
    LbuBeq,
    LbuBne,
    /// addiw rd, aux, hi; beq/bne rs1, rs2, target
    AddiwBeq,
    AddiwBne,
    /// addi rd, aux, hi; jalr rs2, lo(rs1) (`addi sp, sp, N; ret`)
    AddiJalr,
}

// Keep the kinds below 253: with more, LLVM tests one value apart before
// the dispatch jump table, a compare and branch on every op (measured:
// +4% host instructions per guest instruction in the component).
const _: () = assert!((K::AddiJalr as u8) < 253);

impl K {
    #[inline]
    pub(crate) fn is_terminator(self) -> bool {
        (self as u8) >= (K::Beq as u8)
    }
}

/// One decoded instruction (or a fused pair).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Op {
    pub imm: i64,
    pub k: K,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    /// FP: rs3 | rm << 5.
    pub aux: u8,
    /// Index of the (first) instruction within its block.
    pub idx: u8,
    /// Byte offset of the (first) instruction from the block start
    /// (negative after a jump followed backwards).
    pub off: i16,
}

/// Pack the immediates of a fused pair (see the fused kinds of [`K`]).
pub(crate) const fn pack(lo: i32, hi: i16, len: u8) -> i64 {
    (lo as u32 as u64 | (hi as u16 as u64) << 32 | (len as u64) << 48) as i64
}

impl Op {
    /// The fused pair immediates (see [`pack`]).
    #[inline(always)]
    pub(crate) fn lo(&self) -> u64 {
        self.imm as i32 as i64 as u64
    }
    #[inline(always)]
    pub(crate) fn hi(&self) -> u64 {
        (self.imm >> 32) as i16 as i64 as u64
    }
    #[inline(always)]
    pub(crate) fn len1(&self) -> u64 {
        (self.imm >> 48) as u64 & 0xff
    }

    pub(crate) const fn new(k: K, rd: u32, rs1: u32, rs2: u32, imm: i64) -> Op {
        Op {
            imm,
            k,
            rd: rd as u8,
            rs1: rs1 as u8,
            rs2: rs2 as u8,
            aux: 0,
            idx: 0,
            off: 0,
        }
    }
    pub(crate) fn illegal(insn: u32) -> Op {
        Op::new(K::Illegal, 0, 0, 0, insn as i64)
    }
}

pub(crate) const CSR_FFLAGS: u32 = 0x001;
pub(crate) const CSR_FRM: u32 = 0x002;
pub(crate) const CSR_FCSR: u32 = 0x003;
pub(crate) const CSR_CYCLE: u32 = 0xc00;
pub(crate) const CSR_TIME: u32 = 0xc01;
pub(crate) const CSR_INSTRET: u32 = 0xc02;

// ------------------------------------------------------------- encoders

pub(crate) const fn enc_r(op: u32, rd: u32, f3: u32, rs1: u32, rs2: u32, f7: u32) -> u32 {
    (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op
}
pub(crate) const fn enc_i(op: u32, rd: u32, f3: u32, rs1: u32, imm: i32) -> u32 {
    ((imm as u32 & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op
}
pub(crate) const fn enc_s(op: u32, f3: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | op
}
pub(crate) const fn enc_b(f3: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
    let i = imm as u32;
    (((i >> 12) & 1) << 31)
        | (((i >> 5) & 0x3f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (f3 << 12)
        | (((i >> 1) & 0xf) << 8)
        | (((i >> 11) & 1) << 7)
        | 0x63
}
pub(crate) const fn enc_u(op: u32, rd: u32, imm: i32) -> u32 {
    (imm as u32 & 0xffff_f000) | (rd << 7) | op
}
pub(crate) const fn enc_j(rd: u32, imm: i32) -> u32 {
    let i = imm as u32;
    (((i >> 20) & 1) << 31)
        | (((i >> 1) & 0x3ff) << 21)
        | (((i >> 11) & 1) << 20)
        | (((i >> 12) & 0xff) << 12)
        | (rd << 7)
        | 0x6f
}

#[inline]
const fn sext(v: u32, bits: u32) -> i32 {
    ((v << (32 - bits)) as i32) >> (32 - bits)
}

/// Expand a 16-bit compressed instruction to its 32-bit equivalent, or
/// None if it is reserved/illegal (including the all-zero word).
pub(crate) fn expand_compressed(c: u16) -> Option<u32> {
    let c = c as u32;
    let bit = |n: u32| (c >> n) & 1;
    let op = c & 3;
    let f3 = (c >> 13) & 7;
    let rd = (c >> 7) & 31;
    let rs2 = (c >> 2) & 31;
    let rdp = ((c >> 2) & 7) + 8;
    let rs1p = ((c >> 7) & 7) + 8;
    let imm6 = sext((bit(12) << 5) | ((c >> 2) & 31), 6);
    // Scaled offsets for c.ld/c.sd/c.fld/c.fsd and c.lw/c.sw.
    let off_d = (((c >> 10) & 7) << 3) | (((c >> 5) & 3) << 6);
    let off_w = (((c >> 10) & 7) << 3) | (bit(6) << 2) | (bit(5) << 6);
    let w = match (op, f3) {
        (0, 0) => {
            let imm =
                (((c >> 7) & 0xf) << 6) | (((c >> 11) & 3) << 4) | (bit(5) << 3) | (bit(6) << 2);
            if imm == 0 {
                return None;
            }
            enc_i(0x13, rdp, 0, 2, imm as i32)
        }
        (0, 1) => enc_i(0x07, rdp, 3, rs1p, off_d as i32),
        (0, 2) => enc_i(0x03, rdp, 2, rs1p, off_w as i32),
        (0, 3) => enc_i(0x03, rdp, 3, rs1p, off_d as i32),
        (0, 5) => enc_s(0x27, 3, rs1p, rdp, off_d as i32),
        (0, 6) => enc_s(0x23, 2, rs1p, rdp, off_w as i32),
        (0, 7) => enc_s(0x23, 3, rs1p, rdp, off_d as i32),
        (0, _) => return None,
        (1, 0) => enc_i(0x13, rd, 0, rd, imm6),
        (1, 1) => {
            if rd == 0 {
                return None;
            }
            enc_i(0x1b, rd, 0, rd, imm6)
        }
        (1, 2) => enc_i(0x13, rd, 0, 0, imm6),
        (1, 3) => {
            if rd == 2 {
                let imm = sext(
                    (bit(12) << 9)
                        | (bit(4) << 8)
                        | (bit(3) << 7)
                        | (bit(5) << 6)
                        | (bit(2) << 5)
                        | (bit(6) << 4),
                    10,
                );
                if imm == 0 {
                    return None;
                }
                enc_i(0x13, 2, 0, 2, imm)
            } else {
                let imm = sext((bit(12) << 17) | (((c >> 2) & 31) << 12), 18);
                if imm == 0 {
                    return None;
                }
                enc_u(0x37, rd, imm)
            }
        }
        (1, 4) => {
            let shamt = ((bit(12) << 5) | ((c >> 2) & 31)) as i32;
            match (c >> 10) & 3 {
                0 => enc_i(0x13, rs1p, 5, rs1p, shamt),
                1 => enc_i(0x13, rs1p, 5, rs1p, shamt | 0x400),
                2 => enc_i(0x13, rs1p, 7, rs1p, imm6),
                _ => match (bit(12), (c >> 5) & 3) {
                    (0, 0) => enc_r(0x33, rs1p, 0, rs1p, rdp, 0x20),
                    (0, 1) => enc_r(0x33, rs1p, 4, rs1p, rdp, 0),
                    (0, 2) => enc_r(0x33, rs1p, 6, rs1p, rdp, 0),
                    (0, 3) => enc_r(0x33, rs1p, 7, rs1p, rdp, 0),
                    (1, 0) => enc_r(0x3b, rs1p, 0, rs1p, rdp, 0x20),
                    (1, 1) => enc_r(0x3b, rs1p, 0, rs1p, rdp, 0),
                    _ => return None,
                },
            }
        }
        (1, 5) => {
            let imm = (bit(12) << 11)
                | (bit(11) << 4)
                | (((c >> 9) & 3) << 8)
                | (bit(8) << 10)
                | (bit(7) << 6)
                | (bit(6) << 7)
                | (((c >> 3) & 7) << 1)
                | (bit(2) << 5);
            enc_j(0, sext(imm, 12))
        }
        (1, _) => {
            // c.beqz / c.bnez
            let imm = (bit(12) << 8)
                | (((c >> 10) & 3) << 3)
                | (((c >> 5) & 3) << 6)
                | (((c >> 3) & 3) << 1)
                | (bit(2) << 5);
            enc_b(f3 - 6, rs1p, 0, sext(imm, 9))
        }
        (2, 0) => enc_i(0x13, rd, 1, rd, ((bit(12) << 5) | rs2) as i32),
        (2, 1) => {
            let imm = (bit(12) << 5) | (((c >> 5) & 3) << 3) | (((c >> 2) & 7) << 6);
            enc_i(0x07, rd, 3, 2, imm as i32)
        }
        (2, 2) => {
            if rd == 0 {
                return None;
            }
            let imm = (bit(12) << 5) | (((c >> 4) & 7) << 2) | (((c >> 2) & 3) << 6);
            enc_i(0x03, rd, 2, 2, imm as i32)
        }
        (2, 3) => {
            if rd == 0 {
                return None;
            }
            let imm = (bit(12) << 5) | (((c >> 5) & 3) << 3) | (((c >> 2) & 7) << 6);
            enc_i(0x03, rd, 3, 2, imm as i32)
        }
        (2, 4) => match (bit(12), rd, rs2) {
            (0, 0, 0) => return None,
            (0, _, 0) => enc_i(0x67, 0, 0, rd, 0),
            (0, _, _) => enc_r(0x33, rd, 0, 0, rs2, 0),
            (_, 0, 0) => 0x0010_0073,
            (_, _, 0) => enc_i(0x67, 1, 0, rd, 0),
            _ => enc_r(0x33, rd, 0, rd, rs2, 0),
        },
        (2, 5) => {
            let imm = (((c >> 10) & 7) << 3) | (((c >> 7) & 7) << 6);
            enc_s(0x27, 3, 2, rs2, imm as i32)
        }
        (2, 6) => {
            let imm = (((c >> 9) & 0xf) << 2) | (((c >> 7) & 3) << 6);
            enc_s(0x23, 2, 2, rs2, imm as i32)
        }
        (2, _) => {
            let imm = (((c >> 10) & 7) << 3) | (((c >> 7) & 7) << 6);
            enc_s(0x23, 3, 2, rs2, imm as i32)
        }
        _ => return None,
    };
    Some(w)
}

/// Is the rounding-mode field valid (0-4 static, 7 dynamic)?
#[inline]
fn rm_ok(rm: u32) -> bool {
    rm <= 4 || rm == 7
}

/// Integer ops with no side effects: writing x0 makes them a no-op.
fn pure_int(k: K) -> bool {
    (k as u8) <= (K::CzeroNez as u8)
}

/// Decode a 32-bit instruction at `pc`.
pub(crate) fn decode32(insn: u32, pc: u64) -> Op {
    let op = decode_inner(insn, pc).unwrap_or_else(|| Op::illegal(insn));
    if op.rd == 0 && pure_int(op.k) {
        return Op::new(K::Nop, 0, 0, 0, 0);
    }
    // `mv` (c.mv is `add rd, x0, rs`) as `addi rd, rs, 0`: the addi forms
    // have many more fusions (addi pairs, addi + branch/load/store).
    if op.k == K::Add && (op.rs1 == 0 || op.rs2 == 0) {
        return Op::new(K::Addi, op.rd as u32, (op.rs1 | op.rs2) as u32, 0, 0);
    }
    op
}

fn decode_inner(insn: u32, pc: u64) -> Option<Op> {
    use K::*;
    let opcode = insn & 0x7f;
    let rd = (insn >> 7) & 31;
    let f3 = (insn >> 12) & 7;
    let rs1 = (insn >> 15) & 31;
    let rs2 = (insn >> 20) & 31;
    let f7 = insn >> 25;
    let imm_i = ((insn as i32) >> 20) as i64;
    let imm_s = ((((insn as i32) >> 25) << 5) | ((insn >> 7) & 31) as i32) as i64;
    let imm_b = {
        let v = (((insn >> 31) & 1) << 12)
            | (((insn >> 7) & 1) << 11)
            | (((insn >> 25) & 0x3f) << 5)
            | (((insn >> 8) & 0xf) << 1);
        sext(v, 13) as i64
    };
    let imm_u = (insn & 0xffff_f000) as i32 as i64;
    let imm_j = {
        let v = (((insn >> 31) & 1) << 20)
            | (((insn >> 12) & 0xff) << 12)
            | (((insn >> 20) & 1) << 11)
            | (((insn >> 21) & 0x3ff) << 1);
        sext(v, 21) as i64
    };
    let r = |k: K| Some(Op::new(k, rd, rs1, rs2, 0));
    let i = |k: K, imm: i64| Some(Op::new(k, rd, rs1, 0, imm));
    let shamt6 = imm_i & 63;
    let fp = |k: K, rm: u32| {
        let mut o = Op::new(k, rd, rs1, rs2, 0);
        o.aux = ((rm << 5) | (insn >> 27)) as u8;
        Some(o)
    };
    match opcode {
        0x37 => i(Li, imm_u),
        0x17 => i(Li, (pc as i64).wrapping_add(imm_u)),
        0x6f => i(Jal, (pc as i64).wrapping_add(imm_j)),
        0x67 if f3 == 0 => i(Jalr, imm_i),
        0x63 => {
            let k = match f3 {
                0 => Beq,
                1 => Bne,
                4 => Blt,
                5 => Bge,
                6 => Bltu,
                7 => Bgeu,
                _ => return None,
            };
            Some(Op::new(k, 0, rs1, rs2, (pc as i64).wrapping_add(imm_b)))
        }
        0x03 => {
            let k = match f3 {
                0 => Lb,
                1 => Lh,
                2 => Lw,
                3 => Ld,
                4 => Lbu,
                5 => Lhu,
                6 => Lwu,
                _ => return None,
            };
            i(k, imm_i)
        }
        0x23 => {
            let k = match f3 {
                0 => Sb,
                1 => Sh,
                2 => Sw,
                3 => Sd,
                _ => return None,
            };
            Some(Op::new(k, 0, rs1, rs2, imm_s))
        }
        0x07 => match f3 {
            2 => i(Flw, imm_i),
            3 => i(Fld, imm_i),
            _ => None,
        },
        0x27 => match f3 {
            2 => Some(Op::new(Fsw, 0, rs1, rs2, imm_s)),
            3 => Some(Op::new(Fsd, 0, rs1, rs2, imm_s)),
            _ => None,
        },
        0x13 => match f3 {
            0 => i(Addi, imm_i),
            2 => i(Slti, imm_i),
            3 => i(Sltiu, imm_i),
            4 => i(Xori, imm_i),
            6 => i(Ori, imm_i),
            7 => i(Andi, imm_i),
            1 => match (insn >> 26, insn >> 20 & 0xfff) {
                (0x00, _) => i(Slli, shamt6),
                (0x0a, _) => i(Bseti, shamt6),
                (0x12, _) => i(Bclri, shamt6),
                (0x1a, _) => i(Binvi, shamt6),
                (_, 0x600) => i(Clz, 0),
                (_, 0x601) => i(Ctz, 0),
                (_, 0x602) => i(Cpop, 0),
                (_, 0x604) => i(SextB, 0),
                (_, 0x605) => i(SextH, 0),
                _ => None,
            },
            _ => match (insn >> 26, insn >> 20 & 0xfff) {
                (0x00, _) => i(Srli, shamt6),
                (0x10, _) => i(Srai, shamt6),
                (0x18, _) => i(Rori, shamt6),
                (0x12, _) => i(Bexti, shamt6),
                (_, 0x287) => i(OrcB, 0),
                (_, 0x6b8) => i(Rev8, 0),
                _ => None,
            },
        },
        0x1b => match (f3, f7) {
            (0, _) => i(Addiw, imm_i),
            (1, 0x00) => i(Slliw, rs2 as i64),
            (1, 0x04 | 0x05) => i(SlliUw, shamt6),
            (1, 0x30) => match rs2 {
                0 => i(Clzw, 0),
                1 => i(Ctzw, 0),
                2 => i(Cpopw, 0),
                _ => None,
            },
            (5, 0x00) => i(Srliw, rs2 as i64),
            (5, 0x20) => i(Sraiw, rs2 as i64),
            (5, 0x30) => i(Roriw, rs2 as i64),
            _ => None,
        },
        0x33 => match (f7, f3) {
            (0x00, 0) => r(Add),
            (0x20, 0) => r(Sub),
            (0x00, 1) => r(Sll),
            (0x00, 2) => r(Slt),
            (0x00, 3) => r(Sltu),
            (0x00, 4) => r(Xor),
            (0x00, 5) => r(Srl),
            (0x20, 5) => r(Sra),
            (0x00, 6) => r(Or),
            (0x00, 7) => r(And),
            (0x01, 0) => r(Mul),
            (0x01, 1) => r(Mulh),
            (0x01, 2) => r(Mulhsu),
            (0x01, 3) => r(Mulhu),
            (0x01, 4) => r(Div),
            (0x01, 5) => r(Divu),
            (0x01, 6) => r(Rem),
            (0x01, 7) => r(Remu),
            (0x10, 2) => r(Sh1add),
            (0x10, 4) => r(Sh2add),
            (0x10, 6) => r(Sh3add),
            (0x20, 7) => r(Andn),
            (0x20, 6) => r(Orn),
            (0x20, 4) => r(Xnor),
            (0x05, 1) => r(Clmul),
            (0x05, 2) => r(Clmulr),
            (0x05, 3) => r(Clmulh),
            (0x05, 4) => r(Min),
            (0x05, 5) => r(Minu),
            (0x05, 6) => r(Max),
            (0x05, 7) => r(Maxu),
            (0x30, 1) => r(Rol),
            (0x30, 5) => r(Ror),
            (0x24, 1) => r(Bclr),
            (0x24, 5) => r(Bext),
            (0x34, 1) => r(Binv),
            (0x14, 1) => r(Bset),
            (0x07, 5) => r(CzeroEqz),
            (0x07, 7) => r(CzeroNez),
            _ => None,
        },
        0x3b => match (f7, f3) {
            (0x00, 0) => r(Addw),
            (0x20, 0) => r(Subw),
            (0x00, 1) => r(Sllw),
            (0x00, 5) => r(Srlw),
            (0x20, 5) => r(Sraw),
            (0x01, 0) => r(Mulw),
            (0x01, 4) => r(Divw),
            (0x01, 5) => r(Divuw),
            (0x01, 6) => r(Remw),
            (0x01, 7) => r(Remuw),
            (0x04, 0) => r(AddUw),
            (0x04, 4) if rs2 == 0 => r(ZextH),
            (0x10, 2) => r(Sh1addUw),
            (0x10, 4) => r(Sh2addUw),
            (0x10, 6) => r(Sh3addUw),
            (0x30, 1) => r(Rolw),
            (0x30, 5) => r(Rorw),
            _ => None,
        },
        0x0f => match f3 {
            0 => Some(Op::new(Nop, 0, 0, 0, 0)),
            1 => Some(Op::new(FenceI, 0, 0, 0, 0)),
            _ => None,
        },
        0x73 => match f3 {
            0 => match insn {
                0x0000_0073 => Some(Op::new(Ecall, 0, 0, 0, 0)),
                0x0010_0073 => Some(Op::new(Ebreak, 0, 0, 0, 0)),
                _ => None,
            },
            4 => None,
            _ => {
                let csr = insn >> 20;
                let writes = match f3 {
                    1 | 5 => true,
                    _ => rs1 != 0,
                };
                match csr {
                    CSR_FFLAGS | CSR_FRM | CSR_FCSR => {}
                    CSR_CYCLE | CSR_TIME | CSR_INSTRET if !writes => {}
                    _ => return None,
                }
                let k = [Csrrw, Csrrw, Csrrs, Csrrc, Csrrw, Csrrwi, Csrrsi, Csrrci][f3 as usize];
                i(k, csr as i64)
            }
        },
        0x2f => {
            let f5 = insn >> 27;
            let k = match (f3, f5) {
                (2, 0x02) if rs2 == 0 => LrW,
                (3, 0x02) if rs2 == 0 => LrD,
                (2, 0x03) => ScW,
                (3, 0x03) => ScD,
                (2, 0x01) => AmoSwapW,
                (2, 0x00) => AmoAddW,
                (2, 0x04) => AmoXorW,
                (2, 0x0c) => AmoAndW,
                (2, 0x08) => AmoOrW,
                (2, 0x10) => AmoMinW,
                (2, 0x14) => AmoMaxW,
                (2, 0x18) => AmoMinuW,
                (2, 0x1c) => AmoMaxuW,
                (3, 0x01) => AmoSwapD,
                (3, 0x00) => AmoAddD,
                (3, 0x04) => AmoXorD,
                (3, 0x0c) => AmoAndD,
                (3, 0x08) => AmoOrD,
                (3, 0x10) => AmoMinD,
                (3, 0x14) => AmoMaxD,
                (3, 0x18) => AmoMinuD,
                (3, 0x1c) => AmoMaxuD,
                _ => return None,
            };
            r(k)
        }
        0x43 | 0x47 | 0x4b | 0x4f => {
            if !rm_ok(f3) {
                return None;
            }
            let d = match (insn >> 25) & 3 {
                0 => false,
                1 => true,
                _ => return None,
            };
            let k = match (opcode, d) {
                (0x43, false) => FmaddS,
                (0x47, false) => FmsubS,
                (0x4b, false) => FnmsubS,
                (0x4f, false) => FnmaddS,
                (0x43, true) => FmaddD,
                (0x47, true) => FmsubD,
                (0x4b, true) => FnmsubD,
                _ => FnmaddD,
            };
            fp(k, f3)
        }
        0x53 => {
            // Ops using the rm field.
            let rmk = match f7 {
                0x00 => Some(FaddS),
                0x01 => Some(FaddD),
                0x04 => Some(FsubS),
                0x05 => Some(FsubD),
                0x08 => Some(FmulS),
                0x09 => Some(FmulD),
                0x0c => Some(FdivS),
                0x0d => Some(FdivD),
                0x2c if rs2 == 0 => Some(FsqrtS),
                0x2d if rs2 == 0 => Some(FsqrtD),
                0x20 if rs2 == 1 => Some(FcvtSD),
                0x21 if rs2 == 0 => Some(FcvtDS),
                0x60 => [FcvtWS, FcvtWuS, FcvtLS, FcvtLuS]
                    .get(rs2 as usize)
                    .copied(),
                0x61 => [FcvtWD, FcvtWuD, FcvtLD, FcvtLuD]
                    .get(rs2 as usize)
                    .copied(),
                0x68 => [FcvtSW, FcvtSWu, FcvtSL, FcvtSLu]
                    .get(rs2 as usize)
                    .copied(),
                0x69 => [FcvtDW, FcvtDWu, FcvtDL, FcvtDLu]
                    .get(rs2 as usize)
                    .copied(),
                _ => None,
            };
            if let Some(k) = rmk {
                return if rm_ok(f3) { fp(k, f3) } else { None };
            }
            let k = match (f7, f3) {
                (0x10, 0) => FsgnjS,
                (0x10, 1) => FsgnjnS,
                (0x10, 2) => FsgnjxS,
                (0x11, 0) => FsgnjD,
                (0x11, 1) => FsgnjnD,
                (0x11, 2) => FsgnjxD,
                (0x14, 0) => FminS,
                (0x14, 1) => FmaxS,
                (0x15, 0) => FminD,
                (0x15, 1) => FmaxD,
                (0x50, 2) => FeqS,
                (0x50, 1) => FltS,
                (0x50, 0) => FleS,
                (0x51, 2) => FeqD,
                (0x51, 1) => FltD,
                (0x51, 0) => FleD,
                (0x70, 0) if rs2 == 0 => FmvXW,
                (0x70, 1) if rs2 == 0 => FclassS,
                (0x71, 0) if rs2 == 0 => FmvXD,
                (0x71, 1) if rs2 == 0 => FclassD,
                (0x78, 0) if rs2 == 0 => FmvWX,
                (0x79, 0) if rs2 == 0 => FmvDX,
                _ => return None,
            };
            fp(k, 0)
        }
        _ => None,
    }
}
