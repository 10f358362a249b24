//! Guest address spaces: 4 KiB pages, a page table, a software TLB, and the
//! per-page cache of decoded instructions the CPU executes from.
//!
//! Design:
//! - *Regions* (`BTreeMap` of page ranges with a protection) say what is
//!   mapped; *pages* are only materialised when first written (reads of an
//!   untouched page see a shared zero page). Huge `PROT_NONE` reservations
//!   (Go, V8, glibc arenas) therefore cost nothing, and the memory budget
//!   counts only real pages.
//! - Materialised pages live in a slab (`slots`) of `Rc<PageBuf>`; a
//!   `HashMap` maps page numbers to slots. `fork` clones the slab, so pages
//!   are shared copy-on-write: a write to a page whose `Rc` is not unique
//!   copies it first. A page's memory is charged to the shared
//!   [`MemoryBudget`] when allocated and refunded when its last owner drops it.
//! - A direct-mapped software TLB (separate read and write entries, each a page
//!   address tag and the host address of the page's bytes) sits in front of
//!   all of that, so a hit costs one tag compare and one host access. The tag
//!   compare also checks alignment (`addr & (!0xfff | (N-1)) == tag`), so a
//!   hit is always an aligned access inside the page; misaligned accesses take
//!   a short second path. Write entries are only installed for writable,
//!   uniquely-owned pages that hold no decoded code, so stores to code pages
//!   take the slow path, which invalidates the page's decoded blocks
//!   (self-modifying code and JITs just work) and tells the CPU through
//!   `pending`.
//! - MAP_SHARED pages (`Mem::shared`) are never copied on write: forks keep
//!   the same `Rc`, and a shared file mapping installs the kernel page
//!   cache's pages ([`SharedPage`]) so stores reach every mapping and, through
//!   the cache, the file.
//! - The decoded-block cache ([`crate::cpu::CodeCache`]) is owned here so that
//!   threads sharing the address space share it; it is invalidated on writes to
//!   code pages, `unmap`, `protect`, remapping and `fence.i`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::cpu::CodeCache;

pub const PAGE_SIZE: u64 = 4096;
pub const PAGE_SHIFT: u32 = 12;
const PAGE: usize = PAGE_SIZE as usize;
/// Guest virtual addresses are below 2^47.
pub const VA_LIMIT: u64 = 1 << 47;
/// Lowest address `find_free` hands out (like Linux's `mmap_min_addr`).
pub const MMAP_MIN_ADDR: u64 = 0x10000;
/// Default top of the top-down mmap area (just below the loader's
/// interpreter base and the Sv39-style stack).
pub const DEFAULT_MMAP_BASE: u64 = 0x3f_e000_0000;

const TLB_BITS: u32 = 10;
const TLB_SIZE: usize = 1 << TLB_BITS;
const TLB_MASK: usize = TLB_SIZE - 1;

bitflags::bitflags! {
    /// Page protection (PROT_READ/WRITE/EXEC).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Prot: u8 {
        const READ = 1;
        const WRITE = 2;
        const EXEC = 4;
    }
}

/// The kind of access that faulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessKind {
    Read,
    Write,
    Exec,
    /// A misaligned LR/SC/AMO (or `rmw_u32`/`rmw_u64`): the address may be
    /// perfectly mapped; Linux sends SIGBUS with BUS_ADRALN and `si_addr` =
    /// `addr`. `unmapped` is false.
    Misaligned,
}

/// A failed guest memory access. `unmapped` is false for protection
/// violations (SEGV_ACCERR) and true for unmapped addresses (SEGV_MAPERR).
/// `kind == AccessKind::Misaligned` is not a protection fault at all but an
/// alignment fault (SIGBUS/BUS_ADRALN); see [`MemFault::is_misaligned`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemFault {
    pub addr: u64,
    pub kind: AccessKind,
    pub unmapped: bool,
}

impl MemFault {
    /// An alignment fault (misaligned atomic): deliver SIGBUS (BUS_ADRALN),
    /// not SIGSEGV.
    pub fn is_misaligned(&self) -> bool {
        self.kind == AccessKind::Misaligned
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MmError {
    #[error("out of guest memory")]
    OutOfMemory,
    #[error("address {addr:#x} is not mapped")]
    Unmapped { addr: u64 },
    #[error("invalid address range")]
    Invalid,
}

/// Shared budget over all address spaces; exhaustion gives OutOfMemory.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: u64,
    used: AtomicU64,
}

impl MemoryBudget {
    pub fn new(limit_bytes: u64) -> Arc<Self> {
        Arc::new(MemoryBudget {
            limit: limit_bytes,
            used: AtomicU64::new(0),
        })
    }
    /// Bytes of guest pages currently allocated (over all address spaces).
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }
    pub fn limit(&self) -> u64 {
        self.limit
    }
    pub(crate) fn try_charge(&self, bytes: u64) -> bool {
        let mut cur = self.used.load(Ordering::Relaxed);
        loop {
            let Some(new) = cur.checked_add(bytes).filter(|&n| n <= self.limit) else {
                return false;
            };
            match self
                .used
                .compare_exchange_weak(cur, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(c) => cur = c,
            }
        }
    }
    /// Bytes that files may not take: what processes keep to run in (and
    /// to clean up) once the writable layer has filled the rest, as ext4
    /// keeps blocks back from ordinary writers.
    pub fn file_reserve(&self) -> u64 {
        (self.limit / 16).max(4 << 20).min(self.limit)
    }
    /// Whether `bytes` more of file data fit beside the `file_reserve`.
    pub(crate) fn file_fits(&self, bytes: u64) -> bool {
        let room = self.limit - self.file_reserve();
        bytes.checked_add(self.used()).is_some_and(|n| n <= room)
    }
    /// Charge file bytes, which may not use the `file_reserve`.
    pub(crate) fn try_charge_file(&self, bytes: u64) -> bool {
        self.file_fits(bytes) && self.try_charge(bytes)
    }
    /// Charge even past the limit (for copies that must not fail).
    pub(crate) fn force_charge(&self, bytes: u64) {
        self.used.fetch_add(bytes, Ordering::Relaxed);
    }
    pub(crate) fn refund(&self, bytes: u64) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// One guest page of memory. Charged to a budget while alive.
pub struct PageBuf {
    pub(crate) bytes: [u8; PAGE],
    budget: Option<Arc<MemoryBudget>>,
}

impl Drop for PageBuf {
    fn drop(&mut self) {
        if let Some(b) = &self.budget {
            b.refund(PAGE_SIZE);
        }
    }
}

impl PageBuf {
    fn alloc(budget: &Arc<MemoryBudget>, from: Option<&[u8; PAGE]>) -> Option<Rc<PageBuf>> {
        if !budget.try_charge(PAGE_SIZE) {
            return None;
        }
        let mut p = Rc::new(PageBuf {
            bytes: [0; PAGE],
            budget: Some(budget.clone()),
        });
        if let (Some(src), Some(dst)) = (from, Rc::get_mut(&mut p)) {
            dst.bytes.copy_from_slice(src);
        }
        Some(p)
    }
}

/// A page that several address spaces (and the kernel's page cache of
/// shared file mappings) hold at once; stores through any mapping of it are
/// seen by all.
pub type SharedPage = Rc<PageBuf>;

/// A new zero-filled page charged to `budget`; None when the budget is spent.
pub fn new_page(budget: &Arc<MemoryBudget>) -> Option<SharedPage> {
    PageBuf::alloc(budget, None)
}

/// The bytes of a page. Guest stores happen only while the kernel is not
/// running, so they cannot change under this borrow.
pub fn page_bytes(p: &SharedPage) -> &[u8; PAGE] {
    &p.bytes
}

/// Overwrite the bytes of a page at `off` in place (as much of `data` as
/// fits), so that every address space mapping it sees them.
pub fn page_store(p: &SharedPage, off: usize, data: &[u8]) {
    let n = data.len().min(PAGE.saturating_sub(off));
    // SAFETY: `off + n <= PAGE`; the page is alive (we hold `p`), and the
    // other holders reach the bytes only through raw pointers or momentary
    // slices that are not live while the kernel runs (see TlbEntry).
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), host_of(p).add(off), n) };
}

