//! `packet.json`: what a packet is (id, period, cluster, frameworks, the packet before it)
//! and, once sealed, who sealed it and when (schema in `docs/seal.md`).
//!
//! `render` writes the packet's fields; `seal` adds [`SealRecord`] (`signer`, `sealedAt`,
//! `attestation`) after them. A folder sealed without rendering gets a bare
//! `{"formatVersion": 1, …seal fields}`, so every packet field is optional, and the two
//! fields render writes as `null` (`kubernetesVersion`, `previous`) are a [`Stated`]: absent,
//! `null` and a value stay distinct, and the bytes written are the bytes read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{Period, Timing};

/// The `formatVersion` this auditpack writes. It reads this one and every earlier one:
/// 1 (no `evidence` field) and 2 (which adds it).
pub const PACKET_FORMAT_VERSION: u32 = 2;

/// The first `formatVersion` with the `evidence` field.
const EVIDENCE_SINCE: u32 = 2;

/// `packet.json`, read strictly: an unknown field or an unsupported `formatVersion` is
/// refused with an error that names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Flat", into = "Flat")]
pub struct PacketMeta {
    /// `formatVersion`: always [`PACKET_FORMAT_VERSION`] once read.
    pub format_version: u32,
    /// `id`, e.g. `ap-task-api-2026Q4-3776986f`.
    pub id: Option<String>,
    /// `period`: the reporting period covered.
    pub period: Option<Period>,
    /// `cluster`: the name the packet uses for the cluster.
    pub cluster: Option<String>,
    /// `kubernetesVersion` (render writes `null` when the snapshot does not state it).
    pub kubernetes_version: Stated<String>,
    /// `collectedAt`: when the snapshot was collected (RFC 3339, as written).
    pub collected_at: Option<String>,
    /// `renderedAt`: when the packet was rendered (RFC 3339, as written).
    pub rendered_at: Option<String>,
    /// `frameworks`: the framework ids reported on.
    pub frameworks: Option<Vec<String>>,
    /// `snapshotSha256`: SHA-256 (hex) of `evidence/snapshot.json`.
    pub snapshot_sha256: Option<String>,
    /// `previous`: the packet before this one (render writes `null` when there is none).
    pub previous: Stated<PacketLink>,
    /// `evidence` (formatVersion 2): what the evidence shows of the period.
    pub evidence: Option<EvidenceTiming>,
    /// `signer`, `sealedAt` and `attestation`: present once sealed.
    pub seal: Option<SealRecord>,
}

/// `evidence`: how the packet's evidence relates to its period. The snapshot is a
/// point-in-time record; only some evidence (audit logs) covers a stretch of time, and the
/// packet says which, so that a period is never called covered when it is not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EvidenceTiming {
    /// `asOf`: the instant the snapshot shows the cluster at (its collection time).
    pub as_of: String,
    /// `collection`: where that instant lies relative to the period.
    pub collection: Timing,
    /// `intervals`: the evidence that covers a stretch of time, if any.
    pub intervals: Vec<EvidenceInterval>,
}

/// One piece of evidence that covers a stretch of time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EvidenceInterval {
    /// `evidence`: which evidence (`audit-log`).
    pub evidence: String,
    /// `firstEvent`: its first event in the period (`null` when it holds none).
    pub first_event: Option<String>,
    /// `lastEvent`: its last event in the period (`null` when it holds none).
    pub last_event: Option<String>,
    /// `events`: how many events it holds in the period.
    pub events: u64,
}

/// A field that may be absent, `null`, or a value: written back exactly as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Stated<T> {
    /// The field is not in the document.
    #[default]
    Absent,
    /// The field is `null`.
    Null,
    /// The field has a value.
    Is(T),
}

impl<T> Stated<T> {
    /// The value, if the field has one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Stated::Is(v) => Some(v),
            Stated::Absent | Stated::Null => None,
        }
    }

    /// Whether the field is absent (skipped when written).
    pub fn is_absent(&self) -> bool {
        matches!(self, Stated::Absent)
    }
}

impl<T> From<Option<T>> for Stated<T> {
    /// `None` is `null` (a stated "none"), not absent.
    fn from(v: Option<T>) -> Self {
        v.map_or(Stated::Null, Stated::Is)
    }
}

