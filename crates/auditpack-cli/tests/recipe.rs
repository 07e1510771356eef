//! The packet's own "How to verify" recipe, taken from the rendered `packet.md` and run
//! literally with `bash -e` in the packet folder: the key-free block passes on an intact
//! packet and fails on every added, removed or changed file; the key block passes with the
//! signer's key kept outside the folder and fails with another key or a changed manifest.
//! Also: the signer's one id is the fingerprint `ssh-keygen -lf` prints, shown on the
//! cover, and a packet sealed with the legacy id still verifies.

mod common;
use common::{auditpack, ok, root, text};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NOW: &str = "2026-07-02T00:00:00Z";

/// A temp folder with keys `signer` and `mallory` (in `keys/`) and a packet (`pk/`) of the
/// Task API cluster sealed by `signer`.
struct Env {
    t: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        ok(d, &["keygen", "--out", "keys", "--name", "signer"]);
        ok(d, &["keygen", "--out", "keys", "--name", "mallory"]);
        let cluster = root().join("examples/clusters/task-api");
        ok(
            d,
            &[
                "packet",
                "--from-dir",
                cluster.to_str().unwrap(),
                "--key",
                "keys/signer.key.pem",
                "--out",
                "pk",
                "--now",
                NOW,
            ],
        );
        Env { t }
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.t.path().join(rel)
    }

    /// A fresh copy of the sealed packet, to tamper with.
    fn copy(&self, name: &str) -> PathBuf {
        let dst = self.p(name);
        let o = Command::new("cp")
            .arg("-a")
            .arg(self.p("pk"))
            .arg(&dst)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        dst
    }

    /// A home folder whose `auditpack-keys/` holds `key`'s public files under the names
    /// the recipe uses (`signer.pub`, `signer.pub.pem`), outside every packet folder.
    fn home(&self, name: &str, key: &str) -> PathBuf {
        let home = self.p(name);
        let keys = home.join("auditpack-keys");
        fs::create_dir_all(&keys).unwrap();
        fs::copy(self.p(&format!("keys/{key}.pub")), keys.join("signer.pub")).unwrap();
        fs::copy(
            self.p(&format!("keys/{key}.pub.pem")),
            keys.join("signer.pub.pem"),
        )
        .unwrap();
        home
    }
}

/// The `sh` blocks of the packet's "How to verify" section: [key-free, key-dependent].
fn recipe(packet_md: &str) -> [String; 2] {
    let section = &packet_md[packet_md
        .find("## How to verify this packet")
        .expect("packet.md has the verify section")..];
    let section = match section[3..].find("\n## ") {
        Some(end) => &section[..end + 3],
        None => section,
    };
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in section.lines() {
        match (&mut current, line) {
            (None, "```sh") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(block), l) => {
                block.push_str(l);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an unclosed sh block:\n{section}");
    let blocks: [String; 2] = blocks
        .try_into()
        .unwrap_or_else(|b: Vec<String>| panic!("want 2 sh blocks, got {}:\n{section}", b.len()));
    blocks
}

/// Runs `script` with `bash -e` in `dir` (HOME set when given).
fn bash(dir: &Path, script: &str, home: Option<&Path>) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg("-e").arg("-c").arg(script).current_dir(dir);
    if let Some(home) = home {
        cmd.env("HOME", home);
    }
    cmd.output().unwrap()
}

fn passes(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: the recipe failed:\n{}",
        text(o)
    );
}

fn fails(o: &Output, what: &str) {
    assert!(
        !o.status.success(),
        "{what}: the recipe passed:\n{}",
        text(o)
    );
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
}

