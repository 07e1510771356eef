//! The everyday pipeline, in the order of its stages: collect → evaluate → render → seal
//! (→ archive). A [`Plan`] says everything a run needs, built once from the command line
//! (or fixed, for `demo`); [`build`] carries it out. [`make_packet`] is the part after
//! collection, for callers that already hold a snapshot.
//!
//! A packet folder appears only once it is complete and signed. The library prints
//! nothing: what the user should hear comes back as [`Event`]s and in [`Built`].

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

use crate::collect;
use crate::controls::{self, EvalOptions};
use crate::findings::Findings;
use crate::render::{self, Period, PreviousPacket, PreviousTrust, RenderOptions, RenderedPacket};
use crate::seal::{self, SealOptions, SealReport, TrustStore};
use crate::series;
use crate::snapshot::{CollectionStatus, Snapshot};
use crate::staging;

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

/// Where the sealed packet goes.
#[derive(Debug, Clone)]
pub enum Output {
    /// This folder (must not exist, or be empty).
    Dir(PathBuf),
    /// A new folder `DIR/PACKET-ID` in a series folder, linked to the newest packet
    /// already there (verified first); the folder is locked for the run.
    Series(PathBuf),
}

/// Everything one `packet` run needs, decided before anything is read.
#[derive(Debug)]
pub struct Plan {
    /// What to collect.
    pub source: collect::Source,
    /// Frameworks and catalogs (and exceptions) to evaluate against.
    pub eval: EvalOptions,
    /// How to render: templates, time, period (`None`: the quarter of the collection),
    /// and the previous packet when one was given. `out_dir` is set by [`build`].
    pub render: RenderOptions,
    /// Where the packet goes.
    pub out: Output,
    /// The keys a series' newest packet is verified against before it is linked to;
    /// `None`: the public half of `key`.
    pub previous_trust: Option<(TrustStore, PreviousTrust)>,
    /// The signing key.
    pub key: SigningKey,
    /// Also write a deterministic archive (and its index) here.
    pub archive: Option<PathBuf>,
}

