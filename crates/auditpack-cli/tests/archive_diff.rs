//! Differential test of the archive reader against the extractors people actually use.
//!
//! The rule: whenever `verify` says an archive is verified, GNU tar, Python's `tarfile` and
//! bsdtar (libarchive) extract exactly the files listed in `SHA256SUMS` (plus the manifest
//! and its signatures), with the listed bytes, and nothing else. It is checked on
//! hand-made attacks (each must be refused by its named rule, and for the two reported
//! ones GNU tar and Python are shown to extract the attacker's file) and on random
//! structural mutations of a sealed archive (proptest): header fields, sizes, types, PAX
//! and GNU long-name entries, inserted, duplicated, removed and swapped entries, data after
//! the end marker, second gzip members, trailing bytes, recompression, raw byte flips.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use auditpack::internals::{Limits, manifest};
use auditpack::{SealOptions, TrustStore};
use ed25519_dalek::SigningKey;
use proptest::prelude::*;

#[path = "common/tarball.rs"]
mod tarball;

const SEALED_AT: &str = "2025-07-01T12:00:00Z";

fn key() -> SigningKey {
    SigningKey::from_bytes(&[21; 32])
}

fn trust() -> TrustStore {
    let mut t = TrustStore::new();
    t.add(key().verifying_key(), "test");
    t
}

fn mtime() -> u64 {
    chrono::DateTime::parse_from_rfc3339(SEALED_AT)
        .unwrap()
        .timestamp() as u64
}

/// The sealed packet every case starts from: nested folders, a path longer than the
/// 100-byte name field (GNU long-name entries), names of 99, 100 and 101 bytes, unicode,
/// empty and block-sized files.
struct Fixture {
    _tmp: tempfile::TempDir,
    /// The archive `auditpack archive` wrote.
    archive: Vec<u8>,
    /// Every regular file of the sealed folder (listed files and seal files) and its bytes.
    files: BTreeMap<String, Vec<u8>>,
    /// The paths SHA256SUMS lists.
    listed: BTreeSet<String>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        let long_dir = format!("evidence/{}", "d".repeat(120));
        let files: Vec<(String, Vec<u8>)> = vec![
            (
                "index.html".into(),
                b"<html><body>packet</body></html>\n".to_vec(),
            ),
            ("packet.md".into(), b"# Packet\n".to_vec()),
            (
                "oscal/assessment-results.json".into(),
                b"{\"x\":1}\n".to_vec(),
            ),
            ("evidence/empty.yaml".into(), Vec::new()),
            ("evidence/ünïcode name.json".into(), b"{}\n".to_vec()),
            ("evidence/block.bin".into(), vec![7u8; 512]),
            ("evidence/block1.bin".into(), vec![9u8; 1025]),
            (
                format!("{long_dir}/big.bin"),
                (0..3000u32).map(|i| i as u8).collect(),
            ),
            ("n".repeat(99), b"99".to_vec()),
            ("m".repeat(100), b"100".to_vec()),
            ("o".repeat(101), b"101".to_vec()),
        ];
        for (path, data) in &files {
            let p = dir.join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, data).unwrap();
        }
        fs::write(
            dir.join("packet.json"),
            "{\"formatVersion\":1,\"id\":\"diff\"}\n",
        )
        .unwrap();
        let now = chrono::DateTime::parse_from_rfc3339(SEALED_AT)
            .unwrap()
            .with_timezone(&chrono::Utc);
        auditpack::seal_dir(&dir, &key(), &SealOptions { force: false, now }).unwrap();
        let out = tmp.path().join("p.tar.gz");
        auditpack::write_archive(&dir, &out).unwrap();
        let manifest_bytes = fs::read(dir.join("SHA256SUMS")).unwrap();
        let listed = manifest::parse(&manifest_bytes)
            .entries
            .into_iter()
            .map(|e| e.path)
            .collect();
        Fixture {
            archive: fs::read(&out).unwrap(),
            files: tree(&dir).unwrap().files,
            listed,
            _tmp: tmp,
        }
    })
}

