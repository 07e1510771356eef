//! `auditpack diff`.

use std::process::ExitCode;

/// Flags of `auditpack diff`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `auditpack diff`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`auditpack diff` is not built yet")
}
