//! The page cache of MAP_SHARED file mappings.
//!
//! A shared mapping of a regular file maps the cache's pages of that file
//! (`AddressSpace::map_shared_pages`), so every process mapping the same
//! page of the same file stores into the same memory, and forks keep it.
//! The file's bytes in the VFS stay the reference for everything else, and
//! the two are kept coherent at the points where the kernel touches the
//! file (Linux gives the same guarantee through its single page cache:
//! stores are visible to `read` at once):
//!
//! - before the kernel reads or changes a cached file's bytes, the pages'
//!   contents are written back into it (`write_back`);
//! - after it changes them (write, truncate), the pages are refreshed from
//!   it (`refresh`);
//! - pages no mapping holds any more are written back and dropped (`gc`,
//!   after munmap, mremap, exec and exit).
//!
//! Only bytes below the end of the file are written back: stores past it
//! (in the last page, or in pages wholly beyond it) are not part of the
//! file, as on Linux.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use super::errno::{Errno, KResult};
use crate::mm::{new_page, page_bytes, page_store, MemoryBudget, SharedPage, PAGE_SIZE};
use crate::vfs::{Ino, NodeKind, Vfs};

const PAGE: usize = PAGE_SIZE as usize;

#[derive(Default)]
struct CachedFile {
    /// Page index in the file -> page.
    pages: BTreeMap<u64, SharedPage>,
    /// Whether a mapping of it may store (PROT_WRITE, now or after an
    /// mprotect); pages only ever mapped read-only need no writing back.
    writable: bool,
}

#[derive(Default)]
pub struct PageCache {
    files: BTreeMap<Ino, CachedFile>,
    /// Page identity -> (file, page index): what a mapped page is a page of
    /// (mremap grows a file mapping with the pages that follow).
    owners: HashMap<usize, (Ino, u64)>,
}

fn page_id(p: &SharedPage) -> usize {
    Rc::as_ptr(p) as usize
}

