//! The everyday pipeline: snapshot → findings → rendered folder → sealed packet, written
//! so that a packet folder appears only once it is complete and signed.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

use crate::cleanup;
use crate::controls::{self, EvalOptions};
use crate::findings::Findings;
use crate::render::{self, RenderOptions, RenderedPacket};
use crate::seal::{self, SealOptions, SealReport};
use crate::snapshot::Snapshot;

/// Errors of the pipeline; each names the stage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The output folder exists and is not empty.
    #[error("{path} already exists and is not empty: choose a new --out, or remove it first")]
    OutExists {
        /// The folder.
        path: PathBuf,
    },
    /// Evaluation failed.
    #[error("evaluating the snapshot")]
    Evaluate(#[from] controls::EvalError),
    /// Rendering failed.
    #[error("rendering the packet")]
    Render(#[from] render::RenderError),
    /// Sealing failed.
    #[error("sealing the packet")]
    Seal(#[from] seal::SealError),
    /// Moving the sealed packet into place failed.
    #[error("moving the sealed packet to {path}")]
    Io {
        /// The final folder.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

/// What [`make_packet`] produced.
#[derive(Debug)]
pub struct PacketMade {
    /// The rendered packet (id, period, files).
    pub packet: RenderedPacket,
    /// The findings it rests on.
    pub findings: Findings,
    /// The seal.
    pub seal: SealReport,
}

/// Evaluates `snapshot`, renders the packet into a temporary sibling of `render.out_dir`,
/// seals it with `key`, and only then renames it into place: an interrupted run never
/// leaves a half-written or unsigned packet under the final name. When `render.previous`
/// carries the previous snapshot, evaluation also reports the access granted and removed
/// since then.
pub fn make_packet(
    snapshot: &Snapshot,
    mut eval: EvalOptions,
    render: RenderOptions,
    key: &SigningKey,
) -> Result<PacketMade, PipelineError> {
    let out = render.out_dir.clone();
    if std::fs::read_dir(&out).is_ok_and(|mut d| d.next().is_some()) {
        return Err(PipelineError::OutExists { path: out });
    }
    if eval.previous.is_none() {
        eval.previous = render.previous.as_ref().and_then(|p| p.snapshot.clone());
    }
    let findings = controls::evaluate(snapshot, &eval)?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|source| PipelineError::Io {
        path: out.clone(),
        source,
    })?;
    let base = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "packet".into());
    // The sealed folder is staged under a temporary name (registered with the interrupt
    // cleanup); render stages its own files beside that name and renames them onto it.
    cleanup::sweep_stale(&parent, Some(&base));
    let tmp = cleanup::temp_sibling(&parent.join(&base));
    let result =
        (|| {
            let opts = RenderOptions {
                out_dir: tmp.clone(),
                ..render.clone()
            };
            // Registered before render creates it, so an interrupt between render's rename
            // onto `tmp` and the seal still removes it.
            let ((), mut registered) = cleanup::create(&tmp, cleanup::Kind::Dir, |_| Ok(()))
                .map_err(|source| PipelineError::Io {
                    path: tmp.clone(),
                    source,
                })?;
            let packet = render::render_packet(snapshot, &findings, &opts)?;
            registered.lock_now();
            let seal = seal::seal_dir(
                &tmp,
                key,
                &SealOptions {
                    force: false,
                    now: render.now,
                },
            )?;
            registered
                .finish(|| {
                    if out.exists() {
                        // An empty folder was checked above; replace it.
                        std::fs::remove_dir(&out)?;
                    }
                    std::fs::rename(&tmp, &out)
                })
                .map_err(|source| PipelineError::Io {
                    path: out.clone(),
                    source,
                })?;
            Ok((packet, seal))
        })();
    match result {
        Ok((packet, seal)) => Ok(PacketMade {
            packet,
            findings,
            seal,
        }),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(e)
        }
    }
}

/// The exclusive lock on a series folder (`DIR/.auditpack.lock`, `flock`ed), held from
/// reading the newest packet until the new one is in place: two runs at the same moment
/// take turns, and the second sees the first's packet. Released when dropped (or when the
/// process ends, however it ends).
#[derive(Debug)]
pub struct SeriesLock {
    _file: std::fs::File,
    /// The lock file.
    pub path: PathBuf,
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
    Ok(SeriesLock { _file: file, path })
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
    let time = |v: &serde_json::Value, p: &str| {
        v.pointer(p)
            .and_then(serde_json::Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
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
        let Some(packet) = source.packet_value() else {
            continue;
        };
        members.push(SeriesMember {
            period_start: time(&packet, "/period/start"),
            period_end: time(&packet, "/period/end"),
            path,
        });
    }
    members.sort_by_key(|m| (m.period_end, m.period_start, m.path.clone()));
    Ok(members.pop())
}
