//! The masking rules: how a credential is recognised inside text that is otherwise evidence
//! (container `command` and `args`, URLs, label values), and what is kept around it.
//!
//! No maintained Rust crate offers a secret-pattern set fit for this (the ones that exist
//! are single-author regex lists for log scrubbing), so the rules are a small list, kept
//! here and in `docs/collect.md`:
//!
//! 1. **Credential names.** A flag (`--db-password=…`), an environment-style assignment
//!    (`API_KEY=…`), a label key, an HTTP header or a URL query parameter names a
//!    credential when its name, split into words at `-`, `_`, `.` and camelCase and
//!    lower-cased, contains `password`, `passwd`, `passphrase`, `secret`, `token`,
//!    `apikey`, `accesskey`, `privatekey`, `credential`, `bearer` or `cookie`, or has one
//!    of the words `key`, `pwd`, `pw`, `pass`, `auth`, `cred`, `creds` or `jwt`. Its
//!    value is replaced by [`REDACTED`]; the name stays, so the evidence still shows that
//!    the flag is set.
//! 2. **Values left as they are** under such a name, since they cannot be a credential and
//!    are evidence: empty, `true`/`false`, a number or a duration (`48h`, `1h30m`), a
//!    reference to a variable (`$(DB_PASSWORD)`, `${TOKEN}`, `$TOKEN`), and an absolute
//!    or relative file path when the name ends in `file`, `path`, `dir`, `key`, `cert`
//!    or `config` (`--tls-private-key-file=/etc/kubernetes/pki/apiserver.key`).
//! 3. **Two-argument form.** A credential flag without `=` (`--token VALUE`) masks the
//!    next argument or word, unless that starts with `-` or is left by rule 2.
//! 4. **URLs.** The userinfo of a URL (`https://user:pass@host`, `redis://:pw@host`) is
//!    masked whole, and so is the value of every query parameter with a credential name
//!    (`?token=…`).
//! 5. **HTTP authorization.** The word after `Bearer`, `Basic`, `Digest` or `Negotiate`,
//!    and the value after a header with a credential name (`Authorization:`,
//!    `X-Api-Key:`, `Cookie:`; a scheme word after it, `Token` included, is skipped), are
//!    masked.
//! 6. **Token shapes.** Words that look like a JWT or base64-encoded JSON (`eyJ…`,
//!    16 characters or more), PEM private key blocks, and the fixed prefixes of well-known
//!    token formats (AWS `AKIA`/`ASIA`, GitHub `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_`/
//!    `github_pat_`, Slack `xox?-`, GitLab `glpat-`, Stripe `sk_live_`/`rk_live_`,
//!    Google `AIza`) are masked wherever they appear.
//!
//! Inside one argument, text is read word by word (split at white space), so a shell
//! script given as `sh -c "…"` is masked the same way; a quoted value (`TOKEN="a b"`) is
//! masked up to its closing quote.

use super::REDACTED;

/// Substrings of a name (its words joined, lower-cased) that mark it as a credential.
const STRONG: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "credential",
    "bearer",
    "cookie",
];

/// Whole words of a name that mark it as a credential.
const WORDS: &[&str] = &["key", "pwd", "pw", "pass", "auth", "cred", "creds", "jwt"];

/// Last words of a name whose value may be a file path (rule 2).
const PATH_NAMES: &[&str] = &[
    "file",
    "path",
    "dir",
    "directory",
    "key",
    "keyfile",
    "cert",
    "config",
    "kubeconfig",
];

/// HTTP authorization schemes (rule 5).
const SCHEMES: &[&str] = &["bearer", "basic", "token", "digest", "negotiate"];

/// Prefixes of well-known token formats (rule 6), with the least length of the whole.
const TOKEN_PREFIXES: &[(&str, usize)] = &[
    ("AKIA", 20),
    ("ASIA", 20),
    ("ghp_", 20),
    ("gho_", 20),
    ("ghu_", 20),
    ("ghs_", 20),
    ("ghr_", 20),
    ("github_pat_", 20),
    ("xoxb-", 15),
    ("xoxp-", 15),
    ("xoxa-", 15),
    ("xoxr-", 15),
    ("xoxs-", 15),
    ("glpat-", 20),
    ("sk_live_", 16),
    ("rk_live_", 16),
    ("AIza", 30),
];

