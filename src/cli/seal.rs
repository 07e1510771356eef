//! `auditpack seal`.

use std::process::ExitCode;

/// Flags of `auditpack seal`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `auditpack seal`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`auditpack seal` is not built yet")
}
