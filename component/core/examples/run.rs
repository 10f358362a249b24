//! Run a rootfs tar natively, without Wasm: `run ROOTFS.tar [-e K=V]... -- CMD ARGS...`.
//! For debugging the core and for fast differential testing (the ISA fuzzer
//! and the benchmark use it alongside the real runners).

use std::io::{Read, Write};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use friscy_core::{BytesRootfs, Host, Machine, MachineConfig, RunStatus, StdinRead, WaitReason};

struct NativeHost {
    start: Instant,
    stdin_done: bool,
    rng: u64,
}

impl Host for NativeHost {
    fn write_output(&mut self, fd: u8, data: &[u8]) {
        if fd == 2 {
            let _ = std::io::stderr().write_all(data);
        } else {
            let mut out = std::io::stdout();
            let _ = out.write_all(data);
            let _ = out.flush();
        }
    }
    fn read_stdin(&mut self, buf: &mut [u8]) -> StdinRead {
        // Blocking is fine here: this runner has no other event source.
        if self.stdin_done {
            return StdinRead::Eof;
        }
        match std::io::stdin().read(buf) {
            Ok(0) | Err(_) => {
                self.stdin_done = true;
                StdinRead::Eof
            }
            Ok(n) => StdinRead::Data(n),
        }
    }
    fn monotonic_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }
    fn realtime_ns(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    }
    fn random(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            *b = self.rng as u8;
        }
    }
    fn window_size(&self) -> Option<(u16, u16)> {
        None
    }
    fn host_echoes(&self) -> bool {
        true
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(image) = args.next() else {
        eprintln!("usage: run ROOTFS.tar [-e K=V]... -- CMD [ARGS...]");
        std::process::exit(2);
    };
    let mut cfg = MachineConfig {
        strace: std::env::var("FRISCY_STRACE").is_ok_and(|v| v == "1"),
        ..MachineConfig::default()
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--" => break,
            "-e" => {
                let kv = args.next().unwrap_or_default();
                let (k, v) = kv.split_once('=').unwrap_or((&kv, ""));
                cfg.env.push((k.to_string(), v.to_string()));
            }
            other => {
                eprintln!("run: unknown option {other}");
                std::process::exit(2);
            }
        }
    }
    cfg.args = args.collect();
    let bytes = match std::fs::read(&image) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("run: cannot read {image}: {e}");
            std::process::exit(2);
        }
    };
    let host = NativeHost {
        start: Instant::now(),
        stdin_done: false,
        rng: 0x9e37_79b9_7f4a_7c15,
    };
    let mut m = match Machine::boot(cfg, Box::new(BytesRootfs(bytes)), Box::new(host)) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(e.exit_status() as i32);
        }
    };
    loop {
        match m.run(50_000_000) {
            RunStatus::Exited(code) => std::process::exit(code as i32),
            RunStatus::Yielded | RunStatus::Waiting(WaitReason::Input) => {}
            RunStatus::Waiting(WaitReason::Timer { ns_from_now }) => {
                std::thread::sleep(std::time::Duration::from_nanos(ns_from_now))
            }
        }
    }
}
