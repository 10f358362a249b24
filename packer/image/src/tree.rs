//! The root filesystem as an in-memory tree: layers are applied to it in
//! order (whiteouts, opaque directories, hard links, symlinks; modes,
//! owners and mtimes kept), and the runtime-format writer walks it.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use crate::error::{ImageError, Result};

pub type NodeId = usize;

/// Owner, permission bits (`0o7777`) and modification time (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
}

impl Meta {
    pub const DIR: Meta = Meta {
        mode: 0o755,
        uid: 0,
        gid: 0,
        mtime: 0,
    };
}

#[derive(Debug, Clone)]
pub enum Kind {
    Dir(BTreeMap<Vec<u8>, NodeId>),
    File(Arc<[u8]>),
    Symlink(Vec<u8>),
    Fifo,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub meta: Meta,
    pub kind: Kind,
    /// Index of the layer that created this node (for opaque whiteouts).
    layer: u32,
}

/// What a layer had that the runtime image leaves out (reported once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skipped {
    pub device_nodes: usize,
    pub xattrs: usize,
    pub other: usize,
}

impl Skipped {
    /// One line, or `None` when nothing was skipped.
    pub fn note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.device_nodes > 0 {
            parts.push(format!("{} device node(s)", self.device_nodes));
        }
        if self.xattrs > 0 {
            parts.push(format!("extended attributes on {} file(s)", self.xattrs));
        }
        if self.other > 0 {
            parts.push(format!(
                "{} entries of other types (sockets, ...)",
                self.other
            ));
        }
        (!parts.is_empty()).then(|| {
            format!(
                "skipped {} (friscy provides /dev itself and keeps no xattrs)",
                parts.join(", ")
            )
        })
    }
}

/// How to read a layer tar.
#[derive(Debug, Clone, Copy)]
pub struct LayerOptions {
    /// Apply `.wh.NAME` and `.wh..wh..opq` (image layers); off for a plain
    /// rootfs tar, whose entries are taken literally.
    pub whiteouts: bool,
}

#[derive(Debug, Clone)]
pub struct Tree {
    nodes: Vec<Node>,
    layers: u32,
}

