//! Host directory mounts (`-v`): a subtree of the inode tree whose nodes
//! stand for paths in a [`HostFs`]. Nothing is copied at mount time; each
//! lookup asks the host (lstat) and keeps the answer as a cached inode, so
//! open descriptors, working directories and `..` work as for any other
//! inode, while bytes, names and sizes always come from the host. Every
//! change the guest makes goes to the host first and the cache follows.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::inode::*;
use super::{Vfs, ROOT_INO};
use crate::host::{HostFileType, HostFs, HostStat};
use crate::kernel::errno::{Errno, KResult};

/// Permission bits when the host has none (wasi:filesystem reports no
/// modes): files stay executable so scripts and programs on a mount run.
const DEFAULT_DIR_PERM: u32 = 0o755;
const DEFAULT_FILE_PERM: u32 = 0o755;

/// One mounted host directory.
pub struct Mount {
    pub fs: Rc<dyn HostFs>,
    /// What the host calls it (the preopen name), for /proc/mounts.
    pub source: String,
    /// Absolute guest path, without trailing slashes.
    pub target: Vec<u8>,
    pub readonly: bool,
    pub root: Ino,
}

/// The host path an inode stands for.
pub(super) struct HostRef {
    mount: usize,
    /// Relative to the mount; `None` once the name is gone (unlinked,
    /// replaced on the host): I/O through such an inode gives ESTALE rather
    /// than reaching whatever took the name.
    path: Option<Vec<u8>>,
    /// Bits set with chmod that the host could not store.
    perm: Option<u32>,
}

/// Why a mount could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MountError {
    #[error("the guest path `{0}` is not absolute; write it as /DIR")]
    NotAbsolute(String),
    #[error("the guest path `{0}` contains `..`; name the directory directly")]
    DotDot(String),
    #[error("cannot mount over `{0}` (the root, /proc and /dev belong to friscy)")]
    Reserved(String),
    #[error("`{0}` overlaps another mount at `{1}`; mount each guest path once, not nested")]
    Overlap(String, String),
    #[error("`{name}` is not a directory on the host")]
    NotADirectory { name: String },
    #[error("cannot read `{name}` on the host ({errno})")]
    Host { name: String, errno: Errno },
    #[error("cannot create the mount point `{target}` ({errno})")]
    Target { target: String, errno: Errno },
}

pub(super) fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if !p.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

fn type_bits(kind: HostFileType) -> u32 {
    match kind {
        HostFileType::Dir => S_IFDIR,
        HostFileType::File => S_IFREG,
        HostFileType::Symlink => S_IFLNK,
        HostFileType::Fifo => S_IFIFO,
        HostFileType::Socket => S_IFSOCK,
        HostFileType::CharDevice => S_IFCHR,
        HostFileType::BlockDevice => S_IFBLK,
    }
}

/// Octal escapes for /proc/mounts fields (space, tab, newline, backslash).
fn mount_field(s: &[u8]) -> String {
    let mut out = String::new();
    for &c in s {
        match c {
            b' ' | b'\t' | b'\n' | b'\\' => out.push_str(&format!("\\{c:03o}")),
            _ => out.push(c as char),
        }
    }
    out
}

