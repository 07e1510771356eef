//! The per-chunk partial summary, and how partials merge.
//!
//! A chunk of lines is parsed into an [`Acc`] on a rayon worker; the reader then merges the
//! chunks of a file *in order* into one [`Acc`]. Everything in an `Acc` is bounded by the
//! number of distinct users, verbs, resources and Secrets, by the number of time buckets
//! (period / gap threshold), and by the number of RBAC changes and execs — never by the
//! number of events.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::event::{Event, audit_key, parse_micros, why_not_an_event};

/// A small fast hasher for the count maps (keys are short strings from the log).
#[derive(Default, Clone, Copy)]
pub(crate) struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// The period and threshold every chunk applies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Gap threshold, microseconds (also the bucket width of the timeline).
    pub gap: i64,
    pub max_problems: usize,
}

/// A request, borrowed from the line it was parsed from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Req<'a> {
    pub time: i64,
    pub verb: &'a str,
    pub user: &'a str,
    pub imp: Option<&'a str>,
    pub group: &'a str,
    pub resource: Option<&'a str>,
    pub sub: Option<&'a str>,
    pub ns: Option<&'a str>,
    pub name: Option<&'a str>,
    pub code: Option<i32>,
    pub audit_id: Option<&'a str>,
}

/// A request whose final stage has not been seen yet.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    rank: u8,
    time: i64,
    verb: String,
    user: String,
    imp: Option<String>,
    group: String,
    resource: Option<String>,
    sub: Option<String>,
    ns: Option<String>,
    name: Option<String>,
    code: Option<i32>,
    audit_id: Option<String>,
}

