//! Container images through the CLIs: `friscy run IMAGE`, `friscy-pack
//! IMAGE -o OUT/` + `wasmtime run OUT/app.wasm`, and (local files)
//! `wasmtime run dist/friscy.wasm --image IMAGE`, for an OCI layout made with
//! umoci (two layers: the second deletes a file and replaces a directory
//! opaquely), the same as an OCI tar and as a docker-archive with gzip layers
//! (skopeo), and pushed to Debian's docker-registry on 127.0.0.1. Two such
//! images: one of the guest test programs, checked in detail (Cmd, Env,
//! WorkingDir, overrides, the web bundle), and one whose first layer is a
//! rootfs of Debian trixie riscv64 packages, whose recursive listing must
//! equal what its layers hold. Then hostile inputs: each must fail with a
//! clear one-line error and a non-zero status, writing nothing outside OUT.
//!
//! Skipped (with a message) when umoci, skopeo or docker-registry is missing.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use friscy_tests::fixtures;
use friscy_tests::harness::{
    friscy_native, friscy_pack, friscy_wasm, run_command, wasmtime, Output,
};

const TOOLS: [&str; 3] = [
    "/usr/bin/umoci",
    "/usr/bin/skopeo",
    "/usr/bin/docker-registry",
];

fn have_tools() -> bool {
    match TOOLS.iter().find(|t| !Path::new(t).exists()) {
        Some(t) => {
            eprintln!("skipping: {t} is not installed (just setup)");
            false
        }
        None => true,
    }
}

