//! Streaming summary of Kubernetes audit logs: evidence that changes are monitored
//! (SOC2 CC7.2, HIPAA 164.312(b)).
//!
//! [`summarize`] reads audit logs — `audit.k8s.io/v1` or `v1beta1` `Event`s one per line
//! as the log backend writes them, or whole `EventList` documents, plain or gzip (detected
//! by magic bytes), rotated files in any number — and returns a [`Summary`]: the period
//! covered, gaps in the timeline, RBAC changes, Secret access, `exec`/`attach` into pods,
//! denied requests, and counts by verb, resource and user.
//!
//! Design, for speed and flat memory:
//! - One reader thread reads each file with large buffered reads, un-gzips it, hashes its
//!   bytes (SHA-256) and cuts the text into ~2 MiB chunks that end at a newline.
//! - Chunks are parsed in parallel on rayon, a bounded number in flight. Each line is
//!   deserialized into a borrowed struct holding only the fields the summary needs;
//!   `requestObject` and `responseObject` are skipped by the parser and never copied.
//! - Per-chunk partial summaries are merged in file order. What is kept is bounded by the
//!   number of users, verbs, resources, Secrets, RBAC changes and execs — never by the
//!   number of events.
//!
//! Stages: the API server may write one request several times (`RequestReceived`,
//! `ResponseStarted`, `ResponseComplete`, `Panic`) under one `auditID`. A request is
//! counted once: at its `ResponseComplete` or `Panic` event (whose response code is used);
//! a request seen only at earlier stages (a watch or exec cut off by the end of the log,
//! or a policy that omits later stages) is counted once at the end with the latest stage
//! seen. The time of a request is its `requestReceivedTimestamp` (`timestamp` in old
//! v1beta1 events, else `stageTimestamp`).

mod acc;
mod event;
mod markdown;
mod read;

use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

pub use crate::model::audit_log::{
    AccessAggregate, AuditLogDetail as Detail, AuditLogSummary as Summary, Denied, Exec, FileStat,
    Gap, KIND, MAX_LISTED, Problem, RbacChange, SecretAccess,
};

use acc::{Acc, Limits};
use event::Event;
use read::{Msg, read_all};

/// How to summarise.
#[derive(Debug, Clone)]
pub struct Options {
    /// Start of the period (inclusive). Requests before it are counted as `outside`.
    pub since: Option<DateTime<Utc>>,
    /// End of the period (exclusive). Requests at or after it are counted as `outside`.
    pub until: Option<DateTime<Utc>>,
    /// A stretch without events longer than this is a gap (at least one second).
    pub gap_threshold: Duration,
    /// Record the SHA-256 of every file read.
    pub hash_files: bool,
    /// At most this many problems are listed (all are counted).
    pub max_problems: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            since: None,
            until: None,
            gap_threshold: Duration::from_secs(3600),
            hash_files: true,
            max_problems: 100,
        }
    }
}

/// Errors of the audit-log summary. Bad lines inside a log are not errors: they are
/// `Problem`s in the summary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditLogError {
    /// No input was given.
    #[error("no audit log given: name one or more files, folders or globs")]
    NoInput,
    /// A named file does not exist.
    #[error("audit log {path} does not exist: check the path")]
    NotFound {
        /// The path.
        path: String,
    },
    /// A glob matched nothing.
    #[error("no file matches {pattern}: check the pattern (quote it so auditpack expands it)")]
    NoMatch {
        /// The pattern.
        pattern: String,
    },
    /// A glob is not a valid pattern.
    #[error("{pattern} is not a valid glob pattern")]
    BadGlob {
        /// The pattern.
        pattern: String,
        /// Cause.
        source: glob::PatternError,
    },
    /// A log file refused by the input rules of `crate::infile` (a FIFO or device, a
    /// link out of its folder).
    #[error(transparent)]
    Input(#[from] crate::infile::InputError),
    /// A file or folder could not be read.
    #[error("cannot read audit log {path}")]
    Open {
        /// The path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A time is neither RFC 3339 nor a date.
    #[error("{value:?} is not an RFC 3339 time (2026-01-01T00:00:00Z) or a date (2026-01-01)")]
    BadTime {
        /// The value given.
        value: String,
    },
    /// A duration could not be read.
    #[error(
        "{value:?} is not a duration of at least one second ({reason}); examples: 90m, 1h, 1h30m, 2d, 3600s"
    )]
    BadDuration {
        /// The value given.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// `since` is not before `until`.
    #[error("the period is empty: --since {since:?} is not before --until {until:?}")]
    EmptyPeriod {
        /// Start.
        since: DateTime<Utc>,
        /// End.
        until: DateTime<Utc>,
    },
}

