//! `auditpack auditlog`.

use std::process::ExitCode;

/// Flags of `auditpack auditlog`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `auditpack auditlog`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`auditpack auditlog` is not built yet")
}
