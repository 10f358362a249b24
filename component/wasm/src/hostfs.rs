//! [`friscy_core::HostFs`] over a wasi:filesystem preopen: the directories
//! the host gave the component (`wasmtime run --dir HOST::NAME`, or the
//! native runner's `-v`), mounted in the guest with `-v NAME:GUEST[:ro]`.
//!
//! Every call goes to the host by path relative to the preopen (no cached
//! descriptors), so the guest and the host see one another's changes at
//! once. Symlinks are never followed here: the guest resolves them itself.

use std::rc::Rc;

use friscy_core::{Errno, HostFileType, HostFs, HostMount, HostStat};
use wasip2::filesystem::preopens;
use wasip2::filesystem::types::{
    Descriptor, DescriptorFlags, DescriptorStat, DescriptorType, ErrorCode, NewTimestamp,
    OpenFlags, PathFlags,
};

use crate::args::Volume;

/// Largest read handed to `descriptor.read` at once.
const READ_CHUNK: u64 = 1 << 20;

pub struct PreopenFs {
    dir: Descriptor,
}

/// The component's mounts for `volumes`, or a one-line error naming the
/// preopen that does not exist and the ones that do.
pub fn mounts(volumes: &[Volume]) -> Result<Vec<HostMount>, String> {
    if volumes.is_empty() {
        return Ok(Vec::new());
    }
    let preopens: Vec<(Rc<dyn HostFs>, String)> = preopens::get_directories()
        .into_iter()
        .map(|(dir, name)| (Rc::new(PreopenFs { dir }) as Rc<dyn HostFs>, name))
        .collect();
    let mut out = Vec::new();
    for v in volumes {
        let Some((dir, _)) = preopens.iter().find(|(_, name)| *name == v.preopen) else {
            let names: Vec<String> = preopens.iter().map(|(_, n)| format!("`{n}`")).collect();
            let have = if names.is_empty() {
                "the host preopened none".to_string()
            } else {
                format!("the host preopened {}", names.join(", "))
            };
            return Err(format!(
                "friscy: -v {}:{}: no preopened directory is named `{}` ({have}); \
                 with wasmtime, add `--dir HOSTDIR::{}`",
                v.preopen, v.guest, v.preopen, v.preopen
            ));
        };
        let dir = dir.clone();
        out.push(HostMount {
            fs: dir,
            source: v.preopen.clone(),
            target: v.guest.clone(),
            readonly: v.readonly,
        });
    }
    Ok(out)
}

fn errno(e: ErrorCode) -> Errno {
    match e {
        ErrorCode::Access => Errno::EACCES,
        ErrorCode::WouldBlock => Errno::EAGAIN,
        ErrorCode::Busy => Errno::EBUSY,
        ErrorCode::Deadlock => Errno::EDEADLK,
        ErrorCode::Quota => Errno::EDQUOT,
        ErrorCode::Exist => Errno::EEXIST,
        ErrorCode::FileTooLarge => Errno::EFBIG,
        ErrorCode::IllegalByteSequence => Errno::EILSEQ,
        ErrorCode::Interrupted => Errno::EINTR,
        ErrorCode::Invalid => Errno::EINVAL,
        ErrorCode::IsDirectory => Errno::EISDIR,
        ErrorCode::Loop => Errno::ELOOP,
        ErrorCode::TooManyLinks => Errno::EMLINK,
        ErrorCode::NameTooLong => Errno::ENAMETOOLONG,
        ErrorCode::NoDevice | ErrorCode::NoSuchDevice => Errno::ENXIO,
        ErrorCode::NoEntry => Errno::ENOENT,
        ErrorCode::InsufficientMemory => Errno::ENOMEM,
        ErrorCode::InsufficientSpace => Errno::ENOSPC,
        ErrorCode::NotDirectory => Errno::ENOTDIR,
        ErrorCode::NotEmpty => Errno::ENOTEMPTY,
        ErrorCode::Unsupported => Errno::EOPNOTSUPP,
        ErrorCode::NoTty => Errno::ENOTTY,
        ErrorCode::Overflow => Errno::EOVERFLOW,
        ErrorCode::NotPermitted => Errno::EPERM,
        ErrorCode::Pipe => Errno::EPIPE,
        ErrorCode::ReadOnly => Errno::EROFS,
        ErrorCode::InvalidSeek => Errno::ESPIPE,
        ErrorCode::TextFileBusy => Errno::ETXTBSY,
        ErrorCode::CrossDevice => Errno::EXDEV,
        _ => Errno::EIO,
    }
}

/// wasi:filesystem paths are strings; a guest name that is not UTF-8
/// cannot be given to the host.
fn path_str(path: &[u8]) -> Result<&str, Errno> {
    std::str::from_utf8(path).map_err(|_| Errno::EILSEQ)
}

fn kind(t: DescriptorType) -> HostFileType {
    match t {
        DescriptorType::Directory => HostFileType::Dir,
        DescriptorType::RegularFile => HostFileType::File,
        DescriptorType::SymbolicLink => HostFileType::Symlink,
        DescriptorType::Fifo => HostFileType::Fifo,
        DescriptorType::Socket => HostFileType::Socket,
        DescriptorType::CharacterDevice => HostFileType::CharDevice,
        DescriptorType::BlockDevice | DescriptorType::Unknown => HostFileType::BlockDevice,
    }
}