impl<T: Serialize> Serialize for Stated<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Stated<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.into())
    }
}

/// `previous`: the packet a packet follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PacketLink {
    /// `id` of the previous packet.
    pub id: String,
    /// SHA-256 (hex) of its `SHA256SUMS`; `null` when it was not sealed.
    pub manifest_sha256: Option<String>,
    /// How it was verified before it was linked to (absent when it was not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<LinkVerification>,
}

/// `previous.verification`: the check made before linking to the previous packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinkVerification {
    /// Always `true`: an unverified packet is never linked with a verification.
    pub verified: bool,
    /// The key id whose signature verified.
    pub signer_key_id: String,
    /// That key's name in the trusted-keys file, if it has one.
    pub signer_name: Option<String>,
    /// Where the trust in the key came from: `signing-key` or `trusted-keys`.
    pub trust: Option<String>,
}

/// What `seal` records in `packet.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealRecord {
    /// `signer`: the key that signed the manifest.
    pub signer: PacketSigner,
    /// `sealedAt`: the seal time (written RFC 3339, whole seconds, `Z`).
    pub sealed_at: DateTime<Utc>,
    /// `attestation`: the DSSE file seal wrote (absent in packets sealed before it was
    /// recorded).
    pub attestation: Option<String>,
}

/// `signer` of a sealed packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PacketSigner {
    /// `keyId`: `SHA256:` and the unpadded base64 SHA-256 of the SSH public key blob.
    pub key_id: String,
    /// `publicKey`: the raw Ed25519 public key, base64.
    pub public_key: String,
}

/// Why a `packet.json` was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PacketMetaError {
    /// Valid JSON, but not an object.
    #[error("not a JSON object")]
    NotAnObject,
    /// Not valid JSON, or a field is unknown, missing or of the wrong form (the message
    /// names it).
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl PacketMeta {
    /// A packet.json with only `formatVersion`: what `seal` starts from in a folder
    /// without one.
    pub fn bare() -> PacketMeta {
        PacketMeta {
            format_version: PACKET_FORMAT_VERSION,
            id: None,
            period: None,
            cluster: None,
            kubernetes_version: Stated::Absent,
            collected_at: None,
            rendered_at: None,
            frameworks: None,
            snapshot_sha256: None,
            previous: Stated::Absent,
            evidence: None,
            seal: None,
        }
    }

    /// Reads `packet.json` strictly.
    pub fn from_slice(bytes: &[u8]) -> Result<PacketMeta, PacketMetaError> {
        // An object only: serde would read a struct from an array too, by position.
        let value: serde_json::Value = serde_json::from_slice(bytes)?;
        if !value.is_object() {
            return Err(PacketMetaError::NotAnObject);
        }
        Ok(serde_json::from_value(value)?)
    }

    /// The file's bytes: pretty JSON, fields in the documented order, trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("packet.json serializes");
        out.push(b'\n');
        out
    }
}

/// The written form, flat as in the file (serde's `flatten` does not combine with
/// `deny_unknown_fields`).
#[derive(Serialize, Deserialize)]
#[serde(rename = "packet.json", rename_all = "camelCase", deny_unknown_fields)]
struct Flat {
    #[serde(deserialize_with = "format_version")]
    format_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    period: Option<Period>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cluster: Option<String>,
    #[serde(default, skip_serializing_if = "Stated::is_absent")]
    kubernetes_version: Stated<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    collected_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rendered_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    frameworks: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    snapshot_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Stated::is_absent")]
    previous: Stated<PacketLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    evidence: Option<EvidenceTiming>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signer: Option<PacketSigner>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attestation: Option<String>,
}

fn format_version<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let got = u64::deserialize(d)?;
    match u32::try_from(got) {
        Ok(v @ 1..=PACKET_FORMAT_VERSION) => Ok(v),
        _ => Err(serde::de::Error::custom(format!(
            "formatVersion {got} is not supported: this auditpack reads formatVersion 1 to {PACKET_FORMAT_VERSION}"
        ))),
    }
}

impl TryFrom<Flat> for PacketMeta {
    type Error = String;