/// Reads a `--since` (`end = false`) or `--until` (`end = true`) value: RFC 3339, or a
/// date `YYYY-MM-DD` (UTC). `--until` is exclusive: a date means the end of that day, so
/// `--until 2026-03-31` includes March 31 (see `crate::model::period`).
pub fn parse_time(value: &str, end: bool) -> Result<DateTime<Utc>, AuditLogError> {
    let parsed = if end {
        crate::model::period::parse_until(value)
    } else {
        crate::model::period::parse_start(value)
    };
    parsed.map_err(|e| AuditLogError::BadTime { value: e.value })
}

/// Reads a duration such as `90m`, `1h`, `1h30m`, `2d`, `1w`, `45s` (humantime's forms,
/// which also allow spaces and long unit names: `1h 30min`) or a plain number of seconds.
/// It must be a whole number of seconds, at least one.
pub fn parse_duration(value: &str) -> Result<Duration, AuditLogError> {
    let bad = |reason: String| AuditLogError::BadDuration {
        value: value.to_string(),
        reason,
    };
    let v = value.trim();
    let d = match v.parse::<u64>() {
        Ok(n) => Duration::from_secs(n),
        Err(_) => humantime::parse_duration(v).map_err(|e| bad(e.to_string()))?,
    };
    if d.subsec_nanos() != 0 {
        return Err(bad("not a whole number of seconds".into()));
    }
    if d.is_zero() {
        return Err(bad("zero".into()));
    }
    Ok(d)
}

/// Expands the inputs into the files to read, in order: a file as is; a folder into its
/// regular files sorted by name; a glob (`*`, `?`, `[`) into its matches sorted by name
/// (so `audit-<time>.log.gz` rotations come before `audit.log`). A path named twice is read
/// once.
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, AuditLogError> {
    if inputs.is_empty() {
        return Err(AuditLogError::NoInput);
    }
    let mut out: Vec<PathBuf> = Vec::new();
    let push = |p: PathBuf, out: &mut Vec<PathBuf>| {
        if !out.contains(&p) {
            out.push(p);
        }
    };
    for input in inputs {
        let text = input.to_string_lossy();
        if input.is_dir() {
            let open = |source| AuditLogError::Open {
                path: text.to_string(),
                source,
            };
            let mut files: Vec<PathBuf> = Vec::new();
            for entry in std::fs::read_dir(input).map_err(open)? {
                let entry = entry.map_err(open)?;
                // The entry itself, not what a link points to: a link is read only if it
                // stays in the folder (see `read`), a FIFO or device never.
                let kind = entry.file_type().map_err(open)?;
                if kind.is_file() || kind.is_symlink() {
                    files.push(entry.path());
                } else if !kind.is_dir() {
                    return Err(crate::infile::InputError::NotRegular {
                        path: entry.path(),
                        what: crate::infile::describe(&kind),
                    }
                    .into());
                }
            }
            if files.is_empty() {
                return Err(AuditLogError::NoMatch {
                    pattern: format!("{text}/*"),
                });
            }
            files.sort();
            for f in files {
                push(f, &mut out);
            }
        } else if input.exists() {
            push(input.clone(), &mut out);
        } else if text.contains(['*', '?', '[']) {
            let paths = glob::glob(&text).map_err(|source| AuditLogError::BadGlob {
                pattern: text.to_string(),
                source,
            })?;
            let mut files: Vec<PathBuf> = Vec::new();
            for p in paths {
                let p = p.map_err(|e| AuditLogError::Open {
                    path: e.path().display().to_string(),
                    source: std::io::Error::new(e.error().kind(), e.error().to_string()),
                })?;
                if std::fs::symlink_metadata(&p).is_ok_and(|m| !m.is_dir()) {
                    files.push(p);
                }
            }
            if files.is_empty() {
                return Err(AuditLogError::NoMatch {
                    pattern: text.to_string(),
                });
            }
            files.sort();
            for f in files {
                push(f, &mut out);
            }
        } else {
            return Err(AuditLogError::NotFound {
                path: text.to_string(),
            });
        }
    }
    Ok(out)
}

/// Summarises audit logs: `paths` are files, folders or globs (see `expand_inputs`).
/// Files are read in the order of their first events' times (files that do not start with
/// a timed event first), so rotated files may be named in any order.
///
/// Errors only when an input cannot be found or opened; anything wrong inside a log is
/// reported in [`Summary::problems`].
pub fn summarize(paths: &[PathBuf], opts: &Options) -> Result<Summary, AuditLogError> {
    summarize_with_detail(paths, opts).map(|(s, _)| s)
}