/// Fast hasher for page numbers (guest-controlled but only self-harming).
#[derive(Default, Clone, Copy)]
pub(crate) struct VpnHasher(u64);

impl Hasher for VpnHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        let h = (self.0 ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }
}

pub(crate) type VpnMap<V> = HashMap<u64, V, BuildHasherDefault<VpnHasher>>;
pub(crate) type VpnSet = HashSet<u64, BuildHasherDefault<VpnHasher>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Region {
    /// Exclusive end page number.
    end: u64,
    prot: Prot,
}

/// A TLB entry: `tag` is the page address (`vpn << PAGE_SHIFT`, low bits
/// zero) or `NO_TAG`; `host` points at that page's `PAGE` bytes.
///
/// Invariant (what makes the unchecked accesses in `load`/`store` sound):
/// while an entry holds a tag, `host` points into a `PageBuf` kept alive by
/// `Mem::slots` for that page; for a write entry that `Rc` is also unique
/// (no other address space or reference can observe the bytes), unless the
/// page is in a MAP_SHARED mapping (`Mem::shared`): then the other owners
/// are forks that reach the bytes only through the same kind of raw
/// pointer or a momentary slice, never while this access is live (guest
/// tasks run one at a time on one host thread). Everything
/// that drops or replaces a slot's page, or shares it (`fork`), removes or
/// rewrites the entries for that page first (`flush_tlb*`, `fill_*`).
#[derive(Clone, Copy)]
struct TlbEntry {
    tag: u64,
    host: *mut u8,
}

/// Never equal to a masked address: its low 12 bits are all ones.
const NO_TAG: u64 = u64::MAX;

const TLB_EMPTY: TlbEntry = TlbEntry {
    tag: NO_TAG,
    host: std::ptr::null_mut(),
};

/// Kept inline in `Mem` (not boxed), so an access needs no load to find it.
type Tlb = [TlbEntry; TLB_SIZE];

fn new_tlb() -> Tlb {
    [TLB_EMPTY; TLB_SIZE]
}

/// Host address of a page's bytes (for TLB entries; see [`TlbEntry`]).
#[inline]
fn host_of(p: &Rc<PageBuf>) -> *mut u8 {
    // Derived from the Rc's own pointer (not from a reference), so it stays
    // usable while the Rc is alive; only written through while unique.
    let pb = Rc::as_ptr(p).cast_mut();
    // SAFETY: `pb` points at a live PageBuf (we hold `p`); no reference is made.
    unsafe { std::ptr::addr_of_mut!((*pb).bytes).cast::<u8>() }
}

#[inline(always)]
fn tlb_index(addr: u64) -> usize {
    (addr >> PAGE_SHIFT) as usize & TLB_MASK
}

/// The tag an `N`-byte access at `addr` hits: the page address if the
/// access is `N`-aligned, otherwise a value with low bits set (never a tag).
#[inline(always)]
fn tag_of<const N: usize>(addr: u64) -> u64 {
    addr & (!(PAGE_SIZE - 1) | (N as u64 - 1))
}

/// Page memory of an address space (everything but the decoded code).
pub(crate) struct Mem {
    budget: Arc<MemoryBudget>,
    /// Start page number -> region (non-overlapping, adjacent equal ones merged).
    regions: BTreeMap<u64, Region>,
    /// Page number -> slot index of materialised pages.
    map: VpnMap<u32>,
    /// Page slab; slot 0 is the shared zero page, free slots hold it too.
    slots: Vec<Rc<PageBuf>>,
    free: Vec<u32>,
    tlb_r: Tlb,
    tlb_w: Tlb,
    /// Pages holding decoded code (never get write TLB entries).
    code_pages: VpnSet,
    /// Pages of MAP_SHARED mappings: materialised when mapped, kept (not
    /// copied) across fork, so writes are seen by every process sharing them.
    shared: VpnSet,
    /// Pages of private file mappings: `madvise(MADV_DONTNEED)` keeps them
    /// (Linux would reread the file; zeroing them would lose its bytes).
    file_private: VpnSet,
    /// Code pages written since the last sync; their decoded code is stale.
    pub(crate) pending: Vec<u64>,
    oom: bool,
    mmap_base: u64,
}

/// A guest address space: page memory plus the decoded-code cache.
pub struct AddressSpace {
    pub(crate) m: Mem,
    pub(crate) code: CodeCache,
}

impl std::fmt::Debug for AddressSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddressSpace")
            .field("regions", &self.m.regions.len())
            .field("resident_pages", &self.m.map.len())
            .finish()
    }
}

