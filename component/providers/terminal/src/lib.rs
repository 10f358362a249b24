//! `friscy:emulator/terminal-control` over WASI: the default for
//! `dist/friscy.wasm` and packer output under the wasmtime CLI, which leaves
//! the host terminal cooked (so the host echoes input itself).

#[allow(missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "friscy:emulator/terminal-provider",
    });
}

use bindings::exports::friscy::emulator::terminal_control::Guest;
use wasip2::cli::{terminal_stdin, terminal_stdout};

/// A size from `LINES`/`COLUMNS`, else the classic 24x80.
fn size_from_env(lines: Option<String>, columns: Option<String>) -> (u16, u16) {
    let parse = |v: Option<String>, default: u16| {
        v.and_then(|s| s.trim().parse::<u16>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(default)
    };
    (parse(lines, 24), parse(columns, 80))
}

struct Provider;

impl Guest for Provider {
    fn window_size() -> Option<(u16, u16)> {
        terminal_stdout::get_terminal_stdout()?;
        Some(size_from_env(
            std::env::var("LINES").ok(),
            std::env::var("COLUMNS").ok(),
        ))
    }

    fn host_echoes() -> bool {
        terminal_stdin::get_terminal_stdin().is_some()
    }
}

bindings::export!(Provider with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::size_from_env;

    #[test]
    fn env_size_or_default() {
        assert_eq!(size_from_env(None, None), (24, 80));
        assert_eq!(
            size_from_env(Some("50".into()), Some(" 132".into())),
            (50, 132)
        );
        assert_eq!(size_from_env(Some("0".into()), Some("x".into())), (24, 80));
    }
}
