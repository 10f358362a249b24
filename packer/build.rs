//! Embed dist/emulator.wasm and dist/terminal.wasm when they exist (the
//! library turns their absence into one clear compile error), and the
//! browser page host-browser/dist/ (built by `npm run build`) when it
//! exists, for `OUT/web/`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(friscy_dist)");
    println!("cargo::rustc-check-cfg=cfg(friscy_web)");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dist = root.join("dist");
    let files = ["emulator.wasm", "terminal.wasm"];
    for f in files {
        println!("cargo::rerun-if-changed={}", dist.join(f).display());
    }
    if files.iter().all(|f| dist.join(f).is_file()) {
        println!("cargo::rustc-cfg=friscy_dist");
    }

    let web = root.join("host-browser/dist");
    if web.join("index.html").is_file() {
        println!("cargo::rerun-if-changed={}", web.display());
        let mut found = Vec::new();
        walk(&web, &web, &mut found);
        found.sort();
        let mut code = String::from("pub const WEB_ASSETS: &[(&str, &[u8])] = &[\n");
        for (rel, abs) in &found {
            let _ = writeln!(
                code,
                "    ({rel:?}, include_bytes!({:?})),",
                abs.display().to_string()
            );
        }
        code.push_str("];\n");
        let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("web_assets.rs");
        std::fs::write(out, code).expect("write web_assets.rs");
        println!("cargo::rustc-cfg=friscy_web");
    } else {
        // Rebuild once the page exists.
        println!(
            "cargo::rerun-if-changed={}",
            root.join("host-browser").display()
        );
    }
}

/// Every file of the page but images a developer copied in.
fn walk(base: &Path, dir: &Path, found: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(base, &path, found);
            continue;
        }
        let rel = path
            .strip_prefix(base)
            .expect("under base")
            .to_string_lossy()
            .replace('\\', "/");
        let skip = rel == "rootfs.tar" || rel == "manifest.json" || rel.ends_with(".fimg");
        if !skip {
            found.push((rel, path));
        }
    }
}
