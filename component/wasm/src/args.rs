//! Command line of the `wasi:cli/run` driver:
//! `[--image PATH] [-e K=V]... [-v PREOPEN:GUEST[:ro]]... [-m SIZE] [--] [CMD ARGS...]`.
//!
//! `--image` belongs to the rootfs provider composed in front of the
//! emulator (it reads the same CLI arguments); the emulator skips it and its
//! value. Options end at `--` or at the first argument that is not an
//! option, so the guest command may take options of its own.
//!
//! The rootfs-file provider scans the same command line for `--image` and
//! must skip the values of the same options: keep its `VALUE_OPTIONS` in
//! sync with the options that take a value here.

/// What the command line asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `-e`/`--env` settings, in order.
    pub env: Vec<(String, String)>,
    /// The guest command and its arguments (empty: the image's entrypoint).
    pub command: Vec<String>,
    /// `--image PATH` (read by the rootfs provider; kept here to name it in errors).
    pub image: Option<String>,
    /// `-w`/`--workdir`: the guest's working directory.
    pub workdir: Option<String>,
    /// `-u`/`--user`: user[:group] to run as.
    pub user: Option<String>,
    /// `--entrypoint`: replaces the image's Entrypoint (and drops its Cmd).
    pub entrypoint: Option<String>,
    /// `-v`/`--volume`: host directories (wasi:filesystem preopens) to mount.
    pub volumes: Vec<Volume>,
    /// `-m`/`--memory`: bytes for the guest's processes and the files of
    /// its writable layer together.
    pub memory: Option<u64>,
    /// `-h`/`--help` was given.
    pub help: bool,
}

/// The least `--memory` a Linux userland starts in.
const MIN_MEMORY: u64 = 16 << 20;
/// The most `--memory` that leaves the emulator room in a 32-bit
/// WebAssembly memory (4 GiB in all).
const MAX_MEMORY: u64 = 3 << 30;

/// Parse `-m SIZE` as `docker run -m` does: a number of bytes with an
/// optional `b`, `k`, `m` or `g` suffix.
pub fn memory(spec: &str) -> Result<u64, String> {
    let t = spec.trim().to_ascii_lowercase();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t.as_str(), ""),
    };
    let shift = match unit {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => u32::MAX,
    };
    let bytes = digits
        .parse::<u64>()
        .ok()
        .filter(|_| shift != u32::MAX)
        .and_then(|n| n.checked_mul(1 << shift.min(30)));
    match bytes {
        None => Err(format!(
            "friscy: `--memory {spec}` is not a size; write e.g. `-m 512m` or `-m 2g`"
        )),
        Some(b) if b < MIN_MEMORY => Err(format!(
            "friscy: `--memory {spec}` is too small; give at least 16m"
        )),
        Some(b) if b > MAX_MEMORY => Err(format!(
            "friscy: `--memory {spec}` is too large; at most 3g fits beside the emulator \
             in a 32-bit WebAssembly memory"
        )),
        Some(b) => Ok(b),
    }
}

/// `-v PREOPEN:GUEST[:ro]`: mount the preopen named PREOPEN at GUEST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// The preopen's name, as the host gave it (`wasmtime run --dir HOST::NAME`).
    pub preopen: String,
    /// Absolute guest path.
    pub guest: String,
    pub readonly: bool,
}

/// Parse `PREOPEN:GUEST[:ro|:rw]`. The guest path is what follows the last
/// `:` (after an `:ro`/`:rw` suffix), so a preopen name may hold colons.
pub fn volume(spec: &str) -> Result<Volume, String> {
    let (rest, readonly) = if let Some(r) = spec.strip_suffix(":ro") {
        (r, true)
    } else if let Some(r) = spec.strip_suffix(":rw") {
        (r, false)
    } else {
        (spec, false)
    };
    let Some((preopen, guest)) = rest.rsplit_once(':') else {
        return Err(format!(
            "friscy: `-v {spec}` needs PREOPEN:GUEST[:ro] (e.g. `-v /data:/mnt/data` after `wasmtime run --dir ./data::/data`)"
        ));
    };
    if preopen.is_empty() {
        return Err(format!(
            "friscy: `-v {spec}` names no preopened directory before the `:`"
        ));
    }
    if !guest.starts_with('/') {
        return Err(format!(
            "friscy: `-v {spec}`: the guest path `{guest}` is not absolute; write it as /DIR"
        ));
    }
    Ok(Volume {
        preopen: preopen.to_string(),
        guest: guest.to_string(),
        readonly,
    })
}