/// The words of a name: split at every character that is not a letter or digit and at
/// camelCase boundaries, lower-cased (`--dbPassword-file` → `db`, `password`, `file`).
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = part.chars().collect();
        let mut cur = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let boundary = i > 0
                && c.is_ascii_uppercase()
                && (chars[i - 1].is_ascii_lowercase()
                    || chars[i - 1].is_ascii_digit()
                    || chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())
                        && chars[i - 1].is_ascii_uppercase());
            if boundary && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            cur.push(c.to_ascii_lowercase());
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

/// Whether `name` (a flag, variable, label key, header or query parameter, with any
/// leading dashes) names a credential (rule 1).
pub fn is_credential_name(name: &str) -> bool {
    let w = words(name);
    let joined = w.concat();
    STRONG.iter().any(|s| joined.contains(s)) || w.iter().any(|x| WORDS.contains(&x.as_str()))
}

/// Whether `value`, given under the credential name `name`, is left as it is (rule 2).
pub fn is_benign(name: &str, value: &str) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'');
    if v.is_empty() || v == REDACTED || v == HELD {
        return true;
    }
    if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") {
        return true;
    }
    if is_number_or_duration(v) || is_variable_reference(v) {
        return true;
    }
    let looks_like_path = (v.starts_with('/') || v.starts_with("./") || v.starts_with("../"))
        && !v.contains(char::is_whitespace);
    looks_like_path
        && words(name)
            .last()
            .is_some_and(|w| PATH_NAMES.contains(&w.as_str()))
}

fn is_number_or_duration(v: &str) -> bool {
    let v = v.strip_prefix('-').unwrap_or(v);
    if v.is_empty() {
        return false;
    }
    if v.parse::<f64>().is_ok() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return true;
    }
    // 48h, 1h30m, 500ms, 2.5s: groups of digits each followed by a unit.
    let mut rest = v;
    let mut groups = 0;
    while !rest.is_empty() {
        let digits = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h", "d", "w"]
            .iter()
            .find(|u| rest.starts_with(*u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
        groups += 1;
    }
    groups > 0
}

/// Whether `v` has the form of a Kubernetes resource quantity (`500m`, `1.5Gi`, `2`,
/// `1e3`): a signed decimal number and one of the API's suffixes, at most 64 bytes.
pub fn is_quantity(v: &str) -> bool {
    if v.is_empty() || v.len() > 64 {
        return false;
    }
    let body = v.strip_prefix(['+', '-']).unwrap_or(v);
    let digits = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (number, suffix) = body.split_at(digits);
    let dots = number.bytes().filter(|b| *b == b'.').count();
    if number.is_empty() || number == "." || dots > 1 {
        return false;
    }
    const SUFFIXES: &[&str] = &[
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
    ];
    if SUFFIXES.contains(&suffix) {
        return true;
    }
    // A decimal exponent: e or E, then a signed integer.
    suffix
        .strip_prefix(['e', 'E'])
        .map(|e| e.strip_prefix(['+', '-']).unwrap_or(e))
        .is_some_and(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()))
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

fn is_variable_reference(v: &str) -> bool {
    let inner = v
        .strip_prefix("$(")
        .and_then(|r| r.strip_suffix(')'))
        .or_else(|| v.strip_prefix("${").and_then(|r| r.strip_suffix('}')))
        .or_else(|| v.strip_prefix('$'));
    inner.is_some_and(is_identifier)
}

/// A flag's name when `s` is a flag (`-x`, `--name`, `--name=value`), without the dashes.
fn flag_name(s: &str) -> Option<&str> {
    let body = s.strip_prefix("--").or_else(|| s.strip_prefix('-'))?;
    let name = body.split_once('=').map_or(body, |(n, _)| n);
    (!name.is_empty() && name.as_bytes()[0].is_ascii_alphabetic() && is_identifier(name))
        .then_some(name)
}

/// Masks credentials in a container's `command` or `args`, in place, keeping flag names.
/// Returns the indices of the arguments that changed.
pub fn mask_args(args: &mut [serde_json::Value]) -> Vec<usize> {
    let mut changed = Vec::new();
    let mut pending: Option<String> = None;
    for (i, arg) in args.iter_mut().enumerate() {
        let Some(s) = arg.as_str() else {
            pending = None;
            continue;
        };
        if let Some(name) = pending.take()
            && !s.starts_with('-')
            && !is_benign(&name, s)
        {
            *arg = serde_json::Value::String(REDACTED.into());
            changed.push(i);
            continue;
        }
        let replaced = match (flag_name(s), s.split_once('=')) {
            (Some(name), Some((head, value))) if is_credential_name(name) => {
                (!is_benign(name, value)).then(|| format!("{head}={REDACTED}"))
            }
            (Some(_), Some((head, value))) => mask_text(value).map(|m| format!("{head}={m}")),
            (Some(name), None) => {
                if is_credential_name(name) {
                    pending = Some(name.to_string());
                }
                None
            }
            (None, _) => mask_text(s),
        };
        if let Some(r) = replaced {
            *arg = serde_json::Value::String(r);
            changed.push(i);
        }
    }
    changed
}

/// The byte range of each white-space separated word of `s`.
fn word_spans(s: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(st)) => {
                spans.push((st, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(st) = start {
        spans.push((st, s.len()));
    }
    spans
}

/// Punctuation around a word that is not part of it: quotes, brackets, `;`, `,`.
fn is_wrapper(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '`' | '(' | ')' | '[' | ']' | '{' | '}' | ';' | ','
    )
}

/// Masks credentials inside free text (an argument, a script, a header, a URL). `None`
/// when nothing was found.
pub fn mask_text(text: &str) -> Option<String> {
    // A marker already in the text is one word, so masking twice changes nothing.
    let held = text.replace(REDACTED, HELD);
    let s = held.as_str();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    pem_ranges(s, &mut ranges);
    let mut masker = TextMasker {
        s,
        spans: word_spans(s),
        j: 0,
        ranges,
        mask_next: None,
    };
    while masker.j < masker.spans.len() {
        masker.word();
    }
    let out = apply_ranges(s, masker.ranges)?.replace(HELD, REDACTED);
    (out != text).then_some(out)
}

/// [`mask_text`] reading a text word by word.
struct TextMasker<'s> {
    s: &'s str,
    /// The words of `s` ([`word_spans`]).
    spans: Vec<(usize, usize)>,
    /// The next word to read.
    j: usize,
    /// The byte ranges to mask.
    ranges: Vec<(usize, usize)>,
    /// The next word is a value to mask: after a credential flag (its name), a scheme
    /// (`"\0scheme"`) or a header (`"\0header"`).
    mask_next: Option<String>,
}

/// A word of the text: `raw` as it stands, `core` without the punctuation around it
/// ([`is_wrapper`]), `lead` bytes of which come before it.
struct Word<'s> {
    raw: &'s str,
    lead: usize,
    core: &'s str,
    /// `core`'s byte range in the text.
    cs: usize,
    ce: usize,
    /// Where `raw` ends in the text.
    we: usize,
}

