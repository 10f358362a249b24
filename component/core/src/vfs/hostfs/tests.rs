//! Mounts over a real directory: the test implements `HostFs` over std::fs.

use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::*;
use crate::host::BytesRootfs;
use crate::vfs::memfile::MemFile;
use crate::vfs::{new_dir, new_file, new_symlink, FileData};

struct StdFs(PathBuf);

fn errno(e: std::io::Error) -> Errno {
    Errno(e.raw_os_error().unwrap_or(Errno::EIO.0))
}

impl StdFs {
    fn at(&self, path: &[u8]) -> PathBuf {
        if path.is_empty() {
            self.0.clone()
        } else {
            self.0.join(OsStr::from_bytes(path))
        }
    }
}

impl HostFs for StdFs {
    fn stat(&self, path: &[u8]) -> Result<HostStat, Errno> {
        let m = fs::symlink_metadata(self.at(path)).map_err(errno)?;
        let t = m.file_type();
        let kind = if t.is_dir() {
            HostFileType::Dir
        } else if t.is_symlink() {
            HostFileType::Symlink
        } else if t.is_file() {
            HostFileType::File
        } else {
            HostFileType::Fifo
        };
        Ok(HostStat {
            kind,
            perm: Some(m.mode() & 0o7777),
            size: m.len(),
            nlink: m.nlink(),
            mtime: (m.mtime(), m.mtime_nsec() as u32),
        })
    }
    fn read_at(&self, path: &[u8], offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        fs::File::open(self.at(path))
            .and_then(|f| f.read_at(buf, offset))
            .map_err(errno)
    }
    fn write_at(&self, path: &[u8], offset: u64, data: &[u8]) -> Result<usize, Errno> {
        OpenOptions::new()
            .write(true)
            .open(self.at(path))
            .and_then(|f| f.write_at(data, offset))
            .map_err(errno)
    }
    fn create(&self, path: &[u8], perm: u32) -> Result<(), Errno> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(perm)
            .open(self.at(path))
            .map(drop)
            .map_err(errno)
    }
    fn mkdir(&self, path: &[u8], perm: u32) -> Result<(), Errno> {
        fs::DirBuilder::new()
            .mode(perm)
            .create(self.at(path))
            .map_err(errno)
    }
    fn unlink(&self, path: &[u8]) -> Result<(), Errno> {
        fs::remove_file(self.at(path)).map_err(errno)
    }
    fn rmdir(&self, path: &[u8]) -> Result<(), Errno> {
        fs::remove_dir(self.at(path)).map_err(errno)
    }
    fn rename(&self, from: &[u8], to: &[u8]) -> Result<(), Errno> {
        fs::rename(self.at(from), self.at(to)).map_err(errno)
    }
    fn link(&self, from: &[u8], to: &[u8]) -> Result<(), Errno> {
        fs::hard_link(self.at(from), self.at(to)).map_err(errno)
    }
    fn read_dir(&self, path: &[u8]) -> Result<Vec<Vec<u8>>, Errno> {
        fs::read_dir(self.at(path))
            .map_err(errno)?
            .map(|e| e.map(|e| e.file_name().as_bytes().to_vec()).map_err(errno))
            .collect()
    }
    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>, Errno> {
        fs::read_link(self.at(path))
            .map(|t| t.as_os_str().as_bytes().to_vec())
            .map_err(errno)
    }
    fn symlink(&self, target: &[u8], path: &[u8]) -> Result<(), Errno> {
        std::os::unix::fs::symlink(OsStr::from_bytes(target), self.at(path)).map_err(errno)
    }
    fn truncate(&self, path: &[u8], len: u64) -> Result<(), Errno> {
        OpenOptions::new()
            .write(true)
            .open(self.at(path))
            .and_then(|f| f.set_len(len))
            .map_err(errno)
    }
    fn chmod(&self, path: &[u8], perm: u32) -> Result<(), Errno> {
        fs::set_permissions(self.at(path), fs::Permissions::from_mode(perm)).map_err(errno)
    }
    fn set_mtime(&self, path: &[u8], mtime: (i64, u32)) -> Result<(), Errno> {
        let t = std::time::UNIX_EPOCH + std::time::Duration::new(mtime.0.max(0) as u64, mtime.1);
        fs::File::open(self.at(path))
            .and_then(|f| f.set_modified(t))
            .map_err(errno)
    }
}

/// A tree with /etc from an "image" and `host` mounted at /mnt/data.
fn mounted(host: &Path, readonly: bool) -> Vfs {
    let mut v = Vfs::new(Box::new(BytesRootfs(Vec::new())));
    v.mkdir_p(b"/etc", 0o755).unwrap();
    v.put_file(b"/etc/hostname", b"img\n".to_vec(), 0o644)
        .unwrap();
    v.mount(
        Rc::new(StdFs(host.to_path_buf())),
        "data",
        "/mnt/data",
        readonly,
    )
    .unwrap();
    v
}

