//! eventfd and epoll. Both are open files: an eventfd is a counter, an
//! epoll instance an interest list of open files whose readiness is
//! computed on demand (level-triggered; EPOLLONESHOT honoured).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::poll::{file_revents, POLLERR, POLLHUP, POLLIN, POLLOUT};
use super::{copy_in, copy_out, file_of, install_file, SysError, SysResult};
use crate::kernel::errno::Errno;
use crate::kernel::fd::{FileKind, FileRef, OpenFile, O_CLOEXEC, O_NONBLOCK, O_RDWR};
use crate::kernel::{Kernel, Pid, Resume, Wait};

#[derive(Debug, Default)]
pub struct EventFd {
    pub count: u64,
    pub semaphore: bool,
}

pub type EventFdRef = Rc<RefCell<EventFd>>;

#[derive(Debug, Default)]
pub struct Epoll {
    /// fd -> (file, events, data)
    pub interest: BTreeMap<i32, (FileRef, u32, u64)>,
}

pub type EpollRef = Rc<RefCell<Epoll>>;

const EFD_SEMAPHORE: u32 = 1;

pub fn eventfd2(k: &mut Kernel, pid: Pid, initval: u32, flags: u32) -> SysResult {
    if flags & !(EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let efd = Rc::new(RefCell::new(EventFd {
        count: initval as u64,
        semaphore: flags & EFD_SEMAPHORE != 0,
    }));
    let file = OpenFile::new(
        FileKind::EventFd(efd),
        O_RDWR | (flags & O_NONBLOCK),
        b"anon_inode:[eventfd]".to_vec(),
    );
    install_file(k, pid, file, flags & O_CLOEXEC != 0)
}

pub fn eventfd_read(efd: &EventFdRef, len: usize, flags: u32) -> Result<Vec<u8>, SysError> {
    if len < 8 {
        return Err(Errno::EINVAL.into());
    }
    let mut e = efd.borrow_mut();
    if e.count == 0 {
        return Err(if flags & O_NONBLOCK != 0 {
            Errno::EAGAIN.into()
        } else {
            SysError::Block(Wait::EventFd(efd.clone(), false))
        });
    }
    let v = if e.semaphore { 1 } else { e.count };
    e.count -= v;
    Ok(v.to_le_bytes().to_vec())
}

pub fn eventfd_write(efd: &EventFdRef, data: &[u8], flags: u32) -> SysResult {
    if data.len() < 8 {
        return Err(Errno::EINVAL.into());
    }
    let v = u64::from_le_bytes(data[..8].try_into().unwrap_or_default());
    if v == u64::MAX {
        return Err(Errno::EINVAL.into());
    }
    let mut e = efd.borrow_mut();
    if e.count.checked_add(v).is_none_or(|s| s == u64::MAX) {
        return Err(if flags & O_NONBLOCK != 0 {
            Errno::EAGAIN.into()
        } else {
            SysError::Block(Wait::EventFd(efd.clone(), true))
        });
    }
    e.count += v;
    Ok(8)
}

pub fn eventfd_revents(e: &EventFd) -> i16 {
    let mut r = 0;
    if e.count > 0 {
        r |= POLLIN;
    }
    if e.count < u64::MAX - 1 {
        r |= POLLOUT;
    }
    r
}

pub fn epoll_create1(k: &mut Kernel, pid: Pid, flags: u32) -> SysResult {
    if flags & !O_CLOEXEC != 0 {
        return Err(Errno::EINVAL.into());
    }
    let ep = Rc::new(RefCell::new(Epoll::default()));
    let file = OpenFile::new(
        FileKind::Epoll(ep),
        O_RDWR,
        b"anon_inode:[eventpoll]".to_vec(),
    );
    install_file(k, pid, file, flags & O_CLOEXEC != 0)
}

fn epoll_of(k: &Kernel, pid: Pid, epfd: i32) -> Result<EpollRef, SysError> {
    let f = file_of(k, pid, epfd)?;
    let f = f.borrow();
    match &f.kind {
        FileKind::Epoll(e) => Ok(e.clone()),
        _ => Err(Errno::EINVAL.into()),
    }
}

const EPOLL_CTL_ADD: u32 = 1;
const EPOLL_CTL_DEL: u32 = 2;
const EPOLL_CTL_MOD: u32 = 3;
const EPOLLONESHOT: u32 = 1 << 30;

pub fn epoll_ctl(k: &mut Kernel, pid: Pid, epfd: i32, op: u32, fd: i32, event: u64) -> SysResult {
    let ep = epoll_of(k, pid, epfd)?;
    let target = file_of(k, pid, fd)?;
    if fd == epfd || matches!(target.borrow().kind, FileKind::Node(_)) {
        // Regular files are always ready; Linux refuses them with EPERM.
        return Err(Errno::EPERM.into());
    }
    let (events, data) = if op != EPOLL_CTL_DEL {
        let b = copy_in(k, pid, event, 16)?;
        (
            u32::from_le_bytes(b[0..4].try_into().unwrap_or_default()),
            u64::from_le_bytes(b[8..16].try_into().unwrap_or_default()),
        )
    } else {
        (0, 0)
    };
    let mut e = ep.borrow_mut();
    match op {
        EPOLL_CTL_ADD => {
            if e.interest.contains_key(&fd) {
                return Err(Errno::EEXIST.into());
            }
            e.interest.insert(fd, (target, events, data));
        }
        EPOLL_CTL_MOD => {
            let slot = e.interest.get_mut(&fd).ok_or(Errno::ENOENT)?;
            slot.1 = events;
            slot.2 = data;
        }
        EPOLL_CTL_DEL => {
            e.interest.remove(&fd).ok_or(Errno::ENOENT)?;
        }
        _ => return Err(Errno::EINVAL.into()),
    }
    Ok(0)
}

/// Ready events of an epoll instance for waiter `tid`: (fd, events, data).
pub fn ready(k: &Kernel, tid: Pid, ep: &Epoll) -> Vec<(i32, u32, u64)> {
    ep.interest
        .iter()
        .filter_map(|(&fd, (file, events, data))| {
            let want = (*events & 0xffff) as i16 | POLLERR | POLLHUP;
            let r = file_revents(k, tid, &file.borrow(), want) as u32
                & (*events | POLLERR as u32 | POLLHUP as u32);
            (r != 0 && *events & 0xffff != 0 || r & (POLLERR | POLLHUP) as u32 != 0)
                .then_some((fd, r, *data))
        })
        .collect()
}

pub fn epoll_pwait(
    k: &mut Kernel,
    tid: Pid,
    epfd: i32,
    events: u64,
    max: i32,
    timeout_ms: i32,
    _sigmask: u64,
) -> SysResult {
    let pid = k.pid_of(tid);
    if max <= 0 {
        return Err(Errno::EINVAL.into());
    }
    let ep = epoll_of(k, pid, epfd)?;
    let resume = k.tasks.get_mut(&tid).ok_or(Errno::ESRCH)?.take_resume();
    let got: Vec<(i32, u32, u64)> = ready(k, tid, &ep.borrow())
        .into_iter()
        .take(max as usize)
        .collect();
    if !got.is_empty() {
        let mut out = Vec::with_capacity(got.len() * 16);
        for &(fd, r, data) in &got {
            out.extend_from_slice(&r.to_le_bytes());
            out.extend_from_slice(&[0u8; 4]);
            out.extend_from_slice(&data.to_le_bytes());
            let mut e = ep.borrow_mut();
            if let Some(slot) = e.interest.get_mut(&fd) {
                if slot.1 & EPOLLONESHOT != 0 {
                    slot.1 &= !0xffff;
                }
            }
        }
        copy_out(k, pid, events, &out)?;
        k.epollers.remove(&tid);
        return Ok(got.len() as u64);
    }
    k.epollers.remove(&tid);
    match resume {
        Some(Resume::Timeout) => return Ok(0),
        Some(Resume::Signal) => return Err(Errno::EINTR.into()),
        _ => {}
    }
    if timeout_ms == 0 {
        return Ok(0);
    }
    let deadline = (timeout_ms > 0).then(|| k.host.monotonic_ns() + timeout_ms as u64 * 1_000_000);
    k.epollers.insert(tid, ep);
    super::block(k, tid, Wait::Poll, deadline)
}
