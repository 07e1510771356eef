//! DSSE envelope over an in-toto Statement v1: `SHA256SUMS.intoto.json`.
//!
//! The statement's subjects are the manifest's files (`{name, digest: {sha256}}`), its
//! predicate is the content of `packet.json` (predicate type [`PREDICATE_TYPE`]). The
//! envelope's signature is Ed25519 over the DSSE pre-authentication encoding (PAE), and its
//! `keyid` is the id Python `securesystemslib` computes for the key, so off-the-shelf
//! in-toto tooling accepts it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::{Value, json};

use crate::seal::keys;
use crate::seal::manifest::Entry;

/// DSSE `payloadType` of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// in-toto Statement v1 `_type`.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type auditpack uses: the predicate is `packet.json`.
pub const PREDICATE_TYPE: &str = "https://auditpack.dev/packet/v1";

/// DSSE pre-authentication encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The in-toto statement for a manifest and packet.json.
pub fn statement(entries: &[Entry], packet: &Value) -> Value {
    let subjects: Vec<Value> = entries
        .iter()
        .map(|e| json!({"name": e.path, "digest": {"sha256": hex::encode(e.sha256)}}))
        .collect();
    json!({
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": packet,
    })
}

/// The signed envelope bytes (pretty JSON, trailing newline).
pub fn envelope(entries: &[Entry], packet: &Value, key: &SigningKey) -> Vec<u8> {
    let payload = serde_json::to_vec(&statement(entries, packet)).expect("JSON values serialize");
    let sig = key.sign(&pae(PAYLOAD_TYPE, &payload));
    let env = json!({
        "payloadType": PAYLOAD_TYPE,
        "payload": STANDARD.encode(&payload),
        "signatures": [{
            "keyid": keys::securesystemslib_keyid(&key.verifying_key()),
            "sig": STANDARD.encode(sig.to_bytes()),
        }],
    });
    let mut out = serde_json::to_vec_pretty(&env).expect("JSON values serialize");
    out.push(b'\n');
    out
}

/// Checks an envelope against the trusted key, the manifest entries and packet.json.
/// Returns one message per problem (empty when it checks).
pub fn check(
    bytes: &[u8],
    key: &VerifyingKey,
    entries: &[Entry],
    packet: Option<&Value>,
) -> Vec<String> {
    let env: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return vec![format!("not valid JSON: {e}")],
    };
    if env.get("payloadType").and_then(Value::as_str) != Some(PAYLOAD_TYPE) {
        return vec![format!("payloadType is not {PAYLOAD_TYPE}")];
    }
    let Some(payload) = env
        .get("payload")
        .and_then(Value::as_str)
        .and_then(|p| STANDARD.decode(p).ok())
    else {
        return vec!["payload is missing or not base64".into()];
    };
    let keyid = keys::securesystemslib_keyid(key);
    let message = pae(PAYLOAD_TYPE, &payload);
    let signed = env
        .get("signatures")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|s| s.get("keyid").and_then(Value::as_str) == Some(keyid.as_str()))
        .filter_map(|s| s.get("sig").and_then(Value::as_str))
        .filter_map(|s| STANDARD.decode(s).ok())
        .filter_map(|s| <[u8; 64]>::try_from(s.as_slice()).ok())
        .any(|s| {
            key.verify_strict(&message, &Signature::from_bytes(&s))
                .is_ok()
        });
    if !signed {
        return vec![format!(
            "no signature with keyid {keyid} verifies over the DSSE PAE with the trusted key"
        )];
    }
    let statement: Value = match serde_json::from_slice(&payload) {
        Ok(v) => v,
        Err(e) => return vec![format!("payload is not valid JSON: {e}")],
    };
    let mut problems = Vec::new();
    if statement.get("_type").and_then(Value::as_str) != Some(STATEMENT_TYPE) {
        problems.push(format!("statement _type is not {STATEMENT_TYPE}"));
    }
    if statement.get("predicateType").and_then(Value::as_str) != Some(PREDICATE_TYPE) {
        problems.push(format!("predicateType is not {PREDICATE_TYPE}"));
    }
    let expected = statement_subjects(entries);
    if statement.get("subject") != Some(&expected) {
        problems.push("subjects differ from the files and digests in SHA256SUMS".into());
    }
    if let Some(packet) = packet
        && statement.get("predicate") != Some(packet)
    {
        problems.push("predicate differs from packet.json".into());
    }
    problems
}

fn statement_subjects(entries: &[Entry]) -> Value {
    statement(entries, &Value::Null)["subject"].clone()
}
