//! The parts of the OCI image config that decide how a container starts,
//! and `docker run`'s rules for overriding them.

use oci_spec::image::ImageConfiguration;

use crate::error::{ImageError, Result};

/// Entrypoint, Cmd, Env, WorkingDir, User and ExposedPorts of an image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunConfig {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// In image order; `KEY=VALUE` split at the first `=`.
    pub env: Vec<(String, String)>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    /// Sorted, e.g. `80/tcp`.
    pub exposed_ports: Vec<String>,
}

/// What the user gave on the command line (`docker run` flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOverrides {
    /// `--entrypoint X` (a single word as in docker; `""` clears it). It
    /// also clears the image's Cmd, as docker does.
    pub entrypoint: Option<String>,
    /// The words after `--` (or after the image): replaces Cmd when given.
    pub cmd: Option<Vec<String>>,
    /// `-e KEY=VALUE`, in order: added to, or overriding, the image's Env.
    pub env: Vec<(String, String)>,
    /// `-w DIR`.
    pub working_dir: Option<String>,
    /// `-u USER[:GROUP]`.
    pub user: Option<String>,
}

/// The merged result: what to start, where and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSpec {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    /// `/` when neither the image nor the user names one.
    pub working_dir: String,
    /// `None`: root (as docker, when the image has no User).
    pub user: Option<String>,
}

impl RunConfig {
    pub fn from_oci(cfg: &ImageConfiguration) -> RunConfig {
        let Some(c) = cfg.config() else {
            return RunConfig::default();
        };
        let mut ports = c.exposed_ports().clone().unwrap_or_default();
        ports.sort();
        RunConfig {
            entrypoint: c.entrypoint().clone().unwrap_or_default(),
            cmd: c.cmd().clone().unwrap_or_default(),
            env: c.env().iter().flatten().map(|kv| split_env(kv)).collect(),
            working_dir: c.working_dir().clone().filter(|w| !w.is_empty()),
            user: c.user().clone().filter(|u| !u.is_empty()),
            exposed_ports: ports,
        }
    }

    /// From image-config JSON (as the runtime image and the rootfs WIT
    /// interface carry it).
    pub fn from_json(json: &[u8]) -> Result<RunConfig> {
        let cfg = parse_config(json, "image config")?;
        Ok(RunConfig::from_oci(&cfg))
    }

    /// Apply `docker run`'s rules. Fails when no command results.
    pub fn merge(&self, o: &RunOverrides) -> Result<RunSpec> {
        let (entrypoint, image_cmd): (Vec<String>, &[String]) = match &o.entrypoint {
            Some(e) if e.is_empty() => (Vec::new(), &[]),
            Some(e) => (vec![e.clone()], &[]),
            None => (self.entrypoint.clone(), &self.cmd),
        };
        let mut argv = entrypoint;
        match &o.cmd {
            Some(c) if !c.is_empty() => argv.extend(c.iter().cloned()),
            _ => argv.extend(image_cmd.iter().cloned()),
        }
        if argv.is_empty() {
            return Err(ImageError::Manifest {
                what: "image config".into(),
                why: "no command given and the image has no Entrypoint or Cmd; add `-- COMMAND [ARGS...]`".into(),
            });
        }
        let mut env = self.env.clone();
        for (k, v) in &o.env {
            match env.iter_mut().find(|(ek, _)| ek == k) {
                Some(slot) => slot.1 = v.clone(),
                None => env.push((k.clone(), v.clone())),
            }
        }
        Ok(RunSpec {
            argv,
            env,
            working_dir: o
                .working_dir
                .clone()
                .or_else(|| self.working_dir.clone())
                .unwrap_or_else(|| "/".into()),
            user: o.user.clone().or_else(|| self.user.clone()),
        })
    }
}

/// `KEY=VALUE` -> (KEY, VALUE); a bare `KEY` gives an empty value.
pub fn split_env(kv: &str) -> (String, String) {
    match kv.split_once('=') {
        Some((k, v)) => (k.to_string(), v.to_string()),
        None => (kv.to_string(), String::new()),
    }
}

pub(crate) fn parse_config(json: &[u8], what: &str) -> Result<ImageConfiguration> {
    serde_json::from_slice(json).map_err(|e| ImageError::Json {
        what: what.to_string(),
        file: "image config".into(),
        why: e.to_string(),
    })
}

