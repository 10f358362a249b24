//! The runtime image format ("friscy image", `.fimg`): index first, then
//! data, so a runner reads the index at start and each file's bytes on
//! first access (in a browser through HTTP range requests).
//!
//! ```text
//! offset  size  field (little-endian)
//! 0       8     magic "FRISCYIM"
//! 8       4     version = 2
//! 12      4     header length = 128
//! 16      8     config offset (= 128)
//! 24      8     config length (0: no config)         OCI image config JSON, verbatim
//! 32      8     index offset (= config offset + length)
//! 40      8     index length (stored bytes)
//! 48      8     index length (decoded bytes)
//! 56      1     index codec (0 stored, 1 zstd, 2 lz4 block)
//! 57      7     zero
//! 64      32    BLAKE3 of the stored config bytes
//! 96      32    BLAKE3 of the stored index bytes
//! 128     ...   config JSON, index, then the data chunks (index end = data start)
//! ```
//!
//! File contents, deduplicated by digest, are laid end to end in one
//! *content stream* in tree order (so a directory's files sit together) and
//! cut into fixed-size chunks of `chunk_size` bytes (the last one shorter);
//! each chunk is compressed on its own and verified by the BLAKE3 digest of its
//! stored bytes before it is decoded. A file is `(stream offset, size)`.
//!
//! The decoded index (varint = unsigned LEB128; zigzag for signed):
//!
//! ```text
//! "FIDX"
//! varint chunk_size, varint stream_len, varint n_chunks
//! n_chunks x { varint data_offset (from data start), varint stored_len, u8 codec, [32] BLAKE3 }
//! varint name_len, name (the image's name, may be empty)
//! varint n_entries
//! n_entries x entry, entry 0 is the root directory, parents come before children,
//! and the entries of one directory come in strictly increasing byte order of
//! name (readers build a directory from its entries on first lookup and rely on it):
//!   u8 kind (0 dir, 1 file, 2 symlink, 3 hard link, 4 fifo)
//!   (not for entry 0) varint parent entry, varint name_len, name
//!   hard link: varint target entry (a file entry earlier in the list)
//!   others:    varint mode (0o7777 bits), varint uid, varint gid, zigzag mtime (s)
//!   file:      varint size, varint stream offset
//!   symlink:   varint target_len, target
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::error::{ImageError, Result};
use crate::progress::Progress;
use crate::tree::{Kind, NodeId, Tree, ROOT};
use crate::Image;

pub const MAGIC: &[u8; 8] = b"FRISCYIM";
pub const VERSION: u32 = 2;
pub const HEADER_LEN: usize = 128;
pub const INDEX_MAGIC: &[u8; 4] = b"FIDX";

pub const CODEC_STORED: u8 = 0;
pub const CODEC_ZSTD: u8 = 1;
pub const CODEC_LZ4: u8 = 2;

pub const KIND_DIR: u8 = 0;
pub const KIND_FILE: u8 = 1;
pub const KIND_SYMLINK: u8 = 2;
pub const KIND_HARDLINK: u8 = 3;
pub const KIND_FIFO: u8 = 4;

/// How chunks are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkCodec {
    /// zstd at this level (1..=22 with libzstd, the `native` feature;
    /// without it ruzstd's `Fastest`, about level 1, whatever the level).
    Zstd(i32),
    /// LZ4 block format (lz4_flex): bigger, decodes fastest.
    Lz4,
    Stored,
}

#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub codec: ChunkCodec,
    /// Uncompressed bytes per chunk (4 KiB ..= 16 MiB).
    pub chunk_size: u32,
    /// Stored in the index (shown by the web page).
    pub name: Option<String>,
    /// Compression threads; 0 = all cores. Output does not depend on it.
    pub threads: usize,
}

impl WriteOptions {
    /// What `friscy-pack` writes: smallest download.
    pub fn pack() -> WriteOptions {
        WriteOptions {
            codec: ChunkCodec::Zstd(15),
            chunk_size: DEFAULT_CHUNK,
            name: None,
            threads: 0,
        }
    }

