//! The borrowed shape of one audit event, and the fast timestamp parser.
//!
//! Only the fields the summary needs are declared. Everything else — above all
//! `requestObject` and `responseObject` — is skipped by serde_json without being copied or
//! even decoded into values, which is what keeps parsing fast and keeps bodies out of every
//! output.

use std::borrow::Cow;

use serde::Deserialize;

/// A string borrowed from the input when it has no escapes, owned otherwise.
///
/// serde borrows a bare `Cow<str>` field with `#[serde(borrow)]`, but not one inside an
/// `Option`: that allocates every string of every event. This newtype borrows wherever it
/// sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Str<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// One `audit.k8s.io` `Event` (v1 or v1beta1), or an `EventList` with `items`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Event<'a> {
    #[serde(borrow, default)]
    pub kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub api_version: Option<Str<'a>>,
    #[serde(borrow, default, rename = "auditID")]
    pub audit_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub stage: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub verb: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub user: Option<UserInfo<'a>>,
    #[serde(borrow, default)]
    pub impersonated_user: Option<UserInfo<'a>>,
    #[serde(borrow, default)]
    pub object_ref: Option<ObjectRef<'a>>,
    #[serde(default)]
    pub response_status: Option<ResponseStatus>,
    #[serde(borrow, default)]
    pub request_received_timestamp: Option<Str<'a>>,
    /// v1beta1 (and logs converted from it) carry `timestamp`.
    #[serde(borrow, default)]
    pub timestamp: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub stage_timestamp: Option<Str<'a>>,
    /// `EventList.items`.
    #[serde(borrow, default)]
    pub items: Option<Vec<Event<'a>>>,
}

impl Event<'_> {
    /// The request's time as written: `requestReceivedTimestamp`, else `timestamp`
    /// (v1beta1), else `stageTimestamp`.
    pub fn time_text(&self) -> Option<&str> {
        self.request_received_timestamp
            .as_deref()
            .or(self.timestamp.as_deref())
            .or(self.stage_timestamp.as_deref())
    }
}

/// Why a JSON value is not an audit event: the field that is wrong and the type it must
/// have, found by deserializing it again with its path tracked. Never the value: a
/// malformed event's values may be anything, secrets included.
pub(crate) fn why_not_an_event<'de, D>(d: D) -> String
where
    D: serde::Deserializer<'de, Error = serde_json::Error>,
{
    let Err(e) = serde_path_to_error::deserialize::<_, Event<'de>>(d) else {
        return "not an audit event".to_string();
    };
    let path = e.path().to_string();
    let what = expected(e.inner());
    if path.is_empty() || path == "." {
        format!("not an audit event: the event {what}")
    } else {
        format!("not an audit event: field {path} {what}")
    }
}

/// The expectation of a serde data error (`invalid type: string "…", expected a string
/// at line 1 column 9` gives `must be a string`), without the value it quotes.
fn expected(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    // The value sits before these markers; the last occurrence is serde's own.
    let msg = match msg.rsplit_once(" at line ") {
        Some((m, _)) if e.line() > 0 => m,
        _ => msg.as_str(),
    };
    match msg.rsplit_once(", expected ") {
        Some((_, exp)) => format!("must be {exp}"),
        None => "has a value of the wrong form".to_string(),
    }
}

/// `user` / `impersonatedUser`: only the name is kept.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct UserInfo<'a> {
    #[serde(borrow, default)]
    pub username: Option<Str<'a>>,
}

/// `objectRef`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ObjectRef<'a> {
    #[serde(borrow, default)]
    pub resource: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub namespace: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub api_group: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub api_version: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub subresource: Option<Str<'a>>,
}

/// `responseStatus`: only the code is kept (its `message` may quote user data).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ResponseStatus {
    #[serde(default)]
    pub code: Option<i32>,
}

impl ObjectRef<'_> {
    /// The API group. Old v1beta1 events (before `apiGroup` existed) carry the group inside
    /// `apiVersion` (`rbac.authorization.k8s.io/v1beta1`).
    pub fn group(&self) -> &str {
        if let Some(g) = self.api_group.as_deref() {
            return g;
        }
        match self.api_version.as_deref() {
            Some(v) => v.rsplit_once('/').map_or("", |(g, _)| g),
            None => "",
        }
    }
}

