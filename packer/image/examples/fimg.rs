//! Measure the runtime image format on a real input:
//!
//! ```text
//! cargo run --release -p friscy-image --example fimg -- INPUT [OUT.fimg]
//! ```
//!
//! Loads INPUT (any supported image), writes it as a plain rootfs tar and in
//! the runtime format with several codecs, and reports sizes, write times,
//! the core reader's index-open time and the time to read every file back.

use std::time::Instant;

use friscy_core::vfs::{imagefs, NodeKind, Vfs, ROOT_INO};
use friscy_core::BytesRootfs;
use friscy_image::format::{ChunkCodec, WriteOptions};
use friscy_image::{load_image, LoadOptions, NoProgress};

fn read_everything(vfs: &Vfs, dir: u64) -> u64 {
    let mut total = 0;
    let entries: Vec<u64> = vfs.entries(dir).unwrap().values().copied().collect();
    for ino in entries {
        match &vfs.node(ino).unwrap().kind {
            NodeKind::Dir { .. } => total += read_everything(vfs, ino),
            NodeKind::File(_) => total += vfs.read_all(ino).unwrap().len() as u64,
            _ => {}
        }
    }
    total
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(input) = args.first() else {
        eprintln!("usage: fimg INPUT [OUT.fimg]");
        std::process::exit(2);
    };
    let t = Instant::now();
    let img = load_image(input, &LoadOptions::default(), &NoProgress).unwrap_or_else(|e| {
        eprintln!("fimg: {e}");
        std::process::exit(1)
    });
    let (entries, bytes) = img.tree.stats();
    println!(
        "loaded {input}: {entries} entries, {:.1} MiB of file data in {:.2?}",
        bytes as f64 / 1048576.0,
        t.elapsed()
    );
    let tar = friscy_image::write_rootfs_tar(&img.tree).unwrap();
    println!("plain tar: {:.1} MiB", tar.len() as f64 / 1048576.0);
    let t = Instant::now();
    let tar_vfs = {
        let mut v = Vfs::new(Box::new(BytesRootfs(tar.clone())));
        friscy_core::vfs::tarfs::index_tar(&mut v).unwrap();
        v
    };
    println!("  core tar index: {:.2?}", t.elapsed());
    drop(tar_vfs);
    if std::env::var_os("FIMG_NO_GZ").is_none() {
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            std::io::Write::write_all(&mut e, &tar).unwrap();
            e.finish().unwrap()
        };
        println!("tar.gz (level 6): {:.1} MiB", gz.len() as f64 / 1048576.0);
    }

    let chunk = std::env::var("FIMG_CHUNK")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256 * 1024);
    let mut codecs = vec![
        ChunkCodec::Zstd(19),
        ChunkCodec::Zstd(9),
        ChunkCodec::Zstd(3),
        ChunkCodec::Lz4,
    ];
    if let Ok(list) = std::env::var("FIMG_CODECS") {
        codecs = list
            .split(',')
            .map(|c| match c {
                "lz4" => ChunkCodec::Lz4,
                "stored" => ChunkCodec::Stored,
                z => ChunkCodec::Zstd(z.trim_start_matches("zstd").parse().unwrap()),
            })
            .collect();
    }
    for codec in codecs {
        let opts = WriteOptions {
            codec,
            chunk_size: chunk,
            name: None,
            threads: 0,
        };
        let t = Instant::now();
        let out = friscy_image::write_runtime_image(&img, &opts, &NoProgress).unwrap();
        let wt = t.elapsed();
        let hdr = friscy_image::format::Header::parse(&out).unwrap();
        let t = Instant::now();
        let vfs = imagefs::open(Box::new(BytesRootfs(out.clone()))).unwrap();
        let open = t.elapsed();
        let t = Instant::now();
        let n = read_everything(&vfs, ROOT_INO);
        let rd = t.elapsed();
        println!(
            "{codec:?} chunk {chunk}: {:.1} MiB ({:.1}% of tar), index {} KiB ({} KiB decoded); write {wt:.2?}; core open {open:.2?}; read all {:.1} MiB in {rd:.2?} ({:.0} MiB/s)",
            out.len() as f64 / 1048576.0,
            out.len() as f64 * 100.0 / tar.len() as f64,
            hdr.index_len / 1024,
            hdr.index_raw_len / 1024,
            n as f64 / 1048576.0,
            n as f64 / 1048576.0 / rd.as_secs_f64()
        );
        if let (Some(path), ChunkCodec::Zstd(19)) = (args.get(1), codec) {
            std::fs::write(path, &out).unwrap();
        }
    }
}
