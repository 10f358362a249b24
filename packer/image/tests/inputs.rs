//! Every input format, built here from synthetic layers, and every hostile
//! or broken input the library must refuse with a clear, typed error.

mod common;

use common::*;
use friscy_image::{load_image, ImageError, LoadOptions, NoProgress, Platform, SourceKind};

fn load(path: &std::path::Path) -> Result<friscy_image::Image, ImageError> {
    load_image(path.to_str().unwrap(), &LoadOptions::default(), &NoProgress)
}

fn load_platform(path: &str, p: &str) -> Result<friscy_image::Image, ImageError> {
    let opts = LoadOptions {
        platform: Some(p.parse().unwrap()),
        ..Default::default()
    };
    load_image(path, &opts, &NoProgress)
}

fn layers() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    (base_layer(), second_layer(), third_layer())
}

#[test]
fn docker_save_with_gzip_zstd_and_plain_layers() {
    let (a, b, c) = layers();
    let files = docker_archive(
        "riscv64",
        &[gzip(&a), b.clone(), zstd(&c)],
        &[&a, &b, &c],
        "app:latest",
    );
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("app.tar");
    std::fs::write(&tar, tar_of(&files)).unwrap();
    let img = load(&tar).unwrap();
    assert_eq!(img.kind, SourceKind::DockerArchive);
    check_layered_tree(&img.tree, true);
    assert_eq!(img.platform, Some(Platform::riscv64()));
    assert_eq!(img.config.entrypoint, ["/bin/sh", "-c"]);
    assert_eq!(img.config.cmd, ["echo hello"]);
    assert_eq!(img.config.working_dir.as_deref(), Some("/srv"));
    assert_eq!(img.config.exposed_ports, ["8080/tcp"]);
    assert!(img.config_json.is_some());
    assert_eq!(img.notes.len(), 1, "one note: {:?}", img.notes);
    assert!(img.notes[0].contains("1 device node"), "{:?}", img.notes);
    assert!(
        img.notes[0].contains("extended attributes on 1"),
        "{:?}",
        img.notes
    );

    // The same archive extracted into a directory, and gzip-compressed.
    let xdir = dir.path().join("extracted");
    write_dir(&xdir, &files);
    let img2 = load(&xdir).unwrap();
    assert_eq!(img2.kind, SourceKind::DockerArchive);
    assert_eq!(img.tree.listing(), img2.tree.listing());
    let tgz = dir.path().join("app.tar.gz");
    std::fs::write(&tgz, gzip(&tar_of(&files))).unwrap();
    assert_eq!(load(&tgz).unwrap().tree.listing(), img.tree.listing());
    // And from memory.
    let img3 = friscy_image::load_bytes(
        tar_of(&files),
        "mem",
        None,
        &Platform::riscv64(),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(img3.tree.listing(), img.tree.listing());
}

#[test]
fn docker_save_legacy_layout_verifies_diff_ids() {
    let (a, b, _) = layers();
    let files = docker_archive_legacy("riscv64", &[&a, &b], "app:1");
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("legacy.tar");
    std::fs::write(&tar, tar_of(&files)).unwrap();
    let img = load(&tar).unwrap();
    check_layered_tree(&img.tree, false);
    // `PATH:TAG` selects by tag.
    let tagged = format!("{}:1", tar.display());
    assert!(load_image(&tagged, &LoadOptions::default(), &NoProgress).is_ok());
    let err = load_image(
        &format!("{}:2", tar.display()),
        &LoadOptions::default(),
        &NoProgress,
    )
    .unwrap_err();
    assert!(err.to_string().contains("no image tagged"), "{err}");

    // A layer whose bytes do not match the config's diff_id.
    let mut bad = files.clone();
    let i = bad
        .iter()
        .position(|(n, _)| n.ends_with("2/layer.tar"))
        .unwrap();
    bad[i].1 = Layer::new().file("evil", b"swapped").tar();
    std::fs::write(&tar, tar_of(&bad)).unwrap();
    let err = load(&tar).unwrap_err();
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains("diff_id"), "{err}");
    assert!(err.to_string().contains("layer.tar"), "{err}");
}

