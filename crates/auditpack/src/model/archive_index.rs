//! The sidecar index `FILE.tar.gz.json` that `auditpack archive` writes next to an archive:
//! what a document store needs to file a packet without opening it (schema in
//! `docs/seal.md`). Like any unsigned metadata it proves nothing until the archive itself
//! verifies.
//!
//! Its packet fields are copied from the sealed `packet.json` with the same names' meaning
//! and the same types: `period` is a [`Period`] and `previous` the [`PacketLink`] that
//! `packet.json` states.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{PacketLink, PacketMeta, Period};

/// The `formatVersion` of the index this auditpack reads and writes.
pub const ARCHIVE_INDEX_FORMAT_VERSION: u32 = 1;

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
}

/// Why an archive index was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveIndexError {
    /// Valid JSON, but not an object.
    #[error("not a JSON object")]
    NotAnObject,
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
    pub fn new(packet: &PacketMeta, facts: ArchiveFacts) -> Option<ArchiveIndex> {
        let seal = packet.seal.as_ref()?;
        Some(ArchiveIndex {
            format_version: ARCHIVE_INDEX_FORMAT_VERSION,
            archive: facts.archive,
            archive_sha256: facts.archive_sha256,
            archive_bytes: facts.archive_bytes,
            packet_id: packet.id.clone(),
            cluster: packet.cluster.clone(),
            period: packet.period,
            frameworks: packet.frameworks.clone(),
            signer_key_id: seal.signer.key_id.clone(),
            sealed_at: seal.sealed_at,
            manifest_sha256: facts.manifest_sha256,
            previous: packet.previous.value().cloned(),
        })
    }

    /// Reads an index strictly.
    pub fn from_slice(bytes: &[u8]) -> Result<ArchiveIndex, ArchiveIndexError> {
        // An object only: serde would read a struct from an array too, by position.
        let value: serde_json::Value = serde_json::from_slice(bytes)?;
        if !value.is_object() {
            return Err(ArchiveIndexError::NotAnObject);
        }
        Ok(serde_json::from_value(value)?)
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
    if got == u64::from(ARCHIVE_INDEX_FORMAT_VERSION) {
        Ok(ARCHIVE_INDEX_FORMAT_VERSION)
    } else {
        Err(serde::de::Error::custom(format!(
            "formatVersion {got} is not supported: this auditpack reads archive indexes of formatVersion {ARCHIVE_INDEX_FORMAT_VERSION}"
        )))
    }
}

fn write_time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn read_time<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            serde::de::Error::custom(format!("sealedAt {text:?} is not an RFC 3339 time: {e}"))
        })
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
                .replace("\"formatVersion\": 1", "\"formatVersion\": 2")
                .as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("formatVersion 2 is not supported"), "{e}");
        let old = INDEX.replace("\"formatVersion\"", "\"indexVersion\"");
        let e = ArchiveIndex::from_slice(old.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `indexVersion`"), "{e}");
        let e = ArchiveIndex::from_slice(b"[]").unwrap_err().to_string();
        assert_eq!(e, "not a JSON object");
    }
}
