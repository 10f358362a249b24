//! Image inputs on disk: `docker save` archives, OCI image layouts (a
//! directory or a tar), plain rootfs tars and directories; and the OCI
//! manifest walk (index -> platform -> manifest -> config -> layers) that the
//! layout and the registry share.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use crate::compress::{decoder, Codec, HashingReader};
use crate::config::{parse_config, RunConfig};
use crate::error::{ImageError, Result};
use crate::platform::Platform;
use crate::progress::{Progress, ProgressReader};
use crate::tree::{components, LayerOptions, Skipped, Tree};
use crate::{Image, SourceKind};

/// Largest JSON document (manifest, index, config) we read.
const MAX_JSON: u64 = 16 << 20;

/// The bytes behind an archive: a file on disk, or memory (a decompressed
/// `.tar.gz`, or a test's buffer).
#[derive(Clone)]
pub(crate) enum Backing {
    File(PathBuf),
    Bytes(Arc<Vec<u8>>),
}

impl Backing {
    fn open(&self) -> io::Result<Box<dyn ReadSeek>> {
        Ok(match self {
            Backing::File(p) => Box::new(io::BufReader::with_capacity(256 * 1024, File::open(p)?)),
            Backing::Bytes(b) => Box::new(Cursor::new(SharedBytes(b.clone()))),
        })
    }
}

struct SharedBytes(Arc<Vec<u8>>);
impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

pub(crate) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// Named files of an archive: a directory, or a tar indexed once (offsets
/// of each member, read later with seeks).
pub(crate) enum Store {
    Dir(PathBuf),
    Tar {
        backing: Backing,
        files: HashMap<String, (u64, u64)>,
        links: HashMap<String, String>,
    },
}

fn norm(name: &str) -> Option<String> {
    let comps = components(name.as_bytes()).ok()?;
    let parts: Vec<&str> = comps
        .iter()
        .map(|c| std::str::from_utf8(c).ok())
        .collect::<Option<_>>()?;
    Some(parts.join("/"))
}

impl Store {
    pub(crate) fn scan_tar(backing: Backing, label: &str) -> Result<Store> {
        let tar_err = |entry, source| ImageError::Tar {
            what: label.to_string(),
            entry,
            source,
        };
        let reader = backing.open().map_err(|e| tar_err(0, e))?;
        let mut archive = tar::Archive::new(reader);
        let mut files = HashMap::new();
        let mut links = HashMap::new();
        // Where the last entry's data ends: past the end of the file means
        // the archive was cut short (the tar crate stops quietly there).
        let mut end = (0usize, 0u64);
        for (i, entry) in archive
            .entries_with_seek()
            .map_err(|e| tar_err(0, e))?
            .enumerate()
        {
            let entry = entry.map_err(|e| tar_err(i, e))?;
            end = (i, entry.raw_file_position() + entry.size());
            let Some(name) = norm(&String::from_utf8_lossy(&entry.path_bytes())) else {
                continue;
            };
            match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    files.insert(name, (entry.raw_file_position(), entry.size()));
                }
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    if let Some(t) = entry.link_name_bytes() {
                        let t = String::from_utf8_lossy(&t).into_owned();
                        let full = if entry.header().entry_type() == tar::EntryType::Symlink {
                            match name.rsplit_once('/') {
                                Some((dir, _)) => format!("{dir}/{t}"),
                                None => t,
                            }
                        } else {
                            t
                        };
                        if let Some(full) = norm_dots(&full) {
                            links.insert(name, full);
                        }
                    }
                }
                _ => {}
            }
        }
        let len = match &backing {
            Backing::File(p) => std::fs::metadata(p).map_err(|e| tar_err(0, e))?.len(),
            Backing::Bytes(b) => b.len() as u64,
        };
        if end.1 > len {
            return Err(tar_err(
                end.0,
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the archive is truncated (its last entry needs {} bytes, the file has {len})",
                        end.1
                    ),
                ),
            ));
        }
        Ok(Store::Tar {
            backing,
            files,
            links,
        })
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        match self {
            Store::Dir(d) => norm(name).map(|n| d.join(n).is_file()).unwrap_or(false),
            Store::Tar { files, links, .. } => norm(name)
                .map(|n| files.contains_key(&n) || links.contains_key(&n))
                .unwrap_or(false),
        }
    }

    /// Open member `name`; `Ok(None)` when it is not there.
    pub(crate) fn open(&self, name: &str) -> Result<Option<(Box<dyn Read>, u64)>> {
        let Some(n) = norm(name) else {
            return Ok(None);
        };
        match self {
            Store::Dir(d) => {
                let p = d.join(&n);
                match File::open(&p) {
                    Ok(f) => {
                        let len = f.metadata().map_err(|e| ImageError::io(&p, e))?.len();
                        Ok(Some((
                            Box::new(io::BufReader::with_capacity(256 * 1024, f)),
                            len,
                        )))
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(ImageError::io(p, e)),
                }
            }
            Store::Tar {
                backing,
                files,
                links,
            } => {
                let mut n = n;
                for _ in 0..8 {
                    match links.get(&n) {
                        Some(t) => n = t.clone(),
                        None => break,
                    }
                }
                let Some(&(off, len)) = files.get(&n) else {
                    return Ok(None);
                };
                let label = match backing {
                    Backing::File(p) => p.clone(),
                    Backing::Bytes(_) => PathBuf::from("<memory>"),
                };
                let mut r = backing.open().map_err(|e| ImageError::io(&label, e))?;
                r.seek(SeekFrom::Start(off))
                    .map_err(|e| ImageError::io(&label, e))?;
                Ok(Some((Box::new(r.take(len)), len)))
            }
        }
    }

    pub(crate) fn read_json(&self, name: &str, what: &str) -> Result<Option<Vec<u8>>> {
        let Some((r, len)) = self.open(name)? else {
            return Ok(None);
        };
        if len > MAX_JSON {
            return Err(ImageError::Manifest {
                what: what.into(),
                why: format!("{name} is implausibly large ({len} bytes)"),
            });
        }
        let mut v = Vec::with_capacity(len as usize);
        r.take(MAX_JSON)
            .read_to_end(&mut v)
            .map_err(|e| ImageError::Tar {
                what: what.into(),
                entry: 0,
                source: e,
            })?;
        if (v.len() as u64) < len {
            return Err(ImageError::Tar {
                what: what.into(),
                entry: 0,
                source: io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{name} is truncated"),
                ),
            });
        }
        Ok(Some(v))
    }
}