#[test]
fn oci_layout_directory_and_tar_single_image() {
    let (a, b, c) = layers();
    let (files, _) = oci_layout(
        &[OciImage {
            arch: "riscv64".into(),
            layers: vec![gzip(&a), b.clone(), gzip(&c)],
            plain: vec![a.clone(), b.clone(), c.clone()],
        }],
        "v1",
    );
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    write_dir(&layout, &files);
    let img = load(&layout).unwrap();
    assert_eq!(img.kind, SourceKind::OciLayout);
    check_layered_tree(&img.tree, true);
    assert!(img.digest.as_deref().unwrap().starts_with("sha256:"));
    let tar = dir.path().join("layout.tar");
    std::fs::write(&tar, tar_of(&files)).unwrap();
    let img2 = load(&tar).unwrap();
    assert_eq!(img.tree.listing(), img2.tree.listing());
    // oci:PATH:TAG
    assert!(load_image(
        &format!("oci:{}:v1", layout.display()),
        &LoadOptions::default(),
        &NoProgress
    )
    .is_ok());
}

#[test]
fn oci_multi_arch_index_picks_riscv64_or_the_platform_given() {
    let (a, b, _) = layers();
    let amd = Layer::new().file("amd64-only", b"x86").tar();
    let (files, _) = oci_layout(
        &[
            OciImage {
                arch: "amd64".into(),
                layers: vec![amd.clone()],
                plain: vec![amd.clone()],
            },
            OciImage {
                arch: "riscv64".into(),
                layers: vec![gzip(&a), gzip(&b)],
                plain: vec![a.clone(), b.clone()],
            },
        ],
        "multi",
    );
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("multi.tar");
    std::fs::write(&tar, tar_of(&files)).unwrap();
    let img = load(&tar).unwrap();
    check_layered_tree(&img.tree, false);
    let img = load_platform(tar.to_str().unwrap(), "linux/amd64").unwrap();
    assert!(img.tree.lookup("amd64-only").is_some());
    assert_eq!(img.platform.unwrap().architecture, "amd64");
}

