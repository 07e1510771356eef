//! `auditpack verify`.

use std::process::ExitCode;

/// Flags of `auditpack verify`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `auditpack verify`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`auditpack verify` is not built yet")
}