/// Resolve `.` and `..` in an archive-internal link target.
fn norm_dots(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}

/// What an input turned out to be.
pub(crate) enum Detected {
    Docker(Store),
    Oci(Store),
    RootfsTar(Backing),
    RootfsDir(PathBuf),
}

/// Sniff a path: a directory (OCI layout, extracted docker save, or a
/// rootfs), or a file (possibly gzip/zstd-compressed tar).
pub(crate) fn detect(path: &Path, label: &str) -> Result<Detected> {
    let meta = std::fs::metadata(path).map_err(|e| ImageError::io(path, e))?;
    if meta.is_dir() {
        let store = Store::Dir(path.to_path_buf());
        if store.has("oci-layout") && store.has("index.json") {
            return Ok(Detected::Oci(store));
        }
        if store.has("manifest.json") && is_docker_manifest(&store, label)? {
            return Ok(Detected::Docker(store));
        }
        return Ok(Detected::RootfsDir(path.to_path_buf()));
    }
    let mut head = [0u8; 512];
    let n = {
        let mut f = File::open(path).map_err(|e| ImageError::io(path, e))?;
        read_full(&mut f, &mut head).map_err(|e| ImageError::io(path, e))?
    };
    let backing = match Codec::sniff(&head[..n]) {
        Codec::None => Backing::File(path.to_path_buf()),
        codec => {
            // A compressed archive cannot be read at random: decode it once
            // into memory.
            let f = File::open(path).map_err(|e| ImageError::io(path, e))?;
            let (mut dec, _, _) = decoder(f).map_err(|e| ImageError::Decompress {
                what: label.into(),
                codec: codec.name(),
                source: e,
            })?;
            let mut v = Vec::new();
            dec.read_to_end(&mut v)
                .map_err(|e| ImageError::Decompress {
                    what: label.into(),
                    codec: codec.name(),
                    source: e,
                })?;
            Backing::Bytes(Arc::new(v))
        }
    };
    detect_tar(backing, label)
}