/// Parses an RFC 3339 time into microseconds since the Unix epoch.
///
/// The fast path reads the form the API server writes (`2018-10-26T14:26:34.238974Z`)
/// without allocation; any other valid RFC 3339 form (offsets, lowercase `t`) goes through
/// chrono.
pub(crate) fn parse_micros(s: &str) -> Option<i64> {
    fast_micros(s.as_bytes()).or_else(|| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_micros())
    })
}

fn fast_micros(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut micros = 0i64;
    let rest = &b[19..b.len() - 1];
    if !rest.is_empty() {
        if rest[0] != b'.' || rest.len() < 2 || rest.len() > 10 {
            return None;
        }
        let mut scale = 100_000i64;
        for &c in &rest[1..] {
            if !c.is_ascii_digit() {
                return None;
            }
            micros += i64::from(c - b'0') * scale;
            scale /= 10;
        }
    }
    let days = days_from_civil(y, mo, d);
    if d > days_in_month(y, mo) {
        return None;
    }
    Some(((days * 24 + h) * 60 + mi) * 60_000_000 + s * 1_000_000 + micros)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A request key from its `auditID`: the 128 bits of a canonical UUID, or a hash of any
/// other string.
pub(crate) fn audit_key(id: &str) -> u128 {
    let b = id.as_bytes();
    if b.len() == 36 {
        let mut v: u128 = 0;
        let mut ok = true;
        for (i, &c) in b.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                ok &= c == b'-';
                continue;
            }
            match (c as char).to_digit(16) {
                Some(d) => v = (v << 4) | u128::from(d),
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return v;
        }
    }
    // Not a UUID: two independent 64-bit FNV-1a hashes.
    let mut h1: u64 = 0xcbf2_9ce4_8422_2325;
    let mut h2: u64 = 0x6c62_272e_07bb_0142;
    for &c in b {
        h1 = (h1 ^ u64::from(c)).wrapping_mul(0x0000_0100_0000_01b3);
        h2 = (h2 ^ u64::from(c))
            .wrapping_mul(0x0000_0100_0000_01b3)
            .rotate_left(7);
    }
    (u128::from(h1) << 64) | u128::from(h2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_agrees_with_chrono() {
        for s in [
            "2018-10-26T14:26:34.238974Z",
            "2017-09-11T19:55:05Z",
            "2024-02-29T23:59:59.999999Z",
            "1970-01-01T00:00:00Z",
            "2026-12-31T00:00:00.5Z",
            "2000-03-01T12:00:00.123456789Z",
        ] {
            let want = chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .timestamp_micros();
            assert_eq!(fast_micros(s.as_bytes()), Some(want), "{s}");
        }
    }

    #[test]
    fn offsets_and_bad_times() {
        assert_eq!(
            parse_micros("2018-10-26T16:26:34+02:00"),
            parse_micros("2018-10-26T14:26:34Z")
        );
        assert_eq!(parse_micros("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse_micros("yesterday"), None);
        assert_eq!(parse_micros("2018-10-26 14:26:34"), None);
    }

    #[test]
    fn old_object_refs_carry_the_group_in_api_version() {
        let r: ObjectRef = serde_json::from_str(
            r#"{"resource":"roles","apiVersion":"rbac.authorization.k8s.io/v1beta1"}"#,
        )
        .unwrap();
        assert_eq!(r.group(), "rbac.authorization.k8s.io");
        let r: ObjectRef =
            serde_json::from_str(r#"{"resource":"pods","apiVersion":"v1","apiGroup":""}"#).unwrap();
        assert_eq!(r.group(), "");
    }

    #[test]
    fn strings_are_borrowed_unless_escaped() {
        let r: ObjectRef = serde_json::from_str(r#"{"name":"plain","namespace":"a\\b"}"#).unwrap();
        assert!(matches!(r.name.unwrap().0, Cow::Borrowed("plain")));
        assert!(matches!(r.namespace.unwrap().0, Cow::Owned(ref s) if s == "a\\b"));
    }

    #[test]
    fn audit_keys_distinguish_ids() {
        let a = audit_key("c97244c7-4aec-4714-946a-8204d00ecdca");
        assert_eq!(a, 0xc97244c74aec4714946a8204d00ecdca);
        assert_ne!(audit_key("x1"), audit_key("x2"));
    }
}
