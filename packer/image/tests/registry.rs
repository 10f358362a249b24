//! Registry pulls against tiny HTTP servers on 127.0.0.1 (bounded: each
//! serves a limited number of connections and stops by itself).
#![cfg(feature = "registry")]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::*;
use friscy_image::{load_image, ImageError, LoadOptions, NoProgress, RegistryOptions};

type Reply = (u16, Vec<(String, String)>, Vec<u8>);
type Handler = dyn Fn(&str, &HashMap<String, String>) -> Reply + Send + Sync;

/// Serve `handler` on 127.0.0.1; returns the port and a request counter.
fn serve(handler: Arc<Handler>) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut served = 0;
        while Instant::now() < deadline && served < 500 {
            let (stream, _) = match listener.accept() {
                Ok(s) => s,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
            };
            served += 1;
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut r = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if r.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let mut headers = HashMap::new();
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            c.fetch_add(1, Ordering::SeqCst);
            let (status, hdrs, body) = handler(&path, &headers);
            let mut w = stream;
            let mut resp = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in hdrs {
                resp.push_str(&format!("{k}: {v}\r\n"));
            }
            resp.push_str("\r\n");
            let _ = w.write_all(resp.as_bytes());
            let _ = w.write_all(&body);
        }
    });
    (port, count)
}

fn opts(dir: &std::path::Path) -> LoadOptions {
    LoadOptions {
        platform: None,
        registry: RegistryOptions {
            plain_http: false,
            docker_config: Some(dir.join("no-such-config.json")),
            blob_cache: None,
            attempts: 3,
            retry_delay_ms: 10,
            timeout_secs: 10,
        },
    }
}

