//! ELF loading (static, static-pie, dynamic with PT_INTERP) and the initial
//! stack: argv, envp and auxv laid out as Linux riscv64 does.

use std::collections::BTreeMap;

use goblin::elf::header::{EM_RISCV, ET_DYN, ET_EXEC};
use goblin::elf::program_header::{PF_R, PF_W, PF_X, PT_INTERP, PT_LOAD, PT_PHDR};
use goblin::elf::Elf;

use crate::mm::{AddressSpace, Prot, PAGE_SIZE};

/// Where PIE executables are placed (Sv39-friendly, like qemu's choice).
pub const PIE_BASE: u64 = 0x002a_aaaa_a000;
/// Where the dynamic linker is placed.
pub const INTERP_BASE: u64 = 0x3f_f000_0000;
/// The top of the initial stack; everything user-visible is below Sv39's 256 GiB.
pub const STACK_TOP: u64 = 0x3f_ffff_f000;
pub const STACK_SIZE: u64 = 8 << 20;

/// Why a file cannot be executed. Display is user-facing.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("not an ELF executable")]
    NotElf,
    #[error("it is an ELF for {0}, but friscy runs riscv64 programs (use a linux/riscv64 image)")]
    WrongMachine(&'static str),
    #[error("it is a 32-bit ELF; friscy runs 64-bit riscv64 programs")]
    Not64Bit,
    #[error("it is an ELF of type {0}, not an executable")]
    WrongType(u16),
    #[error("bad ELF: {0}")]
    Malformed(String),
    #[error("out of guest memory while loading")]
    NoMemory,
}

/// A loaded ELF object.
#[derive(Debug, Clone)]
pub struct LoadedElf {
    pub entry: u64,
    /// Load bias added to the file's virtual addresses.
    pub bias: u64,
    /// Address of the program headers in guest memory (AT_PHDR).
    pub phdr: u64,
    pub phnum: u64,
    pub phent: u64,
    /// First byte after the highest segment (the initial program break).
    pub end: u64,
    /// PT_INTERP path, if any.
    pub interp: Option<Vec<u8>>,
}

fn machine_name(m: u16) -> &'static str {
    match m {
        62 => "x86-64",
        3 => "i386",
        183 => "aarch64",
        40 => "arm",
        8 => "mips",
        21 => "ppc64",
        22 => "s390x",
        258 => "loongarch",
        _ => "another architecture",
    }
}

/// Check the ELF identification without parsing further.
pub fn check_header(bytes: &[u8]) -> Result<(), LoadError> {
    if bytes.len() < 64 || &bytes[..4] != b"\x7fELF" {
        return Err(LoadError::NotElf);
    }
    let machine = u16::from_le_bytes([bytes[18], bytes[19]]);
    if machine != EM_RISCV {
        return Err(LoadError::WrongMachine(machine_name(machine)));
    }
    if bytes[4] != 2 {
        return Err(LoadError::Not64Bit);
    }
    Ok(())
}

/// Map an ELF image into `mm`. `ET_DYN` objects go at `dyn_base`.
pub fn load_elf(
    mm: &mut AddressSpace,
    bytes: &[u8],
    dyn_base: u64,
) -> Result<LoadedElf, LoadError> {
    check_header(bytes)?;
    let elf = Elf::parse(bytes).map_err(|e| LoadError::Malformed(e.to_string()))?;
    let bias = match elf.header.e_type {
        ET_EXEC => 0,
        ET_DYN => dyn_base,
        t => return Err(LoadError::WrongType(t)),
    };
    let loads: Vec<_> = elf
        .program_headers
        .iter()
        .filter(|p| p.p_type == PT_LOAD && p.p_memsz > 0)
        .collect();
    if loads.is_empty() {
        return Err(LoadError::Malformed("no loadable segments".into()));
    }
    // Pages shared by two segments get the union of their protections, so
    // map every page once, fill it, then protect.
    let mut page_prot: BTreeMap<u64, Prot> = BTreeMap::new();
    for p in &loads {
        if p.p_filesz > p.p_memsz
            || p.p_offset
                .checked_add(p.p_filesz)
                .is_none_or(|e| e > bytes.len() as u64)
        {
            return Err(LoadError::Malformed("segment outside the file".into()));
        }
        let start = bias.wrapping_add(p.p_vaddr);
        let end = start
            .checked_add(p.p_memsz)
            .filter(|&e| e < (1u64 << 47))
            .ok_or_else(|| LoadError::Malformed("segment address out of range".into()))?;
        let mut prot = Prot::empty();
        if p.p_flags & PF_R != 0 {
            prot |= Prot::READ;
        }
        if p.p_flags & PF_W != 0 {
            prot |= Prot::WRITE;
        }
        if p.p_flags & PF_X != 0 {
            prot |= Prot::EXEC;
        }
        let mut page = start & !(PAGE_SIZE - 1);
        while page < end {
            *page_prot.entry(page).or_insert(Prot::empty()) |= prot;
            page += PAGE_SIZE;
        }
    }
    for (&page, _) in page_prot.iter() {
        mm.map_anon(page, PAGE_SIZE, Prot::READ | Prot::WRITE)
            .map_err(|_| LoadError::NoMemory)?;
    }
    for p in &loads {
        let start = bias + p.p_vaddr;
        let data = &bytes[p.p_offset as usize..(p.p_offset + p.p_filesz) as usize];
        mm.write_force(start, data)
            .map_err(|_| LoadError::NoMemory)?;
    }
    for (&page, &prot) in page_prot.iter() {
        mm.protect(page, PAGE_SIZE, prot)
            .map_err(|_| LoadError::NoMemory)?;
    }
    let end = loads
        .iter()
        .map(|p| bias + p.p_vaddr + p.p_memsz)
        .max()
        .unwrap_or(0);
    let phdr = match elf.program_headers.iter().find(|p| p.p_type == PT_PHDR) {
        Some(p) => bias + p.p_vaddr,
        None => loads
            .iter()
            .find(|p| {
                p.p_offset <= elf.header.e_phoff && elf.header.e_phoff < p.p_offset + p.p_filesz
            })
            .map(|p| bias + p.p_vaddr + (elf.header.e_phoff - p.p_offset))
            .unwrap_or(0),
    };
    let interp = elf
        .program_headers
        .iter()
        .find(|p| p.p_type == PT_INTERP)
        .and_then(|p| bytes.get(p.p_offset as usize..(p.p_offset + p.p_filesz) as usize))
        .map(|s| s.split(|&b| b == 0).next().unwrap_or(&[]).to_vec());
    Ok(LoadedElf {
        entry: bias + elf.header.e_entry,
        bias,
        phdr,
        phnum: elf.header.e_phnum as u64,
        phent: elf.header.e_phentsize as u64,
        end,
        interp,
    })
}

