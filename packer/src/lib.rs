//! friscy's packer: turns a container image into a self-contained
//! `app.wasm` (the emulator composed with a provider that embeds the image,
//! plus the default terminal provider), and composes `dist/friscy.wasm`.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

pub mod compose;
pub mod embed;

pub use compose::{component_imports, compose};
pub use embed::{rootfs_provider, ImageFormat};

/// Errors of the packer library. Each displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: is a directory; give a rootfs tar (e.g. `tar -C DIR -cf rootfs.tar .`)")]
    IsDirectory(PathBuf),
    #[error(
        "{0}: not a rootfs tar or a friscy runtime image (friscy-pack takes one of those for now)"
    )]
    NotTar(PathBuf),
    #[error("the image is {0} bytes; an embedded image can be at most 4 GiB - 1")]
    ImageTooLarge(u64),
    #[error("the image config JSON is larger than 4 GiB")]
    ConfigTooLarge,
    #[error("not enough memory to build a {0}-byte component")]
    OutOfMemory(u64),
    #[error("{0} is not a usable component: {1}")]
    BadComponent(String, String),
    #[error("composing the components failed: {0}")]
    Compose(String),
    #[error("internal error: {0}")]
    Internal(String),
}

#[cfg(friscy_dist)]
mod dist {
    /// `dist/emulator.wasm`, embedded at build time.
    pub const EMULATOR: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dist/emulator.wasm"
    ));
    /// `dist/terminal.wasm`, embedded at build time.
    pub const TERMINAL: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dist/terminal.wasm"
    ));
}

#[cfg(not(friscy_dist))]
mod dist {
    compile_error!(
        "friscy-pack embeds dist/emulator.wasm and dist/terminal.wasm, which are missing: \
         build the wasm components first (`just build`)"
    );
    pub const EMULATOR: &[u8] = &[];
    pub const TERMINAL: &[u8] = &[];
}

pub use dist::{EMULATOR, TERMINAL};

/// The first bytes of a friscy runtime image (`friscy_image::format::MAGIC`).
const RUNTIME_IMAGE_MAGIC: &[u8; 8] = b"FRISCYIM";

/// Does this look like a tar archive? (a valid first header checksum)
fn looks_like_tar(header: &[u8]) -> bool {
    if header.len() < 512 {
        return false;
    }
    let text = std::str::from_utf8(&header[148..156]).unwrap_or("");
    let Ok(stored) = u32::from_str_radix(text.trim_matches([' ', '\0']), 8) else {
        return false;
    };
    let field = 148..156;
    let unsigned: u32 = header[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if field.contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(b)
            }
        })
        .sum();
    // Some old tars summed signed bytes.
    let signed: i64 = header[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if field.contains(&i) {
                i64::from(b' ')
            } else {
                i64::from(b as i8)
            }
        })
        .sum();
    unsigned == stored || signed == i64::from(stored)
}

/// What to pack.
pub struct PackOptions<'a> {
    /// The emulator component (default: the embedded `dist/emulator.wasm`).
    pub emulator: &'a [u8],
    /// The terminal provider (default: the embedded `dist/terminal.wasm`).
    pub terminal: &'a [u8],
}

impl Default for PackOptions<'_> {
    fn default() -> Self {
        PackOptions {
            emulator: EMULATOR,
            terminal: TERMINAL,
        }
    }
}

/// Build `app.wasm` bytes from a rootfs tar or a friscy runtime image file: the emulator composed with
/// a provider embedding the image, and the terminal provider.
pub fn pack_app(image: &Path, opts: &PackOptions) -> Result<Vec<u8>, PackError> {
    let io = |e| PackError::Io(image.display().to_string(), e);
    let meta = std::fs::metadata(image).map_err(io)?;
    if meta.is_dir() {
        return Err(PackError::IsDirectory(image.to_path_buf()));
    }
    let mut file = BufReader::with_capacity(1 << 20, File::open(image).map_err(io)?);
    let mut header = Vec::with_capacity(512);
    (&mut file).take(512).read_to_end(&mut header).map_err(io)?;
    let format = if header.starts_with(RUNTIME_IMAGE_MAGIC) {
        ImageFormat::Friscy
    } else if looks_like_tar(&header) {
        ImageFormat::Tar
    } else {
        return Err(PackError::NotTar(image.to_path_buf()));
    };
    let mut reader = (&header[..]).chain(file);
    let provider = rootfs_provider(&mut reader, meta.len(), format, None)?;
    compose(opts.emulator.to_vec(), provider, opts.terminal.to_vec())
}

/// Write `bytes` to `path` atomically (a temporary file renamed into place).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), PackError> {
    let io = |e| PackError::Io(path.display().to_string(), e);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::looks_like_tar;

    #[test]
    fn tar_header_checksum() {
        let mut h = [0u8; 512];
        h[..5].copy_from_slice(b"hello");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum::<u32>() + 8 * u32::from(b' ');
        let field = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(field.as_bytes());
        assert!(looks_like_tar(&h));
        h[0] = b'j';
        assert!(!looks_like_tar(&h));
        assert!(!looks_like_tar(&[0u8; 100]));
    }
}
