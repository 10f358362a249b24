//! friscy-image: container images in, runnable root filesystems out.
//!
//! * Inputs: `docker save` archives (tar or extracted directory; gzip,
//!   zstd or plain layers), OCI image layouts (directory or tar; multi-arch
//!   indexes), plain rootfs tars (optionally gzip/zstd-compressed) and
//!   directories, and (feature `registry`) references pulled over the OCI
//!   distribution API.
//! * Layers are applied in order into a [`Tree`] (whiteouts, opaque
//!   directories, hard links, symlinks, modes, owners, mtimes); entries that
//!   escape the root are refused.
//! * [`RunConfig`] is the image's Entrypoint/Cmd/Env/WorkingDir/User/
//!   ExposedPorts with `docker run`'s override rules.
//! * [`write_runtime_image`] writes friscy's runtime image format (see
//!   [`format`]), read by `friscy_core::vfs::imagefs`.
//!
//! Everything but the registry builds for wasm32-wasip2.

pub mod compress;
pub mod config;
pub mod error;
pub mod format;
pub mod platform;
pub mod progress;
#[cfg(feature = "registry")]
pub mod registry;
mod source;
pub mod tree;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use config::{RunConfig, RunOverrides, RunSpec};
pub use error::{ImageError, Result};
pub use format::{write_rootfs_tar, write_runtime_image, write_tree, ChunkCodec, WriteOptions};
pub use platform::Platform;
pub use progress::{NoProgress, Progress};
pub use tree::{Kind, Meta, Node, NodeId, Skipped, Tree};

use sha2::Digest as _;

/// What kind of input an image came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    DockerArchive,
    OciLayout,
    RootfsTar,
    RootfsDir,
    Registry,
}

/// A loaded image: the flattened root filesystem and its config.
#[derive(Debug, Clone)]
pub struct Image {
    pub tree: Tree,
    /// Entrypoint, Cmd, Env, ... (empty for a plain rootfs).
    pub config: RunConfig,
    /// The image config JSON exactly as the image has it (the runtime
    /// format and the rootfs WIT `info().config` carry this).
    pub config_json: Option<Vec<u8>>,
    /// The platform the image config declares.
    pub platform: Option<Platform>,
    pub kind: SourceKind,
    /// Digest of the manifest (or docker-save config) when known: a cache key.
    pub digest: Option<String>,
    /// One-line notes for the user (skipped device nodes, xattrs, ...).
    pub notes: Vec<String>,
}

/// Registry settings (used with the `registry` feature).
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Speak plain HTTP to every registry (loopback registries always are).
    pub plain_http: bool,
    /// The docker config with credentials; `None`: `$DOCKER_CONFIG/config.json`
    /// or `~/.docker/config.json` when present.
    pub docker_config: Option<PathBuf>,
    /// Keep verified blobs here (`blobs/sha256/HEX`) and reuse them.
    pub blob_cache: Option<PathBuf>,
    /// Attempts per request for network errors, 429 and 5xx.
    pub attempts: u32,
    /// First back-off delay; doubles on each retry.
    pub retry_delay_ms: u64,
    /// Per-request timeout.
    pub timeout_secs: u64,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            plain_http: false,
            docker_config: None,
            blob_cache: None,
            attempts: 4,
            retry_delay_ms: 500,
            timeout_secs: 120,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--platform`; `None` means linux/riscv64.
    pub platform: Option<Platform>,
    pub registry: RegistryOptions,
}

/// What an input string names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageInput {
    /// A file or directory, with `PATH:TAG` selecting one image of an
    /// archive or layout that holds several.
    Path { path: PathBuf, tag: Option<String> },
    /// A registry reference (`alpine`, `ghcr.io/o/r:tag`, `docker://...`).
    Registry(String),
}

/// Classify an input: explicit `docker://REF`, `docker-archive:PATH`,
/// `oci:PATH[:TAG]`, `oci-archive:PATH[:TAG]`, `dir:PATH`, `tar:PATH`; else an
/// existing path (optionally `PATH:TAG`); else a registry reference.
pub fn parse_input(input: &str) -> Result<ImageInput> {
    if let Some(r) = input.strip_prefix("docker://") {
        return Ok(ImageInput::Registry(r.to_string()));
    }
    let (explicit, rest) = ["docker-archive:", "oci-archive:", "oci:", "dir:", "tar:"]
        .iter()
        .find_map(|p| input.strip_prefix(p).map(|r| (true, r)))
        .unwrap_or((false, input));
    if Path::new(rest).exists() {
        return Ok(ImageInput::Path {
            path: rest.into(),
            tag: None,
        });
    }
    // PATH:TAG, where TAG may itself hold a colon (`app.tar:app:v1`).
    for (i, _) in rest.match_indices(':') {
        let (p, tag) = (&rest[..i], &rest[i + 1..]);
        if !p.is_empty() && !tag.is_empty() && Path::new(p).exists() {
            return Ok(ImageInput::Path {
                path: p.into(),
                tag: Some(tag.to_string()),
            });
        }
    }
    let looks_like_path = explicit
        || rest.starts_with('/')
        || rest.starts_with('.')
        || rest.starts_with('~')
        || [".tar", ".tgz", ".gz", ".zst", ".oci"]
            .iter()
            .any(|s| rest.ends_with(s));
    if looks_like_path {
        return Err(ImageError::NotFound {
            input: input.into(),
            why: "it looks like a path".into(),
        });
    }
    match oci_spec::distribution::Reference::try_from(rest) {
        Ok(_) => Ok(ImageInput::Registry(rest.to_string())),
        Err(e) => Err(ImageError::NotFound {
            input: input.into(),
            why: e.to_string(),
        }),
    }
}

