//! Archival to S3 object storage with Object Lock, against a real server (Ceph RGW on
//! loopback, tests/common/s3.rs): upload, listing, metadata and checksum; refusal to
//! overwrite; retention readback and the server refusing to delete a locked version;
//! verify of one object and of a chain from the bucket (a tampered newer version, a
//! missing quarter); wrong credentials and a missing bucket; a server that dies
//! mid-upload.

mod common;
#[path = "common/s3.rs"]
mod s3;

use std::path::Path;
use std::process::Output;

use common::text;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// A key pair and a series of quarterly packets of cluster `cluster` in `d/series-CLUSTER`,
/// oldest first; returns their folder names.
fn series(d: &Path, cluster: &str, quarters: &[(&str, &str, &str)]) -> Vec<String> {
    if !d.join("keys/signer.key.pem").exists() {
        common::ok(d, &["keygen", "--out", "keys", "--name", "signer"]);
    }
    let fixture = common::root().join("examples/clusters/task-api");
    let ser = format!("series-{cluster}");
    let mut made = Vec::new();
    for (start, end, now) in quarters {
        let o = common::auditpack(
            d,
            &[
                "packet",
                "--from-dir",
                fixture.to_str().unwrap(),
                "--cluster-name",
                cluster,
                "--key",
                "keys/signer.key.pem",
                "--period-start",
                start,
                "--period-end",
                end,
                "--now",
                now,
                "--series",
                &ser,
            ],
        );
        assert!(common::wrote(&o.status), "{}", text(&o));
        let mut names: Vec<String> = std::fs::read_dir(d.join(&ser))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.') && !made.contains(n))
            .collect();
        names.sort();
        made.push(names.pop().expect("a new packet"));
    }
    made.iter().map(|n| format!("{ser}/{n}")).collect()
}

const Q1: (&str, &str, &str) = ("2026-01-01", "2026-03-31", "2026-04-02T00:00:00Z");
const Q2: (&str, &str, &str) = ("2026-04-01", "2026-06-30", "2026-07-02T00:00:00Z");
const Q3: (&str, &str, &str) = ("2026-07-01", "2026-09-30", "2026-10-02T00:00:00Z");