/// What an extraction left on disk.
#[derive(Debug, PartialEq, Eq)]
struct Tree {
    files: BTreeMap<String, Vec<u8>>,
    dirs: BTreeSet<String>,
    /// Symlinks, devices, FIFOs …
    other: BTreeSet<String>,
}

fn tree(root: &Path) -> std::io::Result<Tree> {
    fn walk(root: &Path, rel: &str, t: &mut Tree) -> std::io::Result<()> {
        for e in fs::read_dir(root.join(rel))? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let ty = e.file_type()?;
            if ty.is_dir() {
                t.dirs.insert(path.clone());
                walk(root, &path, t)?;
            } else if ty.is_file() {
                t.files.insert(path, fs::read(e.path())?);
            } else {
                t.other.insert(path);
            }
        }
        Ok(())
    }
    let mut t = Tree {
        files: BTreeMap::new(),
        dirs: BTreeSet::new(),
        other: BTreeSet::new(),
    };
    walk(root, "", &mut t)?;
    Ok(t)
}

#[derive(Debug, Clone, Copy)]
enum Extractor {
    GnuTar,
    Bsdtar,
    PythonTarfile,
}

const EXTRACTORS: [Extractor; 3] = [
    Extractor::GnuTar,
    Extractor::Bsdtar,
    Extractor::PythonTarfile,
];

/// Extracts `archive` with one tool into a fresh folder (two levels below a scratch root,
/// so an escaping path would still land in scratch space); `Err` when the tool fails.
fn extract(tool: Extractor, archive: &Path) -> Result<Tree, String> {
    let scratch = tempfile::tempdir().unwrap();
    let dest = scratch.path().join("a/b/dest");
    fs::create_dir_all(&dest).unwrap();
    let mut cmd = match tool {
        Extractor::GnuTar => {
            let mut c = Command::new("tar");
            c.arg("-xzf").arg(archive).arg("-C").arg(&dest);
            c
        }
        Extractor::Bsdtar => {
            let mut c = Command::new("bsdtar");
            c.arg("-xf").arg(archive).arg("-C").arg(&dest);
            c
        }
        Extractor::PythonTarfile => {
            let mut c = Command::new("python3");
            c.args([
                "-c",
                "import sys, tarfile\nwith tarfile.open(sys.argv[1]) as t: t.extractall(sys.argv[2])",
            ])
            .arg(archive)
            .arg(&dest);
            c
        }
    };
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("{tool:?} must be installed (scripts/setup-test-deps.sh): {e}"));
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    tree(&dest).map_err(|e| e.to_string())
}

/// What every extractor must produce for a verified archive: the listed files with their
/// bytes, the manifest and its signatures, their parent folders, nothing else.
fn expected() -> Tree {
    let f = fixture();
    let mut dirs = BTreeSet::new();
    for p in &f.listed {
        let parts: Vec<&str> = p.split('/').collect();
        for end in 1..parts.len() {
            dirs.insert(parts[..end].join("/"));
        }
    }
    Tree {
        files: f.files.clone(),
        dirs,
        other: BTreeSet::new(),
    }
}

static VERIFIED: AtomicUsize = AtomicUsize::new(0);

/// The rule itself: if auditpack verifies `bytes`, all three extractors agree with the
/// manifest. Returns the report.
fn check_rule(bytes: &[u8]) -> auditpack::Report {
    let report = auditpack::verify_archive_reader(
        bytes,
        Path::new("m.tar.gz"),
        &trust(),
        &Limits::default(),
    )
    .unwrap();
    if report.is_verified() {
        VERIFIED.fetch_add(1, Ordering::Relaxed);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.tar.gz");
        fs::write(&path, bytes).unwrap();
        let want = expected();
        for tool in EXTRACTORS {
            let got = extract(tool, &path).unwrap_or_else(|e| {
                panic!("{tool:?} failed on an archive auditpack verified: {e}")
            });
            // The seal files other than the manifest and the raw signature may differ in
            // form and still verify; every listed file must match byte for byte.
            assert_eq!(
                got.dirs, want.dirs,
                "{tool:?}: folders differ on a verified archive"
            );
            assert_eq!(
                got.other, want.other,
                "{tool:?}: links or devices on a verified archive"
            );
            let names: BTreeSet<&String> = got.files.keys().collect();
            let want_names: BTreeSet<&String> = want.files.keys().collect();
            assert_eq!(
                names, want_names,
                "{tool:?}: files differ on a verified archive"
            );
            for (path, data) in &got.files {
                if path != "SHA256SUMS.sshsig" && path != "SHA256SUMS.intoto.json" {
                    assert!(
                        want.files[path] == *data,
                        "{tool:?}: {path} has other bytes than verified"
                    );
                }
            }
        }
    }
    report
}