/// `len` bytes of file `ino` at `offset` (fewer at its end).
fn read_at(vfs: &Vfs, ino: Ino, offset: u64, buf: &mut [u8]) -> KResult<usize> {
    let mut done = 0;
    while done < buf.len() {
        let n = vfs.read_file(ino, offset + done as u64, &mut buf[done..])?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}

impl PageCache {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Files with cached pages (they must stay allocated even when no
    /// descriptor or name refers to them any more).
    pub fn cached_files(&self) -> impl Iterator<Item = Ino> + '_ {
        self.files.keys().copied()
    }

    /// The file and page index a cached page belongs to.
    pub fn owner(&self, p: &SharedPage) -> Option<(Ino, u64)> {
        self.owners.get(&page_id(p)).copied()
    }

    /// Whether a writable mapping of `ino` was made.
    pub fn writable(&self, ino: Ino) -> bool {
        self.files.get(&ino).is_some_and(|f| f.writable)
    }

    /// A mapping holding `page` became writable (mprotect).
    pub fn mark_writable(&mut self, page: &SharedPage) {
        if let Some((ino, _)) = self.owner(page) {
            if let Some(f) = self.files.get_mut(&ino) {
                f.writable = true;
            }
        }
    }

    /// Pages `first .. first + count` of file `ino`, read from the file
    /// where not cached yet. `writable`: the mapping may store into them.
    pub fn pages(
        &mut self,
        vfs: &Vfs,
        budget: &Arc<MemoryBudget>,
        ino: Ino,
        first: u64,
        count: u64,
        writable: bool,
    ) -> KResult<Vec<SharedPage>> {
        let end = first.checked_add(count).ok_or(Errno::EINVAL)?;
        let f = self.files.entry(ino).or_default();
        f.writable |= writable;
        let mut out = Vec::with_capacity(count as usize);
        for idx in first..end {
            if let Some(p) = f.pages.get(&idx) {
                out.push(p.clone());
                continue;
            }
            let Some(p) = new_page(budget) else {
                // Roll back nothing: pages already cached are valid cache.
                return Err(Errno::ENOMEM);
            };
            let mut buf = [0u8; PAGE];
            read_at(vfs, ino, idx * PAGE_SIZE, &mut buf)?;
            page_store(&p, 0, &buf);
            self.owners.insert(page_id(&p), (ino, idx));
            f.pages.insert(idx, p.clone());
            out.push(p);
        }
        Ok(out)
    }

    /// Copy what mappings stored into the pages of `ino` into the file (the
    /// part below its end), then drop the pages nothing maps any more.
    pub fn write_back(&mut self, vfs: &mut Vfs, ino: Ino) -> KResult<()> {
        let Some(f) = self.files.get(&ino) else {
            return Ok(());
        };
        let Ok(node) = vfs.node(ino) else {
            // The file is gone: nothing to write to.
            self.forget(ino);
            return Ok(());
        };
        if f.writable && matches!(node.kind, NodeKind::File(_)) {
            let size = node.size();
            let mut changed = false;
            let mut cur = [0u8; PAGE];
            for (&idx, p) in &f.pages {
                let start = idx * PAGE_SIZE;
                if start >= size {
                    break;
                }
                let n = (size - start).min(PAGE_SIZE) as usize;
                let new = &page_bytes(p)[..n];
                // Compare first: an untouched page leaves an image-backed
                // file uncopied and its mtime alone.
                let got = read_at(vfs, ino, start, &mut cur[..n])?;
                let same = got == n && &cur[..n] == new;
                if !same {
                    // (Through the VFS, so that files on host mounts get
                    // the bytes too.)
                    vfs.write_file(ino, Some(start), new)?;
                    changed = true;
                }
            }
            if changed {
                vfs.touch(ino)?;
            }
        }
        self.drop_unmapped(ino);
        Ok(())
    }

    /// Write back every cached file.
    pub fn write_back_all(&mut self, vfs: &mut Vfs) -> KResult<()> {
        let inos: Vec<Ino> = self.files.keys().copied().collect();
        for ino in inos {
            self.write_back(vfs, ino)?;
        }
        Ok(())
    }

    /// Make the cached pages of `ino` overlapping bytes `start..end` show
    /// the file's bytes again (zeros past its end), after the kernel
    /// changed them. The caller wrote back first, so no store is lost.
    pub fn refresh(&mut self, vfs: &Vfs, ino: Ino, start: u64, end: u64) -> KResult<()> {
        let Some(f) = self.files.get(&ino) else {
            return Ok(());
        };
        let first = start / PAGE_SIZE;
        let last = end.div_ceil(PAGE_SIZE);
        for (&idx, p) in f.pages.range(first..last) {
            let mut buf = [0u8; PAGE];
            read_at(vfs, ino, idx * PAGE_SIZE, &mut buf)?;
            if page_bytes(p) != &buf {
                page_store(p, 0, &buf);
            }
        }
        Ok(())
    }

    /// Refresh every cached page of `ino` (truncation).
    pub fn refresh_all(&mut self, vfs: &Vfs, ino: Ino) -> KResult<()> {
        self.refresh(vfs, ino, 0, u64::MAX)
    }

    /// Write back and drop the pages no mapping holds any more (after
    /// munmap, mremap, exec or exit).
    pub fn gc(&mut self, vfs: &mut Vfs) {
        let idle: Vec<Ino> = self
            .files
            .iter()
            .filter(|(_, f)| f.pages.values().any(|p| Rc::strong_count(p) == 1))
            .map(|(&ino, _)| ino)
            .collect();
        for ino in idle {
            // A failed write-back (the file's image unreadable) keeps the
            // pages, so nothing stored is lost; a later one retries.
            let _ = self.write_back(vfs, ino);
        }
    }

    fn drop_unmapped(&mut self, ino: Ino) {
        let Some(f) = self.files.get_mut(&ino) else {
            return;
        };
        let owners = &mut self.owners;
        f.pages.retain(|_, p| {
            let keep = Rc::strong_count(p) > 1;
            if !keep {
                owners.remove(&page_id(p));
            }
            keep
        });
        if f.pages.is_empty() {
            self.files.remove(&ino);
        }
    }

    fn forget(&mut self, ino: Ino) {
        if let Some(f) = self.files.remove(&ino) {
            for p in f.pages.values() {
                self.owners.remove(&page_id(p));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::BytesRootfs;
    use crate::mm::{AddressSpace, Prot};

    fn setup() -> (Vfs, Ino, Arc<MemoryBudget>) {
        let mut vfs = Vfs::new(Box::new(BytesRootfs(Vec::new())));
        let ino = vfs
            .put_file(b"/f", b"hello world".to_vec(), 0o644)
            .expect("create /f");
        (vfs, ino, MemoryBudget::new(64 << 20))
    }

    #[test]
    fn stores_reach_the_file_and_writes_reach_the_mapping() {
        let (mut vfs, ino, budget) = setup();
        let mut cache = PageCache::default();
        let mut a = AddressSpace::new(budget.clone());
        let mut b = AddressSpace::new(budget.clone());
        let pages = cache.pages(&vfs, &budget, ino, 0, 1, true).unwrap();
        a.map_shared_pages(0x10000, pages, Prot::READ | Prot::WRITE)
            .unwrap();
        let pages = cache.pages(&vfs, &budget, ino, 0, 1, true).unwrap();
        b.map_shared_pages(0x20000, pages, Prot::READ | Prot::WRITE)
            .unwrap();
        // A store in one space is seen by the other and, after write-back,
        // by the file; bytes past the end of the file are not written.
        a.write(0x10000, b"HELLO").unwrap();
        a.write(0x10000 + 20, b"past the end").unwrap();
        let mut got = [0u8; 5];
        b.read(0x20000, &mut got).unwrap();
        assert_eq!(&got, b"HELLO");
        cache.write_back(&mut vfs, ino).unwrap();
        assert_eq!(vfs.read_all(ino).unwrap(), b"HELLO world");
        // A write to the file shows in the mappings after a refresh.
        vfs.write_file(ino, Some(6), b"WORLD").unwrap();
        cache.refresh(&vfs, ino, 6, 11).unwrap();
        let mut got = [0u8; 11];
        b.read(0x20000, &mut got).unwrap();
        assert_eq!(&got, b"HELLO WORLD");
        // Unmapped everywhere: gc writes back and forgets the file.
        a.unmap(0x10000, PAGE_SIZE);
        b.write(0x20000, b"J").unwrap();
        b.unmap(0x20000, PAGE_SIZE);
        cache.gc(&mut vfs);
        assert!(cache.is_empty());
        assert_eq!(vfs.read_all(ino).unwrap(), b"JELLO WORLD");
    }

    #[test]
    fn moved_pages_stay_shared() {
        let (vfs, ino, budget) = setup();
        let mut cache = PageCache::default();
        let mut a = AddressSpace::new(budget.clone());
        let pages = cache.pages(&vfs, &budget, ino, 0, 1, true).unwrap();
        a.map_shared_pages(0x10000, pages, Prot::READ | Prot::WRITE)
            .unwrap();
        a.move_pages(0x10000, 0x40000, PAGE_SIZE, Prot::READ | Prot::WRITE)
            .unwrap();
        assert!(!a.is_mapped(0x10000, 1));
        a.write(0x40000, b"moved").unwrap();
        let page = a.shared_page(0x40000).expect("still a shared page");
        assert_eq!(cache.owner(&page), Some((ino, 0)));
        assert_eq!(&page_bytes(&page)[..5], b"moved");
    }
}
