//! `auditpack auditlog`.

use std::path::PathBuf;
use std::process::ExitCode;

use auditpack::{
    AuditLogOptions as Options, parse_audit_time as parse_time, parse_duration,
    summarize_audit_logs_with_detail as summarize,
};

use anyhow::Context as _;

use super::output::{Dest, Format, Formats, document, print};

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
    /// Output format: the summary document as JSON (camelCase) or YAML, or a readable
    /// Markdown report (`md` is accepted too).
    #[arg(short = 'o', long = "output", value_name = "FORMAT", default_value = "json",
          value_parser = Formats(&[Format::Json, Format::Yaml, Format::Markdown]))]
    pub output: Format,
    /// Also write the detail document (every aggregate the summary's lists are capped
    /// from: RBAC changes, Secret access, exec and attach by user × verb × resource ×
    /// namespace) to this file.
    #[arg(long, value_name = "FILE")]
    pub detail: Option<PathBuf>,
    /// Do not compute the SHA-256 of each file.
    #[arg(long)]
    pub no_hash: bool,
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
    let (summary, detail) = summarize(&args.files, &opts)?;
    match args.detail.as_deref().map(Dest::new) {
        Some(Dest::File(path)) => {
            let text = document(&detail, Format::Json)?;
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Some(Dest::Stdout) => {
            anyhow::bail!("--detail -: the summary goes to standard output; give --detail FILE")
        }
        None => {}
    }
    let text = match args.output {
        Format::Markdown => summary.to_markdown(),
        Format::Yaml => document(&summary, Format::Yaml)?,
        _ => summary.to_json(),
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
