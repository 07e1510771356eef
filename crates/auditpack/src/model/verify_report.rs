//! The JSON verdict of `auditpack verify --json` (schema in `docs/seal.md`).

use serde::{Deserialize, Serialize};

/// The verdict on one packet, as `verify --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyReport {
    /// Whether the packet verified.
    pub verified: bool,
    /// The folder or archive verified.
    pub path: String,
    /// `id` from `packet.json`, if readable.
    pub packet_id: Option<String>,
    /// The key id whose signature over `SHA256SUMS` verified.
    pub signer_key_id: Option<String>,
    /// The trusted key's name, if it has one.
    pub signer_name: Option<String>,
    /// `sealedAt` from `packet.json`, as written.
    pub sealed_at: Option<String>,
    /// SHA-256 (hex) of the `SHA256SUMS` bytes checked.
    pub manifest_sha256: Option<String>,
    /// How many listed files were present and hashed.
    pub files_checked: usize,
    /// Broken rules, in check order (the first ones kept).
    pub failures: Vec<ReportedFailure>,
    /// How many more failures there were beyond `failures`.
    pub failures_omitted: usize,
    /// What a reader of the verdict should know that is not a failure.
    pub notes: Vec<String>,
}

/// One broken rule in a [`VerifyReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportedFailure {
    /// The stable rule id, e.g. `hash-mismatch`.
    pub rule: String,
    /// The file (relative to the packet root) the rule is about.
    pub path: String,
    /// What exactly is wrong.
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> VerifyReport {
        VerifyReport {
            verified: false,
            path: "p".into(),
            packet_id: Some("ap-x".into()),
            signer_key_id: None,
            signer_name: None,
            sealed_at: Some("2026-01-01T00:00:00Z".into()),
            manifest_sha256: None,
            files_checked: 2,
            failures: vec![ReportedFailure {
                rule: "hash-mismatch".into(),
                path: "a".into(),
                detail: "d".into(),
            }],
            failures_omitted: 0,
            notes: vec![],
        }
    }

    #[test]
    fn round_trips_in_the_documented_order() {
        let r = sample();
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            text,
            r#"{"verified":false,"path":"p","packetId":"ap-x","signerKeyId":null,"signerName":null,"sealedAt":"2026-01-01T00:00:00Z","manifestSha256":null,"filesChecked":2,"failures":[{"rule":"hash-mismatch","path":"a","detail":"d"}],"failuresOmitted":0,"notes":[]}"#
        );
        assert_eq!(serde_json::from_str::<VerifyReport>(&text).unwrap(), r);
    }

    #[test]
    fn an_unknown_field_is_refused_by_name() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["trusted"] = true.into();
        let e = serde_json::from_value::<VerifyReport>(v)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `trusted`"), "{e}");
    }
}
