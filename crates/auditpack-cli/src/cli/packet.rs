//! `auditpack packet`: collect, evaluate, render and seal in one go — the everyday command.
//!
//! Exit codes, once the packet is written and sealed: 0 every control passes, is manual or
//! not applicable; 4 some control fails; 3 some control is not-collected, or some kinds
//! could not be read (the packet marks them not-collected); 5 some control is partial.
//! 2 nothing was written —
//! except when `--archive` fails after sealing: the sealed packet is kept and the error
//! says where it is.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::collect::SourceArgs;
use super::evaluate::EvalFlags;
use super::output::{Format, TEXT_JSON_YAML, print};
use super::render::RenderFlags;
use super::seal::passphrase_from_env;
use super::summary::Summary;
use auditpack::keys;
use auditpack::{Event, Output, Plan};

/// Flags of `auditpack packet`.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_CODES)]
pub struct Args {
    /// Where the evidence comes from.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Frameworks and catalogs.
    #[command(flatten)]
    pub eval: EvalFlags,
    /// How to render.
    #[command(flatten)]
    pub render: RenderFlags,
    /// Ed25519 private key (PKCS#8 PEM or OpenSSH) to sign the packet with.
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// Read the private key's passphrase from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    /// Packet folder to create; it appears only once the packet is complete and sealed.
    #[arg(long, value_name = "DIR", required_unless_present = "series")]
    pub out: Option<PathBuf>,
    /// Format of the closing summary on standard output (controls by status, the failing
    /// controls, the packet's path and id).
    #[arg(short = 'o', long = "output", value_name = "FORMAT", default_value = "text",
          value_parser = TEXT_JSON_YAML)]
    pub output: Format,
    /// Keep a series in this folder: the packet goes to DIR/PACKET-ID and links to the
    /// newest packet already there, verified first (what a quarterly job wants). The
    /// folder is locked for the run, so concurrent runs never fork the series.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["out", "previous"])]
    pub series: Option<PathBuf>,
    /// Also write a deterministic archive (and its .json index) for a document store.
    #[arg(long, value_name = "FILE.tar.gz")]
    pub archive: Option<PathBuf>,
}

/// Runs `auditpack packet`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let plan = plan(&args)?;
    let mut on_event = |e: Event<'_>| match e {
        Event::Warning(w) => eprintln!("auditpack: warning: {w}"),
        Event::WaitingForLock(path) => eprintln!(
            "auditpack: another run holds {}; waiting for it to finish",
            path.display()
        ),
        Event::PeriodGap(gap) => eprintln!(
            "auditpack: warning: no packet covers {} to {}, between the previous packet and this one; a chain will report it as period-gap",
            gap.start, gap.end
        ),
        Event::EvidenceOutsidePeriod {
            period,
            collected_at,
            ..
        } => super::warn_outside_period(period, collected_at),
        // Events a newer library adds are not shown.
        _ => {}
    };
    // On an archive failure the error says where the complete, sealed packet was kept.
    let built = auditpack::build(plan, &mut on_event)?;
    let mut summary = Summary::new(
        &built.made.findings,
        &built.made.packet.id,
        &built.dir,
        &built.made.seal.key_id,
        built.made.seal.files,
    );
    summary.archive = built.archive.as_ref().map(|a| a.display().to_string());
    summary.incomplete_kinds = built.incomplete.iter().map(|(k, ..)| k.clone()).collect();
    print(&summary.render(args.output)?)?;
    if !built.incomplete.is_empty() {
        eprintln!(
            "auditpack: {} kinds could not be read; the packet marks them not-collected",
            built.incomplete.len()
        );
    }
    Ok(super::verdict_code(
        &built.made.findings,
        !built.incomplete.is_empty(),
    ))
}

/// The plan the flags describe, checked before the cluster is touched: the key, the
/// trust for the previous packet (a `--previous` packet is verified here), the archive's
/// folder.
pub fn plan(args: &Args) -> anyhow::Result<Plan> {
    let passphrase = args
        .passphrase_env
        .as_deref()
        .map(passphrase_from_env)
        .transpose()?;
    let key = keys::load_signing_key(&args.key, passphrase.as_ref().map(|p| p.as_str()))?;
    let public = key.verifying_key();
    if args.render.names_trusted_keys() && args.render.previous.is_none() && args.series.is_none() {
        anyhow::bail!(
            "--trusted-key/--trusted-keys verify the previous packet: give --previous or --series too"
        );
    }
    if let Some(archive) = &args.archive {
        let parent = archive
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !parent.is_dir() {
            anyhow::bail!(
                "--archive {}: the folder {} does not exist",
                archive.display(),
                parent.display()
            );
        }
    }
    let out = match (&args.series, &args.out) {
        (Some(dir), _) => Output::Series(dir.clone()),
        (None, Some(dir)) => Output::Dir(dir.clone()),
        (None, None) => anyhow::bail!("give --out DIR or --series DIR"),
    };
    let mut render = args
        .render
        .options(args.out.clone().unwrap_or_default(), Some(&public))?;
    // The cover names the key by its file (`signer` for `signer.key.pem`).
    render.signer = Some(auditpack::SignerInfo {
        key: public,
        name: key_name(&args.key),
        sealed_at: render.now,
    });
    let previous_trust = match &out {
        Output::Series(_) => args.render.previous_trust(Some(&public))?,
        Output::Dir(_) => None,
    };
    Ok(Plan {
        source: args.source.source()?,
        eval: args.eval.options(None)?,
        render,
        out,
        previous_trust,
        key,
        archive: args.archive.clone(),
    })
}

/// A key's name from its file: `signer` for `keys/signer.key.pem`.
fn key_name(path: &Path) -> Option<String> {
    let file = path.file_name()?.to_str()?;
    let name = [".key.pem", ".pem", ".key"]
        .iter()
        .find_map(|ext| file.strip_suffix(ext))
        .unwrap_or(file);
    (!name.is_empty()).then(|| name.to_string())
}
