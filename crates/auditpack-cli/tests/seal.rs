//! Integration tests of `auditpack keygen | seal | verify | archive`: the real binary in a
//! fresh temp folder, checked against standard tools (sha256sum, shasum, openssl,
//! ssh-keygen, Python securesystemslib) and a tamper matrix on folders and archives.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use auditpack::internals::manifest;
use auditpack::keys;

#[path = "common/tarball.rs"]
mod tarball;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::Value;

// ---------------------------------------------------------------- helpers

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_auditpack"));
    c.env_remove("SOURCE_DATE_EPOCH");
    c
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run auditpack")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[track_caller]
fn ok(o: Output) -> Output {
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    o
}

#[track_caller]
fn code(o: &Output, want: i32) {
    assert_eq!(o.status.code(), Some(want), "{}", text(o));
}

fn tool(cwd: &Path, prog: &str, args: &[&str]) -> Output {
    Command::new(prog)
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{prog} must be installed for this test: {e}"))
}

/// A packet folder like the renderer writes (packet.json without signer).
fn make_packet(dir: &Path) {
    fs::create_dir_all(dir.join("evidence/rbac")).unwrap();
    fs::create_dir_all(dir.join("oscal")).unwrap();
    fs::write(dir.join("index.html"), "<html><body>packet</body></html>\n").unwrap();
    fs::write(dir.join("packet.md"), "# Packet\n\nScope disclaimer.\n").unwrap();
    fs::write(
        dir.join("control-matrix.csv"),
        "control,status\nCC6.1,pass\n",
    )
    .unwrap();
    fs::write(
        dir.join("evidence/rbac/clusterroles.yaml"),
        "kind: List\nitems: []\n",
    )
    .unwrap();
    fs::write(dir.join("evidence/empty.yaml"), "").unwrap();
    fs::write(dir.join("evidence/ünïcode name.json"), "{}\n").unwrap();
    fs::write(dir.join("oscal/assessment-results.json"), "{\"x\":1}\n").unwrap();
    fs::write(
        dir.join("packet.json"),
        r#"{
  "formatVersion": 1,
  "id": "prod-2025Q2",
  "period": {"start": "2025-04-01T00:00:00Z", "end": "2025-06-30T23:59:59Z"},
  "cluster": "prod",
  "kubernetesVersion": null,
  "collectedAt": "2025-06-30T18:00:00Z",
  "renderedAt": "2025-06-30T18:05:00Z",
  "frameworks": ["soc2", "hipaa"],
  "snapshotSha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "previous": {"id": "prod-2025Q1", "manifestSha256": "00"}
}
"#,
    )
    .unwrap();
}

struct Env {
    tmp: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            tmp: tempfile::tempdir().unwrap(),
        }
    }
    fn root(&self) -> &Path {
        self.tmp.path()
    }
    fn p(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }
    fn s(&self, rel: &str) -> String {
        self.p(rel).display().to_string()
    }
    fn keygen(&self, name: &str) {
        ok(run(self.root(), &["keygen", "--out", ".", "--name", name]));
    }
    /// A packet sealed by key `k` at a fixed time, in folder `name`.
    fn sealed(&self, name: &str) -> PathBuf {
        if !self.p("k.key.pem").exists() {
            self.keygen("k");
        }
        make_packet(&self.p(name));
        ok(run(
            self.root(),
            &[
                "seal",
                name,
                "--key",
                "k.key.pem",
                "--now",
                "2025-07-01T12:00:00Z",
            ],
        ));
        self.p(name)
    }
    fn verify(&self, target: &str, keyfile: &str) -> (Output, Value) {
        let o = run(
            self.root(),
            &["verify", target, "--key", keyfile, "--output", "json"],
        );
        let v: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("verify --output json is JSON ({e}): {}", text(&o)));
        (o, v)
    }
}

fn rules(v: &Value) -> Vec<(String, String)> {
    v["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn signing_key(path: &Path) -> SigningKey {
    keys::load_signing_key(path, None).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let ty = e.file_type().unwrap();
        let dst = to.join(e.file_name());
        if ty.is_dir() {
            copy_dir(&e.path(), &dst);
        } else if ty.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(e.path()).unwrap(), dst).unwrap();
        } else {
            fs::copy(e.path(), dst).unwrap();
        }
    }
}

// ---------------------------------------------------------------- 1. keygen

#[test]
fn keygen_writes_v1_pkcs8_0600_spki_and_openssh_with_checkable_key_id() {
    let env = Env::new();
    let o = ok(run(env.root(), &["keygen", "--out", ".", "--name", "ops"]));
    let out = String::from_utf8(o.stdout).unwrap();
    let mode = fs::metadata(env.p("ops.key.pem"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    // OpenSSL 3 reads the private key (it refuses PKCS#8 v2).
    let o = tool(
        env.root(),
        "openssl",
        &["pkey", "-in", "ops.key.pem", "-noout"],
    );
    code(&o, 0);
    // v1: the PrivateKeyInfo version INTEGER is 0 and there is no public key field.
    let o = tool(env.root(), "openssl", &["asn1parse", "-in", "ops.key.pem"]);
    let asn = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        asn.lines()
            .nth(1)
            .unwrap()
            .contains("INTEGER           :00"),
        "{asn}"
    );
    // The key id is the OpenSSH fingerprint: exactly what `ssh-keygen -lf` prints.
    let o = tool(env.root(), "ssh-keygen", &["-l", "-f", "ops.pub"]);
    code(&o, 0);
    let listed = String::from_utf8_lossy(&o.stdout).to_string();
    let fingerprint = listed.split_whitespace().nth(1).unwrap();
    assert!(fingerprint.starts_with("SHA256:"), "{listed}");
    assert!(
        out.lines()
            .any(|l| l == format!("key id:      {fingerprint}")),
        "{out}\n{listed}"
    );
    // The other ids are shown beside it, labelled; the legacy one is SHA-256 of the raw
    // 32-byte public key, recomputed from OpenSSL's DER.
    let der = tool(
        env.root(),
        "openssl",
        &["pkey", "-pubin", "-in", "ops.pub.pem", "-outform", "DER"],
    )
    .stdout;
    assert_eq!(der.len(), 44);
    use base64::Engine;
    use sha2::Digest;
    let legacy = format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha2::Sha256::digest(&der[12..]))
    );
    assert!(out.contains(&format!("legacy id {legacy}")), "{out}");
    assert!(out.contains("securesystemslib keyid "), "{out}");
    assert_ne!(legacy, fingerprint);
    assert!(String::from_utf8_lossy(&o.stdout).contains("ED25519"));
}

#[test]
fn keygen_creates_a_missing_out_folder_private_to_the_user() {
    let env = Env::new();
    ok(run(env.root(), &["keygen", "--out", "a/b", "--name", "k"]));
    let mode = fs::metadata(env.p("a/b")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert!(env.p("a/b/k.key.pem").exists() && env.p("a/b/k.pub").exists());
}

#[test]
fn keygen_never_overwrites_any_key_file() {
    let env = Env::new();
    env.keygen("k");
    let before = fs::read(env.p("k.key.pem")).unwrap();
    fs::remove_file(env.p("k.pub")).unwrap();
    // Only one of the three is missing: still refused, and nothing is rewritten.
    let o = run(env.root(), &["keygen", "--out", ".", "--name", "k"]);
    code(&o, 2);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("already exists"),
        "{}",
        text(&o)
    );
    assert_eq!(fs::read(env.p("k.key.pem")).unwrap(), before);
    assert!(!env.p("k.pub").exists());
}

