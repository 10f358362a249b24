//! Index a friscy runtime image (written by `friscy-image`, spec in
//! `packer/image/src/format.rs`): read the header and the index only, check
//! every entry, build each directory's inodes on its first lookup
//! ([`LazyIndex`]), and serve file bytes on first read by decoding (and
//! BLAKE3-verifying) the chunk that holds them. Start-up work so grows with
//! the directories a program walks, not with the size of the image.
//!
//! File contents live in one deduplicated *content stream* cut into fixed-
//! size compressed chunks. [`ChunkedImage`] exposes that stream as a
//! [`RootfsSource`], so a file is an ordinary `FileData::Image { offset,
//! len }` whose offset is a position in the stream: `Vfs::read_file` and
//! copy-up work unchanged.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::inode::*;
use super::{Vfs, ROOT_INO};
use crate::host::RootfsSource;
use crate::kernel::errno::{Errno, KResult};

pub const MAGIC: &[u8; 8] = b"FRISCYIM";
const VERSION: u32 = 2;
const HEADER_LEN: usize = 128;
const INDEX_MAGIC: &[u8; 4] = b"FIDX";

const CODEC_STORED: u8 = 0;
const CODEC_ZSTD: u8 = 1;
const CODEC_LZ4: u8 = 2;

const KIND_DIR: u8 = 0;
const KIND_FILE: u8 = 1;
const KIND_SYMLINK: u8 = 2;
const KIND_HARDLINK: u8 = 3;
const KIND_FIFO: u8 = 4;

/// Decoded chunks kept (bounded by bytes too, see `cache_slots`).
const CACHE_BYTES: u64 = 8 << 20;

/// Why an image could not be opened. Display is user-facing.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("not a friscy image")]
    NotImage,
    #[error("the image has format version {0}; this friscy reads version {VERSION} (re-pack it with the matching friscy-pack)")]
    Version(u32),
    #[error("cannot read the image: {0}")]
    Read(String),
    #[error("the image is damaged: {0}")]
    Damaged(String),
}

fn damaged(why: impl Into<String>) -> ImageError {
    ImageError::Damaged(why.into())
}

/// Does `src` hold a runtime image (rather than a tar)?
pub fn is_image(src: &dyn RootfsSource) -> bool {
    let mut m = [0u8; 8];
    matches!(src.read_at(0, &mut m), Ok(8)) && &m == MAGIC
}

struct Chunk {
    /// Absolute offset of the stored bytes in the image.
    at: u64,
    len: u32,
    codec: u8,
    digest: [u8; 32],
}

struct Cache {
    /// Most recently used first.
    slots: Vec<(usize, Rc<Vec<u8>>)>,
    zstd: Option<ruzstd::decoding::FrameDecoder>,
}

/// The content stream of a runtime image as a `RootfsSource`: reads decode
/// the chunks they touch.
pub struct ChunkedImage {
    src: Box<dyn RootfsSource>,
    chunk_size: u64,
    stream_len: u64,
    chunks: Vec<Chunk>,
    config: Option<String>,
    cache: RefCell<Cache>,
    cache_slots: usize,
}

fn read_exact(src: &dyn RootfsSource, mut at: u64, buf: &mut [u8]) -> Result<(), String> {
    let mut done = 0;
    while done < buf.len() {
        let n = src.read_at(at, &mut buf[done..])?;
        if n == 0 {
            return Err(format!("unexpected end of image at byte {at}"));
        }
        done += n;
        at += n as u64;
    }
    Ok(())
}

fn digest(b: &[u8]) -> [u8; 32] {
    blake3::hash(b).into()
}