fn ino(v: &mut Vfs, path: &str) -> KResult<Ino> {
    v.resolve(ROOT_INO, path.as_bytes(), true).map(|l| l.ino)
}

#[test]
fn reads_lazily_and_sees_host_changes() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("a.txt"), b"first").unwrap();
    let mut v = mounted(tmp.path(), false);
    let a = ino(&mut v, "/mnt/data/a.txt").unwrap();
    assert_eq!(v.read_all(a).unwrap(), b"first");
    // Written on the host after the mount: the next lookup sees it.
    fs::write(tmp.path().join("a.txt"), b"second, longer").unwrap();
    assert_eq!(ino(&mut v, "/mnt/data/a.txt").unwrap(), a);
    assert_eq!(v.read_all(a).unwrap(), b"second, longer");
    fs::create_dir(tmp.path().join("sub")).unwrap();
    fs::write(tmp.path().join("sub/b"), b"b").unwrap();
    let root = ino(&mut v, "/mnt/data").unwrap();
    v.refresh_dir(root).unwrap();
    let names: Vec<&[u8]> = v
        .entries(root)
        .unwrap()
        .keys()
        .map(|k| k.as_slice())
        .collect();
    assert_eq!(names, [&b"a.txt"[..], b"sub"]);
    fs::remove_file(tmp.path().join("a.txt")).unwrap();
    assert_eq!(ino(&mut v, "/mnt/data/a.txt"), Err(Errno::ENOENT));
    // The descriptor's inode is stale now, not pointing at a new a.txt.
    fs::write(tmp.path().join("a.txt"), b"other file").unwrap();
    assert_eq!(v.read_all(a), Err(Errno::ESTALE));
    // `..` of the mount root is the directory it is mounted in.
    let up = ino(&mut v, "/mnt/data/sub/../..").unwrap();
    assert_eq!(v.path_of(up).unwrap(), b"/mnt");
    assert_eq!(v.mounts_lines(), "data /mnt/data hostfs rw,relatime 0 0\n");
}

#[test]
fn guest_changes_reach_the_host() {
    let tmp = tempfile::tempdir().unwrap();
    let h = tmp.path();
    let mut v = mounted(h, false);
    let root = ino(&mut v, "/mnt/data").unwrap();
    let f = v
        .create(root, b"new.txt", new_file(FileData::empty(), 0o640))
        .unwrap();
    assert_eq!(v.write_file(f, Some(0), b"hello").unwrap(), 0..5);
    assert_eq!(v.write_file(f, None, b" world").unwrap(), 5..11);
    assert_eq!(fs::read(h.join("new.txt")).unwrap(), b"hello world");
    assert_eq!(v.node(f).unwrap().size(), 11);
    assert_eq!(
        fs::metadata(h.join("new.txt")).unwrap().mode() & 0o777,
        0o640
    );
    v.set_len(f, 4).unwrap();
    assert_eq!(fs::read(h.join("new.txt")).unwrap(), b"hell");
    // An append starts at the host's end, not the size last seen.
    fs::write(h.join("new.txt"), b"hell, grown").unwrap();
    assert_eq!(v.write_file(f, None, b"!").unwrap(), 11..12);
    v.set_len(f, 4).unwrap();
    v.chmod(f, 0o600).unwrap();
    assert_eq!(
        fs::metadata(h.join("new.txt")).unwrap().mode() & 0o777,
        0o600
    );
    let d = v.create(root, b"dir", new_dir(0o755)).unwrap();
    assert!(h.join("dir").is_dir());
    v.host_rename(root, b"new.txt", d, b"moved.txt", false)
        .unwrap();
    assert!(!h.join("new.txt").exists());
    assert_eq!(fs::read(h.join("dir/moved.txt")).unwrap(), b"hell");
    // The open inode follows the rename.
    assert_eq!(v.read_all(f).unwrap(), b"hell");
    v.host_rename(root, b"dir", root, b"dir2", false).unwrap();
    assert_eq!(v.read_all(f).unwrap(), b"hell");
    assert_eq!(
        ino(&mut v, "/mnt/data/dir2/moved.txt").unwrap(),
        f,
        "the cached subtree moved with its directory"
    );
    let link = new_symlink(b"dir2/moved.txt".to_vec());
    v.create(root, b"ln", link).unwrap();
    assert_eq!(
        fs::read_link(h.join("ln")).unwrap(),
        Path::new("dir2/moved.txt")
    );
    assert_eq!(ino(&mut v, "/mnt/data/ln").unwrap(), f);
    let d2 = ino(&mut v, "/mnt/data/dir2").unwrap();
    assert!(!v.dir_is_empty(d2).unwrap());
    assert_eq!(v.remove_entry(root, b"dir2"), Err(Errno::ENOTEMPTY));
    v.remove_entry(d2, b"moved.txt").unwrap();
    v.remove_entry(root, b"dir2").unwrap();
    v.remove_entry(root, b"ln").unwrap();
    assert_eq!(fs::read_dir(h).unwrap().count(), 0);
    // Out of the mount: EXDEV (mv copies then); the mount root stays.
    let etc = ino(&mut v, "/etc").unwrap();
    v.create(
        root,
        b"x",
        new_file(FileData::Mem(MemFile::from_vec(b"x".to_vec())), 0o644),
    )
    .unwrap();
    let x = ino(&mut v, "/mnt/data/x").unwrap();
    assert_eq!(v.read_all(x).unwrap(), b"x");
    assert_eq!(
        v.host_rename(root, b"x", etc, b"x", false),
        Err(Errno::EXDEV)
    );
    let mnt = ino(&mut v, "/mnt").unwrap();
    assert_eq!(v.remove_entry(mnt, b"data"), Err(Errno::EBUSY));
}

