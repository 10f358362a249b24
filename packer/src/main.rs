//! `friscy-pack IMAGE -o OUT/`: write `OUT/app.wasm`, a self-contained
//! component (emulator + embedded image + terminal provider) that runs with
//! `wasmtime run OUT/app.wasm [-- CMD ARGS...]`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use friscy_pack::{PackOptions, TERMINAL};

#[derive(Parser)]
#[command(
    name = "friscy-pack",
    version,
    about = "Pack a container image into a self-contained WebAssembly component",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// The image: a plain rootfs tar.
    #[arg(required = true, value_name = "IMAGE")]
    image: Option<PathBuf>,

    /// Output directory (receives app.wasm).
    #[arg(short, long, required = true, value_name = "OUT")]
    output: Option<PathBuf>,

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
            let mut opts = PackOptions::default();
            if let Some(e) = &emulator {
                opts.emulator = e;
            }
            if let Some(t) = &terminal {
                opts.terminal = t;
            }
            let app = friscy_pack::pack_app(&image, &opts)?;
            friscy_pack::write_file(&out.join("app.wasm"), &app)?;
        }
    }
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
