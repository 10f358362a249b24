//! The parts of the tree the kernel provides itself: `/dev` nodes, an
//! empty `/tmp`, and the files Docker synthesizes in `/etc`.

use super::inode::*;
use super::{new_dir, new_symlink, Vfs, ROOT_INO};
use crate::kernel::errno::KResult;

fn device(dev: Device, mode: u32) -> Inode {
    Inode {
        mode: S_IFCHR | mode,
        uid: 0,
        gid: 0,
        nlink: 1,
        mtime: 0,
        mtime_nsec: 0,
        kind: NodeKind::Device(dev),
    }
}

/// Install `/dev`, `/tmp`, `/proc`, `/etc/hostname`, `/etc/hosts` and
/// `/etc/resolv.conf` over whatever the image has there.
pub fn install(vfs: &mut Vfs, hostname: &str) -> KResult<()> {
    if let Ok(l) = vfs.resolve(ROOT_INO, b"/dev", false) {
        if !vfs.node(l.ino)?.is_dir() {
            vfs.remove_entry(ROOT_INO, b"dev")?;
        }
    }
    let dev = vfs.mkdir_p(b"/dev", 0o755)?;
    for (name, d, mode) in [
        (&b"null"[..], Device::Null, 0o666),
        (b"zero", Device::Zero, 0o666),
        (b"full", Device::Full, 0o666),
        (b"random", Device::Random, 0o666),
        (b"urandom", Device::Random, 0o666),
        (b"tty", Device::Tty, 0o666),
        (b"console", Device::Tty, 0o620),
    ] {
        if vfs.entries(dev)?.contains_key(name) {
            vfs.remove_entry(dev, name)?;
        }
        vfs.create(dev, name, device(d, mode))?;
    }
    let shm = vfs.mkdir_p(b"/dev/shm", 0o1777)?;
    vfs.node_mut(shm)?.mode = S_IFDIR | 0o1777;
    for (name, target) in [
        (&b"fd"[..], &b"/proc/self/fd"[..]),
        (b"stdin", b"/proc/self/fd/0"),
        (b"stdout", b"/proc/self/fd/1"),
        (b"stderr", b"/proc/self/fd/2"),
    ] {
        if vfs.entries(dev)?.contains_key(name) {
            vfs.remove_entry(dev, name)?;
        }
        let link = new_symlink(target.to_vec());
        vfs.create(dev, name, link)?;
    }
    for (name, mode) in [
        (&b"tmp"[..], 0o1777),
        (b"proc", 0o555),
        (b"root", 0o700),
        (b"etc", 0o755),
    ] {
        if vfs.resolve(ROOT_INO, name, true).is_err() {
            vfs.create(ROOT_INO, name, new_dir(mode))?;
        }
    }
    vfs.put_file(
        b"/etc/hostname",
        format!("{hostname}\n").into_bytes(),
        0o644,
    )?;
    vfs.put_file(
        b"/etc/hosts",
        format!("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t{hostname}\n")
            .into_bytes(),
        0o644,
    )?;
    vfs.put_file(
        b"/etc/resolv.conf",
        b"nameserver 127.0.0.53\noptions edns0\n".to_vec(),
        0o644,
    )?;
    Ok(())
}
