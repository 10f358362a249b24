//! Pipes: a bounded byte queue with reader and writer counts. The counts
//! follow the open file descriptions (see `fd::OpenFile`'s Drop), so a
//! reader sees EOF exactly when the last write end closes anywhere.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Linux's default pipe capacity.
pub const PIPE_CAPACITY: usize = 65536;
/// Writes up to this size are atomic.
pub const PIPE_BUF: usize = 4096;

#[derive(Debug, Default)]
pub struct Pipe {
    pub buf: VecDeque<u8>,
    pub readers: usize,
    pub writers: usize,
}

pub type PipeRef = Rc<RefCell<Pipe>>;

impl Pipe {
    pub fn new_ref() -> PipeRef {
        Rc::new(RefCell::new(Pipe::default()))
    }

    pub fn readable(&self) -> bool {
        !self.buf.is_empty() || self.writers == 0
    }

    pub fn writable(&self) -> bool {
        self.readers == 0 || self.buf.len() + PIPE_BUF <= PIPE_CAPACITY
    }

    pub fn room(&self) -> usize {
        PIPE_CAPACITY.saturating_sub(self.buf.len())
    }
}
