//! AF_UNIX sockets inside the emulator: the socket objects, their byte and
//! message queues, and the name registry (filesystem paths and abstract
//! names). The system calls that drive them are in `syscall/net.rs`.
//!
//! A connected pair shares two queues, one per direction. A queue is a list
//! of segments (bytes plus any descriptors passed with them), so stream
//! reads can merge segments while datagram and seqpacket reads take one
//! each. Like pipes, the end-of-file and broken-pipe states follow the
//! sockets' lifetimes: dropping a socket (its last open file description)
//! marks both of its queues (see `Drop for Socket`).

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};

use super::fd::FileRef;
use super::syscall::poll::{POLLHUP, POLLIN, POLLOUT};
use super::Pid;
use crate::vfs::Ino;

pub const AF_UNIX: u16 = 1;
/// Bytes a queue holds before writers wait (Linux's default socket buffer).
pub const SOCK_BUF: usize = 212_992;
/// Datagrams a receive queue holds before senders wait.
const DGRAM_MAX: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockType {
    Stream = 1,
    Dgram = 2,
    SeqPacket = 5,
}

impl SockType {
    pub fn from_raw(t: u32) -> Option<SockType> {
        match t {
            1 => Some(SockType::Stream),
            // Linux turns SOCK_RAW into SOCK_DGRAM for AF_UNIX.
            2 | 3 => Some(SockType::Dgram),
            5 => Some(SockType::SeqPacket),
            _ => None,
        }
    }

    /// Whether reads keep message boundaries.
    pub fn is_message(self) -> bool {
        self != SockType::Stream
    }

    /// Whether the type needs listen/accept to connect.
    pub fn is_connection(self) -> bool {
        self != SockType::Dgram
    }
}

/// A socket address in the AF_UNIX family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnixAddr {
    Unnamed,
    Path(Vec<u8>),
    Abstract(Vec<u8>),
}

impl UnixAddr {
    /// Encode as a `struct sockaddr_un` of the length Linux reports.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = AF_UNIX.to_le_bytes().to_vec();
        match self {
            UnixAddr::Unnamed => {}
            UnixAddr::Path(p) => {
                b.extend_from_slice(p);
                b.push(0);
            }
            UnixAddr::Abstract(n) => {
                b.push(0);
                b.extend_from_slice(n);
            }
        }
        b
    }
}

/// Where a bound name lives in the registry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NameKey {
    /// The socket inode a filesystem path names.
    Path(Ino),
    Abstract(Vec<u8>),
}

/// Credentials of the process at the other end (SO_PEERCRED).
#[derive(Debug, Clone, Copy, Default)]
pub struct Cred {
    pub pid: Pid,
    pub uid: u32,
    pub gid: u32,
}

#[derive(Debug, Default)]
pub struct Segment {
    pub data: Vec<u8>,
    /// Open files passed with SCM_RIGHTS.
    pub fds: Vec<FileRef>,
    /// The sender's address (datagrams).
    pub from: Option<UnixAddr>,
}

/// One direction of a connection, or a datagram socket's receive queue.
#[derive(Debug, Default)]
pub struct Queue {
    pub segs: VecDeque<Segment>,
    pub bytes: usize,
    /// No more data will come: the writing socket is gone or shut down.
    pub eof: bool,
    /// Nobody will read: the reading socket is gone or shut down.
    pub closed: bool,
}

pub type QueueRef = Rc<RefCell<Queue>>;

impl Queue {
    pub fn new_ref() -> QueueRef {
        Rc::new(RefCell::new(Queue::default()))
    }

    pub fn has_data(&self) -> bool {
        !self.segs.is_empty()
    }

    pub fn room(&self, message: bool) -> usize {
        if message && self.segs.len() >= DGRAM_MAX {
            return 0;
        }
        SOCK_BUF.saturating_sub(self.bytes)
    }

    pub fn push(&mut self, seg: Segment) {
        self.bytes += seg.data.len();
        self.segs.push_back(seg);
    }

    /// Take up to `len` bytes: one segment for message sockets (the rest of
    /// it is discarded unless `peek`), or as many as fit for streams
    /// (stopping before a segment that carries descriptors, as Linux does).
    /// Returns (data, descriptors, sender, the segment's full length).
    pub fn take(&mut self, len: usize, message: bool, peek: bool) -> Taken {
        let mut out = Taken::default();
        if message {
            let Some(seg) = self.segs.front() else {
                return out;
            };
            out.full_len = seg.data.len();
            out.data = seg.data[..len.min(seg.data.len())].to_vec();
            out.from = seg.from.clone();
            if peek {
                return out;
            }
            let seg = self.segs.pop_front().unwrap_or_default();
            self.bytes -= seg.data.len();
            out.fds = seg.fds;
            return out;
        }
        let mut i = 0;
        while out.data.len() < len && i < self.segs.len() {
            if i > 0 && !self.segs[i].fds.is_empty() {
                break;
            }
            let want = len - out.data.len();
            let seg = &mut self.segs[i];
            let n = want.min(seg.data.len());
            out.data.extend_from_slice(&seg.data[..n]);
            out.from = out.from.take().or_else(|| seg.from.clone());
            if peek {
                i += 1;
                continue;
            }
            out.fds.append(&mut seg.fds);
            seg.data.drain(..n);
            self.bytes -= n;
            if seg.data.is_empty() {
                self.segs.pop_front();
            } else {
                break;
            }
        }
        out.full_len = out.data.len();
        out
    }
}

