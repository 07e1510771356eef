//! The everyday pipeline: snapshot → findings → rendered folder → sealed packet, written
//! so that a packet folder appears only once it is complete and signed.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

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
    let tmp = temp_sibling(&out);
    let result = (|| {
        let opts = RenderOptions {
            out_dir: tmp.clone(),
            ..render.clone()
        };
        let packet = render::render_packet(snapshot, &findings, &opts)?;
        let seal = seal::seal_dir(
            &tmp,
            key,
            &SealOptions {
                force: false,
                now: render.now,
            },
        )?;
        if out.exists() {
            // An empty folder was checked above; replace it.
            std::fs::remove_dir(&out).map_err(|source| PipelineError::Io {
                path: out.clone(),
                source,
            })?;
        }
        std::fs::rename(&tmp, &out).map_err(|source| PipelineError::Io {
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

fn temp_sibling(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "packet".into());
    out.with_file_name(format!(".{name}.auditpack-tmp-{}", std::process::id()))
}
