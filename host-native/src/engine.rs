//! The emulator component on wasmtime: engine, precompiled-artifact cache,
//! linker (WASI + the native `friscy:*` providers) and the `wasi:cli/run`
//! call.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxView, WasiView};

use crate::providers::ImageFile;
use crate::volumes::Volume;

wasmtime::component::bindgen!({
    path: "../wit",
    world: "friscy:emulator/emulator",
});

#[cfg(friscy_dist)]
const EMULATOR: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../dist/emulator.wasm"
));
#[cfg(friscy_dist)]
const EMULATOR_HASH: &str = env!("FRISCY_EMULATOR_HASH");

#[cfg(not(friscy_dist))]
compile_error!(
    "friscy embeds dist/emulator.wasm, which is missing: build the wasm components first (`just build`)"
);
#[cfg(not(friscy_dist))]
const EMULATOR: &[u8] = &[];
#[cfg(not(friscy_dist))]
const EMULATOR_HASH: &str = "";

/// Per-run host state.
pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    pub image: ImageFile,
    pub stdio: Stdio,
}

/// How the guest's standard streams connect to the host's.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stdio {
    /// `-i`: stdin stays open on the host's (else the guest reads end-of-file).
    pub interactive: bool,
    /// `-t`: the guest gets a terminal.
    pub tty: bool,
}

impl Stdio {
    /// `-it`: the host terminal is raw (the caller holds it so), and the
    /// emulator echoes and signals. Keystrokes only reach the guest with
    /// `-i`; with `-t` alone the host keeps its cooked terminal (and ^C ends
    /// friscy, as docker's signal proxy does).
    pub fn raw(self) -> bool {
        self.tty && self.interactive
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

fn engine() -> Result<Engine> {
    let mut config = Config::new();
    config.concurrency_support(false);
    Engine::new(&config).map_err(|e| anyhow!("cannot set up wasmtime: {e:#}"))
}

/// `$XDG_CACHE_HOME/friscy` or `~/.cache/friscy`.
pub(crate) fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("friscy"))
}

/// The emulator component, compiled once and cached under `~/.cache/friscy/`
/// keyed by the component's hash and wasmtime's compatibility hash (version
/// and configuration). A cache that cannot be read or written is skipped.
fn load_component(engine: &Engine) -> Result<Component> {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let name = format!("emulator-{EMULATOR_HASH}-{:016x}.cwasm", hasher.finish());
    let dir = cache_dir();
    if let Some(path) = dir.as_ref().map(|d| d.join(&name)) {
        if path.is_file() {
            // SAFETY: the file is one we wrote (atomically) with
            // `precompile_component` for this engine configuration; wasmtime
            // still checks its header and compatibility.
            if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
                return Ok(component);
            }
        }
    }
    let compiled = engine
        .precompile_component(EMULATOR)
        .map_err(|e| anyhow!("cannot compile the emulator component: {e:#}"))?;
    if let Some(dir) = dir {
        store_in_cache(&dir, &name, &compiled);
    }
    // SAFETY: `compiled` was just produced by `precompile_component` on this engine.
    unsafe { Component::deserialize(engine, &compiled) }
        .map_err(|e| anyhow!("cannot load the compiled emulator: {e:#}"))
}

