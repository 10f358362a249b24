//! `friscy run -t`: the host terminal in raw mode while the guest runs.
//!
//! In raw mode every keystroke reaches the emulator's own line discipline,
//! so ^C, ^Z and ^\ signal the guest's foreground process group and ^D is
//! the guest's end-of-file, instead of the host kernel acting on them and
//! killing friscy. The saved settings come back on every way out: a normal
//! return (drop), an error (drop), a panic (the hook runs before the abort)
//! and a fatal signal sent to friscy from outside.

use std::io::IsTerminal;
use std::sync::OnceLock;

use anyhow::{Context, Result};
use rustix::termios::{self, OptionalActions, Termios};

/// The host's settings before raw mode; set once, read by the restorers.
static SAVED: OnceLock<Termios> = OnceLock::new();

/// Signals that would end friscy with the terminal left raw.
const FATAL_SIGNALS: [libc::c_int; 4] = [libc::SIGHUP, libc::SIGINT, libc::SIGQUIT, libc::SIGTERM];

/// Raw mode, undone on drop.
pub struct RawMode(());

/// Whether `-t` can have a terminal: stdin and stdout both are one.
pub fn host_is_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

impl RawMode {
    pub fn enter() -> Result<RawMode> {
        let stdin = std::io::stdin();
        let saved = termios::tcgetattr(&stdin).context("cannot read the terminal's settings")?;
        let mut raw = saved.clone();
        raw.make_raw();
        if SAVED.set(saved).is_ok() {
            install_restorers();
        }
        termios::tcsetattr(&stdin, OptionalActions::Now, &raw)
            .context("cannot put the terminal in raw mode")?;
        Ok(RawMode(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        restore();
    }
}

/// Put the saved settings back. Async-signal-safe: an atomic load and one
/// ioctl.
fn restore() {
    if let Some(saved) = SAVED.get() {
        let _ = termios::tcsetattr(std::io::stdin(), OptionalActions::Now, saved);
    }
}

extern "C" fn on_fatal_signal(sig: libc::c_int) {
    restore();
    // Die of the same signal, so the parent sees how friscy ended.
    // SAFETY: resetting a disposition and raising are async-signal-safe.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

fn install_restorers() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    for sig in FATAL_SIGNALS {
        // SAFETY: the handler only calls async-signal-safe functions, and
        // none of these signals is one wasmtime uses for traps.
        unsafe {
            let handler: extern "C" fn(libc::c_int) = on_fatal_signal;
            libc::signal(sig, handler as *const () as libc::sighandler_t);
        }
    }
}
