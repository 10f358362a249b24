//! The OCI image config (Entrypoint, Cmd, Env, WorkingDir, User) applied
//! as `docker run` does: arguments after `--` replace Cmd, `--entrypoint`
//! replaces Entrypoint and drops Cmd, `-e` adds to or overrides Env.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    #[serde(default)]
    pub env: Option<Vec<String>>,
    #[serde(default)]
    pub working_dir: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ImageConfig {
    #[serde(default)]
    config: Option<ContainerConfig>,
}

/// Parse the `config` section of an OCI image config JSON. A config that
/// does not parse is an error naming what is wrong.
pub fn parse(json: &str) -> Result<ContainerConfig, String> {
    let c: ImageConfig =
        serde_json::from_str(json).map_err(|e| format!("the image config JSON is invalid: {e}"))?;
    Ok(c.config.unwrap_or_default())
}

/// argv as docker computes it.
pub fn argv(
    image: &ContainerConfig,
    entrypoint: Option<&[String]>,
    args: &[String],
) -> Vec<String> {
    let ep: Vec<String> = match entrypoint {
        Some(e) => e.to_vec(),
        None => image.entrypoint.clone().unwrap_or_default(),
    };
    let cmd: Vec<String> = if !args.is_empty() {
        args.to_vec()
    } else if entrypoint.is_some() {
        Vec::new()
    } else {
        image.cmd.clone().unwrap_or_default()
    };
    ep.into_iter().chain(cmd).collect()
}

/// Resolve `user[:group]` (names or numbers) against the image's
/// /etc/passwd and /etc/group text.
pub fn resolve_user(spec: &str, passwd: &str, group: &str) -> Result<(u32, u32), String> {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let find = |db: &str, name: &str| -> Option<(u32, u32)> {
        db.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 4 || f[0] != name {
                return None;
            }
            Some((f[2].parse().ok()?, f[3].parse().unwrap_or(0)))
        })
    };
    let (uid, mut gid) = match u.parse::<u32>() {
        Ok(n) => (n, find_by_uid(passwd, n).unwrap_or(0)),
        Err(_) => find(passwd, u)
            .ok_or_else(|| format!("user {u:?} is not in the image's /etc/passwd"))?,
    };
    if let Some(g) = g {
        gid = match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => group
                .lines()
                .find_map(|l| {
                    let f: Vec<&str> = l.split(':').collect();
                    (f.len() >= 3 && f[0] == g)
                        .then(|| f[2].parse().ok())
                        .flatten()
                })
                .ok_or_else(|| format!("group {g:?} is not in the image's /etc/group"))?,
        };
    }
    Ok((uid, gid))
}

fn find_by_uid(passwd: &str, uid: u32) -> Option<u32> {
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 4 && f[2].parse() == Ok(uid))
            .then(|| f[3].parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_run_rules() {
        let c =
            parse(r#"{"config":{"Entrypoint":["/bin/sh","-c"],"Cmd":["echo hi"],"Env":["A=1"]}}"#)
                .unwrap();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(argv(&c, None, &[]), s(&["/bin/sh", "-c", "echo hi"]));
        assert_eq!(argv(&c, None, &s(&["ls"])), s(&["/bin/sh", "-c", "ls"]));
        assert_eq!(argv(&c, Some(&s(&["/bin/ls"])), &[]), s(&["/bin/ls"]));
        assert!(parse("{not json").is_err());
    }

    #[test]
    fn users() {
        let pw = "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n";
        let gr = "root:x:0:\nstaff:x:50:\n";
        assert_eq!(resolve_user("app", pw, gr), Ok((1000, 1001)));
        assert_eq!(resolve_user("1000:staff", pw, gr), Ok((1000, 50)));
        assert_eq!(resolve_user("7", pw, gr), Ok((7, 0)));
        assert!(resolve_user("nobody", pw, gr).is_err());
    }
}