    /// For a runner converting an image on the fly: fast to write.
    pub fn fast() -> WriteOptions {
        WriteOptions {
            codec: ChunkCodec::Zstd(3),
            chunk_size: DEFAULT_CHUNK,
            name: None,
            threads: 0,
        }
    }
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions::pack()
    }
}

pub const DEFAULT_CHUNK: u32 = 256 * 1024;

/// Is this the start of a runtime image?
pub fn is_runtime_image(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

/// The fixed header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    pub config_offset: u64,
    pub config_len: u64,
    pub index_offset: u64,
    pub index_len: u64,
    pub index_raw_len: u64,
    pub index_codec: u8,
    pub config_digest: [u8; 32],
    pub index_digest: [u8; 32],
}

impl Header {
    pub fn parse(b: &[u8]) -> Result<Header> {
        if b.len() < HEADER_LEN || !b.starts_with(MAGIC) {
            return Err(ImageError::Format(
                "not a friscy runtime image (bad magic)".into(),
            ));
        }
        let u32at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
        let u64at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        let version = u32at(8);
        if version != VERSION {
            return Err(ImageError::Format(format!(
                "format version {version} is not supported (this build reads version {VERSION})"
            )));
        }
        Ok(Header {
            version,
            config_offset: u64at(16),
            config_len: u64at(24),
            index_offset: u64at(32),
            index_len: u64at(40),
            index_raw_len: u64at(48),
            index_codec: b[56],
            config_digest: b[64..96].try_into().unwrap(),
            index_digest: b[96..128].try_into().unwrap(),
        })
    }

    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&self.version.to_le_bytes());
        h[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
        h[16..24].copy_from_slice(&self.config_offset.to_le_bytes());
        h[24..32].copy_from_slice(&self.config_len.to_le_bytes());
        h[32..40].copy_from_slice(&self.index_offset.to_le_bytes());
        h[40..48].copy_from_slice(&self.index_len.to_le_bytes());
        h[48..56].copy_from_slice(&self.index_raw_len.to_le_bytes());
        h[56] = self.index_codec;
        h[64..96].copy_from_slice(&self.config_digest);
        h[96..128].copy_from_slice(&self.index_digest);
        h
    }
}

/// The image config JSON of a runtime image, for providers answering the
/// rootfs WIT `info().config` (reads the header and the config only).
pub fn read_config(
    read_at: &mut dyn FnMut(u64, &mut [u8]) -> std::io::Result<usize>,
) -> Result<Option<String>> {
    let mut h = [0u8; HEADER_LEN];
    let n = read_at(0, &mut h).map_err(|e| ImageError::Format(e.to_string()))?;
    let hdr = Header::parse(&h[..n])?;
    if hdr.config_len == 0 {
        return Ok(None);
    }
    if hdr.config_len > 16 << 20 {
        return Err(ImageError::Format("implausible config length".into()));
    }
    let mut c = vec![0u8; hdr.config_len as usize];
    let mut done = 0;
    while done < c.len() {
        let k = read_at(hdr.config_offset + done as u64, &mut c[done..])
            .map_err(|e| ImageError::Format(e.to_string()))?;
        if k == 0 {
            return Err(ImageError::Format("truncated config".into()));
        }
        done += k;
    }
    if digest(&c) != hdr.config_digest {
        return Err(ImageError::Format(
            "the config failed its digest check".into(),
        ));
    }
    String::from_utf8(c)
        .map(Some)
        .map_err(|_| ImageError::Format("the config is not UTF-8".into()))
}

