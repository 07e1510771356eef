//! The parts of `packet.json` that verification and the archive code read, through
//! [`PacketMeta`].

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use serde_json::Value;

use crate::model::PacketMeta;
use crate::seal::keys;

/// `packet.json` as verification reads it.
#[derive(Debug, Default)]
pub(crate) struct PacketRead {
    /// The file read through its type (the attestation's predicate must equal it).
    pub meta: Option<PacketMeta>,
    pub id: Option<String>,
    pub sealed_at_text: Option<String>,
    pub sealed_at: Option<DateTime<Utc>>,
    pub signer_key_id: Option<String>,
    pub signer_public: Option<VerifyingKey>,
    /// `attestation`: the DSSE file seal recorded writing (absent in older packets).
    pub attestation: Option<String>,
}

/// Reads `packet.json`; the second value is why it is not one a sealed packet has.
pub(crate) fn packet_meta(bytes: Option<&[u8]>) -> (PacketRead, Option<String>) {
    let mut read = PacketRead::default();
    let Some(bytes) = bytes else {
        return (
            read,
            Some("packet.json is missing; every sealed packet has one".into()),
        );
    };
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(_)) => {}
        Ok(_) => return (read, Some("packet.json is not a JSON object".into())),
        Err(e) => return (read, Some(format!("packet.json is not valid JSON: {e}"))),
    }
    let meta = match PacketMeta::from_slice(bytes) {
        Ok(m) => m,
        Err(e) => return (read, Some(format!("packet.json is refused: {e}"))),
    };
    read.id = meta.id.clone();
    if let Some(seal) = &meta.seal {
        read.sealed_at = Some(seal.sealed_at);
        read.sealed_at_text = Some(crate::seal::format_time(seal.sealed_at));
        read.signer_key_id = Some(seal.signer.key_id.clone());
        read.signer_public = keys::public_key_from_base64(&seal.signer.public_key);
        read.attestation = seal.attestation.clone();
    }
    read.meta = Some(meta);
    let problem = if read.sealed_at.is_none() {
        Some("packet.json has no `sealedAt`: it was never sealed".to_string())
    } else {
        match &read.attestation {
            Some(s) if s == crate::seal::DSSE => None,
            Some(other) => Some(format!(
                "packet.json `attestation` is {other:?}; seal writes {:?}",
                crate::seal::DSSE
            )),
            None => None,
        }
    };
    (read, problem)
}