fn decode(
    codec: u8,
    stored: &[u8],
    raw_len: usize,
    zstd: &mut Option<ruzstd::decoding::FrameDecoder>,
) -> Result<Vec<u8>, String> {
    let mut out = vec![0u8; raw_len];
    let n = match codec {
        CODEC_STORED => {
            if stored.len() != raw_len {
                return Err("stored chunk has the wrong length".into());
            }
            out.copy_from_slice(stored);
            raw_len
        }
        CODEC_ZSTD => zstd
            .get_or_insert_with(ruzstd::decoding::FrameDecoder::new)
            .decode_all(stored, &mut out)
            .map_err(|e| format!("zstd: {e}"))?,
        CODEC_LZ4 => {
            lz4_flex::block::decompress_into(stored, &mut out).map_err(|e| format!("lz4: {e}"))?
        }
        c => return Err(format!("unknown codec {c}")),
    };
    if n != raw_len {
        return Err(format!("chunk decodes to {n} bytes, expected {raw_len}"));
    }
    Ok(out)
}

impl ChunkedImage {
    fn raw_len(&self, k: usize) -> usize {
        (self.stream_len - k as u64 * self.chunk_size).min(self.chunk_size) as usize
    }

    fn chunk(&self, k: usize) -> Result<Rc<Vec<u8>>, String> {
        let mut cache = self.cache.borrow_mut();
        if let Some(pos) = cache.slots.iter().position(|(i, _)| *i == k) {
            let hit = cache.slots.remove(pos);
            let data = hit.1.clone();
            cache.slots.insert(0, hit);
            return Ok(data);
        }
        let c = &self.chunks[k];
        let mut stored = vec![0u8; c.len as usize];
        read_exact(self.src.as_ref(), c.at, &mut stored)?;
        if digest(&stored) != c.digest {
            return Err(format!(
                "image chunk {k} (bytes {}..{}) failed its digest check: the image is damaged",
                c.at,
                c.at + c.len as u64
            ));
        }
        let data = Rc::new(
            decode(c.codec, &stored, self.raw_len(k), &mut cache.zstd)
                .map_err(|e| format!("image chunk {k}: {e}"))?,
        );
        if cache.slots.len() >= self.cache_slots {
            cache.slots.pop();
        }
        cache.slots.insert(0, (k, data.clone()));
        Ok(data)
    }
}

impl RootfsSource for ChunkedImage {
    fn size(&self) -> u64 {
        self.stream_len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, String> {
        let mut pos = offset;
        let mut done = 0;
        while done < buf.len() && pos < self.stream_len {
            let k = (pos / self.chunk_size) as usize;
            let data = self.chunk(k)?;
            let within = (pos - k as u64 * self.chunk_size) as usize;
            let n = (data.len() - within).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&data[within..within + n]);
            done += n;
            pos += n as u64;
        }
        Ok(done)
    }

    fn config_json(&self) -> Option<String> {
        self.config.clone()
    }
}

/// An entry's mode bits, uid, gid and mtime.
type Meta = (u32, u32, u32, i64);

/// A bounds-checked reader over the decoded index.
struct Cur<'a> {
    b: &'a [u8],
    pos: usize,
}

/// The index ended inside a value, or a number in it is malformed. A
/// one-byte error keeps the reader's results in registers: the scan at
/// open reads every entry with it.
#[derive(Debug)]
struct Short;

impl From<Short> for ImageError {
    fn from(_: Short) -> ImageError {
        damaged("the index ends early or holds a malformed number")
    }
}

impl<'a> Cur<'a> {
    #[inline]
    fn u8(&mut self) -> Result<u8, Short> {
        let v = *self.b.get(self.pos).ok_or(Short)?;
        self.pos += 1;
        Ok(v)
    }

    #[inline]
    fn varint(&mut self) -> Result<u64, Short> {
        let b = self.u8()?;
        if b < 0x80 {
            return Ok(u64::from(b));
        }
        let mut v = u64::from(b & 0x7f);
        let mut shift = 7;
        while shift < 64 {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
            shift += 7;
        }
        Err(Short)
    }

