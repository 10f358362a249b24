//! The `friscy:*` imports, provided natively: the image file and the
//! terminal.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::engine::friscy::emulator::{rootfs, terminal_control};
use crate::engine::State;

/// The image bytes behind `rootfs::read`: a file used as it is (a rootfs tar
/// or a runtime image), or a runtime image converted into memory.
enum Backing {
    File(File),
    Memory(Vec<u8>),
}

/// The image, opened (and checked) before the component starts.
pub struct ImageFile {
    path: PathBuf,
    backing: Backing,
    size: u64,
    format: rootfs::ImageFormat,
}

impl ImageFile {
    /// A file the emulator reads directly: a rootfs tar or a runtime image.
    pub fn open(path: &Path) -> Result<ImageFile> {
        let meta = std::fs::metadata(path)
            .with_context(|| format!("cannot open the image {}", path.display()))?;
        if meta.is_dir() {
            bail!(
                "{} is a directory; give an image file (a rootfs tar, e.g. from `tar -C DIR -cf rootfs.tar .`)",
                path.display()
            );
        }
        let file = File::open(path)
            .with_context(|| format!("cannot open the image {}", path.display()))?;
        let mut magic = [0u8; 8];
        let format = match file.read_exact_at(&mut magic, 0) {
            Ok(()) if &magic == b"FRISCYIM" => rootfs::ImageFormat::Friscy,
            _ => rootfs::ImageFormat::Tar,
        };
        Ok(ImageFile {
            path: path.to_path_buf(),
            backing: Backing::File(file),
            size: meta.len(),
            format,
        })
    }

    /// Name the image `name` in errors (a cached conversion of `name`).
    pub fn named(mut self, name: &str) -> ImageFile {
        self.path = PathBuf::from(name);
        self
    }

    /// A runtime image held in memory; `name` labels it in errors.
    pub fn runtime_image(name: &str, bytes: Vec<u8>) -> ImageFile {
        ImageFile {
            path: PathBuf::from(name),
            size: bytes.len() as u64,
            backing: Backing::Memory(bytes),
            format: rootfs::ImageFormat::Friscy,
        }
    }
}

impl rootfs::Host for State {
    fn info(&mut self) -> Result<rootfs::ImageInfo, String> {
        Ok(rootfs::ImageInfo {
            size: self.image.size,
            format: self.image.format,
            config: None,
        })
    }

    fn read(&mut self, offset: u64, len: u32) -> Result<Vec<u8>, String> {
        let image = &self.image;
        if offset >= image.size {
            return Ok(Vec::new());
        }
        let want = u64::from(len).min(image.size - offset) as usize;
        let file = match &image.backing {
            Backing::Memory(bytes) => {
                let start = offset as usize;
                return Ok(bytes[start..start + want].to_vec());
            }
            Backing::File(file) => file,
        };
        let mut buf = vec![0u8; want];
        let mut done = 0;
        while done < want {
            match file.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(format!(
                        "{}: read at offset {}: {e}",
                        image.path.display(),
                        offset + done as u64
                    ))
                }
            }
        }
        buf.truncate(done);
        Ok(buf)
    }
}

impl terminal_control::Host for State {
    /// A terminal only with `-t` (as `docker run`): without it the guest's
    /// stdio are plain streams even when the host's are a terminal.
    fn window_size(&mut self) -> Option<(u16, u16)> {
        if !self.stdio.tty {
            return None;
        }
        match rustix::termios::tcgetwinsize(std::io::stdout()) {
            Ok(ws) if ws.ws_row > 0 && ws.ws_col > 0 => Some((ws.ws_row, ws.ws_col)),
            _ => Some((24, 80)),
        }
    }

    /// The host terminal is raw under `-it`: the emulator echoes.
    fn host_echoes(&mut self) -> bool {
        !self.stdio.raw()
    }
}
