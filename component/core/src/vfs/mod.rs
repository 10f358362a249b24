//! The guest's file tree: the image index as inodes (see `inode`), path
//! resolution with symlinks, lazy reads of file bytes from the image, and
//! host directory mounts (`hostfs`).

pub mod hostfs;
pub mod imagefs;
pub mod inode;
pub mod memfile;
pub mod system;
pub mod tarfs;

use std::collections::{btree_map, BTreeMap, HashMap};

use crate::host::RootfsSource;
use crate::kernel::errno::{Errno, KResult};
use crate::mm::MemoryBudget;
use hostfs::{HostRef, Mount};
use inode::*;
pub use inode::{Device, FileData, Ino, Inode, NodeKind};
use memfile::{MemFile, MAX_FILE_SIZE};
use std::sync::Arc;

pub const ROOT_INO: Ino = 1;
/// The largest file `read_all` takes whole (programs and small config files).
const READ_ALL_MAX: u64 = 1 << 30;
const MAX_SYMLINKS: u32 = 40;
const PATH_MAX: usize = 4096;

pub struct Vfs {
    /// Inode arena: `nodes[ino]`; slot 0 is unused.
    nodes: Vec<Option<Inode>>,
    image: Box<dyn RootfsSource>,
    /// Wall-clock time (seconds, nanoseconds) that new and written inodes
    /// get; the kernel sets it before each system call (0 while indexing
    /// the image, whose entries carry their own times).
    clock: (i64, u32),
    /// Inodes whose last name is gone; they live on while a descriptor
    /// still refers to them (the kernel frees them with `reap_orphans`).
    orphans: Vec<Ino>,
    /// Host directory mounts, in the order they were made.
    mounts: Vec<Mount>,
    /// The host path behind each inode of a mount.
    host: HashMap<Ino, HostRef>,
    /// What file bytes in memory are charged to (the kernel's memory
    /// budget; none while only indexing the image).
    budget: Option<Arc<MemoryBudget>>,
    /// A runtime image's index, for the directories not built yet: a
    /// directory's entries become inodes when `lookup` first hands it out.
    lazy: Option<Box<imagefs::LazyIndex>>,
}

/// What a resolved path names.
pub struct Lookup {
    pub ino: Ino,
    pub parent: Ino,
}

impl Vfs {
    /// An empty tree over `image` with only `/`.
    pub fn new(image: Box<dyn RootfsSource>) -> Vfs {
        let root = Inode {
            mode: S_IFDIR | 0o755,
            uid: 0,
            gid: 0,
            nlink: 2,
            mtime: 0,
            mtime_nsec: 0,
            kind: NodeKind::Dir {
                entries: BTreeMap::new(),
                parent: ROOT_INO,
            },
        };
        Vfs {
            nodes: vec![None, Some(root)],
            image,
            clock: (0, 0),
            orphans: Vec::new(),
            mounts: Vec::new(),
            host: HashMap::new(),
            budget: None,
            lazy: None,
        }
    }

    /// Charge the bytes files hold in memory to `budget` from now on.
    pub fn set_budget(&mut self, budget: Arc<MemoryBudget>) {
        self.budget = Some(budget);
    }

    pub fn image(&self) -> &dyn RootfsSource {
        self.image.as_ref()
    }

    pub fn node(&self, ino: Ino) -> KResult<&Inode> {
        self.nodes
            .get(ino as usize)
            .and_then(|n| n.as_ref())
            .ok_or(Errno::ENOENT)
    }

    pub fn node_mut(&mut self, ino: Ino) -> KResult<&mut Inode> {
        self.nodes
            .get_mut(ino as usize)
            .and_then(|n| n.as_mut())
            .ok_or(Errno::ENOENT)
    }

    /// Set the time that `touch` and new inodes use (ns since the epoch).
    pub fn set_clock(&mut self, realtime_ns: u64) {
        self.clock = (
            (realtime_ns / 1_000_000_000) as i64,
            (realtime_ns % 1_000_000_000) as u32,
        );
    }

    pub fn now(&self) -> (i64, u32) {
        self.clock
    }

    pub fn has_orphans(&self) -> bool {
        !self.orphans.is_empty()
    }

