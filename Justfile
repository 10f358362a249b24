# friscy developer commands. `./dev RECIPE` installs `just` itself, runs
# `setup`, then the recipe; CI runs `./dev test`.

set shell := ["bash", "-euo", "pipefail", "-c"]

wasm_target := "wasm32-wasip2"
wasmtime_version := "48.0.8"
apt_packages := "gcc-riscv64-linux-gnu libc6-dev-riscv64-cross qemu-user proot umoci skopeo docker-registry chromium tmux"

default:
    @just --list

# Install every tool, target and package the build and the tests need (idempotent).
setup:
    #!/usr/bin/env bash
    set -euo pipefail
    missing=""
    for p in {{apt_packages}}; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
    if [ -n "$missing" ]; then
        echo "setup: installing Debian packages:$missing"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    fi
    for t in {{wasm_target}} riscv64gc-unknown-linux-gnu; do
        rustup target list --installed | grep -qx "$t" || rustup target add "$t"
    done
    python3 -c 'import ziglang' 2>/dev/null || pip install -q ziglang
    if ! wasmtime --version 2>/dev/null | grep -q "{{wasmtime_version}}"; then
        echo "setup: building the wasmtime CLI {{wasmtime_version}} (takes a while)"
        cargo install wasmtime-cli --version {{wasmtime_version}} --locked
    fi
    (cd host-browser && { [ -d node_modules ] && npm ls >/dev/null 2>&1 || npm ci --no-audit --no-fund; })

# Build the components (dist/), the native runner and the packer.
build:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --release --target {{wasm_target}} -p friscy-component -p friscy-rootfs-file -p friscy-terminal
    mkdir -p dist
    cp target/{{wasm_target}}/release/friscy_component.wasm dist/emulator.wasm
    cp target/{{wasm_target}}/release/friscy_rootfs_file.wasm dist/rootfs-file.wasm
    cp target/{{wasm_target}}/release/friscy_terminal.wasm dist/terminal.wasm
    # The web page first: friscy-pack embeds host-browser/dist/ for OUT/web/.
    (cd host-browser && npm run build --silent)
    cargo build --release -p friscy -p friscy-pack
    target/release/friscy-pack compose-dist --emulator dist/emulator.wasm --rootfs dist/rootfs-file.wasm --terminal dist/terminal.wasm -o dist/friscy.wasm

# Compile the guest test programs and pack the test rootfs (build/fixtures/).
fixtures:
    cargo run --release -q -p friscy-tests --bin build-fixtures

# Differential ISA fuzzing against qemu-riscv64: N programs of ~20,000 instructions.
fuzz-isa N="50" SEED="1" *ARGS:
    cargo run --release -q -p friscy-isa-fuzz -- --count {{N}} --seed {{SEED}} {{ARGS}}

# Speed report (bench/REPORT.md): friscy vs qemu-riscv64 vs native x86-64.
bench: build
    cargo build --release -q -p friscy-core --example run
    python3 bench/run.py

# Start-up time of `friscy run IMAGE -- /bin/true`, small vs large image (bench/STARTUP.md).
bench-startup: build
    python3 bench/startup.py

# Build the Debian riscv64 images (base, python, extras, dpkg) into build/debian/.
debian-rootfs:
    cargo run --release -q -p friscy-tests --bin build-debian-rootfs -- base python extras dpkg

# Real Debian software (busybox, dash, coreutils, bash, python3, perl, git, sqlite3, lua, dpkg) vs the oracle (also part of `test`).
test-real: fixtures
    cargo build --release -q -p friscy-core --example run
    cargo test --release -p friscy-tests --features real-software --test real_software -- --test-threads=2

# Busybox's own testsuite (Debian's source package) with the image's riscv64
# busybox under qemu-riscv64 and under friscy; fails if friscy loses a pass.
test-busybox *ARGS:
    cargo build --release -q -p friscy-core --example run
    cargo run --release -q -p friscy-tests --bin busybox-testsuite -- {{ARGS}}

# Run the demo: a program from the built-in default image under the native runner.
demo: build fixtures
    target/release/friscy run build/fixtures/rootfs.tar -- /glibc/hello "Hello from friscy"

# Lints and the whole test suite (what CI runs).
test: build fixtures
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo clippy --target {{wasm_target}} -p friscy-component -p friscy-rootfs-file -p friscy-terminal -- -D warnings
    cargo build --release -q -p friscy-core --example run
    cargo test --release --workspace --no-fail-fast
    cargo test --release -p friscy-tests --features real-software --test real_software -- --test-threads=2
    cd host-browser && npm test
