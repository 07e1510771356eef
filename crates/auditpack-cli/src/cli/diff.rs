//! `auditpack diff OLD NEW`: what changed between two snapshots or packets — the CC6.2
//! evidence that access was granted and removed. Exit 0 whether or not anything changed;
//! 2 when an input cannot be read.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use auditpack::{PreviousPacket, Snapshot};

use super::output::{Format, Formats, document, print};

/// Flags of `auditpack diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The older snapshot file, packet folder or packet archive.
    pub old: PathBuf,
    /// The newer snapshot file, packet folder or packet archive.
    pub new: PathBuf,
    /// Output format: one change per line (text), a Markdown section with tables, or the
    /// `Diff` document as JSON or YAML.
    #[arg(short = 'o', long = "output", value_name = "FORMAT", default_value = "text",
          value_parser = Formats(&[Format::Text, Format::Markdown, Format::Json, Format::Yaml]))]
    pub output: Format,
}

fn load(path: &Path) -> anyhow::Result<Snapshot> {
    PreviousPacket::load(path)?.snapshot.ok_or_else(|| {
        anyhow::anyhow!(
            "{}: the packet holds no evidence/snapshot.json to compare",
            path.display()
        )
    })
}

/// Runs `auditpack diff`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (old, new) = (load(&args.old)?, load(&args.new)?);
    let d = auditpack::diff(&old, &new);
    let text = match args.output {
        Format::Text => d.to_text(),
        Format::Markdown => d.to_markdown(),
        f => document(&d, f)?,
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
