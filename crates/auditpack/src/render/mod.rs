//! The audit packet: Markdown and HTML rendering, the control matrix, auditor answers,
//! the evidence folder and OSCAL assessment results.
//!
//! [`render_files`] turns a [`Snapshot`] and its [`Findings`] into the packet's files in
//! memory; [`render_packet`] does the same and writes each file as it is rendered into a
//! temporary sibling folder that is renamed into place, so a half-written packet never
//! appears.
//!
//! The Markdown (`packet.md`) is the source: it comes from Tera templates embedded in the
//! binary (overridable per file with a templates folder), and `index.html` is made from it
//! with pulldown-cmark. Every value taken from the cluster passes through a Markdown
//! escape (Tera's autoescape for `.md` templates), and raw HTML is never passed through to
//! the page, so an object name cannot inject markup.
//!
//! Rendering is deterministic: the same snapshot, findings and options (including
//! [`RenderOptions::now`]) give byte-identical files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::findings::Findings;
use crate::snapshot::Snapshot;

mod context;
mod escape;
mod evidence;
mod html;
mod matrix;
mod oscal;
mod questions;
#[doc(hidden)]
#[cfg(any(test, feature = "internals"))]
pub mod sample;
mod sections;
mod svg;
mod templates;

pub use questions::{Question, load_questions};
#[cfg(any(test, feature = "internals"))]
pub use sections::checks::MAX_LISTED;
pub use templates::BUILTIN_FILES;

/// The built-in template files, by name: `packet.md`, each section's fragment
/// (`section-<name>.md`), `questions.yaml` and `style.css`. Any file of the same name in
/// `--templates DIR` replaces one of these; other files there are added (for
/// `{% include %}`).
pub fn builtin_templates() -> Vec<(String, String)> {
    let mut files = sections::builtin_templates();
    files.extend(
        BUILTIN_FILES
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string())),
    );
    files
}

pub use crate::model::Period;

/// The packet this one follows (for the chain and the "changes since" section).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreviousPacket {
    /// Where it was read from.
    pub path: Option<PathBuf>,
    /// Its packet id, when known (read from its `packet.json`).
    pub id: Option<String>,
    /// Lowercase hex SHA-256 of its `SHA256SUMS`, when it was sealed.
    pub manifest_sha256: Option<String>,
    /// Its reporting period, from its `packet.json`.
    pub period: Option<Period>,
    /// Who verified it before this packet linked to it ([`PreviousPacket::load_verified`]);
    /// written into `packet.json` `previous.verification`.
    pub verification: Option<PreviousVerification>,
    /// Its snapshot, to compare access and objects with.
    pub snapshot: Option<Snapshot>,
    /// Its findings, to compare statuses and the access review with.
    pub findings: Option<Findings>,
}

/// How a previous packet was verified before a new packet linked to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousVerification {
    /// The key id whose signature over its `SHA256SUMS` verified.
    pub signer_key_id: String,
    /// That key's name in the trusted-keys file, if it has one.
    pub signer_name: Option<String>,
    /// Where the trust in that key came from.
    pub trust: PreviousTrust,
}

/// Which keys a previous packet is verified against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviousTrust {
    /// The public half of the key the new packet is sealed with (`packet --key`).
    SigningKey,
    /// Keys the user named (`--trusted-key`, `--trusted-keys`).
    TrustedKeys,
}

impl PreviousTrust {
    /// The id written into `packet.json`: `signing-key` or `trusted-keys`.
    pub fn id(self) -> &'static str {
        match self {
            PreviousTrust::SigningKey => "signing-key",
            PreviousTrust::TrustedKeys => "trusted-keys",
        }
    }
}

/// How many failures a [`RenderError::PreviousNotVerified`] message names.
const LISTED_FAILURES: usize = 8;

/// Whether `path` is a packet archive (`.tar.gz`, `.tgz` file) by its name.
pub fn is_archive_path(path: &Path) -> bool {
    path.is_file()
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".tar.gz") || n.ends_with(".tgz"))
}

