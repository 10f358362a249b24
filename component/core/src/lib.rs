//! friscy's emulator core: a userland RV64GC machine with its own Linux
//! system-call layer. Nothing here knows about WASI: the outside world comes
//! in through the traits in [`host`], so everything runs natively in tests.

pub mod cpu;
pub mod driver;
pub mod host;
pub mod kernel;
pub mod loader;
pub mod mm;
pub mod vfs;

pub use driver::{BootError, HostMount, Machine, MachineConfig, RunStatus, WaitReason};
pub use host::{BytesRootfs, Errno, Host, HostFileType, HostFs, HostStat, RootfsSource, StdinRead};
