//! `auditpack render`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::render::{self, Period, PreviousPacket, RenderOptions};

/// Flags of `auditpack render`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot JSON written by `auditpack collect`.
    pub snapshot: PathBuf,
    /// Findings JSON written by `auditpack evaluate` for this snapshot.
    #[arg(long, value_name = "FINDINGS.json")]
    pub findings: PathBuf,
    /// Packet folder to create (must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The previous packet folder, or its snapshot file: adds "changes since the previous
    /// packet" and links this packet to it.
    #[arg(long, value_name = "SNAPSHOT_OR_PACKET_DIR")]
    pub previous: Option<PathBuf>,
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

/// Runs `auditpack render`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let snapshot = crate::snapshot::Snapshot::read(&args.snapshot)?;
    let findings = render::read_findings(&args.findings)?;
    let env_epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
    let now = render::resolve_now(args.now.as_deref(), env_epoch.as_deref())?;
    let period = match (&args.period_start, &args.period_end) {
        (Some(s), Some(e)) => Some(Period {
            start: render::parse_instant(s, false)?,
            end: render::parse_instant(e, true)?,
        }),
        _ => None,
    };
    let previous = args
        .previous
        .as_deref()
        .map(PreviousPacket::load)
        .transpose()?;
    let opts = RenderOptions {
        templates_dir: args.templates,
        period,
        previous,
        ..RenderOptions::new(args.out, now)
    };
    let packet = render::render_packet(&snapshot, &findings, &opts)?;
    println!(
        "rendered packet {} ({} files) into {}",
        packet.id,
        packet.files.len(),
        opts.out_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