impl<'s> TextMasker<'s> {
    fn next_word(&mut self) -> Word<'s> {
        let (ws, we) = self.spans[self.j];
        self.j += 1;
        let raw = &self.s[ws..we];
        let core_all = raw.trim_start_matches(is_wrapper);
        let lead = raw.len() - core_all.len();
        let core = core_all.trim_end_matches(is_wrapper);
        Word {
            raw,
            lead,
            core,
            cs: ws + lead,
            ce: ws + lead + core.len(),
            we,
        }
    }

    /// Reads the next word (and, for a quoted value, the words up to its closing quote).
    fn word(&mut self) {
        let w = self.next_word();
        if w.core.is_empty() || self.awaited_value(&w) {
            return;
        }
        if let Some(m) = url_ranges(w.core) {
            self.ranges
                .extend(m.into_iter().map(|(a, b)| (w.cs + a, w.cs + b)));
            return;
        }
        if token_shaped(w.core) {
            self.ranges.push((w.cs, w.ce));
            return;
        }
        if SCHEMES.contains(&w.core.to_ascii_lowercase().as_str()) {
            // `Bearer X`: only the schemes that carry a credential by themselves.
            if !w.core.eq_ignore_ascii_case("token") {
                self.mask_next = Some("\0scheme".into());
            }
            return;
        }
        if let Some((name, value)) = w.core.split_once('=')
            && self.assignment(&w, name, value)
        {
            return;
        }
        if self.header(&w) {
            return;
        }
        // --token VALUE
        if let Some(name) = flag_name(w.core)
            && !w.core.contains('=')
            && is_credential_name(name)
        {
            self.mask_next = Some(name.to_string());
        }
    }

    /// The word after a credential flag, a scheme or a header: masked unless it is a flag
    /// or benign. `true` when the word is dealt with.
    fn awaited_value(&mut self, w: &Word<'_>) -> bool {
        let Some(name) = self.mask_next.take() else {
            return false;
        };
        let scheme = SCHEMES.contains(&w.core.to_ascii_lowercase().as_str());
        if scheme && name == "\0header" {
            self.mask_next = Some("\0scheme".into());
            return true;
        }
        if !w.core.starts_with('-') && !is_benign(&name, w.core) {
            self.ranges.push((w.cs, w.ce));
            return true;
        }
        false
    }

    /// `NAME=VALUE`, `--name=value`: a credential's value is masked; any other value when
    /// it is a URL with credentials or token-shaped. `true` when the word is dealt with.
    fn assignment(&mut self, w: &Word<'_>, name: &str, value: &str) -> bool {
        let vstart = w.cs + name.len() + 1;
        let bare = name.trim_start_matches('-');
        if is_identifier(bare) && is_credential_name(bare) {
            // A quoted value runs to its closing quote, perhaps over several words.
            let raw_value = &w.raw[w.lead + name.len() + 1..];
            if let Some(q) = raw_value.chars().next().filter(|c| *c == '"' || *c == '\'') {
                self.quoted_value(w, bare, vstart, &raw_value[1..], q);
            } else if !value.is_empty() && !is_benign(bare, value) {
                self.ranges.push((vstart, w.ce));
            }
            return true;
        }
        // Any other NAME=VALUE: the value may still be a URL or a token.
        if let Some(m) = url_ranges(value) {
            self.ranges
                .extend(m.into_iter().map(|(a, b)| (vstart + a, vstart + b)));
            return true;
        }
        if token_shaped(value) {
            self.ranges.push((vstart, w.ce));
            return true;
        }
        false
    }

    /// The value of credential `name` that opens with quote `q` at `vstart`: `inner` is the
    /// rest of the word. Masked to its closing quote, in this word or a later one.
    fn quoted_value(&mut self, w: &Word<'_>, name: &str, vstart: usize, inner: &str, q: char) {
        if let Some(close) = inner.find(q) {
            if !is_benign(name, &inner[..close]) {
                self.ranges.push((vstart + 1, vstart + 1 + close));
            }
            return;
        }
        // Runs on: mask to the word that closes the quote.
        let mut end = w.we;
        while self.j < self.spans.len() {
            let (_, e2) = self.spans[self.j];
            self.j += 1;
            end = e2;
            if self.s[..e2].ends_with(q) {
                end = e2 - 1;
                break;
            }
        }
        self.ranges.push((vstart + 1, end));
    }

    /// A header: `Authorization: Bearer x`, `X-Api-Key:abc`. `true` when the word is one.
    fn header(&mut self, w: &Word<'_>) -> bool {
        let Some((name, value)) = w.core.split_once(':') else {
            return false;
        };
        let credential = |name: &str| {
            is_credential_name(name)
                || name.eq_ignore_ascii_case("authorization")
                || name.eq_ignore_ascii_case("proxy-authorization")
        };
        if name.is_empty() || !is_identifier(name) || !credential(name) {
            return false;
        }
        if value.is_empty() {
            self.mask_next = Some("\0header".into());
        } else if !is_benign(name, value) {
            self.ranges.push((w.cs + name.len() + 1, w.ce));
        }
        true
    }
}