fn host_stat(s: DescriptorStat) -> HostStat {
    let mtime = s
        .data_modification_timestamp
        .map(|t| (i64::try_from(t.seconds).unwrap_or(i64::MAX), t.nanoseconds))
        .unwrap_or((0, 0));
    HostStat {
        kind: kind(s.type_),
        perm: None,
        size: s.size,
        nlink: s.link_count,
        mtime,
    }
}

impl PreopenFs {
    /// Open a file below the preopen (never through a final symlink).
    fn open(&self, path: &[u8], flags: DescriptorFlags) -> Result<Descriptor, Errno> {
        self.dir
            .open_at(
                PathFlags::empty(),
                path_str(path)?,
                OpenFlags::empty(),
                flags,
            )
            .map_err(errno)
    }

    /// The directory at `path` (the preopen itself for the empty path).
    fn with_dir<T>(
        &self,
        path: &[u8],
        f: impl FnOnce(&Descriptor) -> Result<T, ErrorCode>,
    ) -> Result<T, Errno> {
        if path.is_empty() {
            return f(&self.dir).map_err(errno);
        }
        let d = self
            .dir
            .open_at(
                PathFlags::empty(),
                path_str(path)?,
                OpenFlags::DIRECTORY,
                DescriptorFlags::READ,
            )
            .map_err(errno)?;
        f(&d).map_err(errno)
    }
}

impl HostFs for PreopenFs {
    fn stat(&self, path: &[u8]) -> Result<HostStat, Errno> {
        let s = if path.is_empty() {
            self.dir.stat()
        } else {
            self.dir.stat_at(PathFlags::empty(), path_str(path)?)
        };
        s.map(host_stat).map_err(errno)
    }

    fn read_at(&self, path: &[u8], offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let f = self.open(path, DescriptorFlags::READ)?;
        let mut done = 0;
        while done < buf.len() {
            let want = ((buf.len() - done) as u64).min(READ_CHUNK);
            let (data, eof) = f.read(want, offset + done as u64).map_err(errno)?;
            let n = data.len().min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&data[..n]);
            done += n;
            if eof || n == 0 {
                break;
            }
        }
        Ok(done)
    }

    fn write_at(&self, path: &[u8], offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let f = self.open(path, DescriptorFlags::WRITE)?;
        let n = f.write(data, offset).map_err(errno)?;
        Ok(usize::try_from(n).unwrap_or(data.len()).min(data.len()))
    }

    fn create(&self, path: &[u8], _perm: u32) -> Result<(), Errno> {
        // wasi:filesystem has no permission bits to give a new file.
        self.dir
            .open_at(
                PathFlags::empty(),
                path_str(path)?,
                OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
                DescriptorFlags::WRITE,
            )
            .map(drop)
            .map_err(errno)
    }

    fn mkdir(&self, path: &[u8], _perm: u32) -> Result<(), Errno> {
        self.dir.create_directory_at(path_str(path)?).map_err(errno)
    }

    fn unlink(&self, path: &[u8]) -> Result<(), Errno> {
        self.dir.unlink_file_at(path_str(path)?).map_err(errno)
    }

    fn rmdir(&self, path: &[u8]) -> Result<(), Errno> {
        self.dir.remove_directory_at(path_str(path)?).map_err(errno)
    }

    fn rename(&self, from: &[u8], to: &[u8]) -> Result<(), Errno> {
        self.dir
            .rename_at(path_str(from)?, &self.dir, path_str(to)?)
            .map_err(errno)
    }

    fn link(&self, from: &[u8], to: &[u8]) -> Result<(), Errno> {
        self.dir
            .link_at(
                PathFlags::empty(),
                path_str(from)?,
                &self.dir,
                path_str(to)?,
            )
            .map_err(errno)
    }

    fn read_dir(&self, path: &[u8]) -> Result<Vec<Vec<u8>>, Errno> {
        self.with_dir(path, |d| {
            let stream = d.read_directory()?;
            let mut names = Vec::new();
            while let Some(entry) = stream.read_directory_entry()? {
                names.push(entry.name.into_bytes());
            }
            Ok(names)
        })
    }

    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>, Errno> {
        self.dir
            .readlink_at(path_str(path)?)
            .map(String::into_bytes)
            .map_err(errno)
    }

    fn symlink(&self, target: &[u8], path: &[u8]) -> Result<(), Errno> {
        self.dir
            .symlink_at(path_str(target)?, path_str(path)?)
            .map_err(errno)
    }

    fn truncate(&self, path: &[u8], len: u64) -> Result<(), Errno> {
        self.open(path, DescriptorFlags::WRITE)?
            .set_size(len)
            .map_err(errno)
    }

    fn chmod(&self, _path: &[u8], _perm: u32) -> Result<(), Errno> {
        // wasi:filesystem has no permission bits; the guest keeps the bits
        // it set for the rest of the run.
        Ok(())
    }

    fn set_mtime(&self, path: &[u8], mtime: (i64, u32)) -> Result<(), Errno> {
        let seconds = u64::try_from(mtime.0).map_err(|_| Errno::EINVAL)?;
        let mtime = NewTimestamp::Timestamp(wasip2::clocks::wall_clock::Datetime {
            seconds,
            nanoseconds: mtime.1,
        });
        let done = if path.is_empty() {
            self.dir.set_times(NewTimestamp::NoChange, mtime)
        } else {
            self.dir.set_times_at(
                PathFlags::empty(),
                path_str(path)?,
                NewTimestamp::NoChange,
                mtime,
            )
        };
        done.map_err(errno)
    }
}
