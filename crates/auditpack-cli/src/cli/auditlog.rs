//! `auditpack auditlog`.

use std::path::PathBuf;
use std::process::ExitCode;

use auditpack::{
    AuditLogOptions as Options, parse_audit_time as parse_time, parse_duration,
    summarize_audit_logs as summarize,
};

/// Flags of `auditpack auditlog`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Audit log files, folders or globs (plain or gzip; JSON lines or EventList).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Start of the period (inclusive): RFC 3339 time or YYYY-MM-DD (UTC).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// End of the period (exclusive): RFC 3339 time, or YYYY-MM-DD meaning the end of that
    /// day.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Report stretches without events longer than this (e.g. 30m, 1h, 1d).
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub gap_threshold: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub output: Format,
    /// Do not compute the SHA-256 of each file.
    #[arg(long)]
    pub no_hash: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The summary document (camelCase JSON).
    Json,
    /// A readable Markdown report.
    Md,
}

/// Runs `auditpack auditlog`: prints the summary. Exit 0 when the logs were read (problems
/// inside them are listed in the summary), 2 when an input is missing or unreadable.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = Options {
        since: args
            .since
            .as_deref()
            .map(|s| parse_time(s, false))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|s| parse_time(s, true))
            .transpose()?,
        gap_threshold: parse_duration(&args.gap_threshold)?,
        hash_files: !args.no_hash,
        ..Options::default()
    };
    let summary = summarize(&args.files, &opts)?;
    let text = match args.output {
        Format::Json => summary.to_json(),
        Format::Md => summary.to_markdown(),
    };
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