#[test]
fn read_only_mounts_refuse_every_change() {
    let tmp = tempfile::tempdir().unwrap();
    let h = tmp.path();
    fs::write(h.join("f"), b"keep").unwrap();
    fs::create_dir(h.join("d")).unwrap();
    let mut v = mounted(h, true);
    let root = ino(&mut v, "/mnt/data").unwrap();
    let f = ino(&mut v, "/mnt/data/f").unwrap();
    assert_eq!(v.check_writable(f), Err(Errno::EROFS));
    assert_eq!(v.write_file(f, Some(0), b"no"), Err(Errno::EROFS));
    assert_eq!(v.set_len(f, 0), Err(Errno::EROFS));
    assert_eq!(v.chmod(f, 0o600), Err(Errno::EROFS));
    assert_eq!(v.set_mtime(f, (1, 0)), Err(Errno::EROFS));
    assert_eq!(
        v.create(root, b"n", new_file(FileData::empty(), 0o644)),
        Err(Errno::EROFS)
    );
    assert_eq!(v.create(root, b"m", new_dir(0o755)), Err(Errno::EROFS));
    assert_eq!(v.remove_entry(root, b"f"), Err(Errno::EROFS));
    assert_eq!(v.remove_entry(root, b"d"), Err(Errno::EROFS));
    assert_eq!(
        v.host_rename(root, b"f", root, b"g", false),
        Err(Errno::EROFS)
    );
    assert_eq!(fs::read(h.join("f")).unwrap(), b"keep");
    assert!(h.join("d").is_dir() && !h.join("n").exists() && !h.join("g").exists());
    assert_eq!(v.read_all(f).unwrap(), b"keep");
    assert_eq!(
        v.mountinfo_lines(25),
        "25 21 0:25 / /mnt/data ro,relatime - hostfs data ro\n"
    );
}

#[test]
fn bad_mounts_are_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("file"), b"").unwrap();
    let mut v = mounted(tmp.path(), false);
    let fs_at = |p: &Path| -> Rc<dyn HostFs> { Rc::new(StdFs(p.to_path_buf())) };
    let err = |v: &mut Vfs, fs, target: &str| v.mount(fs, "x", target, false).unwrap_err();
    assert!(matches!(
        err(&mut v, fs_at(tmp.path()), "mnt"),
        MountError::NotAbsolute(_)
    ));
    assert!(matches!(
        err(&mut v, fs_at(tmp.path()), "/a/../b"),
        MountError::DotDot(_)
    ));
    for reserved in ["/", "/proc/x", "/dev"] {
        assert!(matches!(
            err(&mut v, fs_at(tmp.path()), reserved),
            MountError::Reserved(_)
        ));
    }
    for overlapping in ["/mnt/data", "/mnt/data/sub", "/mnt"] {
        assert!(matches!(
            err(&mut v, fs_at(tmp.path()), overlapping),
            MountError::Overlap(..)
        ));
    }
    assert!(matches!(
        err(&mut v, fs_at(&tmp.path().join("file")), "/f"),
        MountError::NotADirectory { .. }
    ));
    let e = err(&mut v, fs_at(&tmp.path().join("missing")), "/m");
    assert!(
        matches!(
            e,
            MountError::Host {
                errno: Errno::ENOENT,
                ..
            }
        ),
        "{e}"
    );
    // The mount point's directory may be reached through a symlink.
    let link = new_symlink(b"/etc".to_vec());
    v.create(ROOT_INO, b"lnk", link).unwrap();
    v.mount(fs_at(tmp.path()), "via-link", "/lnk/m", false)
        .unwrap();
    assert!(ino(&mut v, "/etc/m/file").is_ok());
    // A mount shadows what the image has at its path.
    v.mkdir_p(b"/srv/x", 0o755).unwrap();
    v.mount(fs_at(tmp.path()), "srv", "/srv", true).unwrap();
    assert_eq!(
        ino(&mut v, "/srv/x"),
        Err(Errno::ENOENT),
        "the image's /srv is hidden"
    );
    assert!(ino(&mut v, "/srv/file").is_ok());
}