    /// Free unlinked inodes nothing refers to any more (`in_use` says
    /// which are still open somewhere).
    pub fn reap_orphans(&mut self, in_use: &std::collections::HashSet<Ino>) {
        let orphans = std::mem::take(&mut self.orphans);
        for ino in orphans {
            let relinked = self.node(ino).is_ok_and(|n| n.nlink > 0);
            if relinked {
                continue;
            }
            if in_use.contains(&ino) {
                self.orphans.push(ino);
            } else if let Some(slot) = self.nodes.get_mut(ino as usize) {
                *slot = None;
                self.host.remove(&ino);
            }
        }
    }

    /// Mark an inode modified now.
    pub fn touch(&mut self, ino: Ino) -> KResult<()> {
        let (s, ns) = self.clock;
        let n = self.node_mut(ino)?;
        n.mtime = s;
        n.mtime_nsec = ns;
        Ok(())
    }

    fn alloc(&mut self, node: Inode) -> Ino {
        self.nodes.push(Some(node));
        (self.nodes.len() - 1) as Ino
    }

    /// Build the entries of `dir` from the image index if they are not
    /// yet. Every directory inode `lookup` returns has been through here,
    /// so the rest of the VFS only ever sees built directories.
    fn materialize(&mut self, dir: Ino) -> KResult<()> {
        if !self.lazy.as_ref().is_some_and(|l| l.is_pending(dir)) {
            return Ok(());
        }
        let mut lazy = self.lazy.take().expect("checked above");
        let built = lazy.build_dir(self, dir);
        self.lazy = Some(lazy);
        built
    }

    /// Directory entries of `dir`, sorted by name.
    pub fn entries(&self, dir: Ino) -> KResult<&BTreeMap<Vec<u8>, Ino>> {
        debug_assert!(
            !self.lazy.as_ref().is_some_and(|l| l.is_pending(dir)),
            "directory {dir} used before lookup built it"
        );
        match &self.node(dir)?.kind {
            NodeKind::Dir { entries, .. } => Ok(entries),
            _ => Err(Errno::ENOTDIR),
        }
    }

