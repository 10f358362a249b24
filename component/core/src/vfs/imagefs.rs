//! Index a friscy runtime image (written by `friscy-image`, spec in
//! `packer/image/src/format.rs`): read the header and the index only, build
//! the inode tree from it, and serve file bytes on first read by decoding
//! (and sha256-verifying) the chunk that holds them.
//!
//! File contents live in one deduplicated *content stream* cut into fixed-
//! size compressed chunks. [`ChunkedImage`] exposes that stream as a
//! [`RootfsSource`], so a file is an ordinary `FileData::Image { offset,
//! len }` whose offset is a position in the stream: `Vfs::read_file` and
//! copy-up work unchanged.

use std::cell::RefCell;
use std::rc::Rc;

use sha2::{Digest, Sha256};

use super::inode::*;
use super::{new_dir, new_file, Vfs, ROOT_INO};
use crate::host::RootfsSource;

pub const MAGIC: &[u8; 8] = b"FRISCYIM";
const VERSION: u32 = 1;
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
    sha256: [u8; 32],
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

fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
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
        if sha256(&stored) != c.sha256 {
            return Err(format!(
                "image chunk {k} (bytes {}..{}) failed its sha256 check: the image is damaged",
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

/// A bounds-checked reader over the decoded index.
struct Cur<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cur<'a> {
    fn u8(&mut self) -> Result<u8, ImageError> {
        let v = *self
            .b
            .get(self.pos)
            .ok_or_else(|| damaged("index ends early"))?;
        self.pos += 1;
        Ok(v)
    }

    fn varint(&mut self) -> Result<u64, ImageError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(damaged("bad varint in the index"))
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], ImageError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or_else(|| damaged("index ends early"))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn lenbytes(&mut self) -> Result<&'a [u8], ImageError> {
        let n = self.varint()?;
        self.bytes(usize::try_from(n).map_err(|_| damaged("bad length"))?)
    }

    fn meta(&mut self) -> Result<(u32, u32, u32, i64), ImageError> {
        let mode = (self.varint()? & 0o7777) as u32;
        let uid = self.varint()? as u32;
        let gid = self.varint()? as u32;
        let z = self.varint()?;
        let mtime = ((z >> 1) as i64) ^ -((z & 1) as i64);
        Ok((mode, uid, gid, mtime))
    }
}

