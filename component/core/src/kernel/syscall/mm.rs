//! Memory system calls: brk, mmap, munmap, mprotect, mremap, msync.
//! Shared file mappings map the kernel's page cache (`kernel::pagecache`).

use super::{file_of, SysError, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::fd::FileKind;
use crate::kernel::{Kernel, Pid};
use crate::mm::{AddressSpace, MmError, Prot, PAGE_SIZE};
use crate::vfs::{Ino, NodeKind};

const PROT_READ: u32 = 1;
const PROT_WRITE: u32 = 2;
const PROT_EXEC: u32 = 4;
const MAP_SHARED: u32 = 0x01;
/// Largest MAP_SHARED mapping whose pages are materialised (and so shared).
const MAX_EAGER_SHARED: u64 = 64 << 20;
const MAP_PRIVATE: u32 = 0x02;
const MAP_FIXED: u32 = 0x10;
const MAP_ANONYMOUS: u32 = 0x20;
const MAP_FIXED_NOREPLACE: u32 = 0x100000;
/// The user address space ends here (47 bits).
const TASK_SIZE: u64 = 1 << 47;

fn prot_of(p: u32) -> Prot {
    let mut out = Prot::empty();
    if p & PROT_READ != 0 {
        out |= Prot::READ;
    }
    if p & PROT_WRITE != 0 {
        out |= Prot::WRITE;
    }
    if p & PROT_EXEC != 0 {
        out |= Prot::EXEC;
    }
    out
}

fn mm_err(e: MmError) -> SysError {
    match e {
        MmError::OutOfMemory => Errno::ENOMEM.into(),
        _ => Errno::EINVAL.into(),
    }
}

fn page_up(v: u64) -> Option<u64> {
    v.checked_add(PAGE_SIZE - 1).map(|x| x & !(PAGE_SIZE - 1))
}

pub fn brk(k: &mut Kernel, pid: Pid, addr: u64) -> SysResult {
    let p = k.procs.get_mut(&pid).ok_or(Errno::ESRCH)?;
    let mut mm = p.mm.borrow_mut();
    if addr < p.brk_start || addr >= TASK_SIZE {
        return Ok(p.brk);
    }
    let old_top = page_up(p.brk).unwrap_or(p.brk);
    let new_top = page_up(addr).unwrap_or(addr);
    if new_top > old_top {
        if !mm.is_mapped(old_top, 0) && mm.find_free(old_top, new_top - old_top) != Some(old_top) {
            return Ok(p.brk);
        }
        if mm
            .map_anon(old_top, new_top - old_top, Prot::READ | Prot::WRITE)
            .is_err()
        {
            return Ok(p.brk);
        }
    } else if new_top < old_top {
        mm.unmap(new_top, old_top - new_top);
    }
    p.brk = addr;
    Ok(addr)
}

#[allow(clippy::too_many_arguments)]
pub fn mmap(
    k: &mut Kernel,
    pid: Pid,
    addr: u64,
    len: u64,
    prot: u32,
    flags: u32,
    fd: i32,
    off: u64,
) -> SysResult {
    if len == 0 || !off.is_multiple_of(PAGE_SIZE) || flags & (MAP_SHARED | MAP_PRIVATE) == 0 {
        return Err(Errno::EINVAL.into());
    }
    let len = page_up(len)
        .filter(|&l| l < TASK_SIZE)
        .ok_or(Errno::ENOMEM)?;
    // A shared mapping of a regular file maps the file's cached pages; any
    // other file mapping gets a copy of the file's bytes.
    let mut cached: Option<(Ino, bool)> = None;
    let data = if flags & MAP_ANONYMOUS == 0 {
        let file = file_of(k, pid, fd)?;
        let f = file.borrow();
        let FileKind::Node(ino) = f.kind else {
            return Err(Errno::ENODEV.into());
        };
        if !f.readable() {
            return Err(Errno::EACCES.into());
        }
        let shared = flags & MAP_SHARED != 0;
        if shared && prot & PROT_WRITE != 0 && !f.writable() {
            return Err(Errno::EACCES.into());
        }
        let regular = matches!(k.vfs.node(ino)?.kind, NodeKind::File(_));
        if shared && regular && len <= MAX_EAGER_SHARED {
            cached = Some((ino, prot & PROT_WRITE != 0));
            None
        } else {
            k.pages.write_back(&mut k.vfs, ino)?;
            let size = k.vfs.node(ino)?.size();
            Some((ino, size.saturating_sub(off).min(len)))
        }
    } else {
        None
    };
    let pages = match cached {
        Some((ino, writable)) => Some(k.pages.pages(
            &k.vfs,
            &k.budget,
            ino,
            off / PAGE_SIZE,
            len / PAGE_SIZE,
            writable,
        )?),
        None => None,
    };
    let p = k.procs.get_mut(&pid).ok_or(Errno::ESRCH)?;
    let mut mm = p.mm.borrow_mut();
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    let start = if fixed {
        if !addr.is_multiple_of(PAGE_SIZE) || addr.checked_add(len).is_none_or(|e| e > TASK_SIZE) {
            return Err(Errno::EINVAL.into());
        }
        if flags & MAP_FIXED_NOREPLACE != 0 && flags & MAP_FIXED == 0 {
            let mut a = addr;
            while a < addr + len {
                if mm.is_mapped(a, 1) {
                    return Err(Errno::EEXIST.into());
                }
                a += PAGE_SIZE;
            }
        }
        addr
    } else {
        let hint = addr & !(PAGE_SIZE - 1);
        mm.find_free(hint, len).ok_or(Errno::ENOMEM)?
    };
    if let Some(pages) = pages {
        mm.map_shared_pages(start, pages, prot_of(prot))
            .map_err(mm_err)?;
        return Ok(start);
    }
    mm.map_anon(start, len, Prot::READ | Prot::WRITE)
        .map_err(mm_err)?;
    if let Some((ino, n)) = data {
        if copy_file_in(&k.vfs, &mut mm, ino, off, n, start).is_err() {
            mm.unmap(start, len);
            return Err(Errno::ENOMEM.into());
        }
        mm.mark_file_private(start, len).map_err(mm_err)?;
    }
    // MAP_SHARED memory is shared with forked children (semaphores and
    // queues in shared memory: Python's multiprocessing). Huge shared
    // mappings (anonymous, or of a file) stay private rather than be
    // materialised up front; their stores do not reach the file.
    if flags & MAP_SHARED != 0 && len <= MAX_EAGER_SHARED {
        mm.share(start, len).map_err(mm_err)?;
    }
    mm.protect(start, len, prot_of(prot)).map_err(mm_err)?;
    Ok(start)
}

/// Copy `n` bytes of file `ino` at `off` into fresh anonymous memory at
/// `start`, a slice at a time (a sparse file may be larger than memory).
/// Holes are skipped, and runs of zeros stay unallocated zero pages.
fn copy_file_in(
    vfs: &crate::vfs::Vfs,
    mm: &mut AddressSpace,
    ino: Ino,
    off: u64,
    n: u64,
    start: u64,
) -> Result<(), SysError> {
    let end = off + n;
    let mut buf = vec![0u8; (n.min(1 << 20)) as usize];
    let mut pos = off;
    while pos < end {
        // The next stretch of data, as lseek(SEEK_DATA/SEEK_HOLE) finds it.
        let Some(data) = vfs.seek_data_or_hole(ino, pos, false)? else {
            break;
        };
        let hole = vfs
            .seek_data_or_hole(ino, data, true)?
            .unwrap_or(end)
            .min(end);
        pos = data;
        while pos < hole {
            let want = (hole - pos).min(buf.len() as u64) as usize;
            let got = vfs.read_file(ino, pos, &mut buf[..want])?;
            if got == 0 {
                return Ok(());
            }
            store_nonzero_pages(mm, start + (pos - off), &buf[..got])?;
            pos += got as u64;
        }
    }
    Ok(())
}

/// Store `bytes` at `at` in fresh memory, each run of page-sized pieces
/// holding anything but zeros in one store (a piece of zeros is skipped
/// wherever it falls: fresh memory reads as zeros).
fn store_nonzero_pages(mm: &mut AddressSpace, at: u64, bytes: &[u8]) -> Result<(), SysError> {
    let page = PAGE_SIZE as usize;
    let len = bytes.len();
    let mut run: Option<usize> = None;
    for i in (0..len).step_by(page).chain([len]) {
        let data = i < len && bytes[i..(i + page).min(len)].iter().any(|&b| b != 0);
        match (run, data) {
            (None, true) => run = Some(i),
            (Some(from), false) => {
                mm.write_force(at + from as u64, &bytes[from..i])
                    .map_err(|_| Errno::ENOMEM)?;
                run = None;
            }
            _ => {}
        }
    }
    Ok(())
}

const MADV_DONTNEED: u32 = 4;
const MADV_REMOVE: u32 = 9;
const MADV_FREE: u32 = 8;

/// madvise: MADV_DONTNEED (and MADV_FREE, which Linux may treat the same
/// way) drop private anonymous pages, which then read as zeros; the other
/// advice changes nothing observable and is accepted.
pub fn madvise(k: &mut Kernel, pid: Pid, addr: u64, len: u64, advice: u32) -> SysResult {
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL.into());
    }
    let len = page_up(len).ok_or(Errno::EINVAL)?;
    if len == 0 {
        return Ok(0);
    }
    let p = k.procs.get_mut(&pid).ok_or(Errno::ESRCH)?;
    let mut mm = p.mm.borrow_mut();
    match advice {
        MADV_DONTNEED | MADV_FREE => mm.discard(addr, len).map_err(|e| match e {
            MmError::Unmapped { .. } => Errno::ENOMEM.into(),
            e => mm_err(e),
        })?,
        // Punching holes in shared memory is not done here.
        MADV_REMOVE => return Err(Errno::EOPNOTSUPP.into()),
        _ => {}
    }
    Ok(0)
}

