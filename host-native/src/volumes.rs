//! `-v HOST:GUEST[:ro]`: host directories mounted in the guest. Each becomes
//! a wasi:filesystem preopen of the emulator (read-only for `:ro`) and a
//! `-v NAME:GUEST[:ro]` option naming that preopen on the component's
//! command line (component/wasm/src/args.rs).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

/// One `-v` option, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// The host directory (absolute, symlinks resolved).
    pub host: PathBuf,
    /// The preopen's name (the host path, so /proc/mounts shows it).
    pub preopen: String,
    pub guest: String,
    pub readonly: bool,
}

impl Volume {
    /// The component's option for this volume.
    pub fn component_arg(&self) -> String {
        format!(
            "{}:{}{}",
            self.preopen,
            self.guest,
            if self.readonly { ":ro" } else { "" }
        )
    }
}

/// Split `HOST:GUEST[:ro|:rw]`; the guest path follows the last `:`.
fn split(spec: &str) -> Result<(&str, &str, bool)> {
    let (rest, readonly) = if let Some(r) = spec.strip_suffix(":ro") {
        (r, true)
    } else if let Some(r) = spec.strip_suffix(":rw") {
        (r, false)
    } else {
        (spec, false)
    };
    let Some((host, guest)) = rest.rsplit_once(':') else {
        bail!("`-v {spec}` needs HOST:GUEST[:ro] (e.g. `-v ./data:/data`)");
    };
    if host.is_empty() {
        bail!("`-v {spec}` names no host directory before the `:`");
    }
    if !guest.starts_with('/') {
        bail!("`-v {spec}`: the guest path `{guest}` is not absolute; write it as /DIR");
    }
    Ok((host, guest, readonly))
}

/// Check every `-v` option: the host side must be an existing directory.
pub fn parse(specs: &[String]) -> Result<Vec<Volume>> {
    let mut out: Vec<Volume> = Vec::new();
    for spec in specs {
        let (host, guest, readonly) = split(spec)?;
        let meta = std::fs::metadata(host)
            .with_context(|| format!("-v {spec}: the host directory `{host}` cannot be used"))?;
        if !meta.is_dir() {
            bail!("-v {spec}: `{host}` is not a directory; mount a directory");
        }
        let host = std::fs::canonicalize(host)
            .with_context(|| format!("-v {spec}: cannot resolve `{host}`"))?;
        let mut preopen = host.to_string_lossy().into_owned();
        // Each volume gets a preopen of its own (the same directory may be
        // mounted twice, read-only once and writable once).
        if out.iter().any(|v| v.preopen == preopen) {
            preopen = format!("{preopen}#{}", out.len());
        }
        out.push(Volume {
            host,
            preopen,
            guest: guest.to_string(),
            readonly,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_host_directories_and_guest_paths() {
        let tmp = std::env::temp_dir();
        let t = tmp.to_str().unwrap();
        let v = parse(&[format!("{t}:/mnt"), format!("{t}:/ro:ro")]).unwrap();
        let canon = std::fs::canonicalize(&tmp).unwrap();
        assert_eq!(v[0].host, canon);
        assert_eq!(v[0].component_arg(), format!("{}:/mnt", canon.display()));
        assert!(v[1].readonly);
        assert_eq!(
            v[1].component_arg(),
            format!("{}#1:/ro:ro", canon.display())
        );
        let e = format!("{:#}", parse(&["/no/such/dir:/x".into()]).unwrap_err());
        assert!(e.contains("`/no/such/dir`"), "{e}");
        let e = format!("{:#}", parse(&[format!("{t}:rel")]).unwrap_err());
        assert!(e.contains("not absolute"), "{e}");
        assert!(parse(&["nocolon".into()]).is_err());
        let f = std::env::current_exe().unwrap();
        let e = format!("{:#}", parse(&[format!("{}:/x", f.display())]).unwrap_err());
        assert!(e.contains("is not a directory"), "{e}");
    }
}
