//! Collection: reads a cluster's security controls into a [`Snapshot`].
//!
//! Two sources, one result shape:
//! - [`collect_live`] reads a cluster through its API (kubeconfig or in-cluster
//!   credentials): every kind of [`crate::snapshot::KINDS`], paginated, a few kinds at a
//!   time, retrying throttling and server errors, recording a kind it may not read as
//!   `forbidden` and one that keeps failing as `failed`, and carrying on;
//! - [`import_dir`] reads a folder of `kubectl get -o yaml|json` exports.
//!
//! Either way every object passes through [`redact::redact_object`] before it is added,
//! so secret material never enters a snapshot; [`add_evidence_files`] adds the
//! EncryptionConfiguration and audit Policy files, [`cloud::add_cloud_evidence`] a managed
//! cluster's cloud description. [`write_snapshot`] writes the result
//! atomically: a reader never sees a half-written snapshot, and a failed run leaves none.

use std::path::Path;

use crate::snapshot::{CollectionStatus, Snapshot};

pub mod cloud;
pub mod files;
pub mod live;
mod parse;
pub mod redact;
pub mod source;
mod tls;

pub use files::{ImportOptions, add_evidence_files, import_dir, import_dir_with_warnings};
pub use live::{LiveOptions, Progress, ProgressSink, collect_live};
pub use source::{AuditLogs, Cluster, Source, SourceError};

/// Something the user should know that did not stop collection: a kind not collected,
/// the collecting identity unknown, an empty export of unknown kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// What it is about: a kind key, a file, `identity`.
    pub subject: String,
    /// What happened, in plain words.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}

