//! Signals: dispositions, masks, and delivery with an `rt_sigframe` laid
//! out as Linux riscv64 does (siginfo, then ucontext with the integer and
//! D-extension registers), returning through a trampoline page that runs
//! `rt_sigreturn`.

use crate::cpu::Cpu;
use crate::mm::{AddressSpace, MemFault, Prot, PAGE_SIZE};

/// Bit `n - 1` is signal `n`.
pub type SigSet = u64;

pub const SIGHUP: u8 = 1;
pub const SIGINT: u8 = 2;
pub const SIGQUIT: u8 = 3;
pub const SIGILL: u8 = 4;
pub const SIGTRAP: u8 = 5;
pub const SIGABRT: u8 = 6;
pub const SIGBUS: u8 = 7;
pub const SIGFPE: u8 = 8;
pub const SIGKILL: u8 = 9;
pub const SIGSEGV: u8 = 11;
pub const SIGPIPE: u8 = 13;
pub const SIGALRM: u8 = 14;
pub const SIGTERM: u8 = 15;
pub const SIGCHLD: u8 = 17;
pub const SIGCONT: u8 = 18;
pub const SIGSTOP: u8 = 19;
pub const SIGTSTP: u8 = 20;
pub const SIGTTIN: u8 = 21;
pub const SIGTTOU: u8 = 22;
pub const SIGURG: u8 = 23;
pub const SIGXCPU: u8 = 24;
pub const SIGXFSZ: u8 = 25;
pub const SIGWINCH: u8 = 28;
pub const SIGSYS: u8 = 31;
pub const NSIG: u8 = 64;

pub const SA_NOCLDSTOP: u64 = 1;
pub const SA_NOCLDWAIT: u64 = 2;
pub const SA_SIGINFO: u64 = 4;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;

pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;

/// si_code values.
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_TKILL: i32 = -6;
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const ILL_ILLOPC: i32 = 1;
pub const BUS_ADRALN: i32 = 1;
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;

pub fn bit(sig: u8) -> SigSet {
    1u64 << (sig - 1)
}

/// Signals that can be neither caught nor blocked.
pub const UNBLOCKABLE: SigSet = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub mask: SigSet,
}

/// Dispositions of all signals (shared under CLONE_SIGHAND).
#[derive(Debug, Clone)]
pub struct SigActions(pub [SigAction; NSIG as usize]);

impl Default for SigActions {
    fn default() -> Self {
        SigActions([SigAction::default(); NSIG as usize])
    }
}

impl SigActions {
    pub fn get(&self, sig: u8) -> SigAction {
        self.0[(sig - 1) as usize]
    }

    pub fn set(&mut self, sig: u8, a: SigAction) {
        self.0[(sig - 1) as usize] = a;
    }

    /// execve resets caught signals to default; ignored ones stay ignored.
    pub fn reset_for_exec(&mut self) {
        for a in self.0.iter_mut() {
            if a.handler != SIG_IGN {
                *a = SigAction::default();
            }
        }
    }
}

/// What the default disposition of a signal does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    CoreDump,
    Ignore,
    Stop,
    Continue,
}

pub fn default_action(sig: u8) -> DefaultAction {
    match sig {
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
        SIGCONT => DefaultAction::Continue,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => DefaultAction::CoreDump,
        32..=64 => DefaultAction::Terminate,
        _ => DefaultAction::Terminate,
    }
}

/// The information delivered with a signal (`siginfo_t`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: u8,
    pub code: i32,
    pub errno: i32,
    /// Sender pid (kill) or child pid (SIGCHLD).
    pub pid: i32,
    pub uid: u32,
    /// Faulting address (SIGSEGV/SIGBUS/SIGILL/SIGFPE).
    pub addr: u64,
    /// Child status (SIGCHLD).
    pub status: i32,
    /// sigqueue value.
    pub value: u64,
}

