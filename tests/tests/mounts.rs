//! Host directory mounts (`-v`) through both command lines:
//! `friscy run IMAGE -v HOST:GUEST[:ro]` and
//! `wasmtime run --dir HOST::NAME dist/friscy.wasm --image IMAGE -v NAME:GUEST[:ro]`
//! (and the same with the packed fixture image, `OUT/app.wasm`).
//! The guest (`/musl/fsops`, tests/guest/fsops.c) lists, reads and changes
//! files in a temporary host directory; the test then looks at that
//! directory on the host.

use std::fs;
use std::path::Path;
use std::process::Command;

use friscy_tests::fixtures::{self, workspace_root};
use friscy_tests::harness::{
    friscy_native, friscy_wasm, packed_app, run_command, wasmtime, Output,
};

const IMAGE: &str = "build/fixtures/rootfs.tar";
const FSOPS: &str = "/musl/fsops";

#[derive(Debug, Clone, Copy)]
enum Via {
    Native,
    Wasmtime,
    Packed,
}

const ALL: [Via; 3] = [Via::Native, Via::Wasmtime, Via::Packed];

/// One `-v`: a host directory, where it goes in the guest, read-only or not.
struct Vol<'a> {
    host: &'a Path,
    guest: &'a str,
    ro: bool,
}

fn vol<'a>(host: &'a Path, guest: &'a str) -> Vol<'a> {
    Vol {
        host,
        guest,
        ro: false,
    }
}

fn ro<'a>(host: &'a Path, guest: &'a str) -> Vol<'a> {
    Vol {
        host,
        guest,
        ro: true,
    }
}

fn suffix(v: &Vol) -> &'static str {
    if v.ro {
        ":ro"
    } else {
        ""
    }
}

/// Run `argv` in the fixture image with `vols` mounted.
fn run(via: Via, vols: &[Vol], argv: &[&str]) -> Output {
    fixtures::ensure();
    let mut cmd = match via {
        Via::Native => {
            let mut c = Command::new(friscy_native().unwrap_or_else(|e| panic!("{e:#}")));
            c.args(["run", IMAGE]);
            for v in vols {
                c.arg("-v")
                    .arg(format!("{}:{}{}", v.host.display(), v.guest, suffix(v)));
            }
            c
        }
        Via::Wasmtime | Via::Packed => {
            let mut c = Command::new(wasmtime().unwrap_or_else(|e| panic!("{e:#}")));
            c.arg("run");
            if let Via::Wasmtime = via {
                c.args(["--dir", "build/fixtures"]);
            }
            for (i, v) in vols.iter().enumerate() {
                c.arg("--dir")
                    .arg(format!("{}::/host{i}", v.host.display()));
            }
            if let Via::Wasmtime = via {
                c.arg(friscy_wasm().unwrap_or_else(|e| panic!("{e:#}")))
                    .args(["--image", IMAGE]);
            } else {
                c.arg(packed_app().unwrap_or_else(|e| panic!("{e:#}")));
            }
            for (i, v) in vols.iter().enumerate() {
                c.arg("-v")
                    .arg(format!("/host{i}:{}{}", v.guest, suffix(v)));
            }
            c
        }
    };
    cmd.current_dir(workspace_root()).arg("--").args(argv);
    run_command(cmd, b"").unwrap()
}

/// `fsops` with `ops` split at spaces; `_` in a word stands for a space.
fn fsops(via: Via, vols: &[Vol], ops: &str) -> Output {
    let words: Vec<String> = ops
        .split_whitespace()
        .map(|w| w.replace('_', " "))
        .collect();
    let mut argv = vec![FSOPS];
    argv.extend(words.iter().map(String::as_str));
    run(via, vols, &argv)
}