pub const USAGE: &str = "usage: friscy.wasm [--image PATH] [OPTIONS] [--] [COMMAND [ARG...]]
  --image PATH             the container image: a `docker save` archive, an OCI layout
                           (directory or tar; `PATH:TAG` picks one of several), a rootfs
                           tar (optionally gzip/zstd) or directory, or a friscy runtime
                           image (`.fimg`); with the wasmtime CLI, make its directory
                           visible with `wasmtime run --dir DIR ...`
  --platform OS/ARCH       the image to pick from a multi-arch index (default linux/riscv64)
  -e, --env KEY=VALUE      set an environment variable in the guest (`-e KEY` copies the
                           component's own KEY, e.g. from `wasmtime run --env KEY=VALUE`)
  -w, --workdir DIR        working directory in the guest
  -u, --user USER[:GROUP]  user to run as
  --entrypoint PROG        replace the image's entrypoint (`\"\"` clears it)
  -m, --memory SIZE        memory for the guest's processes and the files it writes,
                           together (e.g. `512m`, `2g`; default 1g, at most 3g)
  -v, --volume PREOPEN:GUEST[:ro]
                           mount the directory the host preopened as PREOPEN at GUEST
                           (`wasmtime run --dir ./data::/data friscy.wasm ... -v /data:/mnt`);
                           `:ro` makes it read-only
  --                       end of friscy's options; the guest command follows";

/// Parse the arguments after argv[0]. `lookup_env` resolves `-e KEY`.
pub fn parse<I, F>(args: I, lookup_env: F) -> Result<Options, String>
where
    I: IntoIterator<Item = String>,
    F: Fn(&str) -> Option<String>,
{
    let mut opts = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if !arg.starts_with('-') || arg == "-" {
            opts.command.push(arg);
            break;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("friscy: option `{name}` needs a value; see `--help`"))
        };
        match flag.as_str() {
            "--image" => {
                opts.image = Some(value("--image")?);
            }
            // The rootfs provider reads it from the same command line.
            "--platform" => {
                value("--platform")?;
            }
            "-e" | "--env" => {
                let setting = value(&flag)?;
                if let Some(kv) = env_setting(&setting, &lookup_env)? {
                    opts.env.push(kv);
                }
            }
            "-w" | "--workdir" => opts.workdir = Some(value(&flag)?),
            "-u" | "--user" => opts.user = Some(value(&flag)?),
            "--entrypoint" => opts.entrypoint = Some(value(&flag)?),
            "-v" | "--volume" => opts.volumes.push(volume(&value(&flag)?)?),
            "-m" | "--memory" => opts.memory = Some(memory(&value(&flag)?)?),
            "-h" | "--help" => opts.help = true,
            _ if flag.starts_with("-e") && flag.len() > 2 && inline.is_none() => {
                // `-eKEY=VALUE`
                if let Some(kv) = env_setting(&flag[2..], &lookup_env)? {
                    opts.env.push(kv);
                }
            }
            _ => {
                return Err(format!(
                    "friscy: unknown option `{arg}`; put the guest command after `--` \
                     (friscy.wasm [--image PATH] [-e KEY=VALUE]... -- COMMAND ARGS...)"
                ))
            }
        }
    }
    opts.command.extend(args);
    Ok(opts)
}

