//! Index a plain rootfs tar: walk its headers (skipping file data with
//! seeks, so only headers cross the rootfs boundary) and turn each entry
//! into an inode whose bytes stay in the image until first read.

use std::io::{self, Read, Seek, SeekFrom};

use super::inode::*;
use super::{new_dir, new_file, Vfs, ROOT_INO};
use crate::host::RootfsSource;

/// Why an image could not be indexed. Display is user-facing.
#[derive(Debug, thiserror::Error)]
pub enum TarError {
    #[error("the image is empty")]
    Empty,
    #[error("the image is not a tar archive (no valid tar header at offset 0)")]
    NotTar,
    #[error("the image tar is damaged near entry {index}: {source}")]
    Damaged { index: usize, source: io::Error },
    #[error("cannot read the image: {0}")]
    Read(String),
}

/// `Read + Seek` over a `RootfsSource`, reading in coarse blocks.
struct SourceReader<'a> {
    src: &'a dyn RootfsSource,
    pos: u64,
    buf: Vec<u8>,
    buf_at: u64,
}

const BLOCK: usize = 64 * 1024;

impl Read for SourceReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let in_buf = self.pos >= self.buf_at && self.pos < self.buf_at + self.buf.len() as u64;
        if !in_buf {
            self.buf.resize(BLOCK, 0);
            let n = self
                .src
                .read_at(self.pos, &mut self.buf)
                .map_err(io::Error::other)?;
            self.buf.truncate(n);
            self.buf_at = self.pos;
            if n == 0 {
                return Ok(0);
            }
        }
        let start = (self.pos - self.buf_at) as usize;
        let n = out.len().min(self.buf.len() - start);
        out[..n].copy_from_slice(&self.buf[start..start + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SourceReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::Current(d) => self.pos.saturating_add_signed(d),
            SeekFrom::End(d) => self.src.size().saturating_add_signed(d),
        };
        Ok(self.pos)
    }
}

/// Check the first header's checksum so that a non-tar file gets a clear
/// message instead of a confusing parse error deep inside.
fn looks_like_tar(src: &dyn RootfsSource) -> Result<(), TarError> {
    if src.size() == 0 {
        return Err(TarError::Empty);
    }
    let mut h = [0u8; 512];
    let n = src.read_at(0, &mut h).map_err(TarError::Read)?;
    if n < 512 {
        return Err(TarError::NotTar);
    }
    if h.iter().all(|&b| b == 0) {
        return Ok(()); // an empty archive
    }
    let field = &h[148..156];
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0 && b != b' ')
        .map(|&b| b as char)
        .collect();
    let stored = u32::from_str_radix(text.trim(), 8).map_err(|_| TarError::NotTar)?;
    let sum: u32 = h
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                b' ' as u32
            } else {
                b as u32
            }
        })
        .sum();
    if sum != stored {
        return Err(TarError::NotTar);
    }
    Ok(())
}

/// Normalise a tar path to components, dropping `.` and leading `/`;
/// `..` is refused (None) so an entry cannot escape the root.
fn components(path: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    for c in path.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => return None,
            _ => out.push(c),
        }
    }
    Some(out)
}

/// Build the tree from a tar image into `vfs`.
pub fn index_tar(vfs: &mut Vfs) -> Result<(), TarError> {
    // The reader borrows the image while we mutate the tree: index into a
    // list first, then apply.
    let entries = read_entries(vfs.image())?;
    for e in entries {
        apply(vfs, e);
    }
    Ok(())
}

struct Entry {
    path: Vec<u8>,
    kind: tar::EntryType,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
    link: Option<Vec<u8>>,
    data_offset: u64,
    size: u64,
    rdev: u64,
}

fn read_entries(src: &dyn RootfsSource) -> Result<Vec<Entry>, TarError> {
    looks_like_tar(src)?;
    let reader = SourceReader {
        src,
        pos: 0,
        buf: Vec::new(),
        buf_at: 0,
    };
    let mut archive = tar::Archive::new(reader);
    let iter = archive.entries_with_seek().map_err(|e| TarError::Damaged {
        index: 0,
        source: e,
    })?;
    let mut out = Vec::new();
    for (index, entry) in iter.enumerate() {
        let entry = entry.map_err(|source| TarError::Damaged { index, source })?;
        let h = entry.header();
        let major = h.device_major().ok().flatten().unwrap_or(0) as u64;
        let minor = h.device_minor().ok().flatten().unwrap_or(0) as u64;
        out.push(Entry {
            path: entry.path_bytes().into_owned(),
            kind: h.entry_type(),
            mode: h.mode().unwrap_or(0o644) & 0o7777,
            uid: h.uid().unwrap_or(0) as u32,
            gid: h.gid().unwrap_or(0) as u32,
            mtime: h.mtime().unwrap_or(0) as i64,
            link: entry.link_name_bytes().map(|l| l.into_owned()),
            data_offset: entry.raw_file_position(),
            size: entry.size(),
            rdev: makedev(major, minor),
        });
    }
    Ok(out)
}

