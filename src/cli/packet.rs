//! `auditpack packet`: collect, evaluate, render and seal in one go — the everyday command.
//!
//! Exit codes: 0 the packet was written and sealed; 3 it was written and sealed but some
//! kinds could not be read (the packet marks them not-collected); 2 nothing was written —
//! except when `--archive` fails after sealing: the sealed packet is kept and the error
//! says where it is.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::collect::{SourceArgs, add_audit_log, collect};
use super::evaluate::EvalFlags;
use super::render::RenderFlags;
use super::seal::passphrase_from_env;
use crate::render::Period;
use crate::seal::keys;

/// Flags of `auditpack packet`.
#[derive(Debug, clap::Args)]
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
    #[arg(short, long, value_name = "DIR", required_unless_present = "series")]
    pub out: Option<PathBuf>,
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
    // Check the key and flags before touching the cluster.
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
    // A --previous packet is verified here, before anything is collected.
    let mut opts = args
        .render
        .options(args.out.clone().unwrap_or_default(), Some(&public))?;

    let (mut snapshot, warnings) = collect(&args.source)?;
    for w in &warnings {
        eprintln!("auditpack: warning: {w}");
    }
    let period = opts
        .period
        .unwrap_or_else(|| Period::quarter_containing(snapshot.collected_at));
    // The audit-log period is the packet's.
    add_audit_log(
        &mut snapshot,
        &args.source,
        Some((period.start, period.end)),
    )?;
    // Held until the new packet is in place: concurrent runs take turns.
    let _lock = match &args.series {
        Some(series) => {
            let lock = crate::pipeline::lock_series(series, |path| {
                eprintln!(
                    "auditpack: another run holds {}; waiting for it to finish",
                    path.display()
                )
            })
            .with_context(|| format!("--series {}: cannot lock the folder", series.display()))?;
            // Under the lock, every temporary here is a killed run's (live ones are locked).
            crate::cleanup::sweep_stale(series, None);
            let id = crate::render::packet_id(&snapshot, &period);
            if let Some(last) = crate::pipeline::newest_in_series(series)? {
                if last.period_start == Some(period.start) {
                    anyhow::bail!(
                        "{} already holds a packet for this period ({}): remove it first, or write this one elsewhere with --out",
                        series.display(),
                        last.path.display()
                    );
                }
                opts.previous = Some(args.render.load_previous(&last.path, Some(&public))?);
            }
            opts.out_dir = series.join(&id);
            Some(lock)
        }
        None => None,
    };
    if let Some(prev) = &opts.previous
        && let Some(gap) = prev.check_follows(&period)?
    {
        eprintln!(
            "auditpack: warning: no packet covers {} to {}, between the previous packet and this one; a chain will report it as period-gap",
            gap.start, gap.end
        );
    }
    let out = opts.out_dir.clone();
    let eval = args.eval.options(None)?;
    let made = crate::pipeline::make_packet(&snapshot, eval, opts, &key)?;
    println!(
        "sealed packet {} ({} files, signer {}) in {}",
        made.packet.id,
        made.seal.files,
        made.seal.key_id,
        out.display()
    );
    if let Some(archive) = &args.archive {
        // The sealed packet stays: it is complete and verifies; only the archive is missing.
        if let Err(e) = crate::seal::write_archive(&out, archive) {
            return Err(anyhow::Error::new(e).context(format!(
                "the packet was sealed at {} and is complete, but the archive {} failed; archive it again with `auditpack archive {} --out {}`",
                out.display(),
                archive.display(),
                out.display(),
                archive.display()
            )));
        }
        println!("archive: {}", archive.display());
    }
    let incomplete = crate::collect::incomplete_kinds(&snapshot);
    if incomplete.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "auditpack: {} kinds could not be read; the packet marks them not-collected",
            incomplete.len()
        );
        Ok(ExitCode::from(3))
    }
}
