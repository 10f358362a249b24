//! Test-input builders: synthetic layers, docker save archives, OCI layouts.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

pub fn sha256hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

pub fn digest(b: &[u8]) -> String {
    format!("sha256:{}", sha256hex(b))
}

/// A tar builder that can also write hostile entries (raw names).
pub struct Layer {
    b: tar::Builder<Vec<u8>>,
}

impl Default for Layer {
    fn default() -> Self {
        Layer::new()
    }
}

impl Layer {
    pub fn new() -> Layer {
        Layer {
            b: tar::Builder::new(Vec::new()),
        }
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(1_700_000_000);
        h.set_uid(0);
        h.set_gid(0);
        h
    }

    /// Append with a raw name (no validation: `..` and `/x` pass).
    pub fn raw(mut self, name: &[u8], mut h: tar::Header, data: &[u8]) -> Self {
        {
            let old = h.as_old_mut();
            old.name = [0; 100];
            old.name[..name.len()].copy_from_slice(name);
        }
        h.set_cksum();
        self.b.append(&h, data).unwrap();
        self
    }

    pub fn dir(self, path: &str, mode: u32) -> Self {
        let h = Self::header(tar::EntryType::Directory, mode, 0);
        self.raw(path.as_bytes(), h, b"")
    }

    pub fn file(self, path: &str, data: &[u8]) -> Self {
        self.file_meta(path, data, 0o644, 0, 0, 1_700_000_000)
    }

    pub fn file_meta(
        self,
        path: &str,
        data: &[u8],
        mode: u32,
        uid: u64,
        gid: u64,
        mtime: u64,
    ) -> Self {
        let mut h = Self::header(tar::EntryType::Regular, mode, data.len() as u64);
        h.set_uid(uid);
        h.set_gid(gid);
        h.set_mtime(mtime);
        self.raw(path.as_bytes(), h, data)
    }

    pub fn symlink(self, path: &str, target: &str) -> Self {
        let mut h = Self::header(tar::EntryType::Symlink, 0o777, 0);
        h.as_old_mut().linkname[..target.len()].copy_from_slice(target.as_bytes());
        self.raw(path.as_bytes(), h, b"")
    }

    pub fn hardlink(self, path: &str, target: &str) -> Self {
        let mut h = Self::header(tar::EntryType::Link, 0o644, 0);
        h.as_old_mut().linkname[..target.len()].copy_from_slice(target.as_bytes());
        self.raw(path.as_bytes(), h, b"")
    }

    pub fn whiteout(self, path: &str) -> Self {
        let (dir, name) = path
            .rsplit_once('/')
            .map(|(d, n)| (format!("{d}/"), n))
            .unwrap_or((String::new(), path));
        self.file(&format!("{dir}.wh.{name}"), b"")
    }

    pub fn opaque(self, dir: &str) -> Self {
        self.file(&format!("{dir}/.wh..wh..opq"), b"")
    }

    pub fn chardev(self, path: &str) -> Self {
        let mut h = Self::header(tar::EntryType::Char, 0o666, 0);
        h.set_device_major(1).unwrap();
        h.set_device_minor(3).unwrap();
        self.raw(path.as_bytes(), h, b"")
    }

    pub fn fifo(self, path: &str) -> Self {
        let h = Self::header(tar::EntryType::Fifo, 0o644, 0);
        self.raw(path.as_bytes(), h, b"")
    }

    /// A file with a pax `SCHILY.xattr.*` record.
    pub fn xattr_file(mut self, path: &str, data: &[u8]) -> Self {
        self.b
            .append_pax_extensions([("SCHILY.xattr.user.test", b"1".as_slice())])
            .unwrap();
        self.file(path, data)
    }

    pub fn tar(self) -> Vec<u8> {
        self.b.into_inner().unwrap()
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// An image config JSON.
pub fn config(arch: &str, layers_uncompressed: &[&[u8]]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers_uncompressed.iter().map(|l| digest(l)).collect();
    serde_json::to_vec(&serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "config": {
            "Entrypoint": ["/bin/sh", "-c"],
            "Cmd": ["echo hello"],
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "GREETING=hi"],
            "WorkingDir": "/srv",
            "User": "1000:1000",
            "ExposedPorts": {"8080/tcp": {}}
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "test"}]
    }))
    .unwrap()
}

