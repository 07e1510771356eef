//! The temporary files and folders of the running command, and what an interrupted run
//! leaves behind.
//!
//! Every command that writes stages its output under a temporary name beside the target
//! (`.NAME.auditpack-tmp-PID-N`) and renames it into place when it is complete. This
//! module is the one registry of those paths:
//!
//! - [`create`] makes a temporary file or folder and registers it; [`Registered::finish`]
//!   runs the final rename and unregisters it. Outputs written straight under their final
//!   name (key files, the demo folder) are registered the same way until complete.
//! - [`interrupt`] (called by the CLI on SIGINT/SIGTERM) removes every registered path.
//!   Creating a path, the final rename and [`hold`] sections exclude it, so an interrupted
//!   run leaves either its complete output or nothing — never a half-renamed folder — and
//!   nothing can be created after the cleanup has run.
//! - A run killed with SIGKILL cannot clean up. Each temporary path is `flock`ed while its
//!   owner lives, so [`sweep_stale`] removes exactly the leftovers whose owner is gone
//!   (process ids are reused, locks are not), and readers skip them by name
//!   ([`is_temp_name`]: no packet id starts with `.`).
//!
//! This module depends on nothing else in the crate.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::{self, File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// What every temporary name holds after the target's name: `.NAME` + this + `PID-N`.
pub const TEMP_MARKER: &str = ".auditpack-tmp-";

/// Held by [`hold`] sections and, for good, by [`interrupt`].
static GATE: Mutex<()> = Mutex::new(());
/// The registered paths and the stale leftovers removed by this process.
static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    entries: BTreeMap::new(),
    next: 0,
    swept: Vec::new(),
});
static COUNTER: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether this thread holds [`GATE`] (so nested [`hold`] sections do not deadlock).
    static HOLDING: Cell<bool> = const { Cell::new(false) };
}

struct Registry {
    entries: BTreeMap<u64, Entry>,
    next: u64,
    swept: Vec<PathBuf>,
}

