//! `friscy-pack IMAGE -o OUT/`: write `OUT/app.wasm`, a self-contained
//! component (emulator + embedded image + terminal provider) that runs with
//! `wasmtime run OUT/app.wasm [-- CMD ARGS...]`, and `OUT/web/`, a static
//! site running the image in a browser terminal.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use friscy_image::progress::Bars;
use friscy_image::{Platform, Progress};
use friscy_pack::{PackError, PackOptions, TERMINAL};

#[derive(Parser)]
#[command(
    name = "friscy-pack",
    version,
    about = "Pack a container image into a self-contained WebAssembly component and a web page",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// The image: a `docker save` archive, an OCI layout (directory or tar), a
    /// rootfs tar or directory, a friscy runtime image, or a registry reference
    /// (`alpine`, `127.0.0.1:5000/app:tag`).
    #[arg(required = true, value_name = "IMAGE")]
    image: Option<String>,

    /// Output directory (receives app.wasm and web/).
    #[arg(short, long, required = true, value_name = "OUT")]
    output: Option<PathBuf>,

    /// The platform to pick from a multi-platform image (`OS/ARCH[/VARIANT]`).
    #[arg(long, value_name = "PLATFORM", default_value = "linux/riscv64")]
    platform: String,

    /// The image's name in the bundle (default: from IMAGE).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,

    /// Use this emulator component instead of the built-in one.
    #[arg(long, hide = true, value_name = "PATH")]
    emulator: Option<PathBuf>,

    /// Use this terminal provider instead of the built-in one.
    #[arg(long, hide = true, value_name = "PATH")]
    terminal: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Compose dist/friscy.wasm from the emulator and the two providers
    /// (used by the build).
    #[command(hide = true)]
    ComposeDist {
        #[arg(long, value_name = "PATH")]
        emulator: PathBuf,
        #[arg(long, value_name = "PATH")]
        rootfs: PathBuf,
        #[arg(long, value_name = "PATH")]
        terminal: Option<PathBuf>,
        #[arg(short, long, value_name = "PATH")]
        output: PathBuf,
    },
    /// Print a component's imports, one a line; with `--wasi-only`, fail
    /// when any is not a `wasi:*` interface (used by the build).
    #[command(hide = true)]
    Imports {
        component: PathBuf,
        #[arg(long)]
        wasi_only: bool,
    },
}

fn read(path: &PathBuf, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::ComposeDist {
            emulator,
            rootfs,
            terminal,
            output,
        }) => {
            let terminal = match terminal {
                Some(path) => read(&path, "the terminal provider")?,
                None => TERMINAL.to_vec(),
            };
            let bytes = friscy_pack::compose(
                read(&emulator, "the emulator component")?,
                read(&rootfs, "the rootfs provider")?,
                terminal,
            )?;
            friscy_pack::write_file(&output, &bytes)?;
        }
        Some(Command::Imports {
            component,
            wasi_only,
        }) => {
            let imports = friscy_pack::component_imports(&read(&component, "the component")?)?;
            for name in &imports {
                println!("{name}");
            }
            let foreign: Vec<&str> = imports
                .iter()
                .map(String::as_str)
                .filter(|n| !n.starts_with("wasi:"))
                .collect();
            if wasi_only && !foreign.is_empty() {
                anyhow::bail!(
                    "{} imports non-WASI interfaces: {}",
                    component.display(),
                    foreign.join(", ")
                );
            }
        }
        None => {
            let (Some(image), Some(out)) = (cli.image, cli.output) else {
                anyhow::bail!("give an IMAGE and `-o OUT` (see --help)");
            };
            let emulator = cli
                .emulator
                .map(|p| read(&p, "the emulator component"))
                .transpose()?;
            let terminal = cli
                .terminal
                .map(|p| read(&p, "the terminal provider"))
                .transpose()?;
            let mut opts = PackOptions {
                platform: Some(cli.platform.parse::<Platform>().context("--platform")?),
                name: cli.name,
                ..PackOptions::default()
            };
            if let Some(e) = &emulator {
                opts.emulator = e;
            }
            if let Some(t) = &terminal {
                opts.terminal = t;
            }
            pack(&image, &out, &opts)?;
        }
    }
    Ok(())
}

/// Load, convert and write everything; nothing is written before the image
/// has loaded and converted.
fn pack(input: &str, out: &std::path::Path, opts: &PackOptions) -> Result<()> {
    let bars = Bars::new();
    let image = friscy_pack::load(input, opts, &bars)
        .with_context(|| format!("cannot load the image {input}"))?;
    bars.stage("composing app.wasm", None);
    let app = friscy_pack::app_wasm(&image, opts)?;
    bars.done();
    friscy_pack::write_file(&out.join("app.wasm"), &app)?;
    let web = match friscy_pack::web::write_web(&out.join("web"), &image) {
        Ok(()) => format!(" and {}", out.join("web").display()),
        Err(PackError::NoWebAssets) => {
            eprintln!("friscy-pack: warning: {}", PackError::NoWebAssets);
            String::new()
        }
        Err(e) => return Err(e.into()),
    };
    let mib = |n: usize| n as f64 / 1048576.0;
    eprintln!(
        "friscy-pack: {} ({}, image {:.1} MiB): wrote {} ({:.1} MiB){web}",
        image.name,
        image.platform.as_deref().unwrap_or("rootfs"),
        mib(image.bytes.len()),
        out.join("app.wasm").display(),
        mib(app.len()),
    );
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("friscy-pack: {err:#}");
            ExitCode::FAILURE
        }
    }
}