    pub fn parent_of(&self, dir: Ino) -> KResult<Ino> {
        match &self.node(dir)?.kind {
            NodeKind::Dir { parent, .. } => Ok(*parent),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// The entry `name` of `dir`; in a host directory, as the host has it now.
    pub fn lookup(&mut self, dir: Ino, name: &[u8]) -> KResult<Option<Ino>> {
        match name {
            b"." => Ok(Some(dir)),
            b".." => Ok(Some(self.parent_of(dir)?)),
            _ if self.is_host(dir) => self.host_child(dir, name),
            _ => {
                let child = self.entries(dir)?.get(name).copied();
                if let Some(c) = child {
                    self.materialize(c)?;
                }
                Ok(child)
            }
        }
    }

    /// Whether directory `ino` has no entries.
    pub fn dir_is_empty(&mut self, ino: Ino) -> KResult<bool> {
        if self.is_host(ino) {
            return self.host_dir_is_empty(ino);
        }
        Ok(self.entries(ino)?.is_empty())
    }

    /// Link a new inode into `dir` as `name`; fails if the name exists.
    /// In a host directory the host makes the object (mkdir, an empty file,
    /// a symlink) and the returned inode stands for it.
    pub fn create(&mut self, dir: Ino, name: &[u8], node: Inode) -> KResult<Ino> {
        if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') {
            return Err(Errno::EINVAL);
        }
        if self.is_host(dir) {
            return self.host_create(dir, name, &node);
        }
        // The inode `alloc` will hand out, so that the name is checked and
        // inserted with one search of the directory (indexing an image
        // creates every entry through here).
        let ino = self.nodes.len() as Ino;
        let clock = self.clock;
        let d = self.node_mut(dir)?;
        let NodeKind::Dir { entries, .. } = &mut d.kind else {
            return Err(Errno::ENOTDIR);
        };
        match entries.entry(name.to_vec()) {
            btree_map::Entry::Occupied(_) => return Err(Errno::EEXIST),
            btree_map::Entry::Vacant(v) => v.insert(ino),
        };
        let mut node = node;
        if node.is_dir() {
            d.nlink += 1;
        }
        // A directory's mtime changes with its entries (after boot).
        if clock.0 != 0 {
            (d.mtime, d.mtime_nsec) = clock;
        }
        if node.mtime == 0 && node.mtime_nsec == 0 {
            (node.mtime, node.mtime_nsec) = clock;
        }
        if let NodeKind::Dir { parent, .. } = &mut node.kind {
            *parent = dir;
        }
        let allocated = self.alloc(node);
        debug_assert_eq!(allocated, ino);
        Ok(ino)
    }

    /// Link an existing inode under another name (hard link).
    pub fn link(&mut self, dir: Ino, name: &[u8], ino: Ino) -> KResult<()> {
        if self.is_host(dir) || self.is_host(ino) {
            return self.host_link(dir, name, ino);
        }
        if self.entries(dir)?.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        self.node_mut(ino)?.nlink += 1;
        if let NodeKind::Dir { entries, .. } = &mut self.node_mut(dir)?.kind {
            entries.insert(name.to_vec(), ino);
        }
        Ok(())
    }

    /// Remove `name` from `dir` (whatever it is), dropping the inode when its
    /// last link goes.
    pub fn remove_entry(&mut self, dir: Ino, name: &[u8]) -> KResult<Ino> {
        if self.is_host(dir) {
            return self.host_remove(dir, name);
        }
        let ino = self.lookup(dir, name)?.ok_or(Errno::ENOENT)?;
        if self.is_mount_root(ino) {
            return Err(Errno::EBUSY);
        }
        if let NodeKind::Dir { entries, .. } = &mut self.node_mut(dir)?.kind {
            entries.remove(name);
        }
        let is_dir = self.node(ino)?.is_dir();
        if is_dir {
            self.node_mut(dir)?.nlink -= 1;
        }
        let n = self.node_mut(ino)?;
        n.nlink = n.nlink.saturating_sub(if is_dir { 2 } else { 1 });
        if n.nlink == 0 {
            self.orphans.push(ino);
        }
        Ok(ino)
    }

    /// Resolve `path` relative to `cwd`. With `follow`, a final symlink is
    /// followed. Returns the inode and the directory it was found in.
    pub fn resolve(&mut self, cwd: Ino, path: &[u8], follow: bool) -> KResult<Lookup> {
        let mut budget = MAX_SYMLINKS;
        self.resolve_inner(cwd, path, follow, &mut budget)
    }

    fn resolve_inner(
        &mut self,
        cwd: Ino,
        path: &[u8],
        follow: bool,
        budget: &mut u32,
    ) -> KResult<Lookup> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let mut dir = if path[0] == b'/' { ROOT_INO } else { cwd };
        let mut cur = dir;
        let comps: Vec<&[u8]> = path
            .split(|&c| c == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        let trailing_slash = path.ends_with(b"/");
        for (i, comp) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            if !self.node(cur)?.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            if comp.len() > 255 {
                return Err(Errno::ENAMETOOLONG);
            }
            dir = cur;
            let next = self.lookup(cur, comp)?.ok_or(Errno::ENOENT)?;
            if let NodeKind::Symlink(target) = &self.node(next)?.kind {
                if !last || follow || trailing_slash {
                    if *budget == 0 {
                        return Err(Errno::ELOOP);
                    }
                    *budget -= 1;
                    let target = target.clone();
                    let l = self.resolve_inner(dir, &target, true, budget)?;
                    cur = l.ino;
                    // The directory the final target is in, not the link's.
                    if last {
                        dir = l.parent;
                    }
                    continue;
                }
            }
            cur = next;
        }
        if trailing_slash && !self.node(cur)?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok(Lookup {
            ino: cur,
            parent: dir,
        })
    }

