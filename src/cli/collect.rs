//! `auditpack collect`.

use std::process::ExitCode;

/// Flags of `auditpack collect`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `auditpack collect`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`auditpack collect` is not built yet")
}
