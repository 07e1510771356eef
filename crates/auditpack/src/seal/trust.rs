//! The keys a verifier trusts: `--key` files and `--trusted-keys` files with optional
//! validity windows (key rotation).
//!
//! A trusted-keys file is text. Each key is a PEM public key block (`-----BEGIN PUBLIC
//! KEY-----` … `-----END PUBLIC KEY-----`) or one OpenSSH `ssh-ed25519 AAAA…` line. Comment
//! lines directly before a key may carry directives that apply to that key only:
//!
//! ```text
//! # name: platform-2025
//! # not-before: 2025-01-01T00:00:00Z
//! # not-after: 2025-12-31T23:59:59Z
//! -----BEGIN PUBLIC KEY-----
//! MCowBQYDK2VwAyEA…
//! -----END PUBLIC KEY-----
//! ```
//!
//! Other `#` lines and blank lines are free comments, as long as they do not look like a
//! directive: a line `# word:` (one word before the colon) with an unknown word, such as
//! the typo `# not_after:`, is an error, since ignoring it would silently drop a validity
//! window. A directive given twice for one key, a directive after the last key, an
//! unparsable time, or `not-before` after `not-after` is an error naming the line. A packet verifies with a windowed key only when its
//! `sealedAt` lies inside the window (both bounds inclusive).

use std::fs;
use std::path::Path;

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;

use crate::seal::keys::{self, KeyError};

/// One key the user trusts, with its optional validity window.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    /// The public key.
    pub key: VerifyingKey,
    /// Its key id (see [`keys::key_id`]).
    pub key_id: String,
    /// A human name from `# name:`.
    pub name: Option<String>,
    /// Earliest `sealedAt` this key may sign.
    pub not_before: Option<DateTime<Utc>>,
    /// Latest `sealedAt` this key may sign.
    pub not_after: Option<DateTime<Utc>>,
    /// Where the key came from (`file` or `file:line`).
    pub origin: String,
}

impl TrustedKey {
    /// Whether a packet sealed at `sealed_at` (if known) falls inside this key's window. A
    /// key with a window never covers a packet whose seal time is unknown.
    pub fn covers(&self, sealed_at: Option<DateTime<Utc>>) -> bool {
        if self.not_before.is_none() && self.not_after.is_none() {
            return true;
        }
        let Some(t) = sealed_at else { return false };
        self.not_before.is_none_or(|nb| t >= nb) && self.not_after.is_none_or(|na| t <= na)
    }

    /// The window as text, e.g. `2025-01-01T00:00:00Z..2025-12-31T23:59:59Z` (`..` open end).
    pub fn window(&self) -> String {
        let show = |t: Option<DateTime<Utc>>| {
            t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default()
        };
        format!("{}..{}", show(self.not_before), show(self.not_after))
    }
}

/// Errors reading a trusted-keys file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A key inside could not be read.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A syntax error in a trusted-keys file.
    #[error("{origin}:{line}: {detail}")]
    Syntax {
        /// The file.
        origin: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong and what to write instead.
        detail: String,
    },
}

/// The set of keys a verifier trusts.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    keys: Vec<TrustedKey>,
}

impl TrustStore {
    /// An empty store (verifies nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts a key without a validity window.
    pub fn add(&mut self, key: VerifyingKey, origin: impl Into<String>) {
        self.keys.push(TrustedKey {
            key_id: keys::key_id(&key),
            key,
            name: None,
            not_before: None,
            not_after: None,
            origin: origin.into(),
        });
    }

    /// Trusts a key with its window and name.
    pub fn add_trusted(&mut self, key: TrustedKey) {
        self.keys.push(key);
    }

    /// Trusts the public key in a `--key` file (SPKI PEM or OpenSSH `.pub`).
    pub fn add_key_file(&mut self, path: &Path) -> Result<(), TrustError> {
        let key = keys::load_public_key(path)?;
        self.add(key, path.display().to_string());
        Ok(())
    }

    /// Trusts every key of a trusted-keys file (format in the module documentation).
    pub fn add_trusted_keys_file(&mut self, path: &Path) -> Result<(), TrustError> {
        let text = fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            action: "read",
            source,
        })?;
        let origin = path.display().to_string();
        for key in parse_trusted_keys(&text, &origin)? {
            self.keys.push(key);
        }
        Ok(())
    }

    /// The trusted keys.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[derive(Default)]
