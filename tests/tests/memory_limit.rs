//! `-m SIZE` bounds the guest's processes and the files of its writable
//! layer together, through both command lines and a packed app:
//! `friscy run -m SIZE IMAGE`, `wasmtime run dist/friscy.wasm --image
//! IMAGE -m SIZE` and `wasmtime run OUT/app.wasm -m SIZE`. Filling the
//! layer past it is ENOSPC for the writer (never a trap of the emulator),
//! and removing the file gives the space back. qemu cannot be the oracle
//! here: its files go to the host's disk.

use friscy_tests::fixtures;
use friscy_tests::harness::{run_command, runner_command, Invocation, Output, Runner};

const FSOPS: &str = "/musl/fsops";

/// `fsops OPS...` (split at spaces) in the fixture image, with `-m memory`.
fn fsops(via: Runner, memory: Option<&str>, ops: &str) -> Output {
    fixtures::ensure();
    // No guest command in the invocation: the runner's own options end
    // the command line, and `-m` goes after them.
    let mut cmd = runner_command(via, &Invocation::default()).unwrap_or_else(|e| panic!("{e:#}"));
    if let Some(m) = memory {
        cmd.args(["-m", m]);
    }
    cmd.args(["--", FSOPS]).args(ops.split_whitespace());
    run_command(cmd, b"").unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}stderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The MiB count of a `fill FILE: N MiB[, then ERROR]` line.
fn filled(line: &str) -> u64 {
    line.split(": ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a fill line: {line:?}"))
}

#[test]
fn a_full_writable_layer_is_enospc_and_rm_gives_space_back() {
    for via in Runner::ALL {
        let out = fsops(
            via,
            Some("64m"),
            "tmpdir + fill big 200 + rm big + fill again 40 + rm again + rmtmp",
        );
        let all = text(&out);
        assert_eq!(out.status, 0, "{via:?}: {all}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{via:?}: {all}");
        assert!(
            lines[0].ends_with("then No space left on device"),
            "{via:?}: the first fill must stop at ENOSPC: {all}"
        );
        // The rest of the 64 MiB went to the program, its libc and the page
        // tables; most of it must have been the file's.
        let got = filled(lines[0]);
        assert!((40..64).contains(&got), "{via:?}: {got} MiB: {all}");
        assert_eq!(lines[1], "fill again: 40 MiB", "{via:?}: {all}");
    }
}

#[test]
fn the_default_limit_holds_a_large_file() {
    for via in Runner::ALL {
        let out = fsops(
            via,
            None,
            "tmpdir + fill big 300 + stat big + rm big + rmtmp",
        );
        let all = text(&out);
        assert_eq!(out.status, 0, "{via:?}: {all}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "fill big: 300 MiB\nbig: file, 314572800 bytes\n",
            "{via:?}: {all}"
        );
    }
}

#[test]
fn bad_memory_sizes_are_clear_errors() {
    for via in Runner::ALL {
        for (size, needle) in [
            ("5g", "at most 3g"),
            ("1m", "at least 16m"),
            ("lots", "is not a size"),
        ] {
            let out = fsops(via, Some(size), "stat /");
            let all = text(&out);
            assert_eq!(out.status, 125, "{via:?} -m {size}: {all}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains(&format!("--memory {size}")) && stderr.contains(needle),
                "{via:?} -m {size}: {all}"
            );
            assert!(out.stdout.is_empty(), "{via:?} -m {size}: {all}");
        }
    }
}