/// Load any supported input. `progress` sees pulling and unpacking.
pub fn load_image(input: &str, opts: &LoadOptions, progress: &dyn Progress) -> Result<Image> {
    let wanted = opts.platform.clone().unwrap_or_else(Platform::riscv64);
    let image = match parse_input(input)? {
        ImageInput::Path { path, tag } => load_path(&path, tag.as_deref(), &wanted, progress)?,
        ImageInput::Registry(r) => pull(&r, opts, &wanted, progress)?,
    };
    for n in &image.notes {
        progress.note(n);
    }
    Ok(image)
}

#[cfg(feature = "registry")]
fn pull(r: &str, opts: &LoadOptions, wanted: &Platform, progress: &dyn Progress) -> Result<Image> {
    registry::pull(r, &opts.registry, wanted, progress)
}

#[cfg(not(feature = "registry"))]
fn pull(r: &str, _: &LoadOptions, _: &Platform, _: &dyn Progress) -> Result<Image> {
    Err(ImageError::RegistryDisabled(r.to_string()))
}

/// Load a file or directory.
pub fn load_path(
    path: &Path,
    tag: Option<&str>,
    wanted: &Platform,
    progress: &dyn Progress,
) -> Result<Image> {
    let label = path.display().to_string();
    match source::detect(path, &label)? {
        source::Detected::Docker(store) => {
            source::load_docker(&store, &label, tag, wanted, progress)
        }
        source::Detected::Oci(store) => source::load_layout(&store, &label, tag, wanted, progress),
        source::Detected::RootfsTar(b) => source::load_rootfs_tar(&b, &label, progress),
        source::Detected::RootfsDir(dir) => {
            let mut skipped = Skipped::default();
            let tree = Tree::from_dir(&dir, &mut skipped)?;
            Ok(Image {
                tree,
                config: RunConfig::default(),
                config_json: None,
                platform: None,
                kind: SourceKind::RootfsDir,
                digest: None,
                notes: skipped.note().into_iter().collect(),
            })
        }
    }
}

/// What a local image file is, as far as a runner needs to know: a file
/// it can hand to the emulator as it is, or one that needs converting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A friscy runtime image (`FRISCYIM`).
    RuntimeImage,
    /// An uncompressed rootfs tar (no docker-save or OCI layout inside).
    PlainRootfsTar,
    /// Anything else: a directory, a compressed tar, a docker-save archive,
    /// an OCI layout tar; load it with [`load_image`].
    Other,
}

/// Sniff a path without loading it (a tar's headers are scanned, its data
/// skipped). Damaged tars are errors here already.
pub fn probe_path(path: &Path) -> Result<FileKind> {
    let meta = std::fs::metadata(path).map_err(|e| ImageError::io(path, e))?;
    if meta.is_dir() {
        return Ok(FileKind::Other);
    }
    let mut head = Vec::with_capacity(512);
    {
        let f = std::fs::File::open(path).map_err(|e| ImageError::io(path, e))?;
        std::io::Read::read_to_end(&mut std::io::Read::take(f, 512), &mut head)
            .map_err(|e| ImageError::io(path, e))?;
    }
    if format::is_runtime_image(&head) {
        return Ok(FileKind::RuntimeImage);
    }
    if compress::Codec::sniff(&head) != compress::Codec::None {
        return Ok(FileKind::Other);
    }
    let label = path.display().to_string();
    Ok(
        match source::detect_tar(source::Backing::File(path.to_path_buf()), &label)? {
            source::Detected::RootfsTar(_) => FileKind::PlainRootfsTar,
            _ => FileKind::Other,
        },
    )
}

/// Load an archive held in memory (docker save, OCI layout tar, or rootfs
/// tar; gzip/zstd-compressed or not). `label` names it in errors.
pub fn load_bytes(
    bytes: Vec<u8>,
    label: &str,
    tag: Option<&str>,
    wanted: &Platform,
    progress: &dyn Progress,
) -> Result<Image> {
    let bytes = match compress::Codec::sniff(&bytes) {
        compress::Codec::None => bytes,
        codec => {
            let (mut dec, _, _) =
                compress::decoder(&bytes[..]).map_err(|e| ImageError::Decompress {
                    what: label.into(),
                    codec: codec.name(),
                    source: e,
                })?;
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut dec, &mut v).map_err(|e| ImageError::Decompress {
                what: label.into(),
                codec: codec.name(),
                source: e,
            })?;
            v
        }
    };
    match source::detect_tar(source::Backing::Bytes(Arc::new(bytes)), label)? {
        source::Detected::Docker(store) => {
            source::load_docker(&store, label, tag, wanted, progress)
        }
        source::Detected::Oci(store) => source::load_layout(&store, label, tag, wanted, progress),
        source::Detected::RootfsTar(b) => source::load_rootfs_tar(&b, label, progress),
        source::Detected::RootfsDir(_) => unreachable!("bytes are never a directory"),
    }
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(data).into()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}