impl PreviousPacket {
    /// Verifies a previous packet folder or archive against `trust` and only then reads it
    /// (see [`PreviousPacket::load`]): a packet that does not verify is refused
    /// ([`RenderError::PreviousNotVerified`]), so a tampered predecessor can never change
    /// what "changes since" says or what the new packet links to. The files read are
    /// checked against the verified manifest. A snapshot file (not a packet) carries no
    /// signature: it is read as given and linked to nothing.
    pub fn load_verified(
        path: &Path,
        trust: &crate::seal::TrustStore,
        source: PreviousTrust,
    ) -> Result<PreviousPacket, RenderError> {
        let previous = |message: String| RenderError::Previous {
            path: path.to_path_buf(),
            message,
        };
        if path.is_file() && !is_archive_path(path) {
            return Self::load(path);
        }
        let report =
            crate::seal::verify_path(path, trust).map_err(|e| previous(format!("{e:#}")))?;
        let (Some(_), Some(key_id), Some(manifest)) = (
            report.verified.as_ref(),
            report.signer_key_id.clone(),
            report.manifest_sha256.clone(),
        ) else {
            let shown: Vec<String> = report
                .failures
                .iter()
                .take(LISTED_FAILURES)
                .map(|f| {
                    if f.path.is_empty() {
                        format!("{}: {}", f.rule, f.detail)
                    } else {
                        format!("{} {}: {}", f.rule, f.path, f.detail)
                    }
                })
                .collect();
            let more = report.failures.len().saturating_sub(LISTED_FAILURES);
            return Err(RenderError::PreviousNotVerified {
                path: path.to_path_buf(),
                trust: match source {
                    PreviousTrust::SigningKey => {
                        "the public half of the signing key (--key)".into()
                    }
                    PreviousTrust::TrustedKeys => {
                        "the keys given with --trusted-key/--trusted-keys".into()
                    }
                },
                failures: format!(
                    "{}{}",
                    shown.join("; "),
                    if more > 0 {
                        format!("; and {more} more")
                    } else {
                        String::new()
                    }
                ),
            });
        };
        let mut prev = Self::load(path)?;
        // The bytes read must be the bytes verified (nothing swapped in between).
        if prev.manifest_sha256.as_deref() != Some(manifest.as_str()) {
            return Err(previous(
                "SHA256SUMS changed between verifying and reading the packet".into(),
            ));
        }
        prev.verification = Some(PreviousVerification {
            signer_key_id: key_id,
            signer_name: report.signer_name.clone(),
            trust: source,
        });
        Ok(prev)
    }

    /// Checks that a packet for `period` may follow this one in a chain: this one's period
    /// must end before (or where) `period` starts — the `period-overlap` rule of
    /// `verify --chain`. Returns the uncovered time between them (from the previous end to
    /// the new start), if any: a chain would report it as `period-gap`.
    pub fn check_follows(&self, period: &Period) -> Result<Option<Period>, RenderError> {
        let Some(prev) = self.period else {
            return Ok(None);
        };
        if period.start < prev.last() {
            return Err(RenderError::PreviousOverlaps {
                path: self.path.clone().unwrap_or_default(),
                previous: format!("{} to {}", ts(prev.start), ts(prev.last())),
                period: format!("{} to {}", ts(period.start), ts(period.last())),
            });
        }
        if period.start > prev.end {
            return Ok(Some(Period {
                start: prev.end,
                end: period.start,
            }));
        }
        Ok(None)
    }

    /// Reads a previous packet folder or archive (`packet.json`, `SHA256SUMS`,
    /// `evidence/snapshot.json`, `findings.json`, each used when present, read through
    /// [`crate::seal::PacketSource`]) or a snapshot file.
    pub fn load(path: &Path) -> Result<PreviousPacket, RenderError> {
        let previous = |message: String| RenderError::Previous {
            path: path.to_path_buf(),
            message,
        };
        if path.is_file() && !is_archive_path(path) {
            let snapshot = Snapshot::read(path).map_err(|e| previous(format!("{e:#}")))?;
            return Ok(PreviousPacket {
                path: Some(path.to_path_buf()),
                snapshot: Some(snapshot),
                ..PreviousPacket::default()
            });
        }
        if !path.is_dir() && !is_archive_path(path) {
            return Err(previous(
                "neither a snapshot file, a packet folder nor a packet archive".into(),
            ));
        }
        let source = crate::seal::PacketSource::read(path, crate::seal::Contents::WithEvidence)
            .map_err(|e| match e {
                crate::seal::VerifyError::Io { path, source }
                | crate::seal::VerifyError::Open { path, source } => {
                    RenderError::Io { path, source }
                }
                other => previous(other.to_string()),
            })?;
        Self::from_source(&source)
    }

