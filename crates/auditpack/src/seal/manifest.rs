//! `SHA256SUMS`: the manifest of a packet, one `SHA256 (path) = hex` line per file (the BSD
//! tag form `sha256sum -c` and `shasum -a 256 -c` read), sorted by the bytes
//! of the path, LF line endings, no comments.

use crate::seal::rule::{Failure, Rule};

/// One manifest line: a relative `/`-separated path and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the packet root, `/`-separated.
    pub path: String,
    /// SHA-256 of the file's bytes.
    pub sha256: [u8; 32],
}

/// Why a relative path cannot be represented safely in a manifest, or `None` if it can.
///
/// Refused: empty paths and components, absolute paths, `.` and `..` components,
/// backslashes, control characters (newline, CR, tab …), and the sequence `) = ` (which
/// would make the tag line ambiguous).
pub fn path_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("empty path");
    }
    if path.starts_with('/') {
        return Some("absolute path");
    }
    if path.contains('\\') {
        return Some("contains a backslash");
    }
    if path.chars().any(char::is_control) {
        return Some("contains a control character (newline, CR, tab …)");
    }
    if path.contains(") = ") {
        return Some("contains the sequence `) = `");
    }
    for component in path.split('/') {
        match component {
            "" => return Some("empty path component (`//` or trailing `/`)"),
            "." => return Some("`.` component"),
            ".." => return Some("`..` component leaves the packet"),
            _ => {}
        }
    }
    None
}

/// Renders manifest bytes from entries (which the caller has sorted by path bytes).
pub fn render(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 100);
    for e in entries {
        out.extend_from_slice(b"SHA256 (");
        out.extend_from_slice(e.path.as_bytes());
        out.extend_from_slice(b") = ");
        out.extend_from_slice(hex::encode(e.sha256).as_bytes());
        out.push(b'\n');
    }
    out
}

/// The result of parsing manifest bytes: the well-formed, safe, unique entries in file
/// order, and a failure for every line that is not.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Entries that passed every line-level rule.
    pub entries: Vec<Entry>,
    /// One failure per offending line.
    pub failures: Vec<Failure>,
}

const NAME: &str = "SHA256SUMS";

/// Parses manifest bytes strictly. Never panics; any deviation from the written form is a
/// named failure (`malformed-manifest`, `unsafe-path`, `duplicate-entry`,
/// `unsorted-manifest`).
pub fn parse(bytes: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    let malformed = |detail: String| Failure::new(Rule::MalformedManifest, NAME, detail);
    let Ok(text) = std::str::from_utf8(bytes) else {
        parsed
            .failures
            .push(malformed("the manifest is not valid UTF-8".into()));
        return parsed;
    };
    if text.is_empty() {
        parsed
            .failures
            .push(malformed("the manifest lists no files".into()));
        return parsed;
    }
    if !text.ends_with('\n') {
        parsed.failures.push(malformed(
            "the last line does not end with a newline".into(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let mut previous: Option<String> = None;
    for (index, line) in text.split_terminator('\n').enumerate() {
        let lineno = index + 1;
        let Some((path, digest)) = parse_line(line) else {
            parsed.failures.push(malformed(format!(
                "line {lineno} is not `SHA256 (path) = <64 lowercase hex>`: {:?}",
                truncate(line)
            )));
            continue;
        };
        if let Some(problem) = path_problem(path) {
            parsed.failures.push(Failure::new(
                Rule::UnsafePath,
                path,
                format!("manifest line {lineno}: {problem}"),
            ));
            continue;
        }
        if !seen.insert(path.to_string()) {
            parsed.failures.push(Failure::new(
                Rule::DuplicateEntry,
                path,
                format!("manifest line {lineno} lists this path again"),
            ));
            continue;
        }
        if let Some(prev) = &previous
            && prev.as_bytes() >= path.as_bytes()
        {
            parsed.failures.push(Failure::new(
                Rule::UnsortedManifest,
                path,
                format!("manifest line {lineno} comes after {prev:?}; lines must be sorted by path bytes"),
            ));
        }
        previous = Some(path.to_string());
        let mut sha256 = [0u8; 32];
        // parse_line checked 64 lowercase hex digits.
        if hex::decode_to_slice(digest, &mut sha256).is_err() {
            parsed
                .failures
                .push(malformed(format!("line {lineno}: bad hex digest")));
            continue;
        }
        parsed.entries.push(Entry {
            path: path.to_string(),
            sha256,
        });
    }
    parsed
}

fn parse_line(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("SHA256 (")?;
    let split = rest.find(") = ")?;
    let (path, tail) = rest.split_at(split);
    let digest = &tail[4..];
    let hex_ok = digest.len() == 64
        && digest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    hex_ok.then_some((path, digest))
}

fn truncate(line: &str) -> String {
    line.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, b: u8) -> Entry {
        Entry {
            path: path.into(),
            sha256: [b; 32],
        }
    }

    #[test]
    fn render_then_parse_round_trips() {
        let entries = vec![entry("a b/ü.txt", 1), entry("packet.json", 2)];
        let bytes = render(&entries);
        let parsed = parse(&bytes);
        assert!(parsed.failures.is_empty(), "{:?}", parsed.failures);
        assert_eq!(parsed.entries, entries);
    }

    #[test]
    fn each_deviation_has_its_rule() {
        let h = "0".repeat(64);
        let cases = [
            (
                format!("SHA256 (b) = {h}\nSHA256 (a) = {h}\n"),
                Rule::UnsortedManifest,
            ),
            (
                format!("SHA256 (a) = {h}\nSHA256 (a) = {h}\n"),
                Rule::DuplicateEntry,
            ),
            (format!("SHA256 (../a) = {h}\n"), Rule::UnsafePath),
            (format!("SHA256 (/etc/passwd) = {h}\n"), Rule::UnsafePath),
            (
                format!("SHA256 (a) = {}\n", "A".repeat(64)),
                Rule::MalformedManifest,
            ),
            (format!("SHA256 (a) = {h}"), Rule::MalformedManifest),
            (format!("SHA256 (a) = {h}\r\n"), Rule::MalformedManifest),
            (
                format!("# comment\nSHA256 (a) = {h}\n"),
                Rule::MalformedManifest,
            ),
            (String::new(), Rule::MalformedManifest),
        ];
        for (text, rule) in cases {
            let parsed = parse(text.as_bytes());
            assert!(
                parsed.failures.iter().any(|f| f.rule == rule),
                "{text:?}: expected {rule:?}, got {:?}",
                parsed.failures
            );
        }
    }

    #[test]
    fn path_problems() {
        for bad in [
            "", "/a", "a/../b", "a\\b", "a\nb", "a\rb", "x) = y", "a//b", "./a", "a/",
        ] {
            assert!(path_problem(bad).is_some(), "{bad:?}");
        }
        for good in ["a", "a/b c/ü.json", "..a", "a..", ".hidden"] {
            assert!(path_problem(good).is_none(), "{good:?}");
        }
    }
}
