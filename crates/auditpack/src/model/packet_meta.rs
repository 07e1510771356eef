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

use crate::model::Period;

/// The `formatVersion` this auditpack reads and writes.
pub const PACKET_FORMAT_VERSION: u32 = 1;

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
    /// `signer`, `sealedAt` and `attestation`: present once sealed.
    pub seal: Option<SealRecord>,
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
    signer: Option<PacketSigner>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attestation: Option<String>,
}

fn format_version<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let got = u64::deserialize(d)?;
    if got == u64::from(PACKET_FORMAT_VERSION) {
        Ok(PACKET_FORMAT_VERSION)
    } else {
        Err(serde::de::Error::custom(format!(
            "formatVersion {got} is not supported: this auditpack reads formatVersion {PACKET_FORMAT_VERSION}"
        )))
    }
}

impl TryFrom<Flat> for PacketMeta {
    type Error = String;

    fn try_from(f: Flat) -> Result<Self, String> {
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

    #[test]
    fn a_bare_packet_json_keeps_absent_fields_absent() {
        let text = "{\n  \"formatVersion\": 1\n}\n";
        let m = PacketMeta::from_slice(text.as_bytes()).unwrap();
        assert_eq!(m, PacketMeta::bare());
        assert_eq!(m.kubernetes_version, Stated::Absent);
        assert_eq!(String::from_utf8(m.to_bytes()).unwrap(), text);
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
        let e = PacketMeta::from_slice(br#"{"formatVersion":2,"id":"p"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("formatVersion 2 is not supported: this auditpack reads formatVersion 1"),
            "{e}"
        );
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