    /// The previous packet a [`crate::seal::PacketSource`] holds: its files checked
    /// against its manifest, then read through their types.
    pub fn from_source(source: &crate::seal::PacketSource) -> Result<PreviousPacket, RenderError> {
        use crate::seal::{FINDINGS_JSON, PACKET_JSON, SNAPSHOT_JSON};
        let previous = |message: String| RenderError::Previous {
            path: source.path.clone(),
            message,
        };
        let mut prev = PreviousPacket {
            path: Some(source.path.clone()),
            manifest_sha256: source.manifest_sha256(),
            ..PreviousPacket::default()
        };
        if let Some(sums) = &source.manifest {
            check_read_against_manifest(
                sums,
                &[
                    (PACKET_JSON, source.packet_json.as_deref()),
                    (SNAPSHOT_JSON, source.snapshot.as_deref()),
                    (FINDINGS_JSON, source.findings.as_deref()),
                ],
            )
            .map_err(previous)?;
        }
        if let Some(meta) = source
            .packet_meta()
            .map_err(|e| previous(format!("packet.json is refused: {}", source_text(&e))))?
        {
            prev.id = meta.id;
            prev.period = meta.period;
        }
        if let Some(bytes) = &source.snapshot {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| previous("evidence/snapshot.json is not UTF-8".into()))?;
            prev.snapshot = Some(
                Snapshot::from_json(text)
                    .map_err(|e| previous(format!("evidence/snapshot.json: {e:#}")))?,
            );
        }
        if let Some(bytes) = &source.findings {
            prev.findings =
                Some(serde_json::from_slice(bytes).map_err(|e| {
                    previous(format!("findings.json is not a findings document: {e}"))
                })?);
        }
        if prev.id.is_none() && prev.snapshot.is_none() {
            return Err(previous(
                "no packet.json and no evidence/snapshot.json: is it a packet?".into(),
            ));
        }
        Ok(prev)
    }
}

/// The cause of an error, for a message that names it once.
fn source_text(e: &dyn std::error::Error) -> String {
    e.source().map_or_else(|| e.to_string(), |s| s.to_string())
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Each file read from a sealed packet must have the digest its manifest lists: what a
/// verified manifest vouches for is exactly what is used.
fn check_read_against_manifest(sums: &[u8], files: &[(&str, Option<&[u8]>)]) -> Result<(), String> {
    use sha2::Digest;
    let listed: BTreeMap<String, [u8; 32]> = crate::seal::manifest::parse(sums)
        .entries
        .into_iter()
        .map(|e| (e.path, e.sha256))
        .collect();
    for (name, bytes) in files {
        let Some(bytes) = bytes else { continue };
        if let Some(want) = listed.get(*name)
            && <[u8; 32]>::from(sha2::Sha256::digest(bytes)) != *want
        {
            return Err(format!(
                "{name} does not match its SHA256SUMS line: the packet changed while it was read"
            ));
        }
    }
    Ok(())
}

/// How to render a packet.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Folder to create (must not exist, or be empty).
    pub out_dir: PathBuf,
    /// A folder whose files replace the built-in templates of the same name.
    pub templates_dir: Option<PathBuf>,
    /// Rendering time, written as `renderedAt` (from `--now` or `SOURCE_DATE_EPOCH`).
    pub now: DateTime<Utc>,
    /// Reporting period; `None` means the calendar quarter containing the collection time.
    pub period: Option<Period>,
    /// The packet this one follows.
    pub previous: Option<PreviousPacket>,
    /// Changes since the previous packet, when the caller computed them with
    /// `crate::history::changes()`; otherwise they are computed from
    /// [`RenderOptions::previous`].
    pub changes: Option<crate::history::Changes>,
    /// Who will seal the packet and when, when the caller knows before rendering (as
    /// `crate::packet::make_packet` does): the cover shows them and the verify recipe
    /// checks the fingerprint. `None` (`render` alone): the packet says it is unsigned
    /// until sealed.
    pub signer: Option<SignerInfo>,
    /// Namespaces whose access the auditor answers list (`--sensitive-namespace`), with
    /// those labelled `auditpack.io/sensitive=true`; when none is marked, every namespace
    /// outside the system namespaces.
    pub sensitive_namespaces: Vec<String>,
}

