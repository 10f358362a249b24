//! `/proc`, generated from kernel state. Before a path under /proc is
//! resolved the subtree is brought up to date in the VFS (nodes are
//! updated in place, so open descriptors keep their inode).

use super::fd::FileKind;
use super::{Kernel, Pid, ProcState};
use crate::kernel::errno::KResult;
use crate::vfs::memfile::MemFile;
use crate::vfs::{new_dir, new_file, new_symlink, FileData, Ino, Inode};

fn file(data: Vec<u8>) -> Inode {
    new_file(FileData::Mem(MemFile::from_vec(data)), 0o444)
}

/// Whether a path (as given to a syscall) needs /proc refreshed first.
pub fn touches_proc(path: &[u8]) -> bool {
    path.starts_with(b"/proc") || path.starts_with(b"/dev/fd") || path.starts_with(b"/dev/std")
}

pub fn refresh(k: &mut Kernel, caller: Pid) -> KResult<()> {
    let proc_dir = k.vfs.mkdir_p(b"/proc", 0o555)?;
    let live: Vec<Pid> = k
        .procs
        .values()
        .filter(|p| p.state == ProcState::Alive)
        .map(|p| p.pid)
        .collect();
    // Drop directories of processes that are gone.
    let stale: Vec<Vec<u8>> = k
        .vfs
        .entries(proc_dir)?
        .keys()
        .filter(|n| {
            std::str::from_utf8(n)
                .ok()
                .and_then(|s| s.parse::<Pid>().ok())
                .is_some_and(|p| !live.contains(&p))
        })
        .cloned()
        .collect();
    for n in stale {
        k.vfs.remove_tree(proc_dir, &n)?;
    }
    k.vfs.upsert(
        proc_dir,
        b"self",
        new_symlink(caller.to_string().into_bytes()),
    )?;
    k.vfs.upsert(
        proc_dir,
        b"thread-self",
        new_symlink(format!("{caller}/task/{caller}").into_bytes()),
    )?;
    for pid in live {
        process_dir(k, proc_dir, pid)?;
    }
    let total = k.budget.limit() / 1024;
    let free = total.saturating_sub(k.budget.used() / 1024);
    let meminfo = format!(
        "MemTotal:       {total:8} kB\nMemFree:        {free:8} kB\nMemAvailable:   {free:8} kB\nBuffers:               0 kB\nCached:                0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n"
    );
    let up = k.host.monotonic_ns().saturating_sub(k.boot_ns) as f64 / 1e9;
    let statics: [(&[u8], Vec<u8>); 8] = [
        (b"meminfo", meminfo.into_bytes()),
        (b"cpuinfo", b"processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdc_zicsr_zifencei_zba_zbb_zbs_zicond\nmmu\t\t: sv48\nuarch\t\t: friscy\n\n".to_vec()),
        (b"uptime", format!("{up:.2} {up:.2}\n").into_bytes()),
        (b"version", b"Linux version 6.6.0-friscy (friscy) #1 SMP PREEMPT\n".to_vec()),
        (b"loadavg", format!("0.00 0.00 0.00 1/{} {}\n", k.procs.len(), k.procs.keys().max().unwrap_or(&1)).into_bytes()),
        (b"mounts", mounts(k)),
        (b"filesystems", b"nodev\ttmpfs\nnodev\tproc\n\toverlay\n".to_vec()),
        (b"stat", format!("cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\nbtime {}\nprocesses {}\nprocs_running 1\n", k.host.realtime_ns() / 1_000_000_000, k.procs.len()).into_bytes()),
    ];
    for (name, data) in statics {
        k.vfs.upsert(proc_dir, name, file(data))?;
    }
    let sys = k.vfs.mkdir_p(b"/proc/sys/kernel", 0o555)?;
    k.vfs.upsert(sys, b"pid_max", file(b"4194304\n".to_vec()))?;
    k.vfs
        .upsert(sys, b"ngroups_max", file(b"65536\n".to_vec()))?;
    k.vfs.upsert(sys, b"hostname", file(b"friscy\n".to_vec()))?;
    k.vfs
        .upsert(sys, b"osrelease", file(b"6.6.0-friscy\n".to_vec()))?;
    let vm = k.vfs.mkdir_p(b"/proc/sys/vm", 0o555)?;
    k.vfs
        .upsert(vm, b"overcommit_memory", file(b"0\n".to_vec()))?;
    // The fd links and dead processes' directories just replaced.
    k.reap_orphans();
    Ok(())
}

const MOUNTS: &[u8] = b"overlay / overlay rw,relatime 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\ntmpfs /dev tmpfs rw,nosuid 0 0\ntmpfs /tmp tmpfs rw,nosuid,nodev 0 0\n";

/// The same mounts in /proc/PID/mountinfo's format (what `df` and
/// findmnt read): id, parent, major:minor, root, mount point, options,
/// separator, type, source, super options.
const MOUNTINFO: &[u8] = b"21 1 0:21 / / rw,relatime - overlay overlay rw\n22 21 0:22 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n23 21 0:23 / /dev rw,nosuid - tmpfs tmpfs rw,mode=755\n24 21 0:24 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw\n";