// auxv keys (include/uapi/linux/auxvec.h)
pub const AT_NULL: u64 = 0;
pub const AT_PHDR: u64 = 3;
pub const AT_PHENT: u64 = 4;
pub const AT_PHNUM: u64 = 5;
pub const AT_PAGESZ: u64 = 6;
pub const AT_BASE: u64 = 7;
pub const AT_FLAGS: u64 = 8;
pub const AT_ENTRY: u64 = 9;
pub const AT_UID: u64 = 11;
pub const AT_EUID: u64 = 12;
pub const AT_GID: u64 = 13;
pub const AT_EGID: u64 = 14;
pub const AT_HWCAP: u64 = 16;
pub const AT_CLKTCK: u64 = 17;
pub const AT_SECURE: u64 = 23;
pub const AT_RANDOM: u64 = 25;
pub const AT_HWCAP2: u64 = 26;
pub const AT_EXECFN: u64 = 31;

/// HWCAP bits for the single-letter extensions implemented: I M A F D C.
pub const HWCAP_RV64GC: u64 = (1 << (b'I' - b'A'))
    | (1 << (b'M' - b'A'))
    | 1
    | (1 << (b'F' - b'A'))
    | (1 << (b'D' - b'A'))
    | (1 << (b'C' - b'A'));

/// What the initial stack describes.
pub struct StackInfo<'a> {
    pub argv: &'a [Vec<u8>],
    pub envp: &'a [Vec<u8>],
    pub execfn: &'a [u8],
    pub exe: &'a LoadedElf,
    /// Base of the dynamic linker (AT_BASE), 0 when none.
    pub interp_base: u64,
    pub random: [u8; 16],
    pub uid: u32,
    pub gid: u32,
}

/// Map the stack and lay out argc/argv/envp/auxv; returns the initial sp.
pub fn build_stack(mm: &mut AddressSpace, info: &StackInfo) -> Result<u64, LoadError> {
    mm.map_anon(STACK_TOP - STACK_SIZE, STACK_SIZE, Prot::READ | Prot::WRITE)
        .map_err(|_| LoadError::NoMemory)?;
    let mut sp = STACK_TOP;
    let mut push_bytes =
        |mm: &mut AddressSpace, data: &[u8], nul: bool| -> Result<u64, LoadError> {
            let len = data.len() as u64 + nul as u64;
            if len > STACK_SIZE / 4 {
                return Err(LoadError::NoMemory);
            }
            sp -= len;
            mm.write(sp, data).map_err(|_| LoadError::NoMemory)?;
            if nul {
                mm.write(sp + data.len() as u64, &[0])
                    .map_err(|_| LoadError::NoMemory)?;
            }
            Ok(sp)
        };
    let execfn = push_bytes(mm, info.execfn, true)?;
    let mut envp = Vec::with_capacity(info.envp.len());
    for e in info.envp.iter().rev() {
        envp.push(push_bytes(mm, e, true)?);
    }
    envp.reverse();
    let mut argv = Vec::with_capacity(info.argv.len());
    for a in info.argv.iter().rev() {
        argv.push(push_bytes(mm, a, true)?);
    }
    argv.reverse();
    let random = push_bytes(mm, &info.random, false)?;
    let e = info.exe;
    let auxv: [(u64, u64); 17] = [
        (AT_PHDR, e.phdr),
        (AT_PHENT, e.phent),
        (AT_PHNUM, e.phnum),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_BASE, info.interp_base),
        (AT_FLAGS, 0),
        (AT_ENTRY, e.entry),
        (AT_UID, info.uid as u64),
        (AT_EUID, info.uid as u64),
        (AT_GID, info.gid as u64),
        (AT_EGID, info.gid as u64),
        (AT_HWCAP, HWCAP_RV64GC),
        (AT_CLKTCK, 100),
        (AT_SECURE, 0),
        (AT_RANDOM, random),
        (AT_HWCAP2, 0),
        (AT_EXECFN, execfn),
    ];
    let words = 1 + argv.len() + 1 + envp.len() + 1 + (auxv.len() + 1) * 2;
    sp = (sp - words as u64 * 8) & !15;
    let mut table = Vec::with_capacity(words * 8);
    let mut put = |v: u64| table.extend_from_slice(&v.to_le_bytes());
    put(argv.len() as u64);
    argv.iter().for_each(|&a| put(a));
    put(0);
    envp.iter().for_each(|&a| put(a));
    put(0);
    for (k, v) in auxv {
        put(k);
        put(v);
    }
    put(AT_NULL);
    put(0);
    mm.write(sp, &table).map_err(|_| LoadError::NoMemory)?;
    Ok(sp)
}
