//! The fixtures and the oracle themselves: these pass without any friscy
//! runner, and guard against a differential test passing vacuously.

use std::collections::BTreeSet;

use friscy_tests::cases;
use friscy_tests::fixtures::{self, check_elf, ElfExpect, EntryKind, Libc, MTIME};
use friscy_tests::harness::{run_oracle, Invocation};

/// glibc programs are static ET_EXEC, musl ones static-pie (ET_DYN, no
/// PT_INTERP), x86/hello is x86-64.
#[test]
fn programs_are_static_riscv64() {
    let fx = fixtures::ensure();
    assert!(fx.programs.len() >= 10, "{:?}", fx.programs);
    for p in [
        "hello", "cat", "exitcode", "files", "listdir", "memory", "floats", "clock", "sysinfo",
        "streams",
    ] {
        assert!(
            fx.programs.iter().any(|q| q == p),
            "missing guest program {p}"
        );
    }
    for prog in &fx.programs {
        check_elf(&fx.binary(Libc::Glibc, prog), ElfExpect::StaticExec).unwrap();
        check_elf(&fx.binary(Libc::Musl, prog), ElfExpect::StaticPie).unwrap();
    }
    check_elf(&fx.x86_hello(), ElfExpect::X86_64).unwrap();
}

/// A second build right after the first rebuilds nothing.
#[test]
fn rebuild_is_a_no_op() {
    fixtures::ensure();
    let (_, report) = fixtures::build().unwrap();
    assert!(report.rebuilt.is_empty(), "rebuilt: {:?}", report.rebuilt);
}

/// rootfs.tar is exactly what `rootfs_entries` + `tar_bytes` make (so it is
/// deterministic), with fixed metadata and the documented layout.
#[test]
fn rootfs_tar_is_deterministic_and_complete() {
    let fx = fixtures::ensure();
    let entries = fixtures::rootfs_entries(fx).unwrap();
    let bytes = fixtures::tar_bytes(&entries).unwrap();
    assert_eq!(bytes, fixtures::tar_bytes(&entries).unwrap());
    assert!(
        std::fs::read(&fx.rootfs_tar).unwrap() == bytes,
        "rootfs.tar is stale"
    );

    let mut archive = tar::Archive::new(bytes.as_slice());
    let mut seen = Vec::new();
    for e in archive.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        assert_eq!(h.mtime().unwrap(), MTIME);
        assert_eq!(h.uid().unwrap(), 0);
        assert_eq!(h.gid().unwrap(), 0);
        seen.push(e.path().unwrap().display().to_string());
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "entries are sorted");
    let set: BTreeSet<&str> = seen.iter().map(|s| s.trim_end_matches('/')).collect();
    let mut want = vec![
        "data",
        "data/small.txt",
        "data/lines.txt",
        "data/blob.bin",
        "data/empty",
        "data/link.txt",
        "data/abslink",
        "data/dangling",
        "data/dir",
        "data/dir/a.txt",
        "data/dir/sub",
        "data/dir/sub/deep.txt",
        "data/many/entry-149",
        "etc/passwd",
        "etc/group",
        "tmp",
        "dev",
        "proc",
        "x86/hello",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    for prog in &fx.programs {
        want.push(format!("glibc/{prog}"));
        want.push(format!("musl/{prog}"));
    }
    for w in &want {
        assert!(set.contains(w.as_str()), "rootfs.tar lacks {w}");
    }
    let blob = entries.iter().find(|e| e.path == "data/blob.bin").unwrap();
    assert!(matches!(&blob.kind, EntryKind::File(d) if d.len() == fixtures::BLOB_SIZE));
}

/// The oracle runs the fixtures with the argv, environment and working
/// directory the runners will be given.
#[test]
fn oracle_runs_hello_as_expected() {
    let case = cases::get("hello_args", Libc::Musl);
    let out = run_oracle(&Invocation::from_case(&case)).unwrap();
    let want = "hello, world\nargc=10\nargv[0]=[/musl/hello] (11 bytes)\nargv[1]=[a] (1 bytes)\n\
argv[2]=[b c] (3 bytes)\nargv[3]=[] (0 bytes)\nargv[4]=[héllo wörld] (13 bytes)\n\
argv[5]=[--] (2 bytes)\nargv[6]=[-e] (2 bytes)\nargv[7]=[--image] (7 bytes)\nargv[8]=[X=y] (3 bytes)\n\
argv[9]=[tab\there] (8 bytes)\nargv[argc] is NULL: 1\nFRISCY_TEST* variables: 5\n\
env: [FRISCY_TEST_A=1]\nenv: [FRISCY_TEST_B=two words]\nenv: [FRISCY_TEST_EMPTY=]\n\
env: [FRISCY_TEST_EQ=a=b=c]\nenv: [FRISCY_TEST_GREETING=hi there]\n\
getenv(FRISCY_TEST_GREETING)=[hi there]\nenvp == environ: 1\n";
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status, 0);
}

/// The oracle sees the image, not the host: cwd is `/`, files resolve
/// inside build/fixtures/rootfs.
#[test]
fn oracle_is_rooted_in_the_image() {
    let case = cases::get("files", Libc::Glibc);
    let out = run_oracle(&Invocation::from_case(&case)).unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.starts_with("getcwd (start): /\n"), "{s}");
    assert!(s.contains("readlink: /data/lines.txt"), "{s}");
    assert!(
        s.contains("/etc/passwd:\n  lstat: file mode=0644 size=89 "),
        "{s}"
    );
}

/// Every case runs on the oracle with the exit status it declares, and
/// the musl and glibc builds agree where libc does not matter.
#[test]
fn oracle_agrees_with_every_case() {
    fixtures::ensure();
    let mut failures = Vec::new();
    for case in cases::all() {
        let out = run_oracle(&Invocation::from_case(&case)).unwrap();
        if out.status != case.expect_status {
            failures.push(format!(
                "{}: status {} (want {})\nstderr: {}",
                case.name,
                out.status,
                case.expect_status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        if out.stdout.is_empty() {
            failures.push(format!("{}: no stdout", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
