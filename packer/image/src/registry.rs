//! Pull images over the OCI distribution API (blocking, ureq + rustls):
//! anonymous bearer tokens as Docker Hub hands them out, credentials from
//! the docker config (`~/.docker/config.json`, incl. credential helpers),
//! manifest lists / indexes, digest-verified blobs, retries with back-off
//! for network errors, 429 and 5xx. Loopback registries speak plain HTTP.

use std::cell::RefCell;
use std::io::{Cursor, Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use oci_spec::distribution::Reference;

use crate::error::{ImageError, Result};
use crate::platform::Platform;
use crate::progress::Progress;
use crate::source::{self, sha256_hex, Repo};
use crate::{Image, RegistryOptions, SourceKind};

const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Largest manifest we accept.
const MAX_MANIFEST: u64 = 8 << 20;

/// Pull `reference` and load the image for `wanted`.
pub fn pull(
    reference: &str,
    opts: &RegistryOptions,
    wanted: &Platform,
    progress: &dyn Progress,
) -> Result<Image> {
    let r = Reference::try_from(reference).map_err(|e| ImageError::BadReference {
        reference: reference.into(),
        why: e.to_string(),
    })?;
    let client = Client::new(&r, opts, progress)?;
    let target = r
        .digest()
        .map(str::to_string)
        .or_else(|| r.tag().map(str::to_string))
        .unwrap_or_else(|| "latest".into());
    progress.stage(&format!("pulling {reference}"), None);
    let (doc, digest) = client.get_manifest(&target, &format!("reference {reference}"))?;
    progress.done();
    source::load_oci(
        &client,
        doc,
        &format!("manifest of {reference}"),
        Some(digest),
        None,
        wanted,
        SourceKind::Registry,
        progress,
    )
}

/// Where a registry's API lives and how to talk to it.
pub(crate) struct Client<'o> {
    agent: ureq::Agent,
    base: String,
    registry: String,
    repo: String,
    label: String,
    opts: &'o RegistryOptions,
    creds: Option<(String, String)>,
    auth: RefCell<Option<String>>,
    progress: &'o dyn Progress,
}

fn is_loopback(host: &str) -> bool {
    let h = host
        .rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
        .map(|(h, _)| h)
        .unwrap_or(host);
    matches!(h, "localhost" | "[::1]" | "::1") || h.starts_with("127.")
}

