//! `auditpack collect`: flags only; the work is in [`auditpack::collect`].
//!
//! Exit codes: 0 every kind collected (or absent: its CRD is not installed, or, for
//! `--from-dir`, not in the imported files); 3 the snapshot was written but some kinds
//! could not be read (forbidden or failed, listed on stderr); 2 nothing was written
//! (unreachable server, broken kubeconfig, malformed file, I/O error).

use std::io::{IsTerminal, Write as _};

use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use auditpack::CollectionStatus;
use auditpack::{AuditLogs, Cluster, ImportOptions, LiveOptions, Source};

use super::output::{Dest, Format, Formats};

/// Where the evidence comes from: shared by `collect` and `packet`.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster credentials).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// kubeconfig context to use (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Read namespaced kinds from this namespace only; repeat for several (default: all).
    /// Cluster-scoped kinds and kube-system's control-plane pods are always read.
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespaces: Vec<String>,
    /// Name the cluster in the snapshot and packet (default: the kubeconfig's cluster name;
    /// for --from-dir there is none unless given).
    #[arg(long = "cluster-name", value_name = "NAME")]
    pub cluster_name: Option<String>,
    /// Import `kubectl get -o yaml|json` exports from this folder instead of a live cluster.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["kubeconfig", "context"])]
    pub from_dir: Option<PathBuf>,
    /// With --from-dir: follow symbolic links to files that stay inside DIR (default: any
    /// link in the folder is refused, so that nothing outside it is read).
    #[arg(long, requires = "from_dir")]
    pub follow_symlinks: bool,
    /// With --from-dir: refuse a file that is not a Kubernetes object (a Helm chart's
    /// Chart.yaml, values.yaml or template), naming it (default: skip each such file with a
    /// warning that names it).
    #[arg(long, requires = "from_dir")]
    pub strict: bool,
    /// kube-apiserver EncryptionConfiguration file (key material is removed).
    #[arg(long, value_name = "FILE")]
    pub encryption_config: Option<PathBuf>,
    /// kube-apiserver audit Policy file.
    #[arg(long, value_name = "FILE")]
    pub audit_policy: Option<PathBuf>,
    /// A managed cluster's description from its cloud (`aws eks describe-cluster`, `gcloud
    /// container clusters describe --format=json`, `az aks show`, `az monitor
    /// diagnostic-settings list`): evidence of etcd encryption and audit logging. Repeatable.
    #[arg(long = "cloud-evidence", value_name = "FILE")]
    pub cloud_evidence: Vec<PathBuf>,
    /// Kubernetes audit log files, folders or globs (plain or gzip): summarised into the
    /// snapshot as change-monitoring evidence; request and response bodies are never copied.
    #[arg(long = "audit-log", value_name = "PATH")]
    pub audit_logs: Vec<PathBuf>,
    /// Start of the audit-log period (RFC 3339 or YYYY-MM-DD; `packet` defaults to its period).
    #[arg(long, value_name = "TIME")]
    pub audit_since: Option<String>,
    /// End of the audit-log period (exclusive).
    #[arg(long, value_name = "TIME")]
    pub audit_until: Option<String>,
    /// A stretch of audit log without events longer than this is a gap (e.g. 30m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub audit_gap_threshold: String,
    /// Timeout of each API request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = parse_secs)]
    pub request_timeout: f64,
    /// Most seconds the lists of one kind may spend waiting to retry, in all (429
    /// `Retry-After`, backoff after 5xx); past it that kind is recorded `failed`.
    #[arg(long, value_name = "SECONDS", default_value_t = 120.0, value_parser = parse_secs)]
    pub retry_deadline: f64,
    /// Largest API response read, in MiB; a larger list page makes that kind `failed`.
    #[arg(long, value_name = "MIB", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    pub max_response_mib: u64,
    /// Objects per page of a list (kubectl's --chunk-size).
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub chunk_size: u32,
}

fn parse_secs(s: &str) -> Result<f64, String> {
    let s = s.strip_suffix('s').unwrap_or(s);
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("{s:?} is not a positive number of seconds")),
    }
}

/// Flags of `auditpack collect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the evidence comes from.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Snapshot file to write (atomically; nothing is written on a fatal error); `-` is
    /// standard output.
    #[arg(long, value_name = "FILE", default_value = "snapshot.json")]
    pub out: PathBuf,
    /// Format of the snapshot (JSON, the one `evaluate`, `render` and `diff` read).
    #[arg(short = 'o', long = "output", value_name = "FORMAT", default_value = "json",
          value_parser = Formats(&[Format::Json]))]
    pub output: Format,
}

impl SourceArgs {
    /// The collect stage these flags describe.
    pub fn source(&self) -> anyhow::Result<Source> {
        let cluster = match &self.from_dir {
            Some(dir) => Cluster::Files {
                dir: dir.clone(),
                options: ImportOptions {
                    namespaces: self.namespaces.clone(),
                    follow_symlinks: self.follow_symlinks,
                    strict: self.strict,
                },
            },
            None => Cluster::Live(LiveOptions {
                kubeconfig: self.kubeconfig.clone(),
                context: self.context.clone(),
                namespaces: self.namespaces.clone(),
                request_timeout: Duration::from_secs_f64(self.request_timeout),
                page_size: self.chunk_size,
                retry_deadline: Duration::from_secs_f64(self.retry_deadline),
                max_response_bytes: self.max_response_mib << 20,
                progress: std::io::stderr().is_terminal().then(super::progress::bar),
                ..LiveOptions::default()
            }),
        };
        let audit_logs = if self.audit_logs.is_empty() {
            None
        } else {
            Some(AuditLogs {
                paths: self.audit_logs.clone(),
                since: self
                    .audit_since
                    .as_deref()
                    .map(|t| auditpack::parse_audit_time(t, false))
                    .transpose()?,
                until: self
                    .audit_until
                    .as_deref()
                    .map(|t| auditpack::parse_audit_time(t, true))
                    .transpose()?,
                gap_threshold: auditpack::parse_duration(&self.audit_gap_threshold)?,
            })
        };
        Ok(Source {
            cluster,
            cluster_name: self.cluster_name.clone(),
            encryption_config: self.encryption_config.clone(),
            audit_policy: self.audit_policy.clone(),
            cloud_evidence: self.cloud_evidence.clone(),
            audit_logs,
        })
    }
}

/// Runs `auditpack collect`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (snap, warnings) = args.source.source()?.collect(None)?;
    let dest = Dest::new(&args.out);
    match &dest {
        Dest::File(path) => auditpack::write_snapshot(&snap, path)?,
        Dest::Stdout => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            serde_json::to_writer_pretty(&mut out, &snap)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.flush())
                .context("cannot write the snapshot to standard output")?;
        }
    }
    for w in &warnings {
        eprintln!("auditpack: warning: {w}");
    }
    let incomplete = auditpack::incomplete_kinds(&snap);
    let collected = snap
        .resources
        .values()
        .filter(|c| c.status == CollectionStatus::Collected)
        .count();
    let objects: usize = snap.resources.values().map(|c| c.items.len()).sum();
    eprintln!(
        "auditpack: wrote {} ({collected} kinds collected, {objects} objects, {} redactions{})",
        dest.describe(),
        snap.redactions.len(),
        if incomplete.is_empty() {
            String::new()
        } else {
            format!(", {} kinds NOT collected", incomplete.len())
        }
    );
    if incomplete.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(3))
    }
}
