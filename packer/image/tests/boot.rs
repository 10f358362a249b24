//! End to end: pack the test fixtures' riscv64 rootfs (built by
//! `cargo run -p friscy-tests --bin build-fixtures`) into a runtime image and
//! boot real guest programs from it with `friscy_core::Machine`. Skipped
//! when the fixtures have not been built.

use std::path::PathBuf;

use friscy_core::{BytesRootfs, Host, Machine, MachineConfig, RunStatus, StdinRead};
use friscy_image::{load_image, LoadOptions, NoProgress, WriteOptions};

#[derive(Default)]
struct Capture {
    out: std::rc::Rc<std::cell::RefCell<Vec<u8>>>,
}

impl Host for Capture {
    fn write_output(&mut self, _fd: u8, data: &[u8]) {
        self.out.borrow_mut().extend_from_slice(data);
    }
    fn read_stdin(&mut self, _: &mut [u8]) -> StdinRead {
        StdinRead::Eof
    }
    fn monotonic_ns(&self) -> u64 {
        0
    }
    fn realtime_ns(&self) -> u64 {
        1_700_000_000_000_000_000
    }
    fn random(&mut self, buf: &mut [u8]) {
        buf.fill(4);
    }
    fn window_size(&self) -> Option<(u16, u16)> {
        None
    }
    fn host_echoes(&self) -> bool {
        false
    }
}

#[test]
fn packed_fixture_rootfs_boots_and_runs() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../build/fixtures/rootfs");
    if !root.join("glibc/cat").exists() {
        eprintln!("skipping: fixtures not built ({} missing)", root.display());
        return;
    }
    let img = load_image(root.to_str().unwrap(), &LoadOptions::default(), &NoProgress).unwrap();
    let fimg = friscy_image::write_runtime_image(&img, &WriteOptions::fast(), &NoProgress).unwrap();
    let tar = friscy_image::write_rootfs_tar(&img.tree).unwrap();
    let small = std::fs::read(root.join("data/small.txt")).unwrap();
    for prog in ["/glibc/cat", "/musl/cat"] {
        let run = |image: Vec<u8>| -> (Option<u8>, Vec<u8>) {
            let host = Capture::default();
            let out = host.out.clone();
            let cfg = MachineConfig {
                args: vec![
                    prog.into(),
                    "/data/small.txt".into(),
                    "/data/lines.txt".into(),
                    "/data/link.txt".into(),
                ],
                ..Default::default()
            };
            let mut m = Machine::boot(cfg, Box::new(BytesRootfs(image)), Box::new(host))
                .unwrap_or_else(|e| panic!("{prog}: {e}"));
            let mut status = None;
            for _ in 0..10_000 {
                match m.run(10_000_000) {
                    RunStatus::Exited(s) => {
                        status = Some(s);
                        break;
                    }
                    RunStatus::Yielded => {}
                    RunStatus::Waiting(w) => panic!("{prog} waits: {w:?}"),
                }
            }
            let o = out.borrow().clone();
            (status, o)
        };
        // The same program from the runtime image and from a plain tar of
        // the same tree: same exit status, same output.
        let (st_img, out_img) = run(fimg.clone());
        let (st_tar, out_tar) = run(tar.clone());
        assert_eq!(
            st_img,
            Some(0),
            "{prog}: {}",
            String::from_utf8_lossy(&out_img)
        );
        assert_eq!(st_img, st_tar, "{prog}");
        assert!(
            out_img == out_tar,
            "{prog}: outputs differ ({} vs {} bytes)",
            out_img.len(),
            out_tar.len()
        );
        let text = String::from_utf8_lossy(&out_img);
        assert!(
            text.contains(String::from_utf8_lossy(&small).trim()),
            "{prog}: {}",
            &text[..text.len().min(300)]
        );
    }
}
