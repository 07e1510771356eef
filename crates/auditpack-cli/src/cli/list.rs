//! `auditpack list`: the packets of a folder or an S3 prefix, grouped by cluster.

use std::path::PathBuf;
use std::process::ExitCode;

use auditpack::{Listing, TrustStore};

/// Output formats of `auditpack list`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// One line per packet, grouped by cluster.
    Text,
    /// One JSON object (schema in docs/seal.md).
    Json,
    /// The same as YAML.
    Yaml,
}

/// Flags of `auditpack list`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A folder (of packet folders and .tar.gz archives) or s3://BUCKET/PREFIX/.
    pub location: String,
    /// Verify each packet against the trusted keys (reads every archive in full).
    #[arg(long)]
    pub verify: bool,
    /// A trusted public key (SPKI PEM or OpenSSH .pub), for --verify; repeatable.
    #[arg(long, requires = "verify")]
    pub key: Vec<PathBuf>,
    /// A trusted-keys file, for --verify; repeatable.
    #[arg(long, value_name = "FILE", requires = "verify")]
    pub trusted_keys: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    pub format: Format,
    /// For s3:// locations: the S3 endpoint (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// For s3:// locations: the region (default: AWS_REGION or the profile's).
    #[arg(long)]
    pub region: Option<String>,
}

/// Runs `auditpack list`: exit 0 listed (with --verify: every packet verified), 1 some
/// packet did not verify, 2 the location cannot be read.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let trust = if args.verify {
        let mut trust = TrustStore::new();
        for k in &args.key {
            trust.add_key_file(k)?;
        }
        for f in &args.trusted_keys {
            trust.add_trusted_keys_file(f)?;
        }
        if trust.is_empty() {
            anyhow::bail!("--verify needs the trusted keys: give --key or --trusted-keys");
        }
        Some(trust)
    } else {
        None
    };
    let listing = match auditpack::S3Url::parse(&args.location) {
        Some(url) => list_s3(&args, &url?, trust.as_ref())?,
        None => auditpack::list_dir(std::path::Path::new(&args.location), trust.as_ref())?,
    };
    match args.format {
        Format::Text => print!("{}", listing.to_text()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&listing)?),
        Format::Yaml => print!("{}", listing.to_yaml()),
    }
    Ok(if !listing.verified || listing.all_verified() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(feature = "s3")]
fn list_s3(
    args: &Args,
    url: &auditpack::S3Url,
    trust: Option<&TrustStore>,
) -> anyhow::Result<Listing> {
    let s3 = auditpack::S3Options {
        endpoint_url: args.endpoint_url.clone(),
        region: args.region.clone(),
    };
    Ok(auditpack::list_s3(url, &s3, trust, chrono::Utc::now())?)
}

#[cfg(not(feature = "s3"))]
fn list_s3(_: &Args, url: &auditpack::S3Url, _: Option<&TrustStore>) -> anyhow::Result<Listing> {
    anyhow::bail!(
        "{url}: this auditpack was built without the s3 feature; rebuild with --features s3"
    )
}