/// Member files of an archive, in order.
pub type Files = Vec<(String, Vec<u8>)>;

pub fn tar_of(files: &Files) -> Vec<u8> {
    let mut l = Layer::new();
    for (name, data) in files {
        l = l.file(name, data);
    }
    l.tar()
}

pub fn write_dir(dir: &Path, files: &Files) {
    for (name, data) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
}

/// A `docker save` archive (Docker 25+ style: blobs/sha256/HEX members).
/// `layers` are the stored blobs (compressed or not), `plain` their
/// uncompressed tars (for diff_ids).
pub fn docker_archive(arch: &str, layers: &[Vec<u8>], plain: &[&[u8]], tag: &str) -> Files {
    let cfg = config(arch, plain);
    let mut files: Files = Vec::new();
    let cfg_name = format!("blobs/sha256/{}", sha256hex(&cfg));
    let mut layer_names = Vec::new();
    for l in layers {
        let n = format!("blobs/sha256/{}", sha256hex(l));
        layer_names.push(n.clone());
        files.push((n, l.clone()));
    }
    files.push((cfg_name.clone(), cfg));
    let manifest =
        serde_json::json!([{ "Config": cfg_name, "RepoTags": [tag], "Layers": layer_names }]);
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    files
}

/// The legacy docker save layout: `ID/layer.tar` and `HEX.json`.
pub fn docker_archive_legacy(arch: &str, layers: &[&[u8]], tag: &str) -> Files {
    let cfg = config(arch, layers);
    let mut files: Files = Vec::new();
    let mut names = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let n = format!("{:064x}/layer.tar", i + 1);
        names.push(n.clone());
        files.push((format!("{:064x}/VERSION", i + 1), b"1.0".to_vec()));
        files.push((n, l.to_vec()));
    }
    let cfg_name = format!("{}.json", sha256hex(&cfg));
    files.push((cfg_name.clone(), cfg));
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(
            &serde_json::json!([{ "Config": cfg_name, "RepoTags": [tag], "Layers": names }]),
        )
        .unwrap(),
    ));
    files.push(("repositories".into(), b"{}".to_vec()));
    files
}

pub struct OciImage {
    pub arch: String,
    pub layers: Vec<Vec<u8>>,
    pub plain: Vec<Vec<u8>>,
}

