//! The parts of `packet.json` that verification and the archive code read.

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use serde_json::Value;

use crate::seal::keys;

/// The parts of `packet.json` verification reads.
#[derive(Debug, Default)]
pub(crate) struct PacketMeta {
    pub value: Option<Value>,
    pub id: Option<String>,
    pub sealed_at_text: Option<String>,
    pub sealed_at: Option<DateTime<Utc>>,
    pub signer_key_id: Option<String>,
    pub signer_public: Option<VerifyingKey>,
    /// `attestation`: the DSSE file seal recorded writing (absent in older packets).
    pub attestation: Option<Value>,
}

pub(crate) fn packet_meta(bytes: Option<&[u8]>) -> (PacketMeta, Option<String>) {
    let mut meta = PacketMeta::default();
    let Some(bytes) = bytes else {
        return (
            meta,
            Some("packet.json is missing; every sealed packet has one".into()),
        );
    };
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return (meta, Some("packet.json is not a JSON object".into())),
        Err(e) => return (meta, Some(format!("packet.json is not valid JSON: {e}"))),
    };
    meta.id = value.get("id").and_then(Value::as_str).map(str::to_string);
    meta.sealed_at_text = value
        .get("sealedAt")
        .and_then(Value::as_str)
        .map(str::to_string);
    meta.sealed_at = meta
        .sealed_at_text
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    if let Some(signer) = value.get("signer") {
        meta.signer_key_id = signer
            .get("keyId")
            .and_then(Value::as_str)
            .map(str::to_string);
        meta.signer_public = signer
            .get("publicKey")
            .and_then(Value::as_str)
            .and_then(keys::public_key_from_base64);
    }
    meta.attestation = value.get("attestation").cloned();
    let problem = if meta.sealed_at.is_none() {
        Some("packet.json has no valid RFC 3339 `sealedAt`".to_string())
    } else {
        match &meta.attestation {
            Some(Value::String(s)) if s == crate::seal::DSSE => None,
            Some(other) => Some(format!(
                "packet.json `attestation` is {other}; seal writes {:?}",
                crate::seal::DSSE
            )),
            None => None,
        }
    };
    meta.value = Some(value);
    (meta, problem)
}
