//! Differential tests: every case of `friscy_tests::cases` (each guest
//! program, for glibc and musl) must produce the oracle's stdout, stderr and
//! exit status on each runner.
//!
//! Test names are `<case>::<libc>_<runner>`, e.g. `hello_args::musl_packed`;
//! `cargo test -p friscy-tests --test programs native` runs one runner.

use friscy_tests::cases;
use friscy_tests::fixtures::{self, Libc};
use friscy_tests::harness::{self, check_case, Invocation, Runner};

fn check(base: &str, libc: Libc, runner: Runner) {
    check_case(&cases::get(base, libc), runner);
}

macro_rules! differential {
    ($($case:ident),* $(,)?) => {
        /// The cases this file has tests for, in order.
        const COVERED: &[&str] = &[$(stringify!($case)),*];
        $(
            mod $case {
                use super::*;
                #[test]
                fn glibc_wasmtime() {
                    check(stringify!($case), Libc::Glibc, Runner::Wasmtime);
                }
                #[test]
                fn glibc_packed() {
                    check(stringify!($case), Libc::Glibc, Runner::Packed);
                }
                #[test]
                fn glibc_native() {
                    check(stringify!($case), Libc::Glibc, Runner::Native);
                }
                #[test]
                fn musl_wasmtime() {
                    check(stringify!($case), Libc::Musl, Runner::Wasmtime);
                }
                #[test]
                fn musl_packed() {
                    check(stringify!($case), Libc::Musl, Runner::Packed);
                }
                #[test]
                fn musl_native() {
                    check(stringify!($case), Libc::Musl, Runner::Native);
                }
            }
        )*
    };
}

differential!(
    hello_noargs,
    hello_args,
    cat_text,
    cat_blob,
    cat_errors,
    cat_stdin,
    exitcode_0,
    exitcode_3,
    exitcode_42_underscore_exit,
    exitcode_255_return,
    exitcode_256_wraps_to_0,
    files,
    listdir,
    fsops,
    sparse,
    memory,
    floats,
    clock,
    sysinfo,
    streams,
    proc_fork_in_thread,
    proc_pipeline,
    proc_zombie,
    proc_vfork_exec,
    proc_segv_longjmp,
    proc_bus_atomic,
    proc_futex,
    proc_select,
    proc_signal_read,
    proc_sigchld,
    proc_sigpipe,
    proc_stop_restart,
    sock_pair,
    sock_echo_fork,
    sock_errors,
    sock_scm_rights,
    sock_dgram,
    sock_mmsg,
    timerfd,
    pidfd,
    shared_memory_fork,
    unlinked_open_files,
    dev_fd_reopen,
    file_times_ns,
    sendfile_full_pipe,
    shared_file_mapping,
    shared_mapping_growth,
    signalfd_basic,
    signalfd_waiting,
    signalfd_threads,
);

/// Every case in the library has tests here (and nothing else).
#[test]
fn every_case_has_tests() {
    assert_eq!(COVERED, cases::base_names().as_slice());
}

/// The documented workflow form: `--dir .` and a relative `--image` path,
/// run from the directory holding the image.
#[test]
fn wasmtime_dir_dot_relative_image() {
    let case = cases::get("hello_args", Libc::Glibc);
    let inv = Invocation::from_case(&case);
    let oracle = harness::run_oracle(&inv).expect("oracle");
    let wasm = harness::friscy_wasm().unwrap_or_else(|e| panic!("{e:#}"));
    let mut cmd =
        std::process::Command::new(harness::wasmtime().unwrap_or_else(|e| panic!("{e:#}")));
    cmd.current_dir(fixtures::fixtures_dir())
        .args(["run", "--dir", "."])
        .arg(&wasm)
        .args(["--image", "rootfs.tar"]);
    for (k, v) in &case.env {
        cmd.arg("-e").arg(format!("{k}={v}"));
    }
    cmd.arg("--").args(case.argv());
    let got = harness::run_command(cmd, b"").expect("run wasmtime");
    if let Some(report) = harness::compare(&case, Runner::Wasmtime, &oracle, &got) {
        panic!("{report}");
    }
}
