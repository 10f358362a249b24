//! Embed dist/emulator.wasm and dist/terminal.wasm when they exist; the
//! library turns their absence into one clear compile error.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(friscy_dist)");
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    let files = ["emulator.wasm", "terminal.wasm"];
    for f in files {
        println!("cargo::rerun-if-changed={}", dist.join(f).display());
    }
    if files.iter().all(|f| dist.join(f).is_file()) {
        println!("cargo::rustc-cfg=friscy_dist");
    }
}
