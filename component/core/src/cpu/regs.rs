//! The register file the executor works on.
//!
//! While a chain of blocks runs, the architectural registers live in a
//! per-thread array of 256 slots: `x0..x31` in slots 0-31, `f0..f31` in slots
//! `FP..FP+31`, and [`DISCARD`] receives writes to `x0`. The decoded ops'
//! register fields are lowered to slot numbers (see `block::lower`), so any
//! `u8` field indexes the file without a bounds check or mask, `x0` always
//! reads 0 without a per-write fix-up, and in wasm the file sits at a constant
//! address (no base register). `Cpu::x`/`Cpu::f` are copied in and out around
//! each chain, which is cheap next to the chain itself.

use std::cell::UnsafeCell;

/// Slots of the register file; any `u8` is a valid index.
pub(crate) type Regs = [u64; 256];

/// Slot of `f0`.
pub(crate) const FP: usize = 32;

/// Slot that writes to `x0` go to (never read as a source).
pub(crate) const DISCARD: u8 = 255;

/// Slot holding `fcsr` while a chain runs (so the dispatch loop's FP fast
/// paths can read the rounding mode and set flags without the `Cpu`).
pub(crate) const FCSR: usize = 254;

thread_local! {
    static FILE: UnsafeCell<Regs> = const { UnsafeCell::new([0; 256]) };
}

/// Run `f` with this thread's register file holding `x`/`f`/`fcsr`, then
/// copy them back. Not reentrant (the executor never calls back into
/// itself).
#[inline(always)]
pub(super) fn with_regs<R>(
    x: &mut [u64; 32],
    fr: &mut [u64; 32],
    fcsr: &mut u32,
    f: impl FnOnce(&mut Regs) -> R,
) -> R {
    FILE.with(|cell| {
        // SAFETY: the file is thread-local and only borrowed here, for the
        // duration of `f`; `f` (the executor) never re-enters `with_regs`,
        // so this is the only reference.
        let r = unsafe { &mut *cell.get() };
        r[..32].copy_from_slice(x);
        r[0] = 0;
        r[FP..FP + 32].copy_from_slice(fr);
        r[FCSR] = *fcsr as u64;
        let out = f(r);
        x.copy_from_slice(&r[..32]);
        x[0] = 0;
        fr.copy_from_slice(&r[FP..FP + 32]);
        *fcsr = r[FCSR] as u32;
        out
    })
}