pub(crate) fn detect_tar(backing: Backing, label: &str) -> Result<Detected> {
    if let Backing::Bytes(b) = &backing {
        if b.is_empty() {
            return Err(ImageError::NotAnImage {
                input: label.into(),
                why: "the file is empty".into(),
            });
        }
    } else if let Backing::File(p) = &backing {
        if std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) == 0 {
            return Err(ImageError::NotAnImage {
                input: label.into(),
                why: "the file is empty".into(),
            });
        }
    }
    check_tar_header(&backing, label)?;
    let store = Store::scan_tar(backing.clone(), label)?;
    if store.has("manifest.json") && is_docker_manifest(&store, label)? {
        return Ok(Detected::Docker(store));
    }
    if store.has("oci-layout") && store.has("index.json") {
        return Ok(Detected::Oci(store));
    }
    Ok(Detected::RootfsTar(backing))
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A clear message for a file that is not a tar at all.
fn check_tar_header(backing: &Backing, label: &str) -> Result<()> {
    let mut h = [0u8; 512];
    let n = backing
        .open()
        .and_then(|mut r| read_full(&mut r, &mut h))
        .map_err(|e| ImageError::io(label, e))?;
    let not = |why: &str| ImageError::NotAnImage {
        input: label.into(),
        why: why.into(),
    };
    if n < 512 {
        return Err(not("too short to be a tar archive"));
    }
    if h.iter().all(|&b| b == 0) {
        return Ok(());
    }
    let text: String = h[148..156]
        .iter()
        .take_while(|&&b| b != 0 && b != b' ')
        .map(|&b| b as char)
        .collect();
    let stored = u32::from_str_radix(text.trim(), 8)
        .map_err(|_| not("no tar header (not a docker save archive, OCI layout or rootfs tar)"))?;
    let sum: u32 = h
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u32
            }
        })
        .sum();
    if sum != stored {
        return Err(not(
            "bad tar header checksum (not a docker save archive, OCI layout or rootfs tar)",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
struct DockerEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

fn is_docker_manifest(store: &Store, label: &str) -> Result<bool> {
    let Some(json) = store.read_json("manifest.json", label)? else {
        return Ok(false);
    };
    Ok(serde_json::from_slice::<Vec<DockerEntry>>(&json).is_ok())
}

fn json_err(what: &str, file: &str, e: impl std::fmt::Display) -> ImageError {
    ImageError::Json {
        what: what.into(),
        file: file.into(),
        why: e.to_string(),
    }
}

/// `sha256:HEX` -> HEX, refusing other algorithms and malformed digests.
pub(crate) fn sha256_hex<'a>(digest: &'a str, what: &str) -> Result<&'a str> {
    match digest.split_once(':') {
        Some(("sha256", hex)) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(hex)
        }
        _ => Err(ImageError::UnsupportedDigest {
            what: what.into(),
            digest: digest.into(),
        }),
    }
}

pub(crate) fn check_digest(what: &str, name: &str, expected_hex: &str, data: &[u8]) -> Result<()> {
    let actual = crate::hex(&crate::sha256(data));
    if !actual.eq_ignore_ascii_case(expected_hex) {
        return Err(ImageError::DigestMismatch {
            what: what.into(),
            name: name.into(),
            expected: format!("sha256:{expected_hex}"),
            actual: format!("sha256:{actual}"),
        });
    }
    Ok(())
}

/// Where layers and manifests come from (an OCI layout or a registry).
pub(crate) trait Repo {
    fn label(&self) -> String;
    /// A manifest or index by digest, verified.
    fn manifest(&self, digest: &str, by: &str) -> Result<Vec<u8>>;
    /// A blob by digest (`size` from its descriptor). When `verified` is
    /// false the caller checks the digest.
    fn blob(&self, digest: &str, size: u64, by: &str) -> Result<(Box<dyn Read + '_>, bool)>;
}

/// An OCI image layout as a `Repo`.
pub(crate) struct Layout<'s> {
    pub store: &'s Store,
    pub label: String,
}

impl Layout<'_> {
    fn blob_path(&self, digest: &str) -> Result<String> {
        let hex = sha256_hex(digest, &self.label)?;
        Ok(format!("blobs/sha256/{hex}"))
    }
}

