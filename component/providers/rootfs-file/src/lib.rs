//! `friscy:emulator/rootfs` from an image file: the path comes from
//! `--image PATH` in the component's own command line (a composed component
//! sees the same CLI arguments as the emulator), read with `std::fs` through
//! the wasmtime CLI's `--dir` preopens.

use std::cell::RefCell;
use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};

#[allow(missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "friscy:emulator/rootfs-provider",
    });
}

use bindings::exports::friscy::emulator::rootfs::{Guest, ImageFormat, ImageInfo};

struct Image {
    file: File,
    size: u64,
    format: ImageFormat,
}

thread_local! {
    static IMAGE: RefCell<Option<Result<Image, String>>> = const { RefCell::new(None) };
}

/// The emulator's options that take a value (component/wasm/src/args.rs):
/// their values are skipped while looking for `--image`.
const VALUE_OPTIONS: &[&str] = &[
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

/// Find `--image PATH` / `--image=PATH` among the options (which end at `--`
/// or at the first word that is not an option, as the emulator parses them).
fn image_arg(args: impl IntoIterator<Item = String>) -> Option<String> {
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--" || !arg.starts_with('-') || arg == "-" {
            return None;
        }
        if arg == "--image" {
            return args.next();
        }
        if let Some(path) = arg.strip_prefix("--image=") {
            return Some(path.to_string());
        }
        if VALUE_OPTIONS.contains(&arg.as_str()) {
            args.next();
        }
    }
    None
}

fn open_image() -> Result<Image, String> {
    let path = image_arg(std::env::args().skip(1)).ok_or_else(|| {
        "no image given: pass `--image PATH` after the component \
         (wasmtime run --dir DIR friscy.wasm --image PATH -- COMMAND ARGS...)"
            .to_string()
    })?;
    let hint = "give wasmtime access to its directory with `--dir DIR` (e.g. `wasmtime run --dir . friscy.wasm --image ./app.tar`)";
    let file = File::open(&path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => {
            format!("{path}: no such file, or not visible to the component; {hint}")
        }
        _ => format!("{path}: {e}; {hint}"),
    })?;
    let meta = file.metadata().map_err(|e| format!("{path}: {e}"))?;
    if meta.is_dir() {
        return Err(format!(
            "{path} is a directory; friscy.wasm needs an image file (a rootfs tar, e.g. from `tar -C DIR -cf rootfs.tar .`)"
        ));
    }
    let mut file = file;
    let mut magic = [0u8; 8];
    let format = match file.read_exact(&mut magic) {
        Ok(()) if &magic == b"FRISCYIM" => ImageFormat::Friscy,
        _ => ImageFormat::Tar,
    };
    Ok(Image {
        file,
        size: meta.len(),
        format,
    })
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
            let mut buf = vec![0u8; want];
            image
                .file
                .seek(SeekFrom::Start(offset))
                .map_err(|e| format!("reading the image at {offset}: {e}"))?;
            let mut done = 0;
            while done < want {
                match image.file.read(&mut buf[done..]) {
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
    use super::image_arg;

    fn a(args: &[&str]) -> Option<String> {
        image_arg(args.iter().map(|s| s.to_string()))
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
    }
}
