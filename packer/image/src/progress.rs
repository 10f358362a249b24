//! Progress reporting: the library reports stages and byte counts through
//! `Progress`; the native tools show them with indicatif (`Bars`).

use std::io::{self, Read};

/// Receives progress. Stages do not nest: `stage` ends the previous one.
pub trait Progress {
    /// A new stage (`pulling sha256:...`, `unpacking layer 2/5`, `packing`),
    /// with its size in bytes when known.
    fn stage(&self, name: &str, total: Option<u64>);
    /// `n` more bytes of the current stage are done.
    fn advance(&self, n: u64);
    /// The current stage is finished.
    fn done(&self);
    /// A one-line note for the user (skipped device nodes, ...).
    fn note(&self, _msg: &str) {}
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn stage(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
    fn done(&self) {}
}

/// Counts bytes read through it into a `Progress`.
pub struct ProgressReader<'p, R> {
    inner: R,
    progress: &'p dyn Progress,
}

impl<'p, R> ProgressReader<'p, R> {
    pub fn new(inner: R, progress: &'p dyn Progress) -> Self {
        ProgressReader { inner, progress }
    }
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

/// indicatif bars on stderr (hidden when stderr is not a terminal).
#[cfg(feature = "progress")]
pub struct Bars {
    current: std::sync::Mutex<Option<indicatif::ProgressBar>>,
}

#[cfg(feature = "progress")]
impl Default for Bars {
    fn default() -> Self {
        Bars::new()
    }
}

#[cfg(feature = "progress")]
impl Bars {
    pub fn new() -> Bars {
        Bars {
            current: std::sync::Mutex::new(None),
        }
    }
}

#[cfg(feature = "progress")]
impl Progress for Bars {
    fn stage(&self, name: &str, total: Option<u64>) {
        use indicatif::{ProgressBar, ProgressStyle};
        let mut cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = cur.take() {
            old.finish_and_clear();
        }
        let bar = match total {
            Some(t) => ProgressBar::new(t).with_style(
                ProgressStyle::with_template(
                    "{msg:40!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg:40!} {bytes} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_message(name.to_string());
        *cur = Some(bar);
    }

    fn advance(&self, n: u64) {
        if let Some(b) = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            b.inc(n);
        }
    }

    fn done(&self) {
        if let Some(b) = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            b.finish_and_clear();
        }
    }

    fn note(&self, msg: &str) {
        match self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            Some(b) => b.println(format!("friscy: {msg}")),
            None => eprintln!("friscy: {msg}"),
        }
    }
}
