//! `auditpack render`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::evaluate::EvalFlags;
use auditpack::{Period, PreviousPacket, PreviousTrust, RenderError, RenderOptions, TrustStore};

/// Flags of `auditpack render`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot JSON written by `auditpack collect`.
    pub snapshot: PathBuf,
    /// Findings JSON written by `auditpack evaluate` for this snapshot (default: evaluate
    /// the snapshot now, with --framework and --catalog).
    #[arg(long, value_name = "FINDINGS.json", conflicts_with_all = ["framework", "catalog"])]
    pub findings: Option<PathBuf>,
    /// Frameworks and catalogs (when --findings is not given).
    #[command(flatten)]
    pub eval: EvalFlags,
    /// Packet folder to create (must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// How to render.
    #[command(flatten)]
    pub render: RenderFlags,
}

/// How to render: shared by `render` and `packet`.
#[derive(Debug, Clone, clap::Args)]
pub struct RenderFlags {
    /// A namespace whose access the auditor answers list (every subject with its verbs on
    /// Secrets, pods/exec and workloads there); repeatable. Namespaces labelled
    /// `auditpack.io/sensitive=true` are listed too; when none is marked, every namespace
    /// outside kube-system, kube-public and kube-node-lease.
    #[arg(long = "sensitive-namespace", value_name = "NAME")]
    pub sensitive_namespace: Vec<String>,
    /// The previous packet (folder or .tar.gz archive), or its snapshot file: adds
    /// "changes since the previous packet" and links this packet to it.
    #[arg(long, value_name = "PACKET_OR_SNAPSHOT")]
    pub previous: Option<PathBuf>,
    /// A public key (SPKI PEM or OpenSSH .pub) trusted to have signed the previous packet,
    /// which is verified before anything is read from it; repeatable. `packet` defaults to
    /// the public half of its --key.
    #[arg(long, value_name = "PUB")]
    pub trusted_key: Vec<PathBuf>,
    /// A trusted-keys file (PEM keys with optional name / validity window) for verifying
    /// the previous packet; repeatable.
    #[arg(long, value_name = "FILE")]
    pub trusted_keys: Vec<PathBuf>,
    /// Folder of templates; each file replaces the built-in one of the same name
    /// (`packet.md`, `questions.yaml`, `style.css`).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Rendering time (RFC 3339); defaults to $SOURCE_DATE_EPOCH, else the current time.
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// Start of the reporting period (RFC 3339 or YYYY-MM-DD); default: the start of the
    /// calendar quarter containing the collection time.
    #[arg(long, value_name = "TIME", requires = "period_end")]
    pub period_start: Option<String>,
    /// End of the reporting period (RFC 3339, or YYYY-MM-DD meaning the end of that day).
    #[arg(long, value_name = "TIME", requires = "period_start")]
    pub period_end: Option<String>,
}

impl RenderFlags {
    /// The keys a previous packet is verified against: those named with `--trusted-key` /
    /// `--trusted-keys`, else the public half of `signing_key` (what `packet` seals with).
    pub fn previous_trust(
        &self,
        signing_key: Option<&ed25519_dalek::VerifyingKey>,
    ) -> anyhow::Result<Option<(TrustStore, PreviousTrust)>> {
        if self.trusted_key.is_empty() && self.trusted_keys.is_empty() {
            return Ok(signing_key.map(|k| {
                let mut trust = TrustStore::new();
                trust.add(*k, "the signing key (--key)");
                (trust, PreviousTrust::SigningKey)
            }));
        }
        let mut trust = TrustStore::new();
        for k in &self.trusted_key {
            trust.add_key_file(k)?;
        }
        for f in &self.trusted_keys {
            trust.add_trusted_keys_file(f)?;
        }
        Ok(Some((trust, PreviousTrust::TrustedKeys)))
    }

    /// Whether keys for the previous packet were named.
    pub fn names_trusted_keys(&self) -> bool {
        !self.trusted_key.is_empty() || !self.trusted_keys.is_empty()
    }

    /// Reads `--previous`: a packet folder or archive is verified first (against
    /// [`RenderFlags::previous_trust`]); a snapshot file is read as given.
    pub fn load_previous(
        &self,
        path: &std::path::Path,
        signing_key: Option<&ed25519_dalek::VerifyingKey>,
    ) -> anyhow::Result<PreviousPacket> {
        let is_packet = path.is_dir() || auditpack::is_archive_path(path);
        match self.previous_trust(signing_key)? {
            Some((trust, source)) => Ok(PreviousPacket::load_verified(path, &trust, source)?),
            None if !is_packet => Ok(PreviousPacket::load(path)?),
            None => anyhow::bail!(
                "--previous {}: the previous packet is verified before it is linked to; name the key it was signed with (--trusted-key PUB or --trusted-keys FILE)",
                path.display()
            ),
        }
    }

    /// Validated render options for an output folder. `signing_key` is the key the packet
    /// will be sealed with, when known: the default trust for `--previous`.
    pub fn options(
        &self,
        out: PathBuf,
        signing_key: Option<&ed25519_dalek::VerifyingKey>,
    ) -> anyhow::Result<RenderOptions> {
        let env_epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
        let now = auditpack::resolve_now(self.now.as_deref(), env_epoch.as_deref())?;
        let period = match (&self.period_start, &self.period_end) {
            (Some(s), Some(e)) => Some(
                Period::from_flags(s, e).map_err(|e| RenderError::BadTime { value: e.value })?,
            ),
            _ => None,
        };
        let previous = self
            .previous
            .as_deref()
            .map(|p| self.load_previous(p, signing_key))
            .transpose()?;
        Ok(RenderOptions {
            templates_dir: self.templates.clone(),
            period,
            previous,
            sensitive_namespaces: self.sensitive_namespace.clone(),
            ..RenderOptions::new(out, now)
        })
    }
}

/// Runs `auditpack render`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Findings first: its file text is freed before the (larger) snapshot is parsed, which
    // keeps the two texts from being resident together with the parsed documents.
    let given = args
        .findings
        .as_deref()
        .map(auditpack::read_findings)
        .transpose()?;
    if args.render.names_trusted_keys() && args.render.previous.is_none() {
        anyhow::bail!(
            "--trusted-key/--trusted-keys verify the previous packet: give --previous too"
        );
    }
    let snapshot = auditpack::Snapshot::read(&args.snapshot)?;
    let opts = args.render.options(args.out.clone(), None)?;
    if let Some(period) = &opts.period {
        super::warn_outside_period(period, snapshot.collected_at);
    }
    if let Some(prev) = &opts.previous {
        let period = opts
            .period
            .unwrap_or_else(|| Period::quarter_containing(snapshot.collected_at));
        if let Some(gap) = prev.check_follows(&period)? {
            eprintln!(
                "auditpack: warning: no packet covers {} to {}, between the previous packet and this one; a chain will report it as period-gap",
                gap.start, gap.end
            );
        }
    }
    let findings = match given {
        Some(f) => f,
        None => {
            let previous = opts.previous.as_ref().and_then(|p| p.snapshot.as_ref());
            auditpack::evaluate_since(&snapshot, &args.eval.options(None)?, previous)?
        }
    };
    let packet = auditpack::render_packet(&snapshot, &findings, &opts)?;
    println!(
        "rendered packet {} ({} files) into {}",
        packet.id,
        packet.files.len(),
        opts.out_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