impl SigInfo {
    /// The signal a guest memory fault raises: SIGBUS/BUS_ADRALN for a
    /// misaligned atomic (the address may be perfectly mapped), else
    /// SIGSEGV, MAPERR or ACCERR; `si_addr` is the faulting address.
    pub fn for_fault(f: &MemFault) -> SigInfo {
        let (signo, code) = if f.is_misaligned() {
            (SIGBUS, BUS_ADRALN)
        } else if f.unmapped {
            (SIGSEGV, SEGV_MAPERR)
        } else {
            (SIGSEGV, SEGV_ACCERR)
        };
        SigInfo {
            signo,
            code,
            addr: f.addr,
            ..SigInfo::default()
        }
    }

    pub fn user(signo: u8, pid: i32) -> SigInfo {
        SigInfo {
            signo,
            code: SI_USER,
            pid,
            ..SigInfo::default()
        }
    }

    pub fn encode(&self) -> [u8; 128] {
        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&(self.signo as i32).to_le_bytes());
        b[4..8].copy_from_slice(&self.errno.to_le_bytes());
        b[8..12].copy_from_slice(&self.code.to_le_bytes());
        match self.signo {
            SIGSEGV | SIGBUS | SIGILL | SIGFPE | SIGTRAP if self.code > 0 => {
                b[16..24].copy_from_slice(&self.addr.to_le_bytes());
            }
            SIGCHLD => {
                b[16..20].copy_from_slice(&self.pid.to_le_bytes());
                b[20..24].copy_from_slice(&self.uid.to_le_bytes());
                b[24..28].copy_from_slice(&self.status.to_le_bytes());
            }
            _ => {
                b[16..20].copy_from_slice(&self.pid.to_le_bytes());
                b[20..24].copy_from_slice(&self.uid.to_le_bytes());
                b[24..32].copy_from_slice(&self.value.to_le_bytes());
            }
        }
        b
    }
}

/// The page holding `li a7, 139; ecall` (rt_sigreturn), mapped in every
/// address space just above the initial stack.
pub const TRAMPOLINE: u64 = 0x3f_ffff_f000;

pub fn map_trampoline(mm: &mut AddressSpace) -> Result<(), MemFault> {
    if mm
        .map_anon(TRAMPOLINE, PAGE_SIZE, Prot::READ | Prot::WRITE)
        .is_err()
    {
        return Err(MemFault {
            addr: TRAMPOLINE,
            kind: crate::mm::AccessKind::Write,
            unmapped: true,
        });
    }
    let code: [u32; 2] = [0x08b0_0893, 0x0000_0073];
    let mut bytes = Vec::new();
    for w in code {
        bytes.extend_from_slice(&w.to_le_bytes());
    }
    mm.write_force(TRAMPOLINE, &bytes)?;
    let _ = mm.protect(TRAMPOLINE, PAGE_SIZE, Prot::READ | Prot::EXEC);
    Ok(())
}

const SIGINFO_SIZE: u64 = 128;
/// Offsets inside `struct ucontext` (riscv64).
const UC_STACK: u64 = 16;
const UC_SIGMASK: u64 = 40;
const UC_MCONTEXT: u64 = 176;
const MC_FP: u64 = 256;
const FRAME_SIZE: u64 = SIGINFO_SIZE + UC_MCONTEXT + MC_FP + 528;