#[inline(always)]
fn vpn_of(addr: u64) -> u64 {
    addr >> PAGE_SHIFT
}

#[inline(always)]
fn off_of(addr: u64) -> usize {
    (addr & (PAGE_SIZE - 1)) as usize
}

fn zero_page() -> Rc<PageBuf> {
    thread_local! {
        static ZERO: Rc<PageBuf> = Rc::new(PageBuf { bytes: [0; PAGE], budget: None });
    }
    ZERO.with(|z| z.clone())
}

/// Page range [start, end) of a byte range, or None if empty/out of range.
fn page_range(addr: u64, len: u64) -> Option<(u64, u64)> {
    if len == 0 {
        return None;
    }
    let end = addr.checked_add(len)?.checked_add(PAGE_SIZE - 1)?;
    Some((vpn_of(addr), vpn_of(end)))
}

impl Mem {
    fn new(budget: Arc<MemoryBudget>) -> Self {
        Mem {
            budget,
            regions: BTreeMap::new(),
            map: VpnMap::default(),
            slots: vec![zero_page()],
            free: Vec::new(),
            tlb_r: new_tlb(),
            tlb_w: new_tlb(),
            code_pages: VpnSet::default(),
            shared: VpnSet::default(),
            file_private: VpnSet::default(),
            pending: Vec::new(),
            oom: false,
            mmap_base: DEFAULT_MMAP_BASE,
        }
    }

    #[inline]
    fn region_prot(&self, vpn: u64) -> Option<Prot> {
        let (_, r) = self.regions.range(..=vpn).next_back()?;
        (r.end > vpn).then_some(r.prot)
    }

    // ---------------------------------------------------------------- TLB

    fn flush_tlb(&mut self) {
        self.tlb_r.fill(TLB_EMPTY);
        self.tlb_w.fill(TLB_EMPTY);
    }

    fn flush_tlb_range(&mut self, start: u64, end: u64) {
        if end.saturating_sub(start) > TLB_SIZE as u64 {
            self.flush_tlb();
            return;
        }
        for vpn in start..end {
            let i = vpn as usize & TLB_MASK;
            let tag = vpn << PAGE_SHIFT;
            if self.tlb_r[i].tag == tag {
                self.tlb_r[i] = TLB_EMPTY;
            }
            if self.tlb_w[i].tag == tag {
                self.tlb_w[i] = TLB_EMPTY;
            }
        }
    }

    /// A page now holds decoded code: stores to it must take the slow path.
    pub(crate) fn mark_code_page(&mut self, vpn: u64) {
        self.code_pages.insert(vpn);
        let i = vpn as usize & TLB_MASK;
        if self.tlb_w[i].tag == vpn << PAGE_SHIFT {
            self.tlb_w[i] = TLB_EMPTY;
        }
    }

    pub(crate) fn unmark_code_page(&mut self, vpn: u64) {
        self.code_pages.remove(&vpn);
    }

    pub(crate) fn clear_code_pages(&mut self) {
        self.code_pages.clear();
    }

    // ------------------------------------------------------------- regions

    /// Replace the regions over [s, e) with `prot` (or remove them).
    fn set_regions(&mut self, s: u64, e: u64, prot: Option<Prot>) {
        let overlapping: Vec<(u64, Region)> = self
            .regions
            .range(..e)
            .rev()
            .take_while(|(_, r)| r.end > s)
            .map(|(&k, &r)| (k, r))
            .collect();
        for (rs, r) in overlapping {
            self.regions.remove(&rs);
            if rs < s {
                self.regions.insert(
                    rs,
                    Region {
                        end: s,
                        prot: r.prot,
                    },
                );
            }
            if r.end > e {
                self.regions.insert(
                    e,
                    Region {
                        end: r.end,
                        prot: r.prot,
                    },
                );
            }
        }
        let Some(prot) = prot else { return };
        let (mut s, mut e) = (s, e);
        // Merge with equal neighbours.
        if let Some((&ps, &pr)) = self.regions.range(..s).next_back() {
            if pr.end == s && pr.prot == prot {
                self.regions.remove(&ps);
                s = ps;
            }
        }
        if let Some(&nr) = self.regions.get(&e) {
            if nr.prot == prot {
                self.regions.remove(&e);
                e = nr.end;
            }
        }
        self.regions.insert(s, Region { end: e, prot });
    }

    /// Drop materialised pages in [s, e).
    fn drop_pages(&mut self, s: u64, e: u64) {
        if !self.shared.is_empty() {
            self.shared.retain(|v| !(s..e).contains(v));
        }
        if !self.file_private.is_empty() {
            self.file_private.retain(|v| !(s..e).contains(v));
        }
        let span = e - s;
        let victims: Vec<u64> = if span <= self.map.len() as u64 {
            (s..e).filter(|v| self.map.contains_key(v)).collect()
        } else {
            self.map
                .keys()
                .copied()
                .filter(|&v| v >= s && v < e)
                .collect()
        };
        for vpn in victims {
            if let Some(slot) = self.map.remove(&vpn) {
                if let Some(p) = self.slots.get_mut(slot as usize) {
                    *p = zero_page();
                    self.free.push(slot);
                }
            }
        }
        self.flush_tlb_range(s, e);
    }

    /// Put `page` at page number `vpn` (which must be in a region), shared
    /// (MAP_SHARED: never copied on write) or private (copy-on-write if
    /// another space holds it too).
    fn install(&mut self, vpn: u64, page: Rc<PageBuf>, shared: bool) {
        let slot = match self.map.get(&vpn) {
            Some(&s) => s,
            None => match self.free.pop() {
                Some(s) => s,
                None => {
                    self.slots.push(zero_page());
                    (self.slots.len() - 1) as u32
                }
            },
        };
        if let Some(p) = self.slots.get_mut(slot as usize) {
            *p = page;
        }
        self.map.insert(vpn, slot);
        if shared {
            self.shared.insert(vpn);
        } else {
            self.shared.remove(&vpn);
        }
        self.flush_tlb_range(vpn, vpn + 1);
    }

    fn first_hole(&self, s: u64, e: u64) -> Option<u64> {
        let mut cur = s;
        if let Some((_, r)) = self.regions.range(..=s).next_back() {
            if r.end > s {
                cur = r.end;
            }
        }
        for (&rs, r) in self.regions.range(s + 1..e) {
            if cur >= e {
                break;
            }
            if rs > cur {
                return Some(cur);
            }
            cur = cur.max(r.end);
        }
        (cur < e).then_some(cur)
    }