#[derive(Debug, Default)]
pub struct Taken {
    pub data: Vec<u8>,
    pub fds: Vec<FileRef>,
    pub from: Option<UnixAddr>,
    pub full_len: usize,
}

#[derive(Debug)]
pub enum SockState {
    /// Created, possibly bound; datagram sockets stay here.
    Idle,
    /// Accepting connections: connected server-side sockets not yet accepted.
    Listening {
        backlog: VecDeque<SocketRef>,
        limit: usize,
    },
    Connected {
        rx: QueueRef,
        tx: QueueRef,
        peer: UnixAddr,
        cred: Cred,
    },
}

#[derive(Debug)]
pub struct Socket {
    pub ty: SockType,
    /// A unique number for st_ino and "socket:[N]".
    pub id: u64,
    pub local: Option<UnixAddr>,
    pub state: SockState,
    /// Datagrams sent to this socket's name.
    pub dgram_rx: QueueRef,
    /// The default destination of a connect()ed datagram socket.
    pub dgram_peer: Option<(Weak<RefCell<Socket>>, UnixAddr)>,
    pub shut_rd: bool,
    pub shut_wr: bool,
    /// Who created the socket (the peer credentials it hands out).
    pub owner: Cred,
}

pub type SocketRef = Rc<RefCell<Socket>>;

impl Socket {
    pub fn new_ref(ty: SockType, id: u64, owner: Cred) -> SocketRef {
        Rc::new(RefCell::new(Socket {
            ty,
            id,
            local: None,
            state: SockState::Idle,
            dgram_rx: Queue::new_ref(),
            dgram_peer: None,
            shut_rd: false,
            shut_wr: false,
            owner,
        }))
    }

    /// The queue reads come from.
    pub fn rx(&self) -> QueueRef {
        match &self.state {
            SockState::Connected { rx, .. } => rx.clone(),
            _ => self.dgram_rx.clone(),
        }
    }

    /// Poll readiness (the subset of POLLIN/POLLOUT/POLLHUP that applies).
    pub fn revents(&self) -> i16 {
        match &self.state {
            SockState::Listening { backlog, .. } => {
                if backlog.is_empty() {
                    0
                } else {
                    POLLIN
                }
            }
            SockState::Connected { rx, tx, .. } => {
                let (rx, tx) = (rx.borrow(), tx.borrow());
                let mut r = 0;
                if rx.has_data() || rx.eof || self.shut_rd {
                    r |= POLLIN;
                }
                if tx.closed || tx.room(self.ty.is_message()) > 0 {
                    r |= POLLOUT;
                }
                // Linux: HUP once neither direction can carry data.
                if (rx.eof || self.shut_rd) && (tx.closed || self.shut_wr) {
                    r |= POLLHUP;
                }
                r
            }
            SockState::Idle => {
                let mut r = 0;
                if self.dgram_rx.borrow().has_data() || self.shut_rd {
                    r |= POLLIN;
                }
                if self.ty.is_connection() {
                    // An unconnected stream socket reports hang-up, as on Linux.
                    r |= POLLOUT | POLLHUP;
                } else {
                    r |= POLLOUT;
                }
                r
            }
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        if let SockState::Connected { rx, tx, .. } = &self.state {
            rx.borrow_mut().closed = true;
            tx.borrow_mut().eof = true;
        }
        self.dgram_rx.borrow_mut().closed = true;
    }
}

/// Bound names. Entries are weak: a closed socket frees its name (a
/// filesystem path stays as a dead socket file, as on Linux).
#[derive(Debug, Default)]
pub struct Registry {
    names: HashMap<NameKey, Weak<RefCell<Socket>>>,
    next_id: u64,
    /// Counter for autobind names.
    next_auto: u32,
}

impl Registry {
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        0x10000 + self.next_id
    }

    pub fn lookup(&self, key: &NameKey) -> Option<SocketRef> {
        self.names.get(key).and_then(Weak::upgrade)
    }

    pub fn insert(&mut self, key: NameKey, sock: &SocketRef) {
        self.names.retain(|_, w| w.strong_count() > 0);
        self.names.insert(key, Rc::downgrade(sock));
    }

    /// A fresh abstract name for autobind (Linux uses five hex digits).
    pub fn auto_name(&mut self) -> Vec<u8> {
        loop {
            self.next_auto = (self.next_auto + 1) & 0xfffff;
            let name = format!("{:05x}", self.next_auto).into_bytes();
            if self.lookup(&NameKey::Abstract(name.clone())).is_none() {
                return name;
            }
        }
    }
}

/// A connected pair of sockets sharing two fresh queues.
pub fn pair(ty: SockType, ids: (u64, u64), cred: Cred) -> (SocketRef, SocketRef) {
    let (ab, ba) = (Queue::new_ref(), Queue::new_ref());
    let a = Socket::new_ref(ty, ids.0, cred);
    let b = Socket::new_ref(ty, ids.1, cred);
    a.borrow_mut().state = SockState::Connected {
        rx: ba.clone(),
        tx: ab.clone(),
        peer: UnixAddr::Unnamed,
        cred,
    };
    b.borrow_mut().state = SockState::Connected {
        rx: ab,
        tx: ba,
        peer: UnixAddr::Unnamed,
        cred,
    };
    (a, b)
}