    #[inline]
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], Short> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or(Short)?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn lenbytes(&mut self) -> Result<&'a [u8], Short> {
        let n = self.varint()?;
        self.bytes(usize::try_from(n).map_err(|_| Short)?)
    }

    fn meta(&mut self) -> Result<Meta, Short> {
        let mode = (self.varint()? & 0o7777) as u32;
        let uid = self.varint()? as u32;
        let gid = self.varint()? as u32;
        let z = self.varint()?;
        let mtime = ((z >> 1) as i64) ^ -((z & 1) as i64);
        Ok((mode, uid, gid, mtime))
    }
}

/// One entry of the index, as stored.
struct Record<'a> {
    kind: u8,
    /// Entry index of the directory it is in (0 for the root itself).
    parent: u64,
    name: &'a [u8],
    /// Where `name` starts in the index.
    name_at: usize,
    /// A hard link's target entry.
    target: u64,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
    /// A file's (size, stream offset).
    data: (u64, u64),
    symlink: &'a [u8],
}

impl<'a> Cur<'a> {
    /// The entry record at the cursor; the root (`root`) has no parent and name.
    fn record(&mut self, root: bool) -> Result<Record<'a>, Short> {
        let mut r = Record {
            kind: self.u8()?,
            parent: 0,
            name: &[],
            name_at: 0,
            target: 0,
            mode: 0,
            uid: 0,
            gid: 0,
            mtime: 0,
            data: (0, 0),
            symlink: &[],
        };
        if !root {
            r.parent = self.varint()?;
            let n = self.varint()?;
            r.name_at = self.pos;
            r.name = self.bytes(usize::try_from(n).map_err(|_| Short)?)?;
        }
        if r.kind == KIND_HARDLINK {
            r.target = self.varint()?;
            return Ok(r);
        }
        (r.mode, r.uid, r.gid, r.mtime) = self.meta()?;
        match r.kind {
            KIND_FILE => r.data = (self.varint()?, self.varint()?),
            KIND_SYMLINK => r.symlink = self.lenbytes()?,
            _ => {}
        }
        Ok(r)
    }
}

/// The decoded index, kept after open so that each directory's entries
/// become inodes only when the directory is first looked up: start-up
/// then costs one scan of the index, not a tree of every file in it.
pub(super) struct LazyIndex {
    index: Vec<u8>,
    /// Per entry: where its record starts in `index`.
    at: Vec<u32>,
    /// The children of entry `e` are `children[first[e]..first[e + 1]]`,
    /// in name order.
    first: Vec<u32>,
    children: Vec<u32>,
    /// Per entry: the link count it starts with (a directory 2 plus its
    /// subdirectories, a file 1 plus its hard links), known before all of
    /// its names are built.
    nlink: Vec<u32>,
    /// Per entry: the inode it became (0: not built yet).
    ino: Vec<Ino>,
    /// Per inode: the directory entry whose children are not built yet,
    /// plus one (0: built, or not from the image).
    pending: Vec<u32>,
}

