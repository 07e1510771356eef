//! `auditpack archive`.

use std::process::ExitCode;

/// Flags of `auditpack archive`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `auditpack archive`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`auditpack archive` is not built yet")
}