impl Vfs {
    /// Mount `fs` at the absolute guest path `target`, shadowing whatever
    /// the image has there. Call after the image is indexed.
    pub fn mount(
        &mut self,
        fs: Rc<dyn HostFs>,
        source: &str,
        target: &str,
        readonly: bool,
    ) -> Result<(), MountError> {
        if !target.starts_with('/') {
            return Err(MountError::NotAbsolute(target.into()));
        }
        let comps: Vec<&str> = target.split('/').filter(|c| !c.is_empty()).collect();
        if comps.contains(&"..") {
            return Err(MountError::DotDot(target.into()));
        }
        if comps.is_empty() || matches!(comps[0], "proc" | "dev") {
            return Err(MountError::Reserved(target.into()));
        }
        let norm = format!("/{}", comps.join("/"));
        for m in &self.mounts {
            let other = String::from_utf8_lossy(&m.target).into_owned();
            let nested = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}/"));
            if nested(&norm, &other) || nested(&other, &norm) {
                return Err(MountError::Overlap(norm, other));
            }
        }
        let st = fs.stat(b"").map_err(|errno| MountError::Host {
            name: source.into(),
            errno,
        })?;
        if st.kind != HostFileType::Dir {
            return Err(MountError::NotADirectory {
                name: source.into(),
            });
        }
        let target_err = |errno| MountError::Target {
            target: norm.clone(),
            errno,
        };
        let (parent_path, name) = norm.rsplit_once('/').unwrap_or(("", &norm));
        // The directory it goes in: as the image has it (through symlinks,
        // e.g. /var/run -> /run), else made.
        let parent = match self.resolve(ROOT_INO, parent_path.as_bytes(), true) {
            Ok(l) if self.node(l.ino).is_ok_and(|n| n.is_dir()) => l.ino,
            _ => self
                .mkdir_p(parent_path.as_bytes(), 0o755)
                .map_err(target_err)?,
        };
        let name = name.as_bytes();
        if self.entries(parent).map_err(target_err)?.contains_key(name) {
            self.remove_entry(parent, name).map_err(target_err)?;
        }
        let mount = self.mounts.len();
        let mut root = self.inode_from_stat(&st, None, Vec::new());
        root.kind = NodeKind::Dir {
            entries: BTreeMap::new(),
            parent,
        };
        let ino = self.alloc(root);
        self.host.insert(
            ino,
            HostRef {
                mount,
                path: Some(Vec::new()),
                perm: None,
            },
        );
        let p = self.node_mut(parent).map_err(target_err)?;
        p.nlink += 1;
        if let NodeKind::Dir { entries, .. } = &mut p.kind {
            entries.insert(name.to_vec(), ino);
        }
        self.mounts.push(Mount {
            fs,
            source: source.into(),
            target: norm.into_bytes(),
            readonly,
            root: ino,
        });
        Ok(())
    }

    pub fn mounts(&self) -> &[Mount] {
        &self.mounts
    }

    /// Lines for /proc/mounts.
    pub fn mounts_lines(&self) -> String {
        self.mounts
            .iter()
            .map(|m| {
                format!(
                    "{} {} hostfs {},relatime 0 0\n",
                    mount_field(m.source.as_bytes()),
                    mount_field(&m.target),
                    if m.readonly { "ro" } else { "rw" }
                )
            })
            .collect()
    }

    /// Lines for /proc/PID/mountinfo, with ids from `first_id` up.
    pub fn mountinfo_lines(&self, first_id: usize) -> String {
        self.mounts
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let opt = if m.readonly { "ro" } else { "rw" };
                format!(
                    "{id} 21 0:{id} / {} {opt},relatime - hostfs {} {opt}\n",
                    mount_field(&m.target),
                    mount_field(m.source.as_bytes()),
                    id = first_id + i
                )
            })
            .collect()
    }

    /// Whether `ino` stands for a host path. Asked on every lookup and
    /// create, so without mounts it hashes nothing.
    pub fn is_host(&self, ino: Ino) -> bool {
        !self.host.is_empty() && self.host.contains_key(&ino)
    }

    /// Whether `ino` is the root of a mount (it cannot be removed or moved).
    pub fn is_mount_root(&self, ino: Ino) -> bool {
        self.mounts.iter().any(|m| m.root == ino)
    }

    /// EROFS when `ino` is on a read-only mount.
    pub fn check_writable(&self, ino: Ino) -> KResult<()> {
        match self.host.get(&ino) {
            Some(h) if self.mounts[h.mount].readonly => Err(Errno::EROFS),
            _ => Ok(()),
        }
    }

    /// Whether both inodes are on one mount.
    fn same_mount(&self, a: Ino, b: Ino) -> bool {
        matches!((self.host.get(&a), self.host.get(&b)), (Some(x), Some(y)) if x.mount == y.mount)
    }

    /// The host and path behind `ino`.
    fn host_path(&self, ino: Ino) -> KResult<(Rc<dyn HostFs>, Vec<u8>)> {
        let h = self.host.get(&ino).ok_or(Errno::EINVAL)?;
        let path = h.path.clone().ok_or(Errno::ESTALE)?;
        Ok((self.mounts[h.mount].fs.clone(), path))
    }

    /// Like `host_path`, for a change: EROFS on a read-only mount.
    fn host_path_w(&self, ino: Ino) -> KResult<(Rc<dyn HostFs>, Vec<u8>)> {
        self.check_writable(ino)?;
        self.host_path(ino)
    }

    fn inode_from_stat(&self, st: &HostStat, perm: Option<u32>, target: Vec<u8>) -> Inode {
        let default = if st.kind == HostFileType::Dir {
            DEFAULT_DIR_PERM
        } else {
            DEFAULT_FILE_PERM
        };
        let perm = match st.kind {
            HostFileType::Symlink => 0o777,
            _ => perm.or(st.perm).unwrap_or(default) & 0o7777,
        };
        let kind = match st.kind {
            HostFileType::Dir => NodeKind::Dir {
                entries: BTreeMap::new(),
                parent: ROOT_INO,
            },
            HostFileType::File => NodeKind::File(super::FileData::Host { len: st.size }),
            HostFileType::Symlink => NodeKind::Symlink(target),
            // Host fifos, sockets and devices cannot be reached from here:
            // they show with their type and opening them gives ENXIO.
            _ => NodeKind::Device(super::Device::Other(0)),
        };
        Inode {
            mode: type_bits(st.kind) | perm,
            uid: 0,
            gid: 0,
            nlink: u32::try_from(st.nlink).unwrap_or(u32::MAX).max(1),
            mtime: st.mtime.0,
            mtime_nsec: st.mtime.1,
            kind,
        }
    }

    /// Look `name` up in the host directory `dir`, bringing the cached
    /// entry up to date (or dropping it when the host has no such name).
    pub(super) fn host_child(&mut self, dir: Ino, name: &[u8]) -> KResult<Option<Ino>> {
        let (fs, dpath) = self.host_path(dir)?;
        let mount = self.host[&dir].mount;
        let path = join(&dpath, name);
        let cached = self.entries(dir)?.get(name).copied();
        let st = match fs.stat(&path) {
            Ok(st) => st,
            Err(Errno::ENOENT) => {
                if cached.is_some() {
                    self.forget(dir, name)?;
                }
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let target = if st.kind == HostFileType::Symlink {
            fs.readlink(&path)?
        } else {
            Vec::new()
        };
        if let Some(ino) = cached {
            let same_type = self.node(ino)?.mode & S_IFMT == type_bits(st.kind);
            if same_type && self.host.get(&ino).is_some_and(|h| h.path.is_some()) {
                let perm = self.host[&ino].perm;
                let fresh = self.inode_from_stat(&st, perm, target);
                let n = self.node_mut(ino)?;
                n.mode = fresh.mode;
                n.nlink = fresh.nlink;
                (n.mtime, n.mtime_nsec) = (fresh.mtime, fresh.mtime_nsec);
                // Directories keep their cached entries and parent.
                if !matches!(n.kind, NodeKind::Dir { .. }) {
                    n.kind = fresh.kind;
                }
                return Ok(Some(ino));
            }
            self.forget(dir, name)?;
        }
        let mut node = self.inode_from_stat(&st, None, target);
        if let NodeKind::Dir { parent, .. } = &mut node.kind {
            *parent = dir;
        }
        let ino = self.alloc(node);
        self.host.insert(
            ino,
            HostRef {
                mount,
                path: Some(path),
                perm: None,
            },
        );
        if let NodeKind::Dir { entries, .. } = &mut self.node_mut(dir)?.kind {
            entries.insert(name.to_vec(), ino);
        }
        Ok(Some(ino))
    }

    /// Bring the cached entries of host directory `dir` in line with the
    /// host's listing (before getdents reads it).
    pub fn refresh_dir(&mut self, dir: Ino) -> KResult<()> {
        let (fs, path) = self.host_path(dir)?;
        let names = fs.read_dir(&path)?;
        let gone: Vec<Vec<u8>> = self
            .entries(dir)?
            .keys()
            .filter(|n| !names.contains(*n))
            .cloned()
            .collect();
        for n in gone {
            self.forget(dir, &n)?;
        }
        for n in names {
            // A name that vanished between the listing and the lstat is
            // simply not listed.
            self.host_child(dir, &n)?;
        }
        Ok(())
    }

    /// Drop the cached entry `name` of `dir`: the inode (and any cached
    /// subtree) stays alive for descriptors that have it but is stale.
    fn forget(&mut self, dir: Ino, name: &[u8]) -> KResult<()> {
        let ino = match &mut self.node_mut(dir)?.kind {
            NodeKind::Dir { entries, .. } => entries.remove(name),
            _ => None,
        };
        if let Some(ino) = ino {
            self.make_stale(ino);
        }
        Ok(())
    }

    fn make_stale(&mut self, ino: Ino) {
        if let Some(h) = self.host.get_mut(&ino) {
            h.path = None;
        }
        let children: Vec<Ino> = match self.node(ino).map(|n| &n.kind) {
            Ok(NodeKind::Dir { entries, .. }) => entries.values().copied().collect(),
            _ => Vec::new(),
        };
        for c in children {
            self.make_stale(c);
        }
        if let Ok(n) = self.node_mut(ino) {
            n.nlink = 0;
            self.orphans.push(ino);
        }
    }

    /// After a rename: `ino` (and its cached subtree) now lives at `path`.
    fn rebase(&mut self, ino: Ino, path: Vec<u8>) {
        let children: Vec<(Vec<u8>, Ino)> = match self.node(ino).map(|n| &n.kind) {
            Ok(NodeKind::Dir { entries, .. }) => {
                entries.iter().map(|(n, &i)| (n.clone(), i)).collect()
            }
            _ => Vec::new(),
        };
        for (name, c) in children {
            self.rebase(c, join(&path, &name));
        }
        if let Some(h) = self.host.get_mut(&ino) {
            h.path = Some(path);
        }
    }

    /// Create `node`'s kind of object as `name` in host directory `dir`.
    pub(super) fn host_create(&mut self, dir: Ino, name: &[u8], node: &Inode) -> KResult<Ino> {
        let (fs, dpath) = self.host_path_w(dir)?;
        let path = join(&dpath, name);
        let perm = node.mode & 0o7777;
        match &node.kind {
            NodeKind::Dir { .. } => fs.mkdir(&path, perm)?,
            NodeKind::File(super::FileData::Mem(data)) => {
                fs.create(&path, perm)?;
                if !data.is_empty() {
                    let mut bytes = vec![0u8; data.len() as usize];
                    data.read(0, &mut bytes, self.image.as_ref())?;
                    write_all(fs.as_ref(), &path, 0, &bytes)?;
                }
            }
            NodeKind::Symlink(target) => fs.symlink(target, &path)?,
            // wasi:filesystem cannot make fifos, sockets or device nodes.
            _ => return Err(Errno::EPERM),
        }
        self.host_child(dir, name)?.ok_or(Errno::ENOENT)
    }

    /// unlink or rmdir `name` in host directory `dir`.
    pub(super) fn host_remove(&mut self, dir: Ino, name: &[u8]) -> KResult<Ino> {
        let ino = self.host_child(dir, name)?.ok_or(Errno::ENOENT)?;
        let (fs, path) = self.host_path_w(ino)?;
        if self.node(ino)?.is_dir() {
            fs.rmdir(&path)?;
        } else {
            fs.unlink(&path)?;
        }
        self.forget(dir, name)?;
        Ok(ino)
    }

    /// rename(2) where either directory is on a mount: within one mount it
    /// is the host's rename; across file systems EXDEV (mv then copies).
    pub fn host_rename(
        &mut self,
        od: Ino,
        oname: &[u8],
        nd: Ino,
        nname: &[u8],
        noreplace: bool,
    ) -> KResult<()> {
        if !self.same_mount(od, nd) {
            // The source must exist before EXDEV means anything.
            self.lookup(od, oname)?.ok_or(Errno::ENOENT)?;
            return Err(Errno::EXDEV);
        }
        let src = self.host_child(od, oname)?.ok_or(Errno::ENOENT)?;
        let dst = self.host_child(nd, nname)?;
        if dst == Some(src) {
            return Ok(());
        }
        if noreplace && dst.is_some() {
            return Err(Errno::EEXIST);
        }
        if self.node(src)?.is_dir() {
            // A directory cannot move into itself.
            let mut cur = nd;
            while self.is_host(cur) {
                if cur == src {
                    return Err(Errno::EINVAL);
                }
                let up = self.parent_of(cur)?;
                if up == cur {
                    break;
                }
                cur = up;
            }
        }
        let (fs, from) = self.host_path_w(src)?;
        let (_, ndpath) = self.host_path_w(nd)?;
        let to = join(&ndpath, nname);
        fs.rename(&from, &to)?;
        if dst.is_some() {
            self.forget(nd, nname)?;
        }
        if let NodeKind::Dir { entries, .. } = &mut self.node_mut(od)?.kind {
            entries.remove(oname);
        }
        if let NodeKind::Dir { entries, .. } = &mut self.node_mut(nd)?.kind {
            entries.insert(nname.to_vec(), src);
        }
        if let NodeKind::Dir { parent, .. } = &mut self.node_mut(src)?.kind {
            *parent = nd;
        }
        self.rebase(src, to);
        Ok(())
    }

    /// A hard link in a host directory: only to a file of the same mount.
    pub(super) fn host_link(&mut self, dir: Ino, name: &[u8], ino: Ino) -> KResult<()> {
        if !self.same_mount(dir, ino) {
            return Err(Errno::EXDEV);
        }
        let (fs, from) = self.host_path_w(ino)?;
        let (_, dpath) = self.host_path_w(dir)?;
        fs.link(&from, &join(&dpath, name))?;
        self.host_child(dir, name)?;
        // The source's link count changed on the host.
        if let Ok(n) = self.node_mut(ino) {
            n.nlink = n.nlink.saturating_add(1);
        }
        Ok(())
    }

    pub(super) fn host_read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> KResult<usize> {
        let (fs, path) = self.host_path(ino)?;
        fs.read_at(&path, offset, buf)
    }

    /// Write `data` at `at` (None: at the end, for O_APPEND); returns the
    /// offset after the data.
    pub(super) fn host_write(
        &mut self,
        ino: Ino,
        at: Option<u64>,
        data: &[u8],
    ) -> KResult<std::ops::Range<u64>> {
        let (fs, path) = self.host_path_w(ino)?;
        let start = match at {
            Some(off) => off,
            // The host's size, not the cache's: another writer may have grown it.
            None => fs.stat(&path)?.size,
        };
        let end = start.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        write_all(fs.as_ref(), &path, start, data)?;
        if let NodeKind::File(super::FileData::Host { len }) = &mut self.node_mut(ino)?.kind {
            *len = (*len).max(end);
        }
        Ok(start..end)
    }

    pub(super) fn host_truncate(&mut self, ino: Ino, len: u64) -> KResult<()> {
        let (fs, path) = self.host_path_w(ino)?;
        fs.truncate(&path, len)?;
        if let NodeKind::File(super::FileData::Host { len: l }) = &mut self.node_mut(ino)?.kind {
            *l = len;
        }
        Ok(())
    }

    pub(super) fn host_chmod(&mut self, ino: Ino, perm: u32) -> KResult<()> {
        let (fs, path) = self.host_path_w(ino)?;
        fs.chmod(&path, perm & 0o7777)?;
        if let Some(h) = self.host.get_mut(&ino) {
            h.perm = Some(perm & 0o7777);
        }
        let n = self.node_mut(ino)?;
        n.mode = (n.mode & S_IFMT) | (perm & 0o7777);
        Ok(())
    }

    pub(super) fn host_set_mtime(&mut self, ino: Ino, mtime: (i64, u32)) -> KResult<()> {
        let (fs, path) = self.host_path_w(ino)?;
        fs.set_mtime(&path, mtime)?;
        let n = self.node_mut(ino)?;
        (n.mtime, n.mtime_nsec) = mtime;
        Ok(())
    }

    /// Whether host directory `ino` has no entries (the host's listing).
    pub(super) fn host_dir_is_empty(&self, ino: Ino) -> KResult<bool> {
        let (fs, path) = self.host_path(ino)?;
        Ok(fs.read_dir(&path)?.is_empty())
    }
}

fn write_all(fs: &dyn HostFs, path: &[u8], mut at: u64, mut data: &[u8]) -> KResult<()> {
    while !data.is_empty() {
        let n = fs.write_at(path, at, data)?;
        if n == 0 {
            return Err(Errno::EIO);
        }
        data = &data[n..];
        at += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
