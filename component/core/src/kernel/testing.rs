//! Unit-test scaffolding: a kernel over an in-memory host, with an init
//! process and its task, for tests that drive system calls directly.

use super::{Kernel, Pid, Task};
use crate::cpu::Cpu;
use crate::host::{BytesRootfs, Host, StdinRead};
use crate::vfs::Vfs;

/// A host with no input; a terminal when `tty`.
pub struct FakeHost {
    pub tty: bool,
}

impl Host for FakeHost {
    fn write_output(&mut self, _fd: u8, _data: &[u8]) {}
    fn read_stdin(&mut self, _buf: &mut [u8]) -> StdinRead {
        StdinRead::WouldBlock
    }
    fn monotonic_ns(&self) -> u64 {
        0
    }
    fn realtime_ns(&self) -> u64 {
        0
    }
    fn random(&mut self, buf: &mut [u8]) {
        buf.fill(4);
    }
    fn window_size(&self) -> Option<(u16, u16)> {
        self.tty.then_some((24, 80))
    }
    fn host_echoes(&self) -> bool {
        false
    }
}

/// A kernel with an empty filesystem and init (with one task); returns it
/// and init's pid.
pub fn kernel(tty: bool) -> (Kernel, Pid) {
    let vfs = Vfs::new(Box::new(BytesRootfs(Vec::new())));
    let mut k = Kernel::new(vfs, Box::new(FakeHost { tty }), 64 << 20);
    let init = k.spawn_init();
    k.tasks.insert(init, Task::new(init, init, Cpu::new(0, 0)));
    (k, init)
}
