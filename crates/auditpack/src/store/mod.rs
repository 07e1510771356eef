//! Archives in document stores: a folder of packets and archives, or S3-compatible object
//! storage with Object Lock (the `s3` feature). Above `seal` and `history`: this is the
//! only module that talks to a network store; `seal` stays free of network code.
//!
//! - [`archive_to_s3`] uploads `PREFIX/PACKET-ID.tar.gz` and its sidecar index
//!   `PREFIX/PACKET-ID.tar.gz.json`, never overwriting, with Object Lock retention.
//! - [`verify_object`] streams one archive object through the strict archive reader (no
//!   temporary file) and reports its version, other versions and retention.
//! - [`verify_prefix_chain`] verifies every archive under a prefix as one series.
//! - [`list_location`] lists the packets of a folder or a prefix, grouped by cluster.
//!
//! The object layout, metadata and what `verify` reports are documented in docs/seal.md.

mod list;
#[cfg(feature = "s3")]
mod s3;

use std::path::PathBuf;

use chrono::{DateTime, Months, Timelike, Utc};

pub use list::{ClusterGroup, ListedPacket, Listing, list_dir};
#[cfg(feature = "s3")]
pub use s3::{
    ObjectFacts, ObjectReport, PrefixChain, S3Options, StoreFinding, UploadOptions, Uploaded,
    archive_to_s3, list_s3, verify_object, verify_prefix_chain,
};

use crate::history::chain::ChainError;
use crate::seal::VerifyError;
use crate::seal::archive::ArchiveError;

/// `s3://BUCKET/KEY`: a bucket and a key (or a key prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// The bucket.
    pub bucket: String,
    /// The key, or the prefix (possibly empty, else ending in `/` for a prefix).
    pub key: String,
}

impl S3Url {
    /// Parses `s3://BUCKET/KEY`; `None` when `text` does not start with `s3://`.
    pub fn parse(text: &str) -> Option<Result<S3Url, StoreError>> {
        let rest = text.strip_prefix("s3://")?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Some(Err(StoreError::BadUrl {
                url: text.to_string(),
                why: "no bucket; write s3://BUCKET/PREFIX/".into(),
            }));
        }
        Some(Ok(S3Url {
            bucket: bucket.to_string(),
            key: key.to_string(),
        }))
    }

    /// The same location as a prefix: the key with a trailing `/` (empty stays empty).
    pub fn as_prefix(&self) -> S3Url {
        let mut key = self.key.clone();
        if !key.is_empty() && !key.ends_with('/') {
            key.push('/');
        }
        S3Url {
            bucket: self.bucket.clone(),
            key,
        }
    }

    /// `s3://BUCKET/KEY` + `name`.
    pub fn join(&self, name: &str) -> S3Url {
        S3Url {
            bucket: self.bucket.clone(),
            key: format!("{}{name}", self.key),
        }
    }
}

impl std::fmt::Display for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// The end of a retention of `value` from `now`: a whole number and a unit, `y` (calendar
/// years), `mo` (calendar months), `w` or `d` (`6y`, `18mo`, `90d`).
pub fn retention_until(value: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
    let bad = |why: &str| StoreError::BadRetention {
        value: value.to_string(),
        why: why.to_string(),
    };
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: u32 = num
        .parse()
        .map_err(|_| bad("it does not start with a whole number"))?;
    if n == 0 {
        return Err(bad("zero"));
    }
    let t = match unit {
        "y" => now.checked_add_months(Months::new(n.saturating_mul(12))),
        "mo" => now.checked_add_months(Months::new(n)),
        "w" => now.checked_add_signed(chrono::Duration::weeks(n.into())),
        "d" => now.checked_add_signed(chrono::Duration::days(n.into())),
        "" => return Err(bad("no unit; write y, mo, w or d (6y)")),
        _ => return Err(bad("unknown unit; write y, mo, w or d (6y)")),
    };
    t.map(|t| t.with_nanosecond(0).unwrap_or(t))
        .ok_or_else(|| bad("too far in the future"))
}

