//! `auditpack packet`.

use std::process::ExitCode;

/// Flags of `auditpack packet`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `auditpack packet`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`auditpack packet` is not built yet")
}