fn apply(vfs: &mut Vfs, e: Entry) {
    let Some(comps) = components(&e.path) else {
        return;
    };
    let Some((name, parents)) = comps.split_last() else {
        // The root itself: take its mode.
        if let Ok(root) = vfs.node_mut(ROOT_INO) {
            root.mode = S_IFDIR | e.mode;
            root.mtime = e.mtime;
        }
        return;
    };
    let mut dir = ROOT_INO;
    for p in parents {
        let next = vfs.entries(dir).ok().and_then(|m| m.get(*p).copied());
        dir = match next {
            Some(i) if vfs.node(i).map(|n| n.is_dir()).unwrap_or(false) => i,
            // Parent missing (or not a directory): create it, as tar does.
            _ => {
                if next.is_some() {
                    let _ = vfs.remove_entry(dir, p);
                }
                match vfs.create(dir, p, new_dir(0o755)) {
                    Ok(i) => i,
                    Err(_) => return,
                }
            }
        };
    }
    let existing = vfs.entries(dir).ok().and_then(|m| m.get(*name).copied());
    use tar::EntryType as T;
    if e.kind == T::Directory {
        if let Some(i) = existing {
            if let Ok(n) = vfs.node_mut(i) {
                if n.is_dir() {
                    n.mode = S_IFDIR | e.mode;
                    n.uid = e.uid;
                    n.gid = e.gid;
                    n.mtime = e.mtime;
                    return;
                }
            }
            let _ = vfs.remove_entry(dir, name);
        }
        let mut node = new_dir(e.mode);
        node.uid = e.uid;
        node.gid = e.gid;
        node.mtime = e.mtime;
        let _ = vfs.create(dir, name, node);
        return;
    }
    if existing.is_some() {
        let _ = vfs.remove_entry(dir, name);
    }
    if e.kind == T::Link {
        let target = e.link.as_deref().and_then(components).and_then(|c| {
            let mut cur = ROOT_INO;
            for comp in c {
                cur = *vfs.entries(cur).ok()?.get(comp)?;
            }
            Some(cur)
        });
        if let Some(t) = target {
            if !vfs.node(t).map(|n| n.is_dir()).unwrap_or(true) {
                let _ = vfs.link(dir, name, t);
            }
        }
        return;
    }
    let (type_bits, kind) = match e.kind {
        T::Regular | T::Continuous | T::GNUSparse => (
            S_IFREG,
            NodeKind::File(FileData::Image {
                offset: e.data_offset,
                len: e.size,
            }),
        ),
        T::Symlink => (S_IFLNK, NodeKind::Symlink(e.link.unwrap_or_default())),
        T::Char => (S_IFCHR, NodeKind::Device(Device::Other(e.rdev))),
        T::Block => (S_IFBLK, NodeKind::Device(Device::Other(e.rdev))),
        T::Fifo => (S_IFIFO, NodeKind::Fifo),
        _ => return, // pax/GNU metadata entries are consumed by the tar crate
    };
    let mut node = new_file(FileData::empty(), e.mode);
    node.mode = type_bits | if type_bits == S_IFLNK { 0o777 } else { e.mode };
    node.kind = kind;
    node.uid = e.uid;
    node.gid = e.gid;
    node.mtime = e.mtime;
    let _ = vfs.create(dir, name, node);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::BytesRootfs;

    fn tar_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o755);
            h.set_cksum();
            b.append_data(&mut h, path, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn indexes_files_lazily() {
        let img = tar_with(&[("bin/hello", b"HELLO"), ("./etc/os-release", b"ID=x\n")]);
        let mut vfs = Vfs::new(Box::new(BytesRootfs(img)));
        index_tar(&mut vfs).unwrap();
        let i = vfs.resolve(ROOT_INO, b"/bin/hello", true).unwrap().ino;
        assert!(matches!(
            vfs.node(i).unwrap().kind,
            NodeKind::File(FileData::Image { .. })
        ));
        assert_eq!(vfs.read_all(i).unwrap(), b"HELLO");
        let j = vfs.resolve(ROOT_INO, b"/etc/os-release", true).unwrap().ino;
        assert_eq!(vfs.read_all(j).unwrap(), b"ID=x\n");
    }

    #[test]
    fn rejects_non_tar() {
        let mut vfs = Vfs::new(Box::new(BytesRootfs(b"hello, I am text\n".repeat(100))));
        assert!(matches!(index_tar(&mut vfs), Err(TarError::NotTar)));
        let mut vfs = Vfs::new(Box::new(BytesRootfs(Vec::new())));
        assert!(matches!(index_tar(&mut vfs), Err(TarError::Empty)));
    }
}
