//! A series folder: one sealed packet per period, each linking to the one before
//! (`packet --series DIR`). This module finds the newest member, holds the folder's lock
//! while a new packet is made, and names the new packet's folder.

use std::path::{Path, PathBuf};

use crate::cleanup;
use crate::seal;

/// The exclusive lock on a series folder (`DIR/.auditpack.lock`, `flock`ed), held from
/// reading the newest packet until the new one is in place: two runs at the same moment
/// take turns, and the second sees the first's packet. Released when dropped (or when the
/// process ends, however it ends).
#[derive(Debug)]
pub struct SeriesLock {
    _file: std::fs::File,
}

/// The lock file's name inside a series folder.
pub const SERIES_LOCK: &str = ".auditpack.lock";

/// Creates `dir` if needed and takes its series lock, waiting for another run that holds
/// it (`on_wait` is called once before waiting).
pub fn lock_series(dir: &Path, on_wait: impl FnOnce(&Path)) -> std::io::Result<SeriesLock> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(SERIES_LOCK);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            on_wait(&path);
            file.lock()?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    Ok(SeriesLock { _file: file })
}

/// A sealed packet folder found in a series folder.
#[derive(Debug, Clone)]
pub struct SeriesMember {
    /// The folder.
    pub path: PathBuf,
    /// `period.start` from its packet.json (not yet verified).
    pub period_start: Option<chrono::DateTime<chrono::Utc>>,
    /// `period.end` from its packet.json (not yet verified).
    pub period_end: Option<chrono::DateTime<chrono::Utc>>,
}

/// The sealed packet folder in `dir` whose stated period ends last, if any. Temporary
/// names of interrupted runs are never members. The caller verifies what it gets.
pub fn newest_in_series(dir: &Path) -> Result<Option<SeriesMember>, seal::VerifyError> {
    let open = |source| seal::VerifyError::Open {
        path: dir.to_path_buf(),
        source,
    };
    let mut members = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(open)? {
        let path = entry.map_err(open)?.path();
        let temp = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(cleanup::is_temp_name);
        if temp || !path.is_dir() || !path.join(seal::MANIFEST).is_file() {
            continue;
        }
        let source = seal::PacketSource::open(&path)?;
        let Some(packet) = source.packet_meta()? else {
            continue;
        };
        members.push(SeriesMember {
            period_start: packet.period.map(|p| p.start),
            period_end: packet.period.map(|p| p.last()),
            path,
        });
    }
    members.sort_by_key(|m| (m.period_end, m.period_start, m.path.clone()));
    Ok(members.pop())
}

/// Errors of a series folder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeriesError {
    /// The folder could not be created or locked.
    #[error("--series {}: cannot lock the folder", dir.display())]
    Lock {
        /// The series folder.
        dir: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A member could not be read.
    #[error(transparent)]
    Read(#[from] seal::VerifyError),
    /// The newest packet already covers the new packet's period.
    #[error(
        "{} already holds a packet for this period ({}): remove it first, or write this one elsewhere with --out",
        dir.display(),
        existing.display()
    )]
    SamePeriod {
        /// The series folder.
        dir: PathBuf,
        /// The packet already there.
        existing: PathBuf,
    },
}

/// A series folder, locked for as long as this value lives.
#[derive(Debug)]
pub struct Series {
    dir: PathBuf,
    _lock: SeriesLock,
}

impl Series {
    /// Creates `dir` if needed, takes its lock (waiting for a run that holds it; `on_wait`
    /// is called once before waiting), and removes what killed runs left in it: under the
    /// lock, every temporary name there is a dead run's.
    pub fn lock(dir: &Path, on_wait: impl FnOnce(&Path)) -> Result<Series, SeriesError> {
        let lock = lock_series(dir, on_wait).map_err(|source| SeriesError::Lock {
            dir: dir.to_path_buf(),
            source,
        })?;
        cleanup::sweep_stale(dir, None);
        Ok(Series {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    /// The member whose stated period ends last (not yet verified).
    pub fn newest(&self) -> Result<Option<SeriesMember>, SeriesError> {
        Ok(newest_in_series(&self.dir)?)
    }

    /// The folder a new packet with this id goes to.
    pub fn folder(&self, packet_id: &str) -> PathBuf {
        self.dir.join(packet_id)
    }
}