/// The signer of a packet about to be sealed, as its cover shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignerInfo {
    /// The public key that will sign `SHA256SUMS`.
    pub key: ed25519_dalek::VerifyingKey,
    /// The key's name, if it has one (the key file's name, e.g. `signer` for
    /// `signer.key.pem`).
    pub name: Option<String>,
    /// The seal time (`sealedAt`).
    pub sealed_at: DateTime<Utc>,
}

impl RenderOptions {
    /// Options with defaults: built-in templates, quarter period, no previous packet.
    pub fn new(out_dir: impl Into<PathBuf>, now: DateTime<Utc>) -> Self {
        RenderOptions {
            out_dir: out_dir.into(),
            templates_dir: None,
            now,
            period: None,
            previous: None,
            changes: None,
            signer: None,
            sensitive_namespaces: Vec::new(),
        }
    }
}

/// A rendered packet: its id, its period and the paths of its files.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedPacket {
    /// Packet id (`ap-<cluster>-<period>-<8 hex>`).
    pub id: String,
    /// The reporting period.
    pub period: Period,
    /// Every file, by path relative to the packet folder (`/`-separated), sorted.
    pub files: Vec<String>,
}

/// Errors while rendering a packet.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A template did not parse or failed to render.
    #[error(
        "template {name}: {message} (fix the template, or remove it from --templates to use the built-in one)"
    )]
    Template {
        /// Template name.
        name: String,
        /// Tera's message with its causes.
        message: String,
    },
    /// `questions.yaml` is not valid.
    #[error("questions file {name}: {message}")]
    Questions {
        /// File name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("cannot access {}", path.display())]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The output folder exists and is not empty.
    #[error("output folder {} exists and is not empty: choose a new folder", path.display())]
    OutDirNotEmpty {
        /// Path.
        path: PathBuf,
    },
    /// The previous packet could not be read.
    #[error("previous packet {}: {message}", path.display())]
    Previous {
        /// Path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The previous packet does not verify against the trusted keys.
    #[error(
        "previous packet {} does not verify against {trust}: {failures}. Refusing to link to it or to report changes since it: check it with `auditpack verify`, or name the key it was signed with (--trusted-key PUB, --trusted-keys FILE)",
        path.display()
    )]
    PreviousNotVerified {
        /// Path.
        path: PathBuf,
        /// Which keys it was checked against.
        trust: String,
        /// The failures (rule, file, detail), the first few.
        failures: String,
    },
    /// The previous packet's period overlaps this one: the chain could never verify.
    #[error(
        "previous packet {} covers {previous}, which overlaps this packet's period {period}: a chain of the two would never verify (period-overlap). Give the packet that comes before this period, or set --period-start at or after the previous period's end",
        path.display()
    )]
    PreviousOverlaps {
        /// Path of the previous packet.
        path: PathBuf,
        /// Its period.
        previous: String,
        /// This packet's period.
        period: String,
    },
    /// The period is empty or reversed.
    #[error("period start {start} is after its end {end}: give --period-start before --period-end")]
    BadPeriod {
        /// Start.
        start: String,
        /// End.
        end: String,
    },
    /// An input file is not what it should be.
    #[error("{}: {message}", path.display())]
    Input {
        /// Path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The findings were evaluated from another snapshot.
    #[error(
        "the findings were evaluated from a snapshot collected at {findings_collected_at}, but this snapshot was collected at {snapshot_collected_at}: run `auditpack evaluate` on this snapshot"
    )]
    FindingsMismatch {
        /// `snapshotCollectedAt` of the findings.
        findings_collected_at: String,
        /// `collectedAt` of the snapshot.
        snapshot_collected_at: String,
    },
    /// A time could not be parsed.
    #[error(
        "cannot read time {value:?}: give RFC 3339 (2026-10-01T00:00:00Z) or a date (2026-10-01)"
    )]
    BadTime {
        /// The value given.
        value: String,
    },
    /// A document could not be serialized (YAML/CSV/JSON).
    #[error("cannot serialize {what}: {message}")]
    Serialize {
        /// Which output.
        what: String,
        /// Cause.
        message: String,
    },
}

