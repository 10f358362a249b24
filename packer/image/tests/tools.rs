//! Interoperability with Debian's umoci, skopeo and docker-registry: build
//! an OCI layout with umoci from directories (two layers, a whiteout, an
//! opaque directory), convert it with skopeo to a docker-archive and push it
//! to a docker-registry on 127.0.0.1, then load every form with the library
//! and compare the trees. Skipped (with a message) when a tool is missing.

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use friscy_image::{load_image, LoadOptions, NoProgress, SourceKind};

fn have(tool: &str) -> bool {
    Path::new(tool).exists()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Registry(Child);

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_registry(dir: &Path) -> (Registry, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = dir.join("registry.yml");
    std::fs::write(
        &cfg,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("storage").display()
        ),
    )
    .unwrap();
    let child = Command::new("/usr/bin/docker-registry")
        .arg("serve")
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reg = Registry(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "docker-registry did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (reg, port)
}

#[test]
fn umoci_skopeo_and_docker_registry_round_trip() {
    for t in [
        "/usr/bin/umoci",
        "/usr/bin/skopeo",
        "/usr/bin/docker-registry",
    ] {
        if !have(t) {
            eprintln!("skipping: {t} is not installed");
            return;
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Layer 1: a small rootfs.
    let src = d.join("src");
    std::fs::create_dir_all(src.join("bin")).unwrap();
    std::fs::create_dir_all(src.join("etc/conf.d")).unwrap();
    std::fs::create_dir_all(src.join("var/lib/old")).unwrap();
    std::fs::write(src.join("bin/busybox"), b"\x7fELF pretend busybox").unwrap();
    std::os::unix::fs::symlink("busybox", src.join("bin/sh")).unwrap();
    std::fs::hard_link(src.join("bin/busybox"), src.join("bin/ls")).unwrap();
    std::fs::write(src.join("etc/os-release"), b"ID=friscy-test\n").unwrap();
    std::fs::write(src.join("etc/conf.d/a"), b"a").unwrap();
    std::fs::write(src.join("var/lib/old/state"), b"old").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        src.join("bin/busybox"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    // Layer 3 content: replaces etc/conf.d opaquely.
    let conf = d.join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("b"), b"b").unwrap();

    let layout = d.join("layout");
    let img = format!("{}:v1", layout.display());
    run(Command::new("umoci")
        .args(["init", "--layout"])
        .arg(&layout));
    run(Command::new("umoci").args(["new", "--image", &img]));
    run(Command::new("umoci").args([
        "config",
        "--image",
        &img,
        "--architecture",
        "riscv64",
        "--os",
        "linux",
        "--config.cmd",
        "/bin/sh",
        "--config.env",
        "GREETING=hi",
        "--config.workingdir",
        "/etc",
    ]));
    run(Command::new("umoci")
        .args(["insert", "--rootless", "--image", &img])
        .arg(&src)
        .arg("/"));
    run(Command::new("umoci").args([
        "insert",
        "--rootless",
        "--image",
        &img,
        "--whiteout",
        "/var/lib/old",
    ]));
    run(Command::new("umoci")
        .args(["insert", "--rootless", "--image", &img, "--opaque"])
        .arg(&conf)
        .arg("/etc/conf.d"));

    let opts = LoadOptions::default();
    let oci = load_image(&format!("oci:{img}"), &opts, &NoProgress).unwrap();
    assert_eq!(oci.kind, SourceKind::OciLayout);
    let t = &oci.tree;
    assert_eq!(t.file("etc/os-release"), Some(&b"ID=friscy-test\n"[..]));
    assert_eq!(t.lookup("bin/ls"), t.lookup("bin/busybox"), "hard link");
    assert!(t.lookup("var/lib/old").is_none(), "umoci whiteout");
    assert!(t.lookup("var/lib").is_some());
    assert!(t.lookup("etc/conf.d/a").is_none(), "umoci opaque");
    assert_eq!(t.file("etc/conf.d/b"), Some(&b"b"[..]));
    assert_eq!(oci.config.cmd, ["/bin/sh"]);
    assert_eq!(oci.config.working_dir.as_deref(), Some("/etc"));
    let want = t.listing();

    // docker-archive via skopeo.
    let archive = d.join("app.tar");
    run(Command::new("skopeo")
        .args(["--insecure-policy", "copy", &format!("oci:{img}")])
        .arg(format!("docker-archive:{}:app:v1", archive.display())));
    let da = load_image(archive.to_str().unwrap(), &opts, &NoProgress).unwrap();
    let tagged = load_image(
        &format!("docker-archive:{}:app:v1", archive.display()),
        &opts,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(tagged.tree.listing(), da.tree.listing());
    assert_eq!(da.kind, SourceKind::DockerArchive);
    assert_eq!(da.tree.listing(), want, "docker-archive tree");
    assert_eq!(da.config, oci.config);

    // OCI layout as a tar.
    let ltar = d.join("layout.tar");
    run(Command::new("tar")
        .arg("-C")
        .arg(&layout)
        .arg("-cf")
        .arg(&ltar)
        .arg("."));
    let lt = load_image(&format!("{}:v1", ltar.display()), &opts, &NoProgress).unwrap();
    assert_eq!(lt.tree.listing(), want, "layout tar tree");

    // A registry on 127.0.0.1.
    let (_reg, port) = start_registry(d);
    let reference = format!("127.0.0.1:{port}/friscy/app:v1");
    run(Command::new("skopeo")
        .args([
            "--insecure-policy",
            "copy",
            "--dest-tls-verify=false",
            &format!("oci:{img}"),
        ])
        .arg(format!("docker://{reference}")));
    let mut ropts = LoadOptions::default();
    ropts.registry.docker_config = Some(d.join("none.json"));
    ropts.registry.blob_cache = Some(d.join("cache"));
    let pulled = load_image(&reference, &ropts, &NoProgress).unwrap();
    assert_eq!(pulled.kind, SourceKind::Registry);
    assert_eq!(pulled.tree.listing(), want, "pulled tree");
    // Again, from the blob cache.
    let again = load_image(&reference, &ropts, &NoProgress).unwrap();
    assert_eq!(again.tree.listing(), want);
    // A tag that is not there.
    let err = load_image(
        &format!("127.0.0.1:{port}/friscy/app:nope"),
        &ropts,
        &NoProgress,
    )
    .unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");

    // And the packed runtime image reads back to the same tree.
    let bytes = friscy_image::write_runtime_image(
        &pulled,
        &friscy_image::WriteOptions::fast(),
        &NoProgress,
    )
    .unwrap();
    let mut vfs =
        friscy_core::vfs::imagefs::open(Box::new(friscy_core::BytesRootfs(bytes))).unwrap();
    let os = vfs
        .resolve(friscy_core::vfs::ROOT_INO, b"/etc/os-release", true)
        .unwrap()
        .ino;
    assert_eq!(vfs.read_all(os).unwrap(), b"ID=friscy-test\n");
}