/// Errors that stop collection: no snapshot is written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CollectError {
    /// A file or folder could not be read.
    #[error("cannot read {path}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// `--from-dir` is not a folder.
    #[error(
        "{path} is not a folder: --from-dir takes the folder the kubectl exports were written to"
    )]
    NotADirectory {
        /// Path.
        path: String,
    },
    /// A file is not valid YAML or JSON.
    #[error("{path}:{line}: {message}")]
    Syntax {
        /// Path.
        path: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A document is not a Kubernetes object or list.
    #[error(
        "{path}:{line}: document is not a Kubernetes object (needs apiVersion and kind; lists need an items list): is this a `kubectl get -o yaml` export?"
    )]
    NotAnObject {
        /// Path.
        path: String,
        /// Line the document starts at.
        line: usize,
    },
    /// An input file refused by the rules of `crate::infile` (a link out of its folder,
    /// a FIFO or device, too large).
    #[error(transparent)]
    Input(#[from] crate::infile::InputError),
    /// YAML whose anchors and aliases expand past the import's bounds (an alias bomb).
    #[error(
        "{path}:{line}: {what}: refused; YAML anchors and aliases (`&a`, `*a`) can make a few kilobytes expand to gigabytes, and kubectl exports never use them: export the objects again with `kubectl get -o yaml`, or write the aliased values out in full"
    )]
    Expansion {
        /// Path.
        path: String,
        /// Line where the parse stopped.
        line: usize,
        /// Which bound, in words.
        what: String,
    },
    /// A namespaced RBAC object (Role, RoleBinding) without `metadata.namespace`: it grants
    /// only inside its namespace, and judging it cluster-wide would overstate it.
    #[error(
        "{path}:{line}: {kind} {name} has no metadata.namespace: a {kind} is namespaced and grants only inside its namespace; export it again with `kubectl get {plural} -A -o yaml` (which keeps the namespace), or add the namespace it was created in"
    )]
    NoNamespace {
        /// Path.
        path: String,
        /// Line the object's document or list item starts at.
        line: usize,
        /// `Role` or `RoleBinding`.
        kind: String,
        /// `metadata.name`.
        name: String,
        /// `roles` or `rolebindings`.
        plural: String,
    },
    /// The same object twice in an import, with different content.
    #[error(
        "{kind} {object} is in the import twice with different content, at {first} and at {second}: one of them is stale; keep only the export the packet should rest on"
    )]
    DuplicateConflict {
        /// Kind key.
        kind: String,
        /// `namespace/name`, or `name`.
        object: String,
        /// `file:line` of the first copy.
        first: String,
        /// `file:line` of the second copy.
        second: String,
    },
    /// Two evidence files of one kind (an EncryptionConfiguration given with
    /// `--encryption-config` and another in the import folder).
    #[error(
        "two {what} files: {first} and {second} ({origin}); the verdict must rest on one: remove one of them, or leave out the flag"
    )]
    TwoEvidenceFiles {
        /// Which evidence.
        what: &'static str,
        /// The one already taken.
        first: String,
        /// The second.
        second: String,
        /// Where the second came from.
        origin: &'static str,
    },
    /// An evidence file of the wrong kind.
    #[error("{path}: expected {expected}, found {found}: {hint}")]
    WrongEvidence {
        /// Path.
        path: String,
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: String,
        /// What to do.
        hint: &'static str,
    },
    /// `-n NAME` for a namespace that the cluster (or the import) does not hold: a
    /// mistyped name would otherwise give a packet of passes over nothing.
    #[error("{}", namespaces_not_found(missing, existing.as_deref(), place))]
    NoSuchNamespace {
        /// The chosen namespaces that do not exist.
        missing: Vec<String>,
        /// The namespaces that do exist, when they could be read.
        existing: Option<Vec<String>>,
        /// `the cluster` or `the import`.
        place: &'static str,
    },
    /// `-n` with a value that cannot be a namespace name.
    #[error(
        "-n {name:?}: not a namespace name: a namespace name is 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit"
    )]
    BadNamespace {
        /// The value given.
        name: String,
    },
    /// No usable client configuration (kubeconfig, context, in-cluster).
    #[error("cannot load the cluster configuration ({what}): {detail}")]
    Config {
        /// Which configuration was tried.
        what: String,
        /// What was wrong, with kube's causes.
        detail: String,
    },
    /// The API server could not be reached at all.
    #[error("cannot reach the API server at {server}: {detail}")]
    Unreachable {
        /// Server URL.
        server: String,
        /// What happened.
        detail: String,
    },
    /// The API server rejected the credentials.
    #[error(
        "the API server at {server} rejected the credentials (HTTP 401): {detail}; check the kubeconfig user or token"
    )]
    Unauthorized {
        /// Server URL.
        server: String,
        /// The server's message.
        detail: String,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    /// The snapshot could not be written.
    #[error("cannot write snapshot {path}")]
    Write {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// How many existing namespaces an error names before it says how many more there are.
const NAMESPACES_NAMED: usize = 30;

/// `namespaces "x" not found; namespaces in the cluster: a, b`, as kubectl words it.
fn namespaces_not_found(missing: &[String], existing: Option<&[String]>, place: &str) -> String {
    let missing: Vec<String> = missing.iter().map(|n| format!("{n:?}")).collect();
    let head = format!("namespaces {} not found in {place}", missing.join(", "));
    match existing {
        None => format!(
            "{head} (the namespaces could not be listed to name those that exist); check the name given with -n"
        ),
        Some([]) => format!("{head}; {place} has no namespaces"),
        Some(names) => {
            // Names come from the cluster or the export: escaped, so that a crafted name
            // cannot put terminal control characters on standard error.
            let mut shown = names
                .iter()
                .take(NAMESPACES_NAMED)
                .map(|n| n.escape_default().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            if names.len() > NAMESPACES_NAMED {
                shown.push_str(&format!(" and {} more", names.len() - NAMESPACES_NAMED));
            }
            format!("{head}; namespaces in {place}: {shown}")
        }
    }
}

/// Refuses a `-n` value that cannot name a namespace (RFC 1123 label), before it reaches
/// a request path or a filter.
pub(crate) fn check_namespace_names(names: &[String]) -> Result<(), CollectError> {
    let label = |n: &str| {
        let b = n.as_bytes();
        !b.is_empty()
            && b.len() <= 63
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
    };
    match names.iter().find(|n| !label(n)) {
        Some(n) => Err(CollectError::BadNamespace { name: n.clone() }),
        None => Ok(()),
    }
}

/// The chosen namespaces that are not among those that exist, as an error naming both.
pub(crate) fn require_namespaces(
    chosen: &[String],
    existing: &std::collections::BTreeSet<String>,
    place: &'static str,
) -> Result<(), CollectError> {
    let missing: Vec<String> = chosen
        .iter()
        .filter(|n| !existing.contains(*n))
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(CollectError::NoSuchNamespace {
        missing,
        existing: Some(existing.iter().cloned().collect()),
        place,
    })
}

/// The kinds that were meant to be read but could not be (`forbidden` or `failed`), with
/// their reasons: what makes `auditpack collect` exit 3.
pub fn incomplete_kinds(snap: &Snapshot) -> Vec<(&str, CollectionStatus, &str)> {
    snap.resources
        .iter()
        .filter(|(_, c)| {
            matches!(
                c.status,
                CollectionStatus::Forbidden | CollectionStatus::Failed
            )
        })
        .map(|(k, c)| (k.as_str(), c.status, c.reason.as_deref().unwrap_or("")))
        .collect()
}

/// Removes objects that appear twice under one kind (same namespace and name), keeping
/// the first, and warns about each.
pub(crate) fn dedup_items(snap: &mut Snapshot, warnings: &mut Vec<Warning>) {
    for (key, c) in snap.resources.iter_mut() {
        let mut seen = std::collections::HashSet::new();
        let before = c.items.len();
        c.items
            .retain(|o| seen.insert((o.namespace().to_string(), o.name().to_string())));
        if c.items.len() != before {
            warnings.push(Warning {
                subject: key.clone(),
                message: format!(
                    "{} duplicate object(s) (same namespace and name) dropped",
                    before - c.items.len()
                ),
            });
        }
    }
}

/// Writes the snapshot atomically: to a temporary file beside `path`, flushed to disk,
/// then renamed over `path`. On error the temporary file is removed and `path` is
/// untouched.
pub fn write_snapshot(snap: &Snapshot, path: &Path) -> Result<(), CollectError> {
    let err = |source| CollectError::Write {
        path: path.display().to_string(),
        source,
    };
    if path.file_name().is_none() {
        return Err(err(std::io::Error::other("the path names no file")));
    }
    crate::staging::write_file(path, |w| {
        serde_json::to_writer_pretty(&mut *w, snap)?;
        w.write_all(b"\n")
    })
    .map_err(err)?;
    Ok(())
}
