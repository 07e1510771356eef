//! `auditpack archive`: to a local file (`--out`) or to S3 object storage (`--to`).

use std::path::PathBuf;
use std::process::ExitCode;

use auditpack::write_archive;

/// Object Lock modes of `--lock-mode`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LockModeArg {
    /// Nobody can shorten or remove the retention, not even the account root.
    Compliance,
    /// Users allowed to bypass governance retention can remove it.
    Governance,
}

/// Flags of `auditpack archive`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("dest").required(true).args(["out", "to"])))]
pub struct Args {
    /// The sealed packet folder.
    pub dir: PathBuf,
    /// The archive to write (FILE.tar.gz); the index goes to FILE.tar.gz.json.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Upload to S3-compatible object storage instead: s3://BUCKET/PREFIX/ receives
    /// PREFIX/PACKET-ID.tar.gz and PREFIX/PACKET-ID.tar.gz.json, never overwriting.
    /// Credentials and region come from the AWS default chain (AWS_ACCESS_KEY_ID,
    /// AWS_PROFILE, web identity in a Pod, …).
    #[arg(long, value_name = "s3://BUCKET/PREFIX/")]
    pub to: Option<String>,
    /// The S3 endpoint (default: AWS_ENDPOINT_URL, else AWS); turns on path-style
    /// addressing, as local servers need.
    #[arg(long, value_name = "URL", requires = "to")]
    pub endpoint_url: Option<String>,
    /// The region (default: AWS_REGION or the profile's, else us-east-1).
    #[arg(long, requires = "to")]
    pub region: Option<String>,
    /// Object Lock retention from now on both objects: 6y, 18mo, 2w, 90d.
    #[arg(
        long,
        value_name = "DURATION",
        requires = "to",
        conflicts_with = "retain_until"
    )]
    pub retention: Option<String>,
    /// Object Lock retention until this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE", requires = "to")]
    pub retain_until: Option<String>,
    /// The Object Lock mode of the retention.
    #[arg(long, value_enum, default_value = "compliance", requires = "to")]
    pub lock_mode: LockModeArg,
    /// Also set an Object Lock legal hold on both objects.
    #[arg(long, requires = "to")]
    pub legal_hold: bool,
}

/// Runs `auditpack archive`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(to) = &args.to {
        return to_store(&args, to);
    }
    let out = args.out.as_ref().expect("clap requires --out or --to");
    let report = write_archive(&args.dir, out)?;
    println!(
        "archived {} files to {} ({} bytes, sha256 {}); index {}",
        report.files,
        report.archive.display(),
        report.archive_bytes,
        report.archive_sha256,
        report.index.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "s3")]
fn to_store(args: &Args, to: &str) -> anyhow::Result<ExitCode> {
    use auditpack::{LockMode, Retention, S3Options, S3Url, UploadOptions};
    let Some(url) = S3Url::parse(to) else {
        anyhow::bail!(
            "--to {to:?}: not an s3:// location; write s3://BUCKET/PREFIX/ (or use --out FILE for a local archive)"
        );
    };
    let url = url?;
    let now = chrono::Utc::now();
    let until = match (&args.retention, &args.retain_until) {
        (Some(d), _) => Some(auditpack::retention_until(d, now)?),
        (None, Some(date)) => {
            let t = auditpack::parse_until_flag(date)
                .map_err(|e| anyhow::anyhow!("--retain-until {date:?}: {e}"))?;
            if t <= now {
                anyhow::bail!("--retain-until {date}: in the past; a retention must end after now");
            }
            Some(t)
        }
        (None, None) => None,
    };
    let mode = match args.lock_mode {
        LockModeArg::Compliance => LockMode::Compliance,
        LockModeArg::Governance => LockMode::Governance,
    };
    let opts = UploadOptions {
        retention: until.map(|retain_until| Retention { mode, retain_until }),
        legal_hold: args.legal_hold,
        ..UploadOptions::default()
    };
    let s3 = S3Options {
        endpoint_url: args.endpoint_url.clone(),
        region: args.region.clone(),
    };
    let up = auditpack::archive_to_s3(&args.dir, &url, &s3, &opts)?;
    let version = |v: &Option<String>| {
        v.as_ref()
            .map(|v| format!(" (version {v})"))
            .unwrap_or_default()
    };
    println!(
        "archived {} files to {}{} ({} bytes, sha256 {}{}); index {}{}",
        up.files,
        up.archive,
        version(&up.archive_version),
        up.index_doc.archive_bytes,
        up.index_doc.archive_sha256,
        if up.parts > 0 {
            format!(", {} parts", up.parts)
        } else {
            String::new()
        },
        up.index,
        version(&up.index_version),
    );
    match (&opts.retention, opts.legal_hold) {
        (Some(r), hold) => println!(
            "  retention: {} until {}{}",
            r.mode,
            r.retain_until
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            if hold { ", legal hold on" } else { "" }
        ),
        (None, true) => println!("  legal hold on, no retention period"),
        (None, false) => println!("  retention: none (no --retention or --retain-until)"),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "s3"))]
fn to_store(_: &Args, to: &str) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "--to {to}: this auditpack was built without the s3 feature; rebuild with --features s3"
    )
}