/// Reads a findings file written by `auditpack evaluate`.
pub fn read_findings(path: &Path) -> Result<Findings, RenderError> {
    let text = std::fs::read_to_string(path).map_err(|e| RenderError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let f: Findings = serde_json::from_str(&text).map_err(|e| RenderError::Input {
        path: path.to_path_buf(),
        message: format!(
            "not a findings document (line {}, column {}): {e}; give the file written by `auditpack evaluate`",
            e.line(),
            e.column()
        ),
    })?;
    if f.kind != "Findings" || f.api_version != crate::snapshot::API_VERSION {
        return Err(RenderError::Input {
            path: path.to_path_buf(),
            message: format!(
                "expected apiVersion auditpack/v1 kind Findings, found {} {}",
                f.api_version, f.kind
            ),
        });
    }
    Ok(f)
}

/// The rendering time: `--now` if given, else `SOURCE_DATE_EPOCH` (seconds since the
/// epoch), else the current time (whole seconds).
pub fn resolve_now(
    flag: Option<&str>,
    source_date_epoch: Option<&str>,
) -> Result<DateTime<Utc>, RenderError> {
    if let Some(f) = flag {
        return crate::model::period::parse_start(f)
            .map_err(|e| RenderError::BadTime { value: e.value });
    }
    if let Some(e) = source_date_epoch.filter(|e| !e.trim().is_empty()) {
        let secs: i64 = e.trim().parse().map_err(|_| RenderError::BadTime {
            value: format!("SOURCE_DATE_EPOCH={e}"),
        })?;
        return DateTime::from_timestamp(secs, 0).ok_or(RenderError::BadTime {
            value: format!("SOURCE_DATE_EPOCH={e}"),
        });
    }
    let now = Utc::now();
    Ok(DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now))
}

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// The packet id: `ap-<cluster>-<period label>-<first 8 hex of sha256(cluster, period,
/// snapshot digest)>`, where the snapshot digest is the SHA-256 of `evidence/snapshot.json`.
pub fn packet_id(snapshot: &Snapshot, period: &Period) -> String {
    // Hashed as it is serialized: a large snapshot is never held as one string.
    let digest = json_sha256(snapshot).expect("a snapshot serializes to JSON");
    packet_id_for(snapshot, period, &digest)
}

fn packet_id_for(snapshot: &Snapshot, period: &Period, snapshot_sha256: &str) -> String {
    let cluster = sections::cover::cluster_name(snapshot);
    let seed = format!(
        "{cluster}\n{}\n{}\n{snapshot_sha256}",
        period.start.to_rfc3339(),
        period.last().to_rfc3339()
    );
    let h = sha256_hex(seed.as_bytes());
    format!(
        "ap-{}-{}-{}",
        escape::slug(&cluster),
        period.label(),
        &h[..8]
    )
}

/// Renders every file of the packet in memory: the summary and the files (relative path →
/// bytes).
pub fn render_files(
    snapshot: &Snapshot,
    findings: &Findings,
    opts: &RenderOptions,
) -> Result<(RenderedPacket, BTreeMap<String, Vec<u8>>), RenderError> {
    let mut files = BTreeMap::new();
    let packet = render_into(snapshot, findings, opts, &mut |path, payload| {
        files.insert(path, payload.into_bytes()?);
        Ok(())
    })?;
    Ok((packet, files))
}