/// Write the artifact atomically and drop stale ones; failures only cost
/// start-up time later.
fn store_in_cache(dir: &std::path::Path, name: &str, compiled: &[u8]) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = dir.join(format!("{name}.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, compiled).is_err() || std::fs::rename(&tmp, dir.join(name)).is_err() {
        let _ = std::fs::remove_file(&tmp);
        return;
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let file = entry.file_name();
            let file = file.to_string_lossy();
            if file.starts_with("emulator-") && file.ends_with(".cwasm") && file != name {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// The name of the component's `wasi:cli/run` export (any 0.2.x version).
fn run_export(component: &Component, engine: &Engine) -> Result<String> {
    component
        .component_type()
        .exports(engine)
        .find(|(name, item)| {
            name.starts_with("wasi:cli/run@0.2.")
                && matches!(item.ty, ComponentItem::ComponentInstance(_))
        })
        .map(|(name, _)| name.to_string())
        .ok_or_else(|| anyhow!("the emulator component does not export wasi:cli/run"))
}

fn linker(engine: &Engine) -> Result<Linker<State>> {
    let mut linker: Linker<State> = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
        .map_err(|e| anyhow!("cannot link WASI: {e:#}"))?;
    Emulator::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)
        .map_err(|e| anyhow!("cannot link the friscy imports: {e:#}"))?;
    Ok(linker)
}

fn store(
    engine: &Engine,
    image: ImageFile,
    args: &[String],
    stdio: Stdio,
    volumes: &[Volume],
) -> Result<Store<State>> {
    let mut wasi = WasiCtx::builder();
    // The emulator runs synchronously on this thread: file operations on
    // `-v` mounts block it directly instead of hopping through tokio's
    // blocking pool (about 3x faster per call). Set before the preopens,
    // which take the setting when made.
    wasi.allow_blocking_current_thread(true);
    for v in volumes {
        let perms = if v.readonly {
            FsPerms::ReadOnly
        } else {
            FsPerms::ReadWrite
        };
        wasi.preopened_dir(&v.host, &v.preopen, perms)
            .map_err(|e| anyhow!("-v {}: cannot open {}: {e:#}", v.guest, v.host.display()))?;
    }
    if stdio.interactive {
        wasi.inherit_stdio();
    } else {
        // docker run without -i: the guest's stdin is at end-of-file.
        wasi.inherit_stdout().inherit_stderr();
    }
    wasi.args(args);
    // The emulator's own settings (e.g. FRISCY_STRACE) pass through.
    for (key, value) in std::env::vars() {
        if key.starts_with("FRISCY_") {
            wasi.env(key, value);
        }
    }
    let state = State {
        wasi: wasi.build(),
        table: ResourceTable::new(),
        image,
        stdio,
    };
    Ok(Store::new(engine, state))
}

/// Run the emulator with `args` as its command line; returns the guest's
/// exit status.
pub fn run(image: ImageFile, args: &[String], stdio: Stdio, volumes: &[Volume]) -> Result<u8> {
    let engine = engine()?;
    let component = load_component(&engine)?;
    let linker = linker(&engine)?;
    let mut store = store(&engine, image, args, stdio, volumes)?;

    let export = run_export(&component, &engine)?;
    let instance = linker
        .instantiate(&mut store, &component)
        .map_err(|e| anyhow!("cannot start the emulator: {e:#}"))?;
    let run_index = instance
        .get_export_index(&mut store, None, &export)
        .and_then(|iface| instance.get_export_index(&mut store, Some(&iface), "run"))
        .ok_or_else(|| anyhow!("the emulator's {export} has no `run` function"))?;
    let func = instance
        .get_typed_func::<(), (Result<(), ()>,)>(&mut store, run_index)
        .map_err(|e| anyhow!("the emulator's {export}.run has an unexpected type: {e:#}"))?;
    match func.call(&mut store, ()) {
        Ok((Ok(()),)) => Ok(0),
        Ok((Err(()),)) => Ok(1),
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(exit.0 as u8),
            None => Err(anyhow::Error::from(err)).context("the emulator stopped"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exports::friscy::emulator::session::RunStatus;

    /// A one-file rootfs tar (`etc/motd`), written to a temporary file.
    fn tiny_image(name: &str) -> (PathBuf, ImageFile) {
        let dir = std::env::temp_dir().join(format!("friscy-native-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rootfs.tar");
        let mut header = [0u8; 512];
        header[..8].copy_from_slice(b"etc/motd");
        header[100..108].copy_from_slice(b"0000644\0");
        header[108..116].copy_from_slice(b"0000000\0");
        header[116..124].copy_from_slice(b"0000000\0");
        header[124..136].copy_from_slice(b"00000000003\0");
        header[136..148].copy_from_slice(b"00000000000\0");
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let mut tar = header.to_vec();
        tar.extend_from_slice(b"hi\n");
        tar.resize(512 * 4, 0);
        std::fs::write(&path, tar).unwrap();
        let image = ImageFile::open(&path).unwrap();
        (dir, image)
    }

    #[test]
    fn session_reports_boot_errors_as_output_and_exit_status() {
        let (dir, image) = tiny_image("session");
        let engine = engine().unwrap();
        let component = load_component(&engine).unwrap();
        let linker = linker(&engine).unwrap();
        let mut store = store(
            &engine,
            image,
            &["friscy".to_string()],
            Stdio::default(),
            &[],
        )
        .unwrap();
        let emulator = Emulator::instantiate(&mut store, &component, &linker).unwrap();
        let machine = emulator.friscy_emulator_session().machine();
        let m = machine
            .call_constructor(&mut store, &["/no/such/prog".to_string()], &[])
            .unwrap();
        let status = machine.call_run(&mut store, m, 100_000).unwrap();
        assert!(matches!(status, RunStatus::Exited(127)), "{status:?}");
        let output = machine.call_take_output(&mut store, m).unwrap();
        assert_eq!(output.len(), 1);
        assert_eq!(output[0].fd, 2);
        let text = String::from_utf8_lossy(&output[0].data);
        assert!(
            text.contains("/no/such/prog") && text.ends_with('\n'),
            "{text:?}"
        );
        // Running again keeps reporting the exit; input is ignored.
        machine.call_push_input(&mut store, m, b"x").unwrap();
        let again = machine.call_run(&mut store, m, 1).unwrap();
        assert!(matches!(again, RunStatus::Exited(127)));
        assert!(machine.call_take_output(&mut store, m).unwrap().is_empty());
        m.resource_drop(&mut store).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn wasi_run_export_is_found() {
        let engine = engine().unwrap();
        let component = load_component(&engine).unwrap();
        assert!(run_export(&component, &engine)
            .unwrap()
            .starts_with("wasi:cli/run@0.2."));
    }
}