    fn gap_up(&self, from: u64, pages: u64, limit: u64) -> Option<u64> {
        let mut cand = from;
        if let Some((_, r)) = self.regions.range(..=from).next_back() {
            cand = cand.max(r.end);
        }
        for (&rs, r) in self.regions.range(from..) {
            if rs >= cand && rs - cand >= pages {
                break;
            }
            cand = cand.max(r.end);
        }
        (cand.checked_add(pages)? <= limit).then_some(cand)
    }

    // ------------------------------------------------------- translation

    #[cold]
    fn fault(addr: u64, kind: AccessKind, unmapped: bool) -> MemFault {
        MemFault {
            addr,
            kind,
            unmapped,
        }
    }

    /// Slot to read the page of `addr` from (zero page if untouched).
    fn fill_read(&mut self, addr: u64, need: Prot, kind: AccessKind) -> Result<u32, MemFault> {
        let vpn = vpn_of(addr);
        let prot = self
            .region_prot(vpn)
            .ok_or_else(|| Self::fault(addr, kind, true))?;
        if !prot.contains(need) {
            return Err(Self::fault(addr, kind, false));
        }
        let slot = self.map.get(&vpn).copied().unwrap_or(0);
        if need == Prot::READ {
            if let Some(p) = self.slots.get(slot as usize) {
                self.tlb_r[vpn as usize & TLB_MASK] = TlbEntry {
                    tag: vpn << PAGE_SHIFT,
                    host: host_of(p),
                };
            }
        }
        Ok(slot)
    }

    /// Slot of a private, writable copy of the page of `addr`.
    fn fill_write(&mut self, addr: u64, check_prot: bool) -> Result<u32, MemFault> {
        let vpn = vpn_of(addr);
        let prot = self
            .region_prot(vpn)
            .ok_or_else(|| Self::fault(addr, AccessKind::Write, true))?;
        if check_prot && !prot.contains(Prot::WRITE) {
            return Err(Self::fault(addr, AccessKind::Write, false));
        }
        if self.code_pages.remove(&vpn) {
            self.pending.push(vpn);
        }
        let slot = match self.map.get(&vpn).copied() {
            Some(slot) => {
                let unique = self.shared.contains(&vpn)
                    || self
                        .slots
                        .get_mut(slot as usize)
                        .is_some_and(|p| Rc::get_mut(p).is_some());
                if !unique {
                    let copy = self
                        .slots
                        .get(slot as usize)
                        .and_then(|p| PageBuf::alloc(&self.budget, Some(&p.bytes)));
                    let Some(copy) = copy else {
                        self.oom = true;
                        return Err(Self::fault(addr, AccessKind::Write, false));
                    };
                    if let Some(p) = self.slots.get_mut(slot as usize) {
                        *p = copy;
                    }
                }
                slot
            }
            None => {
                let Some(page) = PageBuf::alloc(&self.budget, None) else {
                    self.oom = true;
                    return Err(Self::fault(addr, AccessKind::Write, false));
                };
                let slot = match self.free.pop() {
                    Some(s) => {
                        if let Some(p) = self.slots.get_mut(s as usize) {
                            *p = page;
                        }
                        s
                    }
                    None => {
                        self.slots.push(page);
                        (self.slots.len() - 1) as u32
                    }
                };
                self.map.insert(vpn, slot);
                slot
            }
        };
        let i = vpn as usize & TLB_MASK;
        let tag = vpn << PAGE_SHIFT;
        let Some(p) = self.slots.get(slot as usize) else {
            return Err(Self::fault(addr, AccessKind::Write, true));
        };
        let entry = TlbEntry {
            tag,
            host: host_of(p),
        };
        // The read entry may point at the zero page or the old copy; refresh it.
        if prot.contains(Prot::READ) {
            self.tlb_r[i] = entry;
        } else if self.tlb_r[i].tag == tag {
            self.tlb_r[i] = TLB_EMPTY;
        }
        // `slot` is unique here (copied above if it was shared).
        if prot.contains(Prot::WRITE) {
            self.tlb_w[i] = entry;
        } else if self.tlb_w[i].tag == tag {
            self.tlb_w[i] = TLB_EMPTY;
        }
        Ok(slot)
    }

    /// Host pointer for an `N`-byte aligned read of `addr` if the TLB hits.
    #[inline(always)]
    fn tlb_read<const N: usize>(&self, addr: u64) -> Option<*const u8> {
        let e = &self.tlb_r[tlb_index(addr)];
        if tag_of::<N>(addr) == e.tag {
            // SAFETY (offset): a hit means the page matches, so off < PAGE.
            Some(e.host.wrapping_add(off_of(addr)).cast_const())
        } else {
            None
        }
    }

    /// Host pointer for an `N`-byte aligned write to `addr` if the TLB hits.
    #[inline(always)]
    fn tlb_write<const N: usize>(&self, addr: u64) -> Option<*mut u8> {
        let e = &self.tlb_w[tlb_index(addr)];
        if tag_of::<N>(addr) == e.tag {
            Some(e.host.wrapping_add(off_of(addr)))
        } else {
            None
        }
    }

    #[cold]
    #[inline(never)]
    fn load_slow<const N: usize>(&mut self, addr: u64) -> Result<[u8; N], MemFault> {
        let mut out = [0u8; N];
        // Misaligned but inside one page: one TLB lookup (filling it).
        if off_of(addr) + N <= PAGE {
            if self.tlb_r[tlb_index(addr)].tag != tag_of::<1>(addr) {
                self.fill_read(addr, Prot::READ, AccessKind::Read)?;
            }
            let e = &self.tlb_r[tlb_index(addr)];
            if e.tag == tag_of::<1>(addr) {
                // SAFETY: TlbEntry invariant; off + N <= PAGE.
                unsafe {
                    std::ptr::copy_nonoverlapping(e.host.add(off_of(addr)), out.as_mut_ptr(), N)
                };
                return Ok(out);
            }
        }
        self.read_impl(addr, &mut out, Prot::READ, AccessKind::Read)?;
        Ok(out)
    }