impl LazyIndex {
    /// Check every entry of the index (from `start`) and note where each
    /// one and each directory's children are. Siblings must come in
    /// strictly increasing name order (the writer's order), which also
    /// rules out duplicate names.
    fn scan(
        index: Vec<u8>,
        start: usize,
        n: usize,
        stream_len: u64,
    ) -> Result<(LazyIndex, Meta), ImageError> {
        let bad = |i: usize, why: &str| damaged(format!("index entry {i}: {why}"));
        let mut at = Vec::with_capacity(n);
        let mut parent_of: Vec<u32> = Vec::with_capacity(n);
        let mut kinds: Vec<u8> = Vec::with_capacity(n);
        let mut nlink = vec![1u32; n];
        // Per directory entry: its last child's name, as (start, len).
        let mut last_name: Vec<(u32, u32)> = vec![(0, 0); n];
        let mut root = None;
        {
            let mut cur = Cur {
                b: &index,
                pos: start,
            };
            for i in 0..n {
                at.push(cur.pos as u32);
                let r = cur.record(i == 0)?;
                if i == 0 {
                    if r.kind != KIND_DIR {
                        return Err(bad(0, "the root is not a directory"));
                    }
                    root = Some((r.mode, r.uid, r.gid, r.mtime));
                    parent_of.push(0);
                    kinds.push(KIND_DIR);
                    nlink[0] = 2;
                    continue;
                }
                let name = r.name;
                if name.is_empty()
                    || name == b"."
                    || name == b".."
                    || name.iter().any(|&b| b == b'/' || b == 0)
                {
                    return Err(bad(i, "bad file name"));
                }
                let p = usize::try_from(r.parent).unwrap_or(usize::MAX);
                if p >= i || kinds[p] != KIND_DIR {
                    return Err(bad(i, "its parent is not an earlier directory"));
                }
                let (ls, ll) = last_name[p];
                if ll != 0 && index[ls as usize..(ls + ll) as usize] >= *name {
                    return Err(bad(
                        i,
                        &format!(
                            "{:?} is out of name order or named twice in its directory",
                            String::from_utf8_lossy(name)
                        ),
                    ));
                }
                last_name[p] = (r.name_at as u32, name.len() as u32);
                match r.kind {
                    KIND_HARDLINK => {
                        let t = usize::try_from(r.target).unwrap_or(usize::MAX);
                        if t >= i || kinds[t] != KIND_FILE {
                            return Err(bad(i, "hard link to a non-file or a later entry"));
                        }
                        nlink[t] += 1;
                    }
                    KIND_DIR => {
                        nlink[i] = 2;
                        nlink[p] += 1;
                    }
                    KIND_FILE => {
                        let (len, offset) = r.data;
                        if offset.checked_add(len).is_none_or(|e| e > stream_len) {
                            return Err(bad(i, "file data past the end of the content stream"));
                        }
                    }
                    KIND_SYMLINK | KIND_FIFO => {}
                    k => return Err(bad(i, &format!("unknown kind {k}"))),
                }
                parent_of.push(p as u32);
                kinds.push(r.kind);
            }
        }
        let root = root.ok_or_else(|| bad(0, "no root"))?;
        let mut first = vec![0u32; n + 1];
        for &p in &parent_of[1..] {
            first[p as usize + 1] += 1;
        }
        for e in 0..n {
            first[e + 1] += first[e];
        }
        let mut fill = first.clone();
        let mut children = vec![0u32; n - 1];
        for (i, &p) in parent_of.iter().enumerate().skip(1) {
            children[fill[p as usize] as usize] = i as u32;
            fill[p as usize] += 1;
        }
        let lazy = LazyIndex {
            index,
            at,
            first,
            children,
            nlink,
            ino: vec![0; n],
            pending: Vec::new(),
        };
        Ok((lazy, root))
    }

    pub(super) fn is_pending(&self, dir: Ino) -> bool {
        self.pending.get(dir as usize).is_some_and(|&p| p != 0)
    }