/// An OCI layout. One image: index.json names its manifest (with a ref
/// name); several: index.json -> a nested multi-arch index with platforms.
/// Returns (files, manifest digests).
pub fn oci_layout(images: &[OciImage], tag: &str) -> (Files, Vec<String>) {
    let mut blobs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut add = |b: Vec<u8>| -> (String, u64) {
        let d = digest(&b);
        let n = b.len() as u64;
        blobs.insert(d.clone(), b);
        (d, n)
    };
    let mut descs = Vec::new();
    let mut digests = Vec::new();
    for img in images {
        let plain: Vec<&[u8]> = img.plain.iter().map(|p| p.as_slice()).collect();
        let (cd, cs) = add(config(&img.arch, &plain));
        let layers: Vec<serde_json::Value> = img
            .layers
            .iter()
            .map(|l| {
                let mt = if l.starts_with(&[0x1f, 0x8b]) {
                    "application/vnd.oci.image.layer.v1.tar+gzip"
                } else {
                    "application/vnd.oci.image.layer.v1.tar"
                };
                let (d, s) = add(l.clone());
                serde_json::json!({"mediaType": mt, "digest": d, "size": s})
            })
            .collect();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
            "layers": layers
        }))
        .unwrap();
        let (md, ms) = add(manifest);
        digests.push(md.clone());
        descs.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": md, "size": ms,
            "platform": {"architecture": img.arch, "os": "linux"}
        }));
    }
    let top = if images.len() == 1 {
        let mut d = descs[0].clone();
        d.as_object_mut().unwrap().remove("platform");
        d["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": tag});
        d
    } else {
        let nested = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": descs
        }))
        .unwrap();
        let (nd, ns) = add(nested);
        serde_json::json!({
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": nd, "size": ns,
            "annotations": {"org.opencontainers.image.ref.name": tag}
        })
    };
    let index =
        serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [top]})).unwrap();
    let mut files: Files = vec![
        (
            "oci-layout".into(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
        ("index.json".into(), index),
    ];
    for (d, b) in blobs {
        files.push((
            format!("blobs/sha256/{}", d.trim_start_matches("sha256:")),
            b,
        ));
    }
    (files, digests)
}

/// The base layer most tests use.
pub fn base_layer() -> Vec<u8> {
    Layer::new()
        .dir("./", 0o755)
        .dir("bin/", 0o755)
        .file_meta("bin/sh", b"#!shell", 0o755, 0, 0, 1_600_000_000)
        .hardlink("bin/ash", "bin/sh")
        .symlink("usr/bin/env", "/bin/sh")
        .dir("etc", 0o755)
        .file_meta(
            "etc/passwd",
            b"root:x:0:0::/root:/bin/sh\n",
            0o644,
            0,
            0,
            1_600_000_001,
        )
        .file_meta("etc/shadow", b"root:*:0:0\n", 0o640, 0, 42, 1_600_000_002)
        .dir("var/cache", 0o755)
        .file("var/cache/a", b"cached a")
        .file("var/cache/b", b"cached b")
        .file("tmp/remove-me", b"x")
        .chardev("dev/null")
        .fifo("run/fifo")
        .xattr_file("bin/ping", b"ping!")
        .tar()
}

/// A layer on top of `base_layer`: whiteout, opaque dir, override.
pub fn second_layer() -> Vec<u8> {
    Layer::new()
        .whiteout("tmp/remove-me")
        .file("var/cache/new", b"same layer, before the marker")
        .opaque("var/cache")
        .file_meta(
            "etc/passwd",
            b"root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/srv:/bin/sh\n",
            0o644,
            0,
            0,
            1_700_000_100,
        )
        .dir("srv", 0o750)
        .file_meta(
            "srv/app.txt",
            b"hello from the app",
            0o600,
            1000,
            1000,
            1_700_000_200,
        )
        .tar()
}

pub fn third_layer() -> Vec<u8> {
    Layer::new().file("srv/zstd.txt", b"zstd layer").tar()
}

/// Assertions on the tree `base + second (+ third)` must give.
pub fn check_layered_tree(t: &friscy_image::Tree, with_third: bool) {
    assert_eq!(t.file("bin/sh"), Some(&b"#!shell"[..]));
    assert_eq!(t.lookup("bin/ash"), t.lookup("bin/sh"), "hard link kept");
    let sh = t.node(t.lookup("bin/sh").unwrap());
    assert_eq!((sh.meta.mode, sh.meta.mtime), (0o755, 1_600_000_000));
    match &t.node(t.lookup("usr/bin/env").unwrap()).kind {
        friscy_image::Kind::Symlink(target) => assert_eq!(target, b"/bin/sh"),
        k => panic!("not a symlink: {k:?}"),
    }
    let shadow = t.node(t.lookup("etc/shadow").unwrap());
    assert_eq!((shadow.meta.mode, shadow.meta.gid), (0o640, 42));
    assert!(t.lookup("tmp/remove-me").is_none(), "whiteout applied");
    assert!(t.lookup("tmp").is_some(), "the whiteout's directory stays");
    assert!(
        t.lookup("var/cache/a").is_none(),
        "opaque dir hides lower entries"
    );
    assert_eq!(
        t.file("var/cache/new"),
        Some(&b"same layer, before the marker"[..])
    );
    assert!(t
        .file("etc/passwd")
        .unwrap()
        .ends_with(b"app:x:1000:1000::/srv:/bin/sh\n"));
    let app = t.node(t.lookup("srv/app.txt").unwrap());
    assert_eq!(
        (app.meta.mode, app.meta.uid, app.meta.gid, app.meta.mtime),
        (0o600, 1000, 1000, 1_700_000_200)
    );
    assert_eq!(t.node(t.lookup("srv").unwrap()).meta.mode, 0o750);
    assert!(t.lookup("dev/null").is_none(), "device nodes skipped");
    assert!(matches!(
        t.node(t.lookup("run/fifo").unwrap()).kind,
        friscy_image::Kind::Fifo
    ));
    assert_eq!(t.file("bin/ping"), Some(&b"ping!"[..]));
    assert_eq!(t.lookup("srv/zstd.txt").is_some(), with_third);
}