    /// Load fast path: the `N` bytes at `addr` if the TLB hits (an aligned
    /// access to a readable page), else None (use [`Mem::load`]).
    #[inline(always)]
    pub(crate) fn load_fast<const N: usize>(&self, addr: u64) -> Option<[u8; N]> {
        // SAFETY: TlbEntry invariant: a hit is an aligned N-byte access
        // inside a live page.
        self.tlb_read::<N>(addr)
            .map(|p| unsafe { p.cast::<[u8; N]>().read_unaligned() })
    }

    /// Guest load of `N` bytes (needs READ).
    #[inline(always)]
    pub(crate) fn load<const N: usize>(&mut self, addr: u64) -> Result<[u8; N], MemFault> {
        match self.tlb_read::<N>(addr) {
            // SAFETY: TlbEntry invariant: a hit is an aligned N-byte access
            // inside a live page.
            Some(p) => Ok(unsafe { p.cast::<[u8; N]>().read_unaligned() }),
            None => self.load_slow::<N>(addr),
        }
    }

    /// Store fast path: true if the TLB hit and the store was done. A miss
    /// must go to [`Mem::store_slow`].
    #[inline(always)]
    pub(crate) fn store_fast<const N: usize>(&mut self, addr: u64, v: [u8; N]) -> bool {
        match self.tlb_write::<N>(addr) {
            Some(p) => {
                // SAFETY: TlbEntry invariant: a write hit is an aligned N-byte
                // access inside a live page this address space owns alone.
                unsafe { p.cast::<[u8; N]>().write_unaligned(v) };
                true
            }
            None => false,
        }
    }

    /// Two stores, both on the fast path, or none (false).
    #[inline(always)]
    pub(crate) fn store2_fast<const N: usize>(
        &mut self,
        a1: u64,
        v1: [u8; N],
        a2: u64,
        v2: [u8; N],
    ) -> bool {
        // Both tags first, then both pointers: matching two `Option`s made
        // LLVM keep the first pointer in a value it carried around the
        // whole dispatch loop (two moves on every op in the component).
        let (e1, e2) = (&self.tlb_w[tlb_index(a1)], &self.tlb_w[tlb_index(a2)]);
        if tag_of::<N>(a1) != e1.tag || tag_of::<N>(a2) != e2.tag {
            return false;
        }
        // SAFETY: as in `store_fast` (both hit); in order, so an overlap
        // ends with the second value.
        unsafe {
            let p1 = e1.host.wrapping_add(off_of(a1));
            let p2 = e2.host.wrapping_add(off_of(a2));
            p1.cast::<[u8; N]>().write_unaligned(v1);
            p2.cast::<[u8; N]>().write_unaligned(v2);
        }
        true
    }

    /// Store slow path (fills the TLB; a store to a page with decoded code
    /// leaves that page in `pending`, which the CPU must check).
    #[cold]
    #[inline(never)]
    pub(crate) fn store_slow(&mut self, addr: u64, v: &[u8]) -> Result<(), MemFault> {
        self.write_impl(addr, v, true)
    }

    #[inline(always)]
    pub(crate) fn store<const N: usize>(&mut self, addr: u64, v: [u8; N]) -> Result<(), MemFault> {
        if self.store_fast(addr, v) {
            Ok(())
        } else {
            self.store_slow(addr, &v)
        }
    }

    fn read_impl(
        &mut self,
        addr: u64,
        buf: &mut [u8],
        need: Prot,
        kind: AccessKind,
    ) -> Result<(), MemFault> {
        let mut done = 0usize;
        while done < buf.len() {
            let a = addr.wrapping_add(done as u64);
            let slot = self.fill_read(a, need, kind)?;
            let off = off_of(a);
            let n = (PAGE - off).min(buf.len() - done);
            let (Some(src), Some(dst)) = (
                self.slots
                    .get(slot as usize)
                    .and_then(|p| p.bytes.get(off..off + n)),
                buf.get_mut(done..done + n),
            ) else {
                return Err(Self::fault(a, kind, true));
            };
            dst.copy_from_slice(src);
            done += n;
        }
        Ok(())
    }

