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
use crate::render::{Period, PreviousPacket};
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
    /// newest packet already there (what a quarterly job wants).
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
    let mut opts = args.render.options(args.out.clone().unwrap_or_default())?;

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
    if let Some(series) = &args.series {
        let id = crate::render::packet_id(&snapshot, &period);
        if let Some(last) = newest_in_series(series)? {
            let prev = PreviousPacket::load(&last.path)?;
            if last.period_start == Some(period.start) {
                anyhow::bail!(
                    "{} already holds a packet for this period ({}): remove it first, or write this one elsewhere with --out",
                    series.display(),
                    last.path.display()
                );
            }
            opts.previous = Some(prev);
        }
        opts.out_dir = series.join(&id);
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
        crate::seal::write_archive(&out, archive)?;
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

/// A sealed packet found in a series folder.
struct Member {
    path: PathBuf,
    period_start: Option<chrono::DateTime<chrono::Utc>>,
    period_end: Option<chrono::DateTime<chrono::Utc>>,
}

/// The sealed packet (folder) in `dir` whose period ends last, if any. Creates `dir`.
fn newest_in_series(dir: &std::path::Path) -> anyhow::Result<Option<Member>> {
    std::fs::create_dir_all(dir)?;
    let time = |v: &serde_json::Value, p: &str| {
        v.pointer(p)
            .and_then(serde_json::Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let mut members = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.join("SHA256SUMS").is_file() {
            continue;
        }
        let source = crate::seal::PacketSource::open(&path)?;
        let Some(packet) = source.packet_value() else {
            continue;
        };
        members.push(Member {
            period_start: time(&packet, "/period/start"),
            period_end: time(&packet, "/period/end"),
            path,
        });
    }
    members.sort_by_key(|m| (m.period_end, m.path.clone()));
    Ok(members.pop())
}