/// [`REDACTED`] while [`mask_text`] reads a text: without white space, so it stays one
/// word.
const HELD: &str = "\u{1}redacted\u{1}";

/// Replaces each byte range of `s` by [`REDACTED`] (overlapping ranges merged).
fn apply_ranges(s: &str, mut ranges: Vec<(usize, usize)>) -> Option<String> {
    ranges.retain(|(a, b)| a < b && ![REDACTED, HELD].contains(&&s[*a..*b]));
    if ranges.is_empty() {
        return None;
    }
    ranges.sort();
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    for (a, b) in ranges {
        if b <= at {
            continue;
        }
        let a = a.max(at);
        out.push_str(&s[at..a]);
        out.push_str(REDACTED);
        at = b;
    }
    out.push_str(&s[at..]);
    Some(out)
}

/// PEM private key blocks: the body between `-----BEGIN … PRIVATE KEY-----` and the
/// matching `-----END` line (or the end of the text).
fn pem_ranges(s: &str, ranges: &mut Vec<(usize, usize)>) {
    let mut from = 0;
    while let Some(b) = s[from..].find("-----BEGIN ") {
        let begin = from + b;
        let Some(hdr_end) = s[begin + 11..].find("-----").map(|i| begin + 11 + i + 5) else {
            return;
        };
        let label = &s[begin + 11..hdr_end - 5];
        if !label.contains("PRIVATE KEY") {
            from = hdr_end;
            continue;
        }
        let end = s[hdr_end..]
            .find("-----END")
            .map_or(s.len(), |i| hdr_end + i);
        ranges.push((hdr_end, end));
        from = end.max(hdr_end);
        if from >= s.len() {
            return;
        }
    }
}

