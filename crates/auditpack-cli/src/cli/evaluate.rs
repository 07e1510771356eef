//! `auditpack evaluate`: a snapshot in, findings out.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use auditpack::{EvalOptions, Snapshot};

use super::output::{Dest, Format, TEXT_JSON_YAML, document};

/// Which frameworks to evaluate: shared by `evaluate`, `render` and `packet`.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalFlags {
    /// Frameworks to evaluate, comma-separated (default: the built-in ones and every
    /// framework given with --catalog).
    #[arg(long, value_delimiter = ',')]
    pub framework: Vec<String>,
    /// A framework catalog (YAML); same id replaces a built-in, a new id adds one. Repeatable.
    #[arg(long)]
    pub catalog: Vec<PathBuf>,
}

impl EvalFlags {
    /// Reads the catalogs into evaluation options.
    pub fn options(&self, previous: Option<Snapshot>) -> anyhow::Result<EvalOptions> {
        let catalogs = self
            .catalog
            .iter()
            .map(|p| auditpack::load_catalog(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(EvalOptions {
            frameworks: self.framework.clone(),
            catalogs,
            previous,
        })
    }
}

/// Flags of `auditpack evaluate`.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Snapshot JSON written by `auditpack collect`.
    pub snapshot: PathBuf,
    /// Frameworks and catalogs.
    #[command(flatten)]
    pub eval: EvalFlags,
    /// The previous period's snapshot: access granted and removed since then.
    #[arg(long)]
    pub previous: Option<PathBuf>,
    /// Output format: findings JSON (what `render` reads), the same as YAML, or a
    /// readable summary for a terminal (text).
    #[arg(short = 'o', long = "output", value_name = "FORMAT", default_value = "json",
          value_parser = TEXT_JSON_YAML)]
    pub output: Format,
    /// Write to this file instead of standard output (`-` is standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Runs `auditpack evaluate`. Exit code 4 when a control fails, 3 when one is
/// not-collected, 5 when one is partial, else 0 ([`super::verdict_code`]).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let snapshot = Snapshot::read(&args.snapshot)?;
    let previous = args.previous.as_deref().map(Snapshot::read).transpose()?;
    let opts = args.eval.options(previous)?;
    let findings = auditpack::evaluate(&snapshot, &opts)?;
    // Stream the document: findings of a large cluster are tens of megabytes.
    let write = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
        match args.output {
            Format::Text => w.write_all(auditpack::render_text(&findings).as_bytes())?,
            Format::Yaml => w.write_all(
                document(&findings, Format::Yaml)
                    .map_err(std::io::Error::other)?
                    .as_bytes(),
            )?,
            _ => {
                serde_json::to_writer_pretty(&mut *w, &findings)?;
                w.write_all(b"\n")?;
            }
        }
        w.flush()
    };
    match args.out.as_deref().map(Dest::new) {
        Some(Dest::File(p)) => {
            let file = std::fs::File::create(&p)
                .with_context(|| format!("cannot write {}", p.display()))?;
            write(&mut std::io::BufWriter::new(file))
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        Some(Dest::Stdout) | None => {
            match write(&mut std::io::BufWriter::new(std::io::stdout().lock())) {
                // A reader that stops early (`| head`) is not an error.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(e).context("cannot write to standard output");
                }
                _ => {}
            }
        }
    }
    Ok(super::verdict_code(&findings, false))
}
