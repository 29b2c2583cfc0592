//! The log file, `logs/dbt.log` as dbt names it: every event at `--log-level-file` or above, in
//! `--log-format-file` (dbt's `debug` lines with level and thread by default, or JSON), rotated
//! at `--log-file-max-bytes` into `dbt.log.1` ... `dbt.log.5` as dbt's rotating handler does.
//! Events fired before the project (and so the log folder) is known wait in memory.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// How many rotated files dbt keeps beside `dbt.log`.
const BACKUPS: usize = 5;
/// Events kept while no log file is open (a command that fails before its project loads
/// fires a handful).
const PENDING_LIMIT: usize = 10_000;

/// An open log file and how much has been written into it.
pub struct LogFile {
    path: PathBuf,
    file: File,
    written: u64,
    max_bytes: u64,
}

impl LogFile {
    /// Opens `dir/dbt.log` for appending; creates the folder.
    pub fn open(dir: &Path, max_bytes: u64) -> std::io::Result<LogFile> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("dbt.log");
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let written = file.metadata()?.len();
        Ok(LogFile {
            path,
            file,
            written,
            max_bytes,
        })
    }

    /// Appends a line (which ends with a newline), rotating first when it would not fit.
    pub fn write(&mut self, line: &str) {
        let size = line.len() as u64;
        if self.max_bytes > 0 && self.written > 0 && self.written + size > self.max_bytes {
            self.rotate();
        }
        if self.file.write_all(line.as_bytes()).is_ok() {
            self.written += size;
        }
    }

    /// `dbt.log.4` becomes `dbt.log.5` ... and `dbt.log` becomes `dbt.log.1`; a fresh
    /// `dbt.log` is opened. When the files cannot be moved, writing goes on in the old file.
    fn rotate(&mut self) {
        let numbered = |n: usize| PathBuf::from(format!("{}.{n}", self.path.display()));
        for n in (1..BACKUPS).rev() {
            if numbered(n).exists() {
                let _ = std::fs::rename(numbered(n), numbered(n + 1));
            }
        }
        if std::fs::rename(&self.path, numbered(1)).is_err() {
            return;
        }
        if let Ok(file) = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
        {
            self.file = file;
            self.written = 0;
        }
    }
}

/// Where file lines go: nowhere yet (kept until the file opens), or the file.
pub enum Sink<T> {
    Pending(Vec<T>),
    Open(LogFile),
    /// `--log-level-file none`, or the file could not be opened.
    Closed,
}

impl<T> Sink<T> {
    pub fn keep(&mut self, item: T) {
        if let Sink::Pending(items) = self
            && items.len() < PENDING_LIMIT
        {
            items.push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_into_numbered_files_when_full() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = LogFile::open(dir.path(), 10).unwrap();
        log.write("first 123\n");
        log.write("second 12\n");
        log.write("third 123\n");
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(read("dbt.log"), "third 123\n");
        assert_eq!(read("dbt.log.1"), "second 12\n");
        assert_eq!(read("dbt.log.2"), "first 123\n");
    }

    #[test]
    fn appends_to_an_existing_log() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dbt.log"), "before\n").unwrap();
        let mut log = LogFile::open(dir.path(), 0).unwrap();
        log.write("after\n");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("dbt.log")).unwrap(),
            "before\nafter\n"
        );
    }
}
