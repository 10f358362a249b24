//! `OUT/web/`: a static site that runs the image in a browser. The page,
//! Worker, driver, xterm.js and the transpiled emulator come from
//! `host-browser/dist/` (embedded at build time); the bundle adds the image
//! in the runtime format (`image.fimg`) and `manifest.json`, which the page
//! reads to find the image and show its command.

use std::path::Path;

use sha2::Digest as _;

use crate::{write_file, PackError, RuntimeImage};

#[cfg(friscy_web)]
include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// The page's files (path relative to `web/`, bytes); empty when
/// friscy-pack was built before `host-browser/dist/` existed.
#[cfg(not(friscy_web))]
pub const WEB_ASSETS: &[(&str, &[u8])] = &[];

/// The image file's name inside `web/`.
pub const IMAGE_FILE: &str = "image.fimg";

/// `manifest.json`: the image's name, file, size, digest, platform and
/// config (as the image has it; the emulator applies it).
pub fn manifest(image: &RuntimeImage) -> Vec<u8> {
    let digest = sha2::Sha256::digest(&image.bytes);
    let c = &image.config;
    let env: Vec<String> = c.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let json = serde_json::json!({
        "name": image.name,
        "image": IMAGE_FILE,
        "imageSize": image.bytes.len(),
        "imageSha256": digest.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        "platform": image.platform,
        "config": {
            "Entrypoint": c.entrypoint,
            "Cmd": c.cmd,
            "Env": env,
            "WorkingDir": c.working_dir,
            "User": c.user,
            "ExposedPorts": c.exposed_ports,
        },
        "friscyVersion": env!("CARGO_PKG_VERSION"),
    });
    let mut bytes = serde_json::to_vec_pretty(&json).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Write the site into `dir` (files of an earlier bundle that the page no
/// longer has are removed only when `dir` holds a bundle's manifest).
pub fn write_web(dir: &Path, image: &RuntimeImage) -> Result<(), PackError> {
    if WEB_ASSETS.is_empty() {
        return Err(PackError::NoWebAssets);
    }
    if dir.join("manifest.json").is_file() {
        std::fs::remove_dir_all(dir).map_err(|e| PackError::Io(dir.display().to_string(), e))?;
    }
    for (rel, bytes) in WEB_ASSETS {
        if *rel == "index.html" {
            write_file(&dir.join(rel), &mark_bundle(bytes))?;
        } else {
            write_file(&dir.join(rel), bytes)?;
        }
    }
    write_file(&dir.join(IMAGE_FILE), &image.bytes)?;
    write_file(&dir.join("manifest.json"), &manifest(image))
}

/// The page fetches `manifest.json` only when its `<head>` says it is a
/// bundle: the plain page (host-browser/dist) has none, and a 404 would be a
/// console error for every visitor.
fn mark_bundle(index_html: &[u8]) -> Vec<u8> {
    let html = String::from_utf8_lossy(index_html);
    html.replacen(
        "<head>",
        "<head>\n    <meta name=\"friscy-manifest\" content=\"manifest.json\">",
        1,
    )
    .into_bytes()
}
