//! The friscy emulator component (`dist/emulator.wasm`).
//!
//! It wires [`friscy_core::Machine`] to the outside world:
//! - imports `friscy:emulator/rootfs` (the image) and
//!   `friscy:emulator/terminal-control`, plus WASI 0.2 (stdio, poll, clocks,
//!   random, and wasi:filesystem preopens for `-v` mounts, see [`hostfs`]);
//! - exports `wasi:cli/run` (the blocking driver used by the wasmtime CLI and
//!   the native runner, see [`cli`]) and `friscy:emulator/session` (the
//!   step-driven driver for browsers, see [`session`]).

mod args;
mod cli;
mod host;
mod hostfs;
mod rootfs;
mod session;

#[allow(missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "friscy:emulator/emulator",
    });
}

/// The type that implements every export of the component.
struct Component;

bindings::export!(Component with_types_in bindings);
wasip2::cli::command::export!(Component);