#[test]
fn the_key_free_lines_fail_on_every_added_removed_or_changed_file() {
    let env = Env::new();
    let [key_free, _] = recipe(&read(&env.p("pk/packet.md")));
    // The recipe states --strict and compares file lists; the issue's old step 1 did neither.
    assert!(key_free.contains("sha256sum --strict"), "{key_free}");
    passes(&bash(&env.p("pk"), &key_free, None), "intact packet");

    type Tamper = fn(&Path);
    let cases: &[(&str, Tamper)] = &[
        ("added top-level file", |d| {
            fs::write(d.join("auditor-note.html"), "x").unwrap()
        }),
        ("added nested file", |d| {
            fs::write(d.join("evidence/auditor-note.html"), "x").unwrap()
        }),
        ("added hidden file", |d| {
            fs::write(d.join(".x"), "x").unwrap()
        }),
        ("added nested hidden file", |d| {
            fs::write(d.join("evidence/.x"), "x").unwrap()
        }),
        ("added SHA256SUMS.README.html", |d| {
            fs::write(d.join("SHA256SUMS.README.html"), "x").unwrap()
        }),
        ("added nested SHA256SUMS", |d| {
            fs::write(d.join("evidence/SHA256SUMS"), "x").unwrap()
        }),
        ("added file with spaces in its name", |d| {
            fs::write(d.join("evidence/auditor note.html"), "x").unwrap()
        }),
        ("added empty folder", |d| {
            fs::create_dir(d.join("evidence/notes")).unwrap()
        }),
        ("file replaced by a link to the same bytes", |d| {
            let f = d.join("findings.json");
            let moved = d.join("../findings-moved.json");
            fs::rename(&f, &moved).unwrap();
            std::os::unix::fs::symlink(fs::canonicalize(&moved).unwrap(), &f).unwrap();
        }),
        ("removed file", |d| {
            fs::remove_file(d.join("findings.json")).unwrap()
        }),
        ("removed nested file", |d| {
            fs::remove_file(d.join("evidence/snapshot.json")).unwrap()
        }),
        ("changed file", |d| {
            let mut html = fs::read(d.join("index.html")).unwrap();
            html.extend_from_slice(b"<!-- edited -->");
            fs::write(d.join("index.html"), html).unwrap();
        }),
        ("malformed manifest line", |d| {
            let mut m = fs::read(d.join("SHA256SUMS")).unwrap();
            m.extend_from_slice(b"not a manifest line\n");
            fs::write(d.join("SHA256SUMS"), m).unwrap();
        }),
    ];
    for (i, (what, tamper)) in cases.iter().enumerate() {
        let dir = env.copy(&format!("case{i}"));
        tamper(&dir);
        fails(&bash(&dir, &key_free, None), what);
    }
}

