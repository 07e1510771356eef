//! `auditpack evaluate`.

use std::process::ExitCode;

/// Flags of `auditpack evaluate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `auditpack evaluate`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`auditpack evaluate` is not built yet")
}