pub const ROOT: NodeId = 0;

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            nodes: vec![Node {
                meta: Meta::DIR,
                kind: Kind::Dir(BTreeMap::new()),
                layer: 0,
            }],
            layers: 0,
        }
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    pub fn children(&self, id: NodeId) -> Option<&BTreeMap<Vec<u8>, NodeId>> {
        match &self.nodes[id].kind {
            Kind::Dir(c) => Some(c),
            _ => None,
        }
    }

    /// The node at `path` (absolute or relative to the root), without
    /// following symlinks.
    pub fn lookup(&self, path: &str) -> Option<NodeId> {
        let mut cur = ROOT;
        for c in path.split('/').filter(|c| !c.is_empty() && *c != ".") {
            cur = *self.children(cur)?.get(c.as_bytes())?;
        }
        Some(cur)
    }

    /// Bytes of the regular file at `path`.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        match &self.nodes[self.lookup(path)?].kind {
            Kind::File(d) => Some(d),
            _ => None,
        }
    }

    /// Every entry below the root in depth-first order, names sorted, a
    /// directory before its children: `(path without leading slash, id)`.
    pub fn walk(&self) -> Vec<(Vec<u8>, NodeId)> {
        let mut out = Vec::new();
        let mut stack: Vec<(Vec<u8>, NodeId)> = Vec::new();
        let push_children = |stack: &mut Vec<(Vec<u8>, NodeId)>, prefix: &[u8], id: NodeId| {
            if let Some(c) = self.children(id) {
                for (name, &child) in c.iter().rev() {
                    let mut p = prefix.to_vec();
                    if !p.is_empty() {
                        p.push(b'/');
                    }
                    p.extend_from_slice(name);
                    stack.push((p, child));
                }
            }
        };
        push_children(&mut stack, b"", ROOT);
        while let Some((path, id)) = stack.pop() {
            push_children(&mut stack, &path, id);
            out.push((path, id));
        }
        out
    }

    /// A canonical description of the tree, one line per entry (for tests
    /// and diffing): `path type mode uid:gid mtime detail`, where a second
    /// name of a hard-linked file reads `hardlink FIRST`.
    pub fn listing(&self) -> Vec<String> {
        let mut seen: BTreeMap<NodeId, String> = BTreeMap::new();
        let mut out = Vec::new();
        let m = self.nodes[ROOT].meta;
        out.push(format!(
            "/ dir {:o} {}:{} {}",
            m.mode, m.uid, m.gid, m.mtime
        ));
        for (path, id) in self.walk() {
            let path = String::from_utf8_lossy(&path).into_owned();
            if let Some(first) = seen.get(&id) {
                out.push(format!("{path} hardlink {first}"));
                continue;
            }
            let n = &self.nodes[id];
            let m = n.meta;
            let detail = match &n.kind {
                Kind::Dir(_) => "dir".to_string(),
                Kind::File(d) => format!("file {} {}", d.len(), crate::hex(&crate::sha256(d))),
                Kind::Symlink(t) => format!("symlink {}", String::from_utf8_lossy(t)),
                Kind::Fifo => "fifo".to_string(),
            };
            let (kind, rest) = detail.split_once(' ').unwrap_or((&detail, ""));
            out.push(format!(
                "{path} {kind} {:o} {}:{} {} {rest}",
                m.mode, m.uid, m.gid, m.mtime
            ));
            if matches!(n.kind, Kind::File(_)) {
                seen.insert(id, path);
            }
        }
        out
    }

    /// Number of entries and total bytes of distinct regular files.
    pub fn stats(&self) -> (usize, u64) {
        let mut seen = std::collections::HashSet::new();
        let mut bytes = 0;
        let entries = self.walk();
        for (_, id) in &entries {
            if let Kind::File(d) = &self.nodes[*id].kind {
                if seen.insert(*id) {
                    bytes += d.len() as u64;
                }
            }
        }
        (entries.len(), bytes)
    }

    fn alloc(&mut self, meta: Meta, kind: Kind) -> NodeId {
        self.nodes.push(Node {
            meta,
            kind,
            layer: self.layers,
        });
        self.nodes.len() - 1
    }

    fn dir_mut(&mut self, id: NodeId) -> &mut BTreeMap<Vec<u8>, NodeId> {
        match &mut self.nodes[id].kind {
            Kind::Dir(c) => c,
            _ => unreachable!("not a directory"),
        }
    }

    /// Put `kind` at `parent/name`, replacing what is there (a directory
    /// over a directory keeps the children and takes the new metadata).
    fn put(&mut self, parent: NodeId, name: &[u8], meta: Meta, kind: Kind) -> NodeId {
        if let Some(&old) = self.dir_mut(parent).get(name) {
            if matches!(kind, Kind::Dir(_)) && matches!(self.nodes[old].kind, Kind::Dir(_)) {
                self.nodes[old].meta = meta;
                return old;
            }
        }
        let id = self.alloc(meta, kind);
        self.dir_mut(parent).insert(name.to_vec(), id);
        id
    }

    /// Apply one layer (a tar stream, already decompressed). `name` names
    /// the layer in errors.
    pub fn apply_layer(
        &mut self,
        reader: impl Read,
        name: &str,
        opts: LayerOptions,
        skipped: &mut Skipped,
    ) -> Result<()> {
        self.layers += 1;
        let eof_at = std::rc::Rc::new(std::cell::Cell::new(None));
        let reader = PadToBlock {
            inner: reader,
            count: 0,
            pad: None,
            eof_at: eof_at.clone(),
        };
        let mut archive = tar::Archive::new(reader);
        let entries = archive.entries().map_err(|source| ImageError::Tar {
            what: format!("layer {name}"),
            entry: 0,
            source,
        })?;
        for (index, entry) in entries.enumerate() {
            let tar_err = |source: io::Error| ImageError::Tar {
                what: format!("layer {name}"),
                entry: index,
                source,
            };
            let mut entry = entry.map_err(tar_err)?;
            let raw_path = entry.path_bytes().into_owned();
            let shown = String::from_utf8_lossy(&raw_path).into_owned();
            let comps = components(&raw_path).map_err(|why| ImageError::PathEscape {
                layer: name.to_string(),
                path: shown.clone(),
                why,
            })?;
            let h = entry.header();
            let kind = h.entry_type();
            let meta = Meta {
                mode: h.mode().unwrap_or(0o644) & 0o7777,
                uid: h.uid().unwrap_or(0) as u32,
                gid: h.gid().unwrap_or(0) as u32,
                mtime: h.mtime().unwrap_or(0) as i64,
            };
            use tar::EntryType as T;
            if matches!(
                kind,
                T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink
            ) {
                continue;
            }
            if has_xattrs(&mut entry) {
                skipped.xattrs += 1;
            }
            let Some((leaf, parents)) = comps.split_last() else {
                // The root directory itself.
                if kind == T::Directory {
                    self.nodes[ROOT].meta = meta;
                }
                continue;
            };
            let parent = self.make_parents(parents, name, &shown)?;
            if opts.whiteouts {
                if *leaf == b".wh..wh..opq" {
                    let layer = self.layers;
                    let nodes = &self.nodes;
                    let keep: BTreeMap<Vec<u8>, NodeId> = match &nodes[parent].kind {
                        Kind::Dir(c) => c
                            .iter()
                            .filter(|(_, &id)| nodes[id].layer == layer)
                            .map(|(k, v)| (k.clone(), *v))
                            .collect(),
                        _ => unreachable!(),
                    };
                    *self.dir_mut(parent) = keep;
                    continue;
                }
                if let Some(victim) = leaf.strip_prefix(b".wh.") {
                    if !victim.starts_with(b".wh.") {
                        self.dir_mut(parent).remove(victim);
                    }
                    continue;
                }
            }
            match kind {
                T::Directory => {
                    self.put(parent, leaf, meta, Kind::Dir(BTreeMap::new()));
                }
                T::Regular | T::Continuous | T::GNUSparse => {
                    let size = entry.size();
                    let mut data = Vec::with_capacity(size.min(1 << 30) as usize);
                    entry.read_to_end(&mut data).map_err(tar_err)?;
                    let short = eof_at
                        .get()
                        .is_some_and(|e| entry.raw_file_position() + size > e);
                    if (data.len() as u64) < size || short {
                        return Err(tar_err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!("{shown}: truncated ({} of {size} bytes)", data.len()),
                        )));
                    }
                    self.put(parent, leaf, meta, Kind::File(data.into()));
                }
                T::Symlink => {
                    let target = entry
                        .link_name_bytes()
                        .map(|l| l.into_owned())
                        .unwrap_or_default();
                    self.put(parent, leaf, meta, Kind::Symlink(target));
                }
                T::Link => {
                    let target = entry
                        .link_name_bytes()
                        .map(|l| l.into_owned())
                        .unwrap_or_default();
                    let id = self.hardlink_target(&target, name, &shown)?;
                    self.dir_mut(parent).insert(leaf.to_vec(), id);
                }
                T::Fifo => {
                    self.put(parent, leaf, meta, Kind::Fifo);
                }
                T::Char | T::Block => skipped.device_nodes += 1,
                _ => skipped.other += 1,
            }
        }
        Ok(())
    }

    /// Walk (creating as needed) the parent directories of an entry.
    fn make_parents(&mut self, parents: &[&[u8]], layer: &str, shown: &str) -> Result<NodeId> {
        let mut cur = ROOT;
        for (i, p) in parents.iter().enumerate() {
            let next = self.children(cur).and_then(|c| c.get(*p)).copied();
            cur = match next.map(|id| (id, &self.nodes[id].kind)) {
                Some((id, Kind::Dir(_))) => id,
                Some((_, Kind::Symlink(_))) => {
                    let link: Vec<String> = parents[..=i]
                        .iter()
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect();
                    return Err(ImageError::SymlinkParent {
                        layer: layer.to_string(),
                        path: shown.to_string(),
                        symlink: link.join("/"),
                    });
                }
                // Missing, or a non-directory in the way: a directory it is.
                _ => {
                    let id = self.alloc(Meta::DIR, Kind::Dir(BTreeMap::new()));
                    self.dir_mut(cur).insert(p.to_vec(), id);
                    id
                }
            };
        }
        Ok(cur)
    }

    fn hardlink_target(&self, target: &[u8], layer: &str, shown: &str) -> Result<NodeId> {
        let t = String::from_utf8_lossy(target).into_owned();
        let bad = |why| ImageError::BadHardLink {
            layer: layer.to_string(),
            path: shown.to_string(),
            target: t.clone(),
            why,
        };
        let comps = components(target).map_err(|_| bad("escapes the image root"))?;
        let mut cur = ROOT;
        for c in &comps {
            let next = self
                .children(cur)
                .ok_or_else(|| bad("goes through a non-directory"))?
                .get(*c)
                .copied()
                .ok_or_else(|| bad("does not exist (yet)"))?;
            cur = next;
        }
        match self.nodes[cur].kind {
            Kind::Dir(_) => Err(bad("is a directory")),
            _ => Ok(cur),
        }
    }

    /// A tree from a directory on the host (a rootfs directory). Symlinks
    /// are kept as links, never followed; device nodes and sockets skipped.
    pub fn from_dir(root: &Path, skipped: &mut Skipped) -> Result<Tree> {
        let mut tree = Tree::new();
        tree.layers = 1;
        let meta = std::fs::symlink_metadata(root).map_err(|e| ImageError::io(root, e))?;
        tree.nodes[ROOT].meta = host_meta(&meta, true);
        let mut inodes = std::collections::HashMap::new();
        tree.add_dir(root, ROOT, skipped, &mut inodes)?;
        Ok(tree)
    }

    fn add_dir(
        &mut self,
        dir: &Path,
        id: NodeId,
        skipped: &mut Skipped,
        inodes: &mut std::collections::HashMap<(u64, u64), NodeId>,
    ) -> Result<()> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| ImageError::io(dir, e))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()
            .map_err(|e| ImageError::io(dir, e))?;
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let meta = std::fs::symlink_metadata(&path).map_err(|e| ImageError::io(&path, e))?;
            let bytes = os_bytes(&name);
            let ft = meta.file_type();
            let m = host_meta(&meta, ft.is_dir());
            if ft.is_dir() {
                let child = self.put(id, &bytes, m, Kind::Dir(BTreeMap::new()));
                self.add_dir(&path, child, skipped, inodes)?;
            } else if ft.is_file() {
                if let Some(key) = inode_key(&meta) {
                    if let Some(&first) = inodes.get(&key) {
                        self.dir_mut(id).insert(bytes, first);
                        continue;
                    }
                }
                let data = std::fs::read(&path).map_err(|e| ImageError::io(&path, e))?;
                let child = self.put(id, &bytes, m, Kind::File(data.into()));
                if let Some(key) = inode_key(&meta) {
                    inodes.insert(key, child);
                }
            } else if ft.is_symlink() {
                let target = std::fs::read_link(&path).map_err(|e| ImageError::io(&path, e))?;
                self.put(id, &bytes, m, Kind::Symlink(os_bytes(target.as_os_str())));
            } else if is_fifo(&ft) {
                self.put(id, &bytes, m, Kind::Fifo);
            } else {
                skipped.device_nodes += 1;
            }
        }
        Ok(())
    }
}