impl Repo for Layout<'_> {
    fn label(&self) -> String {
        self.label.clone()
    }

    fn manifest(&self, digest: &str, by: &str) -> Result<Vec<u8>> {
        let path = self.blob_path(digest)?;
        let data =
            self.store
                .read_json(&path, &self.label)?
                .ok_or_else(|| ImageError::MissingBlob {
                    what: self.label.clone(),
                    digest: digest.into(),
                    by: by.into(),
                })?;
        check_digest(&self.label, digest, sha256_hex(digest, &self.label)?, &data)?;
        Ok(data)
    }

    fn blob(&self, digest: &str, _size: u64, by: &str) -> Result<(Box<dyn Read + '_>, bool)> {
        let path = self.blob_path(digest)?;
        let (r, _) = self
            .store
            .open(&path)?
            .ok_or_else(|| ImageError::MissingBlob {
                what: self.label.clone(),
                digest: digest.into(),
                by: by.into(),
            })?;
        Ok((r, false))
    }
}

/// Hash a whole stream (a blob before we apply it).
fn hash_stream(r: impl Read, what: &str) -> Result<String> {
    let h = HashingReader::new(r);
    let (hex, _) = h.finish().map_err(|e| ImageError::Tar {
        what: what.into(),
        entry: 0,
        source: e,
    })?;
    Ok(hex)
}

/// Decompress and apply one layer, checking the uncompressed digest
/// (`diff_id`) when known.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply_layer_stream(
    tree: &mut Tree,
    raw: impl Read,
    label: &str,
    size: Option<u64>,
    diff_id: Option<&str>,
    whiteouts: bool,
    skipped: &mut Skipped,
    progress: &dyn Progress,
) -> Result<()> {
    progress.stage(&format!("unpacking {label}"), size);
    let raw = ProgressReader::new(raw, progress);
    let (dec, codec, fault) = decoder(raw).map_err(|e| ImageError::Decompress {
        what: label.into(),
        codec: "zstd",
        source: e,
    })?;
    let mut inner = HashingReader::new(dec);
    let res = tree.apply_layer(&mut inner, label, LayerOptions { whiteouts }, skipped);
    let res = res.and_then(|()| {
        inner.finish().map_err(|e| ImageError::Tar {
            what: label.into(),
            entry: 0,
            source: e,
        })
    });
    if let Some(why) = fault.borrow_mut().take() {
        return Err(ImageError::Decompress {
            what: label.into(),
            codec: codec.name(),
            source: io::Error::other(why),
        });
    }
    let (hex, _) = res?;
    progress.done();
    if let Some(want) = diff_id {
        let want_hex = sha256_hex(want, label)?;
        if !hex.eq_ignore_ascii_case(want_hex) {
            return Err(ImageError::DigestMismatch {
                what: label.into(),
                name: "uncompressed layer (diff_id in the image config)".into(),
                expected: want.into(),
                actual: format!("sha256:{hex}"),
            });
        }
    }
    Ok(())
}

