//! Reading YAML and JSON exports one document, and one list item, at a time, with a bound
//! on what YAML anchors and aliases may expand to.
//!
//! - [`Documents`] splits a YAML stream at its document markers (`---`, `...` at the start
//!   of a line: YAML forbids them anywhere else there), so that each document is parsed
//!   from the file as it is read and never more than one is held.
//! - [`Value`]s are built through [`Budgeted`], which charges every node and scalar byte
//!   to a per-file and a per-object budget. A file without aliases cannot exceed them
//!   (its values are no larger than its text); an alias bomb, where a few kilobytes of
//!   `&a [*b, *b, …]` expand to gigabytes, stops at the budget with
//!   [`Trip`] set, so the caller can name it.
//! - [`JsonLines`] counts the lines a JSON reader has consumed, so a list item read from
//!   JSON can be named by its line as a YAML one is (through `Spanned`).

use std::cell::Cell;
use std::io::{self, BufRead, Read};

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The most a single object (a list item, or a document that is not a list) may hold once
/// parsed, counting one unit per node and per scalar byte. The API server stores no object
/// over 1.5 MiB; this is ten times that.
pub const OBJECT_LIMIT: u64 = 16 << 20;

/// What a file's values may total beyond its own size: a file of `n` bytes may produce
/// `4 n + FILE_ALLOWANCE` units. Without aliases a file produces at most about `2 n`.
pub const FILE_ALLOWANCE: u64 = 1 << 20;

/// Which budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trip {
    /// The file's values outgrew its text ([`file_limit`]).
    File,
    /// One object outgrew [`OBJECT_LIMIT`].
    Object,
}

#[derive(Clone, Copy)]
struct Budget {
    file_left: u64,
    object_left: u64,
    trip: Option<Trip>,
}

thread_local! {
    static BUDGET: Cell<Budget> = const { Cell::new(Budget { file_left: u64::MAX, object_left: u64::MAX, trip: None }) };
    static JSON_LINES: Cell<usize> = const { Cell::new(0) };
}

/// The file budget for a file of `bytes` bytes.
pub fn file_limit(bytes: u64) -> u64 {
    bytes.saturating_mul(4).saturating_add(FILE_ALLOWANCE)
}

/// Starts the budget of one file (on this thread).
pub fn start_file(bytes: u64) {
    BUDGET.set(Budget {
        file_left: file_limit(bytes),
        object_left: OBJECT_LIMIT,
        trip: None,
    });
}

/// Starts the budget of one object.
pub fn start_object() {
    let mut b = BUDGET.get();
    b.object_left = OBJECT_LIMIT;
    BUDGET.set(b);
}

/// Which budget ran out, if one did, since [`start_file`].
pub fn tripped() -> Option<Trip> {
    BUDGET.get().trip
}

fn charge<E: de::Error>(units: u64) -> Result<(), E> {
    let mut b = BUDGET.get();
    if b.trip.is_some() {
        return Err(E::custom("budget exceeded"));
    }
    if units > b.file_left {
        b.trip = Some(Trip::File);
    } else if units > b.object_left {
        b.trip = Some(Trip::Object);
    }
    if b.trip.is_some() {
        BUDGET.set(b);
        return Err(E::custom("budget exceeded"));
    }
    b.file_left -= units;
    b.object_left -= units;
    BUDGET.set(b);
    Ok(())
}

/// A [`Value`] built under the budget (see the module docs); otherwise what
/// `serde_json::Value`'s own `Deserialize` gives.
pub struct Budgeted(pub Value);

impl<'de> Deserialize<'de> for Budgeted {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BudgetVisitor).map(Budgeted)
    }
}

struct BudgetVisitor;