/// What a run reports while it goes, for the caller to show.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A collection warning (an identical duplicate dropped, …).
    Warning(&'a collect::Warning),
    /// Another run holds the series lock; this one waits for it.
    WaitingForLock(&'a Path),
    /// No packet covers this stretch between the previous packet and this one.
    PeriodGap(&'a Period),
    /// The snapshot was taken outside the reporting period (after it ended, or before it
    /// began): the packet states it, but its configuration evidence shows another time.
    EvidenceOutsidePeriod {
        /// The reporting period.
        period: &'a Period,
        /// Where the snapshot lies relative to it.
        timing: crate::model::Timing,
        /// When the snapshot was collected.
        collected_at: chrono::DateTime<chrono::Utc>,
    },
}

/// What [`build`] produced.
#[derive(Debug)]
pub struct Built {
    /// The packet, its findings and its seal.
    pub made: PacketMade,
    /// The sealed folder.
    pub dir: PathBuf,
    /// The archive, when one was asked for and written.
    pub archive: Option<PathBuf>,
    /// The kinds that could not be read (the packet marks them not-collected), with
    /// their status and reason.
    pub incomplete: Vec<(String, CollectionStatus, String)>,
}

/// Errors of [`build`]. Except for [`PacketError::Archive`], nothing was left behind.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PacketError {
    /// Collection failed.
    #[error(transparent)]
    Collect(#[from] collect::SourceError),
    /// The series folder could not be used.
    #[error(transparent)]
    Series(#[from] series::SeriesError),
    /// The previous packet does not fit (it overlaps this period, or does not verify).
    #[error(transparent)]
    Previous(#[from] render::RenderError),
    /// Evaluating, rendering or sealing failed.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// The packet was sealed and is complete, but its archive could not be written.
    #[error(
        "the packet was sealed at {dir} and is complete, but the archive {archive} failed; archive it again with `auditpack archive {dir} --out {archive}`"
    )]
    Archive {
        /// The sealed folder, kept.
        dir: PathBuf,
        /// The archive that failed.
        archive: PathBuf,
        /// Cause (boxed: it may carry the archive's verification failures).
        source: Box<seal::archive::ArchiveError>,
    },
}

/// Carries out `plan`: collects, links to the previous packet (the series' newest,
/// verified, under the series lock), evaluates, renders, seals, and archives.
pub fn build(mut plan: Plan, on_event: &mut dyn FnMut(Event<'_>)) -> Result<Built, PacketError> {
    let (mut snapshot, warnings) = plan.source.read_cluster()?;
    for w in &warnings {
        on_event(Event::Warning(w));
    }
    let period = plan
        .render
        .period
        .unwrap_or_else(|| Period::quarter_containing(snapshot.collected_at));
    let timing = period.timing(snapshot.collected_at);
    if timing != crate::model::Timing::DuringPeriod {
        on_event(Event::EvidenceOutsidePeriod {
            period: &period,
            timing,
            collected_at: snapshot.collected_at,
        });
    }
    // The audit-log period is the packet's (both end exclusive).
    plan.source
        .add_audit_logs(&mut snapshot, Some((period.start, period.end)))?;
    // Held until the new packet is in place: concurrent runs take turns.
    let _lock = match &plan.out {
        Output::Dir(dir) => {
            plan.render.out_dir = dir.clone();
            None
        }
        Output::Series(dir) => {
            let series = series::Series::lock(dir, |path| on_event(Event::WaitingForLock(path)))?;
            if let Some(last) = series.newest()? {
                if last.period_start == Some(period.start) {
                    return Err(series::SeriesError::SamePeriod {
                        dir: dir.clone(),
                        existing: last.path,
                    }
                    .into());
                }
                // Without named keys, the newest packet must verify against the key this
                // one is sealed with (as `packet --series` does without --trusted-keys).
                let (trust, source) = plan.previous_trust.take().unwrap_or_else(|| {
                    let mut trust = TrustStore::new();
                    trust.add(plan.key.verifying_key(), "the signing key");
                    (trust, PreviousTrust::SigningKey)
                });
                plan.render.previous =
                    Some(PreviousPacket::load_verified(&last.path, &trust, source)?);
            }
            plan.render.out_dir = series.folder(&render::packet_id(&snapshot, &period));
            Some(series)
        }
    };
    if let Some(prev) = &plan.render.previous
        && let Some(gap) = prev.check_follows(&period)?
    {
        on_event(Event::PeriodGap(&gap));
    }
    let dir = plan.render.out_dir.clone();
    let made = make_packet(&snapshot, plan.eval, plan.render, &plan.key)?;
    let archive = match &plan.archive {
        Some(archive) => {
            // The sealed packet stays: it is complete and verifies; only the archive is missing.
            seal::write_archive(&dir, archive).map_err(|source| PacketError::Archive {
                dir: dir.clone(),
                archive: archive.clone(),
                source: Box::new(source),
            })?;
            Some(archive.clone())
        }
        None => None,
    };
    let incomplete = collect::incomplete_kinds(&snapshot)
        .into_iter()
        .map(|(k, s, r)| (k.to_string(), s, r.to_string()))
        .collect();
    Ok(Built {
        made,
        dir,
        archive,
        incomplete,
    })
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
    eval: EvalOptions,
    mut render: RenderOptions,
    key: &SigningKey,
) -> Result<PacketMade, PipelineError> {
    // The signer and the seal time are known before rendering: the cover shows them. They
    // are always this key and `render.now`; a caller's name for the key is kept.
    let public = key.verifying_key();
    render.signer = Some(render::SignerInfo {
        key: public,
        name: render
            .signer
            .take()
            .filter(|s| s.key == public)
            .and_then(|s| s.name),
        sealed_at: render.now,
    });
    let out = render.out_dir.clone();
    if std::fs::read_dir(&out).is_ok_and(|mut d| d.next().is_some()) {
        return Err(PipelineError::OutExists { path: out });
    }
    let previous = render.previous.as_ref().and_then(|p| p.snapshot.as_ref());
    let findings = controls::evaluate_since(snapshot, &eval, previous)?;
    let io = |source| PipelineError::Io {
        path: out.clone(),
        source,
    };
    // Rendered and sealed under a temporary name (removed on failure or interrupt), and
    // renamed into place only once signed.
    let staged = staging::StagedDir::beside(&out).map_err(io)?;
    let packet = render::render_into_dir(snapshot, &findings, &render, staged.path())?;
    let seal = seal::seal_dir(
        staged.path(),
        key,
        &SealOptions {
            force: false,
            now: render.now,
        },
    )?;
    staged.commit().map_err(io)?;
    Ok(PacketMade {
        packet,
        findings,
        seal,
    })
}
