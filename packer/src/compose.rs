//! Plugging providers into the emulator's `friscy:*` imports with
//! `wac-graph`, so that the result imports WASI only.

use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};
use wasmparser::{Parser, Payload};

use crate::PackError;

/// Compose `emulator` (imports `friscy:emulator/rootfs` and
/// `friscy:emulator/terminal-control`) with a rootfs provider and a
/// terminal provider. The result exports what the emulator exports and
/// imports only `wasi:*` interfaces (checked).
pub fn compose(
    emulator: Vec<u8>,
    rootfs_provider: Vec<u8>,
    terminal_provider: Vec<u8>,
) -> Result<Vec<u8>, PackError> {
    let mut graph = CompositionGraph::new();
    let mut register = |name: &str, what: &str, bytes: Vec<u8>| {
        let package = Package::from_bytes(name, None, bytes, graph.types_mut())
            .map_err(|e| PackError::BadComponent(what.to_string(), format!("{e:#}")))?;
        graph
            .register_package(package)
            .map_err(|e| PackError::Compose(format!("{e:#}")))
    };
    let emulator = register("friscy:emulator-impl", "the emulator component", emulator)?;
    let rootfs = register("friscy:rootfs-impl", "the rootfs provider", rootfs_provider)?;
    let terminal = register(
        "friscy:terminal-impl",
        "the terminal provider",
        terminal_provider,
    )?;
    wac_graph::plug(&mut graph, vec![rootfs, terminal], emulator)
        .map_err(|e| PackError::Compose(format!("{:#}", anyhow::Error::from(e))))?;
    let bytes = graph
        .encode(EncodeOptions {
            define_components: true,
            validate: true,
            processor: None,
        })
        .map_err(|e| PackError::Compose(format!("{:#}", anyhow::Error::from(e))))?;
    let foreign: Vec<String> = component_imports(&bytes)?
        .into_iter()
        .filter(|name| !name.starts_with("wasi:"))
        .collect();
    if !foreign.is_empty() {
        return Err(PackError::Compose(format!(
            "the composed component still imports {}",
            foreign.join(", ")
        )));
    }
    Ok(bytes)
}

/// The names of a component's top-level imports.
pub fn component_imports(component: &[u8]) -> Result<Vec<String>, PackError> {
    let bad = |e: wasmparser::BinaryReaderError| {
        PackError::BadComponent("the component".into(), e.to_string())
    };
    let mut names = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(component) {
        match payload.map_err(bad)? {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    names.push(import.map_err(bad)?.name.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(names)
}
