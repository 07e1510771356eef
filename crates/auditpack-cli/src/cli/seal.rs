//! `auditpack seal`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use auditpack::keys;
use auditpack::{SealOptions, seal_dir};

/// Flags of `auditpack seal`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The packet folder to seal.
    pub dir: PathBuf,
    /// The Ed25519 private key (PKCS#8 PEM, plain or encrypted, or OpenSSH), mode 0600.
    #[arg(long)]
    pub key: PathBuf,
    /// Read the private key's passphrase from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    /// Reseal a folder that is already sealed.
    #[arg(long)]
    pub force: bool,
    /// Seal time (RFC 3339). Default: $SOURCE_DATE_EPOCH if set, else the current time.
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
}

/// Reads a passphrase from the named environment variable into a zeroizing string.
pub fn passphrase_from_env(var: &str) -> anyhow::Result<Zeroizing<String>> {
    let value = Zeroizing::new(std::env::var(var).with_context(|| {
        format!("--passphrase-env {var}: the environment variable is not set (or not UTF-8)")
    })?);
    if value.is_empty() {
        anyhow::bail!("--passphrase-env {var}: the environment variable is empty");
    }
    Ok(value)
}

/// The seal time: `--now`, else `$SOURCE_DATE_EPOCH`, else the clock.
pub fn seal_time(now: Option<&str>) -> anyhow::Result<DateTime<Utc>> {
    if let Some(text) = now {
        return Ok(DateTime::parse_from_rfc3339(text)
            .with_context(|| {
                format!("--now {text:?}: not an RFC 3339 time (e.g. 2025-07-01T00:00:00Z)")
            })?
            .with_timezone(&Utc));
    }
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        let secs: i64 = epoch.trim().parse().with_context(|| {
            format!("SOURCE_DATE_EPOCH={epoch:?}: not an integer number of seconds")
        })?;
        return DateTime::from_timestamp(secs, 0)
            .with_context(|| format!("SOURCE_DATE_EPOCH={epoch}: out of range"));
    }
    Ok(Utc::now())
}

/// Runs `auditpack seal`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let now = seal_time(args.now.as_deref())?;
    let pass = args
        .passphrase_env
        .as_deref()
        .map(passphrase_from_env)
        .transpose()?;
    let key = keys::load_signing_key(&args.key, pass.as_ref().map(|p| p.as_str()))?;
    let report = seal_dir(
        &args.dir,
        &key,
        &SealOptions {
            force: args.force,
            now,
        },
    )?;
    println!(
        "sealed {}: {} files, signer {}, sealedAt {}, manifest sha256 {}",
        report.dir.display(),
        report.files,
        report.key_id,
        report.sealed_at,
        report.manifest_sha256
    );
    Ok(ExitCode::SUCCESS)
}
