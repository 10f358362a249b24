//! The `friscy:emulator/session` export: step-driven execution for hosts
//! that cannot block (browsers). Nothing here blocks inside an import:
//! output is buffered for `take-output`, input arrives by `push-input`.

use std::cell::RefCell;
use std::rc::Rc;

use friscy_core::{Machine, MachineConfig, RootfsSource, RunStatus, WaitReason};

use crate::bindings::exports::friscy::emulator::session as wit;
use crate::bindings::friscy::emulator::terminal_control;
use crate::host::{push_output, OutputBuffer, SessionHost};
use crate::rootfs::ImportRootfs;

impl wit::Guest for crate::Component {
    type Machine = SessionMachine;
}

enum State {
    Running(Box<Machine>),
    /// Boot failed (the message is in the output); `run` reports this status.
    Failed(u8),
}

pub struct SessionMachine {
    state: RefCell<State>,
    output: OutputBuffer,
}

impl wit::GuestMachine for SessionMachine {
    fn new(args: Vec<String>, env: Vec<(String, String)>) -> SessionMachine {
        let output: OutputBuffer = Rc::new(RefCell::new(Vec::new()));
        let host = SessionHost {
            output: output.clone(),
        };
        let booted = ImportRootfs::open().and_then(|rootfs| {
            let cfg = MachineConfig {
                args,
                env,
                image_config: rootfs.config_json(),
                ..MachineConfig::default()
            };
            Machine::boot(cfg, Box::new(rootfs), Box::new(host))
        });
        let state = match booted {
            Ok(machine) => State::Running(Box::new(machine)),
            Err(err) => {
                // A terminal gets CR LF, as the guest's tty (ONLCR) would write.
                let eol = match terminal_control::window_size() {
                    Some(_) => "\r\n",
                    None => "\n",
                };
                push_output(&output, 2, format!("{err}{eol}").as_bytes());
                State::Failed(err.exit_status())
            }
        };
        SessionMachine {
            state: RefCell::new(state),
            output,
        }
    }

    fn run(&self, budget: u64) -> wit::RunStatus {
        match &mut *self.state.borrow_mut() {
            State::Failed(status) => wit::RunStatus::Exited(*status),
            State::Running(machine) => match machine.run(budget) {
                RunStatus::Exited(code) => wit::RunStatus::Exited(code),
                RunStatus::Yielded => wit::RunStatus::Yielded,
                RunStatus::Waiting(WaitReason::Input) => {
                    wit::RunStatus::Waiting(wit::WaitReason::Input)
                }
                RunStatus::Waiting(WaitReason::Timer { ns_from_now }) => {
                    wit::RunStatus::Waiting(wit::WaitReason::Timer(ns_from_now))
                }
            },
        }
    }

    fn push_input(&self, data: Vec<u8>) {
        if let State::Running(machine) = &mut *self.state.borrow_mut() {
            machine.push_input(&data);
        }
    }

    fn close_input(&self) {
        if let State::Running(machine) = &mut *self.state.borrow_mut() {
            machine.close_input();
        }
    }

    fn take_output(&self) -> Vec<wit::OutputChunk> {
        std::mem::take(&mut *self.output.borrow_mut())
            .into_iter()
            .map(|(fd, data)| wit::OutputChunk { fd, data })
            .collect()
    }

    fn set_window_size(&self, rows: u16, cols: u16) {
        if let State::Running(machine) = &mut *self.state.borrow_mut() {
            machine.set_window_size(rows, cols);
        }
    }
}