fn packet_id(d: &Path, packet: &str) -> String {
    let v: Value =
        serde_json::from_slice(&std::fs::read(d.join(packet).join("packet.json")).unwrap())
            .unwrap();
    v["id"].as_str().unwrap().to_string()
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

#[test]
fn archive_uploads_both_objects_with_type_checksum_metadata_and_retention() {
    let Some(srv) = s3::server() else { return };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let packets = series(d, "prod", &[Q1]);
    let id = packet_id(d, &packets[0]);
    let bucket = s3::bucket_name("up");
    let rt = rt();
    let c = rt.block_on(srv.client());
    rt.block_on(s3::create_bucket(&c, &bucket, true));

    let to = format!("s3://{bucket}/prod/");
    let o = srv.auditpack(
        d,
        &[
            "archive",
            &packets[0],
            "--to",
            &to,
            "--retain-until",
            "2032-06-30",
            "--lock-mode",
            "governance",
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains(&format!("s3://{bucket}/prod/{id}.tar.gz (version ")),
        "{out}"
    );
    assert!(
        out.contains("retention: governance until 2032-07-01T00:00:00Z"),
        "{out}"
    );

    // Listing: exactly the archive and its index.
    let listed = rt
        .block_on(c.list_objects_v2().bucket(&bucket).send())
        .unwrap();
    let mut keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            format!("prod/{id}.tar.gz"),
            format!("prod/{id}.tar.gz.json")
        ]
    );

    // The archive: type, metadata, bytes that hash as the index states.
    let key = format!("prod/{id}.tar.gz");
    let got = rt
        .block_on(c.get_object().bucket(&bucket).key(&key).send())
        .unwrap();
    assert_eq!(got.content_type(), Some("application/gzip"));
    let meta = got.metadata().unwrap().clone();
    let bytes = rt.block_on(got.body.collect()).unwrap().into_bytes();
    let index_obj = rt
        .block_on(
            c.get_object()
                .bucket(&bucket)
                .key(format!("{key}.json"))
                .send(),
        )
        .unwrap();
    assert_eq!(index_obj.content_type(), Some("application/json"));
    let index_bytes = rt.block_on(index_obj.body.collect()).unwrap().into_bytes();
    let index: Value = serde_json::from_slice(&index_bytes).unwrap();
    assert_eq!(index["formatVersion"], 2);
    assert_eq!(index["archive"], format!("{id}.tar.gz"));
    assert_eq!(index["archiveSha256"], sha256_hex(&bytes));
    assert_eq!(index["archiveBytes"], bytes.len());
    assert_eq!(
        index["archiveSha256Base64"],
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            Sha256::digest(&bytes)
        )
    );
    assert_eq!(index["contentType"], "application/gzip");
    assert_eq!(index["retention"]["mode"], "governance");
    assert_eq!(index["retention"]["retainUntil"], "2032-07-01T00:00:00Z");
    assert_eq!(index["legalHold"], false);
    assert_eq!(index["auditpackVersion"], env!("CARGO_PKG_VERSION"));
    let packet: Value =
        serde_json::from_slice(&std::fs::read(d.join(&packets[0]).join("packet.json")).unwrap())
            .unwrap();
    assert_eq!(index["previous"], packet["previous"]);
    assert!(auditpack::ArchiveIndex::from_slice(&index_bytes).is_ok());
    assert_eq!(meta["packet-id"], id);
    assert_eq!(meta["cluster"], "prod");
    assert_eq!(meta["period-start"], "2026-01-01T00:00:00Z");
    assert_eq!(meta["period-end"], "2026-04-01T00:00:00Z");
    assert_eq!(meta["archive-sha256"], sha256_hex(&bytes));
    assert_eq!(
        meta["manifest-sha256"],
        index["manifestSha256"].as_str().unwrap()
    );
    assert_eq!(
        meta["signer-key-id"],
        index["signerKeyId"].as_str().unwrap()
    );
    // The same bytes as a local archive of the same packet (archives are deterministic).
    common::ok(d, &["archive", &packets[0], "--out", "local.tar.gz"]);
    assert_eq!(
        std::fs::read(d.join("local.tar.gz")).unwrap(),
        bytes.to_vec()
    );

    // Verify from the bucket: version, one version, retention in force.
    let o = srv.auditpack(
        d,
        &[
            "verify",
            &format!("s3://{bucket}/{key}"),
            "--key",
            "keys/signer.pub.pem",
            "--output",
            "json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(v["object"]["versions"], 1);
    assert!(v["object"]["versionId"].is_string(), "{v}");
    assert_eq!(v["object"]["retention"]["mode"], "governance");
    assert_eq!(v["object"]["retentionInForce"], true);
    assert_eq!(v["object"]["sha256"], sha256_hex(&bytes));
}

#[test]
fn an_existing_key_is_never_overwritten() {
    let Some(srv) = s3::server() else { return };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let packets = series(d, "prod", &[Q1]);
    let rt = rt();
    let c = rt.block_on(srv.client());
    for locked in [true, false] {
        let bucket = s3::bucket_name(if locked { "ow-l" } else { "ow-p" });
        rt.block_on(s3::create_bucket(&c, &bucket, locked));
        let to = format!("s3://{bucket}/p/");
        let o = srv.auditpack(d, &["archive", &packets[0], "--to", &to]);
        assert_eq!(code(&o), 0, "{}", text(&o));
        let o = srv.auditpack(d, &["archive", &packets[0], "--to", &to]);
        assert_eq!(code(&o), 2, "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("already exists; auditpack never overwrites"),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        let versions = rt
            .block_on(c.list_object_versions().bucket(&bucket).send())
            .unwrap();
        assert_eq!(
            versions.versions().len(),
            2,
            "still one version of each object"
        );
    }
    // What `If-None-Match: *` asks of the server, which this one enforces on an
    // unversioned bucket: a second PUT of an existing key is refused (412).
    let bucket = s3::bucket_name("inm");
    rt.block_on(s3::create_bucket(&c, &bucket, false));
    let put = |c: &aws_sdk_s3::Client| {
        c.put_object()
            .bucket(&bucket)
            .key("k")
            .if_none_match("*")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
            .send()
    };
    rt.block_on(put(&c)).unwrap();
    let e = rt.block_on(put(&c)).unwrap_err();
    assert_eq!(
        e.raw_response().map(|r| r.status().as_u16()),
        Some(412),
        "{e:?}"
    );
}

#[test]
fn a_locked_version_cannot_be_deleted_and_an_overwrite_is_a_finding() {
    let Some(srv) = s3::server() else { return };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let packets = series(d, "prod", &[Q1]);
    let id = packet_id(d, &packets[0]);
    let bucket = s3::bucket_name("lock");
    let rt = rt();
    let c = rt.block_on(srv.client());
    rt.block_on(s3::create_bucket(&c, &bucket, true));
    let o = srv.auditpack(
        d,
        &[
            "archive",
            &packets[0],
            "--to",
            &format!("s3://{bucket}/prod"),
            "--retention",
            "6y",
            "--legal-hold",
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let key = format!("prod/{id}.tar.gz");
    let head = rt
        .block_on(c.head_object().bucket(&bucket).key(&key).send())
        .unwrap();
    let version = head.version_id().unwrap().to_string();

    // Retention reads back as set: compliance, about six years from now, legal hold on.
    let r = rt
        .block_on(c.get_object_retention().bucket(&bucket).key(&key).send())
        .unwrap();
    let r = r.retention().unwrap();
    assert_eq!(
        r.mode(),
        Some(&aws_sdk_s3::types::ObjectLockRetentionMode::Compliance)
    );
    let until = r.retain_until_date().unwrap().secs();
    let six_years = chrono::Utc::now()
        .checked_add_months(chrono::Months::new(72))
        .unwrap()
        .timestamp();
    assert!((until - six_years).abs() < 600, "{until} vs {six_years}");
    let hold = rt
        .block_on(c.get_object_legal_hold().bucket(&bucket).key(&key).send())
        .unwrap();
    assert_eq!(
        hold.legal_hold().and_then(|h| h.status()),
        Some(&aws_sdk_s3::types::ObjectLockLegalHoldStatus::On)
    );
    for k in [key.clone(), format!("{key}.json")] {
        let v = rt
            .block_on(c.head_object().bucket(&bucket).key(&k).send())
            .unwrap();
        assert_eq!(
            v.object_lock_mode(),
            Some(&aws_sdk_s3::types::ObjectLockMode::Compliance),
            "{k}"
        );
    }

    // The server refuses to delete the locked version, or to shorten its retention.
    let e = rt
        .block_on(
            c.delete_object()
                .bucket(&bucket)
                .key(&key)
                .version_id(&version)
                .send(),
        )
        .unwrap_err();
    assert_eq!(
        e.raw_response().map(|r| r.status().as_u16()),
        Some(403),
        "{e:?}"
    );

    // Writing the key again behind the tool's back makes a new version; the locked one
    // stays, and verify names the overwrite even though the newest version verifies.
    common::ok(d, &["archive", &packets[0], "--out", "copy.tar.gz"]);
    let bytes = std::fs::read(d.join("copy.tar.gz")).unwrap();
    rt.block_on(
        c.put_object()
            .bucket(&bucket)
            .key(&key)
            .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
            .send(),
    )
    .unwrap();
    let still = rt
        .block_on(
            c.head_object()
                .bucket(&bucket)
                .key(&key)
                .version_id(&version)
                .send(),
        )
        .unwrap();
    assert_eq!(still.version_id(), Some(version.as_str()));
    let o = srv.auditpack(
        d,
        &[
            "verify",
            &format!("s3://{bucket}/{key}"),
            "--key",
            "keys/signer.pub.pem",
        ],
    );
    assert_eq!(code(&o), 1, "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("NOT VERIFIED"), "{out}");
    assert!(out.contains("FAIL overwritten"), "{out}");
    assert!(out.contains("2 versions of the key"), "{out}");
}

#[test]
fn retention_needs_a_bucket_with_object_lock() {
    let Some(srv) = s3::server() else { return };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let packets = series(d, "prod", &[Q1]);
    let bucket = s3::bucket_name("nolock");
    let rt = rt();
    let c = rt.block_on(srv.client());
    rt.block_on(s3::create_bucket(&c, &bucket, false));
    for flag in [&["--retention", "6y"][..], &["--legal-hold"][..]] {
        let mut args = vec!["archive", &packets[0], "--to"];
        let to = format!("s3://{bucket}/p/");
        args.push(&to);
        args.extend_from_slice(flag);
        let o = srv.auditpack(d, &args);
        assert_eq!(code(&o), 2, "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("s3://{bucket}: the bucket has no Object Lock")),
            "{err}"
        );
    }
    let listed = rt
        .block_on(c.list_objects_v2().bucket(&bucket).send())
        .unwrap();
    assert!(listed.contents().is_empty(), "nothing was uploaded");
}

#[test]
fn a_chain_verifies_from_the_bucket_and_names_a_tampered_version_and_a_missing_quarter() {
    let Some(srv) = s3::server() else { return };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let packets = series(d, "prod", &[Q1, Q2, Q3]);
    let ids: Vec<String> = packets.iter().map(|p| packet_id(d, p)).collect();
    let bucket = s3::bucket_name("chain");
    let rt = rt();
    let c = rt.block_on(srv.client());
    rt.block_on(s3::create_bucket(&c, &bucket, true));
    for p in &packets {
        let o = srv.auditpack(
            d,
            &[
                "archive",
                p,
                "--to",
                &format!("s3://{bucket}/full/"),
                "--retention",
                "30d",
            ],
        );
        assert_eq!(code(&o), 0, "{}", text(&o));
    }
    for p in [&packets[0], &packets[2]] {
        let o = srv.auditpack(d, &["archive", p, "--to", &format!("s3://{bucket}/gap/")]);
        assert_eq!(code(&o), 0, "{}", text(&o));
    }
    let verify_chain = |prefix: &str| {
        srv.auditpack(
            d,
            &[
                "verify",
                "--chain",
                &format!("s3://{bucket}/{prefix}"),
                "--key",
                "keys/signer.pub.pem",
            ],
        )
    };
    let o = verify_chain("full/");
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(
        text(&o).contains("chain complete: 3 packets"),
        "{}",
        text(&o)
    );

    // A missing quarter is named.
    let o = verify_chain("gap/");
    assert_eq!(code(&o), 1, "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("period-gap"), "{out}");
    assert!(out.contains(&ids[2]), "{out}");

    // A tampered newer version of Q2: one byte of the archive changed, written as a new
    // version of the same key. The chain names the object and the overwrite.
    let key = format!("full/{}.tar.gz", ids[1]);
    let got = rt
        .block_on(c.get_object().bucket(&bucket).key(&key).send())
        .unwrap();
    let mut bytes = rt
        .block_on(got.body.collect())
        .unwrap()
        .into_bytes()
        .to_vec();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    rt.block_on(
        c.put_object()
            .bucket(&bucket)
            .key(&key)
            .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
            .send(),
    )
    .unwrap();
    let o = verify_chain("full/");
    assert_eq!(code(&o), 1, "{}", text(&o));
    let out = text(&o);
    assert!(out.contains(&format!("s3://{bucket}/{key}")), "{out}");
    assert!(out.contains("packet-not-verified"), "{out}");
    assert!(
        out.contains(&format!("FAIL overwritten s3://{bucket}/{key}")),
        "{out}"
    );
    // The single object says the same; the others still verify.
    let o = srv.auditpack(
        d,
        &[
            "verify",
            &format!("s3://{bucket}/{key}"),
            "--key",
            "keys/signer.pub.pem",
        ],
    );
    assert_eq!(code(&o), 1, "{}", text(&o));
    let first = format!("s3://{bucket}/full/{}.tar.gz", ids[0]);
    let o = srv.auditpack(d, &["verify", &first, "--key", "keys/signer.pub.pem"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
}

#[test]
fn list_groups_the_clusters_of_a_prefix_and_verifies_them() {
    let Some(srv) = s3::server() else { return };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let prod = series(d, "prod", &[Q1, Q2]);
    let staging = series(d, "staging", &[Q1]);
    let bucket = s3::bucket_name("list");
    let rt = rt();
    let c = rt.block_on(srv.client());
    rt.block_on(s3::create_bucket(&c, &bucket, true));
    for (p, cluster) in [
        (&prod[0], "prod"),
        (&prod[1], "prod"),
        (&staging[0], "staging"),
    ] {
        let o = srv.auditpack(
            d,
            &[
                "archive",
                p,
                "--to",
                &format!("s3://{bucket}/fleet/{cluster}/"),
                "--retention",
                "1y",
            ],
        );
        assert_eq!(code(&o), 0, "{}", text(&o));
    }
    let o = srv.auditpack(d, &["list", &format!("s3://{bucket}/fleet/")]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let prod_at = out.find("cluster prod (2 packets)").expect(&out);
    let staging_at = out.find("cluster staging (1 packet)").expect(&out);
    assert!(prod_at < staging_at, "{out}");
    assert!(out.contains("2026Q1") && out.contains("2026Q2"), "{out}");
    assert!(
        out.contains("(compliance)") && out.contains("not checked"),
        "{out}"
    );

    let o = srv.auditpack(
        d,
        &[
            "list",
            &format!("s3://{bucket}/fleet/"),
            "--verify",
            "--key",
            "keys/signer.pub.pem",
            "-o",
            "json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["clusters"][0]["cluster"], "prod");
    assert_eq!(
        v["clusters"][0]["packets"][1]["period"]["start"],
        "2026-04-01T00:00:00Z"
    );
    assert_eq!(v["clusters"][1]["packets"][0]["verified"], true);
    assert!(
        v["clusters"][1]["packets"][0]["retainUntil"].is_string(),
        "{v}"
    );
    let o = srv.auditpack(d, &["list", &format!("s3://{bucket}/fleet/"), "-o", "yaml"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("- cluster: staging"));

    // A folder lists the same way; a packet signed by another key does not verify.
    common::ok(d, &["keygen", "--out", "other", "--name", "other"]);
    let o = common::auditpack(
        d,
        &[
            "list",
            "series-prod",
            "--verify",
            "--key",
            "other/other.pub.pem",
        ],
    );
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("NOT VERIFIED"), "{}", text(&o));
    let o = common::auditpack(
        d,
        &[
            "list",
            "series-prod",
            "--verify",
            "--key",
            "keys/signer.pub.pem",
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(
        text(&o).contains("cluster prod (2 packets)"),
        "{}",
        text(&o)
    );
}

#[test]
fn wrong_credentials_and_a_missing_bucket_exit_2_naming_the_bucket() {
    let Some(srv) = s3::server() else { return };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let packets = series(d, "prod", &[Q1]);
    let bucket = s3::bucket_name("cred");
    let rt = rt();
    let c = rt.block_on(srv.client());
    rt.block_on(s3::create_bucket(&c, &bucket, true));
    let to = format!("s3://{bucket}/p/");
    let wrong = [("AWS_SECRET_ACCESS_KEY", "not-the-secret")];
    // (arguments, extra environment, the bucket named, the reason)
    type Case<'a> = (Vec<&'a str>, &'a [(&'a str, &'a str)], String, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec!["archive", &packets[0], "--to", &to],
            &wrong,
            bucket.clone(),
            "access denied",
        ),
        (vec!["list", &to], &wrong, bucket.clone(), "access denied"),
        (
            vec!["verify", "--chain", &to, "--key", "keys/signer.pub.pem"],
            &wrong,
            bucket.clone(),
            "access denied",
        ),
        (
            vec![
                "archive",
                &packets[0],
                "--to",
                "s3://no-such-bucket-here/p/",
            ],
            &[],
            "no-such-bucket-here".into(),
            "no such bucket",
        ),
        (
            vec![
                "verify",
                "s3://no-such-bucket-here/p/x.tar.gz",
                "--key",
                "keys/signer.pub.pem",
            ],
            &[],
            "no-such-bucket-here".into(),
            "no such bucket",
        ),
    ];
    for (args, env, name, why) in cases {
        let o = srv.auditpack_env(d, &args, env);
        assert_eq!(code(&o), 2, "{args:?}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(&format!("s3://{name}")), "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
}

#[test]
fn a_server_that_dies_mid_upload_leaves_no_object_and_a_clear_error() {
    let Some(srv) = s3::server() else { return };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let packets = series(d, "prod", &[Q1]);
    // 96 MiB that gzip cannot shrink: a multipart upload of six parts.
    let mut noise = vec![0u8; 96 << 20];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for chunk in noise.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    std::fs::write(d.join(&packets[0]).join("evidence/noise.bin"), noise).unwrap();
    common::ok(
        d,
        &[
            "seal",
            &packets[0],
            "--key",
            "keys/signer.key.pem",
            "--force",
            "--now",
            "2026-04-02T00:00:00Z",
        ],
    );
    let id = packet_id(d, &packets[0]);
    let bucket = s3::bucket_name("die");
    let rt = rt();
    let c = rt.block_on(srv.client());
    rt.block_on(s3::create_bucket(&c, &bucket, true));

    // A gateway of its own, killed (SIGKILL) once 40 MiB of the upload reached it.
    let name = format!("rgw-die-{}", std::process::id());
    let (endpoint, pid) = srv.extra_gateway(&name);
    let relay = s3::tripwire(endpoint, 40 << 20, move || {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    });
    let o = srv.auditpack_env(
        d,
        &[
            "archive",
            &packets[0],
            "--to",
            &format!("s3://{bucket}/p/"),
            "--retention",
            "1d",
        ],
        &[("AWS_ENDPOINT_URL", &relay)],
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("s3://{bucket}: cannot upload part")),
        "{err}"
    );
    assert!(err.contains(&format!("{id}.tar.gz")), "{err}");
    assert!(err.contains("no object was created"), "{err}");
    // Seen through the gateway that lives: no object, no version, of either key.
    let v = rt
        .block_on(c.list_object_versions().bucket(&bucket).send())
        .unwrap();
    assert!(v.versions().is_empty(), "{:?}", v.versions());
    assert!(v.delete_markers().is_empty());
    let o = srv.auditpack(d, &["list", &format!("s3://{bucket}/")]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("no packets"), "{}", text(&o));
}
