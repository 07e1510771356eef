//! "How to verify this packet" with standard tools (fixed text).

pub const TEMPLATE: &str = r##"## How to verify this packet {{ "verify" | anchor }}

Once sealed, the packet folder holds `SHA256SUMS` (the SHA-256 of every file) and its
signatures. Anyone can check it with standard tools, without auditpack:

```sh
# 1. Every file is present and unchanged
sha256sum -c SHA256SUMS

# 2. The list of hashes was signed by the expected key (Ed25519, OpenSSL 3)
openssl pkeyutl -verify -pubin -inkey signer.pub.pem -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig

# 3. Or with OpenSSH (allowed_signers holds "SIGNER ssh-ed25519 AAAA...")
ssh-keygen -Y verify -f allowed_signers -I SIGNER -n file -s SHA256SUMS.sshsig < SHA256SUMS
```

**Obtain the signer's public key out of band** — from the sender through a separate channel,
or from your own records — and never from the packet itself: a key shipped inside the packet
proves only that someone signed it, not who. With auditpack: `auditpack verify PACKET --key signer.pub.pem`.

Because rendering is deterministic, the packet can also be re-rendered from
`evidence/snapshot.json` and `findings.json` and compared byte for byte.
"##;
