//! Property tests of the seal library: random clean packets always verify (folder and
//! archive); random or mutated manifests, archives and key files never panic the parsers
//! and never verify.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;

use auditpack::internals::{Limits, manifest, trust};
use auditpack::{SealOptions, TrustStore, verify_archive_reader};
use ed25519_dalek::SigningKey;
use proptest::prelude::*;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

fn trust() -> TrustStore {
    let mut t = TrustStore::new();
    t.add(key().verifying_key(), "test");
    t
}

fn opts() -> SealOptions {
    SealOptions {
        force: false,
        now: chrono::DateTime::from_timestamp(1_751_371_200, 0).unwrap(),
    }
}

/// A file name: unicode, spaces, dots, parentheses and `=`, but never `.`/`..`, a control
/// character, or the `) = ` sequence the manifest line format cannot carry (seal refuses it;
/// `seal_refuses_unsafe_names` in tests/seal.rs covers that refusal).
fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _.,é漢ü()=+-]{1,12}".prop_filter("a name seal can list", |n| {
        n != "." && n != ".." && !n.contains(") = ")
    })
}

/// Content: mostly small (often empty), sometimes larger than the hash buffer.
fn content() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => Just(Vec::new()),
        1 => (1usize..4, any::<u8>()).prop_map(|(n, b)| vec![b; n * auditpack::internals::HASH_BUFFER + 7]),
    ]
}

fn tree() -> impl Strategy<Value = Vec<(Vec<String>, Vec<u8>)>> {
    proptest::collection::vec((proptest::collection::vec(name(), 1..7), content()), 1..12)
}

/// Writes the tree, skipping entries that collide with an earlier file or folder.
fn write_tree(root: &Path, tree: &[(Vec<String>, Vec<u8>)]) -> usize {
    let mut written = 0;
    for (parts, data) in tree {
        if parts.len() == 1
            && (auditpack::SEAL_FILES.contains(&parts[0].as_str()) || parts[0] == "packet.json")
        {
            continue;
        }
        let path = parts.iter().fold(root.to_path_buf(), |p, c| p.join(c));
        let parent = path.parent().unwrap();
        if fs::create_dir_all(parent).is_err() || path.exists() {
            continue;
        }
        fs::write(&path, data).unwrap();
        written += 1;
    }
    written
}

/// Path → bytes of every regular file in an archive, read independently with the tar crate.
fn archive_files(bytes: &[u8]) -> Option<BTreeMap<String, Vec<u8>>> {
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut out = BTreeMap::new();
    for e in a.entries().ok()? {
        let mut e = e.ok()?;
        if e.header().entry_type() == tar::EntryType::Regular {
            let mut data = Vec::new();
            e.read_to_end(&mut data).ok()?;
            out.insert(String::from_utf8(e.path_bytes().into_owned()).ok()?, data);
        }
    }
    Some(out)
}

/// One sealed, archived packet shared by the mutation properties (built once).
fn sealed_archive() -> &'static [u8] {
    static ARCHIVE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    ARCHIVE.get_or_init(|| sealed_fixture().1)
}

fn sealed_fixture() -> (tempfile::TempDir, Vec<u8>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    fs::create_dir_all(dir.join("evidence/deep/er")).unwrap();
    fs::write(dir.join("index.html"), "<p>packet</p>").unwrap();
    fs::write(dir.join("evidence/deep/er/x.yaml"), "a: 1\n").unwrap();
    fs::write(dir.join("evidence/empty"), "").unwrap();
    fs::write(
        dir.join("packet.json"),
        "{\"formatVersion\":1,\"id\":\"p1\"}",
    )
    .unwrap();
    auditpack::seal_dir(&dir, &key(), &opts()).unwrap();
    let out = tmp.path().join("p.tar.gz");
    auditpack::write_archive(&dir, &out).unwrap();
    let bytes = fs::read(&out).unwrap();
    (tmp, bytes)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_clean_packets_always_verify_as_folder_and_archive(tree in tree()) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        fs::create_dir(&dir).unwrap();
        let written = write_tree(&dir, &tree);
        let report = auditpack::seal_dir(&dir, &key(), &opts()).unwrap();
        prop_assert_eq!(report.files, written + 1); // + packet.json
        let v = auditpack::verify_path(&dir, &trust()).unwrap();
        prop_assert!(v.is_verified(), "{:?}", v.failures);
        prop_assert_eq!(v.files_checked, written + 1);
        let out = tmp.path().join("p.tar.gz");
        auditpack::write_archive(&dir, &out).unwrap();
        let v = auditpack::verify_path(&out, &trust()).unwrap();
        prop_assert!(v.is_verified(), "{:?}", v.failures);
        prop_assert_eq!(v.files_checked, written + 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_manifests_never_verify(
        pos in any::<prop::sample::Index>(),
        op in 0u8..3,
        byte in any::<u8>(),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("a.txt"), "a").unwrap();
        fs::write(dir.join("b.txt"), "b").unwrap();
        auditpack::seal_dir(&dir, &key(), &opts()).unwrap();
        let mut sums = fs::read(dir.join("SHA256SUMS")).unwrap();
        let i = pos.index(sums.len());
        match op {
            0 => sums[i] = if sums[i] == byte { byte.wrapping_add(1) } else { byte },
            1 => sums.insert(i, byte),
            _ => { sums.remove(i); }
        }
        manifest::parse(&sums);
        fs::write(dir.join("SHA256SUMS"), &sums).unwrap();
        let v = auditpack::verify_path(&dir, &trust()).unwrap();
        prop_assert!(!v.is_verified());
        prop_assert!(!v.failures.is_empty());
    }

    #[test]
    fn mutated_archives_never_panic_and_verify_only_with_intact_content(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..4),
    ) {
        let good = sealed_archive();
        let original = archive_files(good).unwrap();
        let mut bytes = good.to_vec();
        for (pos, byte, op) in edits {
            if bytes.is_empty() { break; }
            let i = pos.index(bytes.len());
            match op {
                0 => bytes[i] ^= byte | 1,
                1 => bytes.insert(i, byte),
                2 => { bytes.remove(i); }
                _ => bytes.truncate(i),
            }
        }
        let v = verify_archive_reader(bytes.as_slice(), Path::new("m.tar.gz"), &trust(), &Limits::default()).unwrap();
        if v.is_verified() {
            // Only a change that left every file's bytes intact (e.g. in gzip header
            // fields or tar padding) may still verify.
            prop_assert_eq!(archive_files(&bytes), Some(original));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_or_verify(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let parsed = manifest::parse(&bytes);
        if parsed.failures.is_empty() {
            // A manifest without failures is exactly its canonical rendering.
            prop_assert_eq!(manifest::render(&parsed.entries), bytes.clone());
        }
        let v = verify_archive_reader(bytes.as_slice(), Path::new("r.tar.gz"), &trust(), &Limits::default()).unwrap();
        prop_assert!(!v.is_verified());
        let text = String::from_utf8_lossy(&bytes);
        let _ = trust::parse_trusted_keys(&text, "random");
        let _ = auditpack::keys::parse_public_key(&text, "random");
    }

    #[test]
    fn random_manifest_like_lines_parse_without_panic(
        lines in proptest::collection::vec("SHA256 \\([^\\n]{0,20}\\) = [0-9a-fA-F]{60,66}", 0..8),
    ) {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let parsed = manifest::parse(text.as_bytes());
        for e in &parsed.entries {
            prop_assert!(manifest::path_problem(&e.path).is_none());
        }
        if parsed.failures.is_empty() {
            prop_assert_eq!(manifest::render(&parsed.entries), text.into_bytes());
        }
    }
}
