#!/usr/bin/env python3
"""Independent check of an auditpack DSSE attestation with Python securesystemslib.

usage: dsse_verify.py ENVELOPE PUBKEY_HEX SHA256SUMS

Builds the key from its raw bytes (securesystemslib computes its own key id), verifies the
envelope's signature over the DSSE PAE, then checks the in-toto statement's subjects
against the SHA256SUMS lines. Exit 0 only if everything checks.
Needs: pip install 'securesystemslib[crypto]'
"""
import base64
import json
import re
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey


def main() -> int:
    envelope_path, pub_hex, sums_path = sys.argv[1:4]
    key = SSlibKey.from_crypto(Ed25519PublicKey.from_public_bytes(bytes.fromhex(pub_hex)))
    with open(envelope_path, encoding="utf-8") as f:
        envelope = Envelope.from_dict(json.load(f))
    if envelope.payload_type != "application/vnd.in-toto+json":
        print("wrong payloadType", envelope.payload_type)
        return 1
    envelope.verify([key], 1)  # raises VerificationError
    statement = json.loads(envelope.payload)
    if statement["_type"] != "https://in-toto.io/Statement/v1":
        print("wrong _type")
        return 1
    line = re.compile(r"^SHA256 \((.*)\) = ([0-9a-f]{64})$")
    with open(sums_path, encoding="utf-8") as f:
        listed = [line.match(l.rstrip("\n")).groups() for l in f]
    subjects = [(s["name"], s["digest"]["sha256"]) for s in statement["subject"]]
    if subjects != listed:
        print("subjects differ from SHA256SUMS")
        return 1
    print("keyid", key.keyid)
    print("subjects", len(subjects))
    print("predicateType", statement["predicateType"])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # noqa: BLE001 - any failure is a failed verification
        print("FAILED:", type(e).__name__, e)
        sys.exit(1)