/// Load a `docker save` archive (tar or extracted directory).
pub(crate) fn load_docker(
    store: &Store,
    label: &str,
    tag: Option<&str>,
    wanted: &Platform,
    progress: &dyn Progress,
) -> Result<Image> {
    let json = store
        .read_json("manifest.json", label)?
        .ok_or_else(|| ImageError::MissingFile {
            what: label.into(),
            file: "manifest.json".into(),
        })?;
    let entries: Vec<DockerEntry> =
        serde_json::from_slice(&json).map_err(|e| json_err(label, "manifest.json", e))?;
    if entries.is_empty() {
        return Err(ImageError::Manifest {
            what: label.into(),
            why: "manifest.json lists no images".into(),
        });
    }
    let tags = |e: &DockerEntry| e.repo_tags.clone().unwrap_or_default();
    let mut chosen: Vec<&DockerEntry> = match tag {
        Some(t) => entries
            .iter()
            .filter(|e| tags(e).iter().any(|rt| tag_matches(rt, t)))
            .collect(),
        None => entries.iter().collect(),
    };
    if chosen.is_empty() {
        return Err(ImageError::Manifest {
            what: label.into(),
            why: format!(
                "no image tagged {:?}; it has: {}",
                tag.unwrap_or_default(),
                entries.iter().flat_map(tags).collect::<Vec<_>>().join(", ")
            ),
        });
    }
    // Read every candidate's config, keep those of the wanted platform.
    let mut configs = Vec::new();
    for e in &chosen {
        let cfg_json =
            store
                .read_json(&e.config, label)?
                .ok_or_else(|| ImageError::MissingFile {
                    what: label.into(),
                    file: e.config.clone(),
                })?;
        if let Some(hex) = digest_from_name(&e.config) {
            check_digest(label, &e.config, &hex, &cfg_json)?;
        }
        let cfg = parse_config(&cfg_json, label)?;
        configs.push((cfg_json, cfg));
    }
    let platforms: Vec<Platform> = configs.iter().map(|(_, c)| config_platform(c)).collect();
    let matching: Vec<usize> = (0..chosen.len())
        .filter(|&i| wanted.accepts(&platforms[i]))
        .collect();
    let i = match matching.as_slice() {
        [] if chosen.len() == 1 => {
            return Err(ImageError::WrongPlatform {
                what: label.into(),
                found: platforms[0].to_string(),
                wanted: wanted.to_string(),
            })
        }
        [] => {
            return Err(ImageError::NoSuchPlatform {
                what: label.into(),
                wanted: wanted.to_string(),
                available: platforms.iter().map(|p| p.to_string()).collect(),
            })
        }
        [i] => *i,
        _ => {
            return Err(ImageError::Ambiguous {
                what: label.into(),
                names: matching.iter().flat_map(|&i| tags(chosen[i])).collect(),
            })
        }
    };
    let entry = chosen.swap_remove(i);
    let (cfg_json, cfg) = configs.swap_remove(i);
    let diff_ids = cfg.rootfs().diff_ids();
    let mut tree = Tree::new();
    let mut skipped = Skipped::default();
    let n = entry.layers.len();
    for (li, layer) in entry.layers.iter().enumerate() {
        let layer_label = format!("{} of {label} ({}/{n})", layer, li + 1);
        if let Some(hex) = digest_from_name(layer) {
            let (r, _) = store.open(layer)?.ok_or_else(|| ImageError::MissingFile {
                what: label.into(),
                file: layer.clone(),
            })?;
            let got = hash_stream(r, &layer_label)?;
            if !got.eq_ignore_ascii_case(&hex) {
                return Err(ImageError::DigestMismatch {
                    what: label.into(),
                    name: layer.clone(),
                    expected: format!("sha256:{hex}"),
                    actual: format!("sha256:{got}"),
                });
            }
        }
        let (r, len) = store.open(layer)?.ok_or_else(|| ImageError::MissingFile {
            what: label.into(),
            file: layer.clone(),
        })?;
        let diff_id = (diff_ids.len() == n).then(|| diff_ids[li].as_str());
        apply_layer_stream(
            &mut tree,
            r,
            &layer_label,
            Some(len),
            diff_id,
            true,
            &mut skipped,
            progress,
        )?;
    }
    Ok(Image {
        tree,
        config: RunConfig::from_oci(&cfg),
        config_json: Some(cfg_json),
        platform: Some(platforms[i].clone()),
        kind: SourceKind::DockerArchive,
        digest: digest_from_name(&entry.config).map(|h| format!("sha256:{h}")),
        notes: skipped.note().into_iter().collect(),
    })
}

/// Does the name `have` (`docker.io/library/app:v1`, `app:v1`, `v1`) match
/// what the user asked for (`app:v1`, `v1`, `docker.io/library/app:v1`)?
fn tag_matches(have: &str, want: &str) -> bool {
    have == want
        || have.ends_with(&format!("/{want}"))
        || (!want.contains(':') && have.rsplit_once(':').map(|x| x.1) == Some(want))
}

/// The sha256 in a member name like `blobs/sha256/HEX` or `HEX.json`.
fn digest_from_name(name: &str) -> Option<String> {
    let base = name.rsplit('/').next()?;
    let base = base.strip_suffix(".json").unwrap_or(base);
    (base.len() == 64 && base.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| base.to_ascii_lowercase())
}

pub(crate) fn config_platform(cfg: &oci_spec::image::ImageConfiguration) -> Platform {
    Platform::from_parts(
        &cfg.os().to_string(),
        &cfg.architecture().to_string(),
        cfg.variant().as_deref(),
    )
}

const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// A descriptor as found in an index (parsed loosely so that Docker's
/// manifest lists and partial platform fields are accepted).
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Desc {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    platform: Option<DescPlatform>,
    #[serde(default)]
    annotations: HashMap<String, String>,
}

#[derive(Deserialize, Clone)]
struct DescPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

