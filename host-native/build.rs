//! Embed dist/emulator.wasm (built first by `just build`) and hash it once
//! here, so start-up can find the precompiled artifact without hashing.

use std::hash::{Hash, Hasher};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(friscy_dist)");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist/emulator.wasm");
    println!("cargo::rerun-if-changed={}", path.display());
    let Ok(bytes) = std::fs::read(&path) else {
        return;
    };
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    println!(
        "cargo::rustc-env=FRISCY_EMULATOR_HASH={:016x}",
        hasher.finish()
    );
    println!("cargo::rustc-cfg=friscy_dist");
}