struct Pending {
    name: Option<String>,
    not_before: Option<DateTime<Utc>>,
    not_after: Option<DateTime<Utc>>,
    first_line: Option<usize>,
}

const DIRECTIVES: [&str; 3] = ["name", "not-before", "not-after"];

/// Letters and digits only, lowercased: `Not_After`, `not after` and `not-after` compare equal.
fn squash(word: &str) -> String {
    word.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The directive a comment line spells, lowercased, and its value: `# word: value`, where
/// `word` is one token of letters, digits, `-`, `_` or `.` (a URL's `scheme://` is not a
/// directive), or several words that squash to a known directive (`# not after:`).
fn directive(comment: &str) -> Option<(String, &str)> {
    let (key, value) = comment.split_once(':')?;
    if value.starts_with("//") {
        return None;
    }
    let key = key.trim();
    let token = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let spaced_known = DIRECTIVES.iter().any(|d| squash(d) == squash(key));
    (token || spaced_known).then(|| (key.to_ascii_lowercase(), value))
}

/// The known directive a mistyped one most likely meant.
fn suggest(key: &str) -> Option<&'static str> {
    let k = squash(key);
    DIRECTIVES.into_iter().find(|d| {
        let d = squash(d);
        d == k || (k.len() + 2 >= d.len() && (d.contains(&k) || k.contains(&d)))
    })
}

impl Pending {
    /// Records the directive `# key: value` for the next key; `Err` says what is wrong.
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let once = |taken: bool| {
            if taken {
                Err(format!("`# {key}:` given twice for one key"))
            } else {
                Ok(())
            }
        };
        match key {
            "name" => {
                once(self.name.is_some())?;
                self.name = Some(value.to_string());
            }
            "not-before" => {
                once(self.not_before.is_some())?;
                self.not_before = Some(directive_time(key, value)?);
            }
            "not-after" => {
                once(self.not_after.is_some())?;
                self.not_after = Some(directive_time(key, value)?);
            }
            // A mistyped directive must not be ignored: an ignored `not-after` lets an
            // expired key verify.
            _ => return Err(unknown_directive(key)),
        }
        Ok(())
    }

    /// The key these directives apply to, found at `origin` (`file:line`).
    fn trusted(self, key: VerifyingKey, origin: String) -> Result<TrustedKey, String> {
        if let (Some(nb), Some(na)) = (self.not_before, self.not_after)
            && nb > na
        {
            return Err("not-before is after not-after".into());
        }
        Ok(TrustedKey {
            key_id: keys::key_id(&key),
            key,
            name: self.name,
            not_before: self.not_before,
            not_after: self.not_after,
            origin,
        })
    }
}

/// The value of a time directive.
fn directive_time(key: &str, value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!("{key}: {value:?} is not an RFC 3339 time ({e}), e.g. 2025-01-01T00:00:00Z")
        })
}

/// Why `# key:` is refused, with the directive it most likely meant.
fn unknown_directive(key: &str) -> String {
    format!(
        "unknown directive `# {key}:`; the directives are `# name:`, `# not-before:` and `# not-after:`{}. A free comment must not look like `# word:` (write `# word -` or `## …`)",
        suggest(key)
            .map(|k| format!(" (did you mean `# {k}:`?)"))
            .unwrap_or_default()
    )
}

/// The key that starts at line `i`: one line, or a PEM block up to its `-----END` line.
/// Returns its text and the index of the line after it.
fn key_text(lines: &[&str], i: usize) -> Result<(String, usize), String> {
    let line = lines[i].trim();
    if !line.starts_with("-----BEGIN ") {
        return Ok((line.to_string(), i + 1));
    }
    let end = (i..lines.len())
        .find(|&j| lines[j].trim().starts_with("-----END "))
        .ok_or_else(|| "PEM block has no -----END line".to_string())?;
    Ok((lines[i..=end].join("\n"), end + 1))
}

