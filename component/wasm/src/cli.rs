//! The `wasi:cli/run` driver (wasmtime CLI, native runner): parse the
//! command line, boot, run until the init process exits, blocking in
//! `wasi:io/poll` while every guest task waits, and exit with the guest's
//! status through `wasi:cli/exit.exit-with-code`.

use std::cell::RefCell;
use std::rc::Rc;

use friscy_core::{BootError, Machine, MachineConfig, RootfsSource, RunStatus, WaitReason};
use wasip2::clocks::monotonic_clock;
use wasip2::io::poll;

use crate::args;
use crate::bindings::friscy::emulator::terminal_control;
use crate::host::{eprintln_line, Stdin, WasiHost};
use crate::rootfs::ImportRootfs;

/// Guest instructions per `Machine::run` call. Between calls the driver does
/// nothing but loop, so this only bounds how often it checks for waiting.
const BUDGET: u64 = 1 << 24;
/// With nothing that could wake the guest, re-check this often (ns).
const IDLE_RECHECK_NS: u64 = 60_000_000_000;
/// While the guest has a terminal, look for host resizes this often (ns):
/// WASI 0.2 has no SIGWINCH, so the size is polled.
const RESIZE_CHECK_NS: u64 = 250_000_000;

impl wasip2::exports::cli::run::Guest for crate::Component {
    fn run() -> Result<(), ()> {
        let code = main();
        wasip2::cli::exit::exit_with_code(code);
        // `exit-with-code` does not return; should a host return anyway,
        // fall back to the plain exit.
        if code == 0 {
            Ok(())
        } else {
            Err(())
        }
    }
}

fn main() -> u8 {
    let timing = flag("FRISCY_TIMING");
    if timing {
        mark("component-start");
    }
    let opts = match args::parse(std::env::args().skip(1), |k| std::env::var(k).ok()) {
        Ok(opts) => opts,
        Err(msg) => {
            eprintln_line(&msg);
            return 125;
        }
    };
    if opts.help {
        let stdout = wasip2::cli::stdout::get_stdout();
        crate::host::write_all(&stdout, format!("{}\n", args::USAGE).as_bytes());
        return 0;
    }

    // Unknown preopens are reported before the image is touched.
    let mounts = match crate::hostfs::mounts(&opts.volumes) {
        Ok(mounts) => mounts,
        Err(msg) => {
            eprintln_line(&msg);
            return 125;
        }
    };

    let stdin = Rc::new(RefCell::new(Stdin::new()));
    let host = WasiHost::new(stdin.clone());
    let strace = flag("FRISCY_STRACE");
    let booted = ImportRootfs::open().and_then(|rootfs| {
        let cfg = MachineConfig {
            args: opts.command,
            env: opts.env,
            strace,
            // `--entrypoint ""` clears the image's entrypoint, as in docker.
            entrypoint: opts
                .entrypoint
                .map(|e| if e.is_empty() { Vec::new() } else { vec![e] }),
            workdir: opts.workdir,
            user: opts.user,
            image_config: rootfs.config_json(),
            image_name: opts.image,
            mounts,
            memory_limit: opts.memory.unwrap_or(MachineConfig::default().memory_limit),
        };
        Machine::boot(cfg, Box::new(rootfs), Box::new(host))
    });
    let mut machine = match booted {
        Ok(machine) => machine,
        Err(err) => return boot_failed(&err),
    };

    if timing {
        mark("first-instruction");
    }
    let mut size = terminal_control::window_size();
    loop {
        match machine.run(BUDGET) {
            RunStatus::Exited(code) => return code,
            RunStatus::Yielded => {}
            RunStatus::Waiting(reason) => wait(&stdin, reason, size.is_some()),
        }
        if size.is_some() {
            let now = terminal_control::window_size();
            if let Some((rows, cols)) = now.filter(|_| now != size) {
                machine.set_window_size(rows, cols);
                size = now;
            }
        }
    }
}

/// FRISCY_TIMING: print when a start-up step is reached, as the wall clock
/// (not the monotonic one), so that a benchmark in another process can
/// subtract its own start time from it.
fn mark(what: &str) {
    eprintln_line(&format!(
        "friscy-timing: {what}-unix-ns {}",
        crate::host::realtime()
    ));
}

/// An emulator setting from the environment: set, non-empty and not "0".
fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

fn boot_failed(err: &BootError) -> u8 {
    eprintln_line(&err.to_string());
    err.exit_status()
}

/// Block until stdin has data (or closes) or the guest's next timer is due
/// (with a terminal, at most until the next resize check).
fn wait(stdin: &Rc<RefCell<Stdin>>, reason: WaitReason, tty: bool) {
    let timeout = match reason {
        WaitReason::Input => IDLE_RECHECK_NS,
        WaitReason::Timer { ns_from_now } => ns_from_now,
    };
    let timeout = if tty {
        timeout.min(RESIZE_CHECK_NS)
    } else {
        timeout
    };
    let mut stdin = stdin.borrow_mut();
    let timer = monotonic_clock::subscribe_duration(timeout);
    let stdin_ready = match stdin.pollable() {
        Some(input) => {
            let ready = poll::poll(&[input, &timer]);
            ready.contains(&0)
        }
        None => {
            poll::poll(&[&timer]);
            false
        }
    };
    if stdin_ready {
        stdin.read_ahead();
    }
}