impl<'o> Client<'o> {
    fn new(
        r: &Reference,
        opts: &'o RegistryOptions,
        progress: &'o dyn Progress,
    ) -> Result<Client<'o>> {
        let registry = r.registry().to_string();
        let api_host = match registry.as_str() {
            "docker.io" | "index.docker.io" => "registry-1.docker.io".to_string(),
            h => h.to_string(),
        };
        let scheme = if opts.plain_http || is_loopback(&api_host) {
            "http"
        } else {
            "https"
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(opts.timeout_secs.max(1))))
            .user_agent(concat!("friscy/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let creds = credentials(&registry, opts);
        Ok(Client {
            agent,
            base: format!("{scheme}://{api_host}/v2/{}", r.repository()),
            label: format!("{registry}/{}", r.repository()),
            registry,
            repo: r.repository().to_string(),
            opts,
            creds,
            auth: RefCell::new(None),
            progress,
        })
    }

    /// GET with auth, retries and status mapping. 404 yields `Ok(None)`.
    fn get(
        &self,
        url: &str,
        accept: Option<&str>,
    ) -> Result<Option<ureq::http::Response<ureq::Body>>> {
        let mut delay = Duration::from_millis(self.opts.retry_delay_ms);
        let attempts = self.opts.attempts.max(1);
        let mut authed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self.agent.get(url);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(auth) = self.auth.borrow().as_ref() {
                req = req.header("Authorization", auth);
            }
            let retry = match req.call() {
                Err(e) => {
                    if attempt >= attempts {
                        return Err(ImageError::RegistryNetwork {
                            url: url.into(),
                            why: format!("{e} (after {attempt} attempts)"),
                        });
                    }
                    true
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    match status {
                        200..=299 => return Ok(Some(resp)),
                        404 => return Ok(None),
                        401 if !authed => {
                            authed = true;
                            let challenge = resp
                                .headers()
                                .get("www-authenticate")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_string);
                            self.authenticate(challenge.as_deref(), status)?;
                            attempt -= 1;
                            continue;
                        }
                        401 | 403 => return Err(self.auth_error(status)),
                        429 | 500..=599 if attempt < attempts => true,
                        _ => {
                            let message = error_message(resp);
                            return Err(ImageError::RegistryStatus {
                                url: url.into(),
                                status,
                                message,
                            });
                        }
                    }
                }
            };
            if retry {
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }

    fn auth_error(&self, status: u16) -> ImageError {
        let hint = if self.creds.is_some() {
            "; check the credentials in your docker config".to_string()
        } else {
            format!(
                "; the image may be private or missing: check the name, or log in with `docker login {}`",
                self.registry
            )
        };
        ImageError::RegistryAuth {
            registry: self.registry.clone(),
            repository: self.repo.clone(),
            status,
            hint,
        }
    }

    /// Answer a 401 challenge: Bearer (fetch a token, with credentials when
    /// we have them) or Basic (send the credentials).
    fn authenticate(&self, challenge: Option<&str>, status: u16) -> Result<()> {
        let Some(ch) = challenge else {
            return Err(self.auth_error(status));
        };
        let (scheme, params) = ch.split_once(' ').unwrap_or((ch, ""));
        let params = parse_challenge(params);
        let get = |k: &str| {
            params
                .iter()
                .find(|(pk, _)| pk.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        if scheme.eq_ignore_ascii_case("basic") {
            let Some((u, p)) = &self.creds else {
                return Err(self.auth_error(status));
            };
            let b = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            *self.auth.borrow_mut() = Some(format!("Basic {b}"));
            return Ok(());
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(self.auth_error(status));
        }
        let realm = get("realm").ok_or_else(|| self.auth_error(status))?;
        let mut url = format!("{realm}?");
        if let Some(s) = get("service") {
            url.push_str(&format!("service={}&", urlencode(s)));
        }
        let scope = get("scope")
            .map(str::to_string)
            .unwrap_or_else(|| format!("repository:{}:pull", self.repo));
        url.push_str(&format!("scope={}", urlencode(&scope)));
        let mut delay = Duration::from_millis(self.opts.retry_delay_ms);
        for attempt in 1..=self.opts.attempts.max(1) {
            let mut req = self.agent.get(&url);
            if let Some((u, p)) = &self.creds {
                let b = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
                req = req.header("Authorization", &format!("Basic {b}"));
            }
            match req.call() {
                Ok(mut resp) => {
                    let st = resp.status().as_u16();
                    if st == 401 || st == 403 {
                        return Err(self.auth_error(st));
                    }
                    if (200..300).contains(&st) {
                        let body = resp
                            .body_mut()
                            .with_config()
                            .limit(1 << 20)
                            .read_to_vec()
                            .map_err(|e| ImageError::RegistryNetwork {
                                url: realm.into(),
                                why: e.to_string(),
                            })?;
                        let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
                            ImageError::RegistryNetwork {
                                url: realm.into(),
                                why: format!("bad token response: {e}"),
                            }
                        })?;
                        let token = v
                            .get("token")
                            .or_else(|| v.get("access_token"))
                            .and_then(|t| t.as_str())
                            .ok_or_else(|| ImageError::RegistryNetwork {
                                url: realm.into(),
                                why: "token response has no token".into(),
                            })?;
                        *self.auth.borrow_mut() = Some(format!("Bearer {token}"));
                        return Ok(());
                    }
                    if !(st == 429 || st >= 500) || attempt == self.opts.attempts.max(1) {
                        return Err(ImageError::RegistryStatus {
                            url: realm.into(),
                            status: st,
                            message: error_message(resp),
                        });
                    }
                }
                Err(e) if attempt == self.opts.attempts.max(1) => {
                    return Err(ImageError::RegistryNetwork {
                        url: realm.into(),
                        why: e.to_string(),
                    })
                }
                Err(_) => {}
            }
            std::thread::sleep(delay);
            delay *= 2;
        }
        Err(self.auth_error(status))
    }

    /// A manifest by tag or digest: (bytes, digest). Verified when asked
    /// for by digest.
    fn get_manifest(&self, target: &str, by: &str) -> Result<(Vec<u8>, String)> {
        let url = format!("{}/manifests/{target}", self.base);
        let Some(mut resp) = self.get(&url, Some(MANIFEST_ACCEPT))? else {
            return Err(if target.contains(':') {
                ImageError::MissingBlob {
                    what: self.label.clone(),
                    digest: target.into(),
                    by: by.into(),
                }
            } else {
                ImageError::Manifest {
                    what: self.label.clone(),
                    why: format!("tag {target:?} not found in the registry"),
                }
            });
        };
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_MANIFEST)
            .read_to_vec()
            .map_err(|e| ImageError::RegistryNetwork {
                url: url.clone(),
                why: e.to_string(),
            })?;
        let actual = format!("sha256:{}", crate::hex(&crate::sha256(&body)));
        if target.contains(':') {
            let want = sha256_hex(target, &self.label)?;
            source::check_digest(&self.label, &format!("manifest {target}"), want, &body)?;
        }
        Ok((body, actual))
    }

    fn cache_path(&self, hex: &str) -> Option<PathBuf> {
        self.opts
            .blob_cache
            .as_ref()
            .map(|c| c.join("blobs").join("sha256").join(hex))
    }

    /// Download a blob into memory, verified (retrying a corrupt transfer).
    fn download(
        &self,
        digest: &str,
        size: u64,
        by: &str,
        progress: &dyn Progress,
    ) -> Result<Vec<u8>> {
        let hex = sha256_hex(digest, &self.label)?.to_ascii_lowercase();
        if let Some(p) = self.cache_path(&hex) {
            if let Ok(data) = std::fs::read(&p) {
                if crate::hex(&crate::sha256(&data)) == hex {
                    return Ok(data);
                }
            }
        }
        let url = format!("{}/blobs/{digest}", self.base);
        let mut last = None;
        for _ in 0..2 {
            progress.stage(
                &format!("pulling {}", &digest[..digest.len().min(19)]),
                Some(size),
            );
            let Some(mut resp) = self.get(&url, None)? else {
                return Err(ImageError::MissingBlob {
                    what: self.label.clone(),
                    digest: digest.into(),
                    by: by.into(),
                });
            };
            let mut data = Vec::with_capacity(size.min(1 << 30) as usize);
            let mut reader = resp
                .body_mut()
                .with_config()
                .limit(size.saturating_add(1).max(1))
                .reader();
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let n = reader
                    .read(&mut buf)
                    .map_err(|e| ImageError::RegistryNetwork {
                        url: url.clone(),
                        why: e.to_string(),
                    })?;
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
                progress.advance(n as u64);
            }
            progress.done();
            let actual = crate::hex(&crate::sha256(&data));
            if actual == hex {
                if let Some(p) = self.cache_path(&hex) {
                    let _ = store_atomically(&p, &data);
                }
                return Ok(data);
            }
            last = Some(ImageError::DigestMismatch {
                what: self.label.clone(),
                name: format!("blob {digest} ({by})"),
                expected: digest.into(),
                actual: format!("sha256:{actual}"),
            });
        }
        Err(last.expect("two attempts"))
    }
}

