//! The `--journal` recording: one [`Header`] per process start, then one
//! [`Step`] per batch of inputs the core was stepped with (the format is
//! [`orchestrator::replay`]'s).
//!
//! The file is **appended to**, never truncated: a restart adds a new
//! header after the recording of whatever caused it. When the file grows
//! past its size limit it is rotated: renamed `FILE.1` (older ones shift to
//! `FILE.2`, …) and recording goes on in a fresh `FILE` whose header says
//! `continues`; `yard-sim replay FILE.2 FILE.1 FILE` replays them in order.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use orchestrator::replay::{Header, Step};

/// A journal that cannot be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The file failed.
    #[error("journal {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// A line does not serialise (a bug).
    #[error("journal {path}: {source}")]
    Encode {
        /// The file.
        path: String,
        /// What failed.
        source: serde_json::Error,
    },
}

/// The recorder.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    out: BufWriter<File>,
    header: Header,
    written: u64,
    max_bytes: u64,
    keep: usize,
}

impl Journal {
    /// Opens `path` for appending (creating it), writes `header`, and
    /// rotates past `max_bytes`, keeping `keep` rotated files.
    pub fn open(path: &Path, header: Header, max_bytes: u64, keep: usize) -> Result<Journal, JournalError> {
        let (out, written) = Journal::append_to(path)?;
        let mut journal =
            Journal { path: path.to_path_buf(), out, header, written, max_bytes: max_bytes.max(1), keep };
        let header = journal.header.clone();
        journal.line(&header)?;
        Ok(journal)
    }

    fn append_to(path: &Path) -> Result<(BufWriter<File>, u64), JournalError> {
        let io = |source| JournalError::Io { path: path.display().to_string(), source };
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(io)?;
        let written = file.metadata().map_err(io)?.len();
        Ok((BufWriter::new(file), written))
    }

    fn line(&mut self, line: &impl serde::Serialize) -> Result<(), JournalError> {
        let path = self.path.display().to_string();
        let mut bytes =
            serde_json::to_vec(line).map_err(|source| JournalError::Encode { path: path.clone(), source })?;
        bytes.push(b'\n');
        self.out.write_all(&bytes).map_err(|source| JournalError::Io { path, source })?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Records one step and flushes it (a killed process loses at most the
    /// line being written, which replay skips).
    pub fn record(&mut self, step: &Step) -> Result<(), JournalError> {
        self.line(step)?;
        self.flush()?;
        if self.written >= self.max_bytes {
            self.rotate()?;
        }
        Ok(())
    }

    /// Flushes what was written.
    pub fn flush(&mut self) -> Result<(), JournalError> {
        let path = self.path.display().to_string();
        self.out.flush().map_err(|source| JournalError::Io { path, source })
    }

    fn rotated(&self, n: usize) -> PathBuf {
        let mut name = self.path.as_os_str().to_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    fn rotate(&mut self) -> Result<(), JournalError> {
        let io = |path: &Path, source| JournalError::Io { path: path.display().to_string(), source };
        self.flush()?;
        let oldest = self.rotated(self.keep.max(1));
        if oldest.exists() {
            std::fs::remove_file(&oldest).map_err(|e| io(&oldest, e))?;
        }
        for n in (1..self.keep.max(1)).rev() {
            let from = self.rotated(n);
            if from.exists() {
                let to = self.rotated(n + 1);
                std::fs::rename(&from, &to).map_err(|e| io(&from, e))?;
            }
        }
        let first = self.rotated(1);
        std::fs::rename(&self.path, &first).map_err(|e| io(&self.path, e))?;
        let (out, written) = Journal::append_to(&self.path)?;
        self.out = out;
        self.written = written;
        let mut header = self.header.clone();
        header.continues = true;
        self.line(&header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            journal: "yardmaster".into(),
            version: orchestrator::replay::VERSION,
            layout: "yard.map".into(),
            layout_sha256: "ab".into(),
            continues: false,
            manufacturer: "m".into(),
            serials: vec!["v1".into()],
            vehicle_type: "default".into(),
            fleet: Vec::new(),
        }
    }

    fn step(now: u64) -> Step {
        Step {
            now: orchestrator::orders::Millis(now),
            inputs: vec![orchestrator::input::Input::Tick],
            out: "x".repeat(40),
        }
    }

    #[test]
    fn a_restart_appends_and_a_full_file_rotates_with_a_continuing_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        {
            let mut j = Journal::open(&path, header(), 1 << 20, 3).unwrap();
            j.record(&step(1)).unwrap();
        }
        {
            // Restart: the first run's lines stay.
            let mut j = Journal::open(&path, header(), 1 << 20, 3).unwrap();
            j.record(&step(2)).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("{\"journal\"")).count(), 2);

        let mut j = Journal::open(&path, header(), 600, 2).unwrap();
        for t in 0..20 {
            j.record(&step(t)).unwrap();
        }
        let rotated_1 = dir.path().join("j.jsonl.1");
        let rotated_2 = dir.path().join("j.jsonl.2");
        assert!(rotated_1.exists() && rotated_2.exists());
        assert!(!dir.path().join("j.jsonl.3").exists(), "keeps 2 rotated files");
        let current = std::fs::read_to_string(&path).unwrap();
        let first: Header = serde_json::from_str(current.lines().next().unwrap()).unwrap();
        assert!(first.continues, "{current}");
        assert!(std::fs::metadata(&rotated_1).unwrap().len() >= 600);
    }
}