impl Desc {
    fn platform(&self) -> Option<Platform> {
        self.platform
            .as_ref()
            .map(|p| Platform::from_parts(&p.os, &p.architecture, p.variant.as_deref()))
    }
    fn ref_name(&self) -> Option<&str> {
        self.annotations
            .get(REF_NAME)
            .or_else(|| self.annotations.get("io.containerd.image.name"))
            .map(String::as_str)
    }
}

/// Walk from an index or manifest document to an image of `wanted`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn load_oci(
    repo: &dyn Repo,
    doc: Vec<u8>,
    doc_name: &str,
    doc_digest: Option<String>,
    tag: Option<&str>,
    wanted: &Platform,
    kind: SourceKind,
    progress: &dyn Progress,
) -> Result<Image> {
    let label = repo.label();
    let mut doc = doc;
    let mut doc_name = doc_name.to_string();
    let mut doc_digest = doc_digest;
    let mut tag = tag;
    for _depth in 0..4 {
        let v: Value = serde_json::from_slice(&doc).map_err(|e| json_err(&label, &doc_name, e))?;
        if v.get("layers").is_some() {
            return load_manifest(repo, &doc, &doc_name, doc_digest, wanted, kind, progress);
        }
        let Some(list) = v.get("manifests") else {
            let why = if v.get("schemaVersion").and_then(Value::as_u64) == Some(1) {
                "is a Docker schema 1 manifest, which is not supported (re-push the image with a current tool)"
            } else {
                "is neither an image index nor an image manifest"
            };
            return Err(ImageError::Manifest {
                what: label,
                why: format!("{doc_name} {why}"),
            });
        };
        let descs: Vec<Desc> =
            serde_json::from_value(list.clone()).map_err(|e| json_err(&label, &doc_name, e))?;
        let mut cands: Vec<&Desc> = descs.iter().collect();
        if let Some(t) = tag.take() {
            cands.retain(|d| d.ref_name().map(|r| tag_matches(r, t)).unwrap_or(false));
            if cands.is_empty() {
                let names: Vec<&str> = descs.iter().filter_map(|d| d.ref_name()).collect();
                return Err(ImageError::Manifest {
                    what: label,
                    why: format!(
                        "no image tagged {t:?} in {doc_name}; it has: {}",
                        names.join(", ")
                    ),
                });
            }
        }
        let with_platform: Vec<&Desc> = cands
            .iter()
            .copied()
            .filter(|d| d.platform.is_some())
            .collect();
        let chosen: &Desc = if !with_platform.is_empty() {
            match with_platform
                .iter()
                .find(|d| wanted.accepts(&d.platform().unwrap()))
            {
                Some(d) => d,
                None => {
                    let mut available: Vec<String> = with_platform
                        .iter()
                        .map(|d| d.platform().unwrap())
                        .filter(|p| p.os != "unknown")
                        .map(|p| p.to_string())
                        .collect();
                    available.dedup();
                    return Err(ImageError::NoSuchPlatform {
                        what: label,
                        wanted: wanted.to_string(),
                        available,
                    });
                }
            }
        } else {
            let mut names: Vec<&str> = cands.iter().filter_map(|d| d.ref_name()).collect();
            names.sort();
            names.dedup();
            if cands.is_empty() {
                return Err(ImageError::Manifest {
                    what: label,
                    why: format!("{doc_name} lists no images"),
                });
            }
            if names.len() > 1 {
                return Err(ImageError::Ambiguous {
                    what: label,
                    names: names.iter().map(|s| s.to_string()).collect(),
                });
            }
            cands[0]
        };
        let by = doc_name.clone();
        doc = repo.manifest(&chosen.digest, &by)?;
        doc_name = format!("manifest {}", chosen.digest);
        doc_digest = Some(chosen.digest.clone());
        let _ = &chosen.media_type;
    }
    Err(ImageError::Manifest {
        what: label,
        why: "image indexes nest too deeply".into(),
    })
}