fn stdout_ok(via: Via, out: &Output) -> String {
    assert_eq!(
        out.status,
        0,
        "{via:?}: `{}` failed:\n{}{}",
        out.command,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn host_tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let h = tmp.path();
    fs::write(h.join("a.txt"), b"from the host\n").unwrap();
    fs::create_dir(h.join("sub")).unwrap();
    fs::write(h.join("sub/b.txt"), b"bee\n").unwrap();
    fs::write(h.join("old.txt"), b"to be removed\n").unwrap();
    fs::create_dir(h.join("empty")).unwrap();
    tmp
}

#[test]
fn guest_lists_and_reads_host_files() {
    for via in ALL {
        let tmp = host_tree();
        let out = fsops(
            via,
            &[vol(tmp.path(), "/mnt/data")],
            "ls /mnt/data + cat /mnt/data/a.txt + cat /mnt/data/sub/b.txt + stat /mnt/data/a.txt \
             + ls /mnt/data/sub/.. + cat /proc/mounts",
        );
        let text = stdout_ok(via, &out);
        let listing = "f a.txt\nd empty\nf old.txt\nd sub\n";
        let expect =
            format!("{listing}from the host\nbee\n/mnt/data/a.txt: file, 14 bytes\n{listing}");
        assert!(text.starts_with(&expect), "{via:?}:\n{text}");
        let mounts = &text[expect.len()..];
        assert!(
            mounts.lines().any(|l| l.contains(" /mnt/data hostfs rw,")),
            "{via:?}: /proc/mounts lacks the mount:\n{mounts}"
        );
    }
}

#[test]
fn guest_changes_reach_the_host() {
    for via in ALL {
        let tmp = host_tree();
        let h = tmp.path();
        let out = fsops(
            via,
            &[vol(h, "/mnt/data")],
            "write /mnt/data/new.txt written + append /mnt/data/new.txt _by_the_guest \
             + mkdir /mnt/data/newdir + mv /mnt/data/new.txt /mnt/data/newdir/moved.txt \
             + rm /mnt/data/old.txt + rmdir /mnt/data/empty + mv /mnt/data/sub /mnt/data/sub2 \
             + write /mnt/data/sub2/b.txt rewritten + truncate /mnt/data/a.txt 4 \
             + ls /mnt/data + cat /mnt/data/newdir/moved.txt",
        );
        let text = stdout_ok(via, &out);
        assert_eq!(
            text, "f a.txt\nd newdir\nd sub2\nwritten by the guest",
            "{via:?}"
        );
        assert_eq!(
            fs::read(h.join("newdir/moved.txt")).unwrap(),
            b"written by the guest",
            "{via:?}"
        );
        assert_eq!(fs::read(h.join("sub2/b.txt")).unwrap(), b"rewritten");
        assert_eq!(fs::read(h.join("a.txt")).unwrap(), b"from");
        for gone in ["old.txt", "empty", "new.txt", "sub"] {
            assert!(
                !h.join(gone).exists(),
                "{via:?}: {gone} is still on the host"
            );
        }
        // Removing a directory that is not empty fails as on Linux, and
        // the mount point itself cannot go.
        let out = fsops(via, &[vol(h, "/mnt/data")], "rmdir /mnt/data/newdir");
        assert_eq!(out.status, 1, "{via:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Directory not empty"),
            "{via:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = fsops(via, &[vol(h, "/mnt/data")], "rmdir /mnt/data");
        assert_eq!(out.status, 1, "{via:?}");
        assert!(h.join("newdir/moved.txt").is_file());
    }
}

#[test]
fn read_only_mounts_refuse_writes() {
    for via in ALL {
        let tmp = host_tree();
        let h = tmp.path();
        for ops in [
            "write /ro/a.txt changed",
            "append /ro/a.txt more",
            "write /ro/created.txt x",
            "mkdir /ro/newdir",
            "rm /ro/a.txt",
            "rmdir /ro/empty",
            "mv /ro/a.txt /ro/b.txt",
            "truncate /ro/a.txt 0",
        ] {
            let out = fsops(via, &[ro(h, "/ro")], ops);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status == 1 && err.contains("Read-only file system"),
                "{via:?}: `{ops}` gave {} with stderr {err}",
                out.status
            );
        }
        assert_eq!(fs::read(h.join("a.txt")).unwrap(), b"from the host\n");
        let mut names: Vec<String> = fs::read_dir(h)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a.txt", "empty", "old.txt", "sub"], "{via:?}");
        // Reading still works, and /proc/mounts says ro.
        let out = fsops(
            via,
            &[ro(h, "/ro")],
            "cat /ro/a.txt + cat /proc/self/mounts",
        );
        let text = stdout_ok(via, &out);
        assert!(text.starts_with("from the host\n"), "{via:?}: {text}");
        assert!(text.contains(" /ro hostfs ro,"), "{via:?}: {text}");
    }
}

fn assert_clean_error(via: Via, out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status != 0 && out.status < 128,
        "{via:?}: `{}` exited {} (stderr {err})",
        out.command,
        out.status
    );
    for n in needles {
        assert!(err.contains(n), "{via:?}: stderr lacks `{n}`:\n{err}");
    }
    assert!(
        !err.contains("panicked") && !err.contains("wasm trap") && !err.contains("backtrace"),
        "{via:?}: not a clean error:\n{err}"
    );
}

#[test]
fn bad_mounts_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-dir");
    let missing_s = missing.display().to_string();
    // Native: the host directory must exist and be a directory.
    let out = run(Via::Native, &[vol(&missing, "/mnt")], &[FSOPS, "ls", "/"]);
    assert_clean_error(Via::Native, &out, &[&missing_s]);
    let file = tmp.path().join("file");
    fs::write(&file, b"").unwrap();
    let out = run(Via::Native, &[vol(&file, "/mnt")], &[FSOPS, "ls", "/"]);
    assert_clean_error(Via::Native, &out, &["is not a directory"]);
    // Both: the guest path must be absolute.
    for via in ALL {
        let out = run(via, &[vol(tmp.path(), "mnt")], &[FSOPS, "ls", "/"]);
        assert_clean_error(via, &out, &["`mnt` is not absolute"]);
        let out = run(via, &[vol(tmp.path(), "/proc")], &[FSOPS, "ls", "/"]);
        assert_clean_error(via, &out, &["/proc"]);
    }
    // The component: a preopen that does not exist is named, with the ones
    // that do.
    let mut cmd = Command::new(wasmtime().unwrap_or_else(|e| panic!("{e:#}")));
    cmd.current_dir(workspace_root())
        .args(["run", "--dir", "build/fixtures"])
        .arg(friscy_wasm().unwrap_or_else(|e| panic!("{e:#}")))
        .args(["--image", IMAGE, "-v", "/nope:/mnt", "--", FSOPS, "ls", "/"]);
    let out = run_command(cmd, b"").unwrap();
    assert_clean_error(
        Via::Wasmtime,
        &out,
        &["`/nope`", "`build/fixtures`", "--dir"],
    );
}
