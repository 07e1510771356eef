//! `auditpack render`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::evaluate::EvalFlags;
use crate::render::{self, Period, PreviousPacket, RenderOptions};

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
    /// The previous packet (folder or .tar.gz archive), or its snapshot file: adds
    /// "changes since the previous packet" and links this packet to it.
    #[arg(long, value_name = "PACKET_OR_SNAPSHOT")]
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

impl RenderFlags {
    /// Validated render options for an output folder.
    pub fn options(&self, out: PathBuf) -> anyhow::Result<RenderOptions> {
        let env_epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
        let now = render::resolve_now(self.now.as_deref(), env_epoch.as_deref())?;
        let period = match (&self.period_start, &self.period_end) {
            (Some(s), Some(e)) => Some(Period {
                start: render::parse_instant(s, false)?,
                end: render::parse_instant(e, true)?,
            }),
            _ => None,
        };
        let previous = self
            .previous
            .as_deref()
            .map(PreviousPacket::load)
            .transpose()?;
        Ok(RenderOptions {
            templates_dir: self.templates.clone(),
            period,
            previous,
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
        .map(render::read_findings)
        .transpose()?;
    let snapshot = crate::snapshot::Snapshot::read(&args.snapshot)?;
    let opts = args.render.options(args.out.clone())?;
    let findings = match given {
        Some(f) => f,
        None => {
            let previous = opts.previous.as_ref().and_then(|p| p.snapshot.clone());
            crate::controls::evaluate(&snapshot, &args.eval.options(previous)?)?
        }
    };
    let packet = render::render_packet(&snapshot, &findings, &opts)?;
    println!(
        "rendered packet {} ({} files) into {}",
        packet.id,
        packet.files.len(),
        opts.out_dir.display()
    );
    // The process ends here: freeing hundreds of thousands of parsed objects one by one
    // would only add time (5% of a large render).
    std::mem::forget(snapshot);
    std::mem::forget(findings);
    Ok(ExitCode::SUCCESS)
}