/// Renders every file and hands each to `emit` as soon as it is ready, so that a large
/// packet is never held in memory whole.
fn render_into(
    snapshot: &Snapshot,
    findings: &Findings,
    opts: &RenderOptions,
    emit: &mut dyn FnMut(String, Payload) -> Result<(), RenderError>,
) -> Result<RenderedPacket, RenderError> {
    let period = checked_period(snapshot, findings, opts)?;
    let tpl =
        templates::Templates::load(sections::builtin_templates(), opts.templates_dir.as_deref())?;
    let questions = load_questions(&tpl)?;
    let mut paths: Vec<String> = Vec::new();
    let mut emit_path = |path: &str, payload: Payload| {
        paths.push(path.to_string());
        emit(path.to_string(), payload)
    };
    // The two large documents are handed over as documents, so that the writer on disk
    // streams them instead of holding a second copy as bytes.
    let snapshot_sha256 = json_sha256(snapshot)?;
    emit_path("evidence/snapshot.json", Payload::Snapshot(snapshot))?;
    emit_path("findings.json", Payload::Findings(findings))?;
    let mut put = |path: &str, bytes: Vec<u8>| emit_path(path, Payload::Bytes(bytes));
    let id = packet_id_for(snapshot, &period, &snapshot_sha256);
    evidence::evidence_files(snapshot, &mut |name, bytes| {
        put(&format!("evidence/{name}"), bytes)
    })?;
    let packet = Packet {
        id: &id,
        snapshot_sha256: &snapshot_sha256,
        period: &period,
    };
    let ctx = build_context(snapshot, findings, opts, &packet)?;
    put_documents(
        ctx,
        snapshot,
        findings,
        (&tpl, &questions),
        &opts.sensitive_namespaces,
        &mut put,
    )?;
    paths.sort();
    Ok(RenderedPacket {
        id,
        period,
        files: paths,
    })
}

/// The period the packet covers (the collection time's quarter unless given), checked
/// against the findings and the previous packet.
fn checked_period(
    snapshot: &Snapshot,
    findings: &Findings,
    opts: &RenderOptions,
) -> Result<Period, RenderError> {
    let period = opts
        .period
        .unwrap_or_else(|| Period::quarter_containing(snapshot.collected_at));
    if period.start > period.last() {
        return Err(RenderError::BadPeriod {
            start: period.start.to_rfc3339(),
            end: period.last().to_rfc3339(),
        });
    }
    check_findings_match(snapshot, findings)?;
    if let Some(prev) = &opts.previous {
        prev.check_follows(&period)?;
    }
    Ok(period)
}

/// What names the packet being rendered.
struct Packet<'a> {
    id: &'a str,
    snapshot_sha256: &'a str,
    period: &'a Period,
}

/// The template context, with the changes since the previous packet (computed here
/// unless the caller gave them).
fn build_context(
    snapshot: &Snapshot,
    findings: &Findings,
    opts: &RenderOptions,
    packet: &Packet,
) -> Result<context::Context, RenderError> {
    let index = evidence::ObjectIndex::new(snapshot);
    let computed;
    let changes = match (&opts.changes, &opts.previous) {
        (Some(c), _) => Some(c),
        (None, Some(prev)) => {
            let now = crate::history::Evidence {
                snapshot: Some(snapshot),
                findings: Some(findings),
            };
            computed = crate::history::changes(&sections::changes::previous_evidence(prev), &now);
            Some(&computed)
        }
        (None, None) => None,
    };
    context::build(sections::Inputs {
        snapshot,
        findings,
        index: &index,
        id: packet.id,
        snapshot_sha256: packet.snapshot_sha256,
        period: packet.period,
        now: opts.now,
        previous: opts.previous.as_ref(),
        changes,
        signer: opts.signer.as_ref(),
    })
}

/// Writes one packet file (path relative to the packet, bytes).
type Put<'a> = dyn FnMut(&str, Vec<u8>) -> Result<(), RenderError> + 'a;

