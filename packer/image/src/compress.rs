//! Layer streams: sniff gzip / zstd / plain tar by magic bytes, decode with
//! pure-Rust decoders (flate2's miniz_oxide, ruzstd: they build for
//! wasm32-wasip2 too), and hash what passes through.

use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use sha2::{Digest, Sha256};

/// Counts and hashes the bytes read through it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// Read the rest of the stream and return (sha256 hex, byte count).
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((crate::hex(&self.hasher.finalize()), self.count))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    None,
    Gzip,
    Zstd,
}

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::None => "tar",
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
        }
    }

    pub fn sniff(head: &[u8]) -> Codec {
        if head.starts_with(&[0x1f, 0x8b]) {
            Codec::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Codec::Zstd
        } else {
            Codec::None
        }
    }
}

/// The first error a decoder hit, so that a tar error caused by a broken
/// compressed stream is reported as what it is.
pub type DecodeFault = Rc<RefCell<Option<String>>>;

struct Tagged<R> {
    inner: R,
    fault: DecodeFault,
}

impl<R: Read> Read for Tagged<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            let mut f = self.fault.borrow_mut();
            if f.is_none() {
                *f = Some(e.to_string());
            }
        })
    }
}

/// Multi-frame zstd over ruzstd (zstd:chunked layers are many frames).
struct Zstd<R: BufRead> {
    dec: Option<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>,
}

impl<R: BufRead> Zstd<R> {
    fn new(inner: R) -> io::Result<Self> {
        let dec = ruzstd::decoding::StreamingDecoder::new(inner).map_err(io::Error::other)?;
        Ok(Zstd { dec: Some(dec) })
    }
}

impl<R: BufRead> Read for Zstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(dec) = self.dec.as_mut() else {
                return Ok(0);
            };
            let n = dec.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // Frame done: another one follows, or the stream ends.
            let (mut inner, mut fd) = self.dec.take().expect("decoder").into_parts();
            if inner.fill_buf()?.is_empty() {
                return Ok(0);
            }
            fd.reset(&mut inner).map_err(io::Error::other)?;
            self.dec = Some(
                ruzstd::decoding::StreamingDecoder::new_with_decoder(inner, fd)
                    .map_err(io::Error::other)?,
            );
        }
    }
}

/// Decode `raw` by its magic bytes. Decoder errors are recorded in the
/// returned fault cell as well as returned from `read`.
pub fn decoder<'a>(raw: impl Read + 'a) -> io::Result<(Box<dyn Read + 'a>, Codec, DecodeFault)> {
    let mut buf = BufReader::with_capacity(256 * 1024, raw);
    let codec = Codec::sniff(buf.fill_buf()?);
    let fault: DecodeFault = Rc::new(RefCell::new(None));
    let inner: Box<dyn Read + 'a> = match codec {
        Codec::None => Box::new(buf),
        Codec::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buf)),
        Codec::Zstd => match Zstd::new(buf) {
            Ok(z) => Box::new(z),
            Err(e) => {
                *fault.borrow_mut() = Some(e.to_string());
                return Err(e);
            }
        },
    };
    Ok((
        Box::new(Tagged {
            inner,
            fault: fault.clone(),
        }),
        codec,
        fault,
    ))
}
