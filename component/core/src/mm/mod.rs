//! Guest address spaces: 4 KiB pages, a page table, a software TLB, and the
//! per-page cache of decoded instructions the CPU executes from.
//!
//! CONTRACT (used by `kernel/`, `loader/` and `cpu/`; keep these signatures):
//!
//! ```ignore
//! pub const PAGE_SIZE: u64 = 4096;
//! bitflags! { pub struct Prot: u8 { const READ = 1; const WRITE = 2; const EXEC = 4; } }
//! pub enum AccessKind { Read, Write, Exec }
//! pub struct MemFault { pub addr: u64, pub kind: AccessKind, pub unmapped: bool }
//! pub enum MmError { OutOfMemory, Unmapped { addr: u64 }, Invalid }   // thiserror
//!
//! pub struct AddressSpace { .. }
//! impl AddressSpace {
//!     pub fn new(budget: Arc<MemoryBudget>) -> Self;
//!     /// Map zero-filled pages over [addr, addr+len) (page-aligned, len rounded up),
//!     /// replacing whatever was there (MAP_FIXED semantics).
//!     pub fn map_anon(&mut self, addr: u64, len: u64, prot: Prot) -> Result<(), MmError>;
//!     pub fn unmap(&mut self, addr: u64, len: u64);
//!     pub fn protect(&mut self, addr: u64, len: u64, prot: Prot) -> Result<(), MmError>;
//!     /// Lowest free gap of `len` bytes at or above `hint` (or a default mmap base)
//!     /// that fits below the 47-bit limit, searching downward from the mmap base.
//!     pub fn find_free(&self, hint: u64, len: u64) -> Option<u64>;
//!     pub fn is_mapped(&self, addr: u64, len: u64) -> bool;
//!     /// Kernel-side copies (copy_from_user / copy_to_user): honour READ/WRITE prot.
//!     pub fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), MemFault>;
//!     pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), MemFault>;
//!     /// Loader-side writes that ignore protection (pages must be mapped).
//!     pub fn write_force(&mut self, addr: u64, data: &[u8]) -> Result<(), MemFault>;
//!     pub fn read_u64(&mut self, addr: u64) -> Result<u64, MemFault>;  // + u32, u8
//!     pub fn write_u64(&mut self, addr: u64, v: u64) -> Result<(), MemFault>; // + u32
//!     /// NUL-terminated string of at most `max` bytes (EFAULT/ENAMETOOLONG by caller).
//!     pub fn read_cstr(&mut self, addr: u64, max: usize) -> Result<Vec<u8>, MemFault>;
//!     /// Copy-on-write duplicate for fork().
//!     pub fn fork(&mut self) -> AddressSpace;
//!     /// Bytes of guest memory in use by this space.
//!     pub fn resident_bytes(&self) -> u64;
//! }
//! /// Shared budget over all address spaces; exhaustion gives OutOfMemory.
//! pub struct MemoryBudget { .. }  impl MemoryBudget { pub fn new(limit_bytes: u64) -> Arc<Self>; }
//! ```