#[test]
fn index_without_riscv64_lists_its_platforms() {
    let l = Layer::new().file("x", b"x").tar();
    let img = |arch: &str| OciImage {
        arch: arch.into(),
        layers: vec![l.clone()],
        plain: vec![l.clone()],
    };
    let (files, _) = oci_layout(&[img("amd64"), img("arm64")], "t");
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), &files);
    let err = load(dir.path()).unwrap_err();
    assert!(matches!(err, ImageError::NoSuchPlatform { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("linux/amd64") && msg.contains("linux/arm64"),
        "{msg}"
    );
    assert!(msg.contains("--platform"), "{msg}");
}

#[test]
fn amd64_only_image_is_refused_with_a_hint() {
    let l = Layer::new().file("x", b"x").tar();
    let files = docker_archive("amd64", std::slice::from_ref(&l), &[&l], "x86:latest");
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("x86.tar");
    std::fs::write(&tar, tar_of(&files)).unwrap();
    let err = load(&tar).unwrap_err();
    assert!(matches!(err, ImageError::WrongPlatform { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("linux/amd64"), "{msg}");
    assert!(msg.contains("--platform linux/riscv64"), "{msg}");
    // The same for a single-image OCI layout.
    let (files, _) = oci_layout(
        &[OciImage {
            arch: "amd64".into(),
            layers: vec![l.clone()],
            plain: vec![l],
        }],
        "t",
    );
    write_dir(&dir.path().join("oci"), &files);
    let err = load(&dir.path().join("oci")).unwrap_err();
    assert!(matches!(err, ImageError::WrongPlatform { .. }), "{err:?}");
}

#[test]
fn plain_rootfs_tar_gzip_and_directory() {
    let a = base_layer();
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("rootfs.tar");
    std::fs::write(&tar, &a).unwrap();
    let img = load(&tar).unwrap();
    assert_eq!(img.kind, SourceKind::RootfsTar);
    assert!(img.config_json.is_none());
    assert_eq!(img.tree.file("tmp/remove-me"), Some(&b"x"[..]));
    let tgz = dir.path().join("rootfs.tgz");
    std::fs::write(&tgz, gzip(&a)).unwrap();
    assert_eq!(load(&tgz).unwrap().tree.listing(), img.tree.listing());
    // A plain rootfs tar takes `.wh.` names literally.
    let wh = Layer::new().file(".wh.keep", b"k").tar();
    std::fs::write(&tar, &wh).unwrap();
    assert!(load(&tar).unwrap().tree.lookup(".wh.keep").is_some());

    // A directory: files, a symlink, a hard link, modes.
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::write(root.join("bin/sh"), b"#!shell").unwrap();
    std::fs::hard_link(root.join("bin/sh"), root.join("bin/ash")).unwrap();
    std::os::unix::fs::symlink("/bin/sh", root.join("bin/env")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root.join("bin/sh"), std::fs::Permissions::from_mode(0o751)).unwrap();
    let img = load(&root).unwrap();
    assert_eq!(img.kind, SourceKind::RootfsDir);
    let t = &img.tree;
    assert_eq!(t.lookup("bin/sh"), t.lookup("bin/ash"));
    assert_eq!(t.node(t.lookup("bin/sh").unwrap()).meta.mode, 0o751);
    assert!(
        matches!(&t.node(t.lookup("bin/env").unwrap()).kind, friscy_image::Kind::Symlink(s) if s == b"/bin/sh")
    );
}

#[test]
fn whiteout_and_opaque_semantics() {
    let l1 = Layer::new()
        .file("a/keep", b"1")
        .file("a/gone", b"2")
        .file("b/x", b"3")
        .file("b/y", b"4")
        .dir("c/d", 0o700)
        .file("c/d/e", b"5")
        .tar();
    // Opaque marker after a same-layer entry keeps that entry; a whiteout
    // removes a whole directory; a file replaces a directory and back.
    let l2 = Layer::new()
        .whiteout("a/gone")
        .file("b/z", b"new")
        .opaque("b")
        .whiteout("c/d")
        .file("a/keep/..ok", b"")
        .tar();
    let files = docker_archive("riscv64", &[l1.clone(), l2.clone()], &[&l1, &l2], "w:1");
    let bytes = tar_of(&files);
    let img =
        friscy_image::load_bytes(bytes, "w", None, &Platform::riscv64(), &NoProgress).unwrap();
    let t = &img.tree;
    assert!(t.lookup("a/gone").is_none());
    assert!(t.lookup("b/x").is_none() && t.lookup("b/y").is_none());
    assert_eq!(t.file("b/z"), Some(&b"new"[..]));
    assert!(t.lookup("c/d").is_none() && t.lookup("c").is_some());
    // `a/keep` was a file; a later entry below it turns it into a directory.
    assert!(t.children(t.lookup("a/keep").unwrap()).is_some());
}

fn hostile(layer: Vec<u8>) -> ImageError {
    let base = Layer::new().file("ok", b"ok").tar();
    let files = docker_archive(
        "riscv64",
        &[base.clone(), layer.clone()],
        &[&base, &layer],
        "h:1",
    );
    friscy_image::load_bytes(
        tar_of(&files),
        "hostile.tar",
        None,
        &Platform::riscv64(),
        &NoProgress,
    )
    .unwrap_err()
}

#[test]
fn path_traversal_is_refused_naming_layer_and_path() {
    let h = tar::Header::new_gnu();
    let mut reg = h.clone();
    reg.set_entry_type(tar::EntryType::Regular);
    reg.set_size(4);
    let err = hostile(
        Layer::new()
            .raw(b"../../etc/passwd", reg.clone(), b"evil")
            .tar(),
    );
    assert!(matches!(err, ImageError::PathEscape { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("../../etc/passwd") && msg.contains("(2/2)"),
        "{msg}"
    );
    let err = hostile(Layer::new().raw(b"/etc/passwd", reg.clone(), b"evil").tar());
    assert!(
        matches!(
            err,
            ImageError::PathEscape {
                why: "absolute path",
                ..
            }
        ),
        "{err:?}"
    );
    let err = hostile(Layer::new().raw(b"usr/../../x", reg, b"evil").tar());
    assert!(matches!(err, ImageError::PathEscape { .. }), "{err:?}");
    // Hard links must not point outside either.
    let err = hostile(Layer::new().hardlink("h", "../../etc/shadow").tar());
    assert!(matches!(err, ImageError::BadHardLink { .. }), "{err:?}");
    let err = hostile(Layer::new().hardlink("h", "missing").tar());
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[test]
fn writing_through_a_symlinked_parent_is_refused() {
    let err = hostile(
        Layer::new()
            .symlink("etc", "/../../host-etc")
            .file("etc/passwd", b"evil")
            .tar(),
    );
    assert!(matches!(err, ImageError::SymlinkParent { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("etc/passwd") && msg.contains("\"etc\""),
        "{msg}"
    );
    // Across layers too.
    let l1 = Layer::new().symlink("lib", "../../..").tar();
    let l2 = Layer::new().file("lib/x.so", b"evil").tar();
    let files = docker_archive("riscv64", &[l1.clone(), l2.clone()], &[&l1, &l2], "h:1");
    let err =
        friscy_image::load_bytes(tar_of(&files), "h", None, &Platform::riscv64(), &NoProgress)
            .unwrap_err();
    assert!(matches!(err, ImageError::SymlinkParent { .. }), "{err:?}");
}

#[test]
fn truncated_tar_and_bad_gzip_are_reported() {
    // A layer cut inside a file's data (blob digests match the cut bytes,
    // so the problem is found while unpacking).
    let full = Layer::new().file("big", &[7u8; 5000]).tar();
    let cut = full[..2048].to_vec();
    let files = docker_archive("riscv64", std::slice::from_ref(&cut), &[&cut], "t:1");
    let err = friscy_image::load_bytes(
        tar_of(&files),
        "trunc.tar",
        None,
        &Platform::riscv64(),
        &NoProgress,
    )
    .unwrap_err();
    assert!(matches!(err, ImageError::Tar { .. }), "{err:?}");
    assert!(err.to_string().contains("layer blobs/sha256/"), "{err}");

    // A layer that ends right after the last file's data (umoci 0.4 writes
    // no padding and no end blocks) is accepted; one byte less is not.
    let t = Layer::new().file("a", b"abc").tar();
    let (ok, short) = (t[..515].to_vec(), t[..514].to_vec());
    let files = docker_archive("riscv64", std::slice::from_ref(&ok), &[&ok], "t:1");
    let img = friscy_image::load_bytes(
        tar_of(&files),
        "nopad.tar",
        None,
        &Platform::riscv64(),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(img.tree.file("a"), Some(&b"abc"[..]));
    let files = docker_archive("riscv64", std::slice::from_ref(&short), &[&short], "t:1");
    let err = friscy_image::load_bytes(
        tar_of(&files),
        "short.tar",
        None,
        &Platform::riscv64(),
        &NoProgress,
    )
    .unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");

    // A gzip stream with garbage in the middle.
    let mut gz = gzip(
        &Layer::new()
            .file("f", &[1u8; 100_000])
            .file("g", b"x")
            .tar(),
    );
    let mid = gz.len() / 2;
    for b in &mut gz[mid..mid + 16] {
        *b ^= 0x5a;
    }
    let files = docker_archive("riscv64", &[gz], &[], "g:1");
    let err = friscy_image::load_bytes(
        tar_of(&files),
        "badgz.tar",
        None,
        &Platform::riscv64(),
        &NoProgress,
    )
    .unwrap_err();
    assert!(
        matches!(err, ImageError::Decompress { codec: "gzip", .. }),
        "{err:?}"
    );

    // A gzip stream cut short.
    let gz = gzip(&Layer::new().file("f", &[1u8; 100_000]).tar());
    let short = gz[..gz.len() - 10].to_vec();
    let files = docker_archive("riscv64", &[short], &[], "g:1");
    let err = friscy_image::load_bytes(
        tar_of(&files),
        "shortgz.tar",
        None,
        &Platform::riscv64(),
        &NoProgress,
    )
    .unwrap_err();
    assert!(
        matches!(err, ImageError::Decompress { .. } | ImageError::Tar { .. }),
        "{err:?}"
    );

    // The outer archive itself truncated.
    let whole = tar_of(&docker_archive(
        "riscv64",
        std::slice::from_ref(&full),
        &[&full],
        "t:1",
    ));
    let err = friscy_image::load_bytes(
        whole[..whole.len() / 2].to_vec(),
        "half.tar",
        None,
        &Platform::riscv64(),
        &NoProgress,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ImageError::Tar { .. } | ImageError::MissingFile { .. } | ImageError::Manifest { .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("half.tar"), "{err}");
}

#[test]
fn oci_blob_digest_mismatch_and_missing_blob() {
    let l = Layer::new().file("x", b"original").tar();
    let (files, _) = oci_layout(
        &[OciImage {
            arch: "riscv64".into(),
            layers: vec![gzip(&l)],
            plain: vec![l.clone()],
        }],
        "t",
    );
    let layer_digest = sha256hex(&gzip(&l));
    let dir = tempfile::tempdir().unwrap();
    // Swap the layer blob's bytes.
    let mut bad = files.clone();
    let i = bad
        .iter()
        .position(|(n, _)| n.ends_with(&layer_digest))
        .unwrap();
    bad[i].1 = gzip(&Layer::new().file("x", b"tampered").tar());
    write_dir(&dir.path().join("bad"), &bad);
    let err = load(&dir.path().join("bad")).unwrap_err();
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains(&layer_digest), "{err}");
    // Remove it.
    let mut missing = files.clone();
    missing.remove(i);
    write_dir(&dir.path().join("missing"), &missing);
    let err = load(&dir.path().join("missing")).unwrap_err();
    assert!(matches!(err, ImageError::MissingBlob { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&layer_digest) && msg.contains("layer 1"),
        "{msg}"
    );
    // A manifest naming a missing config.
    let mut nocfg = files.clone();
    let cfg_hex = nocfg
        .iter()
        .find(|(_, b)| b.starts_with(b"{\"architecture\""))
        .map(|(n, _)| n.clone())
        .unwrap();
    nocfg.retain(|(n, _)| *n != cfg_hex);
    write_dir(&dir.path().join("nocfg"), &nocfg);
    let err = load(&dir.path().join("nocfg")).unwrap_err();
    assert!(matches!(err, ImageError::MissingBlob { .. }), "{err:?}");
}

#[test]
fn not_an_image_and_missing_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let txt = dir.path().join("notes.txt");
    std::fs::write(&txt, b"hello, I am text\n".repeat(100)).unwrap();
    let err = load(&txt).unwrap_err();
    assert!(matches!(err, ImageError::NotAnImage { .. }), "{err:?}");
    let empty = dir.path().join("empty.tar");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        load(&empty).unwrap_err(),
        ImageError::NotAnImage { .. }
    ));
    let err = load_image("./nope.tar", &LoadOptions::default(), &NoProgress).unwrap_err();
    assert!(matches!(err, ImageError::NotFound { .. }), "{err:?}");
    assert!(matches!(
        friscy_image::parse_input("alpine:3.20").unwrap(),
        friscy_image::ImageInput::Registry(_)
    ));
    assert!(matches!(
        friscy_image::parse_input("docker://127.0.0.1:5000/x:y").unwrap(),
        friscy_image::ImageInput::Registry(_)
    ));
}