// ---------------------------------------------------------------- tar surgery

/// One entry of the canonical tar stream: its bytes (optional long-name entry, header,
/// padded data) and where its main header starts within them.
#[derive(Debug, Clone)]
struct Entry {
    bytes: Vec<u8>,
    header_at: usize,
}

impl Entry {
    fn header_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[self.header_at..self.header_at + 512]
    }
}

fn entries(tar: &[u8]) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut off = 0;
    let mut start = 0;
    while off + 512 <= tar.len() && tar[off..off + 512].iter().any(|&b| b != 0) {
        let b = &tar[off..off + 512];
        let size = usize::from_str_radix(
            std::str::from_utf8(&b[124..135])
                .unwrap()
                .trim_matches('\0'),
            8,
        )
        .unwrap();
        let next = off + 512 + size.div_ceil(512) * 512;
        if b[156] == b'L' {
            off = next;
            continue;
        }
        out.push(Entry {
            bytes: tar[start..next].to_vec(),
            header_at: off - start,
        });
        off = next;
        start = next;
    }
    out
}

fn join(entries: &[Entry], tail: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = entries.iter().flat_map(|e| e.bytes.clone()).collect();
    out.extend_from_slice(tail);
    out
}

/// Recomputes a header block's checksum the way the tar crate writes it.
fn fix_checksum(block: &mut [u8]) {
    let mut h = tar::Header::from_byte_slice(block).clone();
    h.set_cksum();
    block.copy_from_slice(h.as_bytes());
}

/// A whole entry (long-name entry when the name needs one) with any name, type and data.
fn raw_entry(name: &[u8], kind: u8, data: &[u8]) -> Entry {
    let mut bytes = Vec::new();
    let mut short = name;
    if name.len() > 100 {
        let mut long = name.to_vec();
        long.push(0);
        let mut h = tarball::header(b"././@LongLink", b'L', long.len() as u64, 0);
        h.set_cksum();
        bytes.extend(tarball::entry(&h, &long));
        short = &name[..100];
    }
    let header_at = bytes.len();
    let h = tarball::header(short, kind, data.len() as u64, mtime());
    bytes.extend(tarball::entry(&h, data));
    Entry { bytes, header_at }
}

fn octal(field: &mut [u8], value: u64) {
    let s = format!("{value:0width$o}\0", width = field.len() - 1);
    field.copy_from_slice(&s.as_bytes()[s.len() - field.len()..]);
}

fn set_size(e: &mut Entry, size: u64) {
    let h = &mut e.bytes[e.header_at..e.header_at + 512];
    octal(&mut h[124..136], size);
    fix_checksum(h);
}

fn attacker_index() -> &'static [u8] {
    b"<html><body>tampered</body></html>\n"
}

// ---------------------------------------------------------------- hand-made attacks