/// [`summarize`], also returning the detail document: every aggregate the summary's
/// lists are capped from.
pub fn summarize_with_detail(
    paths: &[PathBuf],
    opts: &Options,
) -> Result<(Summary, Detail), AuditLogError> {
    let mut files = expand_inputs(paths)?;
    // Read rotated files in the order they were written, whatever order they were named
    // in, so that a request's stages are met first to last across files (a final stage met
    // before its first stage would count the request twice).
    if files.len() > 1 {
        let mut keyed: Vec<(i64, PathBuf)> = files
            .into_iter()
            .map(|f| (read::first_event_time(&f).unwrap_or(i64::MIN), f))
            .collect();
        keyed.sort_by_key(|(t, _)| *t);
        files = keyed.into_iter().map(|(_, f)| f).collect();
    }
    if let (Some(since), Some(until)) = (opts.since, opts.until)
        && since >= until
    {
        return Err(AuditLogError::EmptyPeriod { since, until });
    }
    // Every file is checked before any is read: a link out of its folder, a FIFO or a
    // device stops the run by name.
    for f in &files {
        crate::infile::open_named(f)?;
    }
    let gap_secs = opts.gap_threshold.as_secs().max(1);
    let lim = Limits {
        since: opts.since.map(|t| t.timestamp_micros()),
        until: opts.until.map(|t| t.timestamp_micros()),
        gap: i64::try_from(gap_secs)
            .unwrap_or(i64::MAX / 2_000_000)
            .saturating_mul(1_000_000),
        max_problems: opts.max_problems,
    };
    let threads = rayon::current_num_threads().max(1);
    let (tx, rx) = sync_channel::<Msg>(threads * 2);
    let (pool_tx, pool_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let (res_tx, res_rx) = std::sync::mpsc::channel::<Parsed>();
    let pipe = Pipe {
        res_tx,
        res_rx,
        pool: pool_tx,
        max: threads * 2 + 1,
    };
    let mut global = Acc::default();
    let mut stats: Vec<FileStat> = Vec::new();
    let hash = opts.hash_files;
    let result = std::thread::scope(|scope| {
        let files_ref = &files;
        scope.spawn(move || read_all(files_ref, hash, &tx, &pool_rx));
        let mut cur = FileRun::default();
        for msg in &rx {
            match msg {
                Msg::Start { file, gzip } => {
                    cur = FileRun {
                        file,
                        gzip,
                        ..FileRun::default()
                    };
                }
                Msg::Chunk { data } => {
                    if cur.mode == Mode::Unknown {
                        cur.mode = detect(&data);
                    }
                    match cur.mode {
                        Mode::Document => cur.doc.extend_from_slice(&data),
                        _ => cur.spawn(data, &mut global, &lim, &pipe),
                    }
                }
                Msg::LongLine => {
                    cur.flush(&mut global, &lim, &pipe);
                    cur.skip_line(&mut global, &lim);
                }
                Msg::ReadError { error } => {
                    cur.flush(&mut global, &lim, &pipe);
                    cur.read_error = Some(error);
                }
                Msg::End { sha256 } => {
                    cur.flush(&mut global, &lim, &pipe);
                    stats.push(cur.finish(&mut global, &lim, &files[cur.file], sha256));
                }
                Msg::OpenError { file, error } => {
                    return Err(AuditLogError::Open {
                        path: files[file].display().to_string(),
                        source: error,
                    });
                }
            }
        }
        Ok(())
    });
    result?;
    global.settle(&lim);
    Ok(build(global, stats, &files, opts, gap_secs))
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Mode {
    #[default]
    Unknown,
    Lines,
    Document,
}

/// A parsed chunk: its sequence number in the file, its partial summary, its buffer.
type Parsed = (u64, Acc, Vec<u8>);

/// Chunks being parsed on rayon, and the way back for their results and buffers.
struct Pipe {
    res_tx: std::sync::mpsc::Sender<Parsed>,
    res_rx: std::sync::mpsc::Receiver<Parsed>,
    pool: std::sync::mpsc::Sender<Vec<u8>>,
    /// Chunks in flight at most (bounds memory).
    max: usize,
}

/// The file being read.
#[derive(Default)]
struct FileRun {
    next_spawn: u64,
    next_merge: u64,
    inflight: usize,
    ready: std::collections::BTreeMap<u64, Acc>,
    file: usize,
    gzip: bool,
    mode: Mode,
    doc: Vec<u8>,
    line_base: u64,
    lines: u64,
    objects: u64,
    malformed: u64,
    read_error: Option<std::io::Error>,
}

/// A file whose first non-blank line is the start of a JSON value but not a whole one is
/// read as one document (a pretty-printed `EventList`); anything else line by line.
fn detect(data: &[u8]) -> Mode {
    for line in data.split(|&b| b == b'\n') {
        let t = line.trim_ascii();
        if t.is_empty() {
            continue;
        }
        return match serde_json::from_slice::<serde::de::IgnoredAny>(t) {
            Ok(_) => Mode::Lines,
            Err(e) if e.is_eof() && matches!(t[0], b'{' | b'[') => Mode::Document,
            Err(_) => Mode::Lines,
        };
    }
    Mode::Unknown
}

impl FileRun {
    /// Hands a chunk to rayon, first taking in results while too many are in flight. No
    /// barrier: workers stay busy while the results are merged in order here.
    fn spawn(&mut self, data: Vec<u8>, global: &mut Acc, lim: &Limits, pipe: &Pipe) {
        while self.inflight >= pipe.max {
            let done = pipe.res_rx.recv().expect("the sender is held here");
            self.accept(done, global, lim, pipe);
        }
        while let Ok(done) = pipe.res_rx.try_recv() {
            self.accept(done, global, lim, pipe);
        }
        let (seq, file, lim2, tx) = (self.next_spawn, self.file, *lim, pipe.res_tx.clone());
        rayon::spawn(move || {
            let acc = parse_chunk(&data, file, &lim2);
            let _ = tx.send((seq, acc, data));
        });
        self.next_spawn += 1;
        self.inflight += 1;
    }

    /// Waits for every chunk in flight and merges them all.
    fn flush(&mut self, global: &mut Acc, lim: &Limits, pipe: &Pipe) {
        while self.inflight > 0 {
            let done = pipe.res_rx.recv().expect("the sender is held here");
            self.accept(done, global, lim, pipe);
        }
    }

    /// Takes in one result; merges every result now next in order.
    fn accept(&mut self, (seq, part, buf): Parsed, global: &mut Acc, lim: &Limits, pipe: &Pipe) {
        let _ = pipe.pool.send(buf);
        self.inflight -= 1;
        self.ready.insert(seq, part);
        while let Some(part) = self.ready.remove(&self.next_merge) {
            let lines = part.lines;
            self.lines += lines;
            self.objects += part.objects;
            self.malformed += part.malformed;
            global.merge(part, self.line_base, lim);
            self.line_base += lines;
            self.next_merge += 1;
        }
    }

    /// Records a line too long to read as a problem, and counts it.
    fn skip_line(&mut self, global: &mut Acc, lim: &Limits) {
        let mut part = Acc {
            file: self.file,
            ..Acc::default()
        };
        part.problem(
            self.line_base + 1,
            format!(
                "line longer than {} MiB: not an audit event, skipped",
                read::MAX_LINE >> 20
            ),
            lim,
        );
        self.lines += 1;
        self.line_base += 1;
        self.malformed += 1;
        global.merge(part, 0, lim);
    }

    fn finish(
        &mut self,
        global: &mut Acc,
        lim: &Limits,
        path: &Path,
        sha256: Option<String>,
    ) -> FileStat {
        if self.mode == Mode::Document {
            let mut part = parse_document(&self.doc, self.file, lim);
            if part.objects == 0 {
                // Not a document after all (say, a log whose first event was cut short):
                // read it line by line if that finds events.
                let lines = parse_chunk(&self.doc, self.file, lim);
                if lines.objects > 0 {
                    part = lines;
                    self.mode = Mode::Lines;
                }
            }
            self.lines += part.lines;
            self.objects += part.objects;
            self.malformed += part.malformed;
            global.merge(part, 0, lim);
            self.doc = Vec::new();
        }
        if let Some(e) = self.read_error.take() {
            let mut part = Acc {
                file: self.file,
                ..Acc::default()
            };
            let what = if self.gzip {
                "gzip stream is corrupt or truncated"
            } else {
                "read failed"
            };
            part.problem(
                self.lines + 1,
                format!(
                    "{what} after {} lines: {e}; the lines before were read",
                    self.lines
                ),
                lim,
            );
            self.malformed += 1;
            global.merge(part, 0, lim);
        }
        FileStat {
            path: path.display().to_string(),
            sha256,
            gzip: self.gzip,
            format: if self.mode == Mode::Document {
                "document"
            } else {
                "lines"
            }
            .to_string(),
            lines: self.lines,
            events: self.objects,
            malformed: self.malformed,
        }
    }
}

/// Parses one chunk of whole lines (the last line may be unterminated).
fn parse_chunk(data: &[u8], file: usize, lim: &Limits) -> Acc {
    let mut acc = Acc {
        file,
        ..Acc::default()
    };
    // One UTF-8 check for the whole chunk (fast on ASCII) instead of one per string.
    let text = std::str::from_utf8(data).ok();
    let mut start = 0usize;
    let mut rel = 0u64;
    let mut lines = memchr::memchr_iter(b'\n', data);
    loop {
        let (end, next, last) = match lines.next() {
            Some(nl) => (nl, nl + 1, false),
            None if start < data.len() => (data.len(), data.len(), true),
            None => break,
        };
        rel += 1;
        let mut line = &data[start..end];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if !line.trim_ascii().is_empty() {
            // Cut at ASCII bytes, so the same range of a valid chunk is valid UTF-8.
            let t = text.map(|t| &t[start..start + line.len()]);
            acc.line(line, t, rel, last, lim);
        }
        start = next;
        if last {
            break;
        }
    }
    acc.lines = rel;
    acc
}

/// Parses a file that is one JSON document: an `EventList`, one `Event`, or an array of
/// events. Each item is checked on its own, so one bad item does not hide the others.
fn parse_document(doc: &[u8], file: usize, lim: &Limits) -> Acc {
    let mut acc = Acc {
        file,
        ..Acc::default()
    };
    acc.lines = memchr::memchr_iter(b'\n', doc).count() as u64
        + u64::from(!doc.is_empty() && !doc.ends_with(b"\n"));
    let first = doc
        .split(|&b| b == b'\n')
        .position(|l| !l.trim_ascii().is_empty())
        .map_or(1, |i| i as u64 + 1);
    let value: serde_json::Value = match serde_json::from_slice(doc) {
        Ok(v) => v,
        Err(e) => {
            let what = if e.is_eof() {
                "document is truncated (incomplete JSON)"
            } else {
                "document is not valid JSON"
            };
            acc.problem(e.line() as u64, format!("{what}: {e}"), lim);
            return acc;
        }
    };
    let one = |acc: &mut Acc, v: &serde_json::Value, at: String| match Event::deserialize(v) {
        Ok(ev) => acc.event(&ev, first, &at, lim),
        Err(_) => acc.problem(first, format!("{at}{}", event::why_not_an_event(v)), lim),
    };
    match &value {
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                one(&mut acc, item, format!("[{i}]: "));
            }
        }
        serde_json::Value::Object(map) if map.get("items").is_some_and(|v| v.is_array()) => {
            let kind = map.get("kind").and_then(|k| k.as_str());
            let api = map.get("apiVersion").and_then(|k| k.as_str());
            if !matches!(kind, None | Some("EventList")) {
                acc.problem(first, "field kind must be EventList".to_string(), lim);
            } else if !matches!(api, None | Some("audit.k8s.io/v1" | "audit.k8s.io/v1beta1")) {
                acc.problem(
                    first,
                    "field apiVersion must be audit.k8s.io/v1 or audit.k8s.io/v1beta1 (unknown version)"
                        .to_string(),
                    lim,
                );
            } else if let Some(items) = map.get("items").and_then(|v| v.as_array()) {
                for (i, item) in items.iter().enumerate() {
                    one(&mut acc, item, format!("items[{i}]: "));
                }
            }
        }
        v => one(&mut acc, v, String::new()),
    }
    acc
}

