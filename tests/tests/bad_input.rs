//! Bad input: each runner must fail with a non-zero status (127 for a
//! command that is not in the image, 126 for one that cannot be executed, as
//! a shell and `docker run` do), print nothing on stdout, and print exactly
//! one line on stderr that names the offending path, with no panic, trap or
//! backtrace text.

use friscy_tests::harness::{
    assert_clean_failure, check_bad_input, friscy_pack, run_command, ExpectStatus, Invocation,
    Runner,
};
use friscy_tests::manifest::bad;
use friscy_tests::{fixtures, harness};

fn with_image(image: &str, argv: &[&str]) -> Invocation {
    Invocation {
        image: Some(image.to_string()),
        argv: argv.iter().map(|s| s.to_string()).collect(),
        ..Invocation::default()
    }
}

fn with_command(argv: &[&str]) -> Invocation {
    Invocation {
        argv: argv.iter().map(|s| s.to_string()).collect(),
        ..Invocation::default()
    }
}

/// `friscy-pack IMAGE -o build/fixtures/packed-bad/` must fail cleanly.
fn check_packer(image: &str, needle: &str) {
    fixtures::ensure();
    let packer = friscy_pack().unwrap_or_else(|e| panic!("{e:#}"));
    let mut cmd = std::process::Command::new(packer);
    cmd.current_dir(fixtures::workspace_root())
        .arg(image)
        .arg("-o")
        .arg("build/fixtures/packed-bad/");
    let out = run_command(cmd, b"").expect("run friscy-pack");
    assert_clean_failure("friscy-pack", &out, ExpectStatus::NonZero, needle);
}

mod missing_image {
    use super::*;
    fn inv() -> Invocation {
        with_image(bad::MISSING_IMAGE, &["/glibc/hello"])
    }
    #[test]
    fn native() {
        check_bad_input(
            Runner::Native,
            &inv(),
            ExpectStatus::NonZero,
            "does-not-exist.tar",
        );
    }
    #[test]
    fn wasmtime() {
        check_bad_input(
            Runner::Wasmtime,
            &inv(),
            ExpectStatus::NonZero,
            "does-not-exist.tar",
        );
    }
    #[test]
    fn packer() {
        check_packer(bad::MISSING_IMAGE, "does-not-exist.tar");
    }
}

mod not_a_tar {
    use super::*;
    fn inv() -> Invocation {
        with_image(bad::NOT_A_TAR, &["/glibc/hello"])
    }
    #[test]
    fn native() {
        check_bad_input(
            Runner::Native,
            &inv(),
            ExpectStatus::NonZero,
            "not-a-tar.txt",
        );
    }
    #[test]
    fn wasmtime() {
        check_bad_input(
            Runner::Wasmtime,
            &inv(),
            ExpectStatus::NonZero,
            "not-a-tar.txt",
        );
    }
    #[test]
    fn packer() {
        check_packer(bad::NOT_A_TAR, "not-a-tar.txt");
    }
}

/// Runs `argv` on all three runners against the fixture image.
macro_rules! bad_command {
    ($name:ident, $argv:expr, $status:expr, $needle:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn native() {
                check_bad_input(Runner::Native, &with_command(&$argv), $status, $needle);
            }
            #[test]
            fn wasmtime() {
                check_bad_input(Runner::Wasmtime, &with_command(&$argv), $status, $needle);
            }
            #[test]
            fn packed() {
                check_bad_input(Runner::Packed, &with_command(&$argv), $status, $needle);
            }
        }
    };
}

bad_command!(
    missing_command,
    [bad::MISSING_COMMAND, "arg"],
    ExpectStatus::Exactly(127),
    bad::MISSING_COMMAND
);
bad_command!(
    x86_64_elf,
    [bad::X86_ELF],
    ExpectStatus::Exactly(126),
    bad::X86_ELF
);
bad_command!(
    directory_as_command,
    [bad::DIRECTORY],
    ExpectStatus::Exactly(126),
    bad::DIRECTORY
);
bad_command!(
    not_executable_file,
    [bad::NOT_EXECUTABLE],
    ExpectStatus::Exactly(126),
    bad::NOT_EXECUTABLE
);
// No `--` and no Entrypoint/Cmd in a plain rootfs tar: say a command is needed.
bad_command!(no_command, [], ExpectStatus::NonZero, "command");

/// The fixture files the bad-input tests rely on are what they claim.
#[test]
fn bad_input_fixtures_are_as_described() {
    let fx = fixtures::ensure();
    let root = fixtures::workspace_root();
    assert!(!root.join(bad::MISSING_IMAGE).exists());
    let text = std::fs::read(root.join(bad::NOT_A_TAR)).unwrap();
    assert!(text.is_ascii() && !text.is_empty());
    let r = |p: &str| fx.rootfs_dir.join(p.trim_start_matches('/'));
    assert!(!r(bad::MISSING_COMMAND).exists());
    fixtures::check_elf(&r(bad::X86_ELF), fixtures::ElfExpect::X86_64).unwrap();
    assert!(r(bad::DIRECTORY).is_dir());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(r(bad::NOT_EXECUTABLE))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o111,
        0,
        "{} must not be executable",
        bad::NOT_EXECUTABLE
    );
    let _ = harness::timeout();
}
