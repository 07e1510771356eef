//! The sidecar index `FILE.tar.gz.json` that `auditpack archive` writes next to an archive:
//! what a document store needs to file a packet without opening it (schema in
//! `docs/seal.md`). Like any unsigned metadata it proves nothing until the archive itself
//! verifies.
//!
//! Its packet fields are copied from the sealed `packet.json` with the same names' meaning
//! and the same types: `period` is a [`Period`] and `previous` the [`PacketLink`] that
//! `packet.json` states.
//!
//! `formatVersion` 2 (this auditpack writes it) adds what an object store files an object
//! by: `contentType`, `archiveSha256Base64` (the form of S3's `x-amz-checksum-sha256`),
//! `retention` (Object Lock mode and date, `null` when none was set), `legalHold` and
//! `auditpackVersion`. A `formatVersion` 1 index (written before) still reads, with those
//! fields absent; a `formatVersion` 2 index without them is refused by name.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{PacketLink, PacketMeta, Period};

/// The `formatVersion` of the index this auditpack writes (it also reads `1`).
pub const ARCHIVE_INDEX_FORMAT_VERSION: u32 = 2;

/// The `contentType` of an archive (and of its object in a store).
pub const ARCHIVE_CONTENT_TYPE: &str = "application/gzip";

/// Object Lock retention modes (S3's `COMPLIANCE` and `GOVERNANCE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockMode {
    /// Nobody, not even the account root, can shorten or remove the retention.
    Compliance,
    /// Users with `s3:BypassGovernanceRetention` can remove it.
    Governance,
}

impl LockMode {
    /// The lowercase name (`compliance`, `governance`).
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Compliance => "compliance",
            LockMode::Governance => "governance",
        }
    }
}

impl std::fmt::Display for LockMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Object Lock retention set on an archive's objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Retention {
    /// `mode`: `compliance` or `governance`.
    pub mode: LockMode,
    /// `retainUntil`: RFC 3339, whole seconds, `Z`.
    #[serde(serialize_with = "write_time", deserialize_with = "read_time")]
    pub retain_until: DateTime<Utc>,
}

/// `FILE.tar.gz.json`, read strictly: an unknown field or an unsupported `formatVersion`
/// is refused with an error that names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename = "archive index",
    rename_all = "camelCase",
    deny_unknown_fields
)]
pub struct ArchiveIndex {
    /// `formatVersion`: always [`ARCHIVE_INDEX_FORMAT_VERSION`] once read.
    #[serde(deserialize_with = "format_version")]
    pub format_version: u32,
    /// `archive`: the archive's file name (no folder).
    pub archive: String,
    /// `archiveSha256`: SHA-256 (hex) of the archive bytes.
    pub archive_sha256: String,
    /// `archiveBytes`: size of the archive.
    pub archive_bytes: u64,
    /// `archiveSha256Base64`: the same SHA-256 in base64, as S3's `x-amz-checksum-sha256`
    /// states it (formatVersion 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_sha256_base64: Option<String>,
    /// `contentType`: `application/gzip` (formatVersion 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `packetId`: `packet.json` `id`.
    pub packet_id: Option<String>,
    /// `cluster`: `packet.json` `cluster`.
    pub cluster: Option<String>,
    /// `period`: `packet.json` `period`, in the same written form.
    pub period: Option<Period>,
    /// `frameworks`: `packet.json` `frameworks`.
    pub frameworks: Option<Vec<String>>,
    /// `signerKeyId`: `packet.json` `signer.keyId`.
    pub signer_key_id: String,
    /// `sealedAt`: `packet.json` `sealedAt` (RFC 3339, whole seconds, `Z`).
    #[serde(serialize_with = "write_time", deserialize_with = "read_time")]
    pub sealed_at: DateTime<Utc>,
    /// `manifestSha256`: SHA-256 (hex) of `SHA256SUMS`, the digest a later packet links to.
    pub manifest_sha256: String,
    /// `previous`: `packet.json` `previous` (`null` when it links to nothing).
    pub previous: Option<PacketLink>,
    /// `retention`: the Object Lock retention set on the archive's objects, `null` for a
    /// local archive or an upload without one (formatVersion 2).
    #[serde(default, skip_serializing_if = "is_v1")]
    pub retention: Stored<Retention>,
    /// `legalHold`: whether a legal hold was set on the objects (formatVersion 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_hold: Option<bool>,
    /// `auditpackVersion`: the auditpack that wrote the archive (formatVersion 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auditpack_version: Option<String>,
}