/// `KEY=VALUE`, or `KEY` taken from our own environment (skipped when unset,
/// as `docker run -e KEY` does).
fn env_setting<F>(setting: &str, lookup_env: &F) -> Result<Option<(String, String)>, String>
where
    F: Fn(&str) -> Option<String>,
{
    let (key, value) = match setting.split_once('=') {
        Some((k, v)) => (k, Some(v.to_string())),
        None => (setting, None),
    };
    if key.is_empty() {
        return Err(format!(
            "friscy: `-e {setting}` has no variable name; write `-e KEY=VALUE`"
        ));
    }
    Ok(value
        .or_else(|| lookup_env(key))
        .map(|v| (key.to_string(), v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes() {
        assert_eq!(memory("2g"), Ok(2 << 30));
        assert_eq!(memory("512M"), Ok(512 << 20));
        assert_eq!(memory("100000000"), Ok(100_000_000));
        assert_eq!(p(&["-m", "64m", "sh"]).unwrap().memory, Some(64 << 20));
        assert_eq!(p(&["--memory=1g", "sh"]).unwrap().memory, Some(1 << 30));
        for bad in ["", "g", "2x", "1.5g", "-1"] {
            assert!(memory(bad).unwrap_err().contains("is not a size"), "{bad}");
        }
        assert!(memory("4g").unwrap_err().contains("at most 3g"));
        assert!(memory("1m").unwrap_err().contains("at least 16m"));
        assert!(memory("99999999999999g")
            .unwrap_err()
            .contains("is not a size"));
    }

    fn p(args: &[&str]) -> Result<Options, String> {
        parse(args.iter().map(|s| s.to_string()), |k| {
            (k == "HOSTVAR").then(|| "fromhost".to_string())
        })
    }

    #[test]
    fn image_env_and_command() {
        let o = p(&[
            "--image",
            "x.tar",
            "-e",
            "A=1",
            "--env=B=2=3",
            "-eC=",
            "--",
            "/bin/sh",
            "-c",
            "echo",
        ])
        .unwrap();
        assert_eq!(
            o.env,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "2=3".into()),
                ("C".into(), "".into())
            ]
        );
        assert_eq!(o.command, vec!["/bin/sh", "-c", "echo"]);
    }

    #[test]
    fn workdir_user_entrypoint() {
        let o = p(&["-w", "/app", "--user=1000:1000", "--entrypoint", "", "x"]).unwrap();
        assert_eq!(o.workdir.as_deref(), Some("/app"));
        assert_eq!(o.user.as_deref(), Some("1000:1000"));
        assert_eq!(o.entrypoint.as_deref(), Some(""));
        assert_eq!(o.command, vec!["x"]);
    }

    #[test]
    fn options_stop_at_first_command_word() {
        // --platform is the provider's: taken with its value, then ignored.
        let o = p(&["--platform", "linux/riscv64", "--image", "x", "sh"]).unwrap();
        assert_eq!(o.image.as_deref(), Some("x"));
        assert_eq!(o.command, vec!["sh"]);
        let o = p(&["--image=x", "python3", "-c", "--image"]).unwrap();
        assert_eq!(o.command, vec!["python3", "-c", "--image"]);
        assert!(o.env.is_empty());
    }

    #[test]
    fn env_from_host_or_skipped() {
        let o = p(&["-e", "HOSTVAR", "-e", "UNSET"]).unwrap();
        assert_eq!(o.env, vec![("HOSTVAR".into(), "fromhost".into())]);
        assert!(o.command.is_empty());
    }

    #[test]
    fn volumes() {
        let o = p(&[
            "-v",
            "/data:/mnt/data",
            "--volume=c:d:/x:ro",
            "-v",
            "a:/b:rw",
            "ls",
        ])
        .unwrap();
        let v = |p: &str, g: &str, ro| Volume {
            preopen: p.into(),
            guest: g.into(),
            readonly: ro,
        };
        assert_eq!(
            o.volumes,
            vec![
                v("/data", "/mnt/data", false),
                v("c:d", "/x", true),
                v("a", "/b", false)
            ]
        );
        assert_eq!(o.command, vec!["ls"]);
        let e = p(&["-v", "/data:mnt"]).unwrap_err();
        assert!(e.contains("`mnt` is not absolute"), "{e}");
        assert!(p(&["-v", ":/x"])
            .unwrap_err()
            .contains("no preopened directory"));
        assert!(p(&["-v", "/data"]).unwrap_err().contains("PREOPEN:GUEST"));
    }

    #[test]
    fn errors_are_one_line() {
        for bad in [
            &["-x"][..],
            &["--image"],
            &["-e", "=v"],
            &["--bogus=1"],
            &["-v", "x"],
        ] {
            let e = p(bad).unwrap_err();
            assert!(e.starts_with("friscy: ") && !e.contains('\n'), "{e}");
        }
    }
}
