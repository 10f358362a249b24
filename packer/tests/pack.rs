//! The embedded-image provider returns exact byte ranges; composition
//! leaves only WASI imports; packing is reproducible; app.wasm runs.

use friscy_pack::{component_imports, compose, rootfs_provider, ImageFormat, PackOptions};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};

mod provider {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "friscy:emulator/rootfs-provider",
    });
}
use provider::exports::friscy::emulator::rootfs::ImageFormat as WitFormat;

fn engine() -> Engine {
    let mut config = Config::new();
    config.concurrency_support(false);
    Engine::new(&config).unwrap()
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

struct Provider {
    store: Store<()>,
    bindings: provider::RootfsProvider,
}

impl Provider {
    fn new(image: &[u8], format: ImageFormat, config: Option<&str>) -> Provider {
        let bytes = rootfs_provider(&mut &image[..], image.len() as u64, format, config).unwrap();
        let engine = engine();
        let component = Component::new(&engine, &bytes).unwrap();
        let linker = Linker::new(&engine);
        let mut store = Store::new(&engine, ());
        let bindings =
            provider::RootfsProvider::instantiate(&mut store, &component, &linker).unwrap();
        Provider { store, bindings }
    }

    fn read(&mut self, offset: u64, len: u32) -> Vec<u8> {
        self.bindings
            .friscy_emulator_rootfs()
            .call_read(&mut self.store, offset, len)
            .unwrap()
            .unwrap()
    }
}

#[test]
fn embedded_provider_reads_exact_ranges() {
    let image = pattern(300_001);
    let size = image.len() as u64;
    let config = r#"{"config":{"Env":["PATH=/bin"]}}"#;
    let mut p = Provider::new(&image, ImageFormat::Tar, Some(config));

    let info = p
        .bindings
        .friscy_emulator_rootfs()
        .call_info(&mut p.store)
        .unwrap()
        .unwrap();
    assert_eq!(info.size, size);
    assert_eq!(info.format, WitFormat::Tar);
    assert_eq!(info.config.as_deref(), Some(config));

    assert_eq!(p.read(0, 10), &image[..10]);
    assert_eq!(p.read(1000, 70_000), &image[1000..71_000]);
    assert_eq!(p.read(size - 5, 10), &image[image.len() - 5..]);
    assert_eq!(p.read(size - 1, 1), &image[image.len() - 1..]);
    assert_eq!(p.read(0, u32::MAX), image);
    assert!(p.read(size, 10).is_empty());
    assert!(p.read(size + 4096, 10).is_empty());
    assert!(p.read(1 << 40, 10).is_empty());
    assert!(p.read(u64::MAX, u32::MAX).is_empty());
    assert!(p.read(5, 0).is_empty());
    // Reads after a large one still see the right bytes.
    assert_eq!(p.read(12_345, 3), &image[12_345..12_348]);
}

#[test]
fn embedded_provider_without_config_and_empty_image() {
    let mut p = Provider::new(&[], ImageFormat::Friscy, None);
    let info = p
        .bindings
        .friscy_emulator_rootfs()
        .call_info(&mut p.store)
        .unwrap()
        .unwrap();
    assert_eq!(
        (info.size, info.format, info.config),
        (0, WitFormat::Friscy, None)
    );
    assert!(p.read(0, 100).is_empty());
}

#[test]
fn provider_is_reproducible() {
    let image = pattern(70_000);
    let build =
        || rootfs_provider(&mut &image[..], image.len() as u64, ImageFormat::Tar, None).unwrap();
    assert_eq!(build(), build());
}

#[test]
fn short_image_input_is_an_error_not_a_panic() {
    let image = pattern(100);
    let err = rootfs_provider(&mut &image[..], 200, ImageFormat::Tar, None).unwrap_err();
    assert!(err.to_string().contains("reading the image"), "{err}");
}

fn rootfs_tar(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("rootfs.tar");
    let mut builder = tar::Builder::new(std::fs::File::create(&path).unwrap());
    let mut header = tar::Header::new_gnu();
    let data = b"#!/bin/sh\necho hello\n";
    header.set_size(data.len() as u64);
    header.set_mode(0o755);
    header.set_cksum();
    builder
        .append_data(&mut header, "bin/hello", &data[..])
        .unwrap();
    builder.finish().unwrap();
    path
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("friscy-pack-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn app_imports_only_wasi_and_is_reproducible() {
    let dir = temp_dir("app");
    let tar = rootfs_tar(&dir);
    let a = friscy_pack::pack_app(&tar, &PackOptions::default()).unwrap();
    let b = friscy_pack::pack_app(&tar, &PackOptions::default()).unwrap();
    assert!(a == b, "packing twice gave different bytes");
    let imports = component_imports(&a).unwrap();
    assert!(!imports.is_empty());
    assert!(
        imports.iter().all(|i| i.starts_with("wasi:")),
        "{imports:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dist_friscy_composition_imports_only_wasi() {
    let rootfs = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dist/rootfs-file.wasm"
    ))
    .expect("dist/rootfs-file.wasm (built by `just build`)");
    let bytes = compose(
        friscy_pack::EMULATOR.to_vec(),
        rootfs,
        friscy_pack::TERMINAL.to_vec(),
    )
    .unwrap();
    let imports = component_imports(&bytes).unwrap();
    assert!(
        imports.iter().all(|i| i.starts_with("wasi:")),
        "{imports:?}"
    );
    // The emulator itself imports the friscy interfaces that got plugged.
    let emulator_imports = component_imports(friscy_pack::EMULATOR).unwrap();
    assert!(emulator_imports
        .iter()
        .any(|i| i.starts_with("friscy:emulator/rootfs@")));
    assert!(emulator_imports
        .iter()
        .any(|i| i.starts_with("friscy:emulator/terminal-control@")));
}

#[test]
fn bad_inputs_are_clear_errors() {
    let dir = temp_dir("bad");
    let missing = dir.join("missing.tar");
    let err = friscy_pack::pack_app(&missing, &PackOptions::default()).unwrap_err();
    assert!(err.to_string().contains("missing.tar"), "{err}");
    let not_tar = dir.join("x.txt");
    std::fs::write(&not_tar, vec![b'x'; 2000]).unwrap();
    let err = friscy_pack::pack_app(&not_tar, &PackOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("x.txt") && err.to_string().contains("not a container image"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

struct Wasi {
    ctx: wasmtime_wasi::WasiCtx,
    table: ResourceTable,
}

impl wasmtime_wasi::WasiView for Wasi {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// app.wasm runs under plain WASI and ends with an exit status (never a
/// trap): for a command missing from the image, a `friscy: ...` line.
#[test]
fn app_runs_under_wasi_and_exits_with_a_status() {
    let dir = temp_dir("run");
    let tar = rootfs_tar(&dir);
    let app = friscy_pack::pack_app(&tar, &PackOptions::default()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let engine = engine();
    let component = Component::new(&engine, &app).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let stderr = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(1 << 16);
    let ctx = wasmtime_wasi::WasiCtx::builder()
        .args(&["app.wasm", "--", "/no/such/command"])
        .stderr(stderr.clone())
        .build();
    let mut store = Store::new(
        &engine,
        Wasi {
            ctx,
            table: ResourceTable::new(),
        },
    );
    let command =
        wasmtime_wasi::p2::bindings::sync::Command::instantiate(&mut store, &component, &linker)
            .unwrap();
    let err = command
        .wasi_cli_run()
        .call_run(&mut store)
        .expect_err("the guest exits through exit-with-code");
    let exit = err
        .downcast_ref::<wasmtime_wasi::I32Exit>()
        .unwrap_or_else(|| panic!("not an exit: {err:?}"));
    assert!(matches!(exit.0, 125..=127), "status {}", exit.0);
    let text = String::from_utf8(stderr.contents().to_vec()).unwrap();
    assert!(
        text.starts_with("friscy: ") && text.ends_with('\n'),
        "{text:?}"
    );
}