/// Each attack: name, archive bytes, the rule it must be refused by.
fn attacks() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let f = fixture();
    let tar = tarball::gunzip(&f.archive);
    let body = tarball::without_end(&tar);
    let es = entries(&tar);
    let idx = |name: &str| {
        es.iter()
            .position(|e| tarball::headers(&e.bytes[e.header_at..])[0].1 == name)
            .unwrap()
    };
    let evil = raw_entry(b"index.html", b'0', attacker_index());
    let extra = raw_entry(b"extra.html", b'0', b"x");
    let mut out = Vec::new();

    // 1. The reported attack: end marker stripped, a second gzip member with a new
    //    index.html and an extra file.
    let mut second = evil.bytes.clone();
    second.extend_from_slice(&extra.bytes);
    second.extend_from_slice(&tarball::END);
    let mut a = tarball::gzip(&body);
    a.extend(tarball::gzip(&second));
    out.push((
        "second gzip member after the stripped end",
        a,
        "multiple-gzip-members",
    ));
    // 1b. The same with the first member complete.
    let mut a = f.archive.clone();
    a.extend(tarball::gzip(&second));
    out.push((
        "second gzip member after a complete archive",
        a,
        "multiple-gzip-members",
    ));
    // 1c. Trailing bytes after the gzip stream.
    let mut a = f.archive.clone();
    a.extend_from_slice(b"garbage after the stream");
    out.push(("trailing bytes after the gzip stream", a, "trailing-data"));

    // 2. The reported attack: a directory's size set to the length of an entry that
    //    follows it, holding a tampered index.html (the tar crate skipped it as the
    //    directory's data; GNU tar and Python extract it).
    let oscal = idx("oscal/");
    let mut v = es.clone();
    let mut dir = v[oscal].clone();
    set_size(&mut dir, evil.bytes.len() as u64);
    v[oscal] = dir;
    v.insert(oscal + 1, evil.clone());
    let mut t = join(&v, &tarball::END);
    t.truncate(t.len());
    out.push((
        "directory entry with a size",
        tarball::gzip(&t),
        "directory-with-data",
    ));

    // 3. A PAX header overriding the next entry's path.
    let mut v = es.clone();
    let rec = b"19 path=index.html\n";
    v.push(raw_entry(b"././@PaxHeader", b'x', rec));
    v.push(raw_entry(b"zz-innocent", b'0', attacker_index()));
    out.push((
        "pax path override",
        tarball::gzip(&join(&v, &tarball::END)),
        "special-file",
    ));
    let mut v = es.clone();
    v.insert(0, raw_entry(b"././@PaxHeader", b'g', rec));
    out.push((
        "pax global header first",
        tarball::gzip(&join(&v, &tarball::END)),
        "special-file",
    ));

    // 4. A GNU long name overriding a short header name.
    let mut v = es.clone();
    let mut long = Vec::new();
    let mut name = b"index.html".to_vec();
    name.push(0);
    let mut h = tarball::header(b"././@LongLink", b'L', name.len() as u64, 0);
    h.set_cksum();
    long.extend(tarball::entry(&h, &name));
    let inner = raw_entry(b"zz-innocent", b'0', attacker_index());
    long.extend_from_slice(&inner.bytes);
    v.push(Entry {
        header_at: 1024,
        bytes: long,
    });
    out.push((
        "gnu long name override",
        tarball::gzip(&join(&v, &tarball::END)),
        "non-canonical-archive",
    ));
    // 4b. A GNU long name of 1 MB (made verify grow to 6.3 GB): a small cap, refused.
    let mut v = es.clone();
    let huge = vec![b'a'; 1 << 20];
    v.push(raw_entry(&huge, b'0', b"x"));
    out.push((
        "1 MB gnu long name",
        tarball::gzip(&join(&v, &tarball::END)),
        "size-limit",
    ));

    // 5. Links and duplicates.
    let mut v = es.clone();
    let mut link = raw_entry(b"index.html", b'1', b"");
    link.bytes[link.header_at + 157..link.header_at + 166].copy_from_slice(b"packet.md");
    fix_checksum(&mut link.bytes[link.header_at..link.header_at + 512]);
    v.push(link);
    out.push((
        "hard link over index.html",
        tarball::gzip(&join(&v, &tarball::END)),
        "symlink",
    ));
    let mut v = es.clone();
    v.push(evil.clone());
    out.push((
        "duplicate index.html",
        tarball::gzip(&join(&v, &tarball::END)),
        "duplicate-entry",
    ));

    // 6. After the end marker, and zero blocks in between.
    let mut t = tar.clone();
    t.extend_from_slice(&evil.bytes);
    t.extend_from_slice(&tarball::END);
    out.push((
        "entries after the end marker",
        tarball::gzip(&t),
        "trailing-data",
    ));
    let mut t = body.clone();
    t.extend_from_slice(&[0u8; 512]);
    t.extend_from_slice(&evil.bytes);
    t.extend_from_slice(&tarball::END);
    out.push((
        "a zero block, then more entries",
        tarball::gzip(&t),
        "trailing-data",
    ));
    let mut t = body.clone();
    t.extend_from_slice(&[0u8; 512]);
    out.push((
        "a single zero block at the end",
        tarball::gzip(&t),
        "non-canonical-archive",
    ));
    let mut t = tar.clone();
    t.extend_from_slice(&[0u8; 8192]);
    out.push((
        "GNU tar style record padding",
        tarball::gzip(&t),
        "trailing-data",
    ));

    // 7. Header fields a reader interprets.
    let pick = idx("index.html");
    for (what, at, bytes) in [
        ("setuid mode", 100usize, &b"0004755\0"[..]),
        ("owner name", 265, &b"attacker\0"[..]),
        ("owner id", 108, &b"0001750\0"[..]),
        ("ustar magic with a prefix", 257, &b"ustar\x0000"[..]),
        ("link name on a file", 157, &b"packet.md"[..]),
        ("sparse flag", 482, &b"\x01"[..]),
    ] {
        let mut v = es.clone();
        let h = v[pick].header_mut();
        h[at..at + bytes.len()].copy_from_slice(bytes);
        fix_checksum(h);
        out.push((
            what,
            tarball::gzip(&join(&v, &tarball::END)),
            "non-canonical-archive",
        ));
    }
    // Base-256 size for a small file.
    let mut v = es.clone();
    let h = v[pick].header_mut();
    let size = u64::from_str_radix(std::str::from_utf8(&h[124..135]).unwrap(), 8).unwrap();
    h[124..128].copy_from_slice(&[0x80, 0, 0, 0]);
    h[128..136].copy_from_slice(&size.to_be_bytes());
    fix_checksum(h);
    out.push((
        "base-256 size",
        tarball::gzip(&join(&v, &tarball::END)),
        "non-canonical-archive",
    ));
    // Old-style regular file type (NUL) and a wrong checksum.
    let mut v = es.clone();
    let h = v[pick].header_mut();
    h[156] = 0;
    fix_checksum(h);
    out.push((
        "typeflag NUL",
        tarball::gzip(&join(&v, &tarball::END)),
        "non-canonical-archive",
    ));
    let mut v = es.clone();
    v[pick].header_mut()[148] ^= 1;
    out.push((
        "bad checksum",
        tarball::gzip(&join(&v, &tarball::END)),
        "non-canonical-archive",
    ));
    // Padding that is not zeros, gzip header with a file name, sparse entry type.
    let mut v = es.clone();
    let last = v[pick].bytes.len() - 1;
    v[pick].bytes[last] = b'!';
    out.push((
        "non-zero padding",
        tarball::gzip(&join(&v, &tarball::END)),
        "non-canonical-archive",
    ));
    let mut gz = flate2::GzBuilder::new()
        .filename("p.tar")
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    out.push((
        "gzip header with a file name",
        gz.finish().unwrap(),
        "non-canonical-archive",
    ));
    let mut v = es.clone();
    v.push(raw_entry(b"sparse", b'S', b""));
    out.push((
        "gnu sparse entry",
        tarball::gzip(&join(&v, &tarball::END)),
        "special-file",
    ));
    // Entries out of the writer's order.
    let mut v = es.clone();
    let sums = idx("SHA256SUMS");
    let e = v.remove(sums);
    v.push(e);
    out.push((
        "manifest not first",
        tarball::gzip(&join(&v, &tarball::END)),
        "missing-manifest",
    ));
    let mut v = es.clone();
    v.swap(pick, pick + 1);
    out.push((
        "two entries swapped",
        tarball::gzip(&join(&v, &tarball::END)),
        "archive-layout",
    ));
    out
}