pub fn munmap(k: &mut Kernel, pid: Pid, addr: u64, len: u64) -> SysResult {
    if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
        return Err(Errno::EINVAL.into());
    }
    let len = page_up(len).ok_or(Errno::EINVAL)?;
    k.procs
        .get_mut(&pid)
        .ok_or(Errno::ESRCH)?
        .mm
        .borrow_mut()
        .unmap(addr, len);
    Ok(0)
}

pub fn mprotect(k: &mut Kernel, pid: Pid, addr: u64, len: u64, prot: u32) -> SysResult {
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL.into());
    }
    let len = page_up(len).ok_or(Errno::EINVAL)?;
    let p = k.procs.get_mut(&pid).ok_or(Errno::ESRCH)?;
    let mut mm = p.mm.borrow_mut();
    if !mm.is_mapped(addr, len) {
        return Err(Errno::ENOMEM.into());
    }
    mm.protect(addr, len, prot_of(prot)).map_err(mm_err)?;
    // Shared file pages that can now be stored into must be written back.
    if prot & PROT_WRITE != 0 && !k.pages.is_empty() {
        for page in mm.shared_pages_in(addr, len) {
            k.pages.mark_writable(&page);
        }
    }
    Ok(0)
}

const MREMAP_MAYMOVE: u32 = 1;
const MREMAP_FIXED: u32 = 2;

