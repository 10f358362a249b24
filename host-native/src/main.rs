//! `friscy`: the native runner. `friscy run IMAGE [-e K=V]... [-- CMD ARGS...]`
//! loads IMAGE (any input `image.rs` takes), runs the embedded emulator component (`dist/emulator.wasm`) on wasmtime
//! with WASI from wasmtime-wasi, the image and terminal control provided
//! natively, and exits with the guest's exit status.

mod engine;
mod image;
mod providers;
mod tty;
mod volumes;

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "friscy",
    version,
    about = "Run Linux RISC-V container images on WebAssembly"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a command in an image (like `docker run`).
    Run(RunArgs),
}

#[derive(Args)]
struct RunArgs {
    /// Set an environment variable in the guest (`-e KEY` copies the host's KEY).
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,

    /// Working directory in the guest.
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    workdir: Option<String>,

    /// User to run as (`USER[:GROUP]`, names or ids).
    #[arg(short = 'u', long = "user", value_name = "USER")]
    user: Option<String>,

    /// Keep the guest's standard input open on the host's (as `docker run -i`);
    /// without it the guest reads end-of-file.
    #[arg(short = 'i', long = "interactive")]
    interactive: bool,

    /// Give the guest a terminal (as `docker run -t`): the host terminal goes
    /// raw, so ^C, ^Z and ^D reach the guest; restored when friscy ends.
    #[arg(short = 't', long = "tty")]
    tty: bool,

    /// Mount a host directory in the guest (`HOST:GUEST`, `:ro` for
    /// read-only); repeatable.
    #[arg(short = 'v', long = "volume", value_name = "HOST:GUEST[:ro]")]
    volume: Vec<String>,

    /// Memory for the guest's processes and the files it writes, together
    /// (`512m`, `2g`; default 1g, at most 3g).
    #[arg(short = 'm', long = "memory", value_name = "SIZE")]
    memory: Option<String>,

    /// Replace the image's entrypoint (`""` clears it).
    #[arg(long, value_name = "PROG")]
    entrypoint: Option<String>,

    /// The platform to pick from a multi-platform image (`OS/ARCH[/VARIANT]`).
    #[arg(long, value_name = "PLATFORM", default_value = "linux/riscv64")]
    platform: String,

    /// The image: a `docker save` archive, an OCI layout (directory or tar), a
    /// rootfs tar or directory, a friscy runtime image, or a registry reference
    /// (`alpine`, `127.0.0.1:5000/app:tag`).
    #[arg(value_name = "IMAGE")]
    image: String,

    /// The command to run and its arguments (default: the image's entrypoint).
    #[arg(
        value_name = "CMD",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    command: Vec<OsString>,
}

/// The component's command line: `friscy [-e K=V]... [-v NAME:GUEST]... -- CMD ARGS...`.
fn component_args(run: &RunArgs, volumes: &[volumes::Volume]) -> Result<Vec<String>> {
    let mut args = vec!["friscy".to_string()];
    // Names the image in the emulator's error messages (the host provides it).
    args.extend(["--image".to_string(), run.image.clone()]);
    for setting in &run.env {
        match setting.split_once('=') {
            Some(("", _)) => {
                anyhow::bail!("`-e {setting}` has no variable name; write `-e KEY=VALUE`")
            }
            Some(_) => args.extend(["-e".to_string(), setting.clone()]),
            None if setting.is_empty() => anyhow::bail!("`-e` needs KEY=VALUE"),
            // `docker run -e KEY`: the host's value, or nothing when unset.
            None => {
                if let Ok(value) = std::env::var(setting) {
                    args.extend(["-e".to_string(), format!("{setting}={value}")]);
                }
            }
        }
    }
    for (flag, value) in [
        ("-w", &run.workdir),
        ("-u", &run.user),
        ("--entrypoint", &run.entrypoint),
        ("--memory", &run.memory),
    ] {
        if let Some(value) = value {
            args.extend([flag.to_string(), value.clone()]);
        }
    }
    for v in volumes {
        args.extend(["-v".to_string(), v.component_arg()]);
    }
    args.push("--".to_string());
    for word in &run.command {
        let word = word
            .to_str()
            .ok_or_else(|| anyhow::anyhow!("the command argument {word:?} is not valid UTF-8"))?;
        args.push(word.to_string());
    }
    Ok(args)
}

