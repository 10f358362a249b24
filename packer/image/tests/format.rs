//! The runtime image format: write with friscy-image, read back through the
//! core's reader (`friscy_core::vfs::imagefs`) and compare trees.

mod common;

use std::collections::HashMap;

use common::*;
use friscy_core::vfs::{imagefs, FileData, NodeKind, Vfs, ROOT_INO};
use friscy_core::BytesRootfs;
use friscy_image::format::{self, ChunkCodec, WriteOptions};
use friscy_image::{NoProgress, Platform, Tree};

/// The core tree in `Tree::listing` form.
fn core_listing(vfs: &mut Vfs) -> Vec<String> {
    let mut out = Vec::new();
    let root = vfs.node(ROOT_INO).unwrap();
    out.push(format!(
        "/ dir {:o} {}:{} {}",
        root.mode & 0o7777,
        root.uid,
        root.gid,
        root.mtime
    ));
    let mut seen: HashMap<u64, String> = HashMap::new();
    fn walk(
        vfs: &mut Vfs,
        dir: u64,
        prefix: &str,
        out: &mut Vec<String>,
        seen: &mut HashMap<u64, String>,
    ) {
        // Through lookup, as the kernel goes: it builds a directory's
        // entries from the index on first use.
        let names: Vec<Vec<u8>> = vfs.entries(dir).unwrap().keys().cloned().collect();
        for name in names {
            let ino = vfs.lookup(dir, &name).unwrap().unwrap();
            let path = format!("{prefix}{}", String::from_utf8_lossy(&name));
            if let Some(first) = seen.get(&ino) {
                out.push(format!("{path} hardlink {first}"));
                continue;
            }
            let n = vfs.node(ino).unwrap();
            let meta = format!("{:o} {}:{} {}", n.mode & 0o7777, n.uid, n.gid, n.mtime);
            let line = match &n.kind {
                NodeKind::Dir { .. } => None,
                NodeKind::File(_) => {
                    let data = vfs.read_all(ino).unwrap();
                    seen.insert(ino, path.clone());
                    Some(format!(
                        "{path} file {meta} {} {}",
                        data.len(),
                        sha256hex(&data)
                    ))
                }
                NodeKind::Symlink(t) => Some(format!(
                    "{path} symlink {meta} {}",
                    String::from_utf8_lossy(t)
                )),
                NodeKind::Fifo => Some(format!("{path} fifo {meta} ")),
                NodeKind::Device(_) => Some(format!("{path} device")),
                NodeKind::Socket => Some(format!("{path} socket {meta} ")),
            };
            match line {
                Some(line) => out.push(line),
                None => {
                    out.push(format!("{path} dir {meta} "));
                    walk(vfs, ino, &format!("{path}/"), out, seen);
                }
            }
        }
    }
    walk(vfs, ROOT_INO, "", &mut out, &mut seen);
    out
}

fn layered_image() -> friscy_image::Image {
    let (a, b, c) = (base_layer(), second_layer(), third_layer());
    let files = docker_archive(
        "riscv64",
        &[gzip(&a), b.clone(), c.clone()],
        &[&a, &b, &c],
        "app:1",
    );
    friscy_image::load_bytes(
        tar_of(&files),
        "app.tar",
        None,
        &Platform::riscv64(),
        &NoProgress,
    )
    .unwrap()
}

fn opts(codec: ChunkCodec, chunk: u32) -> WriteOptions {
    WriteOptions {
        codec,
        chunk_size: chunk,
        name: Some("test".into()),
        threads: 0,
    }
}

#[test]
fn round_trip_through_the_core_reader() {
    let img = layered_image();
    for codec in [
        ChunkCodec::Zstd(19),
        ChunkCodec::Zstd(3),
        ChunkCodec::Lz4,
        ChunkCodec::Stored,
    ] {
        let bytes =
            friscy_image::write_runtime_image(&img, &opts(codec, 4096), &NoProgress).unwrap();
        let mut vfs = imagefs::open(Box::new(BytesRootfs(bytes))).unwrap();
        assert_eq!(
            core_listing(&mut vfs),
            img.tree.listing(),
            "codec {codec:?}"
        );
        // The config travels in the image.
        let cfg = vfs.image().config_json().unwrap();
        assert_eq!(cfg.as_bytes(), img.config_json.as_deref().unwrap());
        let rc = friscy_image::RunConfig::from_json(cfg.as_bytes()).unwrap();
        assert_eq!(rc, img.config);
        // Hard links share an inode.
        let sh = vfs.resolve(ROOT_INO, b"/bin/sh", false).unwrap().ino;
        assert_eq!(vfs.resolve(ROOT_INO, b"/bin/ash", false).unwrap().ino, sh);
        assert_eq!(vfs.node(sh).unwrap().nlink, 2);
        assert!(matches!(
            vfs.node(sh).unwrap().kind,
            NodeKind::File(FileData::Image { .. })
        ));
    }
}

/// Pseudo-random bytes that compress badly (xorshift).
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn files_span_chunks_and_read_at_any_offset() {
    let big = noise(300_000, 1);
    let text: Vec<u8> = (0..20_000)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    let tar = Layer::new()
        .file("big.bin", &big)
        .file("text.txt", &text)
        .file("empty", b"")
        .file("z/small", b"tiny")
        .tar();
    let img =
        friscy_image::load_bytes(tar, "r.tar", None, &Platform::riscv64(), &NoProgress).unwrap();
    let bytes =
        friscy_image::write_runtime_image(&img, &opts(ChunkCodec::Zstd(3), 65536), &NoProgress)
            .unwrap();
    let mut vfs = imagefs::open(Box::new(BytesRootfs(bytes))).unwrap();
    assert_eq!(core_listing(&mut vfs), img.tree.listing());
    let ino = vfs.resolve(ROOT_INO, b"/big.bin", true).unwrap().ino;
    for (off, len) in [
        (0usize, 10usize),
        (65_530, 20),
        (131_071, 70_000),
        (299_990, 100),
        (300_000, 5),
    ] {
        let mut buf = vec![0u8; len];
        let n = vfs.read_file(ino, off as u64, &mut buf).unwrap();
        let want = &big[off.min(big.len())..(off + len).min(big.len())];
        assert_eq!(&buf[..n], want, "read at {off}");
    }
    let e = vfs.resolve(ROOT_INO, b"/empty", true).unwrap().ino;
    assert_eq!(vfs.read_all(e).unwrap(), b"");
}