/// Parses a trusted-keys file (format in the module documentation).
pub fn parse_trusted_keys(text: &str, origin: &str) -> Result<Vec<TrustedKey>, TrustError> {
    let syntax = |line: usize, detail: String| TrustError::Syntax {
        origin: origin.to_string(),
        line,
        detail,
    };
    if text.contains("PRIVATE KEY-----") {
        return Err(KeyError::PrivateKeyGiven {
            path: origin.into(),
        }
        .into());
    }
    let mut out = Vec::new();
    let mut pending = Pending::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let lineno = i + 1;
        let line = lines[i].trim();
        if line.is_empty() {
            i += 1;
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            if let Some((key, value)) = directive(comment) {
                pending
                    .set(&key, value.trim())
                    .map_err(|d| syntax(lineno, d))?;
                pending.first_line.get_or_insert(lineno);
            }
            i += 1;
            continue;
        }
        let (text, next) = key_text(&lines, i).map_err(|d| syntax(lineno, d))?;
        let at = format!("{origin}:{lineno}");
        let key = keys::parse_public_key(&text, &at)?;
        let trusted = std::mem::take(&mut pending)
            .trusted(key, at)
            .map_err(|d| syntax(lineno, d))?;
        out.push(trusted);
        i = next;
    }
    if let Some(line) = pending.first_line {
        return Err(syntax(
            line,
            "directive is not followed by a key (directives apply to the next key)".into(),
        ));
    }
    if out.is_empty() {
        return Err(syntax(1, "no public key found in the file".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn pem(seed: u8) -> String {
        keys::spki_pem(&SigningKey::from_bytes(&[seed; 32]).verifying_key()).unwrap()
    }

    #[test]
    fn windows_attach_to_the_next_key_only() {
        let text = format!(
            "# team keys\n# name: old\n# not-before: 2024-01-01T00:00:00Z\n# not-after: 2024-12-31T23:59:59Z\n{}\n{}",
            pem(1),
            pem(2)
        );
        let keys = parse_trusted_keys(&text, "t").unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].name.as_deref(), Some("old"));
        let t = |s: &str| Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc));
        assert!(keys[0].covers(t("2024-06-01T00:00:00Z")));
        assert!(!keys[0].covers(t("2025-01-01T00:00:00Z")));
        assert!(!keys[0].covers(None));
        assert!(keys[1].covers(t("2030-01-01T00:00:00Z")));
        assert!(keys[1].not_before.is_none());
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let bad = [
            format!("# not-after: yesterday\n{}", pem(1)),
            format!("{}\n# name: dangling\n", pem(1)),
            format!("# name: a\n# name: b\n{}", pem(1)),
            "# only comments\n".to_string(),
            "-----BEGIN PUBLIC KEY-----\nMCow\n".to_string(),
        ];
        for text in bad {
            assert!(parse_trusted_keys(&text, "t").is_err(), "{text}");
        }
    }

    /// Regression: `# not_after:` (a typo of `# not-after:`) was ignored as a free comment,
    /// so the key had no window and an expired key verified.
    #[test]
    fn mistyped_directives_are_errors_naming_the_line() {
        for typo in [
            "# not_after: 2024-12-31T23:59:59Z",
            "# notafter: 2024-12-31T23:59:59Z",
            "# not after: 2024-12-31T23:59:59Z",
            "#not-afer: 2024-12-31T23:59:59Z",
            "# expires: 2024-12-31T23:59:59Z",
            "# NOT_BEFORE: 2024-01-01T00:00:00Z",
        ] {
            let text = format!("# team keys\n{typo}\n{}", pem(1));
            let err = parse_trusted_keys(&text, "keys.txt")
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("keys.txt:2: unknown directive"),
                "{typo}: {err}"
            );
        }
        let err = parse_trusted_keys(&format!("# not_after: x\n{}", pem(1)), "k")
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `# not-after:`"), "{err}");
    }

    #[test]
    fn free_comments_that_are_not_directives_stay_allowed() {
        let text = format!(
            "# Platform team signing keys — distributed by security@example.com\n# see https://example.com/keys for rotation\n# rotated yearly, contact: security team\n## Note: keep sorted\n# Name: platform\n{}",
            pem(1)
        );
        let keys = parse_trusted_keys(&text, "t").unwrap();
        assert_eq!(keys[0].name.as_deref(), Some("platform"));
    }
}