    fn write_impl(&mut self, addr: u64, data: &[u8], check_prot: bool) -> Result<(), MemFault> {
        // Check every page first so a faulting copy writes nothing.
        if data.len() > PAGE - off_of(addr) {
            let mut a = addr;
            let end = addr.wrapping_add(data.len() as u64);
            loop {
                let vpn = vpn_of(a);
                match self.region_prot(vpn) {
                    None => return Err(Self::fault(a, AccessKind::Write, true)),
                    Some(p) if check_prot && !p.contains(Prot::WRITE) => {
                        return Err(Self::fault(a, AccessKind::Write, false))
                    }
                    _ => {}
                }
                let next = (vpn + 1) << PAGE_SHIFT;
                if next >= end || next == 0 {
                    break;
                }
                a = next;
            }
        }
        let mut done = 0usize;
        while done < data.len() {
            let a = addr.wrapping_add(done as u64);
            let slot = self.fill_write(a, check_prot)?;
            let off = off_of(a);
            let n = (PAGE - off).min(data.len() - done);
            let (Some(page), Some(src)) = (self.slots.get(slot as usize), data.get(done..done + n))
            else {
                return Err(Self::fault(a, AccessKind::Write, true));
            };
            // SAFETY: `off + n <= PAGE`; fill_write made the page writable
            // by this space (unique, or MAP_SHARED: see TlbEntry).
            unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), host_of(page).add(off), n) };
            done += n;
        }
        Ok(())
    }

    fn read_cstr(&mut self, addr: u64, max: usize) -> Result<Vec<u8>, MemFault> {
        let mut out = Vec::new();
        let mut a = addr;
        while out.len() < max {
            let slot = self.fill_read(a, Prot::READ, AccessKind::Read)?;
            let off = off_of(a);
            let n = (PAGE - off).min(max - out.len());
            let Some(chunk) = self
                .slots
                .get(slot as usize)
                .and_then(|p| p.bytes.get(off..off + n))
            else {
                return Err(Self::fault(a, AccessKind::Read, true));
            };
            if let Some(pos) = chunk.iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..pos]);
                return Ok(out);
            }
            out.extend_from_slice(chunk);
            a = a.wrapping_add(n as u64);
        }
        Ok(out)
    }

    /// The aligned word at `addr` for a read-modify-write (needs WRITE).
    /// A misaligned `addr` is an [`AccessKind::Misaligned`] fault.
    #[inline]
    pub(crate) fn rmw_slice<const N: usize>(
        &mut self,
        addr: u64,
    ) -> Result<&mut [u8; N], MemFault> {
        if !addr.is_multiple_of(N as u64) {
            // Misaligned atomics fault (Linux gives SIGBUS).
            return Err(Self::fault(addr, AccessKind::Misaligned, false));
        }
        let p = match self.tlb_write::<N>(addr) {
            Some(p) => p,
            None => {
                self.fill_write(addr, true)?;
                match self.tlb_write::<N>(addr) {
                    Some(p) => p,
                    None => return self.rmw_slow(addr),
                }
            }
        };
        // SAFETY: TlbEntry invariant (aligned, inside a live page owned by
        // this address space alone); the borrow of `self` keeps every TLB
        // change (and so any page drop) out until the reference is gone.
        Ok(unsafe { &mut *p.cast::<[u8; N]>() })
    }

    /// rmw_slice without a write TLB entry (a page whose region is not
    /// readable, or one that holds decoded code).
    #[cold]
    fn rmw_slow<const N: usize>(&mut self, addr: u64) -> Result<&mut [u8; N], MemFault> {
        let slot = self.fill_write(addr, true)?;
        let bad = Self::fault(addr, AccessKind::Write, true);
        let page = self.slots.get(slot as usize).ok_or(bad)?;
        // SAFETY: `addr` is N-aligned so the word lies inside the page;
        // fill_write made the page writable by this space (unique, or
        // MAP_SHARED: see TlbEntry); the borrow of `self` keeps the page.
        Ok(unsafe { &mut *host_of(page).add(off_of(addr)).cast::<[u8; N]>() })
    }

    /// Instruction fetch of a halfword (needs EXEC). Used by the decoder.
    pub(crate) fn fetch_u16(&mut self, addr: u64) -> Result<u16, MemFault> {
        let slot = self.fill_read(addr, Prot::EXEC, AccessKind::Exec)?;
        let off = off_of(addr);
        self.slots
            .get(slot as usize)
            .and_then(|p| p.bytes.get(off..off + 2))
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or_else(|| Self::fault(addr, AccessKind::Exec, true))
    }

    /// Raw instruction bits at `pc` ignoring protection (for reporting), or 0.
    pub(crate) fn peek_insn(&mut self, pc: u64) -> u32 {
        let mut b = [0u8; 4];
        let none = Prot::empty();
        if self
            .read_impl(pc, &mut b[..2], none, AccessKind::Read)
            .is_err()
        {
            return 0;
        }
        if b[0] & 3 != 3 {
            return u16::from_le_bytes([b[0], b[1]]) as u32;
        }
        if self
            .read_impl(pc.wrapping_add(2), &mut b[2..], none, AccessKind::Read)
            .is_err()
        {
            return 0;
        }
        u32::from_le_bytes(b)
    }
}

impl AddressSpace {
    pub fn new(budget: Arc<MemoryBudget>) -> Self {
        AddressSpace {
            m: Mem::new(budget),
            code: CodeCache::new(),
        }
    }

    /// The budget this space charges its pages to.
    pub fn budget(&self) -> &Arc<MemoryBudget> {
        &self.m.budget
    }

    /// Set the top of the top-down mmap area used by `find_free`.
    pub fn set_mmap_base(&mut self, base: u64) {
        self.m.mmap_base = (base & !(PAGE_SIZE - 1)).min(VA_LIMIT);
    }

    pub fn mmap_base(&self) -> u64 {
        self.m.mmap_base
    }

    /// True (once) if the last fault was caused by the memory budget running
    /// out rather than by a bad address: the kernel should treat it as OOM
    /// (SIGKILL) rather than SIGSEGV.
    pub fn take_oom(&mut self) -> bool {
        std::mem::take(&mut self.m.oom)
    }

    /// The mapped regions as (start, end, prot), in address order.
    pub fn mappings(&self) -> Vec<(u64, u64, Prot)> {
        self.m
            .regions
            .iter()
            .map(|(&s, r)| (s << PAGE_SHIFT, r.end << PAGE_SHIFT, r.prot))
            .collect()
    }

    /// Protection of the page containing `addr`, if mapped.
    pub fn prot_at(&self, addr: u64) -> Option<Prot> {
        self.m.region_prot(vpn_of(addr))
    }

    /// Apply invalidations recorded by stores to code pages.
    #[inline]
    pub(crate) fn sync_code(&mut self) {
        if !self.m.pending.is_empty() {
            for vpn in std::mem::take(&mut self.m.pending) {
                self.code.invalidate_page(vpn, &mut self.m);
            }
        }
    }

    fn check_range(addr: u64, len: u64) -> Result<(u64, u64), MmError> {
        if addr & (PAGE_SIZE - 1) != 0 {
            return Err(MmError::Invalid);
        }
        let (s, e) = page_range(addr, len).ok_or(MmError::Invalid)?;
        if e > vpn_of(VA_LIMIT) {
            return Err(MmError::Invalid);
        }
        Ok((s, e))
    }

    /// Map zero-filled pages over [addr, addr+len) (page-aligned, len rounded
    /// up), replacing whatever was there (MAP_FIXED semantics). Pages are
    /// allocated lazily, so the budget is charged on first write.
    pub fn map_anon(&mut self, addr: u64, len: u64, prot: Prot) -> Result<(), MmError> {
        let (s, e) = Self::check_range(addr, len)?;
        self.code.invalidate_range(s, e, &mut self.m);
        self.m.drop_pages(s, e);
        self.m.set_regions(s, e, Some(prot));
        Ok(())
    }

    /// Make [addr, addr+len), already mapped, a MAP_SHARED mapping: its
    /// pages are materialised now so that a later fork shares them.
    pub fn share(&mut self, addr: u64, len: u64) -> Result<(), MmError> {
        let (s, e) = Self::check_range(addr, len)?;
        for vpn in s..e {
            self.m
                .fill_write(vpn << PAGE_SHIFT, false)
                .map_err(|_| MmError::OutOfMemory)?;
            self.m.shared.insert(vpn);
        }
        Ok(())
    }