/// The digest of chunks, the index and the config (BLAKE3: a reader in
/// Wasm verifies a chunk several times faster than with sha256, and every
/// chunk a program touches is verified on its first read).
pub fn digest(b: &[u8]) -> [u8; 32] {
    blake3::hash(b).into()
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Compress `raw` with `codec`; returns the codec actually used (stored
/// when compression does not help).
pub fn compress_chunk(raw: &[u8], codec: ChunkCodec) -> (u8, Vec<u8>) {
    let packed = match codec {
        ChunkCodec::Stored => None,
        ChunkCodec::Lz4 => Some((CODEC_LZ4, lz4_flex::block::compress(raw))),
        ChunkCodec::Zstd(level) => Some((CODEC_ZSTD, zstd_compress(raw, level))),
    };
    match packed {
        Some((c, p)) if p.len() < raw.len() => (c, p),
        _ => (CODEC_STORED, raw.to_vec()),
    }
}

#[cfg(feature = "native")]
fn zstd_compress(raw: &[u8], level: i32) -> Vec<u8> {
    zstd::bulk::compress(raw, level).expect("zstd compression of a memory buffer")
}

/// Without libzstd: ruzstd's encoder, whose only implemented level (0.9)
/// is `Fastest`, whatever level was asked for.
#[cfg(not(feature = "native"))]
fn zstd_compress(raw: &[u8], _level: i32) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(raw, ruzstd::encoding::CompressionLevel::Fastest)
}

/// Slices of the content stream, laid end to end.
struct Stream {
    parts: Vec<(u64, Arc<[u8]>)>,
    len: u64,
}

impl Stream {
    /// Copy stream bytes `[start, start + out.len())` into `out`.
    fn copy(&self, start: u64, out: &mut [u8]) {
        let mut i = self
            .parts
            .partition_point(|(off, p)| off + p.len() as u64 <= start);
        let mut pos = start;
        let mut done = 0;
        while done < out.len() {
            let (off, p) = &self.parts[i];
            let s = (pos - off) as usize;
            let n = (p.len() - s).min(out.len() - done);
            out[done..done + n].copy_from_slice(&p[s..s + n]);
            done += n;
            pos += n as u64;
            i += 1;
        }
    }
}

/// Write `image` in the runtime format. The same image and options give
/// the same bytes.
pub fn write_runtime_image(
    image: &Image,
    opts: &WriteOptions,
    progress: &dyn Progress,
) -> Result<Vec<u8>> {
    write_tree(&image.tree, image.config_json.as_deref(), opts, progress)
}

/// Write a tree (and optional config JSON) in the runtime format.
pub fn write_tree(
    tree: &Tree,
    config_json: Option<&[u8]>,
    opts: &WriteOptions,
    progress: &dyn Progress,
) -> Result<Vec<u8>> {
    let chunk_size = opts.chunk_size;
    if !(4096..=16 << 20).contains(&chunk_size) {
        return Err(ImageError::Format(format!(
            "chunk size {chunk_size} out of range (4 KiB..16 MiB)"
        )));
    }
    // 1. Entries in tree order; file contents deduplicated into the stream.
    let walk = tree.walk();
    let mut entry_of: HashMap<NodeId, u64> = HashMap::new();
    let mut content_at: HashMap<[u8; 32], u64> = HashMap::new();
    let mut stream = Stream {
        parts: Vec::new(),
        len: 0,
    };
    let mut entries = Vec::new();
    let root = tree.node(ROOT);
    entries.push(KIND_DIR);
    put_meta(&mut entries, root.meta);
    let mut index_of_path: HashMap<&[u8], u64> = HashMap::new();
    index_of_path.insert(b"", 0);
    for (i, (path, id)) in walk.iter().enumerate() {
        let idx = i as u64 + 1;
        let (parent_path, name) = match path.iter().rposition(|&b| b == b'/') {
            Some(p) => (&path[..p], &path[p + 1..]),
            None => (&path[..0], &path[..]),
        };
        let parent = index_of_path[parent_path];
        let node = tree.node(*id);
        if matches!(node.kind, Kind::Dir(_)) {
            index_of_path.insert(path.as_slice(), idx);
        }
        if let Some(&first) = entry_of.get(id) {
            entries.push(KIND_HARDLINK);
            put_varint(&mut entries, parent);
            put_bytes(&mut entries, name);
            put_varint(&mut entries, first);
            continue;
        }
        let kind = match &node.kind {
            Kind::Dir(_) => KIND_DIR,
            Kind::File(_) => KIND_FILE,
            Kind::Symlink(_) => KIND_SYMLINK,
            Kind::Fifo => KIND_FIFO,
        };
        entries.push(kind);
        put_varint(&mut entries, parent);
        put_bytes(&mut entries, name);
        put_meta(&mut entries, node.meta);
        match &node.kind {
            Kind::File(data) => {
                entry_of.insert(*id, idx);
                let offset = if data.is_empty() {
                    0
                } else {
                    let digest = digest(data);
                    *content_at.entry(digest).or_insert_with(|| {
                        let at = stream.len;
                        stream.parts.push((at, data.clone()));
                        stream.len += data.len() as u64;
                        at
                    })
                };
                put_varint(&mut entries, data.len() as u64);
                put_varint(&mut entries, offset);
            }
            Kind::Symlink(t) => put_bytes(&mut entries, t),
            _ => {}
        }
    }
    let n_entries = walk.len() as u64 + 1;

    // 2. Chunks, compressed in parallel (each on its own: deterministic).
    let cs = chunk_size as u64;
    let n_chunks = stream.len.div_ceil(cs) as usize;
    progress.stage("packing", Some(stream.len));
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    } else {
        opts.threads
    }
    .clamp(1, 64);
    let next = AtomicUsize::new(0);
    let mut packed: Vec<Option<(u8, Vec<u8>)>> = vec![None; n_chunks];
    if threads == 1 || n_chunks <= 1 {
        // No threads (wasm32-wasip2 has none) or nothing to share.
        let mut raw = Vec::new();
        for (k, slot) in packed.iter_mut().enumerate() {
            let start = k as u64 * cs;
            let len = (stream.len - start).min(cs) as usize;
            raw.resize(len, 0);
            stream.copy(start, &mut raw);
            *slot = Some(compress_chunk(&raw, opts.codec));
            progress.advance(len as u64);
        }
    } else {
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::channel::<(usize, u8, Vec<u8>, usize)>();
            for _ in 0..threads.min(n_chunks.max(1)) {
                let tx = tx.clone();
                let next = &next;
                let stream = &stream;
                let codec = opts.codec;
                s.spawn(move || {
                    let mut raw = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= n_chunks {
                            break;
                        }
                        let start = k as u64 * cs;
                        let len = (stream.len - start).min(cs) as usize;
                        raw.resize(len, 0);
                        stream.copy(start, &mut raw);
                        let (c, bytes) = compress_chunk(&raw, codec);
                        if tx.send((k, c, bytes, len)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            for (k, c, bytes, len) in rx {
                packed[k] = Some((c, bytes));
                progress.advance(len as u64);
            }
        });
    }
    progress.done();

    // 3. Data section, identical chunks stored once.
    let mut data = Vec::new();
    let mut chunk_table = Vec::new();
    let mut stored_at: HashMap<[u8; 32], u64> = HashMap::new();
    put_varint(&mut chunk_table, cs);
    put_varint(&mut chunk_table, stream.len);
    put_varint(&mut chunk_table, n_chunks as u64);
    for p in packed {
        let (codec, bytes) = p.expect("every chunk compressed");
        let digest = digest(&bytes);
        let off = *stored_at.entry(digest).or_insert_with(|| {
            let at = data.len() as u64;
            data.extend_from_slice(&bytes);
            at
        });
        put_varint(&mut chunk_table, off);
        put_varint(&mut chunk_table, bytes.len() as u64);
        chunk_table.push(codec);
        chunk_table.extend_from_slice(&digest);
    }

    // 4. Index.
    let mut index = Vec::with_capacity(chunk_table.len() + entries.len() + 64);
    index.extend_from_slice(INDEX_MAGIC);
    index.extend_from_slice(&chunk_table);
    put_bytes(&mut index, opts.name.as_deref().unwrap_or("").as_bytes());
    put_varint(&mut index, n_entries);
    index.extend_from_slice(&entries);
    // LZ4, not zstd: every start decodes the whole index, and in Wasm
    // ruzstd takes several times longer on it than lz4_flex (the index is
    // some 30% larger this way; the data chunks keep their codec).
    let index_codec = match opts.codec {
        ChunkCodec::Stored => ChunkCodec::Stored,
        _ => ChunkCodec::Lz4,
    };
    let (icodec, istored) = compress_chunk(&index, index_codec);

    // 5. Assemble.
    let config = config_json.unwrap_or(&[]);
    let hdr = Header {
        version: VERSION,
        config_offset: HEADER_LEN as u64,
        config_len: config.len() as u64,
        index_offset: (HEADER_LEN + config.len()) as u64,
        index_len: istored.len() as u64,
        index_raw_len: index.len() as u64,
        index_codec: icodec,
        config_digest: digest(config),
        index_digest: digest(&istored),
    };
    let mut out = Vec::with_capacity(HEADER_LEN + config.len() + istored.len() + data.len());
    out.extend_from_slice(&hdr.encode());
    out.extend_from_slice(config);
    out.extend_from_slice(&istored);
    out.extend_from_slice(&data);
    Ok(out)
}

fn put_meta(out: &mut Vec<u8>, m: crate::tree::Meta) {
    put_varint(out, m.mode as u64);
    put_varint(out, m.uid as u64);
    put_varint(out, m.gid as u64);
    put_varint(out, zigzag(m.mtime));
}

/// The tree as a plain (GNU) tar with deterministic headers, for runners
/// that hand the core a tar instead.
pub fn write_rootfs_tar(tree: &Tree) -> Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    let mut first_path: HashMap<NodeId, Vec<u8>> = HashMap::new();
    let err = |e: std::io::Error| ImageError::Format(format!("writing tar: {e}"));
    let root = tree.node(ROOT).meta;
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(root.mode);
    h.set_uid(root.uid as u64);
    h.set_gid(root.gid as u64);
    h.set_mtime(root.mtime.max(0) as u64);
    h.set_size(0);
    b.append_data(&mut h, ".", std::io::empty()).map_err(err)?;
    for (path, id) in tree.walk() {
        let n = tree.node(id);
        let mut h = tar::Header::new_gnu();
        h.set_mode(n.meta.mode);
        h.set_uid(n.meta.uid as u64);
        h.set_gid(n.meta.gid as u64);
        h.set_mtime(n.meta.mtime.max(0) as u64);
        h.set_size(0);
        if let Some(first) = first_path.get(&id) {
            h.set_entry_type(tar::EntryType::Link);
            b.append_link(&mut h, bytes_path(&path), bytes_path(first))
                .map_err(err)?;
            continue;
        }
        match &n.kind {
            Kind::Dir(_) => {
                h.set_entry_type(tar::EntryType::Directory);
                b.append_data(&mut h, bytes_path(&path), std::io::empty())
                    .map_err(err)?;
            }
            Kind::File(d) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(d.len() as u64);
                b.append_data(&mut h, bytes_path(&path), &d[..])
                    .map_err(err)?;
                first_path.insert(id, path.clone());
            }
            Kind::Symlink(t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                b.append_link(&mut h, bytes_path(&path), bytes_path(t))
                    .map_err(err)?;
            }
            Kind::Fifo => {
                h.set_entry_type(tar::EntryType::Fifo);
                b.append_data(&mut h, bytes_path(&path), std::io::empty())
                    .map_err(err)?;
            }
        }
    }
    b.into_inner().map_err(err)
}

#[cfg(unix)]
fn bytes_path(b: &[u8]) -> &std::path::Path {
    use std::os::unix::ffi::OsStrExt;
    std::path::Path::new(std::ffi::OsStr::from_bytes(b))
}

#[cfg(not(unix))]
fn bytes_path(b: &[u8]) -> &std::path::Path {
    std::path::Path::new(std::str::from_utf8(b).unwrap_or("invalid-utf8-name"))
}