#[test]
fn encrypted_key_reads_with_openssl_passin_and_needs_the_passphrase_to_seal() {
    let env = Env::new();
    ok(bin()
        .current_dir(env.root())
        .env("KEYPASS", "correct horse")
        .args(["keygen", "--name", "enc", "--passphrase-env", "KEYPASS"])
        .output()
        .unwrap());
    let pem = fs::read_to_string(env.p("enc.key.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    code(
        &tool(
            env.root(),
            "openssl",
            &[
                "pkey",
                "-in",
                "enc.key.pem",
                "-passin",
                "pass:correct horse",
                "-noout",
            ],
        ),
        0,
    );
    assert_ne!(
        tool(
            env.root(),
            "openssl",
            &[
                "pkey",
                "-in",
                "enc.key.pem",
                "-passin",
                "pass:wrong",
                "-noout"
            ],
        )
        .status
        .code(),
        Some(0)
    );
    make_packet(&env.p("p"));
    let o = run(env.root(), &["seal", "p", "--key", "enc.key.pem"]);
    code(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--passphrase-env"));
    assert!(!env.p("p/SHA256SUMS").exists());
    let o = bin()
        .current_dir(env.root())
        .env("KEYPASS", "wrong")
        .args([
            "seal",
            "p",
            "--key",
            "enc.key.pem",
            "--passphrase-env",
            "KEYPASS",
        ])
        .output()
        .unwrap();
    code(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot decrypt"));
    ok(bin()
        .current_dir(env.root())
        .env("KEYPASS", "correct horse")
        .args([
            "seal",
            "p",
            "--key",
            "enc.key.pem",
            "--passphrase-env",
            "KEYPASS",
        ])
        .output()
        .unwrap());
    ok(run(env.root(), &["verify", "p", "--key", "enc.pub.pem"]));
}

#[test]
fn private_key_readable_by_group_or_others_is_refused_with_the_fix() {
    let env = Env::new();
    env.keygen("k");
    make_packet(&env.p("p"));
    for mode in [0o640, 0o604, 0o644] {
        fs::set_permissions(env.p("k.key.pem"), fs::Permissions::from_mode(mode)).unwrap();
        let o = run(env.root(), &["seal", "p", "--key", "k.key.pem"]);
        code(&o, 2);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("chmod 600 k.key.pem"), "{err}");
    }
    fs::set_permissions(env.p("k.key.pem"), fs::Permissions::from_mode(0o400)).unwrap();
    ok(run(env.root(), &["seal", "p", "--key", "k.key.pem"]));
}

#[test]
fn openssl_genpkey_keys_plain_and_encrypted_seal_packets_that_verify() {
    let env = Env::new();
    let r = env.root();
    code(
        &tool(
            r,
            "openssl",
            &["genpkey", "-algorithm", "ed25519", "-out", "o.pem"],
        ),
        0,
    );
    code(
        &tool(
            r,
            "openssl",
            &[
                "genpkey",
                "-algorithm",
                "ed25519",
                "-aes-256-cbc",
                "-pass",
                "pass:s3cret",
                "-out",
                "oe.pem",
            ],
        ),
        0,
    );
    for k in ["o.pem", "oe.pem"] {
        fs::set_permissions(env.p(k), fs::Permissions::from_mode(0o600)).unwrap();
    }
    code(
        &tool(
            r,
            "openssl",
            &["pkey", "-in", "o.pem", "-pubout", "-out", "o.pub.pem"],
        ),
        0,
    );
    code(
        &tool(
            r,
            "openssl",
            &[
                "pkey",
                "-in",
                "oe.pem",
                "-passin",
                "pass:s3cret",
                "-pubout",
                "-out",
                "oe.pub.pem",
            ],
        ),
        0,
    );
    make_packet(&env.p("a"));
    make_packet(&env.p("b"));
    ok(run(r, &["seal", "a", "--key", "o.pem"]));
    ok(bin()
        .current_dir(r)
        .env("P", "s3cret")
        .args(["seal", "b", "--key", "oe.pem", "--passphrase-env", "P"])
        .output()
        .unwrap());
    ok(run(r, &["verify", "a", "--key", "o.pub.pem"]));
    ok(run(r, &["verify", "b", "--key", "oe.pub.pem"]));
    code(&run(r, &["verify", "b", "--key", "o.pub.pem"]), 1);
}

#[test]
fn openssh_private_keys_plain_and_encrypted_seal_packets_that_verify() {
    let env = Env::new();
    let r = env.root();
    for (file, pass) in [("id_plain", ""), ("id_enc", "ssh pass")] {
        code(
            &tool(
                r,
                "ssh-keygen",
                &["-q", "-t", "ed25519", "-N", pass, "-C", "t", "-f", file],
            ),
            0,
        );
        make_packet(&env.p(file).with_extension("d"));
        let o = bin()
            .current_dir(r)
            .env("P", pass)
            .args(["seal", &format!("{file}.d"), "--key", file])
            .args(if pass.is_empty() {
                vec![]
            } else {
                vec!["--passphrase-env", "P"]
            })
            .output()
            .unwrap();
        ok(o);
        ok(run(
            r,
            &[
                "verify",
                &format!("{file}.d"),
                "--key",
                &format!("{file}.pub"),
            ],
        ));
    }
}

// ---------------------------------------------------------------- 2. seal

#[test]
fn seal_keeps_packet_json_keys_in_order_and_adds_signer_and_seal_time() {
    let env = Env::new();
    let dir = env.sealed("p");
    let text = fs::read_to_string(dir.join("packet.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "formatVersion",
            "id",
            "period",
            "cluster",
            "kubernetesVersion",
            "collectedAt",
            "renderedAt",
            "frameworks",
            "snapshotSha256",
            "previous",
            "signer",
            "sealedAt",
            "attestation"
        ]
    );
    assert_eq!(v["sealedAt"], "2025-07-01T12:00:00Z");
    assert_eq!(v["period"]["start"], "2025-04-01T00:00:00Z");
    assert_eq!(v["kubernetesVersion"], Value::Null);
    let pk = keys::load_public_key(&env.p("k.pub.pem")).unwrap();
    assert_eq!(v["signer"]["keyId"], keys::key_id(&pk));
    assert_eq!(v["signer"]["publicKey"], keys::public_key_base64(&pk));
    // Resealing with --force replaces signer and sealedAt in place, keeping the order.
    ok(run(
        env.root(),
        &[
            "seal",
            "p",
            "--key",
            "k.key.pem",
            "--force",
            "--now",
            "2025-08-01T00:00:00+02:00",
        ],
    ));
    let v: Value = serde_json::from_slice(&fs::read(dir.join("packet.json")).unwrap()).unwrap();
    let keys2: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys2, keys);
    assert_eq!(v["sealedAt"], "2025-07-31T22:00:00Z");
}

#[test]
fn seal_creates_packet_json_when_absent_and_manifest_has_the_exact_form() {
    let env = Env::new();
    env.keygen("k");
    fs::create_dir_all(env.p("p/b")).unwrap();
    fs::write(env.p("p/b/x"), "x").unwrap();
    fs::write(env.p("p/a-b"), "").unwrap();
    fs::write(env.p("p/B"), "B").unwrap();
    ok(run(env.root(), &["seal", "p", "--key", "k.key.pem"]));
    let v: Value = serde_json::from_slice(&fs::read(env.p("p/packet.json")).unwrap()).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["formatVersion", "signer", "sealedAt", "attestation"]);
    assert_eq!(v["formatVersion"], 2);
    let sums = fs::read_to_string(env.p("p/SHA256SUMS")).unwrap();
    let pj = sha256_hex(&fs::read(env.p("p/packet.json")).unwrap());
    let expect = format!(
        "SHA256 (B) = {}\nSHA256 (a-b) = {}\nSHA256 (b/x) = {}\nSHA256 (packet.json) = {pj}\n",
        sha256_hex(b"B"),
        sha256_hex(b""),
        sha256_hex(b"x"),
    );
    assert_eq!(sums, expect);
    assert_eq!(fs::read(env.p("p/SHA256SUMS.sig")).unwrap().len(), 64);
}

#[test]
fn sealing_is_reproducible_with_source_date_epoch() {
    let env = Env::new();
    env.keygen("k");
    make_packet(&env.p("a"));
    make_packet(&env.p("b"));
    for d in ["a", "b"] {
        ok(bin()
            .current_dir(env.root())
            .env("SOURCE_DATE_EPOCH", "1751371200")
            .args(["seal", d, "--key", "k.key.pem"])
            .output()
            .unwrap());
    }
    for f in [
        "SHA256SUMS",
        "SHA256SUMS.sig",
        "SHA256SUMS.sshsig",
        "SHA256SUMS.intoto.json",
        "packet.json",
    ] {
        assert_eq!(
            fs::read(env.p(&format!("a/{f}"))).unwrap(),
            fs::read(env.p(&format!("b/{f}"))).unwrap(),
            "{f}"
        );
    }
    let v: Value = serde_json::from_slice(&fs::read(env.p("a/packet.json")).unwrap()).unwrap();
    assert_eq!(v["sealedAt"], "2025-07-01T12:00:00Z");
}

#[test]
fn seal_refuses_unrepresentable_names_links_and_special_files_naming_the_path() {
    use std::os::unix::ffi::OsStrExt;
    let env = Env::new();
    env.keygen("k");
    type Setup = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Setup)> = vec![
        (
            "line\nbreak",
            Box::new(|d| fs::write(d.join("line\nbreak"), "").unwrap()),
        ),
        (
            "cr\rx",
            Box::new(|d| fs::write(d.join("cr\rx"), "").unwrap()),
        ),
        (
            "back\\slash",
            Box::new(|d| fs::write(d.join("back\\slash"), "").unwrap()),
        ),
        (
            "a) = b",
            Box::new(|d| fs::write(d.join("a) = b"), "").unwrap()),
        ),
        (
            "tab\tx",
            Box::new(|d| fs::write(d.join("tab\tx"), "").unwrap()),
        ),
        (
            "bad\u{7f}",
            Box::new(|d| fs::write(d.join("bad\u{7f}"), "").unwrap()),
        ),
        (
            "non-utf8",
            Box::new(|d| {
                fs::write(d.join(std::ffi::OsStr::from_bytes(b"non-utf8\xff")), "").unwrap()
            }),
        ),
        (
            "link",
            Box::new(|d| std::os::unix::fs::symlink("index.html", d.join("link")).unwrap()),
        ),
        (
            "fifo",
            Box::new(|d| {
                let s = Command::new("mkfifo").arg(d.join("fifo")).status().unwrap();
                assert!(s.success());
            }),
        ),
        (
            "evidence/hollow",
            Box::new(|d| fs::create_dir(d.join("evidence/hollow")).unwrap()),
        ),
    ];
    for (i, (name, setup)) in cases.iter().enumerate() {
        let dir = env.p(&format!("p{i}"));
        make_packet(&dir);
        let packet_before = fs::read(dir.join("packet.json")).unwrap();
        setup(&dir);
        let o = run(
            env.root(),
            &["seal", &format!("p{i}"), "--key", "k.key.pem"],
        );
        code(&o, 2);
        let err = String::from_utf8_lossy(&o.stderr);
        let shown = format!("{:?}", name);
        let shown = shown.trim_matches('"');
        assert!(err.contains(shown), "{name:?} not named in: {err}");
        assert!(!dir.join("SHA256SUMS").exists(), "{name:?} left a manifest");
        assert_eq!(fs::read(dir.join("packet.json")).unwrap(), packet_before);
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("auditpack-tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}

#[test]
fn seal_usage_errors_exit_2_and_write_nothing() {
    let env = Env::new();
    env.keygen("k");
    make_packet(&env.p("p"));
    let cases: Vec<(Vec<&str>, Option<&str>, &str)> = vec![
        (vec!["--now", "yesterday"], None, "--now"),
        (vec![], Some("not-a-number"), "SOURCE_DATE_EPOCH"),
        (
            vec!["--passphrase-env", "AUDITPACK_UNSET_VAR"],
            None,
            "AUDITPACK_UNSET_VAR",
        ),
    ];
    for (extra, epoch, needle) in cases {
        let mut c = bin();
        c.current_dir(env.root())
            .args(["seal", "p", "--key", "k.key.pem"])
            .args(&extra);
        if let Some(e) = epoch {
            c.env("SOURCE_DATE_EPOCH", e);
        }
        let o = c.output().unwrap();
        code(&o, 2);
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(needle),
            "{}",
            text(&o)
        );
        assert!(!env.p("p/SHA256SUMS").exists());
    }
    fs::write(env.p("p/packet.json"), "[1, 2]").unwrap();
    let o = run(env.root(), &["seal", "p", "--key", "k.key.pem"]);
    code(&o, 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("packet.json: not a packet.json this auditpack reads")
            && err.contains("not a JSON object"),
        "{err}"
    );
    assert!(!env.p("p/SHA256SUMS").exists());
    code(
        &run(env.root(), &["seal", "nowhere", "--key", "k.key.pem"]),
        2,
    );
    let o = run(env.root(), &["seal", "p", "--key", "k.pub.pem"]);
    code(&o, 2);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("this is a public key"),
        "{}",
        text(&o)
    );
}

