//! `auditpack archive`.

use std::path::PathBuf;
use std::process::ExitCode;

use auditpack::write_archive;

/// Flags of `auditpack archive`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sealed packet folder.
    pub dir: PathBuf,
    /// The archive to write (FILE.tar.gz); the index goes to FILE.tar.gz.json.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `auditpack archive`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let report = write_archive(&args.dir, &args.out)?;
    println!(
        "archived {} files to {} ({} bytes, sha256 {}); index {}",
        report.files,
        report.archive.display(),
        report.archive_bytes,
        report.archive_sha256,
        report.index.display()
    );
    Ok(ExitCode::SUCCESS)
}
