//! `friscy run IMAGE`: every image input (a `docker save` archive, an OCI
//! layout directory or tar, a rootfs tar or directory, a registry reference)
//! becomes what the emulator reads. Runtime images are read as they are;
//! anything else is converted into a runtime image, kept in the cache
//! (`~/.cache/friscy/images/`, the newest `CACHE_KEEP`) for local files, so
//! the next start reads only the index, whatever the image's size.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use friscy_image::progress::Bars;
use friscy_image::{
    format::is_runtime_image, load_image, write_runtime_image, ChunkCodec, LoadOptions, Platform,
    RegistryOptions, WriteOptions,
};
use sha2::Digest as _;

use crate::providers::ImageFile;

/// Bumped when the conversion changes, so old cache entries are not reused.
const CACHE_VERSION: u32 = 3;
/// Uncompressed bytes per chunk of a cached image.
const CACHE_CHUNK: u32 = 64 * 1024;
/// Converted images kept in the cache; older ones are removed.
const CACHE_KEEP: usize = 16;

/// Open `input` for the emulator, for `platform` (default linux/riscv64).
pub fn open(input: &str, platform: Option<&str>) -> Result<ImageFile> {
    let platform = platform
        .map(str::parse::<Platform>)
        .transpose()
        .context("--platform")?;
    let path = Path::new(input);
    let cache = crate::engine::cache_dir();
    let mut cached: Option<PathBuf> = None;
    if path.is_file() {
        let mut magic = Vec::with_capacity(8);
        if let Ok(f) = std::fs::File::open(path) {
            let _ = std::io::Read::read_to_end(&mut std::io::Read::take(f, 8), &mut magic);
        }
        if is_runtime_image(&magic) {
            return ImageFile::open(path);
        }
        if let Some(dir) = &cache {
            if let Some(key) = cache_key(path, platform.as_ref()) {
                let file = dir.join("images").join(format!("{key}.fimg"));
                if file.is_file() {
                    if let Ok(image) = ImageFile::open(&file) {
                        return Ok(image.named(input));
                    }
                }
                cached = Some(file);
            }
        }
    }
    let bars = Bars::new();
    let opts = LoadOptions {
        platform,
        registry: RegistryOptions {
            blob_cache: cache.as_ref().map(|d| d.join("blobs")),
            ..RegistryOptions::default()
        },
    };
    let image = load_image(input, &opts, &bars)
        .with_context(|| format!("cannot load the image {input}"))?;
    // LZ4 chunks: converting is fast and so is reading. Small ones: a
    // first read decodes and sha256-checks a whole chunk (about 1 ms per
    // 256 KiB in Wasm), and a large image scatters what a start reads over
    // more chunks; the bigger chunk table costs less than that.
    let write = WriteOptions {
        codec: ChunkCodec::Lz4,
        chunk_size: CACHE_CHUNK,
        ..WriteOptions::fast()
    };
    let bytes = write_runtime_image(&image, &write, &bars)
        .with_context(|| format!("cannot convert the image {input}"))?;
    if let Some(file) = cached {
        store(&file, &bytes);
    }
    Ok(ImageFile::runtime_image(input, bytes))
}

/// A cache key for a local image file: its identity and modification time
/// (a changed file gets a new key) and the platform asked for.
fn cache_key(path: &Path, platform: Option<&Platform>) -> Option<String> {
    let canonical = std::fs::canonicalize(path).ok()?;
    let meta = std::fs::metadata(&canonical).ok()?;
    let mut h = sha2::Sha256::new();
    h.update(format!(
        "v{CACHE_VERSION}\0{}\0{}\0{}\0{}\0{}\0{}\0{}",
        canonical.display(),
        meta.dev(),
        meta.ino(),
        meta.len(),
        meta.mtime(),
        meta.mtime_nsec(),
        platform.map(|p| p.to_string()).unwrap_or_default()
    ));
    let digest = h.finalize();
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// Write a cache entry atomically; failures only cost time on the next run.
fn store(file: &Path, bytes: &[u8]) {
    let Some(dir) = file.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = file.with_extension(format!("{}.tmp", std::process::id()));
    if std::fs::write(&tmp, bytes).is_err() || std::fs::rename(&tmp, file).is_err() {
        let _ = std::fs::remove_file(&tmp);
        return;
    }
    prune(dir);
}

/// Keep the newest `CACHE_KEEP` converted images.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut images: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".fimg"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if images.len() <= CACHE_KEEP {
        return;
    }
    images.sort();
    for (_, old) in &images[..images.len() - CACHE_KEEP] {
        let _ = std::fs::remove_file(old);
    }
}