/// Push a signal frame for `action` on the stack and point the CPU at the
/// handler. Returns Err if the frame cannot be written (the caller kills
/// the process with SIGSEGV, as Linux does).
pub fn setup_frame(
    cpu: &mut Cpu,
    mm: &mut AddressSpace,
    action: &SigAction,
    info: &SigInfo,
    old_mask: SigSet,
    altstack: (u64, u64, u32),
) -> Result<(), MemFault> {
    let (ss_sp, ss_size, ss_flags) = altstack;
    let on_alt = action.flags & SA_ONSTACK != 0 && ss_flags & 2 == 0 && ss_size > 0;
    let cur_sp = cpu.x[2];
    let in_alt = ss_size > 0 && cur_sp > ss_sp && cur_sp <= ss_sp + ss_size;
    let top = if on_alt && !in_alt {
        ss_sp + ss_size
    } else {
        cur_sp
    };
    let frame = (top - FRAME_SIZE) & !15;
    let uc = frame + SIGINFO_SIZE;
    let mut buf = vec![0u8; FRAME_SIZE as usize];
    buf[..128].copy_from_slice(&info.encode());
    let u = SIGINFO_SIZE as usize;
    let put = |buf: &mut Vec<u8>, off: u64, v: u64| {
        let o = u + off as usize;
        buf[o..o + 8].copy_from_slice(&v.to_le_bytes());
    };
    put(&mut buf, UC_STACK, ss_sp);
    put(
        &mut buf,
        UC_STACK + 8,
        ss_flags as u64 | if in_alt { 1 } else { 0 },
    );
    put(&mut buf, UC_STACK + 16, ss_size);
    put(&mut buf, UC_SIGMASK, old_mask);
    put(&mut buf, UC_MCONTEXT, cpu.pc);
    for r in 1..32 {
        put(&mut buf, UC_MCONTEXT + r * 8, cpu.x[r as usize]);
    }
    for r in 0..32 {
        put(&mut buf, UC_MCONTEXT + MC_FP + r * 8, cpu.f[r as usize]);
    }
    let fcsr_off = u + (UC_MCONTEXT + MC_FP + 256) as usize;
    buf[fcsr_off..fcsr_off + 4].copy_from_slice(&cpu.fcsr.to_le_bytes());
    mm.write(frame, &buf)?;
    cpu.x[10] = info.signo as u64;
    cpu.x[11] = frame;
    cpu.x[12] = uc;
    cpu.x[2] = frame;
    cpu.x[1] = TRAMPOLINE;
    cpu.pc = action.handler;
    cpu.clear_reservation();
    Ok(())
}

/// Restore the CPU from the frame at `sp` (rt_sigreturn); returns the mask
/// saved in the frame.
pub fn restore_frame(cpu: &mut Cpu, mm: &mut AddressSpace) -> Result<SigSet, MemFault> {
    let uc = cpu.x[2] + SIGINFO_SIZE;
    let mut buf = vec![0u8; (UC_MCONTEXT + MC_FP + 264) as usize];
    mm.read(uc, &mut buf)?;
    let get = |off: u64| {
        let o = off as usize;
        u64::from_le_bytes(buf[o..o + 8].try_into().unwrap_or_default())
    };
    let mask = get(UC_SIGMASK);
    cpu.pc = get(UC_MCONTEXT);
    for r in 1..32 {
        cpu.x[r] = get(UC_MCONTEXT + r as u64 * 8);
    }
    for r in 0..32 {
        cpu.f[r] = get(UC_MCONTEXT + MC_FP + r as u64 * 8);
    }
    cpu.fcsr = (get(UC_MCONTEXT + MC_FP + 256) as u32) & 0xff;
    cpu.clear_reservation();
    Ok(mask & !UNBLOCKABLE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::AccessKind;

    #[test]
    fn fault_signals() {
        let f = |kind, unmapped| MemFault {
            addr: 0x1002,
            kind,
            unmapped,
        };
        let bus = SigInfo::for_fault(&f(AccessKind::Misaligned, false));
        assert_eq!(
            (bus.signo, bus.code, bus.addr),
            (SIGBUS, BUS_ADRALN, 0x1002)
        );
        // si_addr is encoded for SIGBUS.
        assert_eq!(bus.encode()[16..24], 0x1002u64.to_le_bytes());
        let segv = SigInfo::for_fault(&f(AccessKind::Write, true));
        assert_eq!((segv.signo, segv.code), (SIGSEGV, SEGV_MAPERR));
        let segv = SigInfo::for_fault(&f(AccessKind::Read, false));
        assert_eq!((segv.signo, segv.code), (SIGSEGV, SEGV_ACCERR));
    }
}