/// Map [tail, tail+len) as the continuation of the mapping whose last page
/// is at `tail - PAGE_SIZE`: the next pages of the same file for a shared
/// file mapping, new shared pages for shared anonymous memory (where Linux
/// gives SIGBUS past the size of the shmem object; more lenient here, and
/// still shared with forks), else fresh private pages.
fn map_tail(k: &mut Kernel, mm: &mut AddressSpace, tail: u64, len: u64, prot: Prot) -> SysResult {
    let last = tail.checked_sub(PAGE_SIZE).and_then(|a| mm.shared_page(a));
    let Some(last) = last else {
        mm.map_anon(tail, len, prot).map_err(mm_err)?;
        return Ok(0);
    };
    match k.pages.owner(&last) {
        Some((ino, idx)) => {
            let writable = k.pages.writable(ino);
            let pages =
                k.pages
                    .pages(&k.vfs, &k.budget, ino, idx + 1, len / PAGE_SIZE, writable)?;
            mm.map_shared_pages(tail, pages, prot).map_err(mm_err)?;
        }
        None => {
            mm.map_anon(tail, len, Prot::READ | Prot::WRITE)
                .map_err(mm_err)?;
            mm.share(tail, len).map_err(mm_err)?;
            mm.protect(tail, len, prot).map_err(mm_err)?;
        }
    }
    Ok(0)
}