/// The attacks above are refused by their named rule (through the real binary), and the
/// rule holds on each.
#[test]
fn adversarial_archives_are_refused_by_rule() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("k.pub.pem"),
        auditpack::keys::spki_pem(&key().verifying_key()).unwrap(),
    )
    .unwrap();
    // The clean archive verifies, and all three extractors agree with it.
    assert!(check_rule(&fixture().archive).is_verified());
    for (name, bytes, rule) in attacks() {
        let path = tmp.path().join("a.tar.gz");
        fs::write(&path, &bytes).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
            .args([
                "verify",
                "a.tar.gz",
                "--key",
                "k.pub.pem",
                "--output",
                "json",
            ])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(1),
            "{name}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let rules: Vec<&str> = v["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert!(rules.contains(&rule), "{name}: expected {rule}, got {v}");
        assert!(!check_rule(&bytes).is_verified(), "{name}");
    }
}

/// The two reported attacks are real: GNU tar and Python extract the attacker's index.html
/// from them (which is why verify must refuse them).
#[test]
fn the_reported_attacks_do_change_what_extractors_extract() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, bytes, _) in attacks().into_iter().filter(|(n, _, _)| {
        *n == "second gzip member after the stripped end" || *n == "directory entry with a size"
    }) {
        let path = tmp.path().join("a.tar.gz");
        fs::write(&path, &bytes).unwrap();
        for tool in [Extractor::GnuTar, Extractor::PythonTarfile] {
            let got = extract(tool, &path).unwrap_or_else(|e| panic!("{name} {tool:?}: {e}"));
            assert_eq!(
                got.files.get("index.html").map(Vec::as_slice),
                Some(attacker_index()),
                "{name}: {tool:?} extracts the attacker's index.html"
            );
        }
    }
}

