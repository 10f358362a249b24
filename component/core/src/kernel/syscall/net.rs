//! Socket system calls. Only AF_UNIX exists inside the emulator (see
//! `kernel::socket`); other families give EAFNOSUPPORT, which is what
//! programs probing for optional services (glibc's nscd client) handle.

use std::rc::Rc;

use super::{copy_in, copy_out, file_of, SysError, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::fd::{FileKind, FileRef, OpenFile, O_CLOEXEC, O_NONBLOCK, O_RDWR};
use crate::kernel::signal::{SigInfo, SIGPIPE};
use crate::kernel::socket::*;
use crate::kernel::{Kernel, Pid, Wait};
use crate::vfs::inode::S_IFSOCK;
use crate::vfs::{new_file, FileData, NodeKind};

use super::poll::{POLLIN, POLLOUT};

const SOCK_TYPE_MASK: u32 = 0xf;
const MSG_PEEK: u32 = 0x2;
const MSG_CTRUNC: u32 = 0x8;
const MSG_TRUNC: u32 = 0x20;
const MSG_DONTWAIT: u32 = 0x40;
const MSG_NOSIGNAL: u32 = 0x4000;
const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;
const SOL_SOCKET: u32 = 1;
const SCM_RIGHTS: u32 = 1;
/// Largest descriptor count one SCM_RIGHTS message may carry (Linux's SCM_MAX_FD).
const SCM_MAX_FD: usize = 253;

/// The socket behind descriptor `fd`, with its open file.
fn sock_of(k: &Kernel, pid: Pid, fd: i32) -> Result<(FileRef, SocketRef), SysError> {
    let file = file_of(k, pid, fd)?;
    let sock = match &file.borrow().kind {
        FileKind::Socket(s) => s.clone(),
        _ => return Err(Errno::ENOTSOCK.into()),
    };
    Ok((file, sock))
}

fn cred(k: &Kernel, pid: Pid) -> Cred {
    let p = k.procs.get(&pid);
    Cred {
        pid,
        uid: p.map(|p| p.uid).unwrap_or(0),
        gid: p.map(|p| p.gid).unwrap_or(0),
    }
}

fn install(k: &mut Kernel, pid: Pid, sock: SocketRef, flags: u32) -> SysResult {
    let id = sock.borrow().id;
    let file = OpenFile::new(
        FileKind::Socket(sock),
        O_RDWR | (flags & O_NONBLOCK),
        format!("socket:[{id}]").into_bytes(),
    );
    super::install_file(k, pid, file, flags & O_CLOEXEC != 0)
}

fn check_domain_type(domain: u32, ty: u32, proto: u32) -> Result<SockType, SysError> {
    if domain != AF_UNIX as u32 {
        return Err(Errno::EAFNOSUPPORT.into());
    }
    if ty & !(SOCK_TYPE_MASK | O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let t = SockType::from_raw(ty & SOCK_TYPE_MASK).ok_or(Errno::ESOCKTNOSUPPORT)?;
    if proto != 0 {
        return Err(Errno::EPROTONOSUPPORT.into());
    }
    Ok(t)
}

pub fn socket(k: &mut Kernel, pid: Pid, domain: u32, ty: u32, proto: u32) -> SysResult {
    let t = check_domain_type(domain, ty, proto)?;
    let id = k.unix.next_id();
    let sock = Socket::new_ref(t, id, cred(k, pid));
    install(k, pid, sock, ty)
}

pub fn socketpair(
    k: &mut Kernel,
    pid: Pid,
    domain: u32,
    ty: u32,
    proto: u32,
    sv: u64,
) -> SysResult {
    let t = check_domain_type(domain, ty, proto)?;
    let ids = (k.unix.next_id(), k.unix.next_id());
    let (a, b) = pair(t, ids, cred(k, pid));
    let fa = install(k, pid, a, ty)?;
    let fb = match install(k, pid, b, ty) {
        Ok(fd) => fd,
        Err(e) => {
            super::fs::close(k, pid, fa as i32)?;
            return Err(e);
        }
    };
    let mut out = (fa as i32).to_le_bytes().to_vec();
    out.extend_from_slice(&(fb as i32).to_le_bytes());
    copy_out(k, pid, sv, &out)?;
    Ok(0)
}

/// Decode a `struct sockaddr_un` of `len` bytes.
fn read_addr(k: &mut Kernel, pid: Pid, addr: u64, len: u32) -> Result<UnixAddr, SysError> {
    if !(2..=110).contains(&len) {
        return Err(Errno::EINVAL.into());
    }
    let b = copy_in(k, pid, addr, len as usize)?;
    if u16::from_le_bytes([b[0], b[1]]) != AF_UNIX {
        return Err(Errno::EINVAL.into());
    }
    let path = &b[2..];
    Ok(match path.first() {
        None => UnixAddr::Unnamed,
        Some(0) => UnixAddr::Abstract(path[1..].to_vec()),
        Some(_) => {
            let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
            UnixAddr::Path(path[..end].to_vec())
        }
    })
}

/// Write an address to a user `sockaddr` buffer whose size is at `lenp`,
/// and store the full length there (truncating like Linux).
fn write_addr(k: &mut Kernel, pid: Pid, buf: u64, lenp: u64, a: &UnixAddr) -> Result<(), SysError> {
    if buf == 0 || lenp == 0 {
        return Ok(());
    }
    let b = copy_in(k, pid, lenp, 4)?;
    let room = i32::from_le_bytes(b.try_into().unwrap_or_default());
    if room < 0 {
        return Err(Errno::EINVAL.into());
    }
    let enc = a.encode();
    let n = enc.len().min(room as usize);
    copy_out(k, pid, buf, &enc[..n])?;
    copy_out(k, pid, lenp, &(enc.len() as u32).to_le_bytes())
}

fn cwd(k: &Kernel, pid: Pid) -> Result<crate::vfs::Ino, SysError> {
    Ok(k.procs.get(&pid).ok_or(Errno::ESRCH)?.fs.borrow().cwd)
}

pub fn bind(k: &mut Kernel, pid: Pid, fd: i32, addr: u64, len: u32) -> SysResult {
    let (_, sock) = sock_of(k, pid, fd)?;
    let a = read_addr(k, pid, addr, len)?;
    if sock.borrow().local.is_some() {
        return Err(Errno::EINVAL.into());
    }
    let (a, key) = match a {
        UnixAddr::Unnamed => {
            let n = k.unix.auto_name();
            (UnixAddr::Abstract(n.clone()), NameKey::Abstract(n))
        }
        UnixAddr::Abstract(n) => {
            if k.unix.lookup(&NameKey::Abstract(n.clone())).is_some() {
                return Err(Errno::EADDRINUSE.into());
            }
            (UnixAddr::Abstract(n.clone()), NameKey::Abstract(n))
        }
        UnixAddr::Path(p) => {
            let base = cwd(k, pid)?;
            let (dir, name) = k.vfs.resolve_parent(base, &p)?;
            let name = name.to_vec();
            if k.vfs.lookup(dir, &name)?.is_some() {
                return Err(Errno::EADDRINUSE.into());
            }
            let umask = k
                .procs
                .get(&pid)
                .map(|p| p.fs.borrow().umask)
                .unwrap_or(0o022);
            let mut node = new_file(FileData::empty(), 0);
            node.mode = S_IFSOCK | (0o777 & !umask);
            node.kind = NodeKind::Socket;
            let ino = k.vfs.create(dir, &name, node)?;
            (UnixAddr::Path(p), NameKey::Path(ino))
        }
    };
    k.unix.insert(key, &sock);
    sock.borrow_mut().local = Some(a);
    Ok(0)
}

pub fn listen(k: &mut Kernel, pid: Pid, fd: i32, backlog: i32) -> SysResult {
    let (_, sock) = sock_of(k, pid, fd)?;
    let owner = cred(k, pid);
    let mut s = sock.borrow_mut();
    if !s.ty.is_connection() {
        return Err(Errno::EOPNOTSUPP.into());
    }
    if s.local.is_none() {
        return Err(Errno::EINVAL.into());
    }
    let limit = backlog.clamp(1, 4096) as usize;
    match &mut s.state {
        SockState::Idle => {
            s.state = SockState::Listening {
                backlog: Default::default(),
                limit,
            }
        }
        SockState::Listening { limit: l, .. } => *l = limit,
        SockState::Connected { .. } => return Err(Errno::EINVAL.into()),
    }
    s.owner = owner;
    Ok(0)
}

/// The socket bound to `a`: ENOENT when a path does not exist (what
/// glibc's nscd probe expects), ECONNREFUSED when nothing listens there.
fn lookup_peer(k: &mut Kernel, pid: Pid, a: &UnixAddr) -> Result<SocketRef, SysError> {
    let key = match a {
        UnixAddr::Unnamed => return Err(Errno::EINVAL.into()),
        UnixAddr::Abstract(n) => NameKey::Abstract(n.clone()),
        UnixAddr::Path(p) => {
            let base = cwd(k, pid)?;
            let l = k.vfs.resolve(base, p, true)?;
            if !matches!(k.vfs.node(l.ino)?.kind, NodeKind::Socket) {
                return Err(Errno::ECONNREFUSED.into());
            }
            NameKey::Path(l.ino)
        }
    };
    Ok(k.unix.lookup(&key).ok_or(Errno::ECONNREFUSED)?)
}

pub fn connect(k: &mut Kernel, pid: Pid, fd: i32, addr: u64, len: u32) -> SysResult {
    let (_, sock) = sock_of(k, pid, fd)?;
    let a = read_addr(k, pid, addr, len)?;
    let ty = sock.borrow().ty;
    let target = lookup_peer(k, pid, &a)?;
    if target.borrow().ty != ty {
        return Err(Errno::EPROTOTYPE.into());
    }
    if !ty.is_connection() {
        sock.borrow_mut().dgram_peer = Some((Rc::downgrade(&target), a));
        return Ok(0);
    }
    if Rc::ptr_eq(&sock, &target) {
        return Err(Errno::ECONNREFUSED.into());
    }
    match sock.borrow().state {
        SockState::Idle => {}
        SockState::Connected { .. } => return Err(Errno::EISCONN.into()),
        SockState::Listening { .. } => return Err(Errno::EINVAL.into()),
    }
    let listener_cred = target.borrow().owner;
    let listener_addr = target.borrow().local.clone().unwrap_or(UnixAddr::Unnamed);
    if !matches!(target.borrow().state, SockState::Listening { .. }) {
        return Err(Errno::ECONNREFUSED.into());
    }
    let (c2s, s2c) = (Queue::new_ref(), Queue::new_ref());
    let me = cred(k, pid);
    let server = Socket::new_ref(ty, k.unix.next_id(), listener_cred);
    {
        let mut srv = server.borrow_mut();
        srv.local = Some(listener_addr.clone());
        srv.state = SockState::Connected {
            rx: c2s.clone(),
            tx: s2c.clone(),
            peer: sock.borrow().local.clone().unwrap_or(UnixAddr::Unnamed),
            cred: me,
        };
    }
    sock.borrow_mut().state = SockState::Connected {
        rx: s2c,
        tx: c2s,
        peer: listener_addr,
        cred: listener_cred,
    };
    if let SockState::Listening { backlog, .. } = &mut target.borrow_mut().state {
        backlog.push_back(server);
    }
    Ok(0)
}

pub fn accept4(k: &mut Kernel, pid: Pid, fd: i32, addr: u64, lenp: u64, flags: u32) -> SysResult {
    if flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let (file, sock) = sock_of(k, pid, fd)?;
    let nonblock = file.borrow().flags & O_NONBLOCK != 0;
    let next = match &mut sock.borrow_mut().state {
        SockState::Listening { backlog, .. } => backlog.pop_front(),
        _ => return Err(Errno::EINVAL.into()),
    };
    let Some(conn) = next else {
        return Err(if nonblock {
            Errno::EAGAIN.into()
        } else {
            SysError::Block(Wait::Socket(sock.clone(), POLLIN))
        });
    };
    let peer = match &conn.borrow().state {
        SockState::Connected { peer, .. } => peer.clone(),
        _ => UnixAddr::Unnamed,
    };
    let newfd = install(k, pid, conn, flags)?;
    write_addr(k, pid, addr, lenp, &peer)?;
    Ok(newfd)
}

pub fn getsockname(k: &mut Kernel, pid: Pid, fd: i32, addr: u64, lenp: u64) -> SysResult {
    let (_, sock) = sock_of(k, pid, fd)?;
    let a = sock.borrow().local.clone().unwrap_or(UnixAddr::Unnamed);
    write_addr(k, pid, addr, lenp, &a)?;
    Ok(0)
}

pub fn getpeername(k: &mut Kernel, pid: Pid, fd: i32, addr: u64, lenp: u64) -> SysResult {
    let (_, sock) = sock_of(k, pid, fd)?;
    let a = {
        let s = sock.borrow();
        match (&s.state, &s.dgram_peer) {
            (SockState::Connected { peer, .. }, _) => peer.clone(),
            (_, Some((_, a))) => a.clone(),
            _ => return Err(Errno::ENOTCONN.into()),
        }
    };
    write_addr(k, pid, addr, lenp, &a)?;
    Ok(0)
}

pub fn shutdown(k: &mut Kernel, pid: Pid, fd: i32, how: u32) -> SysResult {
    let (_, sock) = sock_of(k, pid, fd)?;
    if how > 2 {
        return Err(Errno::EINVAL.into());
    }
    let mut s = sock.borrow_mut();
    let (rd, wr) = (how != 1, how != 0);
    if let SockState::Connected { rx, tx, .. } = &s.state {
        // The peer sees the mirror image: our read shutdown breaks its
        // writes, our write shutdown is its end of file.
        if rd {
            rx.borrow_mut().closed = true;
        }
        if wr {
            tx.borrow_mut().eof = true;
        }
    } else if s.ty.is_connection() {
        return Err(Errno::ENOTCONN.into());
    }
    s.shut_rd |= rd;
    s.shut_wr |= wr;
    Ok(0)
}

/// Broken pipe: EPIPE, and SIGPIPE unless MSG_NOSIGNAL.
fn broken_pipe(k: &mut Kernel, pid: Pid, flags: u32) -> SysError {
    if flags & MSG_NOSIGNAL == 0 {
        k.send_to_process(pid, SigInfo::user(SIGPIPE, pid));
    }
    Errno::EPIPE.into()
}

/// Queue `data` (and passed descriptors) for the peer or `dest`.
#[allow(clippy::too_many_arguments)]
fn send(
    k: &mut Kernel,
    pid: Pid,
    sock: &SocketRef,
    nonblock: bool,
    data: &[u8],
    fds: Vec<FileRef>,
    dest: Option<UnixAddr>,
    flags: u32,
) -> SysResult {
    let nonblock = nonblock || flags & MSG_DONTWAIT != 0;
    let (ty, shut_wr, local) = {
        let s = sock.borrow();
        (s.ty, s.shut_wr, s.local.clone())
    };
    if shut_wr {
        return Err(broken_pipe(k, pid, flags));
    }
    let tx = match &sock.borrow().state {
        SockState::Connected { tx, .. } => Some(tx.clone()),
        _ => None,
    };
    if let Some(tx) = tx {
        let mut q = tx.borrow_mut();
        if q.closed {
            drop(q);
            return Err(broken_pipe(k, pid, flags));
        }
        let message = ty.is_message();
        if message && data.len() > SOCK_BUF {
            return Err(Errno::EMSGSIZE.into());
        }
        let room = q.room(message);
        let n = if message {
            if room >= data.len().max(1) {
                data.len()
            } else {
                0
            }
        } else {
            room.min(data.len())
        };
        if n == 0 && (message || !data.is_empty()) {
            return Err(if nonblock {
                Errno::EAGAIN.into()
            } else {
                SysError::Block(Wait::Socket(sock.clone(), POLLOUT))
            });
        }
        if n > 0 || message || !fds.is_empty() {
            q.push(Segment {
                data: data[..n].to_vec(),
                fds,
                from: local,
            });
        }
        return Ok(n as u64);
    }
    if ty.is_connection() {
        return Err(Errno::ENOTCONN.into());
    }
    let target = match dest {
        Some(a) => lookup_peer(k, pid, &a)?,
        None => {
            let peer = sock.borrow().dgram_peer.as_ref().map(|(w, _)| w.upgrade());
            match peer {
                Some(Some(t)) => t,
                Some(None) => return Err(Errno::ECONNREFUSED.into()),
                None => return Err(Errno::ENOTCONN.into()),
            }
        }
    };
    if target.borrow().ty != SockType::Dgram {
        return Err(Errno::EPROTOTYPE.into());
    }
    if data.len() > SOCK_BUF {
        return Err(Errno::EMSGSIZE.into());
    }
    let q = target.borrow().dgram_rx.clone();
    let mut q = q.borrow_mut();
    if q.closed {
        return Err(Errno::ECONNREFUSED.into());
    }
    if q.room(true) < data.len().max(1) {
        // No wait on another socket's queue: datagram senders retry.
        return Err(Errno::EAGAIN.into());
    }
    q.push(Segment {
        data: data.to_vec(),
        fds,
        from: Some(local.unwrap_or(UnixAddr::Unnamed)),
    });
    Ok(data.len() as u64)
}

/// Take up to `len` bytes (one message for message sockets).
fn recv(sock: &SocketRef, nonblock: bool, len: usize, flags: u32) -> Result<Taken, SysError> {
    let nonblock = nonblock || flags & MSG_DONTWAIT != 0;
    let s = sock.borrow();
    match &s.state {
        SockState::Listening { .. } => return Err(Errno::EINVAL.into()),
        SockState::Idle if s.ty.is_connection() => return Err(Errno::EINVAL.into()),
        _ => {}
    }
    let q = s.rx();
    let mut q = q.borrow_mut();
    if !q.has_data() {
        if q.eof || s.shut_rd || (len == 0 && !s.ty.is_message()) {
            return Ok(Taken::default());
        }
        return Err(if nonblock {
            Errno::EAGAIN.into()
        } else {
            SysError::Block(Wait::Socket(sock.clone(), POLLIN))
        });
    }
    Ok(q.take(len, s.ty.is_message(), flags & MSG_PEEK != 0))
}

/// read(2) on a socket.
pub fn sock_read(sock: &SocketRef, len: usize, file_flags: u32) -> Result<Vec<u8>, SysError> {
    Ok(recv(sock, file_flags & O_NONBLOCK != 0, len, 0)?.data)
}

/// write(2) on a socket.
pub fn sock_write(
    k: &mut Kernel,
    pid: Pid,
    sock: &SocketRef,
    data: &[u8],
    file_flags: u32,
) -> SysResult {
    send(
        k,
        pid,
        sock,
        file_flags & O_NONBLOCK != 0,
        data,
        Vec::new(),
        None,
        0,
    )
}

#[allow(clippy::too_many_arguments)]
pub fn sendto(
    k: &mut Kernel,
    pid: Pid,
    fd: i32,
    buf: u64,
    len: u64,
    flags: u32,
    addr: u64,
    alen: u32,
) -> SysResult {
    let (file, sock) = sock_of(k, pid, fd)?;
    let data = copy_in(k, pid, buf, len.min(SOCK_BUF as u64) as usize)?;
    let dest = if addr != 0 {
        Some(read_addr(k, pid, addr, alen)?)
    } else {
        None
    };
    let nonblock = file.borrow().flags & O_NONBLOCK != 0;
    send(k, pid, &sock, nonblock, &data, Vec::new(), dest, flags)
}

#[allow(clippy::too_many_arguments)]
pub fn recvfrom(
    k: &mut Kernel,
    pid: Pid,
    fd: i32,
    buf: u64,
    len: u64,
    flags: u32,
    addr: u64,
    lenp: u64,
) -> SysResult {
    let (file, sock) = sock_of(k, pid, fd)?;
    let nonblock = file.borrow().flags & O_NONBLOCK != 0;
    let t = recv(&sock, nonblock, len.min(1 << 20) as usize, flags)?;
    copy_out(k, pid, buf, &t.data)?;
    if addr != 0 {
        write_addr(k, pid, addr, lenp, &t.from.unwrap_or(UnixAddr::Unnamed))?;
    }
    Ok(if flags & MSG_TRUNC != 0 {
        t.full_len
    } else {
        t.data.len()
    } as u64)
}

/// The fields of a `struct msghdr` (56 bytes on riscv64).
struct MsgHdr {
    name: u64,
    namelen: u32,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
}

fn read_msghdr(k: &mut Kernel, pid: Pid, msg: u64) -> Result<MsgHdr, SysError> {
    let b = copy_in(k, pid, msg, 56)?;
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default());
    Ok(MsgHdr {
        name: u64_at(0),
        namelen: u32::from_le_bytes(b[8..12].try_into().unwrap_or_default()),
        iov: u64_at(16),
        iovlen: u64_at(24),
        control: u64_at(32),
        controllen: u64_at(40),
    })
}

pub fn sendmsg(k: &mut Kernel, pid: Pid, fd: i32, msg: u64, flags: u32) -> SysResult {
    let (file, sock) = sock_of(k, pid, fd)?;
    let m = read_msghdr(k, pid, msg)?;
    let mut data = Vec::new();
    for (base, len) in super::fs::iovecs(k, pid, m.iov, m.iovlen)? {
        let want = (len as usize).min(SOCK_BUF.saturating_sub(data.len()));
        data.extend(copy_in(k, pid, base, want)?);
    }
    let mut fds = Vec::new();
    if m.control != 0 && m.controllen >= 16 {
        let ctl = copy_in(k, pid, m.control, m.controllen.min(4096) as usize)?;
        let mut off = 0;
        while off + 16 <= ctl.len() {
            let clen =
                u64::from_le_bytes(ctl[off..off + 8].try_into().unwrap_or_default()) as usize;
            let level = u32::from_le_bytes(ctl[off + 8..off + 12].try_into().unwrap_or_default());
            let ty = u32::from_le_bytes(ctl[off + 12..off + 16].try_into().unwrap_or_default());
            if clen < 16 || off + clen > ctl.len() {
                return Err(Errno::EINVAL.into());
            }
            if level == SOL_SOCKET && ty == SCM_RIGHTS {
                let table = k.procs.get(&pid).ok_or(Errno::ESRCH)?.fds.clone();
                for c in ctl[off + 16..off + clen].chunks_exact(4) {
                    let n = i32::from_le_bytes(c.try_into().unwrap_or_default());
                    fds.push(table.borrow().file(n)?);
                }
                if fds.len() > SCM_MAX_FD {
                    return Err(Errno::EINVAL.into());
                }
            }
            // SCM_CREDENTIALS and others carry nothing the receiver needs here.
            off += clen.div_ceil(8) * 8;
        }
    }
    let dest = if m.name != 0 && m.namelen != 0 {
        Some(read_addr(k, pid, m.name, m.namelen)?)
    } else {
        None
    };
    let nonblock = file.borrow().flags & O_NONBLOCK != 0;
    send(k, pid, &sock, nonblock, &data, fds, dest, flags)
}

pub fn recvmsg(k: &mut Kernel, pid: Pid, fd: i32, msg: u64, flags: u32) -> SysResult {
    let (file, sock) = sock_of(k, pid, fd)?;
    let m = read_msghdr(k, pid, msg)?;
    let vecs = super::fs::iovecs(k, pid, m.iov, m.iovlen)?;
    let total: u64 = vecs.iter().map(|v| v.1).sum();
    let nonblock = file.borrow().flags & O_NONBLOCK != 0;
    let t = recv(&sock, nonblock, total.min(1 << 20) as usize, flags)?;
    let mut done = 0;
    for (base, len) in vecs {
        if done >= t.data.len() {
            break;
        }
        let n = (len as usize).min(t.data.len() - done);
        copy_out(k, pid, base, &t.data[done..done + n])?;
        done += n;
    }
    // Linux reports MSG_CMSG_CLOEXEC back in msg_flags.
    let mut out_flags = flags & MSG_CMSG_CLOEXEC;
    if t.full_len > t.data.len() {
        out_flags |= MSG_TRUNC;
    }
    // Descriptors: as many as fit in the control buffer, the rest dropped
    // (closed) with MSG_CTRUNC, as on Linux.
    let mut controllen = 0u64;
    if !t.fds.is_empty() {
        let fit = if m.control == 0 || m.controllen < 16 {
            0
        } else {
            ((m.controllen - 16) / 4) as usize
        };
        if fit < t.fds.len() {
            out_flags |= MSG_CTRUNC;
        }
        let table = k.procs.get(&pid).ok_or(Errno::ESRCH)?.fds.clone();
        let mut nums = Vec::new();
        for f in t.fds.into_iter().take(fit) {
            let n = table
                .borrow_mut()
                .insert(f, flags & MSG_CMSG_CLOEXEC != 0)?;
            nums.push(n);
        }
        if !nums.is_empty() {
            let clen = 16 + 4 * nums.len() as u64;
            let mut c = clen.to_le_bytes().to_vec();
            c.extend_from_slice(&SOL_SOCKET.to_le_bytes());
            c.extend_from_slice(&SCM_RIGHTS.to_le_bytes());
            for n in nums {
                c.extend_from_slice(&n.to_le_bytes());
            }
            copy_out(k, pid, m.control, &c)?;
            controllen = clen.div_ceil(8) * 8;
            controllen = controllen.min(m.controllen);
        }
    }
    if m.name != 0 {
        let enc = t.from.map(|a| a.encode()).unwrap_or_default();
        let n = enc.len().min(m.namelen as usize);
        copy_out(k, pid, m.name, &enc[..n])?;
        copy_out(k, pid, msg + 8, &(enc.len() as u32).to_le_bytes())?;
    }
    copy_out(k, pid, msg + 40, &controllen.to_le_bytes())?;
    copy_out(k, pid, msg + 48, &out_flags.to_le_bytes())?;
    Ok(if flags & MSG_TRUNC != 0 {
        t.full_len
    } else {
        t.data.len()
    } as u64)
}

/// recvmmsg: after the first message, take only what is already there.
const MSG_WAITFORONE: u32 = 0x10000;
/// `struct mmsghdr`: a msghdr (56 bytes), then `unsigned msg_len`, padded.
const MMSGHDR_SIZE: u64 = 64;
const MMSG_LEN_OFFSET: u64 = 56;
/// At most this many messages per call (Linux's UIO_MAXIOV).
const MMSG_MAX: u64 = 1024;

/// sendmmsg: sendmsg for each of `vlen` headers, storing each one's byte
/// count in its `msg_len`; returns how many were sent. An error on the
/// first message is the call's error; a later one ends the batch early. A
/// message that would block after the first also ends it (a blocked call
/// restarts from the beginning here, which must not send messages twice).
pub fn sendmmsg(k: &mut Kernel, pid: Pid, fd: i32, vec: u64, vlen: u64, flags: u32) -> SysResult {
    each_mmsg(k, pid, fd, vec, vlen, flags, sendmsg)
}

/// recvmmsg: recvmsg into each of `vlen` headers, storing each one's byte
/// count in its `msg_len`; returns how many were received. The first
/// message is waited for (unless non-blocking); later ones are taken only
/// if already queued (always with MSG_WAITFORONE; Linux would otherwise
/// keep waiting for more, but a blocked call restarts from the beginning
/// here and must not lose the messages it took). The timeout is read but,
/// as on Linux where it is only checked between messages, cannot cut the
/// wait for the first one short.
pub fn recvmmsg(
    k: &mut Kernel,
    pid: Pid,
    fd: i32,
    vec: u64,
    vlen: u64,
    flags: u32,
    timeout: u64,
) -> SysResult {
    if timeout != 0 {
        super::time::read_timespec(k, pid, timeout)?;
    }
    each_mmsg(k, pid, fd, vec, vlen, flags & !MSG_WAITFORONE, recvmsg)
}

/// Run `one` (sendmsg or recvmsg) on each of `vlen` mmsghdrs at `vec`,
/// storing each byte count in its `msg_len`; returns how many were done.
/// Messages after the first never wait, and an error after the first ends
/// the batch (the first one's error is the call's).
fn each_mmsg(
    k: &mut Kernel,
    pid: Pid,
    fd: i32,
    vec: u64,
    vlen: u64,
    flags: u32,
    one: fn(&mut Kernel, Pid, i32, u64, u32) -> SysResult,
) -> SysResult {
    let vlen = vlen.min(MMSG_MAX);
    let mut done = 0;
    while done < vlen {
        let hdr = vec.wrapping_add(done * MMSGHDR_SIZE);
        let f = if done > 0 {
            flags | MSG_DONTWAIT
        } else {
            flags
        };
        match one(k, pid, fd, hdr, f) {
            Ok(n) => {
                copy_out(
                    k,
                    pid,
                    hdr.wrapping_add(MMSG_LEN_OFFSET),
                    &(n as u32).to_le_bytes(),
                )?;
                done += 1;
            }
            Err(_) if done > 0 => break,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

const SO_TYPE: u32 = 3;
const SO_ERROR: u32 = 4;
const SO_SNDBUF: u32 = 7;
const SO_RCVBUF: u32 = 8;
const SO_PASSCRED: u32 = 16;
const SO_PEERCRED: u32 = 17;
const SO_RCVTIMEO: u32 = 20;
const SO_SNDTIMEO: u32 = 21;
const SO_ACCEPTCONN: u32 = 30;
const SO_PROTOCOL: u32 = 38;
const SO_DOMAIN: u32 = 39;

pub fn getsockopt(
    k: &mut Kernel,
    pid: Pid,
    fd: i32,
    level: u32,
    opt: u32,
    val: u64,
    lenp: u64,
) -> SysResult {
    let (_, sock) = sock_of(k, pid, fd)?;
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP.into());
    }
    let int = |v: u32| v.to_le_bytes().to_vec();
    let bytes = {
        let s = sock.borrow();
        match opt {
            SO_TYPE => int(s.ty as u32),
            SO_ERROR | SO_PASSCRED | SO_PROTOCOL => int(0),
            SO_SNDBUF | SO_RCVBUF => int(SOCK_BUF as u32),
            SO_ACCEPTCONN => int(matches!(s.state, SockState::Listening { .. }) as u32),
            SO_DOMAIN => int(AF_UNIX as u32),
            SO_RCVTIMEO | SO_SNDTIMEO => vec![0u8; 16],
            SO_PEERCRED => {
                let c = match &s.state {
                    SockState::Connected { cred, .. } => *cred,
                    _ => Cred {
                        pid: 0,
                        uid: u32::MAX,
                        gid: u32::MAX,
                    },
                };
                let mut b = c.pid.to_le_bytes().to_vec();
                b.extend_from_slice(&c.uid.to_le_bytes());
                b.extend_from_slice(&c.gid.to_le_bytes());
                b
            }
            _ => return Err(Errno::ENOPROTOOPT.into()),
        }
    };
    let b = copy_in(k, pid, lenp, 4)?;
    let room = i32::from_le_bytes(b.try_into().unwrap_or_default());
    if room < 0 {
        return Err(Errno::EINVAL.into());
    }
    let n = bytes.len().min(room as usize);
    copy_out(k, pid, val, &bytes[..n])?;
    copy_out(k, pid, lenp, &(n as u32).to_le_bytes())?;
    Ok(0)
}

/// Options are accepted and ignored: buffer sizes, timeouts and
/// credentials passing change nothing a program can observe here.
pub fn setsockopt(k: &mut Kernel, pid: Pid, fd: i32, level: u32) -> SysResult {
    sock_of(k, pid, fd)?;
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP.into());
    }
    Ok(0)
}

/// Readiness for poll/epoll.
pub fn revents(sock: &SocketRef) -> i16 {
    sock.borrow().revents()
}