/// The documents made from the context: the control matrix, OSCAL, `packet.json`,
/// `packet.md` and `index.html`. Each large value is dropped once written.
fn put_documents(
    ctx: context::Context,
    snapshot: &Snapshot,
    findings: &Findings,
    (tpl, questions): (&templates::Templates, &[Question]),
    sensitive_namespaces: &[String],
    put: &mut Put,
) -> Result<(), RenderError> {
    let m = matrix::Matrix::build(findings, &ctx);
    put("control-matrix.csv", m.to_csv()?)?;
    put("control-matrix.json", json_bytes(&m.to_json())?)?;
    let ar = oscal::assessment_results(snapshot, findings, &ctx);
    put("oscal/assessment-results.json", json_bytes(&ar)?)?;
    drop(ar);
    put("packet.json", json_bytes(&ctx.packet_json())?)?;
    let sensitive = sections::answers::namespace_access(snapshot, sensitive_namespaces);
    let answers = sections::answers::build(
        tpl,
        questions,
        &ctx.checks,
        &ctx.packet,
        &ctx.access_review,
        sensitive.as_deref(),
    )?;
    let markdown = packet_markdown(tpl, &ctx, &answers)?;
    drop(answers);
    let title = format!("Audit packet {} — {}", ctx.packet.id, ctx.packet.cluster);
    let chart = svg::summary_svg(&ctx.summary, &ctx.frameworks);
    drop(ctx);
    let html = html::to_page(&markdown, &title, &tpl.css()?, &chart);
    put("packet.md", markdown.into_bytes())?;
    put("index.html", html.into_bytes())
}

/// Renders `packet.md`: the context and the answers, blank lines tidied.
fn packet_markdown(
    tpl: &templates::Templates,
    ctx: &context::Context,
    answers: &[sections::answers::Answer],
) -> Result<String, RenderError> {
    #[derive(Serialize)]
    struct Full<'a> {
        #[serde(flatten)]
        ctx: &'a context::Context,
        answers: &'a [sections::answers::Answer],
    }
    let out = tpl.render("packet.md", &Full { ctx, answers })?;
    Ok(templates::tidy_blank_lines(&out))
}

/// Renders the packet and writes it into `opts.out_dir`, which must not exist or be empty.
/// Each file is written as soon as it is rendered, into a temporary sibling folder that is
/// renamed into place when the packet is complete (and removed on error).
pub fn render_packet(
    snapshot: &Snapshot,
    findings: &Findings,
    opts: &RenderOptions,
) -> Result<RenderedPacket, RenderError> {
    let out = opts.out_dir.as_path();
    check_out_dir(out)?;
    let io = |p: &Path, e: std::io::Error| RenderError::Io {
        path: p.to_path_buf(),
        source: e,
    };
    // Removed if this run fails or is interrupted; a killed run's leftover is swept.
    let staged = crate::staging::StagedDir::beside(out).map_err(|e| io(out, e))?;
    let packet = render_into_dir(snapshot, findings, opts, staged.path())?;
    check_out_dir(out)?;
    staged.commit().map_err(|e| io(out, e))?;
    Ok(packet)
}

/// Renders the packet's files into `dir`, an empty folder the caller stages (and renames
/// into place): for a caller that seals the packet before it appears ([`crate::packet`]).
/// `opts.out_dir` is not used.
pub fn render_into_dir(
    snapshot: &Snapshot,
    findings: &Findings,
    opts: &RenderOptions,
    dir: &Path,
) -> Result<RenderedPacket, RenderError> {
    let io = |p: &Path, e: std::io::Error| RenderError::Io {
        path: p.to_path_buf(),
        source: e,
    };
    render_into(snapshot, findings, opts, &mut |rel, payload| {
        let p = dir.join(&rel);
        // Created with the interrupt cleanup held off: nothing appears after it ran.
        let file = crate::cleanup::hold(|| {
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(|e| io(d, e))?;
            }
            std::fs::File::create(&p).map_err(|e| io(&p, e))
        })?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        payload.write_to(&mut w).map_err(|e| io(&p, e))?;
        std::io::Write::flush(&mut w).map_err(|e| io(&p, e))
    })
}