/// Resolve a `USER[:GROUP]` spec (names or numbers) against the image's
/// `/etc/passwd` and `/etc/group` contents: (uid, gid). Unknown names fail.
pub fn resolve_user(spec: &str, passwd: &[u8], group: &[u8]) -> Result<(u32, u32)> {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let lookup = |db: &[u8], name: &str, field: usize| -> Option<(u32, Option<u32>)> {
        String::from_utf8_lossy(db).lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&name) && f.len() > field)
                .then(|| (f[field].parse().ok(), f.get(3).and_then(|g| g.parse().ok())))
                .and_then(|(id, g)| id.map(|id| (id, g)))
        })
    };
    let bad = |what: &str| ImageError::Manifest {
        what: "user".into(),
        why: format!("{what} not found in the image's /etc/passwd or /etc/group"),
    };
    let (uid, primary) = match u.parse::<u32>() {
        Ok(n) => (n, lookup_by_id(passwd, n)),
        Err(_) => lookup(passwd, u, 2).ok_or_else(|| bad(&format!("user {u:?}")))?,
    };
    let gid = match g {
        None => primary.unwrap_or(uid),
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => lookup(group, g, 2)
                .map(|(id, _)| id)
                .ok_or_else(|| bad(&format!("group {g:?}")))?,
        },
    };
    Ok((uid, gid))
}

fn lookup_by_id(passwd: &[u8], uid: u32) -> Option<u32> {
    String::from_utf8_lossy(passwd).lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 3 && f[2].parse() == Ok(uid)).then(|| f[3].parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> RunConfig {
        RunConfig::from_json(
            br#"{"architecture":"riscv64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},
                "config":{"Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx","-g","daemon off;"],
                "Env":["PATH=/usr/bin:/bin","LANG=C.UTF-8"],"WorkingDir":"/srv","User":"www",
                "ExposedPorts":{"80/tcp":{},"443/tcp":{}}}}"#,
        )
        .unwrap()
    }

    #[test]
    fn parses_config() {
        let c = cfg();
        assert_eq!(c.entrypoint, ["/docker-entrypoint.sh"]);
        assert_eq!(c.cmd, ["nginx", "-g", "daemon off;"]);
        assert_eq!(c.env[1], ("LANG".into(), "C.UTF-8".into()));
        assert_eq!(c.exposed_ports, ["443/tcp", "80/tcp"]);
        assert_eq!(c.working_dir.as_deref(), Some("/srv"));
    }

    #[test]
    fn docker_run_merge_rules() {
        let c = cfg();
        let s = c.merge(&RunOverrides::default()).unwrap();
        assert_eq!(
            s.argv,
            ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"]
        );
        assert_eq!(s.working_dir, "/srv");
        assert_eq!(s.user.as_deref(), Some("www"));
        // CMD after `--` replaces Cmd only.
        let s = c
            .merge(&RunOverrides {
                cmd: Some(vec!["sh".into()]),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(s.argv, ["/docker-entrypoint.sh", "sh"]);
        // --entrypoint replaces Entrypoint and clears Cmd.
        let s = c
            .merge(&RunOverrides {
                entrypoint: Some("/bin/sh".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(s.argv, ["/bin/sh"]);
        let s = c
            .merge(&RunOverrides {
                entrypoint: Some("/bin/sh".into()),
                cmd: Some(vec!["-c".into(), "echo hi".into()]),
                env: vec![("LANG".into(), "C".into()), ("X".into(), "1".into())],
                working_dir: Some("/tmp".into()),
                user: Some("1000:1000".into()),
            })
            .unwrap();
        assert_eq!(s.argv, ["/bin/sh", "-c", "echo hi"]);
        assert_eq!(
            s.env,
            [
                ("PATH".to_string(), "/usr/bin:/bin".to_string()),
                ("LANG".into(), "C".into()),
                ("X".into(), "1".into())
            ]
        );
        assert_eq!(s.working_dir, "/tmp");
        assert_eq!(s.user.as_deref(), Some("1000:1000"));
        // --entrypoint "" with no command: nothing to run.
        assert!(c
            .merge(&RunOverrides {
                entrypoint: Some(String::new()),
                ..Default::default()
            })
            .is_err());
        assert!(RunConfig::default()
            .merge(&RunOverrides::default())
            .is_err());
    }

    #[test]
    fn resolves_users() {
        let passwd = b"root:x:0:0::/root:/bin/sh\nwww:x:33:34::/var/www:/bin/false\n";
        let group = b"root:x:0:\nstaff:x:50:\n";
        assert_eq!(resolve_user("www", passwd, group).unwrap(), (33, 34));
        assert_eq!(resolve_user("www:staff", passwd, group).unwrap(), (33, 50));
        assert_eq!(resolve_user("1000", passwd, group).unwrap(), (1000, 1000));
        assert_eq!(resolve_user("0:50", passwd, group).unwrap(), (0, 50));
        assert!(resolve_user("nobody", passwd, group).is_err());
    }
}