/// Some writers (umoci 0.4) end a layer right after the last file's data,
/// without the padding to 512 bytes and the end-of-archive blocks. Supply
/// the padding so the tar reader ends cleanly; `eof_at` lets the caller
/// tell a file cut short (refused) from a missing trailer (accepted).
struct PadToBlock<R> {
    inner: R,
    count: u64,
    pad: Option<u64>,
    eof_at: std::rc::Rc<std::cell::Cell<Option<u64>>>,
}

impl<R: Read> Read for PadToBlock<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(left) = self.pad.as_mut() {
            let n = (*left as usize).min(buf.len());
            buf[..n].fill(0);
            *left -= n as u64;
            return Ok(n);
        }
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.eof_at.set(Some(self.count));
            let left = (512 - self.count % 512) % 512;
            self.pad = Some(left);
            return self.read(buf);
        }
        self.count += n as u64;
        Ok(n)
    }
}

/// Split an archive path into components: `.` and empty ones dropped;
/// absolute paths and `..` refused.
///
/// The root itself may be spelled `/` (umoci writes it so); any other
/// absolute name is refused, as the issue asks, although docker would strip
/// the slash (change the `absolute` check here to accept them).
pub(crate) fn components(path: &[u8]) -> std::result::Result<Vec<&[u8]>, &'static str> {
    let absolute = path.first() == Some(&b'/');
    let mut out = Vec::new();
    for c in path.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => return Err("`..` component"),
            _ => out.push(c),
        }
    }
    if absolute && !out.is_empty() {
        return Err("absolute path");
    }
    Ok(out)
}

