//! DSSE envelope over an in-toto Statement v1: `SHA256SUMS.intoto.json`, built and checked
//! through the types in [`crate::model::statement`].
//!
//! The statement's subjects are the manifest's files (`{name, digest: {sha256}}`), its
//! predicate is the content of `packet.json` (predicate type [`PREDICATE_TYPE`]). The
//! envelope's signature is Ed25519 over the DSSE pre-authentication encoding (PAE), and its
//! `keyid` is the id Python `securesystemslib` computes for the key, so off-the-shelf
//! in-toto tooling accepts it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::model::PacketMeta;
use crate::model::statement::{Envelope, EnvelopeSignature, Statement, Subject, SubjectDigest};
pub use crate::model::statement::{PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE};
use crate::seal::keys;
use crate::seal::manifest::Entry;

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
pub fn statement(entries: &[Entry], packet: &PacketMeta) -> Statement {
    Statement::new(subjects(entries), packet.clone())
}

/// The statement's subjects: every manifest entry, in its order.
fn subjects(entries: &[Entry]) -> Vec<Subject> {
    entries
        .iter()
        .map(|e| Subject {
            name: e.path.clone(),
            digest: SubjectDigest {
                sha256: hex::encode(e.sha256),
            },
        })
        .collect()
}

/// The signed envelope bytes (pretty JSON, trailing newline).
pub fn envelope(entries: &[Entry], packet: &PacketMeta, key: &SigningKey) -> Vec<u8> {
    let payload = statement(entries, packet).to_bytes();
    let sig = key.sign(&pae(PAYLOAD_TYPE, &payload));
    Envelope {
        payload_type: PAYLOAD_TYPE.to_string(),
        payload: STANDARD.encode(&payload),
        signatures: vec![EnvelopeSignature {
            keyid: keys::securesystemslib_keyid(&key.verifying_key()),
            sig: STANDARD.encode(sig.to_bytes()),
        }],
    }
    .to_bytes()
}

/// Checks an envelope against the trusted key, the manifest entries and packet.json (as
/// read through its type; `None` when it is absent or refused, which is reported on its
/// own). Returns one message per problem (empty when it checks).
pub fn check(
    bytes: &[u8],
    key: &VerifyingKey,
    entries: &[Entry],
    packet: Option<&PacketMeta>,
) -> Vec<String> {
    let payload = match signed_payload(bytes, key) {
        Ok(p) => p,
        Err(problem) => return vec![problem],
    };
    let statement = match Statement::from_slice(&payload) {
        Ok(s) => s,
        Err(e) => {
            return vec![format!(
                "payload is not an in-toto statement this auditpack reads: {e}"
            )];
        }
    };
    let mut problems = Vec::new();
    if statement.type_ != STATEMENT_TYPE {
        problems.push(format!("statement _type is not {STATEMENT_TYPE}"));
    }
    if statement.predicate_type != PREDICATE_TYPE {
        problems.push(format!("predicateType is not {PREDICATE_TYPE}"));
    }
    if statement.subject != subjects(entries) {
        problems.push("subjects differ from the files and digests in SHA256SUMS".into());
    }
    if let Some(packet) = packet
        && &statement.predicate != packet
    {
        problems.push("predicate differs from packet.json".into());
    }
    problems
}

/// The envelope's payload, once a signature by `key` over its PAE verifies.
fn signed_payload(bytes: &[u8], key: &VerifyingKey) -> Result<Vec<u8>, String> {
    let env = Envelope::from_slice(bytes).map_err(|e| format!("not a DSSE envelope: {e}"))?;
    if env.payload_type != PAYLOAD_TYPE {
        return Err(format!("payloadType is not {PAYLOAD_TYPE}"));
    }
    let payload = STANDARD
        .decode(&env.payload)
        .map_err(|_| "payload is not base64".to_string())?;
    let keyid = keys::securesystemslib_keyid(key);
    let message = pae(PAYLOAD_TYPE, &payload);
    let signed = env
        .signatures
        .iter()
        .filter(|s| s.keyid == keyid)
        .filter_map(|s| STANDARD.decode(&s.sig).ok())
        .filter_map(|s| <[u8; 64]>::try_from(s.as_slice()).ok())
        .any(|s| {
            key.verify_strict(&message, &Signature::from_bytes(&s))
                .is_ok()
        });
    if !signed {
        return Err(format!(
            "no signature with keyid {keyid} verifies over the DSSE PAE with the trusted key"
        ));
    }
    Ok(payload)
}
