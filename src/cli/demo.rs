//! `auditpack demo`.

use std::process::ExitCode;

/// Flags of `auditpack demo`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `auditpack demo`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`auditpack demo` is not built yet")
}