    fn try_from(f: Flat) -> Result<Self, String> {
        if f.evidence.is_some() && f.format_version < EVIDENCE_SINCE {
            return Err(format!(
                "`evidence` is a formatVersion {EVIDENCE_SINCE} field, in a packet.json of formatVersion {}",
                f.format_version
            ));
        }
        let seal = match (f.signer, f.sealed_at, f.attestation) {
            (None, None, None) => None,
            (Some(signer), Some(sealed_at), attestation) => Some(SealRecord {
                signer,
                sealed_at: DateTime::parse_from_rfc3339(&sealed_at)
                    .map_err(|e| format!("sealedAt {sealed_at:?} is not an RFC 3339 time: {e}"))?
                    .with_timezone(&Utc),
                attestation,
            }),
            (None, _, _) => return Err("sealed (sealedAt or attestation) but no `signer`".into()),
            (Some(_), None, _) => return Err("names a `signer` but no `sealedAt`".into()),
        };
        Ok(PacketMeta {
            format_version: f.format_version,
            id: f.id,
            period: f.period,
            cluster: f.cluster,
            kubernetes_version: f.kubernetes_version,
            collected_at: f.collected_at,
            rendered_at: f.rendered_at,
            frameworks: f.frameworks,
            snapshot_sha256: f.snapshot_sha256,
            previous: f.previous,
            evidence: f.evidence,
            seal,
        })
    }
}

