//! The one way auditpack writes an output: stage it under a temporary name beside the
//! target, fsync it, rename it into place, fsync the folder. A failure or a drop leaves
//! the target untouched and removes the temporary; an interrupt removes it too, and a
//! killed run's leftover is swept by the next run (the temporary is registered with
//! [`crate::cleanup`] and `flock`ed while it lives).
//!
//! Temporary names are made by `tempfile` (random, created exclusively, retried on a
//! collision) in the form `.NAME.auditpack-tmp-XXXXXXXX`, which no packet id or output
//! name can have ([`cleanup::is_temp_name`]).
//!
//! This module depends only on [`crate::cleanup`].

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::cleanup::{self, Registered};

/// `target`'s folder (`.` for a bare name).
fn folder_of(target: &Path) -> &Path {
    target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Creates a fresh temporary path beside `target` with `make`, registered with the
/// interrupt cleanup. Leftovers of killed runs for the same target are swept first.
fn create_beside<T>(
    target: &Path,
    kind: cleanup::Kind,
    make: impl Fn(&Path) -> io::Result<T>,
) -> io::Result<(PathBuf, T, Registered)> {
    let dir = folder_of(target);
    let base = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    cleanup::sweep_stale(dir, Some(&base));
    let prefix = format!(".{base}{}", cleanup::TEMP_MARKER);
    let made = tempfile::Builder::new()
        .prefix(&prefix)
        .rand_bytes(8)
        .make_in(dir, |p| {
            cleanup::create(p, kind, &make).map(|(t, r)| (p.to_path_buf(), t, r))
        })?;
    // Removal is ours (a folder needs remove_dir_all; an interrupt removes it too).
    let (made, temp_path) = made.into_parts();
    temp_path.keep().map_err(|e| e.error)?;
    Ok(made)
}

/// fsyncs `target`'s folder, so that a rename into it is durable.
fn sync_folder(target: &Path) -> io::Result<()> {
    File::open(folder_of(target))?.sync_all()
}

/// A temporary file that becomes `target` on [`StagedFile::commit`] and disappears if
/// dropped uncommitted.
#[derive(Debug)]
pub struct StagedFile {
    temp: PathBuf,
    target: PathBuf,
    file: Option<File>,
    registered: Option<Registered>,
}

impl StagedFile {
    /// Creates the temporary file beside `target` (mode 0644).
    pub fn beside(target: &Path) -> io::Result<Self> {
        let (temp, file, registered) = create_beside(target, cleanup::Kind::File, |p| {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .open(p)
        })?;
        Ok(StagedFile {
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
        drop(file);
        let registered = self.registered.take().expect("registered until commit");
        // Renamed while still registered (and locked), so no sweep can take it first.
        registered.finish(|| fs::rename(&self.temp, &self.target))?;
        self.temp = PathBuf::new();
        sync_folder(&self.target)
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temp);
        }
        drop(self.registered.take());
    }
}

/// Writes a file atomically: `write` fills the staged file (buffered), which is then
/// committed onto `target`. On any error `target` is untouched.
pub fn write_file(
    target: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let staged = StagedFile::beside(target)?;
    let mut w = io::BufWriter::with_capacity(1 << 20, staged.file());
    write(&mut w)?;
    w.flush()?;
    drop(w);
    staged.commit()
}

/// Writes `bytes` to a staged file beside `target`, fsynced, not yet renamed: for a group
/// of files that must all be durable before any of them is renamed.
pub fn stage(target: &Path, bytes: &[u8]) -> io::Result<StagedFile> {
    let staged = StagedFile::beside(target)?;
    let mut file: &File = staged.file();
    file.write_all(bytes)?;
    staged.sync()?;
    Ok(staged)
}

/// A temporary folder that becomes `target` on [`StagedDir::commit`] (replacing an empty
/// folder there) and is removed with its contents if dropped uncommitted.
#[derive(Debug)]
pub struct StagedDir {
    temp: PathBuf,
    target: PathBuf,
    registered: Option<Registered>,
}

impl StagedDir {
    /// Creates the temporary folder beside `target` (and `target`'s parents).
    pub fn beside(target: &Path) -> io::Result<Self> {
        fs::create_dir_all(folder_of(target))?;
        let (temp, (), registered) =
            create_beside(target, cleanup::Kind::Dir, |p| fs::create_dir(p))?;
        Ok(StagedDir {
            temp,
            target: target.to_path_buf(),
            registered: Some(registered),
        })
    }

    /// The temporary folder, to write into. Files created in it should be created inside
    /// [`cleanup::hold`], so that nothing appears after an interrupt cleanup ran.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// fsyncs every file in the folder, renames it onto the target (an empty folder there
    /// is replaced), and fsyncs the target's parent.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        sync_tree(&self.temp)?;
        let registered = self.registered.take().expect("registered until commit");
        let (temp, target) = (self.temp.clone(), self.target.clone());
        registered.finish(|| {
            if target.exists() {
                // Only an empty folder can be replaced: remove_dir refuses any other.
                fs::remove_dir(&target)?;
            }
            fs::rename(&temp, &target)
        })?;
        self.temp = PathBuf::new();
        sync_folder(&self.target)?;
        Ok(self.target.clone())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = fs::remove_dir_all(&self.temp);
        }
        drop(self.registered.take());
    }
}

/// fsyncs every regular file and folder under `dir`.
fn sync_tree(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            sync_tree(&entry.path())?;
        } else if kind.is_file() {
            File::open(entry.path())?.sync_all()?;
        }
    }
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_committed_file_replaces_the_target_and_leaves_no_temporary() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("snapshot.json");
        fs::write(&target, "old").unwrap();
        write_file(&target, |w| w.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(names(t.path()), ["snapshot.json"]);
    }

    #[test]
    fn a_failed_write_keeps_the_target_and_removes_the_temporary() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("snapshot.json");
        fs::write(&target, "old").unwrap();
        let err = write_file(&target, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(names(t.path()), ["snapshot.json"]);
    }

    #[test]
    fn temporary_names_are_never_outputs_and_are_unique() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("p");
        let a = StagedFile::beside(&target).unwrap();
        let b = StagedDir::beside(&target).unwrap();
        for p in [a.temp.as_path(), b.path()] {
            let name = p.file_name().unwrap().to_str().unwrap();
            assert!(cleanup::is_temp_name(name), "{name}");
            assert!(name.starts_with(".p."), "{name}");
        }
        assert_ne!(a.temp.as_path(), b.path());
        drop((a, b));
        assert!(names(t.path()).is_empty());
    }

    #[test]
    fn a_staged_folder_replaces_only_an_empty_target() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("packet");
        let staged = StagedDir::beside(&target).unwrap();
        fs::create_dir_all(staged.path().join("evidence")).unwrap();
        fs::write(staged.path().join("evidence/a.yaml"), "a").unwrap();
        fs::create_dir(&target).unwrap();
        assert_eq!(staged.commit().unwrap(), target);
        assert_eq!(
            fs::read_to_string(target.join("evidence/a.yaml")).unwrap(),
            "a"
        );
        assert_eq!(names(t.path()), ["packet"]);

        // A non-empty target is never replaced; the staged folder is removed.
        let staged = StagedDir::beside(&target).unwrap();
        assert!(staged.commit().is_err());
        assert_eq!(names(t.path()), ["packet"]);
        assert!(target.join("evidence/a.yaml").is_file());
    }
}
