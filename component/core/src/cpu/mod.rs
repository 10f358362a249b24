//! The RV64GC hart: decode, execute, FP, CSRs and the decoded-block cache.
//!
//! CONTRACT (used by `kernel/` and `driver/`; keep these signatures):
//!
//! ```ignore
//! #[derive(Clone)]
//! pub struct Cpu {
//!     pub x: [u64; 32],      // x[0] always reads 0
//!     pub f: [u64; 32],      // raw FP registers (NaN-boxed singles)
//!     pub pc: u64,
//!     pub fcsr: u32,         // fflags in bits 0-4, frm in bits 5-7
//!     pub instret: u64,      // retired instructions (also `cycle`)
//!     // private: LR/SC reservation, etc.
//! }
//! pub enum Exit {
//!     /// `ecall` at `pc` (pc still points at the ecall; the kernel advances it by 4).
//!     Ecall,
//!     Ebreak,
//!     /// The instruction budget ran out at a block boundary.
//!     Budget,
//!     /// Load/store/fetch fault; pc points at the faulting instruction.
//!     Fault(crate::mm::MemFault),
//!     /// An encoding that is illegal or not implemented; pc points at it.
//!     Illegal { insn: u32 },
//! }
//! impl Cpu {
//!     pub fn new(pc: u64, sp: u64) -> Self;
//!     /// Execute until an exit; at most about `budget` instructions (block granularity).
//!     /// The wall clock for the `time` CSR comes from `clock_ns`.
//!     pub fn run(&mut self, mem: &mut AddressSpace, budget: u64) -> Exit;
//!     /// Forget a reservation (on context switch / signal delivery).
//!     pub fn clear_reservation(&mut self);
//! }
//! pub fn set_time_source(f: fn() -> u64);   // ns, used by rdtime
//! ```