fn load_manifest(
    repo: &dyn Repo,
    doc: &[u8],
    doc_name: &str,
    digest: Option<String>,
    wanted: &Platform,
    kind: SourceKind,
    progress: &dyn Progress,
) -> Result<Image> {
    let label = repo.label();
    let m: oci_spec::image::ImageManifest =
        serde_json::from_slice(doc).map_err(|e| json_err(&label, doc_name, e))?;
    let cdesc = m.config();
    let cdigest = cdesc.digest().to_string();
    let (mut r, verified) = repo.blob(&cdigest, cdesc.size(), doc_name)?;
    let mut cfg_json = Vec::new();
    (&mut r)
        .take(MAX_JSON)
        .read_to_end(&mut cfg_json)
        .map_err(|e| ImageError::Tar {
            what: format!("config {cdigest} of {label}"),
            entry: 0,
            source: e,
        })?;
    drop(r);
    if !verified {
        check_digest(
            &label,
            &format!("config {cdigest}"),
            sha256_hex(&cdigest, &label)?,
            &cfg_json,
        )?;
    }
    let cfg = parse_config(&cfg_json, &format!("config {cdigest} of {label}"))?;
    let have = config_platform(&cfg);
    if !wanted.accepts(&have) {
        return Err(ImageError::WrongPlatform {
            what: label,
            found: have.to_string(),
            wanted: wanted.to_string(),
        });
    }
    let diff_ids = cfg.rootfs().diff_ids();
    let layers = m.layers();
    let n = layers.len();
    let mut tree = Tree::new();
    let mut skipped = Skipped::default();
    for (i, l) in layers.iter().enumerate() {
        let ldigest = l.digest().to_string();
        let layer_label = format!("{ldigest} of {label} ({}/{n})", i + 1);
        let by = format!("{doc_name}, layer {}", i + 1);
        let hex = sha256_hex(&ldigest, &layer_label)?.to_string();
        let (r, verified) = repo.blob(&ldigest, l.size(), &by)?;
        let r = if verified {
            r
        } else {
            // Check the whole blob before unpacking any of it.
            let got = hash_stream(r, &layer_label)?;
            if !got.eq_ignore_ascii_case(&hex) {
                return Err(ImageError::DigestMismatch {
                    what: label.clone(),
                    name: format!("layer {} ({})", i + 1, by),
                    expected: ldigest.clone(),
                    actual: format!("sha256:{got}"),
                });
            }
            repo.blob(&ldigest, l.size(), &by)?.0
        };
        let diff_id = (diff_ids.len() == n).then(|| diff_ids[i].as_str());
        apply_layer_stream(
            &mut tree,
            r,
            &layer_label,
            Some(l.size()),
            diff_id,
            true,
            &mut skipped,
            progress,
        )?;
    }
    Ok(Image {
        tree,
        config: RunConfig::from_oci(&cfg),
        config_json: Some(cfg_json),
        platform: Some(have),
        kind,
        digest,
        notes: skipped.note().into_iter().collect(),
    })
}

/// Load an OCI image layout (directory or tar).
pub(crate) fn load_layout(
    store: &Store,
    label: &str,
    tag: Option<&str>,
    wanted: &Platform,
    progress: &dyn Progress,
) -> Result<Image> {
    if let Some(layout) = store.read_json("oci-layout", label)? {
        let v: Value =
            serde_json::from_slice(&layout).map_err(|e| json_err(label, "oci-layout", e))?;
        let ver = v
            .get("imageLayoutVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !ver.starts_with("1.") {
            return Err(ImageError::Manifest {
                what: label.into(),
                why: format!("unsupported imageLayoutVersion {ver:?} in oci-layout"),
            });
        }
    }
    let index = store
        .read_json("index.json", label)?
        .ok_or_else(|| ImageError::MissingFile {
            what: label.into(),
            file: "index.json".into(),
        })?;
    let repo = Layout {
        store,
        label: label.to_string(),
    };
    load_oci(
        &repo,
        index,
        "index.json",
        None,
        tag,
        wanted,
        SourceKind::OciLayout,
        progress,
    )
}

/// A plain rootfs tar: entries taken literally (no whiteouts).
pub(crate) fn load_rootfs_tar(
    backing: &Backing,
    label: &str,
    progress: &dyn Progress,
) -> Result<Image> {
    let r = backing.open().map_err(|e| ImageError::io(label, e))?;
    let size = match backing {
        Backing::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
        Backing::Bytes(b) => Some(b.len() as u64),
    };
    let mut tree = Tree::new();
    let mut skipped = Skipped::default();
    apply_layer_stream(
        &mut tree,
        r,
        label,
        size,
        None,
        false,
        &mut skipped,
        progress,
    )?;
    Ok(Image {
        tree,
        config: RunConfig::default(),
        config_json: None,
        platform: None,
        kind: SourceKind::RootfsTar,
        digest: None,
        notes: skipped.note().into_iter().collect(),
    })
}