/// A field that formatVersion 1 lacks and formatVersion 2 always writes, possibly `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stored<T> {
    /// Absent (formatVersion 1).
    #[default]
    Absent,
    /// Present: `null` (`None`) or a value.
    Present(Option<T>),
}

impl<T> Stored<T> {
    /// The value, when present and not `null`.
    pub fn value(&self) -> Option<&T> {
        match self {
            Stored::Present(Some(v)) => Some(v),
            _ => None,
        }
    }
}

impl<T: Serialize> Serialize for Stored<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Stored::Absent => s.serialize_none(),
            Stored::Present(v) => v.serialize(s),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Stored<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Stored::Present(Option::<T>::deserialize(d)?))
    }
}

fn is_v1<T>(v: &Stored<T>) -> bool {
    matches!(v, Stored::Absent)
}

/// Why an archive index was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveIndexError {
    /// Valid JSON, but not an object.
    #[error("not a JSON object")]
    NotAnObject,
    /// A formatVersion 2 index lacks a field that version always writes.
    #[error(
        "formatVersion 2 index without `{0}`: every formatVersion 2 index states it; the index was not written by auditpack archive, or was edited"
    )]
    MissingV2Field(&'static str),
    /// A formatVersion 1 index holds a field only formatVersion 2 has.
    #[error("formatVersion 1 index with `{0}`, a field of formatVersion 2: set formatVersion 2")]
    V2FieldInV1(&'static str),
    /// Not valid JSON, or a field is unknown, missing or of the wrong form (the message
    /// names it).
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// What of the archive itself goes into its index.
#[derive(Debug, Clone)]
pub struct ArchiveFacts {
    /// The archive's file name.
    pub archive: String,
    /// SHA-256 (hex) of the archive bytes.
    pub archive_sha256: String,
    /// Size of the archive in bytes.
    pub archive_bytes: u64,
    /// SHA-256 (hex) of the `SHA256SUMS` bytes.
    pub manifest_sha256: String,
}

impl ArchiveIndex {
    /// The index of an archive of a sealed packet; `None` when `packet` was never sealed
    /// (no signer, no seal time), which `auditpack archive` refuses before it gets here.
    /// `retention` and `legalHold` start unset (`null`, `false`); an upload with Object Lock
    /// sets them.
    pub fn new(packet: &PacketMeta, facts: ArchiveFacts) -> Option<ArchiveIndex> {
        let seal = packet.seal.as_ref()?;
        let base64 = hex::decode(&facts.archive_sha256)
            .ok()
            .map(|raw| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw));
        Some(ArchiveIndex {
            format_version: ARCHIVE_INDEX_FORMAT_VERSION,
            archive: facts.archive,
            archive_sha256: facts.archive_sha256,
            archive_bytes: facts.archive_bytes,
            archive_sha256_base64: base64,
            content_type: Some(ARCHIVE_CONTENT_TYPE.to_string()),
            packet_id: packet.id.clone(),
            cluster: packet.cluster.clone(),
            period: packet.period,
            frameworks: packet.frameworks.clone(),
            signer_key_id: seal.signer.key_id.clone(),
            sealed_at: seal.sealed_at,
            manifest_sha256: facts.manifest_sha256,
            previous: packet.previous.value().cloned(),
            retention: Stored::Present(None),
            legal_hold: Some(false),
            auditpack_version: Some(env!("CARGO_PKG_VERSION").to_string()),
        })
    }

    /// Reads an index strictly.
    pub fn from_slice(bytes: &[u8]) -> Result<ArchiveIndex, ArchiveIndexError> {
        // An object only: serde would read a struct from an array too, by position.
        let value: serde_json::Value = serde_json::from_slice(bytes)?;
        if !value.is_object() {
            return Err(ArchiveIndexError::NotAnObject);
        }
        let index: ArchiveIndex = serde_json::from_value(value)?;
        if index.format_version >= 2 {
            let missing = [
                ("contentType", index.content_type.is_none()),
                ("archiveSha256Base64", index.archive_sha256_base64.is_none()),
                ("retention", matches!(index.retention, Stored::Absent)),
                ("legalHold", index.legal_hold.is_none()),
                ("auditpackVersion", index.auditpack_version.is_none()),
            ];
            if let Some((name, _)) = missing.iter().find(|(_, m)| *m) {
                return Err(ArchiveIndexError::MissingV2Field(name));
            }
        } else {
            let added = [
                ("contentType", index.content_type.is_some()),
                ("archiveSha256Base64", index.archive_sha256_base64.is_some()),
                ("retention", !matches!(index.retention, Stored::Absent)),
                ("legalHold", index.legal_hold.is_some()),
                ("auditpackVersion", index.auditpack_version.is_some()),
            ];
            if let Some((name, _)) = added.iter().find(|(_, a)| *a) {
                return Err(ArchiveIndexError::V2FieldInV1(name));
            }
        }
        Ok(index)
    }

    /// The file's bytes: pretty JSON, fields in the documented order, trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("the archive index serializes");
        out.push(b'\n');
        out
    }
}

