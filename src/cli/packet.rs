//! `auditpack packet`: collect, evaluate, render and seal in one go — the everyday command.
//!
//! Exit codes: 0 the packet was written and sealed; 3 it was written and sealed but some
//! kinds could not be read (the packet marks them not-collected); 2 nothing was written.

use std::path::PathBuf;
use std::process::ExitCode;

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
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
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
    let opts = args.render.options(args.out.clone())?;

    let (mut snapshot, warnings) = collect(&args.source)?;
    for w in &warnings {
        eprintln!("auditpack: warning: {w}");
    }
    let period = opts
        .period
        .unwrap_or_else(|| Period::quarter_containing(snapshot.collected_at));
    // The audit-log period is the packet's, end exclusive.
    add_audit_log(
        &mut snapshot,
        &args.source,
        Some((period.start, period.end + chrono::Duration::seconds(1))),
    )?;
    let eval = args.eval.options(None)?;
    let made = crate::pipeline::make_packet(&snapshot, eval, opts, &key)?;
    println!(
        "sealed packet {} ({} files, signer {}) in {}",
        made.packet.id,
        made.seal.files,
        made.seal.key_id,
        args.out.display()
    );
    if let Some(archive) = &args.archive {
        crate::seal::write_archive(&args.out, archive)?;
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