#[test]
fn registry_401_is_an_auth_error() {
    let port_cell = Arc::new(AtomicUsize::new(0));
    let pc = port_cell.clone();
    let (port, _) = serve(Arc::new(move |path: &str, _: &HashMap<String, String>| {
        let port = pc.load(Ordering::SeqCst);
        if path.starts_with("/token") {
            return (401, vec![], b"{}".to_vec());
        }
        (
            401,
            vec![(
                "WWW-Authenticate".into(),
                format!("Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"test\""),
            )],
            br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.to_vec(),
        )
    }));
    port_cell.store(port as usize, Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let err = load_image(
        &format!("127.0.0.1:{port}/private/img:1"),
        &opts(dir.path()),
        &NoProgress,
    )
    .unwrap_err();
    assert!(
        matches!(err, ImageError::RegistryAuth { status: 401, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("private/img") && msg.contains("docker login"),
        "{msg}"
    );
}

#[test]
fn registry_500_is_retried_then_reported() {
    let (port, count) = serve(Arc::new(|_: &str, _: &HashMap<String, String>| {
        (
            500,
            vec![],
            br#"{"errors":[{"code":"UNKNOWN","message":"storage backend down"}]}"#.to_vec(),
        )
    }));
    let dir = tempfile::tempdir().unwrap();
    let err = load_image(
        &format!("127.0.0.1:{port}/img:1"),
        &opts(dir.path()),
        &NoProgress,
    )
    .unwrap_err();
    assert!(
        matches!(err, ImageError::RegistryStatus { status: 500, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("storage backend down"), "{err}");
    assert_eq!(count.load(Ordering::SeqCst), 3, "three attempts");
}

/// A small registry: bearer tokens (issued only with the right basic
/// credentials), a Docker manifest list with amd64 + riscv64, blobs; the
/// first blob request fails with 503 once.
fn mini_registry(corrupt_blob: bool) -> (u16, Arc<AtomicUsize>, String) {
    let (a, b) = (base_layer(), second_layer());
    let (files, _) = oci_layout(
        &[
            OciImage {
                arch: "amd64".into(),
                layers: vec![gzip(b"not really")],
                plain: vec![],
            },
            OciImage {
                arch: "riscv64".into(),
                layers: vec![gzip(&a), gzip(&b)],
                plain: vec![a.clone(), b.clone()],
            },
        ],
        "latest",
    );
    let mut blobs: HashMap<String, Vec<u8>> = files
        .iter()
        .filter_map(|(n, b)| {
            n.strip_prefix("blobs/sha256/")
                .map(|h| (format!("sha256:{h}"), b.clone()))
        })
        .collect();
    // The top index.json points at the nested multi-arch index: serve that as the tag.
    let index: serde_json::Value = serde_json::from_slice(&files[1].1).unwrap();
    let top_digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    if corrupt_blob {
        let layer = digest(&gzip(&a));
        blobs.insert(layer, gzip(&Layer::new().file("evil", b"x").tar()));
    }
    let user_pass = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
    let port_cell = Arc::new(AtomicUsize::new(0));
    let pc = port_cell.clone();
    let failed_once = Arc::new(AtomicUsize::new(0));
    let (port, count) = serve(Arc::new(move |path: &str, h: &HashMap<String, String>| {
        let port = pc.load(Ordering::SeqCst);
        if path.starts_with("/token") {
            if h.get("authorization") != Some(&format!("Basic {user_pass}")) {
                return (401, vec![], vec![]);
            }
            assert!(
                path.contains("scope=repository%3Atest%2Fimg%3Apull"),
                "{path}"
            );
            return (200, vec![], br#"{"token":"tok123"}"#.to_vec());
        }
        if h.get("authorization").map(String::as_str) != Some("Bearer tok123") {
            return (
                401,
                vec![(
                    "WWW-Authenticate".into(),
                    format!("Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"mini\",scope=\"repository:test/img:pull\""),
                )],
                vec![],
            );
        }
        let Some(rest) = path.strip_prefix("/v2/test/img/") else {
            return (404, vec![], vec![]);
        };
        if let Some(r) = rest.strip_prefix("manifests/") {
            let d = if r == "latest" {
                top_digest.clone()
            } else {
                r.to_string()
            };
            return match blobs.get(&d) {
                Some(b) => (200, vec![("Docker-Content-Digest".into(), d)], b.clone()),
                None => (404, vec![], vec![]),
            };
        }
        if let Some(d) = rest.strip_prefix("blobs/") {
            if failed_once.fetch_add(1, Ordering::SeqCst) == 0 {
                return (503, vec![], b"busy".to_vec());
            }
            return match blobs.get(d) {
                Some(b) => (200, vec![], b.clone()),
                None => (404, vec![], vec![]),
            };
        }
        (404, vec![], vec![])
    }));
    port_cell.store(port as usize, Ordering::SeqCst);
    (port, count, format!("127.0.0.1:{port}/test/img:latest"))
}

fn docker_config(dir: &std::path::Path, port: u16) -> LoadOptions {
    let cfg = dir.join("config.json");
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
    std::fs::write(
        &cfg,
        format!(r#"{{"auths":{{"127.0.0.1:{port}":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
    let mut o = opts(dir);
    o.registry.docker_config = Some(cfg);
    o.registry.blob_cache = Some(dir.join("cache"));
    o
}

#[test]
fn registry_pull_with_token_credentials_and_manifest_list() {
    let (port, _, reference) = mini_registry(false);
    let dir = tempfile::tempdir().unwrap();
    let o = docker_config(dir.path(), port);
    let img = load_image(&reference, &o, &NoProgress).unwrap();
    assert_eq!(img.kind, friscy_image::SourceKind::Registry);
    check_layered_tree(&img.tree, false);
    assert_eq!(img.config.cmd, ["echo hello"]);
    assert!(img.digest.is_some());
    // Blobs landed in the cache, verified.
    let cached = std::fs::read_dir(dir.path().join("cache/blobs/sha256"))
        .unwrap()
        .count();
    assert!(cached >= 3, "{cached} cached blobs");
    // Without credentials the token endpoint refuses.
    let err = load_image(&reference, &opts(dir.path()), &NoProgress).unwrap_err();
    assert!(matches!(err, ImageError::RegistryAuth { .. }), "{err:?}");
    // amd64 on request.
    let mut o2 = docker_config(dir.path(), port);
    o2.platform = Some("linux/amd64".parse().unwrap());
    o2.registry.blob_cache = None;
    let err = load_image(&reference, &o2, &NoProgress).unwrap_err();
    // Our fake amd64 layer is not a tar: it is found while unpacking.
    assert!(
        matches!(err, ImageError::Tar { .. } | ImageError::NotAnImage { .. }),
        "{err:?}"
    );
}

#[test]
fn registry_blob_digest_mismatch_is_refused() {
    let (port, _, reference) = mini_registry(true);
    let dir = tempfile::tempdir().unwrap();
    let mut o = docker_config(dir.path(), port);
    o.registry.blob_cache = None;
    let err = load_image(&reference, &o, &NoProgress).unwrap_err();
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains("blob sha256:"), "{err}");
}