#[test]
fn identical_contents_are_stored_once() {
    let blob = noise(200_000, 7);
    let one = Layer::new().file("a", &blob).tar();
    let two = Layer::new()
        .file("a", &blob)
        .file("b/copy", &blob)
        .file("c/copy", &blob)
        .tar();
    let size = |tar: Vec<u8>| {
        let img = friscy_image::load_bytes(tar, "d.tar", None, &Platform::riscv64(), &NoProgress)
            .unwrap();
        friscy_image::write_runtime_image(&img, &opts(ChunkCodec::Zstd(3), 65536), &NoProgress)
            .unwrap()
            .len()
    };
    let (s1, s3) = (size(one), size(two));
    assert!(
        s3 < s1 + 1000,
        "three copies take {s3} bytes, one takes {s1}"
    );
    // Identical chunks inside one file (zeros) are stored once too.
    let zeros = Layer::new().file("z", &vec![0u8; 1 << 20]).tar();
    let img =
        friscy_image::load_bytes(zeros, "z.tar", None, &Platform::riscv64(), &NoProgress).unwrap();
    let bytes =
        friscy_image::write_runtime_image(&img, &opts(ChunkCodec::Stored, 4096), &NoProgress)
            .unwrap();
    assert!(
        bytes.len() < 64 * 1024,
        "1 MiB of zeros stored as {} bytes",
        bytes.len()
    );
    let mut vfs = imagefs::open(Box::new(BytesRootfs(bytes))).unwrap();
    let z = vfs.resolve(ROOT_INO, b"/z", true).unwrap().ino;
    assert_eq!(vfs.read_all(z).unwrap(), vec![0u8; 1 << 20]);
}

#[test]
fn output_is_deterministic() {
    let img = layered_image();
    let a = friscy_image::write_runtime_image(&img, &WriteOptions::pack(), &NoProgress).unwrap();
    let mut o = WriteOptions::pack();
    o.threads = 1;
    let b = friscy_image::write_runtime_image(&layered_image(), &o, &NoProgress).unwrap();
    assert_eq!(a, b, "same input, same bytes (whatever the thread count)");
    let t1 = format::write_rootfs_tar(&img.tree).unwrap();
    let t2 = format::write_rootfs_tar(&layered_image().tree).unwrap();
    assert_eq!(t1, t2);
    // The rootfs tar reads back to the same tree.
    let again =
        friscy_image::load_bytes(t1, "t.tar", None, &Platform::riscv64(), &NoProgress).unwrap();
    assert_eq!(again.tree.listing(), img.tree.listing());
}

#[test]
fn damaged_chunks_fail_their_digest_on_read() {
    let big = noise(100_000, 3);
    let tar = Layer::new().file("a", &big).file("b", b"bbbb").tar();
    let img =
        friscy_image::load_bytes(tar, "c.tar", None, &Platform::riscv64(), &NoProgress).unwrap();
    let mut bytes =
        friscy_image::write_runtime_image(&img, &opts(ChunkCodec::Zstd(3), 16384), &NoProgress)
            .unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff; // inside the last chunk
    let src = BytesRootfs(bytes.clone());
    let mut vfs = imagefs::open(Box::new(BytesRootfs(bytes))).unwrap();
    let a = vfs.resolve(ROOT_INO, b"/a", true).unwrap().ino;
    let mut buf = vec![0u8; 1000];
    assert_eq!(
        vfs.read_file(a, 0, &mut buf).unwrap(),
        1000,
        "undamaged chunk reads"
    );
    assert!(vfs.read_all(a).is_err(), "damaged chunk is refused");
    // The message names the chunk.
    let chunked = imagefs::open(Box::new(src)).unwrap();
    let err = chunked.image().read_at(99_000, &mut buf).unwrap_err();
    assert!(
        err.contains("chunk 6") && err.contains("digest check"),
        "{err}"
    );
}

#[test]
fn header_config_reader_for_providers() {
    let img = layered_image();
    let bytes =
        friscy_image::write_runtime_image(&img, &WriteOptions::fast(), &NoProgress).unwrap();
    assert!(format::is_runtime_image(&bytes));
    let mut read_at = |off: u64, buf: &mut [u8]| -> std::io::Result<usize> {
        let s = (off as usize).min(bytes.len());
        let n = buf.len().min(bytes.len() - s);
        buf[..n].copy_from_slice(&bytes[s..s + n]);
        Ok(n)
    };
    let cfg = format::read_config(&mut read_at).unwrap().unwrap();
    assert_eq!(cfg.as_bytes(), img.config_json.as_deref().unwrap());
    // A rootfs without config.
    let bare = format::write_tree(&Tree::new(), None, &WriteOptions::fast(), &NoProgress).unwrap();
    let vfs = imagefs::open(Box::new(BytesRootfs(bare))).unwrap();
    assert!(vfs.image().config_json().is_none());
    assert!(vfs.entries(ROOT_INO).unwrap().is_empty());
}