fn has_xattrs<R: Read>(entry: &mut tar::Entry<'_, R>) -> bool {
    match entry.pax_extensions() {
        Ok(Some(exts)) => exts.filter_map(|e| e.ok()).any(|e| {
            e.key_bytes().starts_with(b"SCHILY.xattr.")
                || e.key_bytes().starts_with(b"LIBARCHIVE.xattr.")
        }),
        _ => false,
    }
}

#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    s.to_string_lossy().into_owned().into_bytes()
}

#[cfg(unix)]
fn host_meta(m: &std::fs::Metadata, _dir: bool) -> Meta {
    use std::os::unix::fs::MetadataExt;
    Meta {
        mode: m.mode() & 0o7777,
        uid: m.uid(),
        gid: m.gid(),
        mtime: m.mtime(),
    }
}

#[cfg(not(unix))]
fn host_meta(m: &std::fs::Metadata, dir: bool) -> Meta {
    let mtime = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Meta {
        mode: if dir { 0o755 } else { 0o644 },
        uid: 0,
        gid: 0,
        mtime,
    }
}

#[cfg(unix)]
fn inode_key(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    (m.nlink() > 1).then(|| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn inode_key(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(unix)]
fn is_fifo(ft: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    ft.is_fifo()
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::FileType) -> bool {
    false
}
