//! `auditpack verify`.

use std::path::PathBuf;
use std::process::ExitCode;

use auditpack::keys;
use auditpack::{TrustStore, verify_path};

use super::output::{Format, TEXT_JSON_YAML, document, print};

/// Most failure lines the text output prints; the rest are counted by rule.
const MAX_PRINTED: usize = 50;

/// Flags of `auditpack verify`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("trust").required(true).multiple(true).args(["key", "trusted_keys"])))]
pub struct Args {
    /// A packet folder or a .tar.gz made by `auditpack archive`; with `--chain`, the
    /// series oldest first (packets, archives, or folders holding them).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Check that the packets form one complete, unbroken series (ordered by the periods
    /// their signed packet.json states, whatever the order given).
    #[arg(long)]
    pub chain: bool,
    /// With --chain: start the chain at the packet with this id, accepting that its
    /// predecessor is not given (the report says so); older packets are left out.
    #[arg(long, value_name = "PACKET_ID", requires = "chain")]
    pub from: Option<String>,
    /// A trusted public key (SPKI PEM or OpenSSH .pub); repeatable.
    #[arg(long)]
    pub key: Vec<PathBuf>,
    /// A trusted-keys file (PEM keys with optional name / validity window); repeatable.
    #[arg(long, value_name = "FILE")]
    pub trusted_keys: Vec<PathBuf>,
    /// Output format: readable lines (text), or the report (`VerifyReport`, schema in
    /// docs/seal.md; with --chain the chain report) as JSON or YAML.
    #[arg(short = 'o', long = "output", value_name = "FORMAT", default_value = "text",
          value_parser = TEXT_JSON_YAML)]
    pub output: Format,
}

/// Runs `auditpack verify`: exit 0 verified, 1 not verified, 2 usage or I/O error.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut trust = TrustStore::new();
    for k in &args.key {
        trust.add_key_file(k)?;
    }
    for f in &args.trusted_keys {
        trust.add_trusted_keys_file(f)?;
    }
    if args.chain {
        return run_chain(&args, &trust);
    }
    let [path] = args.paths.as_slice() else {
        anyhow::bail!("verify takes one packet; to check a series give --chain");
    };
    let report = verify_path(path, &trust)?;
    match args.output {
        Format::Text => {
            if report.is_verified() {
                println!("verified: {}", report.path.display());
            } else {
                println!("NOT VERIFIED: {}", report.path.display());
            }
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unknown)".into());
            println!("  packet:    {}", show(&report.packet_id));
            let name = report
                .signer_name
                .as_ref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            println!("  signer:    {}{name}", show(&report.signer_key_id));
            // The signer's other ids, from the key packet.json records when it is the
            // signer's (its key id is the one the signature verified under).
            let recorded = report
                .packet
                .as_ref()
                .and_then(|p| p.seal.as_ref())
                .and_then(|s| keys::public_key_from_base64(&s.signer.public_key))
                .filter(|k| report.signer_key_id.as_deref() == Some(keys::key_id(k).as_str()));
            if let Some(key) = recorded {
                for (label, id) in keys::other_key_ids(&key) {
                    println!("             {label} {id}");
                }
            }
            println!("  sealed at: {}", show(&report.sealed_at));
            println!("  files:     {} checked", report.files_checked);
            for note in &report.notes {
                println!("  note: {note}");
            }
            for f in report.failures.iter().take(MAX_PRINTED) {
                println!(
                    "  FAIL {} {}: {}",
                    f.rule,
                    if f.path.is_empty() { "-" } else { &f.path },
                    f.detail
                );
            }
            let rest = report.failures.len().saturating_sub(MAX_PRINTED) + report.failures_omitted;
            if rest > 0 {
                let mut by_rule = report.omitted_by_rule.clone();
                for f in report.failures.iter().skip(MAX_PRINTED) {
                    *by_rule.entry(f.rule).or_default() += 1;
                }
                let counts: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
                println!(
                    "  … and {rest} more failure(s) not shown ({}); --output json lists the first {}",
                    counts.join(", "),
                    auditpack::MAX_REPORTED_FAILURES
                );
            }
        }
        format => print(&document(&report.to_json(), format)?)?,
    }
    Ok(if report.is_verified() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn run_chain(args: &Args, trust: &TrustStore) -> anyhow::Result<ExitCode> {
    use auditpack::chain;
    let expanded = chain::expand_paths(&args.paths)?;
    for p in &expanded.skipped {
        eprintln!(
            "auditpack: skipped {}: a temporary left by an interrupted run, never a packet (remove it)",
            p.display()
        );
    }
    if expanded.paths.is_empty() {
        anyhow::bail!("no packets found in {:?}", args.paths);
    }
    let opts = chain::ChainOptions {
        from: args.from.clone(),
    };
    let report = chain::verify_chain(&expanded.paths, trust, &opts)?;
    match args.output {
        Format::Text => print(&report.to_text())?,
        format => print(&document(&report, format)?)?,
    }
    Ok(if report.complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