    /// Map `pages` (one per page, in order) at `addr` with `prot` as a
    /// MAP_SHARED mapping, replacing whatever was there: stores go to these
    /// very pages, whoever else holds them.
    pub fn map_shared_pages(
        &mut self,
        addr: u64,
        pages: Vec<SharedPage>,
        prot: Prot,
    ) -> Result<(), MmError> {
        let len = (pages.len() as u64)
            .checked_mul(PAGE_SIZE)
            .ok_or(MmError::Invalid)?;
        let (s, e) = Self::check_range(addr, len)?;
        self.code.invalidate_range(s, e, &mut self.m);
        self.m.drop_pages(s, e);
        self.m.set_regions(s, e, Some(prot));
        for (vpn, p) in (s..e).zip(pages) {
            self.m.install(vpn, p, true);
        }
        Ok(())
    }

    /// The MAP_SHARED page holding `addr`, if it is one.
    pub fn shared_page(&self, addr: u64) -> Option<SharedPage> {
        let vpn = vpn_of(addr);
        if !self.m.shared.contains(&vpn) {
            return None;
        }
        let slot = *self.m.map.get(&vpn)?;
        self.m.slots.get(slot as usize).cloned()
    }

    /// The MAP_SHARED pages in [addr, addr+len).
    pub fn shared_pages_in(&self, addr: u64, len: u64) -> Vec<SharedPage> {
        let Some((s, e)) = page_range(addr, len) else {
            return Vec::new();
        };
        self.m
            .shared
            .iter()
            .filter(|&&v| v >= s && v < e)
            .filter_map(|v| self.m.slots.get(*self.m.map.get(v)? as usize).cloned())
            .collect()
    }

    /// Move the mapping [old, old+len) to [new, new+len) with `prot`
    /// (mremap): the very pages, shared or private, end up at the new
    /// address, and the old range is unmapped. Nothing is copied, so shared
    /// mappings stay shared and no memory is charged twice.
    pub fn move_pages(&mut self, old: u64, new: u64, len: u64, prot: Prot) -> Result<(), MmError> {
        let (os, oe) = Self::check_range(old, len)?;
        let (ns, _) = Self::check_range(new, len)?;
        let m = &self.m;
        let vpns: Vec<u64> = if oe - os <= m.map.len() as u64 {
            (os..oe).filter(|v| m.map.contains_key(v)).collect()
        } else {
            m.map
                .keys()
                .copied()
                .filter(|&v| v >= os && v < oe)
                .collect()
        };
        let moved: Vec<(u64, Rc<PageBuf>, bool, bool)> = vpns
            .into_iter()
            .filter_map(|v| {
                let slot = *m.map.get(&v)?;
                let page = m.slots.get(slot as usize)?.clone();
                let file = m.file_private.contains(&v);
                Some((v - os, page, m.shared.contains(&v), file))
            })
            .collect();
        self.unmap(old, len);
        self.map_anon(new, len, prot)?;
        for (i, page, shared, file) in moved {
            self.m.install(ns + i, page, shared);
            if file {
                self.m.file_private.insert(ns + i);
            }
        }
        Ok(())
    }

    /// Record [addr, addr+len) as a private mapping of a file (see
    /// `Mem::file_private`).
    pub fn mark_file_private(&mut self, addr: u64, len: u64) -> Result<(), MmError> {
        let (s, e) = Self::check_range(addr, len)?;
        self.m.file_private.extend(s..e);
        Ok(())
    }

    /// `madvise(MADV_DONTNEED)`: private anonymous pages in [addr, addr+len)
    /// are dropped, so they read as zeros again and their memory returns
    /// to the budget; shared pages and pages of private file mappings keep
    /// their bytes. Every page must be mapped (else `Unmapped`).
    pub fn discard(&mut self, addr: u64, len: u64) -> Result<(), MmError> {
        let (s, e) = Self::check_range(addr, len)?;
        if let Some(hole) = self.m.first_hole(s, e) {
            return Err(MmError::Unmapped {
                addr: hole << PAGE_SHIFT,
            });
        }
        let victims: Vec<u64> = (s..e)
            .filter(|v| {
                self.m.map.contains_key(v)
                    && !self.m.shared.contains(v)
                    && !self.m.file_private.contains(v)
            })
            .collect();
        for vpn in victims {
            self.code.invalidate_range(vpn, vpn + 1, &mut self.m);
            self.m.drop_pages(vpn, vpn + 1);
        }
        Ok(())
    }

    /// Identity of the MAP_SHARED page holding `addr` (the same in every
    /// process sharing it), for futex keys; None for private memory.
    pub fn shared_page_id(&self, addr: u64) -> Option<usize> {
        let vpn = vpn_of(addr);
        if !self.m.shared.contains(&vpn) {
            return None;
        }
        let slot = *self.m.map.get(&vpn)?;
        self.m
            .slots
            .get(slot as usize)
            .map(|p| Rc::as_ptr(p) as usize)
    }

    /// Remove mappings over [addr, addr+len) (rounded out to pages).
    pub fn unmap(&mut self, addr: u64, len: u64) {
        let Some((s, e)) = page_range(addr & !(PAGE_SIZE - 1), len + (addr & (PAGE_SIZE - 1)))
        else {
            return;
        };
        let e = e.min(vpn_of(VA_LIMIT));
        if s >= e {
            return;
        }
        self.code.invalidate_range(s, e, &mut self.m);
        self.m.drop_pages(s, e);
        self.m.set_regions(s, e, None);
    }

    /// Change the protection of [addr, addr+len); every page must be mapped
    /// (else `Unmapped` with the first hole, like mprotect's ENOMEM).
    pub fn protect(&mut self, addr: u64, len: u64, prot: Prot) -> Result<(), MmError> {
        let (s, e) = Self::check_range(addr, len)?;
        if let Some(hole) = self.m.first_hole(s, e) {
            return Err(MmError::Unmapped {
                addr: hole << PAGE_SHIFT,
            });
        }
        self.m.set_regions(s, e, Some(prot));
        self.code.invalidate_range(s, e, &mut self.m);
        self.m.flush_tlb_range(s, e);
        Ok(())
    }

    pub fn is_mapped(&self, addr: u64, len: u64) -> bool {
        match page_range(addr, len.max(1)) {
            Some((s, e)) => self.m.first_hole(s, e).is_none(),
            None => false,
        }
    }