    /// Resolve all but the last component: the directory and the final name.
    pub fn resolve_parent<'p>(&mut self, cwd: Ino, path: &'p [u8]) -> KResult<(Ino, &'p [u8])> {
        let trimmed = trim_trailing_slashes(path);
        if trimmed.is_empty() {
            return Err(Errno::ENOENT);
        }
        match trimmed.iter().rposition(|&c| c == b'/') {
            None => {
                if !self.node(cwd)?.is_dir() {
                    return Err(Errno::ENOTDIR);
                }
                Ok((cwd, trimmed))
            }
            Some(0) => Ok((ROOT_INO, &trimmed[1..])),
            Some(i) => {
                let dir = self.resolve(cwd, &trimmed[..i], true)?.ino;
                if !self.node(dir)?.is_dir() {
                    return Err(Errno::ENOTDIR);
                }
                Ok((dir, &trimmed[i + 1..]))
            }
        }
    }

    /// The absolute path of directory `dir` (for getcwd).
    pub fn path_of(&self, dir: Ino) -> KResult<Vec<u8>> {
        let mut parts = Vec::new();
        let mut cur = dir;
        while cur != ROOT_INO {
            let parent = self.parent_of(cur)?;
            let name = self
                .entries(parent)?
                .iter()
                .find(|(_, &i)| i == cur)
                .map(|(n, _)| n.clone())
                .ok_or(Errno::ENOENT)?;
            parts.push(name);
            cur = parent;
        }
        let mut out = Vec::new();
        for p in parts.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(p);
        }
        if out.is_empty() {
            out.push(b'/');
        }
        Ok(out)
    }

    /// The absolute path of `path` with every symlink resolved (what
    /// /proc/PID/exe and realpath show).
    pub fn canonical(&mut self, cwd: Ino, path: &[u8]) -> KResult<Vec<u8>> {
        let l = self.resolve(cwd, path, true)?;
        if self.node(l.ino)?.is_dir() {
            return self.path_of(l.ino);
        }
        let name = self
            .entries(l.parent)?
            .iter()
            .find(|(_, &i)| i == l.ino)
            .map(|(n, _)| n.clone())
            .ok_or(Errno::ENOENT)?;
        let mut out = self.path_of(l.parent)?;
        if !out.ends_with(b"/") {
            out.push(b'/');
        }
        out.extend_from_slice(&name);
        Ok(out)
    }

    /// Read file bytes at `offset` into `buf`; returns the count (0 at EOF).
    pub fn read_file(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> KResult<usize> {
        match &self.node(ino)?.kind {
            NodeKind::File(FileData::Mem(m)) => m.read(offset, buf, self.image.as_ref()),
            NodeKind::File(FileData::Host { .. }) => self.host_read(ino, offset, buf),
            NodeKind::File(FileData::Image { offset: at, len }) => {
                if offset >= *len {
                    return Ok(0);
                }
                let n = (buf.len() as u64).min(len - offset) as usize;
                let got = self
                    .image
                    .read_at(at + offset, &mut buf[..n])
                    .map_err(|_| Errno::EIO)?;
                Ok(got)
            }
            NodeKind::Dir { .. } => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The whole contents of a regular file.
    pub fn read_all(&self, ino: Ino) -> KResult<Vec<u8>> {
        let size = self.node(ino)?.size();
        // A sparse file may be far larger than memory (exec of one must
        // fail, not end the emulator).
        if size > READ_ALL_MAX {
            return Err(Errno::ENOMEM);
        }
        let mut buf = vec![0u8; size as usize];
        let mut done = 0;
        while done < buf.len() {
            let n = self.read_file(ino, done as u64, &mut buf[done..])?;
            if n == 0 {
                break;
            }
            done += n;
        }
        buf.truncate(done);
        Ok(buf)
    }

    /// Write `data` into regular file `ino` at `at` (None: at its end, for
    /// O_APPEND); returns the byte range written (short of the whole only
    /// when memory ran out part way: ENOSPC if at once).
    pub fn write_file(
        &mut self,
        ino: Ino,
        at: Option<u64>,
        data: &[u8],
    ) -> KResult<std::ops::Range<u64>> {
        if self.is_host(ino) {
            return self.host_write(ino, at, data);
        }
        let (file, image, budget) = self.mem_file_mut(ino)?;
        let start = at.unwrap_or(file.len());
        let n = file.write(start, data, image, budget)?;
        Ok(start..start + n as u64)
    }

    /// Set a regular file's length (truncate, ftruncate, O_TRUNC).
    pub fn set_len(&mut self, ino: Ino, len: u64) -> KResult<()> {
        if self.is_host(ino) {
            return self.host_truncate(ino, len);
        }
        if len > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        if len == 0 {
            // No copy-up of bytes that are about to go.
            if let NodeKind::File(_) = self.node(ino)?.kind {
                self.node_mut(ino)?.kind = NodeKind::File(FileData::empty());
                return Ok(());
            }
        }
        self.mem_file_mut(ino)?.0.set_len(len);
        Ok(())
    }

    /// fallocate: reserve `[off, end)` of `ino`, growing it to `end`
    /// unless `keep_size`; `punch` makes the range a hole instead.
    pub fn allocate(
        &mut self,
        ino: Ino,
        off: u64,
        end: u64,
        keep_size: bool,
        punch: bool,
    ) -> KResult<()> {
        if end > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        if self.is_host(ino) {
            // wasi:filesystem can only set the size.
            if punch {
                return Err(Errno::EOPNOTSUPP);
            }
            if !keep_size && self.node(ino)?.size() < end {
                self.host_truncate(ino, end)?;
            }
            return Ok(());
        }
        let (file, image, budget) = self.mem_file_mut(ino)?;
        if punch {
            return file.punch(off, end, image, budget);
        }
        file.allocate(off, end, budget)?;
        if !keep_size && file.len() < end {
            file.set_len(end);
        }
        Ok(())
    }

    /// The bytes of regular file `ino` as writable memory (a copy-up from
    /// the image copies nothing yet), with what writing to it needs.
    #[allow(clippy::type_complexity)]
    fn mem_file_mut(
        &mut self,
        ino: Ino,
    ) -> KResult<(&mut MemFile, &dyn RootfsSource, Option<&Arc<MemoryBudget>>)> {
        let node = self
            .nodes
            .get_mut(ino as usize)
            .and_then(|n| n.as_mut())
            .ok_or(Errno::ENOENT)?;
        if let NodeKind::File(FileData::Image { offset, len }) = node.kind {
            node.kind = NodeKind::File(FileData::Mem(MemFile::over_image(offset, len)));
        }
        match &mut node.kind {
            NodeKind::File(FileData::Mem(m)) => Ok((m, self.image.as_ref(), self.budget.as_ref())),
            NodeKind::Dir { .. } => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    /// lseek's SEEK_DATA (`hole` false) or SEEK_HOLE: None is ENXIO.
    pub fn seek_data_or_hole(&self, ino: Ino, off: u64, hole: bool) -> KResult<Option<u64>> {
        let n = self.node(ino)?;
        let size = n.size();
        Ok(match &n.kind {
            NodeKind::File(FileData::Mem(m)) if hole => m.seek_hole(off),
            NodeKind::File(FileData::Mem(m)) => m.seek_data(off),
            // Image and host files are all data, as on a filesystem
            // without holes.
            _ if off >= size => None,
            _ if hole => Some(size),
            _ => Some(off),
        })
    }

    /// 512-byte blocks a regular file holds (`st_blocks`); None for other
    /// kinds of inode.
    pub fn file_blocks(&self, ino: Ino) -> KResult<Option<u64>> {
        Ok(match &self.node(ino)?.kind {
            NodeKind::File(FileData::Mem(m)) => Some(m.blocks()),
            _ => None,
        })
    }

    /// chmod: the permission bits of `ino`.
    pub fn chmod(&mut self, ino: Ino, mode: u32) -> KResult<()> {
        if self.is_host(ino) {
            return self.host_chmod(ino, mode);
        }
        let n = self.node_mut(ino)?;
        n.mode = (n.mode & S_IFMT) | (mode & 0o7777);
        Ok(())
    }

    /// utimensat: the modification time of `ino`.
    pub fn set_mtime(&mut self, ino: Ino, mtime: (i64, u32)) -> KResult<()> {
        if self.is_host(ino) {
            return self.host_set_mtime(ino, mtime);
        }
        let n = self.node_mut(ino)?;
        (n.mtime, n.mtime_nsec) = mtime;
        Ok(())
    }

    /// Create the directories of an absolute path that are missing.
    pub fn mkdir_p(&mut self, path: &[u8], mode: u32) -> KResult<Ino> {
        let mut cur = ROOT_INO;
        for comp in path.split(|&c| c == b'/').filter(|c| !c.is_empty()) {
            cur = match self.lookup(cur, comp)? {
                Some(i) if self.node(i)?.is_dir() => i,
                Some(_) => return Err(Errno::ENOTDIR),
                None => self.create(cur, comp, new_dir(mode))?,
            };
        }
        Ok(cur)
    }

    /// Place a generated file (e.g. `/etc/resolv.conf`), replacing any.
    pub fn put_file(&mut self, path: &[u8], data: Vec<u8>, mode: u32) -> KResult<Ino> {
        let (dir, name) = self.resolve_parent(ROOT_INO, path)?;
        let name = name.to_vec();
        if let Some(&ino) = self.entries(dir)?.get(&name) {
            // An image file with these very bytes stays (with its own times).
            let n = self.node(ino)?;
            if matches!(n.kind, NodeKind::File(_))
                && n.size() == data.len() as u64
                && self.read_all(ino)? == data
            {
                return Ok(ino);
            }
        }
        if self.entries(dir)?.contains_key(&name) {
            self.remove_entry(dir, &name)?;
        }
        self.create(
            dir,
            &name,
            new_file(FileData::Mem(MemFile::from_vec(data)), mode),
        )
    }

    /// An inode linked nowhere (memfd); it lives as long as the kernel.
    pub fn create_unlinked(&mut self, node: Inode) -> Ino {
        self.alloc(node)
    }

    /// Move the entry `oname` of `od` to `nname` in `nd` (which must be free).
    pub fn move_entry(&mut self, od: Ino, oname: &[u8], nd: Ino, nname: &[u8]) -> KResult<()> {
        let ino = *self.entries(od)?.get(oname).ok_or(Errno::ENOENT)?;
        let is_dir = self.node(ino)?.is_dir();
        if let NodeKind::Dir { entries, .. } = &mut self.node_mut(od)?.kind {
            entries.remove(oname);
        }
        if let NodeKind::Dir { entries, .. } = &mut self.node_mut(nd)?.kind {
            entries.insert(nname.to_vec(), ino);
        }
        if is_dir {
            if let NodeKind::Dir { parent, .. } = &mut self.node_mut(ino)?.kind {
                *parent = nd;
            }
            self.node_mut(od)?.nlink -= 1;
            self.node_mut(nd)?.nlink += 1;
        }
        Ok(())
    }

    /// Exchange two entries (renameat2 RENAME_EXCHANGE).
    pub fn swap_entries(
        &mut self,
        od: Ino,
        oname: &[u8],
        nd: Ino,
        nname: &[u8],
        a: Ino,
        b: Ino,
    ) -> KResult<()> {
        if let NodeKind::Dir { entries, .. } = &mut self.node_mut(od)?.kind {
            entries.insert(oname.to_vec(), b);
        }
        if let NodeKind::Dir { entries, .. } = &mut self.node_mut(nd)?.kind {
            entries.insert(nname.to_vec(), a);
        }
        for (ino, dir) in [(a, nd), (b, od)] {
            if let NodeKind::Dir { parent, .. } = &mut self.node_mut(ino)?.kind {
                *parent = dir;
            }
        }
        Ok(())
    }

    /// Set a generated node at `name` in `dir`, keeping its inode when one
    /// of the same type is there (open descriptors keep working).
    pub fn upsert(&mut self, dir: Ino, name: &[u8], node: Inode) -> KResult<Ino> {
        if let Some(&ino) = self.entries(dir)?.get(name) {
            let cur = self.node_mut(ino)?;
            if cur.mode & S_IFMT == node.mode & S_IFMT {
                if !cur.is_dir() {
                    cur.kind = node.kind;
                }
                cur.mode = node.mode;
                return Ok(ino);
            }
            self.remove_entry(dir, name)?;
        }
        self.create(dir, name, node)
    }

    /// Remove a whole subtree (generated directories of dead processes).
    pub fn remove_tree(&mut self, dir: Ino, name: &[u8]) -> KResult<()> {
        let ino = *self.entries(dir)?.get(name).ok_or(Errno::ENOENT)?;
        if self.node(ino)?.is_dir() {
            let names: Vec<Vec<u8>> = self.entries(ino)?.keys().cloned().collect();
            for n in names {
                self.remove_tree(ino, &n)?;
            }
        }
        self.remove_entry(dir, name)?;
        Ok(())
    }
}

pub fn new_dir(mode: u32) -> Inode {
    Inode {
        mode: S_IFDIR | (mode & 0o7777),
        uid: 0,
        gid: 0,
        nlink: 2,
        mtime: 0,
        mtime_nsec: 0,
        kind: NodeKind::Dir {
            entries: BTreeMap::new(),
            parent: ROOT_INO,
        },
    }
}

pub fn new_file(data: FileData, mode: u32) -> Inode {
    Inode {
        mode: S_IFREG | (mode & 0o7777),
        uid: 0,
        gid: 0,
        nlink: 1,
        mtime: 0,
        mtime_nsec: 0,
        kind: NodeKind::File(data),
    }
}

pub fn new_symlink(target: Vec<u8>) -> Inode {
    Inode {
        mode: S_IFLNK | 0o777,
        uid: 0,
        gid: 0,
        nlink: 1,
        mtime: 0,
        mtime_nsec: 0,
        kind: NodeKind::Symlink(target),
    }
}

fn trim_trailing_slashes(p: &[u8]) -> &[u8] {
    let mut end = p.len();
    while end > 1 && p[end - 1] == b'/' {
        end -= 1;
    }
    &p[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::BytesRootfs;

    fn vfs() -> Vfs {
        let mut v = Vfs::new(Box::new(BytesRootfs(Vec::new())));
        v.mkdir_p(b"/usr/bin", 0o755).unwrap();
        v.put_file(b"/usr/bin/hello", b"hi".to_vec(), 0o755)
            .unwrap();
        let usr = v.resolve(ROOT_INO, b"/usr", true).unwrap().ino;
        v.create(usr, b"link", new_symlink(b"bin/hello".to_vec()))
            .unwrap();
        v.create(ROOT_INO, b"loop", new_symlink(b"/loop".to_vec()))
            .unwrap();
        v
    }

    #[test]
    fn resolves_paths_dots_and_symlinks() {
        let mut v = vfs();
        let f = v
            .resolve(ROOT_INO, b"/usr/bin/../bin/./hello", true)
            .unwrap()
            .ino;
        assert_eq!(v.read_all(f).unwrap(), b"hi");
        let l = v.resolve(ROOT_INO, b"/usr/link", true).unwrap().ino;
        assert_eq!(l, f);
        let nl = v.resolve(ROOT_INO, b"/usr/link", false).unwrap().ino;
        assert_ne!(nl, f);
        assert_eq!(
            v.resolve(ROOT_INO, b"/loop", true).err(),
            Some(Errno::ELOOP)
        );
        assert_eq!(
            v.resolve(ROOT_INO, b"/usr/bin/hello/x", true).err(),
            Some(Errno::ENOTDIR)
        );
        assert_eq!(
            v.resolve(ROOT_INO, b"/nope", true).err(),
            Some(Errno::ENOENT)
        );
        let bin = v.resolve(ROOT_INO, b"/usr/bin", true).unwrap().ino;
        assert_eq!(v.path_of(bin).unwrap(), b"/usr/bin");
    }

    #[test]
    fn copy_up_and_remove() {
        let mut v = vfs();
        let f = v.resolve(ROOT_INO, b"/usr/bin/hello", true).unwrap().ino;
        v.write_file(f, None, b"!").unwrap();
        assert_eq!(v.read_all(f).unwrap(), b"hi!");
        let (dir, name) = v.resolve_parent(ROOT_INO, b"/usr/bin/hello").unwrap();
        v.remove_entry(dir, name).unwrap();
        // An unlinked inode lives until nothing has it open.
        assert!(v.node(f).is_ok());
        v.reap_orphans(&[f].into_iter().collect());
        assert!(v.node(f).is_ok());
        v.reap_orphans(&Default::default());
        assert!(v.node(f).is_err());
    }
}
