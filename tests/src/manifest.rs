//! `build/fixtures/manifest.json` and `build/fixtures/expected/`: the
//! fixture paths and, for every case, the guest argv/env/stdin and the
//! oracle's stdout, stderr and exit status, so hosts without qemu (Node,
//! Chromium) can run the same cases. Paths are relative to the workspace
//! root.
//!
//! ```json
//! { "key": "…", "rootfs_tar": "build/fixtures/rootfs.tar", …,
//!   "bad_inputs": { "missing_command": "/glibc/does-not-exist", … },
//!   "cases": [ { "name": "hello_args_glibc", "argv": ["/glibc/hello", …],
//!                "env": [["FRISCY_TEST_A", "1"], …], "stdin": null,
//!                "status": 0, "stdout": "build/fixtures/expected/hello_args_glibc.stdout",
//!                "stderr": "build/fixtures/expected/hello_args_glibc.stderr",
//!                "compare_stderr": true } ] }
//! ```

use std::fmt::Write as _;
use std::fs;

use anyhow::{bail, Context, Result};

use crate::cases;
use crate::fixtures::{fnv64, write_if_changed, Fixtures};
use crate::harness::{run_oracle, Invocation};

/// Guest paths the bad-input tests use.
pub mod bad {
    /// Not in the image.
    pub const MISSING_COMMAND: &str = "/glibc/does-not-exist";
    /// An x86-64 ELF.
    pub const X86_ELF: &str = "/x86/hello";
    /// A directory.
    pub const DIRECTORY: &str = "/data/dir";
    /// A regular file without execute permission (mode 0644).
    pub const NOT_EXECUTABLE: &str = "/data/small.txt";
    /// Image paths (relative to the workspace root) that are not images.
    pub const MISSING_IMAGE: &str = "build/fixtures/does-not-exist.tar";
    pub const NOT_A_TAR: &str = "build/fixtures/not-a-tar.txt";
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Writes the manifest and expected outputs unless they are current
/// (same image bytes, same case list). Returns true if (re)written.
pub fn write(fx: &Fixtures) -> Result<bool> {
    let tar = fs::read(&fx.rootfs_tar)?;
    let key = format!(
        "{:016x}-{:016x}",
        fnv64(&tar),
        fnv64(format!("{:?}", cases::all()).as_bytes())
    );
    let path = fx.dir.join("manifest.json");
    if let Ok(old) = fs::read_to_string(&path) {
        if old.contains(&format!("\"key\": {}", json_str(&key))) {
            return Ok(false);
        }
    }
    let expected = fx.dir.join("expected");
    fs::create_dir_all(&expected)?;
    let rel = |name: &str| format!("build/fixtures/expected/{name}");

    let mut cases_json = Vec::new();
    for case in cases::all() {
        let inv = Invocation::from_case(&case);
        let out = run_oracle(&inv).with_context(|| format!("oracle for {}", case.name))?;
        if out.status != case.expect_status {
            bail!(
                "{}: the oracle exited with {}, the case expects {}",
                case.name,
                out.status,
                case.expect_status
            );
        }
        write_if_changed(&expected.join(format!("{}.stdout", case.name)), &out.stdout)?;
        write_if_changed(&expected.join(format!("{}.stderr", case.name)), &out.stderr)?;
        let stdin = if case.stdin.is_empty() {
            "null".to_string()
        } else {
            let f = format!("{}.stdin", case.name);
            write_if_changed(&expected.join(&f), &case.stdin)?;
            json_str(&rel(&f))
        };
        let argv: Vec<String> = case.argv().iter().map(|a| json_str(a)).collect();
        let env: Vec<String> = case
            .env
            .iter()
            .map(|(k, v)| format!("[{}, {}]", json_str(k), json_str(v)))
            .collect();
        cases_json.push(format!(
            "    {{\"name\": {}, \"libc\": {}, \"argv\": [{}], \"env\": [{}], \"stdin\": {stdin}, \"status\": {}, \"stdout\": {}, \"stderr\": {}, \"compare_stderr\": {}}}",
            json_str(&case.name),
            json_str(case.libc.name()),
            argv.join(", "),
            env.join(", "),
            out.status,
            json_str(&rel(&format!("{}.stdout", case.name))),
            json_str(&rel(&format!("{}.stderr", case.name))),
            case.compare_stderr
        ));
    }
    let programs: Vec<String> = fx.programs.iter().map(|p| json_str(p)).collect();
    let mut j = String::new();
    j.push_str("{\n");
    let _ = writeln!(j, "  \"key\": {},", json_str(&key));
    let _ = writeln!(j, "  \"comment\": \"Written by `cargo run -p friscy-tests --bin build-fixtures`. Paths are relative to the workspace root. Guest paths: /glibc/<prog> (static glibc), /musl/<prog> (static-pie musl).\",");
    let _ = writeln!(j, "  \"rootfs_tar\": \"build/fixtures/rootfs.tar\",");
    let _ = writeln!(j, "  \"rootfs_dir\": \"build/fixtures/rootfs\",");
    let _ = writeln!(j, "  \"packed_app\": \"build/fixtures/packed/app.wasm\",");
    let _ = writeln!(j, "  \"packed_web\": \"build/fixtures/packed/web\",");
    let _ = writeln!(j, "  \"programs\": [{}],", programs.join(", "));
    let _ = writeln!(j, "  \"bad_inputs\": {{");
    let _ = writeln!(
        j,
        "    \"missing_command\": {},",
        json_str(bad::MISSING_COMMAND)
    );
    let _ = writeln!(j, "    \"x86_elf\": {},", json_str(bad::X86_ELF));
    let _ = writeln!(j, "    \"directory\": {},", json_str(bad::DIRECTORY));
    let _ = writeln!(
        j,
        "    \"not_executable\": {},",
        json_str(bad::NOT_EXECUTABLE)
    );
    let _ = writeln!(
        j,
        "    \"missing_image\": {},",
        json_str(bad::MISSING_IMAGE)
    );
    let _ = writeln!(j, "    \"not_a_tar\": {}", json_str(bad::NOT_A_TAR));
    let _ = writeln!(j, "  }},");
    let _ = writeln!(j, "  \"cases\": [\n{}\n  ]", cases_json.join(",\n"));
    j.push_str("}\n");
    write_if_changed(&path, j.as_bytes())?;
    Ok(true)
}
