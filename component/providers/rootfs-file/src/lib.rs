//! `friscy:emulator/rootfs` from an image file: the path comes from
//! `--image PATH` in the component's own command line (a composed component
//! sees the same CLI arguments as the emulator), read with `std::fs` through
//! the wasmtime CLI's `--dir` preopens. A runtime image or a plain rootfs tar
//! is read in place; any other input `friscy-image` loads (a `docker save`
//! archive, an OCI layout directory or tar, a compressed tar, a rootfs
//! directory; `--platform` picks from a multi-arch index) is converted into
//! a runtime image in memory at start.

use std::cell::RefCell;
use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::{Duration, Instant};

use friscy_image::{ChunkCodec, FileKind, ImageInput, Platform, Progress, WriteOptions};

#[allow(missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "friscy:emulator/rootfs-provider",
    });
}

use bindings::exports::friscy::emulator::rootfs::{Guest, ImageFormat, ImageInfo};

/// Where the image's bytes are: the file itself (a runtime image or a plain
/// rootfs tar), or a runtime image converted in memory from anything else.
enum Bytes {
    File(File),
    Memory(Vec<u8>),
}

struct Image {
    bytes: Bytes,
    size: u64,
    format: ImageFormat,
}

thread_local! {
    static IMAGE: RefCell<Option<Result<Image, String>>> = const { RefCell::new(None) };
}

/// The emulator's options that take a value (component/wasm/src/args.rs):
/// their values are skipped while looking for `--image` and `--platform`.
const VALUE_OPTIONS: &[&str] = &[
    "--image",
    "--platform",
    "-e",
    "--env",
    "-w",
    "--workdir",
    "-u",
    "--user",
    "--entrypoint",
    "-m",
    "--memory",
    "-v",
    "--volume",
];

/// Find `NAME VALUE` / `NAME=VALUE` among the options (which end at `--`
/// or at the first word that is not an option, as the emulator parses them).
fn option_value(args: impl IntoIterator<Item = String>, name: &str) -> Option<String> {
    let mut args = args.into_iter();
    let inline = format!("{name}=");
    while let Some(arg) = args.next() {
        if arg == "--" || !arg.starts_with('-') || arg == "-" {
            return None;
        }
        if arg == name {
            return args.next();
        }
        if let Some(value) = arg.strip_prefix(&inline) {
            return Some(value.to_string());
        }
        if VALUE_OPTIONS.contains(&arg.as_str()) {
            args.next();
        }
    }
    None
}

const DIR_HINT: &str = "give wasmtime access to its directory with `--dir DIR` (e.g. `wasmtime run --dir . friscy.wasm --image ./app.tar`)";

fn open_image() -> Result<Image, String> {
    let args = || std::env::args().skip(1);
    let input = option_value(args(), "--image").ok_or_else(|| {
        "no image given: pass `--image PATH` after the component \
         (wasmtime run --dir DIR friscy.wasm --image PATH -- COMMAND ARGS...)"
            .to_string()
    })?;
    let platform = option_value(args(), "--platform")
        .map(|p| {
            p.parse::<Platform>()
                .map_err(|e| format!("--platform: {e}"))
        })
        .transpose()?
        .unwrap_or_else(Platform::riscv64);
    let path = Path::new(&input);
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return convert(path, None, &platform),
        Err(e) if e.kind() == ErrorKind::NotFound => return tagged(&input, &platform),
        Err(e) => return Err(format!("{input}: {e}; {DIR_HINT}")),
    }
    match friscy_image::probe_path(path).map_err(|e| e.to_string())? {
        FileKind::RuntimeImage => serve_file(&input, ImageFormat::Friscy),
        // The emulator indexes a plain tar in place, faster than converting.
        FileKind::PlainRootfsTar => serve_file(&input, ImageFormat::Tar),
        FileKind::Other => convert(path, None, &platform),
    }
}

/// An input that is not a visible path: `ARCHIVE:TAG` (or `oci:DIR:TAG`,
/// ...), a registry reference, or a path the component cannot see.
fn tagged(input: &str, platform: &Platform) -> Result<Image, String> {
    match friscy_image::parse_input(input) {
        Ok(ImageInput::Path { path, tag }) => convert(&path, tag.as_deref(), platform),
        Ok(ImageInput::Registry(_)) => Err(format!(
            "{input}: no such file, or not visible to the component; {DIR_HINT}. \
             Registry references are pulled by `friscy run` and `friscy-pack`, not inside Wasm"
        )),
        Err(_) => Err(format!(
            "{input}: no such file, or not visible to the component; {DIR_HINT}"
        )),
    }
}

fn serve_file(path: &str, format: ImageFormat) -> Result<Image, String> {
    let file = File::open(path).map_err(|e| format!("{path}: {e}; {DIR_HINT}"))?;
    let size = file.metadata().map_err(|e| format!("{path}: {e}"))?.len();
    Ok(Image {
        bytes: Bytes::File(file),
        size,
        format,
    })
}