impl<'de> Visitor<'de> for BudgetVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        charge(1)?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        charge(1)?;
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        charge(1)?;
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        charge(1)?;
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        charge(1 + v.len() as u64)?;
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        charge(1 + v.len() as u64)?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        charge(1)?;
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Budgeted::deserialize(d).map(|b| b.0)
    }
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Budgeted::deserialize(d).map(|b| b.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        charge(1)?;
        let mut out = Vec::new();
        while let Some(Budgeted(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        charge(1)?;
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            charge(1 + k.len() as u64)?;
            let Budgeted(v) = map.next_value()?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

/// A JSON list item with the line its `{` is on (see [`JsonLines`]).
pub struct JsonItem {
    /// 1-based line.
    pub line: usize,
    /// The item.
    pub value: Value,
}

impl<'de> Deserialize<'de> for JsonItem {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonItem;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list item")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<JsonItem, A::Error> {
                // serde_json reads one byte at a time and has just taken the `{`.
                let line = JSON_LINES.get() + 1;
                let value = BudgetVisitor.visit_map(map)?;
                Ok(JsonItem { line, value })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<JsonItem, A::Error> {
                let line = JSON_LINES.get() + 1;
                let value = BudgetVisitor.visit_seq(seq)?;
                Ok(JsonItem { line, value })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonItem, E> {
                Ok(JsonItem {
                    line: JSON_LINES.get() + 1,
                    value: BudgetVisitor.visit_str(v)?,
                })
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<JsonItem, E> {
                Ok(JsonItem {
                    line: JSON_LINES.get() + 1,
                    value: BudgetVisitor.visit_bool(v)?,
                })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsonItem, E> {
                Ok(JsonItem {
                    line: JSON_LINES.get() + 1,
                    value: BudgetVisitor.visit_i64(v)?,
                })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsonItem, E> {
                Ok(JsonItem {
                    line: JSON_LINES.get() + 1,
                    value: BudgetVisitor.visit_u64(v)?,
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsonItem, E> {
                Ok(JsonItem {
                    line: JSON_LINES.get() + 1,
                    value: BudgetVisitor.visit_f64(v)?,
                })
            }
            fn visit_unit<E: de::Error>(self) -> Result<JsonItem, E> {
                Ok(JsonItem {
                    line: JSON_LINES.get() + 1,
                    value: Value::Null,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A reader that counts the newlines read through it (for [`JsonItem`]'s line).
pub struct JsonLines<R>(pub R);

impl<R> JsonLines<R> {
    /// Starts counting at line 1.
    pub fn new(inner: R) -> Self {
        JSON_LINES.set(0);
        JsonLines(inner)
    }
}

impl<R: Read> Read for JsonLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        let lines = memchr::memchr_iter(b'\n', &buf[..n]).count();
        JSON_LINES.set(JSON_LINES.get() + lines);
        Ok(n)
    }
}

/// The documents of a YAML stream, read one at a time: [`Documents::next_document`] gives a
/// reader over the next document's text.
pub struct Documents<R> {
    src: R,
    /// Lines consumed from `src` so far.
    lines: usize,
    /// A `---` line that ended the previous document and begins the next.
    carry: Option<Vec<u8>>,
    /// The first line that was not UTF-8, if one was met.
    pub bad_utf8: Option<usize>,
    /// The line the current document's content begins on (after a bare `---`, comments
    /// and directives), once the parser has read that far.
    pub content_line: std::rc::Rc<Cell<usize>>,
}

impl<R: BufRead> Documents<R> {
    /// Reads documents from `src`.
    pub fn new(src: R) -> Self {
        Documents {
            src,
            lines: 0,
            carry: None,
            bad_utf8: None,
            content_line: Default::default(),
        }
    }

    /// The next document, or `None` at the end of the stream.
    pub fn next_document(&mut self) -> io::Result<Option<Document<'_, R>>> {
        if self.carry.is_none() && self.src.fill_buf()?.is_empty() {
            return Ok(None);
        }
        let first_line = self.lines + 1;
        self.content_line.set(first_line);
        Ok(Some(Document {
            docs: self,
            buf: Vec::new(),
            pos: 0,
            started: false,
            content: false,
            done: false,
            first_line,
        }))
    }
}

/// One document's text (see [`Documents`]).
pub struct Document<'a, R> {
    docs: &'a mut Documents<R>,
    buf: Vec<u8>,
    pos: usize,
    /// A `---` or content was met: the next `---` begins another document.
    started: bool,
    /// Content was met.
    content: bool,
    done: bool,
    /// The file line this document's text begins on (1-based).
    pub first_line: usize,
}

/// Whether a line is a document marker (`---` or `...` followed by white space or the end
/// of the line).
fn marker(line: &[u8], m: &[u8; 3]) -> bool {
    line.starts_with(m) && matches!(line.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

impl<R: BufRead> Read for Document<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            if self.done {
                return Ok(0);
            }
            self.buf.clear();
            self.pos = 0;
            if let Some(line) = self.docs.carry.take() {
                self.buf = line;
                self.started = true;
                self.docs.lines += 1;
                continue;
            }
            if self.docs.src.read_until(b'\n', &mut self.buf)? == 0 {
                self.done = true;
                return Ok(0);
            }
            let line = &self.buf;
            if std::str::from_utf8(line).is_err() {
                self.docs.bad_utf8.get_or_insert(self.docs.lines + 1);
                return Err(io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"));
            }
            let content = |line: &[u8]| {
                let t = line.trim_ascii_start();
                !(t.is_empty() || t.starts_with(b"#") || t.starts_with(b"%"))
            };
            if marker(line, b"---") {
                if !self.content && content(&line[3..]) {
                    self.content = true;
                    self.docs.content_line.set(self.docs.lines + 1);
                }
                if self.started {
                    // The next document's start: keep it for that document.
                    self.docs.carry = Some(std::mem::take(&mut self.buf));
                    self.done = true;
                    return Ok(0);
                }
                self.started = true;
            } else if marker(line, b"...") {
                self.done = true;
            } else if content(line) {
                self.started = true;
                if !self.content {
                    self.content = true;
                    self.docs.content_line.set(self.docs.lines + 1);
                }
            }
            self.docs.lines += 1;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Whether a serde-saphyr error is one of its own anchor and alias limits (rather than a
/// syntax error), and which, in words.
pub fn alias_limit(e: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::Error as E;
    match e {
        E::AliasError { error, .. } | E::WithSnippet { error, .. } => alias_limit(error),
        E::AliasReplayCounterOverflow { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => {
            Some("its aliases replay more than the parser's limit of events".into())
        }
        E::Budget { breach, .. } => {
            let text = format!("{breach:?}");
            (text.contains("Anchor") || text.contains("Alias"))
                .then(|| format!("its anchors and aliases exceed the parser's limit ({text})"))
        }
        _ => None,
    }
}

/// The serde-saphyr options for exports: bounds sized for clusters (the defaults are meant
/// for configuration files), documents read from a reader of any size (each is one
/// document of the file, read as it streams).
pub fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    if let Some(b) = options.budget.as_mut() {
        b.max_events = usize::MAX;
        b.max_nodes = usize::MAX;
        b.max_documents = 1;
        b.max_total_scalar_bytes = usize::MAX;
        b.max_reader_input_bytes = None;
        b.max_depth = 256;
        // Anchors copy events into buffers before any value is built: keep those small
        // (the values themselves are bounded by the budget above).
        b.max_recorded_anchor_events = 100_000;
        b.max_recorded_anchor_bytes = 16 << 20;
    }
    options.alias_limits.max_total_replayed_events = 1_000_000;
    options.with_snippet = false;
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<(usize, String)> {
        let mut docs = Documents::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(mut d) = docs.next_document().unwrap() {
            let line = d.first_line;
            let mut s = String::new();
            d.read_to_string(&mut s).unwrap();
            out.push((line, s));
        }
        out
    }

    #[test]
    fn documents_split_at_markers_only() {
        let text = "# head\na: 1\n---\nb: |\n  ---x\n  --- not at col 0\n--- c\n...\n%YAML 1.2\n---\nd: 4\n";
        let docs = split(text);
        assert_eq!(
            docs,
            vec![
                (1, "# head\na: 1\n".to_string()),
                (3, "---\nb: |\n  ---x\n  --- not at col 0\n".to_string()),
                (7, "--- c\n...\n".to_string()),
                (9, "%YAML 1.2\n---\nd: 4\n".to_string()),
            ]
        );
        assert_eq!(split("---\na: 1\n"), vec![(1, "---\na: 1\n".to_string())]);
        assert!(split("").is_empty());
    }

    #[test]
    fn budget_trips_on_expansion_only() {
        start_file(100);
        let ok: Result<Budgeted, _> = serde_json::from_str(r#"{"a": [1, 2, "three"]}"#);
        assert!(ok.is_ok());
        assert_eq!(tripped(), None);
        start_file(0);
        let big = format!("\"{}\"", "x".repeat((FILE_ALLOWANCE + 1) as usize));
        assert!(serde_json::from_str::<Budgeted>(&big).is_err());
        assert!(matches!(tripped(), Some(Trip::File)));
    }
}
