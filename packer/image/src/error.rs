//! One typed error for everything that can go wrong with an image. Every
//! variant names what it was looking at (file, blob, layer, path) so the
//! message alone tells the user where the problem is.

use std::io;
use std::path::PathBuf;

/// Why an image could not be loaded, pulled or written. `Display` is one
/// user-facing line.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{input}: no such file or directory, and not a registry reference ({why})")]
    NotFound { input: String, why: String },
    #[error("{input}: not a container image: {why}")]
    NotAnImage { input: String, why: String },
    #[error("{what}: damaged tar archive near entry {entry}: {source}")]
    Tar {
        what: String,
        entry: usize,
        #[source]
        source: io::Error,
    },
    #[error("{what}: bad {codec} stream: {source}")]
    Decompress {
        what: String,
        codec: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("{what}: {file} is missing from the image")]
    MissingFile { what: String, file: String },
    #[error("{what}: blob {digest} is missing (referenced by {by})")]
    MissingBlob {
        what: String,
        digest: String,
        by: String,
    },
    #[error("{what}: digest mismatch for {name}: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        name: String,
        expected: String,
        actual: String,
    },
    #[error("{what}: unsupported digest {digest} (only sha256 is supported)")]
    UnsupportedDigest { what: String, digest: String },
    #[error("{what}: bad JSON in {file}: {why}")]
    Json {
        what: String,
        file: String,
        why: String,
    },
    #[error("{what}: {why}")]
    Manifest { what: String, why: String },
    #[error("layer {layer}: entry {path:?} escapes the image root ({why}); refusing this layer")]
    PathEscape {
        layer: String,
        path: String,
        why: &'static str,
    },
    #[error("layer {layer}: entry {path:?} would be written through the symlink {symlink:?}; refusing this layer")]
    SymlinkParent {
        layer: String,
        path: String,
        symlink: String,
    },
    #[error("layer {layer}: hard link {path:?} points at {target:?}, which {why}")]
    BadHardLink {
        layer: String,
        path: String,
        target: String,
        why: &'static str,
    },
    #[error(
        "{what} is a {found} image; friscy runs linux/riscv64 images. \
         Pick the riscv64 variant with `--platform linux/riscv64` (for a multi-arch image) \
         or build the image for riscv64"
    )]
    WrongPlatform {
        what: String,
        found: String,
        wanted: String,
    },
    #[error(
        "{what} has no {wanted} image; it has: {}. Pick one with `--platform` \
         (friscy runs linux/riscv64)", available.join(", ")
    )]
    NoSuchPlatform {
        what: String,
        wanted: String,
        available: Vec<String>,
    },
    #[error("bad platform {0:?}: expected OS/ARCH[/VARIANT], e.g. linux/riscv64")]
    BadPlatform(String),
    #[error("{what}: several images ({}); name one as {what}:TAG", names.join(", "))]
    Ambiguous { what: String, names: Vec<String> },
    #[error("bad image reference {reference:?}: {why}")]
    BadReference { reference: String, why: String },
    #[error("registry support is not built in (the `registry` feature); cannot pull {0}")]
    RegistryDisabled(String),
    #[error("{registry}: authentication failed for {repository} (HTTP {status}){hint}")]
    RegistryAuth {
        registry: String,
        repository: String,
        status: u16,
        hint: String,
    },
    #[error("{url}: registry answered HTTP {status}{}", body_hint(message))]
    RegistryStatus {
        url: String,
        status: u16,
        message: String,
    },
    #[error("{url}: {why}")]
    RegistryNetwork { url: String, why: String },
    #[error("runtime image: {0}")]
    Format(String),
}

fn body_hint(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

impl ImageError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> ImageError {
        ImageError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = ImageError> = std::result::Result<T, E>;