fn micros(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t).unwrap_or_default()
}

fn gap(start: i64, end: i64) -> Gap {
    Gap {
        start: micros(start),
        end: micros(end),
        seconds: u64::try_from((end - start) / 1_000_000).unwrap_or(0),
    }
}

/// Turns the merged accumulator into the summary document (its lists capped at
/// [`MAX_LISTED`]) and the detail document (every aggregate).
fn build(
    acc: Acc,
    files: Vec<FileStat>,
    paths: &[PathBuf],
    opts: &Options,
    gap_secs: u64,
) -> (Summary, Detail) {
    let gaps = find_gaps(&acc, opts, gap_secs);
    let problems = acc
        .problems
        .into_iter()
        .map(|(f, line, reason)| Problem {
            file: paths[f].display().to_string(),
            line,
            reason,
        })
        .collect();
    let secrets = secret_rows(acc.secrets);
    let denied = denied_rows(acc.denied);
    let access = access_rows(acc.access);
    let capped = |n: usize| n.min(MAX_LISTED);
    let summary = Summary {
        api_version: crate::snapshot::API_VERSION.to_string(),
        kind: KIND.to_string(),
        since: opts.since,
        until: opts.until,
        first_event: acc.first.map(micros),
        last_event: acc.last.map(micros),
        events: acc.events,
        outside: acc.outside,
        duplicate_stages: acc.duplicate_stages,
        gap_threshold_seconds: gap_secs,
        gaps,
        files,
        problems,
        problems_total: acc.problems_total,
        rbac_changes: rbac_rows(acc.rbac),
        rbac_changes_total: acc.rbac_total,
        secret_access: secrets[..capped(secrets.len())].to_vec(),
        secret_access_total: secrets.len() as u64,
        execs: exec_rows(acc.execs),
        execs_total: acc.execs_total,
        denied: denied[..capped(denied.len())].to_vec(),
        denied_total: denied.len() as u64,
        access: access[..capped(access.len())].to_vec(),
        access_total: access.len() as u64,
        by_verb: acc.by_verb.into_iter().collect(),
        by_resource: acc.by_resource.into_iter().collect(),
        by_user: acc.by_user.into_iter().collect(),
    };
    let detail = Detail {
        access,
        secret_access: secrets,
        denied,
        ..Detail::new()
    };
    (summary, detail)
}