/// /proc/mounts: the fixed mounts, then the host directories (`-v`).
fn mounts(k: &Kernel) -> Vec<u8> {
    let mut out = MOUNTS.to_vec();
    out.extend_from_slice(k.vfs.mounts_lines().as_bytes());
    out
}

fn mountinfo(k: &Kernel) -> Vec<u8> {
    let mut out = MOUNTINFO.to_vec();
    out.extend_from_slice(k.vfs.mountinfo_lines(25).as_bytes());
    out
}

fn process_dir(k: &mut Kernel, proc_dir: Ino, pid: Pid) -> KResult<()> {
    let Some(p) = k.procs.get(&pid) else {
        return Ok(());
    };
    let exe = p.exe.clone();
    let cmdline = p.cmdline.clone();
    let cwd = p.fs.borrow().cwd;
    let (ppid, pgid, sid, uid, gid) = (p.ppid, p.pgid, p.sid, p.uid, p.gid);
    let fds: Vec<(i32, Vec<u8>)> = p
        .fds
        .borrow()
        .iter()
        .map(|(fd, e)| {
            let f = e.file.borrow();
            let target = match &f.kind {
                FileKind::Stdio(_) => b"/dev/pts/0".to_vec(),
                FileKind::PipeRead(pp) | FileKind::PipeWrite(pp) => {
                    format!("pipe:[{}]", std::rc::Rc::as_ptr(pp) as usize % 1_000_000).into_bytes()
                }
                FileKind::Node(_)
                | FileKind::EventFd(_)
                | FileKind::Epoll(_)
                | FileKind::Socket(_)
                | FileKind::TimerFd(_)
                | FileKind::SignalFd(_)
                | FileKind::PidFd(_) => f.path.clone(),
            };
            (*fd, target)
        })
        .collect();
    let maps: Vec<u8> =
        p.mm.borrow()
            .mappings()
            .iter()
            .map(|(start, len, prot)| {
                use crate::mm::Prot;
                let r = if prot.contains(Prot::READ) { 'r' } else { '-' };
                let w = if prot.contains(Prot::WRITE) { 'w' } else { '-' };
                let x = if prot.contains(Prot::EXEC) { 'x' } else { '-' };
                format!(
                    "{start:08x}-{:08x} {r}{w}{x}p 00000000 00:00 0\n",
                    start + len
                )
            })
            .collect::<String>()
            .into_bytes();
    let threads = k.tasks.values().filter(|t| t.pid == pid).count();
    let comm_s = String::from_utf8_lossy(&p.comm).into_owned();
    let cwd_path = k.vfs.path_of(cwd).unwrap_or_else(|_| b"/".to_vec());
    let name = pid.to_string();
    let dir = match k.vfs.entries(proc_dir)?.get(name.as_bytes()) {
        Some(&d) => d,
        None => k.vfs.create(proc_dir, name.as_bytes(), new_dir(0o555))?,
    };
    k.vfs.upsert(dir, b"exe", new_symlink(exe.clone()))?;
    k.vfs.upsert(dir, b"cwd", new_symlink(cwd_path))?;
    k.vfs.upsert(dir, b"root", new_symlink(b"/".to_vec()))?;
    k.vfs.upsert(dir, b"cmdline", file(cmdline))?;
    k.vfs
        .upsert(dir, b"comm", file(format!("{comm_s}\n").into_bytes()))?;
    k.vfs.upsert(dir, b"maps", file(maps))?;
    let (mounts, mountinfo) = (mounts(k), mountinfo(k));
    k.vfs.upsert(dir, b"mounts", file(mounts))?;
    k.vfs.upsert(dir, b"mountinfo", file(mountinfo))?;
    k.vfs.upsert(
        dir,
        b"stat",
        file(format!("{pid} ({comm_s}) R {ppid} {pgid} {sid} 34816 {pgid} 4194560 0 0 0 0 0 0 0 0 20 0 {threads} 0 0 0 0\n").into_bytes()),
    )?;
    k.vfs.upsert(
        dir,
        b"status",
        file(format!(
            "Name:\t{comm_s}\nState:\tR (running)\nTgid:\t{pid}\nPid:\t{pid}\nPPid:\t{ppid}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t{gid}\t{gid}\t{gid}\t{gid}\nThreads:\t{threads}\nSigQ:\t0/63421\n"
        )
        .into_bytes()),
    )?;
    let fd_dir = match k.vfs.entries(dir)?.get(&b"fd"[..]) {
        Some(&d) => d,
        None => k.vfs.create(dir, b"fd", new_dir(0o500))?,
    };
    let old: Vec<Vec<u8>> = k.vfs.entries(fd_dir)?.keys().cloned().collect();
    for n in old {
        k.vfs.remove_entry(fd_dir, &n)?;
    }
    for (fd, target) in fds {
        k.vfs
            .create(fd_dir, fd.to_string().as_bytes(), new_symlink(target))?;
    }
    Ok(())
}