// ---------------------------------------------------------------- random mutations

fn name_choice() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"index.html".to_vec()),
        Just(b"./index.html".to_vec()),
        Just(b"index.html/".to_vec()),
        Just(b"oscal".to_vec()),
        Just(b"oscal/".to_vec()),
        Just(b"oscal/../index.html".to_vec()),
        Just(b"../index.html".to_vec()),
        Just(b"/index.html".to_vec()),
        Just(b"SHA256SUMS".to_vec()),
        Just(b"zz-new".to_vec()),
        Just(format!("evidence/{}/big.bin", "d".repeat(120)).into_bytes()),
        Just("m".repeat(100).into_bytes()),
    ]
}

fn kind_choice() -> impl Strategy<Value = u8> {
    prop::sample::select(vec![
        0u8, b'0', b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'g', b'x', b'K', b'L', b'S', b'D',
        b'V', b'M', b'A',
    ])
}

#[derive(Debug, Clone)]
enum Mutation {
    /// One byte of a header set, checksum fixed (or not).
    HeaderByte {
        entry: prop::sample::Index,
        at: usize,
        value: u8,
        fix: bool,
    },
    /// A header's size field set (octal, checksum fixed).
    Size {
        entry: prop::sample::Index,
        size: u64,
    },
    /// A header's type changed (checksum fixed).
    Type {
        entry: prop::sample::Index,
        kind: u8,
    },
    /// A new entry inserted.
    Insert {
        at: prop::sample::Index,
        name: Vec<u8>,
        kind: u8,
        data: Vec<u8>,
    },
    /// A PAX record overriding the next entry's path.
    Pax {
        at: prop::sample::Index,
        global: bool,
        path: Vec<u8>,
    },
    /// An entry copied elsewhere.
    Duplicate {
        entry: prop::sample::Index,
        at: prop::sample::Index,
    },
    /// An entry removed.
    Remove { entry: prop::sample::Index },
    /// Two entries swapped.
    Swap {
        a: prop::sample::Index,
        b: prop::sample::Index,
    },
}

#[derive(Debug, Clone)]
enum Ending {
    /// The end marker as written.
    Clean,
    /// More blocks (zeros or an entry) after the marker.
    After { zeros: usize, entry: bool },
    /// Only one zero block, or none.
    Short { blocks: usize },
}