/// Findings carry the collection time of the snapshot they were evaluated from: a packet
/// must not pair a snapshot with another snapshot's findings. Compared to the second, so
/// that a writer that drops fractions of a second still matches.
fn check_findings_match(snapshot: &Snapshot, findings: &Findings) -> Result<(), RenderError> {
    let same = DateTime::parse_from_rfc3339(&findings.snapshot_collected_at)
        .is_ok_and(|t| t.timestamp() == snapshot.collected_at.timestamp());
    if same {
        Ok(())
    } else {
        Err(RenderError::FindingsMismatch {
            findings_collected_at: findings.snapshot_collected_at.clone(),
            snapshot_collected_at: snapshot
                .collected_at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        })
    }
}

fn check_out_dir(out: &Path) -> Result<(), RenderError> {
    if out.exists() {
        let mut rd = std::fs::read_dir(out).map_err(|e| RenderError::Io {
            path: out.to_path_buf(),
            source: e,
        })?;
        if rd.next().is_some() {
            return Err(RenderError::OutDirNotEmpty {
                path: out.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// What one packet file holds: its bytes, or one of the two large documents, written as
/// pretty JSON with a trailing newline (byte for byte what `Snapshot::to_json` gives).
enum Payload<'a> {
    Bytes(Vec<u8>),
    Snapshot(&'a Snapshot),
    Findings(&'a Findings),
}

impl Payload<'_> {
    fn into_bytes(self) -> Result<Vec<u8>, RenderError> {
        match self {
            Payload::Bytes(b) => Ok(b),
            Payload::Snapshot(s) => json_bytes(s),
            Payload::Findings(f) => json_bytes(f),
        }
    }

    fn write_to(self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let json = |w: &mut dyn std::io::Write, v: &dyn erased::Json| -> std::io::Result<()> {
            v.write_pretty(w)?;
            w.write_all(b"\n")
        };
        match self {
            Payload::Bytes(b) => w.write_all(&b),
            Payload::Snapshot(s) => json(w, s),
            Payload::Findings(f) => json(w, f),
        }
    }
}

mod erased {
    /// Pretty JSON to any writer, for the two document types (object-safe).
    pub trait Json {
        fn write_pretty(&self, w: &mut dyn std::io::Write) -> std::io::Result<()>;
    }
    impl<T: serde::Serialize> Json for T {
        fn write_pretty(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
            serde_json::to_writer_pretty(w, self).map_err(std::io::Error::other)
        }
    }
}

/// SHA-256 (hex) of a document's pretty JSON and trailing newline, without building it.
fn json_sha256<T: Serialize>(v: &T) -> Result<String, RenderError> {
    use sha2::{Digest, Sha256};
    struct Hash(Sha256);
    impl std::io::Write for Hash {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = Hash(Sha256::new());
    serde_json::to_writer_pretty(std::io::BufWriter::with_capacity(1 << 16, &mut h), v).map_err(
        |e| RenderError::Serialize {
            what: "JSON".into(),
            message: e.to_string(),
        },
    )?;
    h.0.update(b"\n");
    Ok(hex::encode(h.0.finalize()))
}

/// Pretty JSON with a trailing newline, in a buffer of exactly its size. Serialising is done
/// twice (once only to count): growing a buffer by doubling would hold up to three times a
/// large document (the old buffer, the new one, and its spare half) and set the peak memory
/// of rendering a large cluster.
fn json_bytes<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>, RenderError> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let err = |e: serde_json::Error| RenderError::Serialize {
        what: "JSON".into(),
        message: e.to_string(),
    };
    let mut count = Count(0);
    serde_json::to_writer_pretty(&mut count, v).map_err(err)?;
    let mut out = Vec::with_capacity(count.0 + 1);
    serde_json::to_writer_pretty(&mut out, v).map_err(err)?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn now_comes_from_the_flag_then_source_date_epoch() {
        assert_eq!(
            resolve_now(Some("2026-12-01T12:00:00Z"), Some("0")).unwrap(),
            t("2026-12-01T12:00:00Z")
        );
        assert_eq!(
            resolve_now(None, Some("1764590400")).unwrap(),
            t("2025-12-01T12:00:00Z")
        );
        assert!(resolve_now(None, Some("soon")).is_err());
        assert!(resolve_now(Some("yesterday"), None).is_err());
    }
}
