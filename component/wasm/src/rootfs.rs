//! [`RootfsSource`] over the `friscy:emulator/rootfs` import.
//!
//! Every import call crosses a component boundary and copies, so reads are
//! coarse: small reads are served from a little LRU cache of 64 KiB-aligned
//! blocks, large ones go straight through in big pieces.

use std::cell::RefCell;

use friscy_core::{BootError, RootfsSource};

use crate::bindings::friscy::emulator::rootfs;

/// Cache block size (and alignment).
const BLOCK: usize = 64 * 1024;
/// Cached blocks (2 MiB).
const CACHE_BLOCKS: usize = 32;
/// Largest single `read` import call for direct reads.
const MAX_CALL: usize = 16 * 1024 * 1024;

pub struct ImportRootfs {
    size: u64,
    config: Option<String>,
    /// Most recently used first: (block index, bytes; short only at the end).
    cache: RefCell<Vec<(u64, Vec<u8>)>>,
}

impl ImportRootfs {
    /// Ask the provider for the image's size and config. Its error (no
    /// `--image`, a missing file, ...) is the user-facing message.
    pub fn open() -> Result<ImportRootfs, BootError> {
        let info = rootfs::info().map_err(BootError::Image)?;
        Ok(ImportRootfs {
            size: info.size,
            config: info.config,
            cache: RefCell::new(Vec::with_capacity(CACHE_BLOCKS)),
        })
    }

    /// Copy block `index` (partly) into `out` starting at byte `skip` of the
    /// block; returns the number of bytes copied.
    fn copy_from_block(&self, index: u64, skip: usize, out: &mut [u8]) -> Result<usize, String> {
        let mut cache = self.cache.borrow_mut();
        let pos = match cache.iter().position(|(i, _)| *i == index) {
            Some(pos) => pos,
            None => {
                let data = rootfs::read(index * BLOCK as u64, BLOCK as u32)?;
                if cache.len() == CACHE_BLOCKS {
                    cache.pop();
                }
                cache.push((index, data));
                cache.len() - 1
            }
        };
        if pos != 0 {
            let entry = cache.remove(pos);
            cache.insert(0, entry);
        }
        let block = &cache[0].1;
        let n = out.len().min(block.len().saturating_sub(skip));
        out[..n].copy_from_slice(&block[skip..skip + n]);
        Ok(n)
    }
}

impl RootfsSource for ImportRootfs {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, String> {
        if offset >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(self.size - offset) as usize;
        let buf = &mut buf[..want];
        let mut done = 0;
        if want >= BLOCK {
            // Large read: straight through, in big pieces.
            while done < want {
                let len = (want - done).min(MAX_CALL);
                let data = rootfs::read(offset + done as u64, len as u32)?;
                let n = data.len().min(len);
                buf[done..done + n].copy_from_slice(&data[..n]);
                done += n;
                if n < len {
                    break;
                }
            }
            return Ok(done);
        }
        while done < want {
            let pos = offset + done as u64;
            let index = pos / BLOCK as u64;
            let skip = (pos % BLOCK as u64) as usize;
            let n = self.copy_from_block(index, skip, &mut buf[done..])?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    fn config_json(&self) -> Option<String> {
        self.config.clone()
    }
}