#[derive(Debug, Clone)]
enum Gzip {
    /// One member, as written.
    Canonical,
    /// Recompressed at another level with sync flushes: other bytes, the same content.
    Recompress {
        level: u32,
        flushes: Vec<prop::sample::Index>,
    },
    /// Split into two members at a block boundary (the same tar stream).
    Split { at: prop::sample::Index },
    /// A second member appended.
    Second { entry: bool },
    /// Bytes appended after the stream.
    Trailing { bytes: Vec<u8> },
    /// A raw byte of the compressed stream changed.
    Flip { at: prop::sample::Index, value: u8 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let idx = any::<prop::sample::Index>;
    prop_oneof![
        (idx(), 0usize..512, any::<u8>(), any::<bool>()).prop_map(|(entry, at, value, fix)| {
            Mutation::HeaderByte {
                entry,
                at,
                value,
                fix,
            }
        }),
        (idx(), prop_oneof![0u64..4096, Just(512u64), Just(1024u64)])
            .prop_map(|(entry, size)| Mutation::Size { entry, size }),
        (idx(), kind_choice()).prop_map(|(entry, kind)| Mutation::Type { entry, kind }),
        (
            idx(),
            name_choice(),
            kind_choice(),
            prop::collection::vec(any::<u8>(), 0..700)
        )
            .prop_map(|(at, name, kind, data)| Mutation::Insert {
                at,
                name,
                kind,
                data
            }),
        (idx(), any::<bool>(), name_choice()).prop_map(|(at, global, path)| Mutation::Pax {
            at,
            global,
            path
        }),
        (idx(), idx()).prop_map(|(entry, at)| Mutation::Duplicate { entry, at }),
        idx().prop_map(|entry| Mutation::Remove { entry }),
        (idx(), idx()).prop_map(|(a, b)| Mutation::Swap { a, b }),
    ]
}

fn ending() -> impl Strategy<Value = Ending> {
    prop_oneof![
        4 => Just(Ending::Clean),
        1 => (0usize..20, any::<bool>()).prop_map(|(zeros, entry)| Ending::After { zeros, entry }),
        1 => (0usize..2).prop_map(|blocks| Ending::Short { blocks }),
    ]
}

fn gzip_layer() -> impl Strategy<Value = Gzip> {
    prop_oneof![
        3 => Just(Gzip::Canonical),
        3 => (2u32..=8, prop::collection::vec(any::<prop::sample::Index>(), 0..4))
            .prop_map(|(level, flushes)| Gzip::Recompress { level, flushes }),
        1 => any::<prop::sample::Index>().prop_map(|at| Gzip::Split { at }),
        1 => any::<bool>().prop_map(|entry| Gzip::Second { entry }),
        1 => prop::collection::vec(any::<u8>(), 1..64).prop_map(|bytes| Gzip::Trailing { bytes }),
        1 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(at, value)| Gzip::Flip { at, value }),
    ]
}

fn apply(es: &mut Vec<Entry>, m: &Mutation) {
    if es.is_empty() {
        return;
    }
    match m {
        Mutation::HeaderByte {
            entry,
            at,
            value,
            fix,
        } => {
            let n = es.len();
            let h = es[entry.index(n)].header_mut();
            h[*at] = *value;
            if *fix {
                fix_checksum(h);
            }
        }
        Mutation::Size { entry, size } => {
            let i = entry.index(es.len());
            set_size(&mut es[i], *size);
        }
        Mutation::Type { entry, kind } => {
            let n = es.len();
            let h = es[entry.index(n)].header_mut();
            h[156] = *kind;
            fix_checksum(h);
        }
        Mutation::Insert {
            at,
            name,
            kind,
            data,
        } => {
            let i = at.index(es.len() + 1);
            es.insert(i, raw_entry(name, *kind, data));
        }
        Mutation::Pax { at, global, path } => {
            let mut rec = b" path=".to_vec();
            rec.extend_from_slice(path);
            rec.push(b'\n');
            let mut len = rec.len() + 2;
            if format!("{len}").len() + rec.len() != len {
                len += 1;
            }
            let mut data = format!("{len}").into_bytes();
            data.extend_from_slice(&rec);
            let i = at.index(es.len() + 1);
            let kind = if *global { b'g' } else { b'x' };
            es.insert(i, raw_entry(b"././@PaxHeader", kind, &data));
        }
        Mutation::Duplicate { entry, at } => {
            let e = es[entry.index(es.len())].clone();
            let i = at.index(es.len() + 1);
            es.insert(i, e);
        }
        Mutation::Remove { entry } => {
            let i = entry.index(es.len());
            es.remove(i);
        }
        Mutation::Swap { a, b } => {
            let (a, b) = (a.index(es.len()), b.index(es.len()));
            es.swap(a, b);
        }
    }
}