impl Pending {
    fn new(r: &Req<'_>, rank: u8) -> Self {
        let o = |s: Option<&str>| s.map(str::to_string);
        Pending {
            rank,
            time: r.time,
            verb: r.verb.to_string(),
            user: r.user.to_string(),
            imp: o(r.imp),
            group: r.group.to_string(),
            resource: o(r.resource),
            sub: o(r.sub),
            ns: o(r.ns),
            name: o(r.name),
            code: r.code,
            audit_id: o(r.audit_id),
        }
    }
    fn req(&self) -> Req<'_> {
        Req {
            time: self.time,
            verb: &self.verb,
            user: &self.user,
            imp: self.imp.as_deref(),
            group: &self.group,
            resource: self.resource.as_deref(),
            sub: self.sub.as_deref(),
            ns: self.ns.as_deref(),
            name: self.name.as_deref(),
            code: self.code,
            audit_id: self.audit_id.as_deref(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RbacRow {
    pub time: i64,
    pub user: String,
    pub imp: Option<String>,
    pub verb: String,
    pub resource: String,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub code: Option<i32>,
    pub audit_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExecRow {
    pub time: i64,
    pub user: String,
    pub imp: Option<String>,
    pub sub: String,
    pub ns: Option<String>,
    pub pod: Option<String>,
    pub code: Option<i32>,
}

/// Key of a Secret-access row (user, impersonated user, verb, namespace, name) or of an
/// access aggregate (user, impersonated user, verb, resource, namespace), encoded into
/// one string by [`push_field`] so that a request is looked up without allocating.
pub(crate) type RowKey = String;

/// Appends one field of a [`RowKey`]: `\x01` + text, or `\x02` for none, then `\x00`.
/// A NUL inside the text (only a `\u0000` escape in the log can make one) becomes U+FFFD.
fn push_field(key: &mut String, v: Option<&str>) {
    match v {
        Some(t) if t.as_bytes().contains(&0) => {
            key.push('\x01');
            key.push_str(&t.replace('\0', "\u{fffd}"));
        }
        Some(t) => {
            key.push('\x01');
            key.push_str(t);
        }
        None => key.push('\x02'),
    }
    key.push('\0');
}

/// The fields of a [`RowKey`].
pub(crate) fn key_fields(key: &str) -> Vec<Option<String>> {
    key.split_terminator('\0')
        .map(|f| f.strip_prefix('\x01').map(str::to_string))
        .collect()
}

/// Most rows of RBAC changes and execs kept per chunk and in all (the summary's cap).
const MAX_ROWS: usize = crate::model::audit_log::MAX_LISTED;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Agg {
    pub count: u64,
    pub denied: u64,
    pub first: i64,
    pub last: i64,
}

impl Agg {
    fn new(t: i64) -> Self {
        Agg {
            count: 0,
            denied: 0,
            first: t,
            last: t,
        }
    }
    fn add(&mut self, t: i64, denied: bool) {
        self.count += 1;
        self.denied += u64::from(denied);
        self.first = self.first.min(t);
        self.last = self.last.max(t);
    }
    fn merge(&mut self, o: &Agg) {
        self.count += o.count;
        self.denied += o.denied;
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
    }
}

/// A partial (or whole) summary.
#[derive(Debug, Default)]
pub(crate) struct Acc {
    /// Lines seen (chunk-relative numbering for problems).
    pub lines: u64,
    /// Event objects read (per file).
    pub objects: u64,
    /// Lines or objects that were not events (per file).
    pub malformed: u64,
    pub events: u64,
    pub outside: u64,
    pub duplicate_stages: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Timeline: bucket index → (earliest, latest) event time in it.
    pub buckets: FxMap<i64, (i64, i64)>,
    pub by_verb: FxMap<String, u64>,
    pub by_resource: FxMap<String, u64>,
    pub by_user: FxMap<String, u64>,
    /// The first [`MAX_ROWS`] RBAC changes read.
    pub rbac: Vec<RbacRow>,
    /// RBAC changes in all.
    pub rbac_total: u64,
    /// The first [`MAX_ROWS`] execs read, and every one by a ServiceAccount.
    pub execs: Vec<ExecRow>,
    /// Execs and attaches in all.
    pub execs_total: u64,
    pub secrets: FxMap<RowKey, Agg>,
    /// RBAC changes, Secret access, exec and attach by user, impersonated user, verb,
    /// resource and namespace.
    pub access: FxMap<RowKey, Agg>,
    pub access_scratch: String,
    pub denied: FxMap<(String, Option<String>), Agg>,
    /// Index of the file this chunk came from.
    pub file: usize,
    /// (file index, line, reason); line relative to the chunk until merged.
    pub problems: Vec<(usize, u64, String)>,
    pub problems_total: u64,
    /// Requests summarised from a final stage in this chunk (to settle earlier pendings).
    pub finals: Vec<u128>,
    /// Requests seen only at a non-final stage so far.
    pub pending: FxMap<u128, Pending>,
    pub scratch: String,
}

fn stage_rank(stage: Option<&str>) -> u8 {
    match stage {
        Some("RequestReceived") => 1,
        Some("ResponseStarted") => 2,
        // ResponseComplete, Panic, or no stage (treated as a whole request).
        _ => 3,
    }
}

fn bump(map: &mut FxMap<String, u64>, key: &str) {
    if let Some(v) = map.get_mut(key) {
        *v += 1;
    } else {
        map.insert(key.to_string(), 1);
    }
}

/// Counts a request into the aggregate under `key`, allocating the key only when new.
fn add_to(map: &mut FxMap<RowKey, Agg>, key: &str, t: i64, denied: bool) {
    if let Some(a) = map.get_mut(key) {
        a.add(t, denied);
    } else {
        let mut a = Agg::new(t);
        a.add(t, denied);
        map.insert(key.to_string(), a);
    }
}

fn cut(s: &str) -> String {
    const MAX: usize = 120;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl Acc {
    /// Records a problem at a (chunk-relative) line.
    pub fn problem(&mut self, line: u64, reason: String, lim: &Limits) {
        self.malformed += 1;
        self.problems_total += 1;
        if self.problems.len() < lim.max_problems {
            self.problems.push((self.file, line, reason));
        }
    }

    /// Parses and applies one line (without its newline). `text` is the same line when
    /// it is already known to be UTF-8, which spares serde_json checking every string.
    pub fn line(
        &mut self,
        line: &[u8],
        text: Option<&str>,
        rel: u64,
        truncated: bool,
        lim: &Limits,
    ) {
        let parsed = match text {
            Some(t) => serde_json::from_str::<Event<'_>>(t),
            None => serde_json::from_slice::<Event<'_>>(line),
        };
        match parsed {
            Ok(ev) => self.event(&ev, rel, "", lim),
            Err(e) => {
                let what = if truncated && e.is_eof() {
                    "truncated last line (no newline, incomplete JSON)".to_string()
                } else if e.is_syntax() || e.is_eof() {
                    // Syntax errors name a position and the token expected, not a value.
                    format!("not valid JSON: {}", cut(&e.to_string()))
                } else {
                    match text {
                        Some(t) => why_not_an_event(&mut serde_json::Deserializer::from_str(t)),
                        None => why_not_an_event(&mut serde_json::Deserializer::from_slice(line)),
                    }
                };
                self.problem(rel, what, lim);
            }
        }
    }

    /// Applies one parsed object (an Event, or an EventList's items).
    pub fn event(&mut self, ev: &Event<'_>, rel: u64, at: &str, lim: &Limits) {
        match ev.kind.as_deref() {
            None | Some("Event") => {}
            Some("EventList") => {
                match &ev.items {
                    Some(items) => {
                        for (i, item) in items.iter().enumerate() {
                            self.event(item, rel, &format!("{at}items[{i}]: "), lim);
                        }
                    }
                    None => self.problem(rel, format!("{at}EventList without items"), lim),
                }
                return;
            }
            Some(_) => {
                self.problem(
                    rel,
                    format!("{at}field kind must be Event or EventList"),
                    lim,
                );
                return;
            }
        }
        match request(ev) {
            Ok(req) => {
                self.objects += 1;
                self.stage(&req, stage_rank(ev.stage.as_deref()), lim);
            }
            Err(what) => self.problem(rel, format!("{at}{what}"), lim),
        }
    }

    /// Takes one stage of a request: a final stage is recorded (and settles an earlier
    /// stage of it); an earlier stage waits, keeping the latest stage and the earliest
    /// time. Without an auditID stages cannot be matched: each event is a request.
    fn stage(&mut self, req: &Req<'_>, rank: u8, lim: &Limits) {
        let Some(id) = req.audit_id.map(audit_key) else {
            self.record(req, lim);
            return;
        };
        if rank == 3 {
            if self.pending.remove(&id).is_some() {
                self.duplicate_stages += 1;
            }
            self.finals.push(id);
            self.record(req, lim);
            return;
        }
        match self.pending.get_mut(&id) {
            Some(p) => {
                self.duplicate_stages += 1;
                if rank >= p.rank {
                    let t = p.time.min(req.time);
                    *p = Pending::new(req, rank);
                    p.time = t;
                }
            }
            None => {
                self.pending.insert(id, Pending::new(req, rank));
            }
        }
    }

    /// Summarises one request (or counts it as outside the period).
    pub fn record(&mut self, r: &Req<'_>, lim: &Limits) {
        if lim.since.is_some_and(|s| r.time < s) || lim.until.is_some_and(|u| r.time >= u) {
            self.outside += 1;
            return;
        }
        self.events += 1;
        self.first = Some(self.first.map_or(r.time, |f| f.min(r.time)));
        self.last = Some(self.last.map_or(r.time, |l| l.max(r.time)));
        let b = self
            .buckets
            .entry(r.time.div_euclid(lim.gap))
            .or_insert((r.time, r.time));
        b.0 = b.0.min(r.time);
        b.1 = b.1.max(r.time);

        bump(&mut self.by_verb, r.verb);
        bump(&mut self.by_user, r.imp.unwrap_or(r.user));
        let mut key = std::mem::take(&mut self.scratch);
        key.clear();
        match r.resource {
            Some(res) => {
                key.push_str(res);
                if !r.group.is_empty() {
                    key.push('.');
                    key.push_str(r.group);
                }
                if let Some(sub) = r.sub {
                    key.push('/');
                    key.push_str(sub);
                }
            }
            None => key.push_str("(non-resource)"),
        }
        bump(&mut self.by_resource, &key);
        self.scratch = key;

        let denied = r.code == Some(403);
        let res = r.resource.unwrap_or("");
        let rbac = r.group == "rbac.authorization.k8s.io"
            && matches!(
                res,
                "roles" | "clusterroles" | "rolebindings" | "clusterrolebindings"
            )
            && matches!(
                r.verb,
                "create" | "update" | "patch" | "delete" | "deletecollection"
            );
        let secret = r.group.is_empty() && res == "secrets";
        let exec = r.group.is_empty() && res == "pods" && matches!(r.sub, Some("exec" | "attach"));
        if rbac || secret || exec {
            // `self.scratch` still holds the resource key counted above.
            let mut k = std::mem::take(&mut self.access_scratch);
            k.clear();
            push_field(&mut k, Some(r.user));
            push_field(&mut k, r.imp);
            push_field(&mut k, Some(r.verb));
            push_field(&mut k, Some(&self.scratch));
            push_field(&mut k, r.ns);
            add_to(&mut self.access, &k, r.time, denied);
            if secret {
                k.clear();
                push_field(&mut k, Some(r.user));
                push_field(&mut k, r.imp);
                push_field(&mut k, Some(r.verb));
                push_field(&mut k, r.ns);
                push_field(&mut k, r.name);
                add_to(&mut self.secrets, &k, r.time, denied);
            }
            self.access_scratch = k;
        }
        if rbac {
            self.rbac_total += 1;
            if self.rbac.len() < MAX_ROWS {
                self.rbac.push(RbacRow {
                    time: r.time,
                    user: r.user.to_string(),
                    imp: r.imp.map(str::to_string),
                    verb: r.verb.to_string(),
                    resource: res.to_string(),
                    ns: r.ns.map(str::to_string),
                    name: r.name.map(str::to_string),
                    code: r.code,
                    audit_id: r.audit_id.map(str::to_string),
                });
            }
        }
        if exec {
            self.execs_total += 1;
            let sa = r
                .imp
                .unwrap_or(r.user)
                .starts_with("system:serviceaccount:");
            if self.execs.len() < MAX_ROWS || sa {
                self.execs.push(ExecRow {
                    time: r.time,
                    user: r.user.to_string(),
                    imp: r.imp.map(str::to_string),
                    sub: r.sub.unwrap_or_default().to_string(),
                    ns: r.ns.map(str::to_string),
                    pod: r.name.map(str::to_string),
                    code: r.code,
                });
            }
        }
        if denied {
            self.denied
                .entry((r.user.to_string(), r.imp.map(str::to_string)))
                .or_insert_with(|| Agg::new(r.time))
                .add(r.time, true);
        }
    }

    /// Merges a later chunk into this one. `line_base` is added to the chunk's problem
    /// lines.
    pub fn merge(&mut self, mut o: Acc, line_base: u64, lim: &Limits) {
        // Final stages in the later chunk settle requests pending from earlier ones.
        if !self.pending.is_empty() {
            for id in &o.finals {
                if self.pending.remove(id).is_some() {
                    self.duplicate_stages += 1;
                }
            }
        }
        for (id, p) in o.pending.drain() {
            match self.pending.get_mut(&id) {
                Some(mine) => {
                    self.duplicate_stages += 1;
                    if p.rank >= mine.rank {
                        let t = mine.time.min(p.time);
                        *mine = p;
                        mine.time = t;
                    }
                }
                None => {
                    self.pending.insert(id, p);
                }
            }
        }
        self.lines += o.lines;
        self.objects += o.objects;
        self.malformed += o.malformed;
        self.events += o.events;
        self.outside += o.outside;
        self.duplicate_stages += o.duplicate_stages;
        self.first = match (self.first, o.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, o.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (k, (lo, hi)) in o.buckets {
            let b = self.buckets.entry(k).or_insert((lo, hi));
            b.0 = b.0.min(lo);
            b.1 = b.1.max(hi);
        }
        for (mine, theirs) in [
            (&mut self.by_verb, o.by_verb),
            (&mut self.by_resource, o.by_resource),
            (&mut self.by_user, o.by_user),
        ] {
            for (k, v) in theirs {
                *mine.entry(k).or_default() += v;
            }
        }
        // The first rows read, in read order: the same whatever the chunk cuts.
        let room = MAX_ROWS.saturating_sub(self.rbac.len());
        self.rbac.extend(o.rbac.into_iter().take(room));
        self.rbac_total += o.rbac_total;
        let mut listed = self.execs.len();
        for e in o.execs {
            let sa = e
                .imp
                .as_deref()
                .unwrap_or(&e.user)
                .starts_with("system:serviceaccount:");
            if listed < MAX_ROWS || sa {
                listed += 1;
                self.execs.push(e);
            }
        }
        self.execs_total += o.execs_total;
        for (mine, theirs) in [(&mut self.secrets, o.secrets), (&mut self.access, o.access)] {
            for (k, a) in theirs {
                match mine.get_mut(&k) {
                    Some(m) => m.merge(&a),
                    None => {
                        mine.insert(k, a);
                    }
                }
            }
        }
        for (k, a) in o.denied {
            match self.denied.get_mut(&k) {
                Some(m) => m.merge(&a),
                None => {
                    self.denied.insert(k, a);
                }
            }
        }
        self.problems_total += o.problems_total;
        for (file, line, reason) in o.problems {
            if self.problems.len() < lim.max_problems {
                self.problems.push((file, line + line_base, reason));
            }
        }
    }

    /// Summarises the requests whose final stage never appeared (long-running requests cut
    /// by the end of the log, or policies that omit `ResponseComplete`): each once, with
    /// the latest stage seen.
    pub fn settle(&mut self, lim: &Limits) {
        let mut pending: Vec<Pending> = std::mem::take(&mut self.pending).into_values().collect();
        pending.sort_by(|a, b| (a.time, &a.audit_id).cmp(&(b.time, &b.audit_id)));
        for p in &pending {
            self.record(&p.req(), lim);
        }
        self.finals.clear();
    }
}

/// The request an event describes, or why it is not one this summary can use.
fn request<'e>(ev: &'e Event<'_>) -> Result<Req<'e>, String> {
    match ev.api_version.as_deref() {
        None | Some("audit.k8s.io/v1") | Some("audit.k8s.io/v1beta1") => {}
        Some(_) => {
            return Err(
                "field apiVersion must be audit.k8s.io/v1 or audit.k8s.io/v1beta1 (unknown version)"
                    .into(),
            );
        }
    }
    let time = event_time(ev)?;
    let Some(verb) = ev.verb.as_deref() else {
        return Err("event without a verb".into());
    };
    let Some(user) = ev.user.as_ref().and_then(|u| u.username.as_deref()) else {
        return Err("event without user.username".into());
    };
    let oref = ev.object_ref.as_ref();
    Ok(Req {
        time,
        verb,
        user,
        imp: ev
            .impersonated_user
            .as_ref()
            .and_then(|u| u.username.as_deref()),
        group: oref.map_or("", |o| o.group()),
        resource: oref.and_then(|o| o.resource.as_deref()),
        sub: oref.and_then(|o| o.subresource.as_deref()),
        ns: oref.and_then(|o| o.namespace.as_deref()),
        name: oref.and_then(|o| o.name.as_deref()),
        code: ev.response_status.as_ref().and_then(|s| s.code),
        audit_id: ev.audit_id.as_deref(),
    })
}

/// An event's time in microseconds, from the first of its time fields that is present.
fn event_time(ev: &Event<'_>) -> Result<i64, String> {
    let Some(ts) = ev.time_text() else {
        return Err(
            "event without a time (requestReceivedTimestamp, timestamp or stageTimestamp)".into(),
        );
    };
    parse_micros(ts).ok_or_else(|| {
        let field = if ev.request_received_timestamp.is_some() {
            "requestReceivedTimestamp"
        } else if ev.timestamp.is_some() {
            "timestamp"
        } else {
            "stageTimestamp"
        };
        format!("field {field} must be an RFC 3339 time")
    })
}