fn store_atomically(p: &PathBuf, data: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = p.with_extension(format!("tmp{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(tmp, p)
}

impl Repo for Client<'_> {
    fn label(&self) -> String {
        self.label.clone()
    }

    fn manifest(&self, digest: &str, by: &str) -> Result<Vec<u8>> {
        Ok(self.get_manifest(digest, by)?.0)
    }

    fn blob(&self, digest: &str, size: u64, by: &str) -> Result<(Box<dyn Read + '_>, bool)> {
        let data = self.download(digest, size, by, self.progress)?;
        Ok((Box::new(Cursor::new(data)), true))
    }
}

/// `error.message`s of a registry error body, if any.
fn error_message(mut resp: ureq::http::Response<ureq::Body>) -> String {
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_vec()
        .unwrap_or_default();
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
        if let Some(errs) = v.get("errors").and_then(|e| e.as_array()) {
            let msgs: Vec<String> = errs
                .iter()
                .map(|e| {
                    let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
                    let msg = e.get("message").and_then(|c| c.as_str()).unwrap_or("");
                    format!("{code} {msg}").trim().to_string()
                })
                .collect();
            return msgs.join("; ");
        }
    }
    String::from_utf8_lossy(&body)
        .trim()
        .chars()
        .take(200)
        .collect()
}

/// `k="v", k2=v2` (values may hold commas inside quotes).
fn parse_challenge(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
        if key.is_empty() || chars.next() != Some('=') {
            break;
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            val.push(n)
                        }
                    }
                    '"' => break,
                    c => val.push(c),
                }
            }
        } else {
            val = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
        }
        out.push((key.trim().to_string(), val.trim().to_string()));
    }
    out
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Credentials for `registry` from the docker config (and its credential
/// helpers), if any.
fn credentials(registry: &str, opts: &RegistryOptions) -> Option<(String, String)> {
    use docker_credential::DockerCredential;
    let server = match registry {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => "https://index.docker.io/v1/",
        r => r,
    };
    let cred = match &opts.docker_config {
        Some(path) => {
            let f = std::fs::File::open(path).ok()?;
            docker_credential::get_credential_from_reader(std::io::BufReader::new(f), server)
                .ok()?
        }
        None => docker_credential::get_credential(server).ok()?,
    };
    match cred {
        DockerCredential::UsernamePassword(u, p) => Some((u, p)),
        // Identity tokens are exchanged as the password of the `<token>` user.
        DockerCredential::IdentityToken(t) => Some(("<token>".into(), t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_challenges() {
        let p = parse_challenge(
            r#"realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(
            p[0],
            ("realm".into(), "https://auth.docker.io/token".into())
        );
        assert_eq!(p[2].1, "repository:a/b:pull,push");
        assert!(is_loopback("127.0.0.1:5000"));
        assert!(is_loopback("localhost:5000"));
        assert!(!is_loopback("ghcr.io"));
        assert_eq!(
            urlencode("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
    }
}