/// The silences longer than `gap_secs`: from `since` to the first event, between the
/// timeline's buckets, and from the last event to `until` (all of the period when no
/// event was read).
fn find_gaps(acc: &Acc, opts: &Options, gap_secs: u64) -> Vec<Gap> {
    let thr = i64::try_from(gap_secs).unwrap_or(i64::MAX / 2_000_000) * 1_000_000;
    let since = opts.since.map(|t| t.timestamp_micros());
    let until = opts.until.map(|t| t.timestamp_micros());
    let mut gaps = Vec::new();
    let (Some(first), Some(last)) = (acc.first, acc.last) else {
        if let (Some(s), Some(u)) = (since, until) {
            gaps.push(gap(s, u));
        }
        return gaps;
    };
    let mut buckets: Vec<(i64, (i64, i64))> = acc.buckets.iter().map(|(&k, &v)| (k, v)).collect();
    buckets.sort_unstable();
    if let Some(s) = since
        && first - s > thr
    {
        gaps.push(gap(s, first));
    }
    for w in buckets.windows(2) {
        let (end_prev, start_next) = (w[0].1.1, w[1].1.0);
        if start_next - end_prev > thr {
            gaps.push(gap(end_prev, start_next));
        }
    }
    if let Some(u) = until
        && u - last > thr
    {
        gaps.push(gap(last, u));
    }
    gaps
}