impl From<PacketMeta> for Flat {
    fn from(m: PacketMeta) -> Flat {
        let (signer, sealed_at, attestation) = match m.seal {
            Some(s) => (
                Some(s.signer),
                Some(
                    s.sealed_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                ),
                s.attestation,
            ),
            None => (None, None, None),
        };
        Flat {
            format_version: m.format_version,
            id: m.id,
            period: m.period,
            cluster: m.cluster,
            kubernetes_version: m.kubernetes_version,
            collected_at: m.collected_at,
            rendered_at: m.rendered_at,
            frameworks: m.frameworks,
            snapshot_sha256: m.snapshot_sha256,
            previous: m.previous,
            evidence: m.evidence,
            signer,
            sealed_at,
            attestation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rendered and sealed packet.json, byte for byte as auditpack writes it.
    const SEALED: &str = r#"{
  "formatVersion": 1,
  "id": "ap-task-api-2026Q4-3776986f",
  "period": {
    "start": "2026-10-01T00:00:00Z",
    "end": "2026-12-31T23:59:59Z"
  },
  "cluster": "task-api",
  "kubernetesVersion": "v1.34.1",
  "collectedAt": "2026-12-02T18:30:15Z",
  "renderedAt": "2025-07-01T12:00:00Z",
  "frameworks": [
    "soc2",
    "hipaa",
    "pci-dss"
  ],
  "snapshotSha256": "96b43455dd99c9302225d3eabb12fbddb78ffedf56c286abbb9604796e4e2a40",
  "previous": null,
  "signer": {
    "keyId": "SHA256:iljm1jslG+JWqZgRBFn9RO3sB4tmeNOCVnHj7QGENFs",
    "publicKey": "9WIwXrvDf4fy6yt5O+NmWWtHgYfYUUiq45rlITtvEo8="
  },
  "sealedAt": "2025-07-01T12:00:00Z",
  "attestation": "SHA256SUMS.intoto.json"
}
"#;

    #[test]
    fn a_sealed_packet_json_reads_and_writes_back_byte_for_byte() {
        let m = PacketMeta::from_slice(SEALED.as_bytes()).unwrap();
        assert_eq!(m.id.as_deref(), Some("ap-task-api-2026Q4-3776986f"));
        assert_eq!(m.previous, Stated::Null);
        let p = m.period.unwrap();
        assert_eq!(p.end.to_rfc3339(), "2027-01-01T00:00:00+00:00");
        let seal = m.seal.as_ref().unwrap();
        assert_eq!(seal.attestation.as_deref(), Some("SHA256SUMS.intoto.json"));
        assert_eq!(String::from_utf8(m.to_bytes()).unwrap(), SEALED);
    }

    /// formatVersion 2 adds `evidence`; a packet of version 1 (written before it) still
    /// reads and writes back as it was, and `evidence` in a version 1 file is refused.
    #[test]
    fn evidence_is_a_version_2_field_and_version_1_packets_still_read() {
        let v1 = PacketMeta::from_slice(SEALED.as_bytes()).unwrap();
        assert_eq!(v1.format_version, 1);
        assert_eq!(v1.evidence, None);
        let v2 = SEALED.replace("\"formatVersion\": 1", "\"formatVersion\": 2").replace(
            "  \"previous\": null,\n",
            "  \"previous\": null,\n  \"evidence\": {\n    \"asOf\": \"2026-12-02T18:30:15Z\",\n    \"collection\": \"during-period\",\n    \"intervals\": [\n      {\n        \"evidence\": \"audit-log\",\n        \"firstEvent\": \"2026-10-01T00:00:04Z\",\n        \"lastEvent\": \"2026-12-02T18:29:59Z\",\n        \"events\": 81234\n      }\n    ]\n  },\n",
        );
        let m = PacketMeta::from_slice(v2.as_bytes()).unwrap();
        let ev = m.evidence.as_ref().unwrap();
        assert_eq!(ev.collection, Timing::DuringPeriod);
        assert_eq!(ev.intervals[0].events, 81234);
        assert_eq!(String::from_utf8(m.to_bytes()).unwrap(), v2);
        let mixed = v2.replace("\"formatVersion\": 2", "\"formatVersion\": 1");
        let e = PacketMeta::from_slice(mixed.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("`evidence` is a formatVersion 2 field"), "{e}");
        let bad = v2.replace("during-period", "mid-period");
        let e = PacketMeta::from_slice(bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("mid-period"), "{e}");
    }

    #[test]
    fn a_bare_packet_json_keeps_absent_fields_absent() {
        let text = "{\n  \"formatVersion\": 2\n}\n";
        let m = PacketMeta::from_slice(text.as_bytes()).unwrap();
        assert_eq!(m, PacketMeta::bare());
        assert_eq!(m.kubernetes_version, Stated::Absent);
        assert_eq!(String::from_utf8(m.to_bytes()).unwrap(), text);
        // A bare packet.json an earlier auditpack sealed keeps its version.
        let old = "{\n  \"formatVersion\": 1\n}\n";
        let m = PacketMeta::from_slice(old.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(m.to_bytes()).unwrap(), old);
    }

    #[test]
    fn a_link_with_its_verification_round_trips() {
        let text = r#"{"formatVersion":1,"previous":{"id":"a","manifestSha256":"00","verification":{"verified":true,"signerKeyId":"SHA256:x","signerName":null,"trust":"signing-key"}}}"#;
        let m = PacketMeta::from_slice(text.as_bytes()).unwrap();
        let link = m.previous.value().unwrap();
        assert_eq!(link.manifest_sha256.as_deref(), Some("00"));
        assert_eq!(
            link.verification.as_ref().unwrap().trust.as_deref(),
            Some("signing-key")
        );
        assert_eq!(serde_json::to_string(&m).unwrap(), text);
    }

    #[test]
    fn an_unknown_field_is_refused_by_name() {
        let e = PacketMeta::from_slice(br#"{"formatVersion":1,"previousPacket":null}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `previousPacket`"), "{e}");
        let e = PacketMeta::from_slice(
            br#"{"formatVersion":1,"previous":{"id":"a","manifestSha256":"0","x":1}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown field `x`"), "{e}");
    }

    #[test]
    fn an_unsupported_or_missing_format_version_is_refused_by_name() {
        let e = PacketMeta::from_slice(br#"{"formatVersion":3,"id":"p"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(
                "formatVersion 3 is not supported: this auditpack reads formatVersion 1 to 2"
            ),
            "{e}"
        );
        let e = PacketMeta::from_slice(br#"{"formatVersion":0}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("formatVersion 0 is not supported"), "{e}");
        let e = PacketMeta::from_slice(br#"{"id":"p"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing field `formatVersion`"), "{e}");
        let e = PacketMeta::from_slice(b"[1, 2]").unwrap_err().to_string();
        assert_eq!(e, "not a JSON object");
    }

    #[test]
    fn seal_fields_come_together() {
        let e = PacketMeta::from_slice(br#"{"formatVersion":1,"sealedAt":"2025-07-01T12:00:00Z"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no `signer`"), "{e}");
        let e = PacketMeta::from_slice(
            br#"{"formatVersion":1,"signer":{"keyId":"k","publicKey":"p"},"sealedAt":"July"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("sealedAt \"July\" is not an RFC 3339 time"),
            "{e}"
        );
    }
}