#[test]
fn reseal_needs_force() {
    let env = Env::new();
    env.sealed("p");
    let sums = fs::read(env.p("p/SHA256SUMS")).unwrap();
    let o = run(env.root(), &["seal", "p", "--key", "k.key.pem"]);
    code(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(fs::read(env.p("p/SHA256SUMS")).unwrap(), sums);
    fs::write(env.p("p/new.txt"), "late evidence").unwrap();
    ok(run(
        env.root(),
        &["seal", "p", "--key", "k.key.pem", "--force"],
    ));
    assert!(
        fs::read_to_string(env.p("p/SHA256SUMS"))
            .unwrap()
            .contains("(new.txt)")
    );
    ok(run(env.root(), &["verify", "p", "--key", "k.pub.pem"]));
}

// ---------------------------------------------------------------- 3. verify

#[test]
fn verify_needs_a_trusted_key_and_refuses_a_private_key() {
    let env = Env::new();
    env.sealed("p");
    code(&run(env.root(), &["verify", "p"]), 2);
    let o = run(env.root(), &["verify", "p", "--key", "k.key.pem"]);
    code(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("this is a private key"));
    code(
        &run(env.root(), &["verify", "missing", "--key", "k.pub.pem"]),
        2,
    );
}

#[test]
fn verify_json_has_the_documented_schema() {
    let env = Env::new();
    env.sealed("p");
    let (o, v) = env.verify("p", "k.pub.pem");
    code(&o, 0);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "verified",
            "path",
            "packetId",
            "signerKeyId",
            "signerName",
            "sealedAt",
            "manifestSha256",
            "filesChecked",
            "failures",
            "failuresOmitted",
            "notes"
        ]
    );
    assert_eq!(v["verified"], true);
    assert_eq!(v["packetId"], "prod-2025Q2");
    assert_eq!(v["sealedAt"], "2025-07-01T12:00:00Z");
    assert_eq!(v["filesChecked"], 8);
    assert_eq!(
        v["manifestSha256"],
        sha256_hex(&fs::read(env.p("p/SHA256SUMS")).unwrap())
    );
    let pk = keys::load_public_key(&env.p("k.pub")).unwrap();
    assert_eq!(v["signerKeyId"], keys::key_id(&pk));
    // Output, verified and not, matches the JSON Schema published in docs/seal.md.
    let doc = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/seal.md"))
        .unwrap();
    let block = doc.split("```json verify-report-schema\n").nth(1).unwrap();
    let schema: Value = serde_json::from_str(block.split("\n```").next().unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&v), "{v}");
    fs::write(env.p("p/extra"), "x").unwrap();
    let (o, bad) = env.verify("p", "k.pub.pem");
    code(&o, 1);
    assert!(validator.is_valid(&bad), "{bad}");
    let mut lie = bad.clone();
    lie["verified"] = Value::Bool(true);
    assert!(
        !validator.is_valid(&lie),
        "the schema ties verified to an empty failure list"
    );
    fs::remove_file(env.p("p/extra")).unwrap();
    // Text output names the verdict.
    let o = ok(run(env.root(), &["verify", "p", "--key", "k.pub"]));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("verified: p"));
}

/// Every rule id is in the published schema and in the rule table, and nothing else is.
#[test]
fn every_rule_id_is_documented() {
    let doc = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/seal.md"))
        .unwrap();
    let block = doc.split("```json verify-report-schema\n").nth(1).unwrap();
    let schema: Value = serde_json::from_str(block.split("\n```").next().unwrap()).unwrap();
    let documented: Vec<&str> =
        schema["properties"]["failures"]["items"]["properties"]["rule"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
    let ids: Vec<&str> = auditpack::Rule::all().iter().map(|r| r.id()).collect();
    assert_eq!(documented, ids);
    for id in ids {
        assert!(
            doc.contains(&format!("| `{id}` |")),
            "{id} is missing from the rule table"
        );
    }
}

#[test]
fn a_valid_signature_by_a_key_the_user_did_not_name_fails_and_names_the_signer() {
    let env = Env::new();
    env.sealed("p");
    env.keygen("other");
    let (o, v) = env.verify("p", "other.pub.pem");
    code(&o, 1);
    let pk = keys::load_public_key(&env.p("k.pub.pem")).unwrap();
    let f = &v["failures"][0];
    assert_eq!(f["rule"], "untrusted-signer");
    assert!(
        f["detail"].as_str().unwrap().contains(&keys::key_id(&pk)),
        "{f}"
    );
    assert_eq!(v["signerKeyId"], keys::key_id(&pk));
    // Naming both keys verifies.
    ok(run(
        env.root(),
        &[
            "verify",
            "p",
            "--key",
            "other.pub.pem",
            "--key",
            "k.pub.pem",
        ],
    ));
}

#[test]
fn key_rotation_with_validity_windows_in_a_trusted_keys_file() {
    let env = Env::new();
    let r = env.root();
    env.keygen("old");
    env.keygen("new");
    for (dir, key, at) in [
        ("q4-2024", "old", "2024-12-31T23:00:00Z"),
        ("q1-2025", "new", "2025-03-31T12:00:00Z"),
        ("late-old", "old", "2025-02-01T00:00:00Z"),
    ] {
        make_packet(&env.p(dir));
        ok(run(
            r,
            &["seal", dir, "--key", &format!("{key}.key.pem"), "--now", at],
        ));
    }
    let trusted = format!(
        "# auditpack trusted keys\n\n# name: platform-2024\n# not-before: 2024-01-01T00:00:00Z\n# not-after: 2024-12-31T23:59:59Z\n{}\n# name: platform-2025\n# not-before: 2025-01-01T00:00:00Z\n{}",
        fs::read_to_string(env.p("old.pub.pem")).unwrap(),
        fs::read_to_string(env.p("new.pub.pem")).unwrap()
    );
    fs::write(env.p("trusted.keys"), trusted).unwrap();
    for (dir, want, name) in [
        ("q4-2024", 0, "platform-2024"),
        ("q1-2025", 0, "platform-2025"),
        ("late-old", 1, ""),
    ] {
        let o = run(
            r,
            &[
                "verify",
                dir,
                "--trusted-keys",
                "trusted.keys",
                "--output",
                "json",
            ],
        );
        code(&o, want);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        if want == 0 {
            assert_eq!(v["signerName"], name);
        } else {
            assert_eq!(
                rules(&v),
                [("key-expired".to_string(), "SHA256SUMS.sig".to_string())]
            );
        }
    }
    // A malformed trusted-keys file is a usage error naming the line.
    fs::write(env.p("bad.keys"), "# not-after: soon\n").unwrap();
    let o = run(r, &["verify", "q4-2024", "--trusted-keys", "bad.keys"]);
    code(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.keys:1"));
}

// ---------------------------------------------------------------- 4. archive

/// name, mode, uid, gid, mtime, user, group, entry type byte
type HeaderFields = (String, u32, u64, u64, u64, String, String, u8);

fn archive_headers(path: &Path) -> Vec<HeaderFields> {
    let f = fs::File::open(path).unwrap();
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(f));
    a.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            (
                String::from_utf8(e.path_bytes().into_owned()).unwrap(),
                h.mode().unwrap(),
                h.uid().unwrap(),
                h.gid().unwrap(),
                h.mtime().unwrap(),
                String::from_utf8_lossy(h.username_bytes().unwrap_or_default()).into_owned(),
                String::from_utf8_lossy(h.groupname_bytes().unwrap_or_default()).into_owned(),
                h.entry_type().as_byte(),
            )
        })
        .collect()
}

