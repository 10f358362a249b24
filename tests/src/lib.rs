//! friscy integration tests.
//!
//! - [`fixtures`] compiles the guest programs in `tests/guest/*.c` (static
//!   glibc and static-pie musl) and packs them with data files into
//!   `build/fixtures/rootfs.tar`;
//! - [`cases`] is the list of differential cases (program, libc, argv, env,
//!   stdin);
//! - [`harness`] runs a case on the oracle (`qemu-riscv64` under `proot`) and
//!   on each friscy runner and compares stdout, stderr and exit status.
//!
//! The integration tests live in `tests/tests/`; `build-fixtures` (the bin
//! that `just fixtures` calls) builds everything and writes
//! `build/fixtures/manifest.json` ([`manifest`]) with the expected outputs for
//! other hosts (Node, browsers).

pub mod busybox_suite;
pub mod cases;
pub mod debian;
pub mod fixtures;
pub mod harness;
pub mod manifest;
