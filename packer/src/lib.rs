//! friscy's packer: turns a container image (any input `friscy_image`
//! loads) into a self-contained `app.wasm` (the emulator composed with a
//! provider that embeds the image in the runtime format, plus the default
//! terminal provider) and a static web bundle (`web/`), and composes
//! `dist/friscy.wasm`.

use std::path::{Path, PathBuf};

use friscy_image::{
    format, load_image, probe_path, FileKind, ImageInput, LoadOptions, Platform, Progress,
    RegistryOptions, RunConfig, WriteOptions,
};

pub mod compose;
pub mod embed;
pub mod web;

pub use compose::{component_imports, compose};
pub use embed::{rootfs_provider, ImageFormat};

/// Errors of the packer library. Each displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error(transparent)]
    Image(#[from] friscy_image::ImageError),
    #[error("friscy-pack was built without the web page (host-browser/dist); build it with `just build`")]
    NoWebAssets,
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

/// What to pack.
pub struct PackOptions<'a> {
    /// The emulator component (default: the embedded `dist/emulator.wasm`).
    pub emulator: &'a [u8],
    /// The terminal provider (default: the embedded `dist/terminal.wasm`).
    pub terminal: &'a [u8],
    /// The platform to pick (default linux/riscv64).
    pub platform: Option<Platform>,
    /// The image's name in the bundle (default: from the input).
    pub name: Option<String>,
    /// How to pull registry references.
    pub registry: RegistryOptions,
}

impl Default for PackOptions<'_> {
    fn default() -> Self {
        PackOptions {
            emulator: EMULATOR,
            terminal: TERMINAL,
            platform: None,
            name: None,
            registry: RegistryOptions::default(),
        }
    }
}

/// An image in friscy's runtime format, with what the web manifest shows.
pub struct RuntimeImage {
    /// The `FRISCYIM` bytes.
    pub bytes: Vec<u8>,
    pub name: String,
    /// Entrypoint, Cmd, Env, WorkingDir, User of the image config.
    pub config: RunConfig,
    /// The platform the image config declares, when it has one.
    pub platform: Option<String>,
}

/// A name for the image from the input: `app.tar` -> `app`,
/// `registry:5000/ns/app:v1` -> `app:v1`.
pub fn default_name(input: &str) -> String {
    let trimmed = input.trim_end_matches('/');
    let name = match friscy_image::parse_input(input) {
        Ok(ImageInput::Registry(r)) => r.rsplit('/').next().unwrap_or(&r).to_string(),
        _ => {
            let base = Path::new(trimmed)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut base = base.as_str();
            for ext in [".gz", ".tgz", ".zst", ".tar", ".oci", ".fimg"] {
                base = base.strip_suffix(ext).unwrap_or(base);
            }
            base.to_string()
        }
    };
    if name.is_empty() {
        "image".to_string()
    } else {
        name
    }
}

/// Load `input` (a docker-save archive, an OCI layout, a rootfs tar or
/// directory, a registry reference, or a runtime image, used as it is) and
/// write it in the runtime format. The same input gives the same bytes.
pub fn load(
    input: &str,
    opts: &PackOptions,
    progress: &dyn Progress,
) -> Result<RuntimeImage, PackError> {
    let name = opts.name.clone().unwrap_or_else(|| default_name(input));
    let path = Path::new(input);
    if path.is_file() && probe_path(path)? == FileKind::RuntimeImage {
        let bytes =
            std::fs::read(path).map_err(|e| PackError::Io(path.display().to_string(), e))?;
        let json = format::read_config(&mut |at, buf| {
            let at = (at as usize).min(bytes.len());
            let n = buf.len().min(bytes.len() - at);
            buf[..n].copy_from_slice(&bytes[at..at + n]);
            Ok(n)
        })?;
        let (config, platform) = match &json {
            Some(j) => (RunConfig::from_json(j.as_bytes())?, config_platform(j)),
            None => (RunConfig::default(), None),
        };
        return Ok(RuntimeImage {
            bytes,
            name,
            config,
            platform,
        });
    }
    let load = LoadOptions {
        platform: opts.platform.clone(),
        registry: opts.registry.clone(),
    };
    let image = load_image(input, &load, progress)?;
    let write = WriteOptions {
        name: Some(name.clone()),
        ..WriteOptions::pack()
    };
    let bytes = friscy_image::write_runtime_image(&image, &write, progress)?;
    Ok(RuntimeImage {
        bytes,
        name,
        config: image.config,
        platform: image.platform.map(|p| p.to_string()),
    })
}

fn config_platform(json: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let os = v.get("os")?.as_str()?;
    let arch = v.get("architecture")?.as_str()?;
    let variant = v.get("variant").and_then(|v| v.as_str());
    Some(Platform::from_parts(os, arch, variant).to_string())
}

/// `app.wasm` for a runtime image: the emulator composed with a provider
/// embedding it, and the terminal provider.
pub fn app_wasm(image: &RuntimeImage, opts: &PackOptions) -> Result<Vec<u8>, PackError> {
    let provider = rootfs_provider(
        &mut &image.bytes[..],
        image.bytes.len() as u64,
        ImageFormat::Friscy,
        None,
    )?;
    compose(opts.emulator.to_vec(), provider, opts.terminal.to_vec())
}

/// Build `app.wasm` bytes from any image input (see [`load`]).
pub fn pack_app(image: &Path, opts: &PackOptions) -> Result<Vec<u8>, PackError> {
    let input = image.to_string_lossy();
    let image = load(&input, opts, &friscy_image::NoProgress)?;
    app_wasm(&image, opts)
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