    fn record(&self, e: usize) -> KResult<Record<'_>> {
        let mut cur = Cur {
            b: &self.index,
            pos: self.at[e] as usize,
        };
        cur.record(e == 0).map_err(|_| Errno::EIO)
    }

    /// The inode of entry `e`, built now if it is not yet (a directory
    /// `parent`'s child; a directory comes with its entries pending).
    fn node_for(&mut self, vfs: &mut Vfs, e: usize, parent: Ino) -> KResult<Ino> {
        if self.ino[e] != 0 {
            return Ok(self.ino[e]);
        }
        let r = self.record(e)?;
        let (type_bits, kind) = match r.kind {
            KIND_DIR => (
                S_IFDIR,
                NodeKind::Dir {
                    entries: BTreeMap::new(),
                    parent,
                },
            ),
            KIND_FILE => (
                S_IFREG,
                NodeKind::File(FileData::Image {
                    offset: r.data.1,
                    len: r.data.0,
                }),
            ),
            KIND_SYMLINK => (S_IFLNK, NodeKind::Symlink(r.symlink.to_vec())),
            KIND_FIFO => (S_IFIFO, NodeKind::Fifo),
            _ => return Err(Errno::EIO),
        };
        let ino = vfs.alloc(Inode {
            mode: type_bits | r.mode,
            uid: r.uid,
            gid: r.gid,
            nlink: self.nlink[e],
            mtime: r.mtime,
            mtime_nsec: 0,
            kind,
        });
        self.ino[e] = ino;
        if type_bits == S_IFDIR {
            self.set_pending(ino, e);
        }
        Ok(ino)
    }

    fn set_pending(&mut self, ino: Ino, e: usize) {
        let i = ino as usize;
        if self.pending.len() <= i {
            self.pending.resize(i + 1, 0);
        }
        self.pending[i] = e as u32 + 1;
    }

    /// Build the entries of pending directory `dir` from the index.
    pub(super) fn build_dir(&mut self, vfs: &mut Vfs, dir: Ino) -> KResult<()> {
        let e = match self.pending.get(dir as usize) {
            Some(&p) if p != 0 => p as usize - 1,
            _ => return Ok(()),
        };
        self.pending[dir as usize] = 0;
        let (from, to) = (self.first[e] as usize, self.first[e + 1] as usize);
        let mut built = Vec::with_capacity(to - from);
        for k in from..to {
            let c = self.children[k] as usize;
            let r = self.record(c)?;
            let (kind, target, name) = (r.kind, r.target as usize, r.name.to_vec());
            let of = if kind == KIND_HARDLINK { target } else { c };
            built.push((name, self.node_for(vfs, of, dir)?));
        }
        match &mut vfs.node_mut(dir)?.kind {
            // In name order already, so the map is built in bulk.
            NodeKind::Dir { entries, .. } => *entries = built.into_iter().collect(),
            _ => return Err(Errno::EIO),
        }
        Ok(())
    }
}