/// RBAC changes in time order (then by audit id).
fn rbac_rows(mut rbac: Vec<acc::RbacRow>) -> Vec<RbacChange> {
    rbac.sort_by(|a, b| (a.time, &a.audit_id).cmp(&(b.time, &b.audit_id)));
    rbac.into_iter()
        .map(|r| RbacChange {
            time: micros(r.time),
            user: r.user,
            impersonated_user: r.imp,
            verb: r.verb,
            resource: r.resource,
            namespace: r.ns,
            name: r.name,
            code: r.code,
            audit_id: r.audit_id,
        })
        .collect()
}

/// Secret access rows, most requests first (then by namespace, name, user, impersonated
/// user and verb).
fn secret_rows(secrets: acc::FxMap<acc::RowKey, acc::Agg>) -> Vec<SecretAccess> {
    let mut rows: Vec<SecretAccess> = secrets
        .into_iter()
        .map(|(k, a)| {
            let mut f = acc::key_fields(&k).into_iter();
            let mut next = || f.next().flatten();
            let (user, imp, verb, ns, name) = (next(), next(), next(), next(), next());
            SecretAccess {
                user: user.unwrap_or_default(),
                impersonated_user: imp,
                verb: verb.unwrap_or_default(),
                namespace: ns,
                name,
                count: a.count,
                denied: a.denied,
                first: micros(a.first),
                last: micros(a.last),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.count.cmp(&a.count).then_with(|| {
            (
                &a.namespace,
                &a.name,
                &a.user,
                &a.impersonated_user,
                &a.verb,
            )
                .cmp(&(
                    &b.namespace,
                    &b.name,
                    &b.user,
                    &b.impersonated_user,
                    &b.verb,
                ))
        })
    });
    rows
}

/// Access aggregates, most requests first (then by user, verb, resource, namespace).
fn access_rows(access: acc::FxMap<acc::RowKey, acc::Agg>) -> Vec<AccessAggregate> {
    let mut rows: Vec<AccessAggregate> = access
        .into_iter()
        .map(|(k, a)| {
            let mut f = acc::key_fields(&k).into_iter();
            let mut next = || f.next().flatten();
            let (user, imp, verb, resource, ns) = (next(), next(), next(), next(), next());
            AccessAggregate {
                user: user.unwrap_or_default(),
                impersonated_user: imp,
                verb: verb.unwrap_or_default(),
                resource: resource.unwrap_or_default(),
                namespace: ns,
                count: a.count,
                denied: a.denied,
                first: micros(a.first),
                last: micros(a.last),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.count.cmp(&a.count).then_with(|| {
            (
                &a.user,
                &a.impersonated_user,
                &a.verb,
                &a.resource,
                &a.namespace,
            )
                .cmp(&(
                    &b.user,
                    &b.impersonated_user,
                    &b.verb,
                    &b.resource,
                    &b.namespace,
                ))
        })
    });
    rows
}

/// Exec and attach requests in time order.
fn exec_rows(mut execs: Vec<acc::ExecRow>) -> Vec<Exec> {
    execs.sort_by_key(|e| e.time);
    execs
        .into_iter()
        .map(|e| Exec {
            time: micros(e.time),
            user: e.user,
            impersonated_user: e.imp,
            subresource: e.sub,
            namespace: e.ns,
            pod: e.pod,
            code: e.code,
        })
        .collect()
}

/// Denied requests per user, most denials first.
fn denied_rows(denied: acc::FxMap<(String, Option<String>), acc::Agg>) -> Vec<Denied> {
    let mut denied: Vec<_> = denied.into_iter().collect();
    denied.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
    denied
        .into_iter()
        .map(|((user, imp), a)| Denied {
            user,
            impersonated_user: imp,
            count: a.count,
            first: micros(a.first),
            last: micros(a.last),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        assert_eq!(parse_duration("1w").unwrap(), Duration::from_secs(604_800));
        assert_eq!(parse_duration("45s").unwrap(), Duration::from_secs(45));
        for bad in ["", "0", "0s", "1x", "h", "1h30", "500ms"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_invalid_duration_names_the_value_and_why() {
        let msg = parse_duration("1x").unwrap_err().to_string();
        assert!(
            msg.starts_with(
                "\"1x\" is not a duration of at least one second (unknown time unit \"x\""
            ),
            "{msg}"
        );
        assert!(
            msg.ends_with("examples: 90m, 1h, 1h30m, 2d, 3600s"),
            "{msg}"
        );
        let msg = parse_duration("1500ms").unwrap_err().to_string();
        assert!(msg.contains("(not a whole number of seconds)"), "{msg}");
    }

    #[test]
    fn dates_as_period_ends_include_the_day() {
        let s = parse_time("2026-03-01", false).unwrap();
        let u = parse_time("2026-03-31", true).unwrap();
        assert_eq!(s.to_rfc3339(), "2026-03-01T00:00:00+00:00");
        assert_eq!(u.to_rfc3339(), "2026-04-01T00:00:00+00:00");
        let t = parse_time("2026-03-01T10:00:00+02:00", false).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-01T08:00:00+00:00");
        assert!(parse_time("March", false).is_err());
    }

    fn lim() -> Limits {
        Limits {
            since: None,
            until: None,
            gap: 3_600_000_000,
            max_problems: 10,
        }
    }

    #[test]
    fn stages_of_one_request_count_once_across_chunks() {
        let rr = br#"{"auditID":"a","stage":"RequestReceived","verb":"create","user":{"username":"u"},"requestReceivedTimestamp":"2026-01-01T00:00:00Z","objectRef":{"resource":"pods","subresource":"exec","name":"p","namespace":"n"}}"#;
        let rc = br#"{"auditID":"a","stage":"ResponseComplete","verb":"create","user":{"username":"u"},"requestReceivedTimestamp":"2026-01-01T00:00:00Z","objectRef":{"resource":"pods","subresource":"exec","name":"p","namespace":"n"},"responseStatus":{"code":101}}"#;
        let l = lim();
        let mut c1 = Acc::default();
        c1.line(rr, None, 1, false, &l);
        let mut c2 = Acc::default();
        c2.line(rc, None, 1, false, &l);
        let mut g = Acc::default();
        g.merge(c1, 0, &l);
        g.merge(c2, 1, &l);
        g.settle(&l);
        assert_eq!(g.events, 1);
        assert_eq!(g.duplicate_stages, 1);
        assert_eq!(g.execs.len(), 1);
        assert_eq!(g.execs[0].code, Some(101));

        // Only the early stage: counted once at the end.
        let mut g = Acc::default();
        let mut c1 = Acc::default();
        c1.line(rr, None, 1, false, &l);
        c1.line(rr, None, 2, false, &l);
        g.merge(c1, 0, &l);
        g.settle(&l);
        assert_eq!(g.events, 1);
        assert_eq!(g.execs[0].code, None);
    }

    #[test]
    fn chunk_lines_are_numbered_and_blank_lines_skipped() {
        let data = b"\n{\"kind\":0}\n\r\n{\"verb\":\"get\"";
        let a = parse_chunk(data, 0, &lim());
        assert_eq!(a.lines, 4);
        assert_eq!(a.problems.len(), 2);
        assert_eq!(a.problems[0].1, 2);
        assert!(
            a.problems[0].2.starts_with("not an audit event"),
            "{:?}",
            a.problems
        );
        assert_eq!(a.problems[1].1, 4);
        assert!(
            a.problems[1].2.starts_with("truncated last line"),
            "{:?}",
            a.problems
        );
    }

    fn split_and_merge(text: &str, cuts: &[usize]) -> Acc {
        let l = lim();
        let mut g = Acc::default();
        let mut start = 0;
        let mut base = 0;
        for &cut in cuts.iter().chain([&text.len()]) {
            if cut <= start {
                continue;
            }
            let part = parse_chunk(&text.as_bytes()[start..cut], 0, &l);
            let lines = part.lines;
            g.merge(part, base, &l);
            base += lines;
            start = cut;
        }
        g.settle(&l);
        g
    }

    proptest::proptest! {
        /// Where the reader cuts chunks must not change the summary: stages of one
        /// request in different chunks still count once.
        #[test]
        fn chunk_cuts_do_not_change_the_summary(
            reqs in proptest::collection::vec((0u8..4, 0u8..3, 0u8..3, proptest::bool::ANY), 1..40),
            cuts in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..6),
        ) {
            let mut text = String::new();
            for (i, (user, pattern, res, denied)) in reqs.iter().enumerate() {
                let obj = match res {
                    0 => r#"{"resource":"pods","subresource":"exec","namespace":"n","name":"p"}"#,
                    1 => r#"{"resource":"secrets","namespace":"n","name":"s"}"#,
                    _ => r#"{"resource":"rolebindings","apiGroup":"rbac.authorization.k8s.io","namespace":"n","name":"b"}"#,
                };
                let code = if *denied { 403 } else { 200 };
                let line = |stage: &str| format!(
                    r#"{{"auditID":"id-{i}","stage":"{stage}","verb":"create","user":{{"username":"u{user}"}},"requestReceivedTimestamp":"2026-01-01T00:00:{:02}Z","objectRef":{obj},"responseStatus":{{"code":{code}}}}}"#,
                    i % 60
                );
                if *pattern >= 1 {
                    text.push_str(&line("RequestReceived"));
                    text.push('\n');
                }
                if *pattern <= 1 {
                    text.push_str(&line("ResponseComplete"));
                    text.push('\n');
                }
            }
            let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).collect();
            let mut at: Vec<usize> = cuts.iter().map(|c| newlines[c.index(newlines.len())]).collect();
            at.sort_unstable();
            let whole = split_and_merge(&text, &[]);
            let split = split_and_merge(&text, &at);
            proptest::prop_assert_eq!(whole.events, reqs.len() as u64);
            proptest::prop_assert_eq!(split.events, whole.events);
            proptest::prop_assert_eq!(split.duplicate_stages, whole.duplicate_stages);
            proptest::prop_assert_eq!(&split.by_user, &whole.by_user);
            proptest::prop_assert_eq!(&split.by_resource, &whole.by_resource);
            proptest::prop_assert_eq!(&split.secrets, &whole.secrets);
            proptest::prop_assert_eq!(&split.denied, &whole.denied);
            let key = |a: &Acc| {
                let mut r: Vec<_> = a.rbac.iter().map(|r| (r.audit_id.clone(), r.code)).collect();
                r.sort();
                let mut e: Vec<_> = a.execs.iter().map(|e| (e.time, e.user.clone(), e.code)).collect();
                e.sort();
                (r, e)
            };
            proptest::prop_assert_eq!(key(&split), key(&whole));
        }
    }
}