#[test]
fn archive_is_deterministic_normalised_and_indexed() {
    let env = Env::new();
    env.sealed("p");
    ok(run(env.root(), &["archive", "p", "--out", "one.tar.gz"]));
    // Same packet copied elsewhere with other mtimes and modes → the same bytes.
    copy_dir(&env.p("p"), &env.p("copy"));
    fs::set_permissions(env.p("copy/index.html"), fs::Permissions::from_mode(0o600)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    fs::write(
        env.p("copy/packet.md"),
        fs::read(env.p("p/packet.md")).unwrap(),
    )
    .unwrap();
    ok(run(env.root(), &["archive", "copy", "--out", "two.tar.gz"]));
    let one = fs::read(env.p("one.tar.gz")).unwrap();
    assert_eq!(one, fs::read(env.p("two.tar.gz")).unwrap());

    let headers = archive_headers(&env.p("one.tar.gz"));
    let names: Vec<&str> = headers.iter().map(|h| h.0.as_str()).collect();
    assert_eq!(
        &names[..4],
        [
            "SHA256SUMS",
            "SHA256SUMS.sig",
            "SHA256SUMS.sshsig",
            "SHA256SUMS.intoto.json"
        ]
    );
    let sealed = chrono::DateTime::parse_from_rfc3339("2025-07-01T12:00:00Z")
        .unwrap()
        .timestamp() as u64;
    for (name, mode, uid, gid, mtime, user, group, kind) in &headers {
        let dir = *kind == b'5';
        assert_eq!(*mode, if dir { 0o755 } else { 0o644 }, "{name}");
        assert_eq!((*uid, *gid, *mtime), (0, 0, sealed), "{name}");
        assert_eq!((user.as_str(), group.as_str()), ("", ""), "{name}");
        assert!(*kind == b'0' || dir, "{name}: no pax or other entries");
    }
    // Content entries follow the manifest order.
    let files: Vec<&str> = headers
        .iter()
        .skip(4)
        .filter(|h| h.7 == b'0')
        .map(|h| h.0.as_str())
        .collect();
    let sums = fs::read(env.p("p/SHA256SUMS")).unwrap();
    let listed: Vec<String> = manifest::parse(&sums)
        .entries
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(files, listed);

    let index_bytes = fs::read(env.p("one.tar.gz.json")).unwrap();
    let index: Value = serde_json::from_slice(&index_bytes).unwrap();
    let doc = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/seal.md"))
        .unwrap();
    let block = doc.split("```json archive-index-schema\n").nth(1).unwrap();
    let schema: Value = serde_json::from_str(block.split("\n```").next().unwrap()).unwrap();
    assert!(jsonschema::is_valid(&schema, &index), "{index}");
    assert_eq!(index["packetId"], "prod-2025Q2");
    assert_eq!(index["cluster"], "prod");
    assert_eq!(index["frameworks"][1], "hipaa");
    assert_eq!(index["period"]["end"], "2025-06-30T23:59:59Z");
    assert_eq!(index["previous"]["id"], "prod-2025Q1");
    // Read back through its one type, it states the link and period `packet.json` states.
    let typed = auditpack::ArchiveIndex::from_slice(&index_bytes).unwrap();
    let packet =
        auditpack::PacketMeta::from_slice(&fs::read(env.p("p/packet.json")).unwrap()).unwrap();
    assert_eq!(typed.previous.as_ref(), packet.previous.value());
    assert_eq!(typed.period, packet.period);
    assert_eq!(typed.to_bytes(), index_bytes);
    assert_eq!(index["sealedAt"], "2025-07-01T12:00:00Z");
    assert_eq!(index["manifestSha256"], sha256_hex(&sums));
    assert_eq!(index["archiveSha256"], sha256_hex(&one));
    let pk = keys::load_public_key(&env.p("k.pub.pem")).unwrap();
    assert_eq!(index["signerKeyId"], keys::key_id(&pk));

    // The archive verifies as a stream, and PacketSource reads the same bytes from both.
    ok(run(
        env.root(),
        &["verify", "one.tar.gz", "--key", "k.pub.pem"],
    ));
    let a = auditpack::PacketSource::open(&env.p("one.tar.gz")).unwrap();
    let f = auditpack::PacketSource::open(&env.p("p")).unwrap();
    assert_eq!(a.manifest, f.manifest);
    assert_eq!(a.packet_json, f.packet_json);
    assert_eq!(a.manifest_sha256(), Some(sha256_hex(&sums)));
    // A GNU tar extraction passes sha256sum. A recipient's repackaging with GNU tar (`./`
    // prefixes, its own headers, its gzip header) is no longer accepted: verify reads only
    // the form `auditpack archive` writes, so what it vouches for is what every extractor
    // extracts. (Behaviour change: it used to verify.)
    fs::create_dir(env.p("x")).unwrap();
    code(
        &tool(env.root(), "tar", &["-xzf", "one.tar.gz", "-C", "x"]),
        0,
    );
    code(
        &tool(&env.p("x"), "sha256sum", &["-c", "--quiet", "SHA256SUMS"]),
        0,
    );
    code(
        &tool(env.root(), "tar", &["-czf", "gnu.tar.gz", "-C", "x", "."]),
        0,
    );
    let (o, v) = env.verify("gnu.tar.gz", "k.pub.pem");
    code(&o, 1);
    assert_eq!(rules(&v)[0].0, "non-canonical-archive", "{v}");
    assert!(auditpack::PacketSource::open(&env.p("gnu.tar.gz")).is_err());
    // Re-archiving the extracted folder with auditpack gives the same bytes again.
    ok(run(env.root(), &["archive", "x", "--out", "again.tar.gz"]));
    assert_eq!(fs::read(env.p("again.tar.gz")).unwrap(), one);
    fs::remove_file(env.p("again.tar.gz")).unwrap();
    fs::remove_file(env.p("again.tar.gz.json")).unwrap();
    fs::remove_dir_all(env.p("x")).unwrap();
    fs::remove_file(env.p("gnu.tar.gz")).unwrap();
    // Nothing was unpacked next to the archive.
    let names: Vec<String> = fs::read_dir(env.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.contains("SHA256SUMS") || n.contains("tmp")),
        "{names:?}"
    );
}

#[test]
fn archive_refuses_unsealed_and_tampered_folders() {
    let env = Env::new();
    env.keygen("k");
    make_packet(&env.p("raw"));
    let o = run(env.root(), &["archive", "raw", "--out", "raw.tar.gz"]);
    code(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not sealed"));
    assert!(!env.p("raw.tar.gz").exists());
    env.sealed("p");
    fs::write(env.p("p/index.html"), "changed").unwrap();
    let o = run(env.root(), &["archive", "p", "--out", "p.tar.gz"]);
    code(&o, 2);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("hash-mismatch"),
        "{}",
        text(&o)
    );
    assert!(!env.p("p.tar.gz").exists());
}

// ---------------------------------------------------------------- 5. standard tools only