/// Errors that stop a store command before a verdict (exit code 2). Each message is one
/// line naming the bucket, object or folder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A `--retention` that does not parse.
    #[error("--retention {value:?}: {why}")]
    BadRetention {
        /// What was given.
        value: String,
        /// Why it is refused.
        why: String,
    },
    /// An `s3://` location that does not parse.
    #[error("{url}: {why}")]
    BadUrl {
        /// What was given.
        url: String,
        /// Why it is refused.
        why: String,
    },
    /// The packet's `packet.json` states no id, so the object has no name.
    #[error(
        "{dir}: packet.json states no id; the archive's object is named by it (PREFIX/ID.tar.gz)"
    )]
    NoPacketId {
        /// The packet folder.
        dir: PathBuf,
    },
    /// The packet id is not usable as one segment of an object key.
    #[error(
        "{dir}: packet id {id:?} cannot name an object (it holds '/', '\\\\', a control character or is '.' or '..')"
    )]
    BadPacketId {
        /// The packet folder.
        dir: PathBuf,
        /// The id.
        id: String,
    },
    /// Making the archive failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The object exists already: archives are never overwritten.
    #[error(
        "{url}: already exists; auditpack never overwrites an archived packet (a sealed quarter is archived once; give another --to prefix for another copy)"
    )]
    Exists {
        /// The object.
        url: String,
    },
    /// Retention was asked for but the bucket has no Object Lock.
    #[error(
        "s3://{bucket}: the bucket has no Object Lock ({detail}); retention cannot be set, nothing was uploaded. Create the bucket with Object Lock enabled (aws s3api create-bucket --object-lock-enabled-for-bucket), or leave out --retention, --retain-until and --legal-hold"
    )]
    NoObjectLock {
        /// The bucket.
        bucket: String,
        /// What the server said.
        detail: String,
    },
    /// The server refused or failed a request.
    #[error("s3://{bucket}: cannot {action}: {reason}")]
    S3 {
        /// The bucket.
        bucket: String,
        /// What was attempted (`upload s3://b/k`, `list`, …).
        action: String,
        /// The server's one-line reason.
        reason: String,
    },
    /// Reading or writing a local file failed.
    #[error("{path}: {action}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was attempted.
        action: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A packet could not be read at all.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A series could not be checked.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A folder or prefix holds no packet.
    #[error("{location}: no packets (folders holding SHA256SUMS, or .tar.gz archives) found")]
    Empty {
        /// The folder or prefix.
        location: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retention_is_calendar_years_months_weeks_or_days() {
        let now = DateTime::parse_from_rfc3339("2024-02-29T12:00:00.5Z")
            .unwrap()
            .with_timezone(&Utc);
        let t = |v: &str| retention_until(v, now).map(|t| t.to_rfc3339());
        assert_eq!(t("6y").unwrap(), "2030-02-28T12:00:00+00:00");
        assert_eq!(t("18mo").unwrap(), "2025-08-29T12:00:00+00:00");
        assert_eq!(t("2w").unwrap(), "2024-03-14T12:00:00+00:00");
        assert_eq!(t("90d").unwrap(), "2024-05-29T12:00:00+00:00");
        for bad in ["6", "y", "0y", "6years", "-1d", "6m"] {
            let e = t(bad).unwrap_err().to_string();
            assert!(e.starts_with(&format!("--retention {bad:?}")), "{e}");
        }
    }

    #[test]
    fn an_s3_url_is_a_bucket_and_a_key_or_prefix() {
        let u = S3Url::parse("s3://records/prod").unwrap().unwrap();
        assert_eq!((u.bucket.as_str(), u.key.as_str()), ("records", "prod"));
        assert_eq!(u.as_prefix().to_string(), "s3://records/prod/");
        assert_eq!(
            u.as_prefix().join("p.tar.gz").key,
            "prod/p.tar.gz".to_string()
        );
        assert_eq!(S3Url::parse("s3://b").unwrap().unwrap().as_prefix().key, "");
        assert!(S3Url::parse("s3:///x").unwrap().is_err());
        assert!(S3Url::parse("/tmp/x").is_none());
    }
}