fn format_version<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let got = u64::deserialize(d)?;
    match got {
        1 => Ok(1),
        2 => Ok(2),
        _ => Err(serde::de::Error::custom(format!(
            "formatVersion {got} is not supported: this auditpack reads archive indexes of formatVersion 1 and {ARCHIVE_INDEX_FORMAT_VERSION}"
        ))),
    }
}

fn write_time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn read_time<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| serde::de::Error::custom(format!("{text:?} is not an RFC 3339 time: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index byte for byte as `auditpack archive` writes it.
    const INDEX: &str = r#"{
  "formatVersion": 1,
  "archive": "prod-2025Q2.tar.gz",
  "archiveSha256": "5db7aa7d7b0b4b1f16a3b1a1cfc1e1f2a9f1dbd0e4d1c6bd1cf5e3e7e0c1a2b3",
  "archiveBytes": 1980,
  "packetId": "prod-2025Q2",
  "cluster": "prod",
  "period": {
    "start": "2025-04-01T00:00:00Z",
    "end": "2025-06-30T23:59:59Z"
  },
  "frameworks": [
    "soc2",
    "hipaa"
  ],
  "signerKeyId": "SHA256:iljm1jslG+JWqZgRBFn9RO3sB4tmeNOCVnHj7QGENFs",
  "sealedAt": "2025-07-01T12:00:00Z",
  "manifestSha256": "32d9aa7d7b0b4b1f16a3b1a1cfc1e1f2a9f1dbd0e4d1c6bd1cf5e3e7e0c1a2b3",
  "previous": {
    "id": "prod-2025Q1",
    "manifestSha256": "00d9aa7d7b0b4b1f16a3b1a1cfc1e1f2a9f1dbd0e4d1c6bd1cf5e3e7e0c1a2b3"
  }
}
"#;

    #[test]
    fn an_index_reads_and_writes_back_byte_for_byte() {
        let i = ArchiveIndex::from_slice(INDEX.as_bytes()).unwrap();
        assert_eq!(i.previous.as_ref().unwrap().id, "prod-2025Q1");
        assert_eq!(
            i.period.unwrap().end.to_rfc3339(),
            "2025-07-01T00:00:00+00:00"
        );
        assert_eq!(String::from_utf8(i.to_bytes()).unwrap(), INDEX);
    }

    #[test]
    fn the_index_copies_the_sealed_packet_json_fields_with_their_types() {
        let packet = PacketMeta::from_slice(
            br#"{"formatVersion":1,"id":"p2","cluster":"c","period":{"start":"2025-04-01T00:00:00Z","end":"2025-06-30T23:59:59Z"},"previous":{"id":"p1","manifestSha256":"ab"},"signer":{"keyId":"SHA256:k","publicKey":"x"},"sealedAt":"2025-07-01T12:00:00Z"}"#,
        )
        .unwrap();
        let facts = ArchiveFacts {
            archive: "p2.tar.gz".into(),
            archive_sha256: "aa".into(),
            archive_bytes: 3,
            manifest_sha256: "bb".into(),
        };
        let i = ArchiveIndex::new(&packet, facts.clone()).unwrap();
        assert_eq!(i.previous.as_ref(), packet.previous.value());
        assert_eq!(i.period, packet.period);
        assert_eq!(i.signer_key_id, "SHA256:k");
        assert_eq!(i.frameworks, None);
        assert_eq!(ArchiveIndex::from_slice(&i.to_bytes()).unwrap(), i);
        assert!(ArchiveIndex::new(&PacketMeta::bare(), facts).is_none());
    }

    /// The same index as formatVersion 2 writes it, with an Object Lock retention.
    fn v2() -> String {
        INDEX
            .replace("\"formatVersion\": 1", "\"formatVersion\": 2")
            .replace(
                "  \"archiveBytes\": 1980,\n",
                "  \"archiveBytes\": 1980,\n  \"archiveSha256Base64\": \"XbeqfXsLSx8Wo7Ghz8Hh8qnx29Dk0ca9HPXj5+DBorM=\",\n  \"contentType\": \"application/gzip\",\n",
            )
            .replace(
                "  }\n}\n",
                "  },\n  \"retention\": {\n    \"mode\": \"compliance\",\n    \"retainUntil\": \"2031-07-01T12:00:00Z\"\n  },\n  \"legalHold\": false,\n  \"auditpackVersion\": \"0.1.0\"\n}\n",
            )
    }

    #[test]
    fn a_v2_index_reads_and_writes_back_and_states_its_retention() {
        let text = v2();
        let i = ArchiveIndex::from_slice(text.as_bytes()).unwrap();
        assert_eq!(i.format_version, 2);
        let r = i.retention.value().unwrap();
        assert_eq!(r.mode, LockMode::Compliance);
        assert_eq!(r.retain_until.to_rfc3339(), "2031-07-01T12:00:00+00:00");
        assert_eq!(i.content_type.as_deref(), Some(ARCHIVE_CONTENT_TYPE));
        assert_eq!(String::from_utf8(i.to_bytes()).unwrap(), text);
        // The base64 is the hex digest's bytes.
        let raw = hex::decode(&i.archive_sha256).unwrap();
        assert_eq!(
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw),
            i.archive_sha256_base64.unwrap()
        );
        // A v1 index keeps reading, without the v2 fields.
        let old = ArchiveIndex::from_slice(INDEX.as_bytes()).unwrap();
        assert_eq!(old.format_version, 1);
        assert_eq!(old.retention, Stored::Absent);
        assert_eq!(old.auditpack_version, None);
    }

    #[test]
    fn a_v2_index_without_a_v2_field_or_a_v1_index_with_one_is_refused_by_name() {
        let e = ArchiveIndex::from_slice(
            v2().replace(
                "  \"legalHold\": false,\n  \"auditpackVersion\": \"0.1.0\"\n",
                "  \"legalHold\": false\n",
            )
            .as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("formatVersion 2 index without `auditpackVersion`"),
            "{e}"
        );
        let e = ArchiveIndex::from_slice(
            v2().replace("\"formatVersion\": 2", "\"formatVersion\": 1")
                .as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("formatVersion 1 index with `contentType`"),
            "{e}"
        );
        let e = ArchiveIndex::from_slice(v2().replace("\"compliance\"", "\"forever\"").as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant `forever`"), "{e}");
    }

    #[test]
    fn a_new_index_is_v2_with_no_retention_yet() {
        let packet = PacketMeta::from_slice(
            br#"{"formatVersion":1,"id":"p2","signer":{"keyId":"SHA256:k","publicKey":"x"},"sealedAt":"2025-07-01T12:00:00Z"}"#,
        )
        .unwrap();
        let facts = ArchiveFacts {
            archive: "p2.tar.gz".into(),
            archive_sha256: "00ff".into(),
            archive_bytes: 3,
            manifest_sha256: "bb".into(),
        };
        let i = ArchiveIndex::new(&packet, facts).unwrap();
        assert_eq!(i.format_version, ARCHIVE_INDEX_FORMAT_VERSION);
        assert_eq!(i.archive_sha256_base64.as_deref(), Some("AP8="));
        assert_eq!(i.retention, Stored::Present(None));
        let text = String::from_utf8(i.to_bytes()).unwrap();
        assert!(text.contains("\"retention\": null"), "{text}");
        assert_eq!(ArchiveIndex::from_slice(text.as_bytes()).unwrap(), i);
    }

    #[test]
    fn an_unknown_field_is_refused_by_name() {
        // The name the index used before it took packet.json's.
        let old = INDEX.replace("\"previous\"", "\"previousPacket\"");
        let e = ArchiveIndex::from_slice(old.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `previousPacket`"), "{e}");
    }

    #[test]
    fn an_unsupported_or_missing_format_version_is_refused_by_name() {
        let e = ArchiveIndex::from_slice(
            INDEX
                .replace("\"formatVersion\": 1", "\"formatVersion\": 3")
                .as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("formatVersion 3 is not supported"), "{e}");
        let old = INDEX.replace("\"formatVersion\"", "\"indexVersion\"");
        let e = ArchiveIndex::from_slice(old.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `indexVersion`"), "{e}");
        let e = ArchiveIndex::from_slice(b"[]").unwrap_err().to_string();
        assert_eq!(e, "not a JSON object");
    }
}
