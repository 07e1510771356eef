//! "How to verify this packet" with standard tools: a recipe a recipient runs literally.
//!
//! The key-free block, run with `bash -e` in the packet folder, passes on an intact packet
//! and fails when any file is added (at any depth, hidden, or named like a seal file),
//! removed or changed; the key block checks the signature with a public key kept outside
//! the folder. `crates/auditpack-cli/tests/recipe.rs` extracts both blocks from a rendered
//! packet and runs them.
//!
//! What the recipe relies on from the sealer (`seal::seal_dir`, `seal::manifest`): the
//! manifest lists every file but itself and its three signatures, which sit at the top
//! level under exactly the names `SHA256SUMS`, `SHA256SUMS.sig`, `SHA256SUMS.sshsig` and
//! `SHA256SUMS.intoto.json`; each line is `SHA256 (path) = <64 lowercase hex>`, sorted by
//! path bytes; a path never holds a control character (newline, tab …), a backslash or
//! `) = `, so it is one line, unescaped, and `sed` can take it out of its line. Spaces are
//! allowed, and survive because the lists are compared line by line.

pub const TEMPLATE: &str = r##"## How to verify this packet {{ "verify" | anchor }}

Once sealed, the packet folder holds `SHA256SUMS` (the SHA-256 of every other file) and
three signatures over it: `SHA256SUMS.sig` (Ed25519), `SHA256SUMS.sshsig` (OpenSSH) and
`SHA256SUMS.intoto.json` (DSSE). Anyone can check the packet with standard tools (bash, GNU
coreutils, and OpenSSL 3 or OpenSSH), without auditpack. Run the blocks below **in the packet
folder** (for an archive: after `tar -xzf` into an empty folder), for example pasted into a
file and run with `bash -e`: every line either passes or stops the run with an error.

**Step 1 needs no key.** It proves that the folder holds exactly the files `SHA256SUMS` lists,
unchanged: nothing added (at any depth, hidden files included), nothing removed, nothing
changed. On its own it proves nothing about who made the packet — whoever changes a file can
rewrite `SHA256SUMS` too — which is what step 2 adds.

```sh
set -euo pipefail
# 1a. Every file SHA256SUMS lists is present and unchanged; --strict fails on a malformed line.
sha256sum --strict --quiet -c SHA256SUMS
# 1b. No file was added: the files present (hidden ones included) are exactly the files
#     listed, apart from SHA256SUMS and its three signatures, by their exact names.
listed=$(sed -n 's/^SHA256 (\(.*\)) = [0-9a-f]\{64\}$/\1/p' SHA256SUMS | LC_ALL=C sort)
present=$(find . -type f ! -path ./SHA256SUMS ! -path ./SHA256SUMS.sig ! -path ./SHA256SUMS.sshsig ! -path ./SHA256SUMS.intoto.json | sed 's|^\./||' | LC_ALL=C sort)
diff <(printf '%s\n' "$listed") <(printf '%s\n' "$present")
# 1c. Nothing but regular files and the folders holding them: no link, device or empty folder.
test -z "$(find . ! -type f ! -type d -o -type d -empty)"
```

**Step 2 needs the signer's public key, obtained out of band**: from the sender through a
separate channel (not with the packet), or from your own records — never from the packet
itself, since a key shipped inside the packet proves only that someone signed it, not who.
Keep the key **outside the packet folder** (a file added to the folder fails step 1b), in
`~/auditpack-keys/`: `signer.pub` (the OpenSSH line `ssh-ed25519 AAAA…`) and, for OpenSSL,
`signer.pub.pem` (`-----BEGIN PUBLIC KEY-----`); `auditpack keygen` writes both. The
fingerprint `ssh-keygen -lf ~/auditpack-keys/signer.pub` prints must equal the one the sender
gave you out of band and the one this packet states
({% if packet.signer %}{{ packet.signer.key_id | code }}, on the cover{% else %}`signer.keyId` in `packet.json`: this packet was rendered unsigned, so its text cannot state it{% endif %});
the block checks the second.

```sh
set -euo pipefail
# 2a. The key in ~/auditpack-keys/ is the one that sealed this packet (compare the printed
#     fingerprint with the one the sender gave you out of band, too).
ssh-keygen -lf ~/auditpack-keys/signer.pub
{% if packet.signer %}ssh-keygen -lf ~/auditpack-keys/signer.pub | grep -qF ' {{ packet.signer.key_id }} '{% else %}ssh-keygen -lf ~/auditpack-keys/signer.pub | grep -qF " $(sed -n 's/.*"keyId": *"\(SHA256:[^"]*\)".*/\1/p' packet.json) "{% endif %}
# 2b. SHA256SUMS was signed by that key, with OpenSSL 3 ("Signature Verified Successfully") …
openssl pkeyutl -verify -pubin -inkey ~/auditpack-keys/signer.pub.pem -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig
# 2c. … and with OpenSSH; allowed_signers is built next to the key, outside the packet folder.
printf 'signer %s\n' "$(cat ~/auditpack-keys/signer.pub)" > ~/auditpack-keys/allowed_signers
ssh-keygen -Y verify -f ~/auditpack-keys/allowed_signers -I signer -n file -s SHA256SUMS.sshsig < SHA256SUMS
```

Step 1 without step 2 proves only that the files match a list anyone could have written; step
2 without step 1 proves only the list. With auditpack, both in one command:
`auditpack verify PACKET --key ~/auditpack-keys/signer.pub.pem`.

Because rendering is deterministic, the packet can also be re-rendered from
`evidence/snapshot.json` and `findings.json` and compared byte for byte.
"##;