/// Load a container image (docker save, OCI layout, compressed rootfs tar,
/// directory) and write it as a runtime image in memory.
fn convert(path: &Path, tag: Option<&str>, platform: &Platform) -> Result<Image, String> {
    let progress = Stages::new();
    let image = friscy_image::load_path(path, tag, platform, &progress).map_err(|e| {
        match &e {
            // cap-std, under wasmtime's preopens, refuses to read a symlink
            // whose target is absolute, as a rootfs has many of.
            friscy_image::ImageError::Io { source, .. }
                if path.is_dir() && source.kind() == ErrorKind::PermissionDenied =>
            {
                format!(
                    "{e}; wasmtime does not let a component read absolute symlinks, \
                     so give it the directory as a tar (`tar -C {0} -cf rootfs.tar .`) \
                     or run it with `friscy run {0}`",
                    path.display()
                )
            }
            _ => e.to_string(),
        }
    })?;
    for note in &image.notes {
        progress.note(note);
    }
    // Stored 64 KiB chunks: the bytes never leave memory, so compressing
    // them would only cost time.
    let write = WriteOptions {
        codec: ChunkCodec::Stored,
        chunk_size: 64 * 1024,
        name: None,
        threads: 1,
    };
    let bytes = friscy_image::write_runtime_image(&image, &write, &progress)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if progress.start.elapsed() > SLOW {
        eprintln!(
            "friscy: converted {} in {:.1} s; `friscy-pack` makes an image that starts at once",
            path.display(),
            progress.start.elapsed().as_secs_f64()
        );
    }
    Ok(Image {
        size: bytes.len() as u64,
        bytes: Bytes::Memory(bytes),
        format: ImageFormat::Friscy,
    })
}

/// A conversion this slow says what it is doing.
const SLOW: Duration = Duration::from_millis(500);

/// Progress on stderr, one line per stage, once the conversion is slow
/// enough to need it (a small image converts silently).
struct Stages {
    start: Instant,
}

impl Stages {
    fn new() -> Stages {
        Stages {
            start: Instant::now(),
        }
    }
}

impl Progress for Stages {
    fn stage(&self, name: &str, total: Option<u64>) {
        if self.start.elapsed() > SLOW || total.is_some_and(|t| t > 32 << 20) {
            match total {
                Some(t) => eprintln!("friscy: {name} ({:.1} MiB)", t as f64 / 1048576.0),
                None => eprintln!("friscy: {name}"),
            }
        }
    }
    fn advance(&self, _: u64) {}
    fn done(&self) {}
    fn note(&self, msg: &str) {
        eprintln!("friscy: {msg}");
    }
}

fn with_image<R>(f: impl FnOnce(&mut Image) -> Result<R, String>) -> Result<R, String> {
    IMAGE.with(|cell| {
        let mut slot = cell.borrow_mut();
        match slot.get_or_insert_with(open_image) {
            Ok(image) => f(image),
            Err(msg) => Err(msg.clone()),
        }
    })
}

struct Provider;

impl Guest for Provider {
    fn info() -> Result<ImageInfo, String> {
        with_image(|image| {
            Ok(ImageInfo {
                size: image.size,
                format: image.format,
                config: None,
            })
        })
    }

    fn read(offset: u64, len: u32) -> Result<Vec<u8>, String> {
        with_image(|image| {
            if offset >= image.size {
                return Ok(Vec::new());
            }
            let want = u64::from(len).min(image.size - offset) as usize;
            let file = match &mut image.bytes {
                Bytes::Memory(bytes) => {
                    let at = offset as usize;
                    return Ok(bytes[at..at + want].to_vec());
                }
                Bytes::File(file) => file,
            };
            let mut buf = vec![0u8; want];
            file.seek(SeekFrom::Start(offset))
                .map_err(|e| format!("reading the image at {offset}: {e}"))?;
            let mut done = 0;
            while done < want {
                match file.read(&mut buf[done..]) {
                    Ok(0) => break,
                    Ok(n) => done += n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(format!("reading the image at {offset}: {e}")),
                }
            }
            buf.truncate(done);
            Ok(buf)
        })
    }
}

bindings::export!(Provider with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::option_value;

    fn a(args: &[&str]) -> Option<String> {
        option_value(args.iter().map(|s| s.to_string()), "--image")
    }

    #[test]
    fn finds_image_before_the_command() {
        assert_eq!(
            a(&["--image", "x.tar", "--", "/bin/sh"]),
            Some("x.tar".into())
        );
        assert_eq!(a(&["-e", "A=1", "--image=/y.tar"]), Some("/y.tar".into()));
        assert_eq!(
            a(&["-w", "/app", "-u", "1", "--image", "z"]),
            Some("z".into())
        );
        assert_eq!(a(&["-e", "--image", "z"]), None);
        assert_eq!(
            a(&["-v", "/d:/mnt", "--volume", "/e:/x:ro", "--image", "z"]),
            Some("z".into())
        );
        assert_eq!(a(&["--", "--image", "x.tar"]), None);
        assert_eq!(a(&["prog", "--image", "x.tar"]), None);
        assert_eq!(a(&[]), None);
        assert_eq!(
            a(&["--platform", "--image", "--image", "y"]),
            Some("y".into()),
            "--platform takes a value"
        );
        let p = |args: &[&str]| option_value(args.iter().map(|s| s.to_string()), "--platform");
        assert_eq!(
            p(&["--image", "--platform", "--platform=linux/amd64"]),
            Some("linux/amd64".into())
        );
    }
}