fn sh(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A tar from `(path, contents or symlink target, mode)`; entries named raw
/// (so `../x` can be written, as a hostile layer would).
fn tar_of(entries: &[(&str, Entry)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, e) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_mtime(1_700_000_000);
        h.set_uid(0);
        h.set_gid(0);
        let data: &[u8] = match e {
            Entry::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                &[]
            }
            Entry::File(d, mode) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(*mode);
                h.set_size(d.len() as u64);
                d
            }
            Entry::Symlink(t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                h.set_size(0);
                h.set_link_name(t).unwrap();
                &[]
            }
        };
        let raw = &mut h.as_old_mut().name;
        raw.fill(0);
        raw[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

enum Entry {
    Dir,
    File(Vec<u8>, u32),
    Symlink(&'static str),
}

fn file(d: &[u8]) -> Entry {
    Entry::File(d.to_vec(), 0o644)
}

struct Registry(Child);

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_registry(dir: &Path) -> (Registry, u16) {
    let port = free_port();
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

/// The images, built once per test process.
struct Images {
    /// Kept for its path; see `remove_at_exit`.
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    /// `oci:DIR:v1`-style inputs, named.
    inputs: Vec<(&'static str, String)>,
    /// The OCI layout directory (`layout`, tag v1).
    layout: PathBuf,
}

const OS_RELEASE: &[u8] = b"NAME=\"friscy image test\"\nID=friscy-images\n";

fn images() -> &'static Images {
    static IMAGES: OnceLock<Images> = OnceLock::new();
    IMAGES.get_or_init(build_images)
}

/// Remove `dir` when the test process exits. The images live in a static
/// (built once, shared by the tests) and statics are never dropped, so the
/// `TempDir` in it would stay behind after every run.
fn remove_at_exit(dir: PathBuf) {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    extern "C" fn remove() {
        if let Some(d) = DIR.get() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
    if DIR.set(dir).is_ok() {
        // SAFETY: `remove` is a plain function that only reads a static
        // set before it is registered; libtest ends through exit(), which
        // runs it once.
        let registered = unsafe { libc::atexit(remove) };
        assert_eq!(registered, 0, "atexit failed");
    }
}

fn build_images() -> Images {
    let fx = fixtures::ensure();
    let tmp = tempfile::tempdir().unwrap();
    remove_at_exit(tmp.path().to_path_buf());
    let d = tmp.path().to_path_buf();
    let prog = |p: &str| {
        Entry::File(
            std::fs::read(fx.binary(fixtures::Libc::Musl, p)).unwrap(),
            0o755,
        )
    };
    // Layer 1: programs, /etc, /data with a file to delete and a directory
    // to replace.
    let layer1 = tar_of(&[
        ("musl/", Entry::Dir),
        ("musl/hello", prog("hello")),
        ("musl/cat", prog("cat")),
        ("musl/listdir", prog("listdir")),
        ("etc/", Entry::Dir),
        ("etc/os-release", file(OS_RELEASE)),
        (
            "etc/passwd",
            file(b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"),
        ),
        ("etc/group", file(b"root:x:0:\napp:x:1000:\n")),
        ("data/", Entry::Dir),
        ("data/keep.txt", file(b"kept\n")),
        ("data/old.txt", file(b"deleted in layer 2\n")),
        ("data/conf/", Entry::Dir),
        ("data/conf/a", file(b"a\n")),
        ("data/conf/sub/", Entry::Dir),
        ("data/conf/sub/deep", file(b"deep\n")),
    ]);
    // Layer 2: delete data/old.txt, replace data/conf opaquely.
    let layer2 = tar_of(&[
        ("data/", Entry::Dir),
        ("data/.wh.old.txt", file(b"")),
        ("data/conf/", Entry::Dir),
        ("data/conf/.wh..wh..opq", file(b"")),
        ("data/conf/b", file(b"b\n")),
        ("data/new.txt", file(b"added in layer 2\n")),
    ]);
    let layer_files: Vec<PathBuf> = [layer1, layer2]
        .iter()
        .enumerate()
        .map(|(i, layer)| {
            let p = d.join(format!("layer{i}.tar"));
            std::fs::write(&p, layer).unwrap();
            p
        })
        .collect();
    let (layout, inputs) = image_forms(
        &d,
        &layer_files,
        &[
            "--config.cmd",
            "/musl/hello",
            "--config.cmd",
            "from-image",
            "--config.env",
            "FRISCY_TEST_IMG=1",
            "--config.workingdir",
            "/data",
        ],
    );
    Images {
        _tmp: tmp,
        dir: d,
        inputs,
        layout,
    }
}

/// An image of `layers` (plain tars, applied in order) with the umoci
/// `config` options, in `d`: the OCI layout umoci makes (tag v1), and the
/// same copied by skopeo into an OCI tar, a docker-archive, and a
/// docker-archive with gzip layers. Returns the layout and the inputs.
fn image_forms(
    d: &Path,
    layers: &[PathBuf],
    config: &[&str],
) -> (PathBuf, Vec<(&'static str, String)>) {
    let layout = d.join("layout");
    let img = format!("{}:v1", layout.display());
    sh(Command::new("umoci")
        .args(["init", "--layout"])
        .arg(&layout));
    sh(Command::new("umoci").args(["new", "--image", &img]));
    sh(Command::new("umoci")
        .args(["config", "--image", &img])
        .args(["--architecture", "riscv64", "--os", "linux"])
        .args(config));
    for p in layers {
        sh(Command::new("umoci")
            .args(["raw", "add-layer", "--image", &img])
            .arg(p));
    }
    let oci_tar = d.join("image.oci.tar");
    sh(Command::new("skopeo")
        .args(["--insecure-policy", "copy", &format!("oci:{img}")])
        .arg(format!("oci-archive:{}:v1", oci_tar.display())));
    let docker = d.join("docker-save.tar");
    sh(Command::new("skopeo")
        .args(["--insecure-policy", "copy", &format!("oci:{img}")])
        .arg(format!("docker-archive:{}:friscy/app:v1", docker.display())));
    // skopeo writes plain layers; `docker save` of a pulled image may hold
    // gzip ones: gzip each layer file in place (the config's diff_ids stay).
    let docker_gz = d.join("docker-save-gzip.tar");
    let x = d.join("docker-x");
    std::fs::create_dir_all(&x).unwrap();
    sh(Command::new("sh").arg("-c").arg(format!(
        "set -e; tar -C {x} -xf {src}; for f in {x}/*.tar; do gzip -n -c \"$f\" > \"$f.gz\"; mv \"$f.gz\" \"$f\"; done; \
         tar -C {x} -cf {dst} .",
        x = x.display(),
        src = docker.display(),
        dst = docker_gz.display()
    )));
    let inputs = vec![
        ("oci-layout", img),
        ("oci-tar", oci_tar.display().to_string()),
        ("docker-archive-gzip", docker_gz.display().to_string()),
        ("docker-archive", docker.display().to_string()),
    ];
    (layout, inputs)
}

/// `friscy run` with its cache in `cache` (not the user's).
fn friscy_run(cache: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(friscy_native().unwrap_or_else(|e| panic!("{e:#}")));
    cmd.env("XDG_CACHE_HOME", cache)
        .env("DOCKER_CONFIG", cache.join("no-docker-config"))
        .arg("run")
        .args(args);
    run_command(cmd, b"").unwrap()
}

fn pack(cwd: &Path, image: &str, out: &Path, extra: &[&str]) -> Output {
    let mut cmd = Command::new(friscy_pack().unwrap_or_else(|e| panic!("{e:#}")));
    cmd.current_dir(cwd)
        .env("DOCKER_CONFIG", cwd.join("no-docker-config"))
        .arg(image)
        .arg("-o")
        .arg(out)
        .args(extra);
    run_command(cmd, b"").unwrap()
}

fn wasmtime_app(app: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(wasmtime().unwrap_or_else(|e| panic!("{e:#}")));
    cmd.arg("run").arg(app);
    if !args.is_empty() {
        cmd.arg("--").args(args);
    }
    run_command(cmd, b"").unwrap()
}

/// `wasmtime run --dir DIR dist/friscy.wasm --image INPUT [-- ARGS]`, DIR
/// being the input's directory: the component converts the image itself.
fn friscy_wasm_run(input: &str, args: &[&str]) -> Output {
    // The inputs live in temporary directories, whose paths hold no colon:
    // what follows one is a tag.
    let path = Path::new(input.split(':').next().unwrap());
    let dir = path.parent().unwrap().display().to_string();
    let mut cmd = Command::new(wasmtime().unwrap_or_else(|e| panic!("{e:#}")));
    cmd.arg("run")
        .arg("--dir")
        .arg(format!("{dir}::{dir}"))
        .arg(friscy_wasm().unwrap_or_else(|e| panic!("{e:#}")))
        .args(["--image", input]);
    if !args.is_empty() {
        cmd.arg("--").args(args);
    }
    run_command(cmd, b"").unwrap()
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status,
        0,
        "`{}` failed:\n{}",
        out.command,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

const LISTING: [&str; 6] = ["/musl/listdir", "/", "/data", "/data/conf", "/etc", "/musl"];

/// What every runner must show for an image.
fn check_image(label: &str, run: &dyn Fn(&[&str]) -> Output) {
    let entry = ok(&run(&[]));
    assert!(
        entry.contains("argv[0]=[/musl/hello]") && entry.contains("argv[1]=[from-image]"),
        "{label}: the image's Cmd did not run:\n{entry}"
    );
    assert!(
        entry.contains("env: [FRISCY_TEST_IMG=1]"),
        "{label}: image Env:\n{entry}"
    );
    let os = ok(&run(&["/musl/cat", "/etc/os-release"]));
    // The guest cat prints its own notes after the file's bytes.
    assert!(
        os.as_bytes().starts_with(OS_RELEASE),
        "{label}: /etc/os-release:\n{os}"
    );
    // WorkingDir is /data: relative paths resolve there.
    let both = ok(&run(&["/musl/cat", "keep.txt", "new.txt"]));
    assert!(
        both.starts_with("kept\n") && both.contains("\nadded in layer 2\n"),
        "{label}: {both}"
    );
    let listing = ok(&run(&LISTING));
    assert!(listing.contains("keep.txt"), "{label}: {listing}");
    assert!(
        !listing.contains("old.txt"),
        "{label}: deleted file present:\n{listing}"
    );
    assert!(
        !listing.contains(" sub\n") && !listing.contains(" a\n") && listing.contains(" b\n"),
        "{label}: opaque dir kept old entries:\n{listing}"
    );
    let failed = run(&["/musl/cat", "/data/old.txt", "/data/conf/a", "/data/conf/b"]);
    assert_ne!(failed.status, 0, "{label}: deleted files are readable");
    let text = String::from_utf8_lossy(&failed.stdout);
    assert!(
        text.starts_with("b\n")
            && !text.contains("[read] /data/old.txt")
            && !text.contains("[read] /data/conf/a"),
        "{label}: {text}"
    );
    // The listing is the same through every input and runner.
    static FIRST: OnceLock<String> = OnceLock::new();
    let first = FIRST.get_or_init(|| listing.clone());
    assert_eq!(
        &listing, first,
        "{label}: listing differs from the first image's"
    );
}

/// `layout` (tag v1) pushed to a docker-registry on 127.0.0.1 under `dir`:
/// the registry (stopped when dropped) and the reference.
fn push_to_registry(dir: &Path, layout: &Path) -> (Registry, String) {
    let (registry, port) = start_registry(dir);
    let reference = format!("127.0.0.1:{port}/friscy/app:v1");
    sh(Command::new("skopeo")
        .args([
            "--insecure-policy",
            "copy",
            "--dest-tls-verify=false",
            &format!("oci:{}:v1", layout.display()),
        ])
        .arg(format!("docker://{reference}")));
    (registry, reference)
}

/// Checks an image through a runner, given its label and a way to run the
/// image with words after it (none: the image's own command).
type Check<'a> = dyn Fn(&str, &dyn Fn(&[&str]) -> Output) + 'a;

/// `check` each input through `friscy run`, through `friscy-pack` +
/// `wasmtime run OUT/app.wasm`, and (local files) through `wasmtime run
/// dist/friscy.wasm --image INPUT`; `web` sees each packer's `OUT/web/`.
fn through_every_runner(inputs: &[(&'static str, String)], check: &Check<'_>, web: &dyn Fn(&Path)) {
    let cache = tempfile::tempdir().unwrap();
    for (kind, input) in inputs {
        check(&format!("friscy run {kind}"), &|args| {
            let mut a = vec![input.as_str()];
            if !args.is_empty() {
                a.push("--");
                a.extend_from_slice(args);
            }
            friscy_run(cache.path(), &a)
        });
        let work = tempfile::tempdir().unwrap();
        let out = work.path().join("out");
        ok(&pack(work.path(), input, &out, &[]));
        check(&format!("friscy-pack {kind} + wasmtime"), &|args| {
            wasmtime_app(&out.join("app.wasm"), args)
        });
        web(&out.join("web"));
        if *kind != "registry" {
            check(&format!("friscy.wasm --image {kind}"), &|args| {
                friscy_wasm_run(input, args)
            });
        }
    }
}

#[test]
fn every_input_kind_runs_natively_and_packed() {
    if !have_tools() {
        return;
    }
    let im = images();
    let rdir = tempfile::tempdir().unwrap();
    let (_registry, reference) = push_to_registry(rdir.path(), &im.layout);
    let mut inputs = im.inputs.clone();
    inputs.push(("registry", reference));
    through_every_runner(&inputs, &check_image, &check_web_bundle);
    // A second `friscy run` of a local archive comes from the cache.
    let cache = tempfile::tempdir().unwrap();
    let (_, docker) = &im.inputs[2];
    for _ in 0..2 {
        ok(&friscy_run(
            cache.path(),
            &[docker, "--", "/musl/cat", "/etc/os-release"],
        ));
    }
    let cached = std::fs::read_dir(cache.path().join("friscy/images"))
        .unwrap()
        .count();
    assert_eq!(
        cached, 1,
        "two runs of one archive made {cached} cache entries"
    );
}

/// The listing the Debian image's guest command below prints, computed
/// from the layers on the host: every path but `/proc` and `/dev` (friscy
/// makes those) and the /etc files friscy writes at boot, as `PATH d MODE
/// UID:GID`, `PATH f MODE UID:GID SIZE` or `PATH l TARGET`, sorted.
const DEBIAN_LISTING: &str = "find / -mindepth 1 \\( -path /proc -o -path /dev \\) -prune \
     -o -type d -printf '%p d %m %U:%G\\n' -o -type f -printf '%p f %m %U:%G %s\\n' \
     -o -type l -printf '%p l %l\\n' | grep -Ev '^/etc/(hostname|hosts|resolv.conf) ' | LC_ALL=C sort";

fn debian_expected_listing(
    layer1: &Path,
    deleted: &str,
    opaque: &str,
    added: &[(&str, &[u8])],
) -> String {
    let mut lines: std::collections::BTreeMap<String, String> = Default::default();
    let mut sizes: std::collections::HashMap<String, u64> = Default::default();
    let mut ar = tar::Archive::new(std::fs::File::open(layer1).unwrap());
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        let raw = e.path().unwrap().to_string_lossy().into_owned();
        let rel = raw.trim_start_matches("./").trim_end_matches('/');
        if rel.is_empty() {
            continue;
        }
        let path = format!("/{rel}");
        let owner = format!("{}:{}", h.uid().unwrap(), h.gid().unwrap());
        let mode = h.mode().unwrap() & 0o7777;
        let line = match h.entry_type() {
            tar::EntryType::Directory => format!("{path} d {mode:o} {owner}"),
            tar::EntryType::Symlink => {
                format!(
                    "{path} l {}",
                    e.link_name().unwrap().unwrap().to_string_lossy()
                )
            }
            tar::EntryType::Link => {
                let target = e
                    .link_name()
                    .unwrap()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let size = sizes[&format!("/{}", target.trim_start_matches("./"))];
                format!("{path} f {mode:o} {owner} {size}")
            }
            tar::EntryType::Regular => {
                sizes.insert(path.clone(), h.size().unwrap());
                format!("{path} f {mode:o} {owner} {}", h.size().unwrap())
            }
            t => panic!("{path}: unexpected entry type {t:?} in the Debian rootfs"),
        };
        lines.insert(path, line);
    }
    lines.retain(|p, _| {
        let under = |d: &str| p == d || p.starts_with(&format!("{d}/"));
        !under("/proc")
            && !under("/dev")
            && p != deleted
            && !p.starts_with(&format!("{opaque}/"))
            && !matches!(
                p.as_str(),
                "/etc/hostname" | "/etc/hosts" | "/etc/resolv.conf"
            )
    });
    for (path, bytes) in added {
        lines.insert(
            path.to_string(),
            format!("{path} f 644 0:0 {}", bytes.len()),
        );
    }
    let mut out: Vec<String> = lines.into_values().collect();
    out.sort();
    out.iter().map(|l| format!("{l}\n")).collect()
}

/// A rootfs of Debian trixie riscv64 packages (the `base` profile: glibc,
/// busybox, dash, bash, coreutils, findutils, grep, sed) as layer 1; layer
/// 2 deletes a file of it, replaces a directory opaquely and adds a file.
/// Through every input kind and runner: the entrypoint runs with the
/// image's Env and WorkingDir, `cat /etc/os-release` gives Debian's file,
/// and the recursive listing is what the layers hold.
#[test]
fn debian_image_runs_as_its_layers_hold() {
    if !have_tools() {
        return;
    }
    let base = friscy_tests::debian::ensure("base");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    const SKEL: &[u8] = b"from layer 2\n";
    const ADDED: &[u8] = b"added in layer 2\n";
    let layer2 = d.join("layer2.tar");
    std::fs::write(
        &layer2,
        tar_of(&[
            ("etc/", Entry::Dir),
            ("etc/.wh.issue.net", file(b"")),
            ("etc/skel/", Entry::Dir),
            ("etc/skel/.wh..wh..opq", file(b"")),
            ("etc/skel/.friscy", file(SKEL)),
            ("etc/friscy-layer2", file(ADDED)),
        ]),
    )
    .unwrap();
    assert!(
        base.tree.join("etc/issue.net").is_file() && base.tree.join("etc/skel/.bashrc").is_file()
    );
    let (layout, mut inputs) = image_forms(
        d,
        &[base.tar.clone(), layer2],
        &[
            "--config.entrypoint",
            "/bin/sh",
            "--config.entrypoint",
            "-c",
            "--config.cmd",
            "echo \"entrypoint: $FRISCY_TEST_IMG in $(pwd) as $(id -u)\"",
            "--config.env",
            "FRISCY_TEST_IMG=debian",
            "--config.workingdir",
            "/etc",
        ],
    );
    let rdir = tempfile::tempdir().unwrap();
    let (_registry, reference) = push_to_registry(rdir.path(), &layout);
    inputs.push(("registry", reference));
    let os_release = std::fs::read_to_string(base.tree.join("usr/lib/os-release")).unwrap();
    assert!(os_release.contains("Debian"), "{os_release}");
    let expected = debian_expected_listing(
        &base.tar,
        "/etc/issue.net",
        "/etc/skel",
        &[("/etc/skel/.friscy", SKEL), ("/etc/friscy-layer2", ADDED)],
    );
    let check = |label: &str, run: &dyn Fn(&[&str]) -> Output| {
        assert_eq!(
            ok(&run(&[])),
            "entrypoint: debian in /etc as 0\n",
            "{label}"
        );
        // Words after the image replace Cmd, the Entrypoint (sh -c) stays.
        assert_eq!(ok(&run(&["cat /etc/os-release"])), os_release, "{label}");
        assert_eq!(
            ok(&run(&["cat skel/.friscy friscy-layer2"])),
            "from layer 2\nadded in layer 2\n",
            "{label}"
        );
        let listing = ok(&run(&[DEBIAN_LISTING]));
        if listing != expected {
            let (l, e): (Vec<_>, Vec<_>) = (listing.lines().collect(), expected.lines().collect());
            let extra: Vec<_> = l.iter().filter(|x| !e.contains(x)).take(20).collect();
            let missing: Vec<_> = e.iter().filter(|x| !l.contains(x)).take(20).collect();
            panic!("{label}: the listing differs from the layers ({} lines, {} expected)\nonly in the guest: {extra:#?}\nonly in the layers: {missing:#?}", l.len(), e.len());
        }
    };
    through_every_runner(&inputs, &check, &|_| {});
}

#[test]
fn run_overrides_apply_as_docker_run() {
    if !have_tools() {
        return;
    }
    let im = images();
    let cache = tempfile::tempdir().unwrap();
    let input = &im.inputs[0].1;
    let out = ok(&friscy_run(
        cache.path(),
        &[
            "-e",
            "FRISCY_TEST_X=2",
            "-w",
            "/etc",
            input,
            "--",
            "/musl/hello",
            "x",
        ],
    ));
    assert!(
        out.contains("argv[0]=[/musl/hello]") && out.contains("argv[1]=[x]"),
        "{out}"
    );
    assert!(
        out.contains("argc=2"),
        "CMD after -- replaces Cmd, keeps no entrypoint args:\n{out}"
    );
    assert!(
        out.contains("env: [FRISCY_TEST_IMG=1]") && out.contains("env: [FRISCY_TEST_X=2]"),
        "{out}"
    );
    let os = ok(&friscy_run(
        cache.path(),
        &["-w", "/etc", input, "--", "/musl/cat", "os-release"],
    ));
    assert!(os.as_bytes().starts_with(OS_RELEASE), "{os}");
    let ep = ok(&friscy_run(
        cache.path(),
        &["--entrypoint", "/musl/cat", input, "--", "/etc/os-release"],
    ));
    assert!(ep.as_bytes().starts_with(OS_RELEASE), "{ep}");
    // --entrypoint drops the image's Cmd, as docker does.
    let bare = ok(&friscy_run(
        cache.path(),
        &["--entrypoint", "/musl/hello", input],
    ));
    assert!(bare.contains("argc=1"), "{bare}");
}

fn check_web_bundle(web: &Path) {
    for f in [
        "index.html",
        "main.js",
        "worker.js",
        "style.css",
        "lib/driver.js",
        "lib/rootfs.js",
        "gen/emulator.js",
        "vendor/xterm/xterm.mjs",
        "vendor/preview2-shim/index.js",
        "image.fimg",
        "manifest.json",
    ] {
        assert!(
            web.join(f).is_file(),
            "{} is missing",
            web.join(f).display()
        );
    }
    let wasm = std::fs::read_dir(web.join("gen"))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().ends_with(".wasm"));
    assert!(wasm, "no transpiled core wasm in web/gen");
    let image = std::fs::read(web.join("image.fimg")).unwrap();
    assert!(image.starts_with(b"FRISCYIM"));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(web.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["image"], "image.fimg");
    assert_eq!(m["imageSize"], image.len());
    assert_eq!(m["platform"], "linux/riscv64");
    let c = &m["config"];
    assert_eq!(c["Entrypoint"], serde_json::json!([]));
    assert_eq!(c["Cmd"], serde_json::json!(["/musl/hello", "from-image"]));
    assert_eq!(c["WorkingDir"], "/data");
    assert!(
        c["Env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "FRISCY_TEST_IMG=1"),
        "{c}"
    );
}

/// Every file under `dir`, relative path -> bytes.
fn tree_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push((
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn packing_twice_gives_identical_bytes() {
    if !have_tools() {
        return;
    }
    let im = images();
    let work = tempfile::tempdir().unwrap();
    let (a, b) = (work.path().join("a"), work.path().join("b"));
    let input = format!("{}:v1", im.layout.display());
    ok(&pack(work.path(), &input, &a, &["--name", "app"]));
    ok(&pack(work.path(), &input, &b, &["--name", "app"]));
    let (ta, tb) = (tree_bytes(&a), tree_bytes(&b));
    assert!(ta.len() > 5, "{ta:?}");
    assert_eq!(ta.len(), tb.len());
    for ((pa, ba), (pb, bb)) in ta.iter().zip(&tb) {
        assert_eq!(pa, pb);
        assert!(ba == bb, "{} differs between two packs", pa.display());
    }
    // Again over an existing OUT: still the same bytes.
    ok(&pack(work.path(), &input, &a, &["--name", "app"]));
    assert!(
        tree_bytes(&a) == tb,
        "re-packing into an existing OUT changed it"
    );
}

// ---- hostile inputs ----

/// A copy of the good OCI layout to damage.
fn layout_copy(dst: &Path) -> PathBuf {
    let src = &images().layout;
    sh(Command::new("cp").arg("-a").arg(src).arg(dst));
    dst.to_path_buf()
}

/// The layout's manifest (through index.json) and its layer digests.
fn layers_of(layout: &Path) -> Vec<String> {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let m = index["manifests"][0]["digest"].as_str().unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(blob(layout, m)).unwrap()).unwrap();
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect()
}

fn blob(layout: &Path, digest: &str) -> PathBuf {
    layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

/// A one-image OCI layout of `arch` with these layers, made with umoci.
fn layout_with(dir: &Path, arch: &str, layers: &[Vec<u8>]) -> String {
    let layout = dir.join(format!("layout-{arch}"));
    let img = format!("{}:v1", layout.display());
    sh(Command::new("umoci")
        .args(["init", "--layout"])
        .arg(&layout));
    sh(Command::new("umoci").args(["new", "--image", &img]));
    sh(Command::new("umoci").args([
        "config",
        "--image",
        &img,
        "--architecture",
        arch,
        "--os",
        "linux",
    ]));
    for (i, l) in layers.iter().enumerate() {
        let p = dir.join(format!("hostile-{arch}-{i}.tar"));
        std::fs::write(&p, l).unwrap();
        sh(Command::new("umoci")
            .args(["raw", "add-layer", "--image", &img])
            .arg(&p));
        std::fs::remove_file(&p).unwrap();
    }
    img
}

/// A tiny HTTP server answering every request with `status` (and
/// `WWW-Authenticate: Basic` for 401).
fn http_status_server(status: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0u8; 4096];
            let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = conn.read(&mut buf);
            let reason = if status == 401 {
                "Unauthorized"
            } else {
                "Internal Server Error"
            };
            let auth = if status == 401 {
                "WWW-Authenticate: Basic realm=\"friscy-test\"\r\n"
            } else {
                ""
            };
            let body =
                format!("{{\"errors\":[{{\"code\":\"TEST\",\"message\":\"status {status}\"}}]}}");
            let _ = write!(
                conn,
                "HTTP/1.1 {status} {reason}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// Both CLIs, and for a local file `dist/friscy.wasm`, refuse `input`:
/// non-zero, one clear line on stderr naming `needles`, no panic or trap,
/// nothing written outside OUT (and no OUT).
fn refused(case: &str, input: &str, needles: &[&str]) {
    let work = tempfile::tempdir().unwrap();
    let before = tree_bytes(&images().dir);
    let cache = work.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    let native = friscy_run(&cache, &[input, "--", "/musl/hello"]);
    let out = work.path().join("out");
    let packed = pack(work.path(), input, &out, &[]);
    let mut runs = vec![("friscy run", native), ("friscy-pack", packed)];
    if !input.starts_with("127.0.0.1:") {
        runs.push(("friscy.wasm", friscy_wasm_run(input, &["/musl/hello"])));
    }
    for (who, o) in &runs {
        let err = String::from_utf8_lossy(&o.stderr);
        assert_ne!(o.status, 0, "{case}: {who} succeeded:\n{err}");
        assert!(o.stdout.is_empty(), "{case}: {who} printed on stdout");
        assert!(
            !err.contains("panicked")
                && !err.contains("RUST_BACKTRACE")
                && !err.contains("wasm trap"),
            "{case}: {who} panicked:\n{err}"
        );
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{case}: {who} wants one error line:\n{err}"
        );
        for n in needles {
            assert!(err.contains(n), "{case}: {who}: {n:?} missing from:\n{err}");
        }
    }
    assert!(
        !out.exists() || tree_bytes(&out).is_empty(),
        "{case}: friscy-pack wrote into OUT"
    );
    let mut left: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    left.sort();
    assert!(
        left.iter().all(|n| n == "cache" || n == "out"),
        "{case}: wrote {left:?}"
    );
    assert!(
        tree_bytes(&images().dir) == before,
        "{case}: the inputs changed"
    );
}

#[test]
fn hostile_inputs_are_refused_through_every_cli() {
    if !have_tools() {
        return;
    }
    let im = images();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();

    // A truncated docker-save archive.
    let (_, docker) = &im.inputs[2];
    let bytes = std::fs::read(docker).unwrap();
    let cut = d.join("truncated.tar");
    std::fs::write(&cut, &bytes[..bytes.len() / 2 + 100]).unwrap();
    refused("truncated tar", cut.to_str().unwrap(), &["truncated.tar"]);

    // A gzip stream that is not one.
    let bad_gz = d.join("bad.tar.gz");
    let mut g = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    g.extend(std::iter::repeat_n(0xa5u8, 4000));
    std::fs::write(&bad_gz, g).unwrap();
    refused(
        "bad gzip",
        bad_gz.to_str().unwrap(),
        &["bad.tar.gz", "gzip"],
    );

    // A layer blob whose bytes do not match its digest.
    let mism = layout_copy(&d.join("mismatch"));
    let layer = blob(&mism, &layers_of(&mism)[0]);
    let mut b = std::fs::read(&layer).unwrap();
    let n = b.len();
    b[n / 2] ^= 0x55;
    std::fs::write(&layer, b).unwrap();
    refused(
        "digest mismatch",
        &format!("{}:v1", mism.display()),
        &["digest mismatch"],
    );

    // A manifest naming a blob that is not there.
    let miss = layout_copy(&d.join("missing"));
    let gone = layers_of(&miss)[1].clone();
    std::fs::remove_file(blob(&miss, &gone)).unwrap();
    refused(
        "missing blob",
        &format!("{}:v1", miss.display()),
        &["missing", &gone],
    );

    // A layer entry that climbs out of the root.
    let trav = d.join("trav");
    std::fs::create_dir_all(&trav).unwrap();
    let img = layout_with(&trav, "riscv64", &[tar_of(&[("../../evil", file(b"x"))])]);
    refused("path traversal", &img, &["escapes the image root"]);

    // A file written through a symlink that leads out.
    let sym = d.join("sym");
    std::fs::create_dir_all(&sym).unwrap();
    let img = layout_with(
        &sym,
        "riscv64",
        &[tar_of(&[
            ("esc", Entry::Symlink("../../../../tmp")),
            ("esc/pwned", file(b"x")),
        ])],
    );
    refused("symlink parent", &img, &["through the symlink"]);
    assert!(!Path::new("/tmp/pwned").exists());

    // An amd64-only image.
    let amd = d.join("amd");
    std::fs::create_dir_all(&amd).unwrap();
    let img = layout_with(&amd, "amd64", &[tar_of(&[("etc/", Entry::Dir)])]);
    refused(
        "amd64 image",
        &img,
        &["linux/amd64", "--platform linux/riscv64"],
    );

    // An index with no riscv64 image lists what it has.
    let multi = d.join("multi");
    std::fs::create_dir_all(&multi).unwrap();
    let a = layout_with(&multi, "amd64", &[tar_of(&[("etc/", Entry::Dir)])]);
    let a_dir = PathBuf::from(a.trim_end_matches(":v1"));
    let arm = layout_with(&multi, "arm64", &[tar_of(&[("etc/", Entry::Dir)])]);
    let arm_dir = PathBuf::from(arm.trim_end_matches(":v1"));
    sh(Command::new("sh").arg("-c").arg(format!(
        "cp -n {}/blobs/sha256/* {}/blobs/sha256/",
        arm_dir.display(),
        a_dir.display()
    )));
    let entry = |dir: &Path, arch: &str| {
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
        let mut m = index["manifests"][0].clone();
        m.as_object_mut().unwrap().remove("annotations");
        m["platform"] = serde_json::json!({"os": "linux", "architecture": arch});
        m
    };
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [entry(&a_dir, "amd64"), entry(&arm_dir, "arm64")],
    });
    std::fs::write(
        a_dir.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    refused(
        "index without riscv64",
        a_dir.to_str().unwrap(),
        &["linux/amd64", "linux/arm64", "--platform"],
    );

    // Registries answering 401 and 500.
    let p401 = http_status_server(401);
    refused(
        "registry 401",
        &format!("127.0.0.1:{p401}/friscy/app:v1"),
        &["401"],
    );
    let p500 = http_status_server(500);
    refused(
        "registry 500",
        &format!("127.0.0.1:{p500}/friscy/app:v1"),
        &["500"],
    );
}
