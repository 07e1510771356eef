//! Atomic file writes: write a temporary file in the target's folder, fsync, rename, fsync
//! the folder. A failure leaves the target untouched and removes the temporary file; an
//! interrupted run removes it too (the temporary is registered with [`crate::cleanup`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::cleanup::{self, Registered};

/// A temporary file that becomes `target` on [`TempFile::commit`] and disappears if dropped
/// uncommitted.
#[derive(Debug)]
pub(crate) struct TempFile {
    temp: PathBuf,
    target: PathBuf,
    file: Option<File>,
    registered: Option<Registered>,
}

impl TempFile {
    /// Creates the temporary file in `dir` (which must be `target`'s folder).
    pub fn new(dir: &Path, target: &Path) -> io::Result<Self> {
        let base = target.file_name().unwrap_or_default();
        cleanup::sweep_stale(dir, Some(&base.to_string_lossy()));
        let temp = cleanup::temp_sibling(&dir.join(base));
        let (file, registered) = cleanup::create(&temp, cleanup::Kind::File, |p| {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .open(p)
        })?;
        Ok(Self {
            temp,
            target: target.to_path_buf(),
            file: Some(file),
            registered: Some(registered),
        })
    }

    /// The open temporary file.
    pub fn file(&self) -> &File {
        self.file.as_ref().expect("file is present until commit")
    }

    /// fsyncs the data (call before any commit of a group, so all data is durable first).
    pub fn sync(&self) -> io::Result<()> {
        self.file().sync_all()
    }

    /// fsyncs, renames onto the target, fsyncs the folder.
    pub fn commit(mut self) -> io::Result<()> {
        let file = self.file.take().expect("file is present until commit");
        file.sync_all()?;
        // Renamed while still registered (and locked), so no sweep can take it first.
        fs::rename(&self.temp, &self.target)?;
        drop(file);
        drop(self.registered.take());
        if let Some(dir) = self.target.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            File::open(dir)?.sync_all()?;
        }
        self.temp = PathBuf::new();
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temp);
        }
        drop(self.registered.take());
    }
}

/// Writes `bytes` to a temporary file beside `target`, fsynced, not yet renamed.
pub(crate) fn stage(target: &Path, bytes: &[u8]) -> io::Result<TempFile> {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = TempFile::new(dir, target)?;
    let mut file: &File = tmp.file();
    file.write_all(bytes)?;
    tmp.sync()?;
    Ok(tmp)
}
