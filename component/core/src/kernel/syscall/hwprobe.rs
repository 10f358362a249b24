//! `riscv_hwprobe`: what the emulated hart implements, so that glibc's and
//! other runtimes' feature checks see the same ISA the CPU executes
//! (RV64GC + Zba/Zbb/Zbc/Zbs + Zicond, fast misaligned scalar accesses).

use super::super::errno::Errno;
use super::super::{Kernel, Pid};
use super::{copy_in, copy_out, SysResult};

const KEY_MVENDORID: i64 = 0;
const KEY_MARCHID: i64 = 1;
const KEY_MIMPID: i64 = 2;
const KEY_BASE_BEHAVIOR: i64 = 3;
const KEY_IMA_EXT_0: i64 = 4;
const KEY_CPUPERF_0: i64 = 5;
const KEY_MISALIGNED_SCALAR_PERF: i64 = 9;

const BASE_BEHAVIOR_IMA: u64 = 1 << 0;
const IMA_FD: u64 = 1 << 0;
const IMA_C: u64 = 1 << 1;
const EXT_ZBA: u64 = 1 << 3;
const EXT_ZBB: u64 = 1 << 4;
const EXT_ZBS: u64 = 1 << 5;
const EXT_ZBC: u64 = 1 << 7;
const EXT_ZICOND: u64 = 1 << 35;
/// Misaligned loads and stores cost the same as aligned ones here.
const MISALIGNED_FAST: u64 = 3;

/// The value of `key`, or `None` for a key this kernel does not know.
pub fn value(key: i64) -> Option<u64> {
    match key {
        KEY_MVENDORID | KEY_MARCHID | KEY_MIMPID => Some(0),
        KEY_BASE_BEHAVIOR => Some(BASE_BEHAVIOR_IMA),
        KEY_IMA_EXT_0 => Some(IMA_FD | IMA_C | EXT_ZBA | EXT_ZBB | EXT_ZBS | EXT_ZBC | EXT_ZICOND),
        KEY_CPUPERF_0 | KEY_MISALIGNED_SCALAR_PERF => Some(MISALIGNED_FAST),
        _ => None,
    }
}

/// `riscv_hwprobe(pairs, pair_count, cpusetsize, cpus, flags)`: fill in each
/// `{key, value}` pair; unknown keys become `{-1, 0}` as Linux does. Every
/// CPU is the same hart, so the CPU set does not matter. Like Linux, there
/// is no bound on the count: pairs are done one by one and the first one
/// that cannot be read or written ends the call with EFAULT (the pairs
/// before it stay filled in).
pub fn riscv_hwprobe(k: &mut Kernel, pid: Pid, pairs: u64, count: u64, flags: u64) -> SysResult {
    if flags != 0 {
        return Err(Errno::EINVAL.into());
    }
    for i in 0..count {
        let at = i
            .checked_mul(16)
            .and_then(|o| pairs.checked_add(o))
            .ok_or(Errno::EFAULT)?;
        let raw = copy_in(k, pid, at, 8)?;
        let key = i64::from_le_bytes(raw.try_into().unwrap_or_default());
        let (key, val) = match value(key) {
            Some(v) => (key, v),
            None => (-1, 0),
        };
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&key.to_le_bytes());
        out[8..].copy_from_slice(&val.to_le_bytes());
        copy_out(k, pid, at, &out)?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_implemented_isa_and_rejects_unknown_keys() {
        let ext = value(KEY_IMA_EXT_0).unwrap();
        assert_eq!(ext & (IMA_FD | IMA_C), IMA_FD | IMA_C);
        assert_ne!(ext & EXT_ZICOND, 0);
        // No vector unit.
        assert_eq!(ext & (1 << 2), 0);
        assert_eq!(value(KEY_BASE_BEHAVIOR), Some(BASE_BEHAVIOR_IMA));
        assert_eq!(value(6), None);
        assert_eq!(value(-5), None);
    }
}
