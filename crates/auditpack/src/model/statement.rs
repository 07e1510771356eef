//! `SHA256SUMS.intoto.json`: a DSSE [`Envelope`] whose payload is an in-toto
//! [`Statement`] v1 over the manifest's files, with `packet.json` ([`PacketMeta`]) as its
//! predicate (schema in `docs/seal.md`).
//!
//! Both are written and read only through these types. The field order is the order
//! in-toto and DSSE document (and the order auditpack always wrote), so the bytes signed are
//! the bytes earlier packets hold. The statement is read strictly (auditpack is its only
//! writer); the envelope tolerates fields other DSSE tools may add, since only its
//! `payload` is signed.

use serde::{Deserialize, Serialize};

use crate::model::PacketMeta;

/// DSSE `payloadType` of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// in-toto Statement v1 `_type`.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type auditpack uses: the predicate is `packet.json`.
pub const PREDICATE_TYPE: &str = "https://auditpack.dev/packet/v1";

/// The DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// `payloadType`: `PAYLOAD_TYPE`.
    pub payload_type: String,
    /// `payload`: the statement's bytes, standard base64.
    pub payload: String,
    /// `signatures`: Ed25519 over the DSSE PAE of the payload.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an [`Envelope`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// `keyid`: the id Python `securesystemslib` computes for the key.
    pub keyid: String,
    /// `sig`: the signature, standard base64.
    pub sig: String,
}

/// The in-toto Statement v1 that the envelope signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// `_type`: `STATEMENT_TYPE`.
    #[serde(rename = "_type")]
    pub type_: String,
    /// `subject`: every file `SHA256SUMS` lists, in its order.
    pub subject: Vec<Subject>,
    /// `predicateType`: `PREDICATE_TYPE`.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// `predicate`: the sealed `packet.json`.
    pub predicate: PacketMeta,
}

/// One subject: a file and its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// `name`: the path relative to the packet.
    pub name: String,
    /// `digest`.
    pub digest: SubjectDigest,
}

/// `digest` of a [`Subject`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectDigest {
    /// `sha256`: lowercase hex.
    pub sha256: String,
}

impl Statement {
    /// The statement auditpack signs: these subjects, this `packet.json`.
    pub fn new(subject: Vec<Subject>, predicate: PacketMeta) -> Statement {
        Statement {
            type_: STATEMENT_TYPE.to_string(),
            subject,
            predicate_type: PREDICATE_TYPE.to_string(),
            predicate,
        }
    }

    /// Reads a statement strictly: an unknown field, or a predicate that is not a
    /// `packet.json` this auditpack reads, is refused with an error that names it.
    pub fn from_slice(bytes: &[u8]) -> Result<Statement, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The payload bytes: compact JSON, fields in the in-toto order.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("the statement serializes")
    }
}

impl Envelope {
    /// Reads an envelope.
    pub fn from_slice(bytes: &[u8]) -> Result<Envelope, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The file's bytes: pretty JSON, trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("the envelope serializes");
        out.push(b'\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A statement byte for byte as auditpack has always signed it (`json!` with the
    /// fields in this order).
    const STATEMENT: &str = r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"index.html","digest":{"sha256":"ab"}},{"name":"packet.json","digest":{"sha256":"cd"}}],"predicateType":"https://auditpack.dev/packet/v1","predicate":{"formatVersion":1,"id":"p","previous":null,"signer":{"keyId":"SHA256:k","publicKey":"x"},"sealedAt":"2025-07-01T12:00:00Z","attestation":"SHA256SUMS.intoto.json"}}"#;

    #[test]
    fn a_statement_reads_and_writes_back_byte_for_byte() {
        let s = Statement::from_slice(STATEMENT.as_bytes()).unwrap();
        assert_eq!(s.type_, STATEMENT_TYPE);
        assert_eq!(s.subject[1].name, "packet.json");
        assert_eq!(s.predicate.id.as_deref(), Some("p"));
        assert_eq!(String::from_utf8(s.to_bytes()).unwrap(), STATEMENT);
        let built = Statement::new(s.subject.clone(), s.predicate.clone());
        assert_eq!(built, s);
    }

    #[test]
    fn a_statement_refuses_unknown_fields_and_a_predicate_that_is_no_packet_json() {
        let extra = STATEMENT.replacen("{\"_type\"", "{\"x\":1,\"_type\"", 1);
        let e = Statement::from_slice(extra.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `x`"), "{e}");
        let digest = STATEMENT.replacen(
            "{\"sha256\":\"ab\"}",
            "{\"sha256\":\"ab\",\"md5\":\"0\"}",
            1,
        );
        let e = Statement::from_slice(digest.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `md5`"), "{e}");
        let v3 = STATEMENT.replace("\"formatVersion\":1", "\"formatVersion\":3");
        let e = Statement::from_slice(v3.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("formatVersion 3 is not supported"), "{e}");
    }

    #[test]
    fn an_envelope_round_trips_in_the_dsse_field_order() {
        let text = "{\n  \"payloadType\": \"application/vnd.in-toto+json\",\n  \"payload\": \"e30=\",\n  \"signatures\": [\n    {\n      \"keyid\": \"k\",\n      \"sig\": \"s\"\n    }\n  ]\n}\n";
        let e = Envelope::from_slice(text.as_bytes()).unwrap();
        assert_eq!(e.payload_type, PAYLOAD_TYPE);
        assert_eq!(String::from_utf8(e.to_bytes()).unwrap(), text);
        let e = Envelope::from_slice(br#"{"payload":"e30=","signatures":[]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing field `payloadType`"), "{e}");
    }
}