/// mremap: shrink in place, grow in place when the pages after the mapping
/// are free, else move (with MREMAP_MAYMOVE) or go to MREMAP_FIXED's
/// address. The pages themselves move, so a shared mapping stays shared
/// with the processes and files it was shared with.
pub fn mremap(
    k: &mut Kernel,
    pid: Pid,
    old: u64,
    old_len: u64,
    new_len: u64,
    flags: u32,
    new_addr: u64,
) -> SysResult {
    if !old.is_multiple_of(PAGE_SIZE)
        || new_len == 0
        || flags & !(MREMAP_MAYMOVE | MREMAP_FIXED) != 0
        || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
    {
        return Err(Errno::EINVAL.into());
    }
    let old_len = page_up(old_len).ok_or(Errno::EINVAL)?;
    let new_len = page_up(new_len)
        .filter(|&l| l < TASK_SIZE)
        .ok_or(Errno::ENOMEM)?;
    let mm_rc = k.procs.get(&pid).ok_or(Errno::ESRCH)?.mm.clone();
    let mut mm = mm_rc.borrow_mut();
    if !mm.is_mapped(old, old_len) {
        return Err(Errno::EFAULT.into());
    }
    let prot = mm.prot_at(old).unwrap_or(Prot::READ | Prot::WRITE);
    if flags & MREMAP_FIXED == 0 {
        if new_len <= old_len {
            mm.unmap(old + new_len, old_len - new_len);
            return Ok(old);
        }
        let tail = old + old_len;
        let grow = new_len - old_len;
        let free_after = (0..grow / PAGE_SIZE).all(|i| !mm.is_mapped(tail + i * PAGE_SIZE, 1));
        if free_after && tail + grow <= TASK_SIZE {
            map_tail(k, &mut mm, tail, grow, prot)?;
            return Ok(old);
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(Errno::ENOMEM.into());
        }
    }
    let dest = if flags & MREMAP_FIXED != 0 {
        if !new_addr.is_multiple_of(PAGE_SIZE)
            || new_addr.checked_add(new_len).is_none_or(|e| e > TASK_SIZE)
        {
            return Err(Errno::EINVAL.into());
        }
        // The ranges may not overlap (Linux says EINVAL).
        if new_addr < old + old_len && old < new_addr + new_len {
            return Err(Errno::EINVAL.into());
        }
        new_addr
    } else {
        mm.find_free(0, new_len).ok_or(Errno::ENOMEM)?
    };
    let keep = old_len.min(new_len);
    mm.move_pages(old, dest, keep, prot).map_err(mm_err)?;
    if old_len > keep {
        mm.unmap(old + keep, old_len - keep);
    }
    if new_len > keep {
        map_tail(k, &mut mm, dest + keep, new_len - keep, prot)?;
    }
    Ok(dest)
}

const MS_ASYNC: u32 = 1;
const MS_INVALIDATE: u32 = 2;
const MS_SYNC: u32 = 4;

/// msync: shared file mappings are coherent with the files at all times
/// (see `kernel::pagecache`), so only the arguments are checked, as Linux
/// does, and the cached pages are written back (file times).
pub fn msync(k: &mut Kernel, pid: Pid, addr: u64, len: u64, flags: u32) -> SysResult {
    if !addr.is_multiple_of(PAGE_SIZE)
        || flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || flags & (MS_ASYNC | MS_SYNC) == (MS_ASYNC | MS_SYNC)
    {
        return Err(Errno::EINVAL.into());
    }
    let len = page_up(len).ok_or(Errno::ENOMEM)?;
    if len == 0 {
        return Ok(0);
    }
    let p = k.procs.get(&pid).ok_or(Errno::ESRCH)?;
    if !p.mm.borrow().is_mapped(addr, len) {
        return Err(Errno::ENOMEM.into());
    }
    k.pages.write_back_all(&mut k.vfs)?;
    Ok(0)
}