/// Open a runtime image: verify and decode its index, build the tree.
/// File bytes are read later, on demand. The returned `Vfs` reads through
/// a [`ChunkedImage`] wrapping `src`; its `config_json()` is the image's.
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
        if sha256(&c) != h[64..96] {
            return Err(damaged("the image config failed its sha256 check"));
        }
        Some(String::from_utf8(c).map_err(|_| damaged("the image config is not UTF-8"))?)
    };

    let mut stored = vec![0u8; index_len as usize];
    read_exact(src.as_ref(), index_at, &mut stored).map_err(ImageError::Read)?;
    if sha256(&stored) != h[96..128] {
        return Err(damaged("the index failed its sha256 check"));
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
            sha256: sha,
        });
    }
    let _name = cur.lenbytes()?;
    let n_entries = cur.varint()?;
    if n_entries == 0 || n_entries > index.len() as u64 {
        return Err(damaged("bad entry count"));
    }

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
    // The tree is built while the index is borrowed: the index stays a
    // local and the Vfs owns only the chunk reader.
    let mut vfs = Vfs::new(Box::new(image));
    vfs.reserve_inodes(n_entries as usize);
    let mut inos: Vec<Ino> = Vec::with_capacity(n_entries as usize);
    let bad = |i: u64, why: &str| damaged(format!("index entry {i}: {why}"));
    for i in 0..n_entries {
        let kind = cur.u8()?;
        if i == 0 {
            if kind != KIND_DIR {
                return Err(bad(0, "the root is not a directory"));
            }
            let (mode, uid, gid, mtime) = cur.meta()?;
            let root = vfs.node_mut(ROOT_INO).map_err(|_| bad(0, "no root"))?;
            root.mode = S_IFDIR | mode;
            root.uid = uid;
            root.gid = gid;
            root.mtime = mtime;
            inos.push(ROOT_INO);
            continue;
        }
        let parent = cur.varint()?;
        let name = cur.lenbytes()?;
        if name.is_empty()
            || name == b"."
            || name == b".."
            || name.iter().any(|&b| b == b'/' || b == 0)
        {
            return Err(bad(i, "bad file name"));
        }
        let dir = *inos
            .get(parent as usize)
            .ok_or_else(|| bad(i, "parent comes after the entry"))?;
        if kind == KIND_HARDLINK {
            let target = cur.varint()?;
            let t = *inos
                .get(target as usize)
                .ok_or_else(|| bad(i, "hard link to a later entry"))?;
            let ok = matches!(vfs.node(t).map(|n| &n.kind), Ok(NodeKind::File(_)));
            if !ok {
                return Err(bad(i, "hard link to a non-file"));
            }
            vfs.link(dir, name, t)
                .map_err(|e| bad(i, &format!("cannot link: {e:?}")))?;
            inos.push(t);
            continue;
        }
        let (mode, uid, gid, mtime) = cur.meta()?;
        let (type_bits, kind) = match kind {
            KIND_DIR => (S_IFDIR, None),
            KIND_FILE => {
                let len = cur.varint()?;
                let offset = cur.varint()?;
                if offset.checked_add(len).is_none_or(|e| e > stream_len) {
                    return Err(bad(i, "file data past the end of the content stream"));
                }
                (
                    S_IFREG,
                    Some(NodeKind::File(FileData::Image { offset, len })),
                )
            }
            KIND_SYMLINK => (S_IFLNK, Some(NodeKind::Symlink(cur.lenbytes()?.to_vec()))),
            KIND_FIFO => (S_IFIFO, Some(NodeKind::Fifo)),
            k => return Err(bad(i, &format!("unknown kind {k}"))),
        };
        let mut node = match kind {
            None => new_dir(mode),
            Some(k) => {
                let mut n = new_file(FileData::empty(), mode);
                n.kind = k;
                n
            }
        };
        node.mode = type_bits | mode;
        node.uid = uid;
        node.gid = gid;
        node.mtime = mtime;
        let ino = vfs.create(dir, name, node).map_err(|e| {
            bad(
                i,
                &format!("cannot create {:?}: {e:?}", String::from_utf8_lossy(name)),
            )
        })?;
        inos.push(ino);
    }
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

    /// A tiny image with stored chunks: /bin/hi ("hello"), /bin/again (a
    /// hard link), /lnk -> bin/hi.
    fn image(corrupt_chunk: bool) -> Vec<u8> {
        let stream = b"hello".to_vec();
        let mut idx = b"FIDX".to_vec();
        varint(&mut idx, 4096);
        varint(&mut idx, stream.len() as u64);
        varint(&mut idx, 1);
        varint(&mut idx, 0);
        varint(&mut idx, stream.len() as u64);
        idx.push(CODEC_STORED);
        idx.extend_from_slice(&sha256(&stream));
        varint(&mut idx, 0); // name
        varint(&mut idx, 5);
        let meta = |idx: &mut Vec<u8>, mode| {
            varint(idx, mode);
            varint(idx, 0);
            varint(idx, 0);
            varint(idx, 2 * 1000);
        };
        idx.push(KIND_DIR);
        meta(&mut idx, 0o755);
        idx.push(KIND_DIR); // 1: bin
        varint(&mut idx, 0);
        varint(&mut idx, 3);
        idx.extend_from_slice(b"bin");
        meta(&mut idx, 0o755);
        idx.push(KIND_FILE); // 2: bin/hi
        varint(&mut idx, 1);
        varint(&mut idx, 2);
        idx.extend_from_slice(b"hi");
        meta(&mut idx, 0o755);
        varint(&mut idx, 5);
        varint(&mut idx, 0);
        idx.push(KIND_HARDLINK); // 3: bin/again
        varint(&mut idx, 1);
        varint(&mut idx, 5);
        idx.extend_from_slice(b"again");
        varint(&mut idx, 2);
        idx.push(KIND_SYMLINK); // 4: lnk
        varint(&mut idx, 0);
        varint(&mut idx, 3);
        idx.extend_from_slice(b"lnk");
        meta(&mut idx, 0o777);
        varint(&mut idx, 6);
        idx.extend_from_slice(b"bin/hi");

        let mut h = vec![0u8; HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        h[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
        h[16..24].copy_from_slice(&(HEADER_LEN as u64).to_le_bytes());
        h[32..40].copy_from_slice(&(HEADER_LEN as u64).to_le_bytes());
        h[40..48].copy_from_slice(&(idx.len() as u64).to_le_bytes());
        h[48..56].copy_from_slice(&(idx.len() as u64).to_le_bytes());
        h[64..96].copy_from_slice(&sha256(b""));
        h[96..128].copy_from_slice(&sha256(&idx));
        h.extend_from_slice(&idx);
        let mut data = stream;
        if corrupt_chunk {
            data[0] ^= 1;
        }
        h.extend_from_slice(&data);
        h
    }

    #[test]
    fn opens_and_reads_lazily() {
        let img = image(false);
        assert!(is_image(&BytesRootfs(img.clone())));
        let mut vfs = open(Box::new(BytesRootfs(img))).unwrap();
        let f = vfs.resolve(ROOT_INO, b"/lnk", true).unwrap().ino;
        assert_eq!(vfs.read_all(f).unwrap(), b"hello");
        let g = vfs.resolve(ROOT_INO, b"/bin/again", true).unwrap().ino;
        assert_eq!(f, g);
        assert_eq!(vfs.node(f).unwrap().nlink, 2);
        assert_eq!(vfs.node(f).unwrap().mtime, 1000);
        assert!(vfs.image().config_json().is_none());
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