#[test]
fn the_key_lines_pass_with_the_signers_key_outside_the_packet_and_fail_otherwise() {
    let env = Env::new();
    let [key_free, keyed] = recipe(&read(&env.p("pk/packet.md")));
    let home = env.home("home", "signer");
    let pk = env.p("pk");
    let o = bash(&pk, &keyed, Some(&home));
    passes(&o, "the signer's key");
    let out = text(&o);
    assert!(out.contains("Signature Verified Successfully"), "{out}");
    assert!(out.contains("Good \"file\" signature"), "{out}");
    // It wrote nothing into the packet (allowed_signers is built next to the key): the
    // key-free lines still pass afterwards.
    assert!(home.join("auditpack-keys/allowed_signers").is_file());
    passes(&bash(&pk, &key_free, None), "after the key lines");

    // Another key under the same names: the fingerprint line stops it first.
    let mallory = env.home("home-mallory", "mallory");
    fails(&bash(&pk, &keyed, Some(&mallory)), "another key");
    // Even with the fingerprint line removed, both signature checks refuse that key.
    for check in ["openssl pkeyutl", "ssh-keygen -Y verify"] {
        let only: String = keyed
            .lines()
            .filter(|l| l.starts_with("set ") || l.starts_with("printf ") || l.starts_with(check))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(only.contains(check), "{keyed}");
        passes(&bash(&pk, &only, Some(&home)), check);
        fails(&bash(&pk, &only, Some(&mallory)), check);
    }
    // A changed SHA256SUMS (a file changed and its line rewritten) passes the key-free
    // lines but not the signature.
    let dir = env.copy("rehashed");
    fs::write(dir.join("findings.json"), "{}\n").unwrap();
    let o = Command::new("sha256sum")
        .args(["--tag", "findings.json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let new_line = String::from_utf8(o.stdout).unwrap();
    let manifest: String = read(&dir.join("SHA256SUMS"))
        .lines()
        .map(|l| {
            if l.starts_with("SHA256 (findings.json) = ") {
                new_line.clone()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    fs::write(dir.join("SHA256SUMS"), manifest).unwrap();
    passes(&bash(&dir, &key_free, None), "rewritten manifest, key-free");
    fails(
        &bash(&dir, &keyed, Some(&home)),
        "rewritten manifest, signed",
    );
}

/// The fingerprint `ssh-keygen -lf FILE` prints.
fn ssh_fingerprint(file: &Path) -> String {
    let o = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    out.split_whitespace().nth(1).unwrap().to_string()
}

#[test]
fn the_signer_is_named_by_its_ssh_fingerprint_on_the_cover_and_everywhere() {
    let env = Env::new();
    let fingerprint = ssh_fingerprint(&env.p("keys/signer.pub"));
    let meta: serde_json::Value = serde_json::from_str(&read(&env.p("pk/packet.json"))).unwrap();
    assert_eq!(meta["signer"]["keyId"], fingerprint.as_str());
    let public = auditpack::keys::load_public_key(&env.p("keys/signer.pub")).unwrap();
    assert_eq!(auditpack::keys::key_id(&public), fingerprint);

    // The cover shows the signer, its key name, its other id labelled, and the seal time.
    for page in ["pk/packet.md", "pk/index.html"] {
        let text = read(&env.p(page));
        let end = if page.ends_with(".md") {
            "## How to verify"
        } else {
            "<h2 id=\"verify\">"
        };
        let cover = &text[..text.find(end).unwrap()];
        assert!(cover.contains("Signed by"), "{page}");
        assert!(
            cover.contains(&fingerprint),
            "{page} does not show {fingerprint}"
        );
        assert!(
            cover.contains(&format!(
                "securesystemslib keyid {}",
                if page.ends_with(".md") { "`" } else { "<code>" }
            )),
            "{page}"
        );
        assert!(cover.contains("signer"), "{page}");
        assert!(cover.contains("Sealed at"), "{page}");
        assert!(cover.contains(NOW), "{page}");
        assert!(!cover.contains("unsigned"), "{page}");
    }
    let keyed = &recipe(&read(&env.p("pk/packet.md")))[1];
    assert!(keyed.contains(&fingerprint), "{keyed}");

    // verify reports the fingerprint and lists the other ids beside it.
    let out = ok(
        env.t.path(),
        &["verify", "--key", "keys/signer.pub.pem", "pk"],
    );
    assert!(out.contains(&format!("signer:    {fingerprint}")), "{out}");
    assert!(
        out.contains(&format!(
            "securesystemslib keyid {}",
            auditpack::keys::securesystemslib_keyid(&public)
        )),
        "{out}"
    );
    let json = ok(
        env.t.path(),
        &[
            "verify",
            "--key",
            "keys/signer.pub",
            "--output",
            "json",
            "pk",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["signerKeyId"], fingerprint.as_str());
}

#[test]
fn a_packet_rendered_alone_says_it_is_unsigned_and_its_recipe_reads_the_id_once_sealed() {
    let env = Env::new();
    let d = env.t.path();
    ok(
        d,
        &[
            "render",
            "pk/evidence/snapshot.json",
            "--findings",
            "pk/findings.json",
            "--out",
            "rendered",
            "--now",
            NOW,
        ],
    );
    let md = read(&env.p("rendered/packet.md"));
    let cover = &md[..md.find("How to verify").unwrap()];
    assert!(cover.contains("**unsigned**"), "{cover}");
    assert!(cover.contains("not sealed when rendered"), "{cover}");
    ok(
        d,
        &[
            "seal",
            "rendered",
            "--key",
            "keys/signer.key.pem",
            "--now",
            NOW,
        ],
    );
    let [key_free, keyed] = recipe(&md);
    passes(&bash(&env.p("rendered"), &key_free, None), "sealed later");
    let home = env.home("home", "signer");
    passes(
        &bash(&env.p("rendered"), &keyed, Some(&home)),
        "sealed later",
    );
    let mallory = env.home("home-mallory", "mallory");
    fails(
        &bash(&env.p("rendered"), &keyed, Some(&mallory)),
        "sealed later, another key",
    );
}

/// Rewrites `packet.json` `signer.keyId` of a sealed packet to `id` and re-signs it as the
/// sealer did (manifest line, raw and SSH signatures, DSSE envelope): a packet sealed by
/// an auditpack that wrote that id.
fn reseal_with_key_id(dir: &Path, key: &ed25519_dalek::SigningKey, id: &str) {
    use auditpack::internals::{dsse, manifest};
    use ed25519_dalek::Signer;
    use sha2::Digest;
    let mut meta =
        auditpack::PacketMeta::from_slice(&fs::read(dir.join("packet.json")).unwrap()).unwrap();
    meta.seal.as_mut().unwrap().signer.key_id = id.to_string();
    let bytes = meta.to_bytes();
    fs::write(dir.join("packet.json"), &bytes).unwrap();
    let mut entries = manifest::parse(&fs::read(dir.join("SHA256SUMS")).unwrap()).entries;
    for e in &mut entries {
        if e.path == "packet.json" {
            e.sha256 = sha2::Sha256::digest(&bytes).into();
        }
    }
    let manifest_bytes = manifest::render(&entries);
    fs::write(dir.join("SHA256SUMS"), &manifest_bytes).unwrap();
    fs::write(
        dir.join("SHA256SUMS.sig"),
        key.sign(&manifest_bytes).to_bytes(),
    )
    .unwrap();
    let ssh = ssh_key::PrivateKey::from(ssh_key::private::Ed25519Keypair::from(key.clone()));
    let sshsig = ssh
        .sign("file", ssh_key::HashAlg::Sha512, &manifest_bytes)
        .unwrap()
        .to_pem(ssh_key::LineEnding::LF)
        .unwrap();
    fs::write(dir.join("SHA256SUMS.sshsig"), sshsig).unwrap();
    fs::write(
        dir.join("SHA256SUMS.intoto.json"),
        dsse::envelope(&entries, &meta, key),
    )
    .unwrap();
}

#[test]
fn a_packet_sealed_with_the_legacy_key_id_still_verifies() {
    use auditpack::keys;
    let env = Env::new();
    let key = keys::load_signing_key(&env.p("keys/signer.key.pem"), None).unwrap();
    let public = key.verifying_key();
    let legacy = keys::legacy_key_id(&public);
    let old = env.copy("old");
    reseal_with_key_id(&old, &key, &legacy);
    let meta: serde_json::Value = serde_json::from_str(&read(&old.join("packet.json"))).unwrap();
    assert_eq!(meta["signer"]["keyId"], legacy.as_str());
    let out = ok(
        env.t.path(),
        &["verify", "--key", "keys/signer.pub.pem", "old"],
    );
    assert!(out.starts_with("verified: "), "{out}");
    // Reported by the fingerprint, the legacy id labelled beside it.
    assert!(
        out.contains(&format!("signer:    {}", keys::key_id(&public))),
        "{out}"
    );
    assert!(out.contains(&format!("legacy id {legacy}")), "{out}");

    // The id must still be one of the signer's: another key's legacy id is a mismatch.
    let other = keys::legacy_key_id(&keys::load_public_key(&env.p("keys/mallory.pub")).unwrap());
    let forged = env.copy("forged");
    reseal_with_key_id(&forged, &key, &other);
    let o = auditpack(
        env.t.path(),
        &["verify", "--key", "keys/signer.pub.pem", "forged"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("signer-mismatch"), "{}", text(&o));
}
