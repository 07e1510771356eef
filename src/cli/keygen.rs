//! `auditpack keygen`.

use std::process::ExitCode;

/// Flags of `auditpack keygen`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `auditpack keygen`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`auditpack keygen` is not built yet")
}