fn build(muts: &[Mutation], end: &Ending, gz: &Gzip) -> Vec<u8> {
    let f = fixture();
    let mut es = entries(&tarball::gunzip(&f.archive));
    for m in muts {
        apply(&mut es, m);
    }
    let tail: Vec<u8> = match end {
        Ending::Clean => tarball::END.to_vec(),
        Ending::After { zeros, entry } => {
            let mut t = tarball::END.to_vec();
            t.extend(std::iter::repeat_n(0u8, zeros * 512));
            if *entry {
                t.extend(raw_entry(b"index.html", b'0', attacker_index()).bytes);
                t.extend_from_slice(&tarball::END);
            }
            t
        }
        Ending::Short { blocks } => vec![0u8; blocks * 512],
    };
    let tar = join(&es, &tail);
    match gz {
        Gzip::Canonical => tarball::gzip(&tar),
        Gzip::Recompress { level, flushes } => {
            let mut points: Vec<usize> = flushes.iter().map(|i| i.index(tar.len())).collect();
            points.sort_unstable();
            let mut enc = flate2::GzBuilder::new()
                .mtime(0)
                .operating_system(255)
                .write(Vec::new(), flate2::Compression::new(*level));
            let mut last = 0;
            for p in points {
                std::io::Write::write_all(&mut enc, &tar[last..p]).unwrap();
                std::io::Write::flush(&mut enc).unwrap();
                last = p;
            }
            std::io::Write::write_all(&mut enc, &tar[last..]).unwrap();
            enc.finish().unwrap()
        }
        Gzip::Split { at } => {
            let blocks = tar.len() / 512;
            let cut = at.index(blocks + 1) * 512;
            let mut out = tarball::gzip(&tar[..cut]);
            out.extend(tarball::gzip(&tar[cut..]));
            out
        }
        Gzip::Second { entry } => {
            let mut out = tarball::gzip(&tar);
            let mut more = Vec::new();
            if *entry {
                more.extend(raw_entry(b"index.html", b'0', attacker_index()).bytes);
            }
            more.extend_from_slice(&tarball::END);
            out.extend(tarball::gzip(&more));
            out
        }
        Gzip::Trailing { bytes } => {
            let mut out = tarball::gzip(&tar);
            out.extend_from_slice(bytes);
            out
        }
        Gzip::Flip { at, value } => {
            let mut out = tarball::gzip(&tar);
            let i = at.index(out.len());
            out[i] ^= value | 1;
            out
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The rule on random structural mutations: whatever verifies, the three extractors
    /// extract exactly the manifest's files with the manifest's bytes.
    #[test]
    fn whatever_verifies_extracts_exactly_the_manifest_with_every_extractor(
        muts in prop::collection::vec(mutation(), 0..3),
        end in ending(),
        gz in gzip_layer(),
    ) {
        let bytes = build(&muts, &end, &gz);
        let report = check_rule(&bytes);
        // Only a change that leaves the tar stream and the gzip framing exactly as written
        // may verify.
        let untouched = muts.is_empty()
            && matches!(end, Ending::Clean)
            && matches!(gz, Gzip::Canonical | Gzip::Recompress { .. });
        if untouched {
            prop_assert!(report.is_verified(), "{:?}", report.failures);
        }
    }
}

/// The property above exercised the extractors: recompressed archives verify and are
/// extracted by all three (a guard against a property that never reaches them).
#[test]
fn recompressed_archives_verify_and_extract_identically() {
    for level in [2, 5, 8] {
        let bytes = build(
            &[],
            &Ending::Clean,
            &Gzip::Recompress {
                level,
                flushes: vec![],
            },
        );
        assert!(check_rule(&bytes).is_verified());
    }
    assert!(VERIFIED.load(Ordering::Relaxed) >= 3);
}