/// A word that looks like a JWT, base64-encoded JSON or a well-known token (rule 6).
fn token_shaped(w: &str) -> bool {
    let b64 = |s: &str| {
        s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_' | b'.')
        })
    };
    if w.len() >= 16 && ["eyJ", "eyA", "ewo"].iter().any(|p| w.starts_with(p)) && b64(w) {
        return true;
    }
    TOKEN_PREFIXES.iter().any(|(p, min)| {
        w.len() >= *min
            && w.starts_with(p)
            && w[p.len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// The byte ranges to mask in a URL (userinfo, credential query values), relative to
/// `u`; `None` when `u` is not a URL (`scheme://…`).
fn url_ranges(u: &str) -> Option<Vec<(usize, usize)>> {
    let sep = u.find("://")?;
    let scheme = &u[..sep];
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let start = sep + 3;
    let mut out = Vec::new();
    let auth_end = u[start..]
        .find(['/', '?', '#'])
        .map_or(u.len(), |i| start + i);
    if let Some(at) = u[start..auth_end].rfind('@') {
        out.push((start, start + at));
    }
    query_ranges(u, auth_end, &mut out);
    Some(out)
}

/// Credential query parameter values of `u` after byte `from`.
fn query_ranges(u: &str, from: usize, out: &mut Vec<(usize, usize)>) {
    let Some(q) = u[from..].find('?').map(|i| from + i + 1) else {
        return;
    };
    let end = u[q..].find('#').map_or(u.len(), |i| q + i);
    let mut at = q;
    for pair in u[q..end].split('&') {
        if let Some((k, v)) = pair.split_once('=')
            && is_credential_name(k)
            && !v.is_empty()
        {
            let vs = at + k.len() + 1;
            out.push((vs, vs + v.len()));
        }
        at += pair.len() + 1;
    }
}

/// Masks a URL, or a URL path with a query (`/healthz?token=…`): userinfo and credential
/// query values (rule 4). `None` when nothing was masked.
pub fn mask_url(u: &str) -> Option<String> {
    let ranges = match url_ranges(u) {
        Some(r) => r,
        None => {
            let mut r = Vec::new();
            query_ranges(u, 0, &mut r);
            r
        }
    };
    apply_ranges(u, ranges)
}

/// A URL without its userinfo (`https://user:pass@host:6443` → `https://host:6443`) and
/// with credential query values masked: the server address as it may be shown. `None`
/// when there was nothing to remove.
pub fn strip_userinfo(u: &str) -> Option<String> {
    let Some(sep) = u.find("://") else {
        return mask_url(u);
    };
    let start = sep + 3;
    let auth_end = u[start..]
        .find(['/', '?', '#'])
        .map_or(u.len(), |i| start + i);
    let without = match u[start..auth_end].rfind('@') {
        Some(at) => format!("{}{}", &u[..start], &u[start + at + 1..]),
        None => u.to_string(),
    };
    match mask_url(&without) {
        Some(m) => Some(m),
        None if without != u => Some(without),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn args(v: Value) -> Vec<String> {
        let mut a = v.as_array().unwrap().clone();
        mask_args(&mut a);
        a.into_iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn credential_names_by_word() {
        for n in [
            "--password",
            "--db-password",
            "DB_PASSWORD",
            "--token",
            "apiToken",
            "--secret-key",
            "--secretAccessKey",
            "AWS_SECRET_ACCESS_KEY",
            "API_KEY",
            "--key",
            "x-api-key",
            "--client-credentials",
            "PGPASSWORD",
            "MYSQL_PWD",
            "--auth",
            "private_key",
        ] {
            assert!(is_credential_name(n), "{n}");
        }
        for n in [
            "--authorization-mode",
            "--etcd-keyfile",
            "--advertise-address",
            "--audit-log-path",
            "--anonymous",
            "--kubeconfig",
            "monkey",
            "--keyspace",
            "HOME",
            "--secure-port",
        ] {
            assert!(!is_credential_name(n), "{n}");
        }
    }

    #[test]
    fn flag_values_masked_names_kept() {
        assert_eq!(
            args(json!([
                "kube-apiserver",
                "--token=s3cr3t",
                "--password",
                "hunter2",
                "--secret-key=abc",
                "--etcd-keyfile=/etc/kubernetes/pki/etcd.key",
                "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
                "--kubelet-client-key=/etc/kubernetes/pki/kubelet.key",
                "--enable-bootstrap-token-auth=true",
                "--service-account-max-token-expiration=48h",
                "--authorization-mode=Node,RBAC",
                "--token",
                "--v=2",
                "--db-password=$(DB_PASSWORD)",
            ])),
            [
                "kube-apiserver",
                "--token=<redacted by auditpack>",
                "--password",
                "<redacted by auditpack>",
                "--secret-key=<redacted by auditpack>",
                "--etcd-keyfile=/etc/kubernetes/pki/etcd.key",
                "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
                "--kubelet-client-key=/etc/kubernetes/pki/kubelet.key",
                "--enable-bootstrap-token-auth=true",
                "--service-account-max-token-expiration=48h",
                "--authorization-mode=Node,RBAC",
                "--token",
                "--v=2",
                "--db-password=$(DB_PASSWORD)",
            ]
        );
    }

    #[test]
    fn env_style_urls_headers_and_scripts() {
        let m = |s: &str| mask_text(s).unwrap_or_else(|| s.to_string());
        assert_eq!(m("API_KEY=abc123"), "API_KEY=<redacted by auditpack>");
        assert_eq!(
            m("export TOKEN=\"a b c\" && run --x"),
            "export TOKEN=\"<redacted by auditpack>\" && run --x"
        );
        assert_eq!(
            m("export TOKEN='abc' ; run"),
            "export TOKEN='<redacted by auditpack>' ; run"
        );
        assert_eq!(
            m("curl https://admin:pw@db.example.com:5432/x?token=t1&page=2"),
            "curl https://<redacted by auditpack>@db.example.com:5432/x?token=<redacted by auditpack>&page=2"
        );
        assert_eq!(
            m("curl -H 'Authorization: Bearer abc.def' https://x"),
            "curl -H 'Authorization: Bearer <redacted by auditpack>' https://x"
        );
        assert_eq!(m("X-Api-Key:abc123"), "X-Api-Key:<redacted by auditpack>");
        assert_eq!(
            m("login --token abc"),
            "login --token <redacted by auditpack>"
        );
        assert_eq!(
            m("use eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig now"),
            "use <redacted by auditpack> now"
        );
        assert_eq!(m("k=AKIAABCDEFGHIJKLMNOP"), "k=<redacted by auditpack>");
        assert_eq!(
            m("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"),
            "-----BEGIN PRIVATE KEY-----<redacted by auditpack>-----END PRIVATE KEY-----"
        );
        // Nothing to mask: the text stays as it is.
        assert_eq!(mask_text("run --port=8080 --mode=fast"), None);
        assert_eq!(mask_text("see https://example.com/docs"), None);
    }

    #[test]
    fn urls_lose_userinfo() {
        assert_eq!(
            strip_userinfo("https://user:pass@10.0.0.1:6443").as_deref(),
            Some("https://10.0.0.1:6443")
        );
        assert_eq!(strip_userinfo("https://10.0.0.1:6443"), None);
        assert_eq!(
            mask_url("/healthz?token=x").as_deref(),
            Some("/healthz?token=<redacted by auditpack>")
        );
        assert_eq!(
            mask_url("https://tok@hooks.example.com/a").as_deref(),
            Some("https://<redacted by auditpack>@hooks.example.com/a")
        );
    }

    #[test]
    fn masking_twice_changes_nothing_more() {
        let once = mask_text("TOKEN=abc https://u:p@h/ Bearer zz").unwrap();
        assert_eq!(mask_text(&once), None, "{once}");
        let mut a = vec![json!("--token=x"), json!("--password"), json!("y")];
        mask_args(&mut a);
        assert!(mask_args(&mut a).is_empty());
    }

    #[test]
    fn quantities_are_told_from_other_text() {
        for q in [
            "500m", "1", "1.5Gi", "128Mi", "2e3", "0.5", ".5", "+1k", "1E-2", "100u",
        ] {
            assert!(is_quantity(q), "{q}");
        }
        for q in [
            "",
            "m",
            "1..2",
            "1Gib",
            "SNTL001Q7XK",
            "12 Mi",
            "e3",
            "1e",
            "abc",
            "1.2.3",
        ] {
            assert!(!is_quantity(q), "{q}");
        }
    }
}