struct Entry {
    path: PathBuf,
    dir: bool,
}

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` while no interrupt cleanup can run: for creating files inside a registered
/// folder, and for groups of renames that must all happen or none. Nested calls are fine.
pub fn hold<T>(f: impl FnOnce() -> T) -> T {
    if HOLDING.with(Cell::get) {
        return f();
    }
    let _gate = GATE.lock().unwrap_or_else(|e| e.into_inner());
    HOLDING.with(|h| h.set(true));
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            HOLDING.with(|h| h.set(false));
        }
    }
    let _reset = Reset;
    f()
}

/// A temporary name beside `target`: `.NAME.auditpack-tmp-PID-N`, unique in this process.
pub fn temp_sibling(target: &Path) -> PathBuf {
    let base = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!(".{base}{TEMP_MARKER}{}-{n}", std::process::id());
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join(name),
        _ => PathBuf::from(name),
    }
}

/// Whether a file name is one of [`temp_sibling`]'s: never a packet, never an output.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(TEMP_MARKER)
}

/// A path removed if the command is interrupted, until it is finished or dropped.
/// Dropping it only unregisters it: error paths remove their own temporaries.
#[derive(Debug)]
pub struct Registered {
    id: u64,
    path: PathBuf,
    /// Keeps the path `flock`ed while this process owns it (see [`sweep_stale`]).
    lock: Option<File>,
}

impl Registered {
    /// The registered path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the path's lock now, for a path registered before something else created it
    /// (e.g. a folder renamed onto the registered name).
    pub fn lock_now(&mut self) {
        if self.lock.is_none() {
            self.lock = File::open(&self.path).ok().filter(|f| f.try_lock().is_ok());
        }
    }

    /// Runs `f` (typically the rename into place) and unregisters the path, with the
    /// interrupt cleanup held off: it sees the path before the rename or not at all.
    pub fn finish<T>(self, f: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        hold(move || {
            let out = f();
            drop(self);
            out
        })
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        registry().entries.remove(&self.id);
        drop(self.lock.take());
    }
}

/// What [`create`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A file: removed with `remove_file`.
    File,
    /// A folder: removed with everything in it.
    Dir,
}

/// Creates `path` with `make` and registers it, with the interrupt cleanup held off (so
/// the path is never created unregistered). The path is `flock`ed while registered:
/// `make` must create it (e.g. `create_new`, `create_dir`), never take over an existing one.
pub fn create<T>(
    path: &Path,
    kind: Kind,
    make: impl FnOnce(&Path) -> io::Result<T>,
) -> io::Result<(T, Registered)> {
    hold(|| {
        let made = make(path)?;
        // A lock that cannot be taken (e.g. a file system without flock) only costs the
        // stale sweep its certainty; the path is still removed on interrupt.
        let lock = File::open(path).ok().filter(|f| f.try_lock().is_ok());
        let mut reg = registry();
        let id = reg.next;
        reg.next += 1;
        reg.entries.insert(
            id,
            Entry {
                path: path.to_path_buf(),
                dir: kind == Kind::Dir,
            },
        );
        Ok((
            made,
            Registered {
                id,
                path: path.to_path_buf(),
                lock,
            },
        ))
    })
}

/// Proof that the interrupt cleanup ran: while it lives nothing can be created or renamed
/// into place. The CLI keeps it until the process exits.
#[derive(Debug)]
pub struct Interrupted {
    _gate: MutexGuard<'static, ()>,
    /// The paths that were removed.
    pub removed: Vec<PathBuf>,
    /// The paths that could not be removed, with why.
    pub failed: Vec<(PathBuf, io::Error)>,
}

/// Removes every registered path (the running command's temporaries and unfinished
/// outputs) and keeps every other writer waiting: call it only to end the process.
pub fn interrupt() -> Interrupted {
    let gate = GATE.lock().unwrap_or_else(|e| e.into_inner());
    let entries: Vec<(PathBuf, bool)> = registry()
        .entries
        .values()
        .map(|e| (e.path.clone(), e.dir))
        .collect();
    let mut removed = Vec::new();
    let mut failed = Vec::new();
    // Newest first: a temporary inside a registered folder goes before the folder.
    for (path, dir) in entries.into_iter().rev() {
        let r = if dir {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        match r {
            Ok(()) => removed.push(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => failed.push((path, e)),
        }
    }
    Interrupted {
        _gate: gate,
        removed,
        failed,
    }
}

/// Removes the leftovers of killed runs in `dir`: temporary names ([`is_temp_name`]) whose
/// lock no live process holds. With `target`, only the temporaries of that output name.
/// Returns what was removed (also kept for [`take_swept`]); a leftover that cannot be
/// examined or removed is left alone (readers skip it by name).
pub fn sweep_stale(dir: &Path, target: Option<&str>) -> Vec<PathBuf> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let prefix = target.map(|t| format!(".{t}{TEMP_MARKER}"));
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_temp_name(name) || prefix.as_deref().is_some_and(|p| !name.starts_with(p)) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_dir() && !meta.is_file() {
            continue;
        }
        let Ok(file) = File::open(&path) else {
            continue;
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) | Err(TryLockError::Error(_)) => continue,
        }
        let r = if meta.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        if r.is_ok() {
            removed.push(path);
        }
    }
    if !removed.is_empty() {
        registry().swept.extend(removed.iter().cloned());
    }
    removed
}

/// The stale leftovers [`sweep_stale`] removed so far in this process (for the CLI to
/// report), emptied by the call.
pub fn take_swept() -> Vec<PathBuf> {
    std::mem::take(&mut registry().swept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_path_survives_the_interrupt_cleanup_and_an_unfinished_one_does_not() {
        let t = tempfile::tempdir().unwrap();
        let done = t.path().join("done");
        let tmp = temp_sibling(&done);
        let ((), reg) = create(&tmp, Kind::Dir, |p| fs::create_dir(p)).unwrap();
        fs::write(tmp.join("a"), "a").unwrap();
        reg.finish(|| fs::rename(&tmp, &done)).unwrap();
        let half = t.path().join(".x.auditpack-tmp-1-1");
        let ((), _reg) = create(&half, Kind::File, |p| fs::write(p, "half")).unwrap();
        // Not through `interrupt()`: it keeps the gate for good (the process ends).
        let entries: Vec<PathBuf> = registry()
            .entries
            .values()
            .map(|e| e.path.clone())
            .collect();
        assert!(entries.contains(&half), "{entries:?}");
        assert!(!entries.contains(&tmp), "{entries:?}");
        assert!(done.join("a").is_file());
    }

    #[test]
    fn a_leftover_is_swept_only_once_no_live_process_holds_its_lock() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("p");
        let live = temp_sibling(&target);
        let ((), reg) = create(&live, Kind::Dir, |p| fs::create_dir(p)).unwrap();
        // A leftover of a killed run: same name shape, nobody holds its lock.
        let dead = t.path().join(format!(".p{TEMP_MARKER}999999-0"));
        fs::create_dir(&dead).unwrap();
        fs::write(dead.join("SHA256SUMS"), "x").unwrap();
        let other = t.path().join(format!(".q{TEMP_MARKER}999999-0"));
        fs::write(&other, "x").unwrap();
        let swept = sweep_stale(t.path(), Some("p"));
        assert_eq!(swept, vec![dead.clone()]);
        assert!(live.is_dir() && !dead.exists() && other.exists());
        drop(reg);
        assert!(take_swept().contains(&dead));
        let swept = sweep_stale(t.path(), None);
        assert_eq!(swept.len(), 2, "{swept:?}");
    }

    #[test]
    fn temporary_names_are_never_packet_names() {
        let t = temp_sibling(Path::new("series/ap-prod-2026Q1-0123abcd"));
        let name = t.file_name().unwrap().to_str().unwrap();
        assert!(is_temp_name(name), "{name}");
        assert!(!is_temp_name("ap-prod-2026Q1-0123abcd"));
        assert!(!is_temp_name("x.auditpack-tmp-1-1"));
    }
}