fn run(run: RunArgs) -> Result<u8> {
    // Bad -v options are reported before the image is opened or pulled.
    let volumes = volumes::parse(&run.volume)?;
    let image = image::open(&run.image, Some(&run.platform))?;
    let args = component_args(&run, &volumes)?;
    let tty = run.tty && tty::host_is_terminal();
    if run.tty && !tty {
        eprintln!("friscy: -t: standard input or output is not a terminal; running without one");
    }
    let stdio = engine::Stdio {
        interactive: run.interactive,
        tty,
    };
    let _raw = if stdio.raw() {
        Some(tty::RawMode::enter()?)
    } else {
        None
    };
    engine::run(image, &args, stdio, &volumes)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Usage errors exit 125 (as `docker run` does); help and version 0.
            let status = if err.use_stderr() { 125 } else { 0 };
            let _ = err.print();
            return ExitCode::from(status);
        }
    };
    let result = match cli.command {
        Command::Run(args) => run(args),
    };
    match result {
        Ok(status) => ExitCode::from(status),
        Err(err) => {
            eprintln!("friscy: {err:#}");
            ExitCode::from(125)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cli: &[&str]) -> Result<Vec<String>> {
        let Command::Run(run) = Cli::try_parse_from(cli).unwrap().command;
        let volumes = volumes::parse(&run.volume)?;
        component_args(&run, &volumes)
    }

    #[test]
    fn command_after_image_with_or_without_dashes() {
        assert_eq!(
            args(&["friscy", "run", "-e", "A=1", "img.tar", "--", "ls", "-l"]).unwrap(),
            ["friscy", "--image", "img.tar", "-e", "A=1", "--", "ls", "-l"]
        );
        assert_eq!(
            args(&["friscy", "run", "img.tar", "sh", "-c", "echo -e x"]).unwrap(),
            [
                "friscy",
                "--image",
                "img.tar",
                "--",
                "sh",
                "-c",
                "echo -e x"
            ]
        );
        assert_eq!(
            args(&["friscy", "run", "img.tar"]).unwrap(),
            ["friscy", "--image", "img.tar", "--"]
        );
    }

    #[test]
    fn env_without_value_comes_from_the_host() {
        std::env::set_var("FRISCY_TEST_HOST_VAR", "v");
        assert_eq!(
            args(&[
                "friscy",
                "run",
                "-e",
                "FRISCY_TEST_HOST_VAR",
                "-e",
                "FRISCY_TEST_UNSET",
                "i"
            ])
            .unwrap(),
            [
                "friscy",
                "--image",
                "i",
                "-e",
                "FRISCY_TEST_HOST_VAR=v",
                "--"
            ]
        );
        assert!(args(&["friscy", "run", "-e", "=x", "i"]).is_err());
    }

    #[test]
    fn volumes_become_preopen_options() {
        let tmp = std::env::temp_dir();
        let canon = std::fs::canonicalize(&tmp).unwrap();
        let spec = format!("{}:/data:ro", tmp.display());
        assert_eq!(
            args(&["friscy", "run", "-v", &spec, "img", "ls"]).unwrap(),
            [
                "friscy".to_string(),
                "--image".into(),
                "img".into(),
                "-v".into(),
                format!("{}:/data:ro", canon.display()),
                "--".into(),
                "ls".into()
            ]
        );
        let e = format!(
            "{:#}",
            args(&["friscy", "run", "-v", "/no/such:/d", "img"]).unwrap_err()
        );
        assert!(e.contains("/no/such"), "{e}");
    }
}