#[test]
fn a_recipient_checks_the_packet_with_standard_tools_alone() {
    let env = Env::new();
    let dir = env.sealed("p");
    let o = tool(&dir, "sha256sum", &["-c", "--strict", "SHA256SUMS"]);
    code(&o, 0);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).matches(": OK").count(),
        8
    );
    let o = tool(&dir, "shasum", &["-a", "256", "-c", "SHA256SUMS"]);
    code(&o, 0);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).matches(": OK").count(),
        8
    );
    // Nothing unlisted: the documented find counts match the manifest's lines.
    let o = tool(
        &dir,
        "sh",
        &[
            "-c",
            "find . -type f ! -path './SHA256SUMS*' | wc -l; wc -l < SHA256SUMS; find . ! -type f ! -type d; find . -type d -empty",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let counts: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(counts, ["8", "8"], "{out}");
    let pubkey = env.s("k.pub.pem");
    let verify_openssl = |dir: &Path| {
        tool(
            dir,
            "openssl",
            &[
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                &pubkey,
                "-rawin",
                "-in",
                "SHA256SUMS",
                "-sigfile",
                "SHA256SUMS.sig",
            ],
        )
    };
    let o = verify_openssl(&dir);
    code(&o, 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Signature Verified Successfully"));
    let line = fs::read_to_string(env.p("k.pub")).unwrap();
    fs::write(env.p("allowed_signers"), format!("auditor@example {line}")).unwrap();
    let ssh_verify = |dir: &Path| {
        let mut child = Command::new("ssh-keygen")
            .current_dir(dir)
            .args([
                "-Y",
                "verify",
                "-f",
                &env.s("allowed_signers"),
                "-I",
                "auditor@example",
                "-n",
                "file",
                "-s",
                "SHA256SUMS.sshsig",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ssh-keygen must be installed");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&fs::read(dir.join("SHA256SUMS")).unwrap())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let o = ssh_verify(&dir);
    code(&o, 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Good \"file\" signature"));
    // The same tools reject a tampered packet.
    let mut sums = fs::read(dir.join("SHA256SUMS")).unwrap();
    sums[10] ^= 1;
    fs::write(dir.join("SHA256SUMS"), &sums).unwrap();
    assert_ne!(verify_openssl(&dir).status.code(), Some(0));
    assert_ne!(ssh_verify(&dir).status.code(), Some(0));
    fs::write(dir.join("index.html"), "changed").unwrap();
    assert_ne!(
        tool(&dir, "sha256sum", &["-c", "SHA256SUMS"]).status.code(),
        Some(0)
    );
}

// ---------------------------------------------------------------- 6. tamper matrix

/// Rewrites SHA256SUMS with `edit`, then re-signs it with the trusted key (and drops the
/// attestation), so that only the manifest rule itself can catch the change.
fn edit_manifest_resigned(dir: &Path, key: &Path, edit: impl Fn(String) -> String) {
    let sums = edit(fs::read_to_string(dir.join("SHA256SUMS")).unwrap());
    fs::write(dir.join("SHA256SUMS"), &sums).unwrap();
    let k = signing_key(key);
    fs::write(
        dir.join("SHA256SUMS.sig"),
        k.sign(sums.as_bytes()).to_bytes(),
    )
    .unwrap();
    let ssh = ssh_key::PrivateKey::from(ssh_key::private::Ed25519Keypair::from(k.clone()));
    let sig = ssh
        .sign("file", ssh_key::HashAlg::Sha512, sums.as_bytes())
        .unwrap();
    fs::write(
        dir.join("SHA256SUMS.sshsig"),
        sig.to_pem(ssh_key::LineEnding::LF).unwrap(),
    )
    .unwrap();
    fs::remove_file(dir.join("SHA256SUMS.intoto.json")).unwrap();
}

type Tamper = Box<dyn Fn(&Path, &Env)>;

/// Each case: name, how to tamper with a sealed folder, the (rule, path) it must raise.
type TamperCase = (&'static str, Tamper, Vec<(&'static str, &'static str)>);

fn tamper_cases() -> Vec<TamperCase> {
    vec![
        (
            "byte changed",
            Box::new(|d, _| {
                let mut b = fs::read(d.join("index.html")).unwrap();
                b[3] ^= 0x20;
                fs::write(d.join("index.html"), b).unwrap();
            }),
            vec![("hash-mismatch", "index.html")],
        ),
        (
            "bytes appended",
            Box::new(|d, _| {
                let mut f = fs::OpenOptions::new()
                    .append(true)
                    .open(d.join("evidence/empty.yaml"))
                    .unwrap();
                f.write_all(b"extra: true\n").unwrap();
            }),
            vec![("hash-mismatch", "evidence/empty.yaml")],
        ),
        (
            "file deleted",
            Box::new(|d, _| fs::remove_file(d.join("control-matrix.csv")).unwrap()),
            vec![("missing-file", "control-matrix.csv")],
        ),
        (
            "file added top level",
            Box::new(|d, _| fs::write(d.join("extra.html"), "x").unwrap()),
            vec![("unlisted-file", "extra.html")],
        ),
        (
            "file added nested",
            Box::new(|d, _| fs::write(d.join("evidence/rbac/new.yaml"), "x").unwrap()),
            vec![("unlisted-file", "evidence/rbac/new.yaml")],
        ),
        (
            "file renamed",
            Box::new(|d, _| fs::rename(d.join("packet.md"), d.join("packet2.md")).unwrap()),
            vec![
                ("missing-file", "packet.md"),
                ("unlisted-file", "packet2.md"),
            ],
        ),
        (
            "manifest line changed",
            Box::new(|d, _| {
                let s = fs::read_to_string(d.join("SHA256SUMS")).unwrap();
                let i = s.find("(index.html) = ").unwrap() + 15;
                let mut b = s.into_bytes();
                b[i] = if b[i] == b'0' { b'1' } else { b'0' };
                fs::write(d.join("SHA256SUMS"), b).unwrap();
            }),
            // The signature is checked before any content is hashed: an untrusted manifest
            // says nothing about the files (behaviour change: the hash mismatch on
            // index.html used to be reported as well).
            vec![("bad-signature", "SHA256SUMS.sig")],
        ),
        (
            "manifest line changed, re-signed",
            Box::new(|d, e| {
                edit_manifest_resigned(d, &e.p("k.key.pem"), |s| {
                    let line = s.lines().find(|l| l.contains("(packet.md)")).unwrap();
                    s.replace(line, &format!("SHA256 (packet.md) = {}", "ab".repeat(32)))
                })
            }),
            vec![("hash-mismatch", "packet.md")],
        ),
        (
            "manifest line removed",
            Box::new(|d, _| {
                let s = fs::read_to_string(d.join("SHA256SUMS")).unwrap();
                let s: String = s
                    .lines()
                    .filter(|l| !l.contains("(oscal/"))
                    .map(|l| format!("{l}\n"))
                    .collect();
                fs::write(d.join("SHA256SUMS"), s).unwrap();
            }),
            vec![("bad-signature", "SHA256SUMS.sig")],
        ),
        (
            "manifest line removed, re-signed",
            Box::new(|d, e| {
                edit_manifest_resigned(d, &e.p("k.key.pem"), |s| {
                    s.lines()
                        .filter(|l| !l.contains("(oscal/"))
                        .map(|l| format!("{l}\n"))
                        .collect()
                })
            }),
            vec![("unlisted-file", "oscal/assessment-results.json")],
        ),
        (
            "manifest line duplicated, re-signed",
            Box::new(|d, e| {
                edit_manifest_resigned(d, &e.p("k.key.pem"), |s| {
                    let dup = s
                        .lines()
                        .find(|l| l.contains("(index.html)"))
                        .unwrap()
                        .to_string();
                    s.replace(&format!("{dup}\n"), &format!("{dup}\n{dup}\n"))
                })
            }),
            vec![("duplicate-entry", "index.html")],
        ),
        (
            "manifest lines reordered, re-signed",
            Box::new(|d, e| {
                edit_manifest_resigned(d, &e.p("k.key.pem"), |s| {
                    let mut lines: Vec<&str> = s.lines().collect();
                    lines.swap(0, 1);
                    lines.iter().map(|l| format!("{l}\n")).collect()
                })
            }),
            vec![("unsorted-manifest", "control-matrix.csv")],
        ),
        (
            "manifest path with ../, re-signed",
            Box::new(|d, e| {
                edit_manifest_resigned(d, &e.p("k.key.pem"), |s| {
                    s.replace("(index.html)", "(../index.html)")
                })
            }),
            vec![
                ("unsafe-path", "../index.html"),
                ("unlisted-file", "index.html"),
            ],
        ),
        (
            "manifest absolute path, re-signed",
            Box::new(|d, e| {
                edit_manifest_resigned(d, &e.p("k.key.pem"), |s| {
                    s.replace("(index.html)", "(/etc/index.html)")
                })
            }),
            vec![
                ("unsafe-path", "/etc/index.html"),
                ("unlisted-file", "index.html"),
            ],
        ),
        (
            "malformed manifest line, re-signed",
            Box::new(|d, e| {
                edit_manifest_resigned(d, &e.p("k.key.pem"), |s| format!("{s}index.html: OK\n"))
            }),
            vec![("malformed-manifest", "SHA256SUMS")],
        ),
        (
            "signature truncated",
            Box::new(|d, _| {
                let b = fs::read(d.join("SHA256SUMS.sig")).unwrap();
                fs::write(d.join("SHA256SUMS.sig"), &b[..63]).unwrap();
            }),
            vec![("bad-signature", "SHA256SUMS.sig")],
        ),
        (
            "signature bit-flipped",
            Box::new(|d, _| {
                let mut b = fs::read(d.join("SHA256SUMS.sig")).unwrap();
                b[17] ^= 0x04;
                fs::write(d.join("SHA256SUMS.sig"), b).unwrap();
            }),
            vec![("bad-signature", "SHA256SUMS.sig")],
        ),
        (
            "signature from another key",
            Box::new(|d, e| {
                let other = SigningKey::from_bytes(&[7; 32]);
                let _ = e;
                let sums = fs::read(d.join("SHA256SUMS")).unwrap();
                fs::write(d.join("SHA256SUMS.sig"), other.sign(&sums).to_bytes()).unwrap();
            }),
            vec![("bad-signature", "SHA256SUMS.sig")],
        ),
        (
            "signature missing",
            Box::new(|d, _| fs::remove_file(d.join("SHA256SUMS.sig")).unwrap()),
            vec![("missing-signature", "SHA256SUMS.sig")],
        ),
        (
            "ssh signature bit-flipped",
            Box::new(|d, _| {
                let s = fs::read_to_string(d.join("SHA256SUMS.sshsig")).unwrap();
                let lines: Vec<&str> = s.lines().collect();
                let mut body = lines[lines.len() - 3].to_string().into_bytes();
                body[5] = if body[5] == b'A' { b'B' } else { b'A' };
                let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                let n = out.len();
                out[n - 3] = String::from_utf8(body).unwrap();
                fs::write(d.join("SHA256SUMS.sshsig"), out.join("\n") + "\n").unwrap();
            }),
            vec![("bad-signature", "SHA256SUMS.sshsig")],
        ),
        (
            "re-signed by an untrusted key that replaced the key in packet.json",
            Box::new(|d, e| {
                let mut other = fs::File::create(e.p("attacker.key.pem")).unwrap();
                let k = SigningKey::from_bytes(&[9; 32]);
                other
                    .write_all(keys::private_pem(&k, None).unwrap().as_bytes())
                    .unwrap();
                fs::set_permissions(e.p("attacker.key.pem"), fs::Permissions::from_mode(0o600))
                    .unwrap();
                fs::write(d.join("index.html"), "forged").unwrap();
                ok(run(
                    d,
                    &["seal", ".", "--key", &e.s("attacker.key.pem"), "--force"],
                ));
            }),
            vec![("untrusted-signer", "SHA256SUMS.sig")],
        ),
        (
            "packet.json signer swapped",
            Box::new(|d, e| {
                edit_manifest_resigned(d, &e.p("k.key.pem"), |s| s);
                let p = fs::read_to_string(d.join("packet.json")).unwrap();
                let other = keys::key_id(&SigningKey::from_bytes(&[3; 32]).verifying_key());
                let id = keys::key_id(&keys::load_public_key(&e.p("k.pub.pem")).unwrap());
                fs::write(d.join("packet.json"), p.replace(&id, &other)).unwrap();
            }),
            vec![
                ("signer-mismatch", "packet.json"),
                ("hash-mismatch", "packet.json"),
            ],
        ),
        (
            "attestation tampered",
            Box::new(|d, _| {
                let s = fs::read_to_string(d.join("SHA256SUMS.intoto.json")).unwrap();
                let mut v: Value = serde_json::from_str(&s).unwrap();
                use base64::Engine;
                let b64 = base64::engine::general_purpose::STANDARD;
                let payload = b64.decode(v["payload"].as_str().unwrap()).unwrap();
                let mut st: Value = serde_json::from_slice(&payload).unwrap();
                st["subject"][0]["digest"]["sha256"] = Value::from("0".repeat(64));
                v["payload"] = Value::from(b64.encode(serde_json::to_vec(&st).unwrap()));
                fs::write(
                    d.join("SHA256SUMS.intoto.json"),
                    serde_json::to_vec(&v).unwrap(),
                )
                .unwrap();
            }),
            vec![("bad-attestation", "SHA256SUMS.intoto.json")],
        ),
        (
            "symlink in place of a file",
            Box::new(|d, _| {
                fs::remove_file(d.join("packet.md")).unwrap();
                std::os::unix::fs::symlink("index.html", d.join("packet.md")).unwrap();
            }),
            vec![("symlink", "packet.md")],
        ),
        (
            "folder in place of a file",
            Box::new(|d, _| {
                fs::remove_file(d.join("control-matrix.csv")).unwrap();
                fs::create_dir(d.join("control-matrix.csv")).unwrap();
                fs::write(d.join("control-matrix.csv/x"), "x").unwrap();
            }),
            vec![
                ("not-a-file", "control-matrix.csv"),
                ("unlisted-file", "control-matrix.csv/x"),
            ],
        ),
        (
            "empty folder added",
            Box::new(|d, _| fs::create_dir(d.join("evidence/hollow")).unwrap()),
            vec![("empty-directory", "evidence/hollow")],
        ),
    ]
}

/// Writes a .tar.gz of whatever is in `dir` (files, folders, symlinks) in the layout and
/// header form `auditpack archive` writes (seal files first, then paths sorted by bytes,
/// mtime = sealedAt): how an attacker would repackage a tampered folder so that only the
/// tampering itself is left to catch.
fn tar_folder(dir: &Path, out: &Path) {
    fn walk(root: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) {
        for e in fs::read_dir(root.join(rel)).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let ty = e.file_type().unwrap();
            if ty.is_dir() {
                out.push((format!("{path}/"), e.path()));
                walk(root, &path, out);
            } else {
                out.push((path, e.path()));
            }
        }
    }
    let mtime = fs::read(dir.join("packet.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v["sealedAt"].as_str().map(str::to_string))
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map_or(0, |t| t.timestamp() as u64);
    let mut all = Vec::new();
    walk(dir, "", &mut all);
    let (mut first, mut rest): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|(p, _)| auditpack::SEAL_FILES.contains(&p.as_str()));
    first.sort_by_key(|(p, _)| auditpack::SEAL_FILES.iter().position(|s| s == p));
    rest.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut b = tar::Builder::new(Vec::new());
    for (path, abs) in first.into_iter().chain(rest) {
        let ty = fs::symlink_metadata(&abs).unwrap().file_type();
        let mut h = tar::Header::new_gnu();
        if ty.is_symlink() {
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
        } else if ty.is_dir() {
            h.set_entry_type(tar::EntryType::Directory);
            h.set_size(0);
        } else {
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(fs::metadata(&abs).unwrap().len());
        }
        h.set_mode(if ty.is_dir() { 0o755 } else { 0o644 });
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(mtime);
        if ty.is_symlink() {
            b.append_link(&mut h, &path, fs::read_link(&abs).unwrap())
                .unwrap();
        } else if ty.is_dir() {
            b.append_data(&mut h, &path, std::io::empty()).unwrap();
        } else {
            b.append_data(&mut h, &path, fs::File::open(&abs).unwrap())
                .unwrap();
        }
    }
    fs::write(out, tarball::gzip(&b.into_inner().unwrap())).unwrap();
}

#[test]
fn tamper_matrix_each_change_is_caught_on_the_folder_and_on_the_archive_by_its_rule() {
    let env = Env::new();
    let clean = env.sealed("clean");
    // The clean packet, repackaged by the test's own tar writer, verifies: the archive
    // cases below fail because of the tampering, not because of the repackaging.
    tar_folder(&clean, &env.p("clean.tar.gz"));
    let (o, v) = env.verify("clean.tar.gz", "k.pub.pem");
    code(&o, 0);
    assert_eq!(v["filesChecked"], 8);
    for (i, (name, tamper, expected)) in tamper_cases().into_iter().enumerate() {
        let dir = env.p(&format!("t{i}"));
        copy_dir(&clean, &dir);
        tamper(&dir, &env);
        let archive = env.p(&format!("t{i}.tar.gz"));
        tar_folder(&dir, &archive);
        for target in [dir.display().to_string(), archive.display().to_string()] {
            let (o, v) = env.verify(&target, &env.s("k.pub.pem"));
            assert_eq!(o.status.code(), Some(1), "{name} on {target}: {}", text(&o));
            assert_eq!(v["verified"], false);
            let got = rules(&v);
            if got.iter().any(|(r, p)| {
                p == "SHA256SUMS.sig"
                    && matches!(
                        r.as_str(),
                        "bad-signature" | "untrusted-signer" | "missing-signature"
                    )
            }) {
                // Signature first: nothing was hashed against an untrusted manifest.
                assert_eq!(v["filesChecked"], 0, "{name} on {target}: {v}");
            }
            for (rule, path) in &expected {
                assert!(
                    got.iter().any(|(r, p)| r == rule && p == path),
                    "{name} on {target}: expected {rule} on {path}, got {got:?}"
                );
            }
        }
    }
}

/// Archive entries a folder cannot hold, appended to a canonical archive (raw GNU headers
/// in the writer's form, any name or type): each is refused by its rule.
#[test]
fn archive_reader_refuses_hostile_entries_by_rule() {
    let env = Env::new();
    env.sealed("clean");
    ok(run(
        env.root(),
        &["archive", "clean", "--out", "good.tar.gz"],
    ));
    let good = fs::read(env.p("good.tar.gz")).unwrap();
    let body = tarball::without_end(&tarball::gunzip(&good));
    let mtime = chrono::DateTime::parse_from_rfc3339("2025-07-01T12:00:00Z")
        .unwrap()
        .timestamp() as u64;
    let raw = |name: &str, kind: u8, data: &[u8]| {
        tarball::entry(
            &tarball::header(name.as_bytes(), kind, data.len() as u64, mtime),
            data,
        )
    };
    let pax = b"20 path=index.html\n";
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "dot-dot",
            raw("../escape", b'0', b"x"),
            "unsafe-path",
            "../escape",
        ),
        (
            "absolute",
            raw("/etc/cron.d/x", b'0', b"x"),
            "unsafe-path",
            "/etc/cron.d/x",
        ),
        (
            "duplicate",
            raw("index.html", b'0', b"other"),
            "duplicate-entry",
            "index.html",
        ),
        ("device", raw("dev", b'3', b""), "special-file", "dev"),
        ("fifo", raw("pipe", b'6', b""), "special-file", "pipe"),
        ("hardlink", raw("hard", b'1', b""), "symlink", "hard"),
        ("symlink", raw("soft", b'2', b""), "symlink", "soft"),
        // Regression: a PAX global header was reported as `unsafe-path ././@PaxHeader`.
        (
            "pax global header",
            raw("././@PaxHeader", b'g', pax),
            "special-file",
            "././@PaxHeader",
        ),
        (
            "pax extended header",
            raw("././@PaxHeader", b'x', pax),
            "special-file",
            "././@PaxHeader",
        ),
    ];
    for (name, extra, rule, path) in cases {
        let out = env.p(&format!("{name}.tar.gz"));
        let mut tar = body.clone();
        tar.extend_from_slice(&extra);
        tar.extend_from_slice(&tarball::END);
        fs::write(&out, tarball::gzip(&tar)).unwrap();
        let (o, v) = env.verify(&out.display().to_string(), "k.pub.pem");
        code(&o, 1);
        assert!(
            rules(&v).contains(&(rule.to_string(), path.to_string())),
            "{name}: {:?}",
            rules(&v)
        );
    }
    // Not gzip, truncated gzip: malformed-archive, exit 1 (not an I/O error).
    fs::write(env.p("junk.tar.gz"), b"not a gzip stream at all").unwrap();
    fs::write(env.p("cut.tar.gz"), &good[..good.len() / 2]).unwrap();
    for f in ["junk.tar.gz", "cut.tar.gz"] {
        let (o, v) = env.verify(f, "k.pub.pem");
        code(&o, 1);
        assert!(
            rules(&v).iter().any(|(r, _)| r == "malformed-archive"),
            "{f}: {v}"
        );
    }
}

#[test]
fn decompression_bomb_stops_at_the_size_limit() {
    let env = Env::new();
    env.sealed("p");
    // 8 MiB of zeros compresses to a few KiB; a 1 MiB limit stops the reader.
    fs::write(env.p("p/zeros.bin"), vec![0u8; 8 << 20]).unwrap();
    ok(run(
        env.root(),
        &["seal", "p", "--key", "k.key.pem", "--force"],
    ));
    ok(run(env.root(), &["archive", "p", "--out", "bomb.tar.gz"]));
    assert!(fs::metadata(env.p("bomb.tar.gz")).unwrap().len() < 100_000);
    let mut trust = auditpack::TrustStore::new();
    trust.add_key_file(&env.p("k.pub.pem")).unwrap();
    let limits = auditpack::internals::Limits {
        max_total_bytes: 1 << 20,
        max_entries: 100,
    };
    let f = fs::File::open(env.p("bomb.tar.gz")).unwrap();
    let report =
        auditpack::verify_archive_reader(f, Path::new("bomb.tar.gz"), &trust, &limits).unwrap();
    assert!(!report.is_verified());
    assert_eq!(
        report.failures[0].rule,
        auditpack::Rule::SizeLimit,
        "{:?}",
        report.failures
    );
    let limits = auditpack::internals::Limits {
        max_total_bytes: 1 << 30,
        max_entries: 3,
    };
    let f = fs::File::open(env.p("bomb.tar.gz")).unwrap();
    let report =
        auditpack::verify_archive_reader(f, Path::new("bomb.tar.gz"), &trust, &limits).unwrap();
    assert_eq!(report.failures[0].rule, auditpack::Rule::SizeLimit);
    // With default limits it verifies.
    ok(run(
        env.root(),
        &["verify", "bomb.tar.gz", "--key", "k.pub.pem"],
    ));
}

// ---------------------------------------------------------------- 7. DSSE

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("AUDITPACK_PYTHON") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python")
}

#[test]
fn dsse_attestation_verifies_with_python_securesystemslib() {
    let env = Env::new();
    let dir = env.sealed("p");
    let py = python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dsse_verify.py");
    let pk = keys::load_public_key(&env.p("k.pub.pem")).unwrap();
    let run_py = |envelope: &Path| {
        Command::new(&py)
            .arg(&script)
            .arg(envelope)
            .arg(hex::encode(pk.as_bytes()))
            .arg(dir.join("SHA256SUMS"))
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {e}; create it with `python3 -m venv .venv && .venv/bin/pip install 'securesystemslib[crypto]'` or set AUDITPACK_PYTHON",
                    py.display()
                )
            })
    };
    let o = run_py(&dir.join("SHA256SUMS.intoto.json"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("keyid {}", keys::securesystemslib_keyid(&pk))),
        "{out}"
    );
    assert!(out.contains("subjects 8"), "{out}");
    // A flipped signature byte is refused by securesystemslib too.
    let mut v: Value =
        serde_json::from_slice(&fs::read(dir.join("SHA256SUMS.intoto.json")).unwrap()).unwrap();
    let sig = v["signatures"][0]["sig"].as_str().unwrap().to_string();
    let flipped = format!(
        "{}{}",
        if sig.starts_with('A') { "B" } else { "A" },
        &sig[1..]
    );
    v["signatures"][0]["sig"] = Value::from(flipped);
    fs::write(env.p("bad.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    let o = run_py(&env.p("bad.json"));
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
}

// ---------------------------------------------------------------- 8. issue 10 regressions

/// Regression: RSA, EC and PKCS#8-RSA keys were refused with "unknown/unsupported algorithm
/// OID: 1.3.101.112" (the Ed25519 OID, i.e. what was expected, not what was found). Every
/// place a key is read names the algorithm found and says Ed25519 is required.
#[test]
fn non_ed25519_keys_are_refused_naming_the_algorithm_found() {
    let env = Env::new();
    let r = env.root();
    env.sealed("p");
    let make = |prog: &str, args: &[&str]| code(&tool(r, prog, args), 0);
    make(
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa8.pem",
        ],
    );
    make(
        "openssl",
        &["genrsa", "-traditional", "-out", "rsa1.pem", "2048"],
    );
    make(
        "openssl",
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-out",
            "ec.pem",
        ],
    );
    make(
        "openssl",
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "ec.pem", "-out", "ec8.pem",
        ],
    );
    make(
        "openssl",
        &["pkey", "-in", "rsa8.pem", "-pubout", "-out", "rsa.pub.pem"],
    );
    make(
        "openssl",
        &["pkey", "-in", "ec.pem", "-pubout", "-out", "ec.pub.pem"],
    );
    make(
        "ssh-keygen",
        &["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", "sshrsa"],
    );
    make(
        "ssh-keygen",
        &["-q", "-t", "ecdsa", "-N", "", "-f", "sshec"],
    );
    for f in [
        "rsa8.pem", "rsa1.pem", "ec.pem", "ec8.pem", "sshrsa", "sshec",
    ] {
        fs::set_permissions(env.p(f), fs::Permissions::from_mode(0o600)).unwrap();
    }
    let refused = |o: &Output, file: &str, found: &str| {
        code(o, 2);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(file) && err.contains(found) && err.contains("Ed25519"),
            "{file}: expected {found:?} and Ed25519 in: {err}"
        );
        assert!(!err.contains("1.3.101.112"), "{err}");
    };
    for (key, found) in [
        ("rsa8.pem", "RSA private key (PKCS#8)"),
        ("rsa1.pem", "RSA private key (PKCS#1)"),
        ("ec.pem", "EC P-256 private key"),
        ("ec8.pem", "EC P-256 private key (PKCS#8)"),
        ("sshrsa", "RSA (ssh-rsa) private key"),
        ("sshec", "EC P-256 (ecdsa-sha2-nistp256) private key"),
    ] {
        let o = run(r, &["seal", "p", "--key", key, "--force"]);
        refused(&o, key, found);
    }
    for (key, found) in [
        ("rsa.pub.pem", "RSA public key"),
        ("ec.pub.pem", "EC P-256 public key"),
        ("sshrsa.pub", "RSA (ssh-rsa) public key"),
        ("sshec.pub", "EC P-256 (ecdsa-sha2-nistp256) public key"),
    ] {
        refused(&run(r, &["verify", "p", "--key", key]), key, found);
        fs::copy(env.p(key), env.p("trusted.keys")).unwrap();
        refused(
            &run(r, &["verify", "p", "--trusted-keys", "trusted.keys"]),
            "trusted.keys:1",
            found,
        );
    }
}

