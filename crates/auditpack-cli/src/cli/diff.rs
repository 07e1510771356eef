//! `auditpack diff OLD NEW`: what changed between two snapshots or packets — the CC6.2
//! evidence that access was granted and removed. Exit 0 whether or not anything changed;
//! 2 when an input cannot be read.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use auditpack::{PreviousPacket, Snapshot};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// One change per line.
    Text,
    /// A Markdown section with tables.
    Markdown,
    /// JSON (`Diff`).
    Json,
}

/// Flags of `auditpack diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The older snapshot file, packet folder or packet archive.
    pub old: PathBuf,
    /// The newer snapshot file, packet folder or packet archive.
    pub new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: Output,
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
    match args.output {
        Output::Text => print!("{}", d.to_text()),
        Output::Markdown => print!("{}", d.to_markdown()),
        Output::Json => println!("{}", serde_json::to_string_pretty(&d)?),
    }
    Ok(ExitCode::SUCCESS)
}
