//! `auditpack render`.

use std::process::ExitCode;

/// Flags of `auditpack render`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `auditpack render`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`auditpack render` is not built yet")
}