/// Regression: `# not_after:` (typed for `# not-after:`) was ignored, so an expired key
/// verified. It is now a usage error naming FILE:LINE.
#[test]
fn a_mistyped_trusted_keys_directive_is_an_error_not_an_ignored_window() {
    let env = Env::new();
    env.sealed("p");
    let pem = fs::read_to_string(env.p("k.pub.pem")).unwrap();
    fs::write(
        env.p("typo.keys"),
        format!("# platform keys\n# not_after: 2024-12-31T23:59:59Z\n{pem}"),
    )
    .unwrap();
    let o = run(env.root(), &["verify", "p", "--trusted-keys", "typo.keys"]);
    code(&o, 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("typo.keys:2") && err.contains("not-after"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
    // Spelled right, the window applies and the packet sealed in 2025 is refused.
    fs::write(
        env.p("ok.keys"),
        format!("# platform keys\n# not-after: 2024-12-31T23:59:59Z\n{pem}"),
    )
    .unwrap();
    let o = run(env.root(), &["verify", "p", "--trusted-keys", "ok.keys"]);
    code(&o, 1);
    assert!(String::from_utf8_lossy(&o.stdout).contains("key-expired"));
}

/// Regression: deleting `SHA256SUMS.intoto.json` left a packet that still verified. Seal now
/// records the attestation in packet.json (signed), so its absence is a failure; an older
/// packet without the record still verifies, with a note that it has no attestation.
#[test]
fn a_deleted_attestation_fails_once_packet_json_records_it() {
    let env = Env::new();
    let dir = env.sealed("p");
    let pj: Value = serde_json::from_slice(&fs::read(dir.join("packet.json")).unwrap()).unwrap();
    assert_eq!(pj["attestation"], "SHA256SUMS.intoto.json");
    fs::remove_file(dir.join("SHA256SUMS.intoto.json")).unwrap();
    ok(run(
        env.root(),
        &["seal", "p", "--key", "k.key.pem", "--force"],
    ));
    fs::remove_file(dir.join("SHA256SUMS.intoto.json")).unwrap();
    let (o, v) = env.verify("p", "k.pub.pem");
    code(&o, 1);
    assert_eq!(
        rules(&v),
        [(
            "missing-signature".to_string(),
            "SHA256SUMS.intoto.json".to_string()
        )]
    );
    // The same through an archive made before the deletion.
    ok(run(
        env.root(),
        &["seal", "p", "--key", "k.key.pem", "--force"],
    ));
    ok(run(env.root(), &["archive", "p", "--out", "a.tar.gz"]));
    let tar = tarball::gunzip(&fs::read(env.p("a.tar.gz")).unwrap());
    let heads = tarball::headers(&tar);
    let (start, _, _) = heads
        .iter()
        .find(|h| h.1 == "SHA256SUMS.intoto.json")
        .unwrap()
        .clone();
    let next = heads.iter().find(|h| h.0 > start).unwrap().0;
    let mut cut = tar[..start].to_vec();
    cut.extend_from_slice(&tar[next..]);
    fs::write(env.p("cut.tar.gz"), tarball::gzip(&cut)).unwrap();
    let (o, v) = env.verify("cut.tar.gz", "k.pub.pem");
    code(&o, 1);
    assert!(
        rules(&v).contains(&(
            "missing-signature".to_string(),
            "SHA256SUMS.intoto.json".to_string()
        )),
        "{v}"
    );

    // An older packet (packet.json without `attestation`) and no attestation: verified,
    // with a note saying so.
    let old = env.p("old");
    copy_dir(&dir, &old);
    let mut pj: Value =
        serde_json::from_slice(&fs::read(old.join("packet.json")).unwrap()).unwrap();
    pj.as_object_mut().unwrap().remove("attestation");
    let mut bytes = serde_json::to_vec_pretty(&pj).unwrap();
    bytes.push(b'\n');
    fs::write(old.join("packet.json"), &bytes).unwrap();
    edit_manifest_resigned(&old, &env.p("k.key.pem"), |s| {
        let line = s.lines().find(|l| l.contains("(packet.json)")).unwrap();
        s.replace(
            line,
            &format!("SHA256 (packet.json) = {}", sha256_hex(&bytes)),
        )
    });
    let (o, v) = env.verify("old", "k.pub.pem");
    code(&o, 0);
    let notes = v["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("no attestation")),
        "{v}"
    );
    let o = ok(run(env.root(), &["verify", "old", "--key", "k.pub.pem"]));
    assert!(String::from_utf8_lossy(&o.stdout).contains("note: no attestation"));
}

/// Regression: `archive P --out P/x.tar.gz` wrote into the sealed folder (which then no
/// longer verified). Refused however the folder is spelled, and nothing is written in it.
#[test]
fn archive_refuses_to_write_inside_the_packet_folder() {
    let env = Env::new();
    let dir = env.sealed("p");
    std::os::unix::fs::symlink("p", env.p("link")).unwrap();
    fs::create_dir(env.p("elsewhere")).unwrap();
    let before: Vec<_> = {
        let mut v: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    for out in [
        "p/x.tar.gz",
        "./p/x.tar.gz",
        "p/evidence/x.tar.gz",
        "link/x.tar.gz",
        "elsewhere/../p/x.tar.gz",
    ] {
        let o = run(env.root(), &["archive", "p", "--out", out]);
        code(&o, 2);
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("inside the packet folder"),
            "{out}: {}",
            text(&o)
        );
    }
    let o = run(&dir, &["archive", ".", "--out", "x.tar.gz"]);
    code(&o, 2);
    let mut after: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    after.sort();
    assert_eq!(before, after);
    assert!(!dir.join("evidence/x.tar.gz").exists());
    ok(env.verify("p", "k.pub.pem").0);
    ok(run(
        env.root(),
        &["archive", "p", "--out", "elsewhere/x.tar.gz"],
    ));
}

/// Regression: an oversized `.sig` (100 KB) or a manifest over the limit made folder verify
/// exit 2 with "cannot read the packet's files". It is a named `size-limit` verdict with the
/// JSON report, as for an archive.
#[test]
fn oversized_seal_files_in_a_folder_are_a_size_limit_verdict() {
    let env = Env::new();
    let dir = env.sealed("p");
    fs::write(dir.join("SHA256SUMS.sig"), vec![0u8; 100_000]).unwrap();
    let (o, v) = env.verify("p", "k.pub.pem");
    code(&o, 1);
    assert_eq!(
        rules(&v),
        [("size-limit".to_string(), "SHA256SUMS.sig".to_string())],
        "{v}"
    );
    // A manifest one byte over the 256 MiB cap (sparse: nothing is read or written).
    env.sealed("q");
    fs::OpenOptions::new()
        .write(true)
        .open(env.p("q/SHA256SUMS"))
        .unwrap()
        .set_len((256 << 20) + 1)
        .unwrap();
    let (o, v) = env.verify("q", "k.pub.pem");
    code(&o, 1);
    assert_eq!(
        rules(&v)[0],
        ("size-limit".to_string(), "SHA256SUMS".to_string())
    );
    assert_eq!(v["filesChecked"], 0);
}

/// The signature over SHA256SUMS is checked before any content is read: behind an untrusted
/// manifest, an archive's content is never decompressed (so no size limit is reached), and
/// a folder's files are never hashed.
#[test]
fn an_untrusted_manifest_is_refused_before_any_content_is_read() {
    let env = Env::new();
    let dir = env.sealed("p");
    // 64 MiB of zeros: a few KiB compressed, far over the reader limit below.
    fs::write(dir.join("zeros.bin"), vec![0u8; 64 << 20]).unwrap();
    ok(run(
        env.root(),
        &["seal", "p", "--key", "k.key.pem", "--force"],
    ));
    ok(run(env.root(), &["archive", "p", "--out", "p.tar.gz"]));
    let limits = auditpack::internals::Limits {
        max_total_bytes: 8 << 20,
        max_entries: 100,
    };
    let mut trusted = auditpack::TrustStore::new();
    trusted.add_key_file(&env.p("k.pub.pem")).unwrap();
    let f = fs::File::open(env.p("p.tar.gz")).unwrap();
    let r = auditpack::verify_archive_reader(f, Path::new("p.tar.gz"), &trusted, &limits).unwrap();
    assert_eq!(
        r.failures[0].rule,
        auditpack::Rule::SizeLimit,
        "{:?}",
        r.failures
    );
    let mut other = auditpack::TrustStore::new();
    other.add(SigningKey::from_bytes(&[8; 32]).verifying_key(), "other");
    let f = fs::File::open(env.p("p.tar.gz")).unwrap();
    let r = auditpack::verify_archive_reader(f, Path::new("p.tar.gz"), &other, &limits).unwrap();
    let got: Vec<_> = r
        .failures
        .iter()
        .map(|f| (f.rule, f.path.as_str()))
        .collect();
    assert_eq!(got, [(auditpack::Rule::UntrustedSigner, "SHA256SUMS.sig")]);
    assert!(
        r.notes.iter().any(|n| n.contains("content not checked")),
        "{:?}",
        r.notes
    );
    assert_eq!(r.files_checked, 0);
    // In a folder, an unreadable content file is never opened behind a bad signature.
    fs::set_permissions(dir.join("zeros.bin"), fs::Permissions::from_mode(0o000)).unwrap();
    fs::write(dir.join("SHA256SUMS.sig"), [0u8; 64]).unwrap();
    let (o, v) = env.verify("p", "k.pub.pem");
    code(&o, 1);
    assert_eq!(
        rules(&v),
        [("bad-signature".to_string(), "SHA256SUMS.sig".to_string())]
    );
}

/// `verify` prints a bounded number of failure lines plus a count of the rest by rule; the
/// JSON report keeps the first 1000 and counts the rest.
#[test]
fn verify_output_is_bounded_on_a_flood_of_failures() {
    let env = Env::new();
    let dir = env.sealed("p");
    fs::create_dir(dir.join("flood")).unwrap();
    for i in 0..1500 {
        fs::write(dir.join(format!("flood/{i:04}")), "x").unwrap();
    }
    let (o, v) = env.verify("p", "k.pub.pem");
    code(&o, 1);
    assert_eq!(v["failures"].as_array().unwrap().len(), 1000);
    assert_eq!(v["failuresOmitted"], 500);
    let o = run(env.root(), &["verify", "p", "--key", "k.pub.pem"]);
    code(&o, 1);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().filter(|l| l.starts_with("  FAIL ")).count(), 50);
    assert!(
        out.contains("… and 1450 more failure(s) not shown (unlisted-file 1450)"),
        "{out}"
    );
}

/// Regression: on a full disk `archive` left `a.tar.gz` without its index. Both are written
/// to temporary names and renamed only when both are complete, so a failure leaves neither.
/// A real full filesystem: a small tmpfs in a private mount namespace (`unshare -m`, root).
#[test]
fn archive_on_a_full_disk_leaves_neither_archive_nor_index() {
    let env = Env::new();
    env.sealed("p");
    ok(run(env.root(), &["archive", "p", "--out", "probe.tar.gz"]));
    let size = fs::metadata(env.p("probe.tar.gz")).unwrap().len();
    let pages = size.div_ceil(4096);
    fs::create_dir(env.p("full")).unwrap();
    // tmpfs of 64 pages; a filler leaves exactly the archive's pages free, so the archive
    // fits and the index (one more page) does not.
    let script = format!(
        "mount -t tmpfs -o size=256k tmpfs full && head -c {} /dev/zero > full/filler && \
         '{}' archive p --out full/a.tar.gz; echo rc=$?; ls -a full",
        (64 - pages) * 4096,
        env!("CARGO_BIN_EXE_auditpack")
    );
    let o = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .current_dir(env.root())
        .output()
        .expect("unshare (util-linux) runs");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "needs root for a private mount namespace: {err}"
    );
    assert!(
        out.contains("rc=2"),
        "archive must fail on the full disk: {out}{err}"
    );
    assert!(
        err.contains("a.tar.gz.json"),
        "the index write failed: {err}"
    );
    let listing: Vec<&str> = out.lines().filter(|l| !l.starts_with("rc=")).collect();
    assert_eq!(listing, [".", "..", "filler"], "{out}");
}