    /// A free gap of `len` bytes: with a non-zero `hint`, the lowest gap at or
    /// above it; otherwise (or if none fits) the highest gap below the mmap
    /// base (top-down, as Linux does), then the lowest gap above it.
    pub fn find_free(&self, hint: u64, len: u64) -> Option<u64> {
        let (_, pages) = page_range(0, len)?;
        let limit = vpn_of(VA_LIMIT);
        if pages > limit {
            return None;
        }
        let min = vpn_of(MMAP_MIN_ADDR);
        if hint != 0 {
            let h = vpn_of(hint.checked_add(PAGE_SIZE - 1)?).max(min);
            if let Some(v) = self.m.gap_up(h, pages, limit) {
                return Some(v << PAGE_SHIFT);
            }
        }
        let base = vpn_of(self.m.mmap_base).min(limit);
        // Top-down below the base.
        let mut top = base;
        for (&rs, r) in self.m.regions.range(..base).rev() {
            if r.end < top && top - r.end >= pages && top - pages >= min {
                return Some((top - pages) << PAGE_SHIFT);
            }
            top = top.min(rs);
        }
        if top >= min + pages {
            return Some((top - pages) << PAGE_SHIFT);
        }
        self.m
            .gap_up(base.max(min), pages, limit)
            .map(|v| v << PAGE_SHIFT)
    }

    /// copy_from_user: needs READ on every page.
    pub fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), MemFault> {
        self.m.read_impl(addr, buf, Prot::READ, AccessKind::Read)
    }

    /// copy_to_user: needs WRITE on every page; nothing is written on a fault.
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), MemFault> {
        let r = self.m.write_impl(addr, data, true);
        self.sync_code();
        r
    }

    /// Loader-side writes that ignore protection (pages must be mapped).
    pub fn write_force(&mut self, addr: u64, data: &[u8]) -> Result<(), MemFault> {
        let r = self.m.write_impl(addr, data, false);
        self.sync_code();
        r
    }

    /// Reads ignoring protection (e.g. for /proc/PID/mem or core dumps).
    pub fn read_force(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), MemFault> {
        self.m.read_impl(addr, buf, Prot::empty(), AccessKind::Read)
    }

    pub fn read_u8(&mut self, addr: u64) -> Result<u8, MemFault> {
        Ok(self.m.load::<1>(addr)?[0])
    }
    pub fn read_u16(&mut self, addr: u64) -> Result<u16, MemFault> {
        Ok(u16::from_le_bytes(self.m.load(addr)?))
    }
    pub fn read_u32(&mut self, addr: u64) -> Result<u32, MemFault> {
        Ok(u32::from_le_bytes(self.m.load(addr)?))
    }
    pub fn read_u64(&mut self, addr: u64) -> Result<u64, MemFault> {
        Ok(u64::from_le_bytes(self.m.load(addr)?))
    }
    pub fn write_u8(&mut self, addr: u64, v: u8) -> Result<(), MemFault> {
        let r = self.m.store(addr, [v]);
        self.sync_code();
        r
    }
    pub fn write_u16(&mut self, addr: u64, v: u16) -> Result<(), MemFault> {
        let r = self.m.store(addr, v.to_le_bytes());
        self.sync_code();
        r
    }
    pub fn write_u32(&mut self, addr: u64, v: u32) -> Result<(), MemFault> {
        let r = self.m.store(addr, v.to_le_bytes());
        self.sync_code();
        r
    }
    pub fn write_u64(&mut self, addr: u64, v: u64) -> Result<(), MemFault> {
        let r = self.m.store(addr, v.to_le_bytes());
        self.sync_code();
        r
    }

    /// The bytes of a NUL-terminated string, without the NUL. If no NUL is
    /// found within `max` bytes, returns those `max` bytes (the caller reports
    /// ENAMETOOLONG when `len == max`). Faults only if a byte before the
    /// terminator is unreadable.
    pub fn read_cstr(&mut self, addr: u64, max: usize) -> Result<Vec<u8>, MemFault> {
        self.m.read_cstr(addr, max)
    }

    /// Atomic read-modify-write of an aligned word (AMOs, futexes): needs
    /// WRITE (and faults as a write). `f` returns the new value or None to
    /// leave memory unchanged. Returns the old value.
    pub fn rmw_u32(
        &mut self,
        addr: u64,
        f: impl FnOnce(u32) -> Option<u32>,
    ) -> Result<u32, MemFault> {
        let d = self.m.rmw_slice::<4>(addr)?;
        let old = u32::from_le_bytes(*d);
        if let Some(new) = f(old) {
            *d = new.to_le_bytes();
        }
        self.sync_code();
        Ok(old)
    }

    /// 64-bit version of [`AddressSpace::rmw_u32`].
    pub fn rmw_u64(
        &mut self,
        addr: u64,
        f: impl FnOnce(u64) -> Option<u64>,
    ) -> Result<u64, MemFault> {
        let d = self.m.rmw_slice::<8>(addr)?;
        let old = u64::from_le_bytes(*d);
        if let Some(new) = f(old) {
            *d = new.to_le_bytes();
        }
        self.sync_code();
        Ok(old)
    }

    /// Copy-on-write duplicate for fork(). Decoded code is not shared.
    pub fn fork(&mut self) -> AddressSpace {
        // Our write entries point at pages that are now shared.
        self.m.flush_tlb();
        let m = &self.m;
        AddressSpace {
            m: Mem {
                budget: m.budget.clone(),
                regions: m.regions.clone(),
                map: m.map.clone(),
                slots: m.slots.clone(),
                free: m.free.clone(),
                tlb_r: new_tlb(),
                tlb_w: new_tlb(),
                code_pages: VpnSet::default(),
                shared: m.shared.clone(),
                file_private: m.file_private.clone(),
                pending: Vec::new(),
                oom: false,
                mmap_base: m.mmap_base,
            },
            code: CodeCache::new(),
        }
    }

    /// Bytes of guest memory in use by this space (pages shared with a fork
    /// count in both, like RSS).
    pub fn resident_bytes(&self) -> u64 {
        self.m.map.len() as u64 * PAGE_SIZE
    }

    /// Forget decoded instructions for [addr, addr+len) (riscv_flush_icache).
    /// Not needed for correctness — stores already invalidate — but cheap.
    pub fn invalidate_code(&mut self, addr: u64, len: u64) {
        if let Some((s, e)) = page_range(addr, len) {
            self.code.invalidate_range(s, e, &mut self.m);
        }
    }

    /// Forget all decoded instructions (fence.i).
    pub fn flush_code(&mut self) {
        self.code.clear(&mut self.m);
    }
}

#[cfg(test)]
mod tests;
