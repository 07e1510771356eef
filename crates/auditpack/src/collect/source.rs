//! Where a snapshot's evidence comes from, as one value: the cluster (live or a folder of
//! exports), the evidence files given beside it, and the audit logs. [`Source::collect`]
//! is the collect stage of every command (`collect`, `packet`, `demo`).

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::{CollectError, ImportOptions, LiveOptions, Warning};
use crate::auditlog;
use crate::snapshot::{ImportedFile, Redaction, Snapshot};

/// The cluster end of a [`Source`].
#[derive(Debug, Clone)]
pub enum Cluster {
    /// A live cluster, through the kube client.
    Live(LiveOptions),
    /// A folder of `kubectl get -o yaml|json` exports.
    Files {
        /// The folder.
        dir: PathBuf,
        /// How to import it.
        options: ImportOptions,
    },
}

/// The audit logs to summarise into the snapshot.
#[derive(Debug, Clone)]
pub struct AuditLogs {
    /// Files, folders or globs (plain or gzip).
    pub paths: Vec<PathBuf>,
    /// Start of the period read (inclusive); `None`: the caller's default period.
    pub since: Option<DateTime<Utc>>,
    /// End of the period read (exclusive); `None`: the caller's default period.
    pub until: Option<DateTime<Utc>>,
    /// A stretch without events longer than this is a gap.
    pub gap_threshold: std::time::Duration,
}

/// Everything the collect stage reads.
#[derive(Debug, Clone)]
pub struct Source {
    /// The cluster.
    pub cluster: Cluster,
    /// Name the cluster in the snapshot and packet (overrides the kubeconfig's name).
    pub cluster_name: Option<String>,
    /// A kube-apiserver EncryptionConfiguration file (key material is removed).
    pub encryption_config: Option<PathBuf>,
    /// A kube-apiserver audit Policy file.
    pub audit_policy: Option<PathBuf>,
    /// A managed cluster's cloud descriptions (`aws eks describe-cluster`, `gcloud
    /// container clusters describe`, `az aks show`, `az monitor diagnostic-settings list`).
    pub cloud_evidence: Vec<PathBuf>,
    /// Audit logs, if any.
    pub audit_logs: Option<AuditLogs>,
}

/// Errors of [`Source::collect`]: nothing was collected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// Reading the cluster or an evidence file failed.
    #[error(transparent)]
    Collect(#[from] CollectError),
    /// Reading the audit logs failed.
    #[error(transparent)]
    AuditLog(#[from] auditlog::AuditLogError),
}

impl Source {
    /// A source that reads only `cluster`.
    pub fn new(cluster: Cluster) -> Self {
        Source {
            cluster,
            cluster_name: None,
            encryption_config: None,
            audit_policy: None,
            cloud_evidence: Vec::new(),
            audit_logs: None,
        }
    }

    /// Reads the cluster, adds the evidence files and summarises the audit logs over
    /// their own period, else over `default_period` (start inclusive, end exclusive: the
    /// packet's period). Returns the snapshot and the warnings for the user.
    pub fn collect(
        &self,
        default_period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<(Snapshot, Vec<Warning>), SourceError> {
        let (mut snap, warnings) = self.read_cluster()?;
        if let Some(logs) = &self.audit_logs {
            add_audit_log(&mut snap, logs, default_period)?;
        }
        Ok((snap, warnings))
    }

    /// The cluster and the evidence files, without the audit logs: for a caller whose
    /// audit-log period depends on the snapshot (the quarter it was collected in), which
    /// then calls [`Source::add_audit_logs`].
    pub fn read_cluster(&self) -> Result<(Snapshot, Vec<Warning>), SourceError> {
        let (mut snap, warnings) = match &self.cluster {
            Cluster::Files { dir, options } => super::import_dir_with_warnings(dir, options)?,
            Cluster::Live(options) => super::collect_live(options)?,
        };
        if let Some(name) = &self.cluster_name {
            snap.source.cluster = Some(name.clone());
        }
        super::add_evidence_files(
            &mut snap,
            self.encryption_config.as_deref(),
            self.audit_policy.as_deref(),
        )?;
        super::cloud::add_cloud_evidence(&mut snap, &self.cloud_evidence)?;
        Ok((snap, warnings))
    }

    /// Summarises the audit logs (if any) into `snap`: see [`Source::collect`].
    pub fn add_audit_logs(
        &self,
        snap: &mut Snapshot,
        default_period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<(), SourceError> {
        match &self.audit_logs {
            Some(logs) => add_audit_log(snap, logs, default_period),
            None => Ok(()),
        }
    }
}

fn add_audit_log(
    snap: &mut Snapshot,
    logs: &AuditLogs,
    default_period: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<(), SourceError> {
    let opts = auditlog::Options {
        since: logs.since.or(default_period.map(|p| p.0)),
        until: logs.until.or(default_period.map(|p| p.1)),
        gap_threshold: logs.gap_threshold,
        ..auditlog::Options::default()
    };
    let (summary, detail) = auditlog::summarize_with_detail(&logs.paths, &opts)?;
    for f in &summary.files {
        snap.source.files.push(ImportedFile {
            path: f.path.clone(),
            sha256: f.sha256.clone().unwrap_or_default(),
        });
    }
    snap.audit_log = Some(summary);
    snap.audit_log_detail = Some(detail);
    snap.redactions.push(Redaction {
        kind: "AuditLog".into(),
        namespace: None,
        name: "audit events".into(),
        pointer: "/requestObject, /responseObject".into(),
        reason: "audit-log request and response bodies are never copied; only who, what, when and the response code".into(),
    });
    snap.normalize();
    Ok(())
}