/// Open a runtime image: verify and decode its index and check every
/// entry. Directories are built on first lookup and file bytes read on
/// first access. The returned `Vfs` reads through a [`ChunkedImage`]
/// wrapping `src`; its `config_json()` is the image's.
pub fn open(src: Box<dyn RootfsSource>) -> Result<Vfs, ImageError> {
    let mut h = [0u8; HEADER_LEN];
    let n = src.read_at(0, &mut h).map_err(ImageError::Read)?;
    if n < 8 || &h[..8] != MAGIC {
        return Err(ImageError::NotImage);
    }
    if n < HEADER_LEN {
        return Err(damaged("truncated header"));
    }
    let u32at = |o: usize| u32::from_le_bytes(h[o..o + 4].try_into().unwrap());
    let u64at = |o: usize| u64::from_le_bytes(h[o..o + 8].try_into().unwrap());
    let version = u32at(8);
    if version != VERSION {
        return Err(ImageError::Version(version));
    }
    let (config_at, config_len) = (u64at(16), u64at(24));
    let (index_at, index_len, index_raw_len) = (u64at(32), u64at(40), u64at(48));
    let index_codec = h[56];
    let size = src.size();
    let fits = |at: u64, len: u64| at.checked_add(len).is_some_and(|e| e <= size);
    if !fits(config_at, config_len) || !fits(index_at, index_len) || config_len > 64 << 20 {
        return Err(damaged("header points past the end of the image"));
    }
    if index_raw_len > (1 << 30) || index_len > (1 << 30) {
        return Err(damaged("implausible index size"));
    }

    let config = if config_len == 0 {
        None
    } else {
        let mut c = vec![0u8; config_len as usize];
        read_exact(src.as_ref(), config_at, &mut c).map_err(ImageError::Read)?;
        if digest(&c) != h[64..96] {
            return Err(damaged("the image config failed its digest check"));
        }
        Some(String::from_utf8(c).map_err(|_| damaged("the image config is not UTF-8"))?)
    };

    let mut stored = vec![0u8; index_len as usize];
    read_exact(src.as_ref(), index_at, &mut stored).map_err(ImageError::Read)?;
    if digest(&stored) != h[96..128] {
        return Err(damaged("the index failed its digest check"));
    }
    let index = decode(index_codec, &stored, index_raw_len as usize, &mut None)
        .map_err(|e| damaged(format!("index: {e}")))?;
    drop(stored);
    let data_at = index_at + index_len;

    let mut cur = Cur { b: &index, pos: 0 };
    if cur.bytes(4)? != INDEX_MAGIC {
        return Err(damaged("bad index magic"));
    }
    let chunk_size = cur.varint()?;
    let stream_len = cur.varint()?;
    let n_chunks = cur.varint()?;
    if !(4096..=16 << 20).contains(&chunk_size) || stream_len.div_ceil(chunk_size) != n_chunks {
        return Err(damaged("inconsistent chunk table"));
    }
    if n_chunks > index.len() as u64 {
        return Err(damaged("chunk count exceeds the index"));
    }
    let mut chunks = Vec::with_capacity(n_chunks as usize);
    for _ in 0..n_chunks {
        let off = cur.varint()?;
        let len = cur.varint()?;
        let codec = cur.u8()?;
        let sha: [u8; 32] = cur.bytes(32)?.try_into().unwrap();
        let at = data_at
            .checked_add(off)
            .filter(|&a| fits(a, len) && len <= (32 << 20))
            .ok_or_else(|| damaged("chunk points past the end of the image"))?;
        chunks.push(Chunk {
            at,
            len: len as u32,
            codec,
            digest: sha,
        });
    }
    let _name = cur.lenbytes()?;
    let n_entries = cur.varint()?;
    if n_entries == 0 || n_entries > index.len() as u64 {
        return Err(damaged("bad entry count"));
    }

    let entries_at = cur.pos;
    let (mut lazy, (mode, uid, gid, mtime)) =
        LazyIndex::scan(index, entries_at, n_entries as usize, stream_len)?;

    let cache_slots = (CACHE_BYTES / chunk_size).max(2) as usize;
    let image = ChunkedImage {
        src,
        chunk_size,
        stream_len,
        chunks,
        config,
        cache: RefCell::new(Cache {
            slots: Vec::new(),
            zstd: None,
        }),
        cache_slots,
    };
    let mut vfs = Vfs::new(Box::new(image));
    let r = vfs
        .node_mut(ROOT_INO)
        .map_err(|_| damaged("index entry 0: no root"))?;
    r.mode = S_IFDIR | mode;
    r.uid = uid;
    r.gid = gid;
    r.mtime = mtime;
    r.nlink = lazy.nlink[0];
    lazy.ino[0] = ROOT_INO;
    lazy.set_pending(ROOT_INO, 0);
    vfs.lazy = Some(Box::new(lazy));
    vfs.materialize(ROOT_INO)
        .map_err(|e| damaged(format!("the root directory: {e:?}")))?;
    Ok(vfs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::BytesRootfs;

    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// Index entries after the root, written as the packer does.
    #[derive(Default)]
    struct Entries {
        bytes: Vec<u8>,
        n: u64,
    }

    impl Entries {
        fn head(&mut self, kind: u8, parent: u64, name: &str) -> u64 {
            self.bytes.push(kind);
            varint(&mut self.bytes, parent);
            varint(&mut self.bytes, name.len() as u64);
            self.bytes.extend_from_slice(name.as_bytes());
            self.n += 1;
            self.n
        }
        fn meta(&mut self, mode: u64) {
            for v in [mode, 0, 0, 2 * 1000] {
                varint(&mut self.bytes, v);
            }
        }
        fn dir(&mut self, parent: u64, name: &str) -> u64 {
            let e = self.head(KIND_DIR, parent, name);
            self.meta(0o755);
            e
        }
        fn file(&mut self, parent: u64, name: &str, len: u64, offset: u64) -> u64 {
            let e = self.head(KIND_FILE, parent, name);
            self.meta(0o755);
            varint(&mut self.bytes, len);
            varint(&mut self.bytes, offset);
            e
        }
        fn link(&mut self, parent: u64, name: &str, target: u64) -> u64 {
            let e = self.head(KIND_HARDLINK, parent, name);
            varint(&mut self.bytes, target);
            e
        }
        fn symlink(&mut self, parent: u64, name: &str, target: &str) -> u64 {
            let e = self.head(KIND_SYMLINK, parent, name);
            self.meta(0o777);
            varint(&mut self.bytes, target.len() as u64);
            self.bytes.extend_from_slice(target.as_bytes());
            e
        }
    }

    /// An image of one stored chunk holding `stream` and the entries.
    fn build(stream: &[u8], entries: &Entries, corrupt_chunk: bool) -> Vec<u8> {
        let mut idx = b"FIDX".to_vec();
        varint(&mut idx, 4096);
        varint(&mut idx, stream.len() as u64);
        varint(&mut idx, 1);
        varint(&mut idx, 0);
        varint(&mut idx, stream.len() as u64);
        idx.push(CODEC_STORED);
        idx.extend_from_slice(&digest(stream));
        varint(&mut idx, 0); // name
        varint(&mut idx, entries.n + 1);
        idx.push(KIND_DIR); // the root
        for v in [0o755, 0, 0, 2 * 1000] {
            varint(&mut idx, v);
        }
        idx.extend_from_slice(&entries.bytes);

        let mut h = vec![0u8; HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        h[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
        h[16..24].copy_from_slice(&(HEADER_LEN as u64).to_le_bytes());
        h[32..40].copy_from_slice(&(HEADER_LEN as u64).to_le_bytes());
        h[40..48].copy_from_slice(&(idx.len() as u64).to_le_bytes());
        h[48..56].copy_from_slice(&(idx.len() as u64).to_le_bytes());
        h[64..96].copy_from_slice(&digest(b""));
        h[96..128].copy_from_slice(&digest(&idx));
        h.extend_from_slice(&idx);
        let mut data = stream.to_vec();
        if corrupt_chunk {
            data[0] ^= 1;
        }
        h.extend_from_slice(&data);
        h
    }

    /// /bin/hi ("hello"), /bin/twin (a hard link), /lnk -> bin/hi.
    fn image(corrupt_chunk: bool) -> Vec<u8> {
        let mut e = Entries::default();
        let bin = e.dir(0, "bin");
        let hi = e.file(bin, "hi", 5, 0);
        e.link(bin, "twin", hi);
        e.symlink(0, "lnk", "bin/hi");
        build(b"hello", &e, corrupt_chunk)
    }

    #[test]
    fn opens_and_reads_lazily() {
        let img = image(false);
        assert!(is_image(&BytesRootfs(img.clone())));
        let mut vfs = open(Box::new(BytesRootfs(img))).unwrap();
        let f = vfs.resolve(ROOT_INO, b"/lnk", true).unwrap().ino;
        assert_eq!(vfs.read_all(f).unwrap(), b"hello");
        let g = vfs.resolve(ROOT_INO, b"/bin/twin", true).unwrap().ino;
        assert_eq!(f, g);
        assert_eq!(vfs.node(f).unwrap().nlink, 2);
        assert_eq!(vfs.node(f).unwrap().mtime, 1000);
        assert!(vfs.image().config_json().is_none());
    }

    #[test]
    fn builds_directories_on_first_lookup() {
        // /a/f and its hard link /b/g; /a/sub/deep; /b/s -> ../a
        let mut e = Entries::default();
        let a = e.dir(0, "a");
        let f = e.file(a, "f", 3, 0);
        let sub = e.dir(a, "sub");
        e.file(sub, "deep", 3, 3);
        let b = e.dir(0, "b");
        e.link(b, "g", f);
        e.symlink(b, "s", "../a");
        let mut vfs = open(Box::new(BytesRootfs(build(b"onetwo", &e, false)))).unwrap();
        // Only the root's entries exist after open.
        assert_eq!(vfs.nodes.iter().flatten().count(), 3);
        let root = vfs.node(ROOT_INO).unwrap();
        assert_eq!(root.nlink, 4, "2 + the subdirectories a and b");

        // The link's second name, reached before the first one's directory.
        let g = vfs.resolve(ROOT_INO, b"/b/g", true).unwrap().ino;
        assert_eq!(vfs.node(g).unwrap().nlink, 2);
        assert_eq!(vfs.read_all(g).unwrap(), b"one");
        let f = vfs.resolve(ROOT_INO, b"/b/s/f", true).unwrap().ino;
        assert_eq!(f, g, "one inode behind both names");
        let a = vfs.resolve(ROOT_INO, b"/a", true).unwrap().ino;
        assert_eq!(vfs.node(a).unwrap().nlink, 3);
        let names: Vec<&[u8]> = vfs.entries(a).unwrap().keys().map(|k| &k[..]).collect();
        assert_eq!(names, [&b"f"[..], b"sub"]);
        let deep = vfs.resolve(a, b"sub/../sub/deep", true).unwrap().ino;
        assert_eq!(vfs.read_all(deep).unwrap(), b"two");
        assert_eq!(vfs.path_of(vfs.parent_of(a).unwrap()).unwrap(), b"/");
        assert_eq!(
            vfs.canonical(ROOT_INO, b"/b/s/sub/deep").unwrap(),
            b"/a/sub/deep"
        );

        // Unlinking one name before the other directory is built.
        let mut e2 = Entries::default();
        let a = e2.dir(0, "a");
        let f = e2.file(a, "f", 3, 0);
        let b = e2.dir(0, "b");
        e2.link(b, "g", f);
        let mut vfs = open(Box::new(BytesRootfs(build(b"one", &e2, false)))).unwrap();
        let a = vfs.resolve(ROOT_INO, b"/a", true).unwrap().ino;
        let f = vfs.remove_entry(a, b"f").unwrap();
        assert_eq!(vfs.node(f).unwrap().nlink, 1);
        let g = vfs.resolve(ROOT_INO, b"/b/g", true).unwrap().ino;
        assert_eq!((g, vfs.node(g).unwrap().nlink), (f, 1));
    }

    #[test]
    fn refuses_names_out_of_order_or_twice() {
        for names in [["x", "x"], ["y", "x"]] {
            let mut e = Entries::default();
            let d = e.dir(0, "d");
            e.file(d, names[0], 0, 0);
            e.file(d, names[1], 0, 0);
            let err = open(Box::new(BytesRootfs(build(b"x", &e, false))))
                .err()
                .expect("refused");
            assert!(
                err.to_string().contains("index entry 3")
                    && err.to_string().contains("out of name order or named twice"),
                "{err}"
            );
        }
        let mut e = Entries::default();
        e.file(0, "f", 0, 0);
        e.dir(1, "under-a-file");
        let err = open(Box::new(BytesRootfs(build(b"x", &e, false)))).err();
        assert!(err
            .unwrap()
            .to_string()
            .contains("not an earlier directory"));
    }

    #[test]
    fn refuses_damage() {
        let mut vfs = open(Box::new(BytesRootfs(image(true)))).unwrap();
        let f = vfs.resolve(ROOT_INO, b"/bin/hi", true).unwrap().ino;
        assert!(vfs.read_all(f).is_err());
        let mut img = image(false);
        img[HEADER_LEN + 6] ^= 0x40; // inside the index
        assert!(matches!(
            open(Box::new(BytesRootfs(img))),
            Err(ImageError::Damaged(_))
        ));
        let mut img = image(false);
        img[8] = 9;
        assert!(matches!(
            open(Box::new(BytesRootfs(img))),
            Err(ImageError::Version(9))
        ));
        assert!(matches!(
            open(Box::new(BytesRootfs(b"not an image".repeat(20)))),
            Err(ImageError::NotImage)
        ));
    }
}
