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
    /// A packet folder or a .tar.gz made by `auditpack archive`, or an archive object
    /// s3://BUCKET/KEY.tar.gz (streamed, never stored); with `--chain`, the series
    /// (packets, archives, folders holding them, or one prefix s3://BUCKET/PREFIX/).
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
    /// For s3:// locations: the S3 endpoint (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// For s3:// locations: the region (default: AWS_REGION or the profile's).
    #[arg(long)]
    pub region: Option<String>,
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
    if let Some(url) = s3_location(&args)? {
        return run_s3(&args, &trust, &url);
    }
    if args.chain {
        return run_chain(&args, &trust);
    }
    let [path] = args.paths.as_slice() else {
        anyhow::bail!("verify takes one packet; to check a series give --chain");
    };
    let report = verify_path(path, &trust)?;
    print_report(&args, &report)?;
    Ok(if report.is_verified() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The one s3:// location given, if any (mixing it with local paths is refused).
fn s3_location(args: &Args) -> anyhow::Result<Option<String>> {
    let s3: Vec<String> = args
        .paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| p.starts_with("s3://"))
        .collect();
    match s3.as_slice() {
        [] => Ok(None),
        [one] if args.paths.len() == 1 => Ok(Some(one.clone())),
        _ => anyhow::bail!(
            "verify takes one s3:// location (an object, or with --chain one prefix), not mixed with others"
        ),
    }
}

#[cfg(feature = "s3")]
fn run_s3(args: &Args, trust: &TrustStore, url: &str) -> anyhow::Result<ExitCode> {
    let url = auditpack::S3Url::parse(url).expect("an s3:// location")?;
    let s3 = auditpack::S3Options {
        endpoint_url: args.endpoint_url.clone(),
        region: args.region.clone(),
    };
    let now = chrono::Utc::now();
    if args.chain {
        let opts = auditpack::chain::ChainOptions {
            from: args.from.clone(),
        };
        let report = auditpack::verify_prefix_chain(&url, &s3, trust, &opts, now)?;
        match args.output {
            Format::Text => print(&report.to_text())?,
            format => print(&document(&report, format)?)?,
        }
        return Ok(if report.complete {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if url.key.is_empty() || url.key.ends_with('/') {
        anyhow::bail!(
            "{url}: a prefix; give one object s3://BUCKET/KEY.tar.gz, or --chain to verify the series under the prefix"
        );
    }
    let o = auditpack::verify_object(&url, &s3, trust, now)?;
    match args.output {
        Format::Text => {
            if o.report.is_verified() && !o.is_verified() {
                // The packet verifies, the store has findings: say so first.
                println!(
                    "NOT VERIFIED: {} (the store has findings below)",
                    o.object.url
                );
                print_lines(&o.report, false);
            } else {
                print_lines(&o.report, true);
            }
            print!("{}", o.object.to_text());
        }
        format => {
            let mut v = serde_json::to_value(o.report.to_json())?;
            v["object"] = serde_json::to_value(&o.object)?;
            v["verified"] = o.is_verified().into();
            print(&document(&v, format)?)?;
        }
    }
    Ok(if o.is_verified() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(not(feature = "s3"))]
fn run_s3(_: &Args, _: &TrustStore, url: &str) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "{url}: this auditpack was built without the s3 feature; rebuild with --features s3"
    )
}

fn print_report(args: &Args, report: &auditpack::Report) -> anyhow::Result<()> {
    match args.output {
        Format::Text => print_lines(report, true),
        format => print(&document(&report.to_json(), format)?)?,
    }
    Ok(())
}

/// The text lines of one packet's verification; `verdict` prints the first line.
fn print_lines(report: &auditpack::Report, verdict: bool) {
    {
        {
            if verdict && report.is_verified() {
                println!("verified: {}", report.path.display());
            } else if verdict {
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
    }
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
