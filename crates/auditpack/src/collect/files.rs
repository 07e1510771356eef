//! Offline import of `kubectl get -o yaml|json` exports, and the extra evidence files
//! (EncryptionConfiguration, audit Policy).
//!
//! The import walks a folder (nested folders too, in sorted order), reads every `.yaml`,
//! `.yml` and `.json` file and ignores every other file, and hidden (`.`) files and
//! folders. The folder may hold only folders and regular files: a symbolic link (unless
//! [`ImportOptions::follow_symlinks`], and then only one that stays inside the folder), a
//! FIFO, socket or device is refused by name (see [`crate::infile`]). A file may hold
//! several YAML documents, single objects, `kind: List` (kubectl's output) or typed lists
//! such as `RoleBindingList` whose items carry no `apiVersion`/`kind` (the API server's
//! output): those are inferred from the list. Only the kinds found are `collected`; an
//! exported empty list counts as collected-empty when its kind is known (typed list, or a
//! `List` whose file is named after the kind, as `kubectl get rolebindings -A -o yaml >
//! rolebindings.yaml` writes it). Every other kind stays `not-collected`.
//!
//! Files are read as they stream: one document at a time, and a list one item at a time,
//! each item redacted and made compact before the next is parsed, so an import holds about
//! what the snapshot will, not the parsed files (see `collect::parse` for the bound on
//! YAML alias expansion). The same object (kind, namespace, name) twice is dropped with a
//! warning when both copies are the same, and refused, naming both places, when they
//! differ.
//!
//! A file that is not a Kubernetes export is skipped with a warning naming it, unless
//! [`ImportOptions::strict`] (then it is refused, naming it): every file of a Helm chart
//! (the folder holding `Chart.yaml`, with its `values.yaml`, templates and subcharts), and
//! any file whose first document has no `apiVersion` and `kind`, or is not valid YAML and
//! holds a template marker `{{`. A file that fails after a Kubernetes object is a broken export, and
//! always refused.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::parse::{self, Budgeted, Documents, JsonItem, JsonLines, Trip};
use super::redact::{redact_audit_policy, redact_encryption_config, redact_object};
use super::{CollectError, Warning};
use crate::infile::{self, Links};
use crate::snapshot::kinds::{ROLE_BINDINGS, ROLES};
use crate::snapshot::{
    CollectionStatus, EvidenceFile, ImportedFile, KINDS, KindInfo, Redaction, Snapshot, Source,
    SourceMode, kind_for_object, kinds, object_key,
};

/// Reason recorded for every kind an import did not contain.
pub const NOT_IN_FILES: &str = "not in the imported files";

/// Largest `--encryption-config` or `--audit-policy` file read.
pub const EVIDENCE_LIMIT: u64 = 16 << 20;

/// Options of [`import_dir`].
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Keep only namespaced objects (and Namespace objects) of these namespaces; empty
    /// keeps all.
    pub namespaces: Vec<String>,
    /// Follow symbolic links to files, as long as they stay inside the folder (a folder
    /// assembled with links, a ConfigMap volume). Off: every link is refused.
    pub follow_symlinks: bool,
    /// Refuse a file that is not a Kubernetes object (a Helm chart's `Chart.yaml`,
    /// `values.yaml` or template), naming it. Off: such files are skipped, each with a
    /// warning that names it.
    pub strict: bool,
}

/// Imports a folder of kubectl exports into a snapshot (see the module docs).
pub fn import_dir(dir: &Path, options: &ImportOptions) -> Result<Snapshot, CollectError> {
    import_dir_with_warnings(dir, options).map(|(s, _)| s)
}

/// [`import_dir`], also returning the warnings (empty lists of unknown kind, duplicate
/// objects) for the user.
pub fn import_dir_with_warnings(
    dir: &Path,
    options: &ImportOptions,
) -> Result<(Snapshot, Vec<Warning>), CollectError> {
    let meta = std::fs::metadata(dir).map_err(|source| CollectError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(CollectError::NotADirectory {
            path: dir.display().to_string(),
        });
    }
    super::check_namespace_names(&options.namespaces)?;
    let base = infile::open_folder(dir)?;
    let mut files = Vec::new();
    walk(dir, Path::new(""), options.follow_symlinks, &mut files)?;
    let links = if options.follow_symlinks {
        Links::WithinFolder
    } else {
        Links::Refuse
    };

    let source = Source {
        mode: SourceMode::Files,
        namespaces: options.namespaces.clone(),
        ..Source::default()
    };
    let mut imp = Importer {
        snap: Snapshot::new(chrono::Utc::now(), source),
        warnings: Vec::new(),
        options,
        files: Vec::new(),
        seen: HashMap::new(),
        duplicates: BTreeMap::new(),
        namespaces_seen: BTreeSet::new(),
        failure: None,
        shown: PathBuf::new(),
        file: 0,
        json: false,
        line_offset: 0,
        kubernetes_seen: false,
    };
    let charts = chart_roots(&files);
    for rel in &files {
        let shown = rel.to_string_lossy().replace('\\', "/");
        if !options.strict
            && let Some(chart) = charts.iter().find(|c| rel.starts_with(c))
        {
            let chart = chart.to_string_lossy().replace('\\', "/");
            let chart = if chart.is_empty() { ".".into() } else { chart };
            imp.warnings.push(Warning {
                subject: shown,
                message: format!(
                    "skipped: part of the Helm chart in {chart}/ (it holds Chart.yaml); a chart's values and templates are not the cluster's objects: export what is deployed with `kubectl get -o yaml` (--strict refuses the folder instead)"
                ),
            });
            continue;
        }
        let file = infile::open_beneath(&base, dir, rel, links)?;
        match imp.read_file(file, &dir.join(&shown), shown.clone()) {
            Ok(()) => {}
            Err(e)
                if !options.strict
                    && !imp.kubernetes_seen
                    && not_kubernetes(&e, || has_template_marker(&base, dir, rel, links)) =>
            {
                imp.warnings.push(Warning {
                    subject: shown,
                    message: format!(
                        "skipped: not a Kubernetes object export ({}); a Helm chart file or template, or another tool's file? Nothing in it was imported (--strict makes this an error)",
                        skip_reason(&e)
                    ),
                });
            }
            Err(e) => return Err(e),
        }
    }
    let Importer {
        mut snap,
        mut warnings,
        duplicates,
        namespaces_seen,
        ..
    } = imp;
    if !options.namespaces.is_empty() {
        super::require_namespaces(&options.namespaces, &namespaces_seen, "the import")?;
    }
    for k in KINDS {
        let c = snap.resources.entry(k.key.to_string()).or_default();
        if c.status == CollectionStatus::NotCollected && c.reason.is_none() {
            c.reason = Some(NOT_IN_FILES.to_string());
        }
    }
    for (key, n) in duplicates {
        warnings.push(Warning {
            subject: key,
            message: format!(
                "{n} duplicate object(s) (same namespace and name, same content) dropped"
            ),
        });
    }
    if snap.source.kubernetes_version.is_none() {
        snap.source.kubernetes_version = apiserver_version(&snap);
    }
    snap.normalize();
    Ok((snap, warnings))
}

/// The Kubernetes version an export shows: the image tag of the kube-apiserver Pod in
/// kube-system (`registry.k8s.io/kube-apiserver:v1.37.0`), when the export has it.
fn apiserver_version(snap: &Snapshot) -> Option<String> {
    // Parse only kube-system's pods: the rest of an export may be large.
    let system = snap
        .collected(kinds::PODS.key)
        .ok()?
        .parse_in("kube-system");
    system
        .iter()
        .filter(|p| {
            p.pointer("/metadata/labels/component")
                .and_then(Value::as_str)
                == Some("kube-apiserver")
        })
        .flat_map(|p| {
            p.pointer("/spec/containers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|c| c.get("image").and_then(Value::as_str))
        .filter_map(|image| image.rsplit_once(':').map(|(_, tag)| tag))
        .find(|tag| tag.starts_with('v') && tag[1..].split('.').all(|n| n.parse::<u32>().is_ok()))
        .map(str::to_string)
}

/// The folders (relative to the import folder) that hold a Helm chart: those with a
/// `Chart.yaml` (the name Helm requires; `Chart.yml` too).
fn chart_roots(files: &[PathBuf]) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|f| {
            f.file_name()
                .is_some_and(|n| n == "Chart.yaml" || n == "Chart.yml")
        })
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect()
}

/// Whether an import error says the file is not a Kubernetes export at all, as against a
/// broken one: a document without apiVersion and kind (a `values.yaml`, a `Chart.yaml`),
/// or YAML that does not parse in a file holding a template marker `{{` (a Helm
/// template). A truncated or mistyped export (no `{{`), a file that is not UTF-8, an alias
/// bomb or a conflict is refused.
fn not_kubernetes(e: &CollectError, templated: impl FnOnce() -> bool) -> bool {
    match e {
        CollectError::NotAnObject { .. } => true,
        CollectError::Syntax { path, message, .. } => {
            message.starts_with("not valid YAML") && !path.ends_with(".json") && templated()
        }
        _ => false,
    }
}

/// Whether the file holds `{{` in its first MiB (a Go template, as Helm writes them).
fn has_template_marker(base: &std::fs::File, dir: &Path, rel: &Path, links: Links) -> bool {
    let Ok(file) = infile::open_beneath(base, dir, rel, links) else {
        return false;
    };
    let mut head = Vec::new();
    if file.take(1 << 20).read_to_end(&mut head).is_err() {
        return false;
    }
    head.windows(2).any(|w| w == b"{{")
}

/// Why a file was skipped, in words, for the warning.
fn skip_reason(e: &CollectError) -> String {
    match e {
        CollectError::NotAnObject { line, .. } => {
            format!("the document at line {line} has no apiVersion and kind")
        }
        CollectError::Syntax { line, message, .. } => format!("line {line}: {message}"),
        other => other.to_string(),
    }
}

fn is_export(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Lists the export files under `root/rel` (paths relative to `root`), in sorted order,
/// refusing what an import folder may not hold.
fn walk(root: &Path, rel: &Path, follow: bool, out: &mut Vec<PathBuf>) -> Result<(), CollectError> {
    let dir = root.join(rel);
    let io = |source| CollectError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut entries: Vec<(std::ffi::OsString, std::fs::FileType)> = Vec::new();
    for e in std::fs::read_dir(&dir).map_err(io)? {
        let e = e.map_err(io)?;
        // The entry's own type: a link is not followed to find it.
        let kind = e.file_type().map_err(io)?;
        entries.push((e.file_name(), kind));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind) in entries {
        // Hidden files and folders (`.git`, editor swap files) are not exports: never
        // opened, whatever they are.
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = rel.join(&name);
        if kind.is_dir() {
            walk(root, &path, follow, out)?;
        } else if kind.is_symlink() {
            if !follow {
                let target = std::fs::read_link(root.join(&path))
                    .map(|t| t.display().to_string())
                    .unwrap_or_else(|_| "?".into());
                return Err(infile::InputError::Symlink {
                    path: root.join(&path),
                    target,
                }
                .into());
            }
            // Followed (inside the folder only) when opened; links of other names are
            // ignored like other files, and never opened.
            if is_export(&path) {
                out.push(path);
            }
        } else if kind.is_file() {
            if is_export(&path) {
                out.push(path);
            }
        } else {
            return Err(infile::InputError::NotRegular {
                path: root.join(&path),
                what: infile::describe(&kind),
            }
            .into());
        }
    }
    Ok(())
}

/// A reader that hashes every byte it passes on.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Where an object was read: a file (index into [`Importer::files`]) and a line.
#[derive(Debug, Clone, Copy)]
struct Origin {
    file: usize,
    line: usize,
}

/// The state of one import.
struct Importer<'o> {
    snap: Snapshot,
    warnings: Vec<Warning>,
    options: &'o ImportOptions,
    /// Paths (relative to the folder) of the files read, for naming origins.
    files: Vec<String>,
    /// Every object added: (kind key, namespace, name) → where it was read and its index
    /// in its kind's items.
    seen: HashMap<(String, String, String), (Origin, usize)>,
    /// Identical duplicates dropped, per kind.
    duplicates: BTreeMap<String, usize>,
    /// Every namespace the import shows (Namespace objects, and the namespaces of
    /// namespaced objects), before the `-n` filter: what a mistyped `-n` is checked
    /// against.
    namespaces_seen: BTreeSet<String>,
    /// The error that stopped the parse (carried out through serde's error type).
    failure: Option<CollectError>,
    /// The file being read: as shown in errors, its index, JSON or YAML, and the line its
    /// current YAML document begins after.
    shown: PathBuf,
    file: usize,
    json: bool,
    line_offset: usize,
    /// Whether the file being read has shown a Kubernetes object or list yet: a file that
    /// fails before it has is not an export (and may be skipped), one that fails after is
    /// a broken export.
    kubernetes_seen: bool,
}

/// The single-object documents of a file held until it ends, and how many Lists it had.
#[derive(Default)]
struct Held {
    docs: Vec<(usize, Value)>,
    lists: usize,
}

/// Why reading a YAML file stopped: the file could not be read, or the import refused it.
enum YamlRead {
    Io(std::io::Error),
    Import(CollectError),
}

/// What one document was.
enum Outcome {
    /// An empty document.
    Empty,
    /// A list: its items were added as they were read.
    List,
    /// One object, not yet added (it may be an evidence file).
    Object(usize, Value),
}

impl Importer<'_> {
    fn path(&self) -> String {
        self.shown.display().to_string()
    }

    fn origin(&self, o: Origin) -> String {
        format!("{}:{}", self.files[o.file], o.line)
    }

    /// Stops the parse with `e`; serde carries a placeholder out, [`Importer::failure`]
    /// the error.
    fn fail<E: de::Error>(&mut self, e: CollectError) -> E {
        self.failure = Some(e);
        E::custom("import stopped")
    }

    /// Reads one export file into the snapshot, streaming.
    fn read_file(
        &mut self,
        file: std::fs::File,
        shown: &Path,
        rel: String,
    ) -> Result<(), CollectError> {
        let io = |source| CollectError::Io {
            path: shown.display().to_string(),
            source,
        };
        let size = file.metadata().map_err(io)?.len();
        self.shown = shown.to_path_buf();
        self.kubernetes_seen = false;
        self.file = self.files.len();
        self.files.push(rel.clone());
        self.json = shown.extension().and_then(|e| e.to_str()) == Some("json");
        parse::start_file(size);
        let mut src = Hashing {
            inner: file,
            hasher: Sha256::new(),
            bytes: 0,
        };
        let held = if self.json {
            self.read_json(&mut src)?
        } else {
            self.read_yaml(&mut src).map_err(|e| match e {
                YamlRead::Io(e) => io(e),
                YamlRead::Import(e) => e,
            })?
        };
        std::io::copy(&mut src, &mut std::io::sink()).map_err(io)?;
        let sha256 = hex::encode(src.hasher.finalize());
        self.finish_file(held, rel, sha256)
    }

    /// Reads a JSON export (one document: an object or a List).
    fn read_json(&mut self, src: &mut Hashing<std::fs::File>) -> Result<Held, CollectError> {
        let mut held = Held::default();
        let reader = JsonLines::new(BufReader::with_capacity(1 << 16, src));
        let mut de = serde_json::Deserializer::from_reader(reader);
        let line = std::rc::Rc::new(std::cell::Cell::new(1));
        let outcome = DocSeed { imp: self, line }
            .deserialize(&mut de)
            .and_then(|o| de.end().map(|()| o))
            .map_err(|e| self.json_error(e))?;
        match outcome {
            Outcome::Object(line, v) => held.docs.push((line, v)),
            Outcome::List => held.lists += 1,
            Outcome::Empty => {}
        }
        Ok(held)
    }

    /// Reads a YAML export document by document. Single objects are held back while they
    /// may still be the file's only document (see [`Importer::finish_file`]); as soon as a
    /// second document or a List shows the file is an export, they become objects.
    fn read_yaml(&mut self, src: &mut Hashing<std::fs::File>) -> Result<Held, YamlRead> {
        let mut held = Held::default();
        let mut docs = Documents::new(BufReader::with_capacity(1 << 16, src));
        let docs_line = docs.content_line.clone();
        while let Some(doc) = docs.next_document().map_err(YamlRead::Io)? {
            self.line_offset = doc.first_line - 1;
            let line = docs_line.clone();
            let result = serde_saphyr::with_deserializer_from_reader_with_options(
                doc,
                parse::yaml_options(),
                |de| {
                    DocSeed {
                        imp: &mut *self,
                        line,
                    }
                    .deserialize(de)
                },
            );
            let outcome =
                result.map_err(|e| YamlRead::Import(self.yaml_error(e, docs.bad_utf8)))?;
            let flush = match outcome {
                Outcome::Object(line, v) => {
                    held.docs.push((line, v));
                    held.docs.len() + held.lists > 1
                }
                Outcome::List => {
                    held.lists += 1;
                    true
                }
                Outcome::Empty => continue,
            };
            self.kubernetes_seen = true;
            if flush {
                for (line, v) in held.docs.drain(..) {
                    self.add_object(line, v).map_err(YamlRead::Import)?;
                }
            }
        }
        Ok(held)
    }

    /// Ends a file: a file holding only an EncryptionConfiguration or audit Policy is
    /// evidence about the API server, not a cluster object; anything else held becomes
    /// objects, and the file is recorded with its SHA-256.
    fn finish_file(
        &mut self,
        mut held: Held,
        rel: String,
        sha256: String,
    ) -> Result<(), CollectError> {
        if held.lists == 0
            && let [(_, doc)] = held.docs.as_slice()
        {
            let (api_version, kind) = (str_field(doc, "apiVersion"), str_field(doc, "kind"));
            // Taken as if it had been given with --encryption-config / --audit-policy (key
            // material removed).
            let which = if api_version.starts_with("apiserver.config.k8s.io/")
                && kind == "EncryptionConfiguration"
            {
                Some(Evidence::Encryption)
            } else if api_version.starts_with("audit.k8s.io/") && kind == "Policy" {
                Some(Evidence::AuditPolicy)
            } else {
                None
            };
            if let Some(which) = which {
                let (_, doc) = held.docs.pop().expect("one document");
                let evidence = evidence_from_document(rel.clone(), sha256, doc, which)?;
                return add_evidence(&mut self.snap, evidence, which, "in the import folder");
            }
        }
        for (line, v) in held.docs {
            self.add_object(line, v)?;
        }
        self.snap
            .source
            .files
            .push(ImportedFile { path: rel, sha256 });
        Ok(())
    }

    fn budget_error(&self, line: usize, trip: Trip) -> CollectError {
        let what = match trip {
            Trip::File => format!(
                "its values grow past {} bytes, four times the file's size (plus 1 MiB)",
                parse::file_limit(std::fs::metadata(&self.shown).map_or(0, |m| m.len()))
            ),
            Trip::Object => format!(
                "one object grows past {} MiB once parsed (the API server stores none over 1.5 MiB)",
                parse::OBJECT_LIMIT >> 20
            ),
        };
        CollectError::Expansion {
            path: self.path(),
            line,
            what,
        }
    }

    fn json_error(&mut self, e: serde_json::Error) -> CollectError {
        if let Some(f) = self.failure.take() {
            return f;
        }
        if let Some(trip) = parse::tripped() {
            return self.budget_error(e.line(), trip);
        }
        if e.is_io() {
            return CollectError::Io {
                path: self.path(),
                source: std::io::Error::other(e.to_string()),
            };
        }
        CollectError::Syntax {
            path: self.path(),
            line: e.line(),
            message: format!("not valid JSON (column {}): {e}", e.column()),
        }
    }

    fn yaml_error(&mut self, e: serde_saphyr::Error, bad_utf8: Option<usize>) -> CollectError {
        if let Some(f) = self.failure.take() {
            return f;
        }
        let line = e
            .location()
            .map_or(0, |l| self.line_offset + l.line() as usize);
        if let Some(trip) = parse::tripped() {
            return self.budget_error(line, trip);
        }
        if let Some(what) = parse::alias_limit(&e) {
            return CollectError::Expansion {
                path: self.path(),
                line,
                what,
            };
        }
        if let Some(line) = bad_utf8 {
            return CollectError::Syntax {
                path: self.path(),
                line,
                message: "not UTF-8 text".into(),
            };
        }
        CollectError::Syntax {
            path: self.path(),
            line,
            message: format!("not valid YAML: {}", yaml_message(&e)),
        }
    }

    /// One item of a list: completed from a typed list, checked, added.
    fn list_item(&mut self, ctx: &ListCtx, line: usize, item: Value) -> Result<(), CollectError> {
        let not_object = || CollectError::NotAnObject {
            path: self.path(),
            line,
        };
        let Value::Object(mut obj) = item else {
            return Err(not_object());
        };
        if !ctx.item_kind.is_empty() {
            obj.entry("apiVersion")
                .or_insert_with(|| Value::String(ctx.api_version.clone()));
            obj.entry("kind")
                .or_insert_with(|| Value::String(ctx.item_kind.clone()));
        }
        let item = Value::Object(obj);
        if str_field(&item, "apiVersion").is_empty() || str_field(&item, "kind").is_empty() {
            return Err(not_object());
        }
        // A list inside a list (a `SecretList` among a `List`'s items): its items are the
        // objects, redacted as their kind, never the list kept whole.
        if let Some(inner_kind) = str_field(&item, "kind").strip_suffix("List")
            && item.get("items").is_some()
        {
            let inner = ListCtx {
                api_version: str_field(&item, "apiVersion").to_string(),
                item_kind: inner_kind.to_string(),
            };
            let Value::Object(mut obj) = item else {
                unreachable!("checked above")
            };
            let items = match obj.remove("items") {
                Some(Value::Array(items)) => items,
                Some(Value::Null) => Vec::new(),
                _ => return Err(not_object()),
            };
            let count = items.len();
            for i in items {
                self.list_item(&inner, line, i)?;
            }
            self.list_done(&inner, count, line);
            return Ok(());
        }
        self.add_object(line, item)
    }

    /// After a list's items: a typed list marks its kind collected even when empty; an
    /// empty `kind: List` takes its kind from the file name.
    fn list_done(&mut self, ctx: &ListCtx, count: usize, line: usize) {
        self.kubernetes_seen = true;
        if !ctx.item_kind.is_empty() {
            let key = match kind_for_object(&ctx.api_version, &ctx.item_kind) {
                Some(info) => info.key.to_string(),
                None => object_key(&ctx.api_version, &ctx.item_kind),
            };
            self.snap.mark_collected(&key);
        } else if count == 0 {
            let rel = &self.files[self.file];
            match kind_from_file_name(rel) {
                Some(info) => self.snap.mark_collected(info.key),
                None => self.warnings.push(Warning {
                    subject: rel.to_string(),
                    message: format!(
                        "empty List at line {line}: its kind cannot be told from the file name, so no kind was marked collected (name the file after the kind, e.g. rolebindings.yaml)"
                    ),
                }),
            }
        }
    }

    /// Redacts one object and adds it, unless the namespace filter excludes it or it is a
    /// copy of one already added. A different object under the same name is refused.
    fn add_object(&mut self, line: usize, mut object: Value) -> Result<(), CollectError> {
        self.kubernetes_seen = true;
        let key = object_key(str_field(&object, "apiVersion"), str_field(&object, "kind"));
        let (ns, name) = crate::snapshot::object_ref(&object);
        let (ns, name) = (ns.to_string(), name.to_string());
        if ns.is_empty()
            && let Some(k) = [ROLES, ROLE_BINDINGS].into_iter().find(|k| k.key == key)
        {
            return Err(CollectError::NoNamespace {
                path: self.path(),
                line,
                kind: k.kind.to_string(),
                name,
                plural: k.plural.to_string(),
            });
        }
        if str_field(&object, "kind") == "Namespace" {
            self.namespaces_seen.insert(name.clone());
        } else if !ns.is_empty() {
            self.namespaces_seen.insert(ns.clone());
        }
        if !self.options.namespaces.is_empty() {
            let keep = if str_field(&object, "kind") == "Namespace" {
                self.options.namespaces.contains(&name)
            } else {
                ns.is_empty() || self.options.namespaces.contains(&ns)
            };
            if !keep {
                // The kind was exported: it is collected, just empty in the chosen scope.
                self.snap.mark_collected(&key);
                return Ok(());
            }
        }
        let redactions = redact_object(&mut object, &key);
        let origin = Origin {
            file: self.file,
            line,
        };
        let c = self.snap.resources.entry(key.clone()).or_default();
        match self.seen.entry((key, ns, name)) {
            Entry::Occupied(e) => {
                let (first, index) = *e.get();
                let same = c.items.get(index).is_some_and(|i| i.value() == object);
                let (key, ns, name) = e.key();
                if !same {
                    let object = if ns.is_empty() {
                        name.clone()
                    } else {
                        format!("{ns}/{name}")
                    };
                    return Err(CollectError::DuplicateConflict {
                        kind: key.clone(),
                        object,
                        first: self.origin(first),
                        second: self.origin(origin),
                    });
                }
                *self.duplicates.entry(key.clone()).or_default() += 1;
            }
            Entry::Vacant(e) => {
                e.insert((origin, c.items.len()));
                c.status = CollectionStatus::Collected;
                c.items.push_value(&object);
                self.snap.redactions.extend(redactions);
            }
        }
        Ok(())
    }
}

/// The first line of a serde-saphyr error, without its `error: ` prefix.
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    text.lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ")
        .to_string()
}

/// What a list's items are: `item_kind` empty for `kind: List`, whose items name their own.
struct ListCtx {
    api_version: String,
    item_kind: String,
}

/// Reads one document: a list streams its items into the importer; anything else comes
/// back whole.
struct DocSeed<'a, 'o> {
    imp: &'a mut Importer<'o>,
    /// The line the document's content begins on (set as the parser reads it).
    line: std::rc::Rc<std::cell::Cell<usize>>,
}

impl<'de> DeserializeSeed<'de> for DocSeed<'_, '_> {
    type Value = Outcome;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Outcome, D::Error> {
        parse::start_object();
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_, '_> {
    type Value = Outcome;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Kubernetes object or list")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Outcome, E> {
        Ok(Outcome::Empty)
    }
    fn visit_none<E: de::Error>(self) -> Result<Outcome, E> {
        Ok(Outcome::Empty)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Outcome, E> {
        Err(self.not_object())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Outcome, E> {
        Err(self.not_object())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Outcome, E> {
        Err(self.not_object())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Outcome, E> {
        Err(self.not_object())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Outcome, E> {
        Err(self.not_object())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Outcome, A::Error> {
        Err(self.not_object())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Outcome, A::Error> {
        let DocSeed { imp, line } = self;
        let line = line.get();
        let mut head = Map::new();
        let mut items: Option<ItemsOut> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" && items.is_none() {
                let kind = head.get("kind").and_then(Value::as_str);
                let api_version = head.get("apiVersion").and_then(Value::as_str);
                let ctx = match (api_version, kind) {
                    (Some(a), Some(k)) if k.ends_with("List") => Some(Some(ListCtx {
                        api_version: a.to_string(),
                        item_kind: k.strip_suffix("List").unwrap_or("").to_string(),
                    })),
                    (_, Some(_)) => None,
                    // The kind comes after the items (kubectl writes keys in sorted
                    // order): hold them compact until it is known.
                    (_, None) => Some(None),
                };
                match ctx {
                    Some(ctx) => {
                        items = Some(map.next_value_seed(ItemsSeed {
                            imp: &mut *imp,
                            ctx,
                            line,
                        })?);
                    }
                    None => {
                        let Budgeted(v) = map.next_value()?;
                        head.insert(key, v);
                    }
                }
            } else {
                let Budgeted(v) = map.next_value()?;
                head.insert(key, v);
            }
        }
        let api_version = str_field_map(&head, "apiVersion").to_string();
        let kind = str_field_map(&head, "kind").to_string();
        if api_version.is_empty() || kind.is_empty() {
            return Err(imp.fail(CollectError::NotAnObject {
                path: imp.path(),
                line,
            }));
        }
        if let Some(item_kind) = kind.strip_suffix("List") {
            let ctx = ListCtx {
                api_version,
                item_kind: item_kind.to_string(),
            };
            let count = match items {
                None | Some(ItemsOut::Other(Value::Null)) => 0,
                Some(ItemsOut::Streamed(n)) => n,
                Some(ItemsOut::Buffered(buf)) => {
                    let n = buf.len();
                    for (item_line, text) in buf {
                        let v = serde_json::from_str(&text).expect("compact JSON we wrote");
                        if let Err(e) = imp.list_item(&ctx, item_line, v) {
                            return Err(imp.fail(e));
                        }
                    }
                    n
                }
                Some(ItemsOut::Other(_)) => {
                    return Err(imp.fail(CollectError::NotAnObject {
                        path: imp.path(),
                        line,
                    }));
                }
            };
            imp.list_done(&ctx, count, line);
            return Ok(Outcome::List);
        }
        match items {
            Some(ItemsOut::Buffered(buf)) => {
                let values = buf
                    .into_iter()
                    .map(|(_, t)| serde_json::from_str(&t).expect("compact JSON we wrote"))
                    .collect();
                head.insert("items".into(), Value::Array(values));
            }
            Some(ItemsOut::Other(v)) => {
                head.insert("items".into(), v);
            }
            Some(ItemsOut::Streamed(_)) | None => {}
        }
        Ok(Outcome::Object(line, Value::Object(head)))
    }
}

impl DocSeed<'_, '_> {
    fn not_object<E: de::Error>(self) -> E {
        let e = CollectError::NotAnObject {
            path: self.imp.path(),
            line: self.line.get(),
        };
        self.imp.fail(e)
    }
}

/// A list's items, as read.
enum ItemsOut {
    /// Added to the snapshot as they were read; how many.
    Streamed(usize),
    /// Held as compact JSON with their lines, until the list's kind is known.
    Buffered(Vec<(usize, Box<str>)>),
    /// Not a sequence (kept whole, for a document that turns out not to be a list).
    Other(Value),
}

/// Reads a list's `items`: with the list's kind known (`ctx` is `Some`), each item is added
/// as it is read; otherwise each is held compact.
struct ItemsSeed<'a, 'o> {
    imp: &'a mut Importer<'o>,
    ctx: Option<ListCtx>,
    line: usize,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_, '_> {
    type Value = ItemsOut;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<ItemsOut, D::Error> {
        d.deserialize_any(self)
    }
}

impl ItemsSeed<'_, '_> {
    fn other<E: de::Error>(self, v: Value) -> Result<ItemsOut, E> {
        match self.ctx {
            Some(_) if !v.is_null() => {
                let e = CollectError::NotAnObject {
                    path: self.imp.path(),
                    line: self.line,
                };
                Err(self.imp.fail(e))
            }
            Some(_) => Ok(ItemsOut::Streamed(0)),
            None => Ok(ItemsOut::Other(v)),
        }
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_, '_> {
    type Value = ItemsOut;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ItemsOut, A::Error> {
        let ItemsSeed { imp, ctx, .. } = self;
        let mut buffer = Vec::new();
        let mut count = 0;
        loop {
            parse::start_object();
            let next = if imp.json {
                seq.next_element::<JsonItem>()?.map(|i| (i.line, i.value))
            } else {
                seq.next_element::<serde_saphyr::Spanned<Budgeted>>()?
                    .map(|s| (imp.line_offset + s.referenced.line() as usize, s.value.0))
            };
            let Some((line, item)) = next else { break };
            match &ctx {
                Some(ctx) => {
                    if let Err(e) = imp.list_item(ctx, line, item) {
                        return Err(imp.fail(e));
                    }
                    count += 1;
                }
                None => buffer.push((
                    line,
                    serde_json::to_string(&item)
                        .expect("a value serializes")
                        .into_boxed_str(),
                )),
            }
        }
        Ok(match ctx {
            Some(_) => ItemsOut::Streamed(count),
            None => ItemsOut::Buffered(buffer),
        })
    }
    fn visit_unit<E: de::Error>(self) -> Result<ItemsOut, E> {
        self.other(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<ItemsOut, E> {
        self.other(Value::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<ItemsOut, E> {
        self.other(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ItemsOut, E> {
        self.other(v.into())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ItemsOut, E> {
        self.other(v.into())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ItemsOut, E> {
        self.other(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<ItemsOut, E> {
        self.other(Value::String(v.to_string()))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ItemsOut, A::Error> {
        let v = <Budgeted as serde::Deserialize>::deserialize(
            de::value::MapAccessDeserializer::new(map),
        )?
        .0;
        self.other(v)
    }
}

/// Parses a file's bytes into its documents with the line each starts at (1-based). JSON
/// files (by extension) are one document; YAML files may hold several; empty documents are
/// skipped. Values are built under the alias budget of `collect::parse` (its module docs).
pub fn parse_documents(path: &Path, bytes: &[u8]) -> Result<Vec<(usize, Value)>, CollectError> {
    let shown = path.display().to_string();
    parse::start_file(bytes.len() as u64);
    let trip = |line| {
        parse::tripped().map(|t| CollectError::Expansion {
            path: shown.clone(),
            line,
            what: match t {
                Trip::File => format!(
                    "its values grow past {} bytes, four times the file's size (plus 1 MiB)",
                    parse::file_limit(bytes.len() as u64)
                ),
                Trip::Object => format!(
                    "one object grows past {} MiB once parsed",
                    parse::OBJECT_LIMIT >> 20
                ),
            },
        })
    };
    if path.extension().and_then(|e| e.to_str()) == Some("json") {
        let v: Budgeted = serde_json::from_slice(bytes).map_err(|e| {
            trip(e.line()).unwrap_or_else(|| CollectError::Syntax {
                path: shown.clone(),
                line: e.line(),
                message: format!("not valid JSON (column {}): {e}", e.column()),
            })
        })?;
        return Ok(vec![(1, v.0)]);
    }
    let mut docs = Documents::new(bytes);
    let mut out = Vec::new();
    while let Some(doc) = docs.next_document().map_err(|source| CollectError::Io {
        path: shown.clone(),
        source,
    })? {
        let offset = doc.first_line - 1;
        let result = serde_saphyr::with_deserializer_from_reader_with_options(
            doc,
            parse::yaml_options(),
            |de| <serde_saphyr::Spanned<Budgeted> as serde::Deserialize>::deserialize(de),
        );
        match result {
            Ok(d) if d.value.0.is_null() => {}
            Ok(d) => out.push((offset + d.referenced.line() as usize, d.value.0)),
            Err(e) => {
                let line = e.location().map_or(0, |l| offset + l.line() as usize);
                if let Some(err) = trip(line) {
                    return Err(err);
                }
                if let Some(what) = parse::alias_limit(&e) {
                    return Err(CollectError::Expansion {
                        path: shown,
                        line,
                        what,
                    });
                }
                if let Some(line) = docs.bad_utf8 {
                    return Err(CollectError::Syntax {
                        path: shown,
                        line,
                        message: "not UTF-8 text".into(),
                    });
                }
                return Err(CollectError::Syntax {
                    path: shown,
                    line,
                    message: format!("not valid YAML: {}", yaml_message(&e)),
                });
            }
        }
    }
    Ok(out)
}

fn str_field<'a>(v: &'a Value, f: &str) -> &'a str {
    v.get(f).and_then(Value::as_str).unwrap_or("")
}

fn str_field_map<'a>(m: &'a Map<String, Value>, f: &str) -> &'a str {
    m.get(f).and_then(Value::as_str).unwrap_or("")
}

/// The kind a file is named after: `rolebindings.yaml`, `rolebinding.yml`,
/// `networkpolicies.networking.k8s.io.json`, case-insensitive.
fn kind_from_file_name(rel: &str) -> Option<&'static KindInfo> {
    let name = rel.rsplit('/').next()?;
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
        .or_else(|| name.strip_suffix(".json"))?
        .to_ascii_lowercase();
    KINDS
        .iter()
        .copied()
        .find(|k| stem == k.key || stem == k.plural || stem == k.kind.to_ascii_lowercase())
}

/// Which extra evidence file.
#[derive(Debug, Clone, Copy)]
enum Evidence {
    Encryption,
    AuditPolicy,
}

impl Evidence {
    fn name(self) -> &'static str {
        match self {
            Evidence::Encryption => "EncryptionConfiguration",
            Evidence::AuditPolicy => "audit Policy",
        }
    }
}

/// Reads, validates and redacts `--encryption-config` and `--audit-policy` files into the
/// snapshot, listing them in `source.files` and their removed key material in
/// `redactions`. A snapshot that already holds one (from the import folder) is not given
/// a second: the verdict must rest on one file, so two are refused, naming both.
pub fn add_evidence_files(
    snap: &mut Snapshot,
    encryption: Option<&Path>,
    audit_policy: Option<&Path>,
) -> Result<(), CollectError> {
    for (path, which) in [
        (encryption, Evidence::Encryption),
        (audit_policy, Evidence::AuditPolicy),
    ] {
        let Some(path) = path else { continue };
        let evidence = read_evidence(path, which)?;
        add_evidence(snap, evidence, which, "given on the command line")?;
    }
    snap.normalize();
    Ok(())
}

/// Puts an evidence file into the snapshot, refusing a second of the same kind.
fn add_evidence(
    snap: &mut Snapshot,
    (file, redactions): (EvidenceFile, Vec<Redaction>),
    which: Evidence,
    origin: &'static str,
) -> Result<(), CollectError> {
    let slot = match which {
        Evidence::Encryption => &mut snap.encryption_config,
        Evidence::AuditPolicy => &mut snap.audit_policy,
    };
    if let Some(first) = slot {
        return Err(CollectError::TwoEvidenceFiles {
            what: which.name(),
            first: first.path.clone(),
            second: file.path,
            origin,
        });
    }
    snap.source.files.push(ImportedFile {
        path: file.path.clone(),
        sha256: file.sha256.clone(),
    });
    *slot = Some(file);
    snap.redactions.extend(redactions);
    Ok(())
}

fn read_evidence(
    path: &Path,
    which: Evidence,
) -> Result<(EvidenceFile, Vec<Redaction>), CollectError> {
    let what = match which {
        Evidence::Encryption => "an EncryptionConfiguration file",
        Evidence::AuditPolicy => "an audit Policy file",
    };
    let bytes = infile::read_named(path, EVIDENCE_LIMIT, what)?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let shown = path.display().to_string();
    let mut docs = parse_documents(path, &bytes)?;
    if docs.len() != 1 {
        let (expected, hint) = expected(which);
        return Err(CollectError::WrongEvidence {
            path: shown,
            expected,
            found: format!("{} documents", docs.len()),
            hint,
        });
    }
    let (_, doc) = docs.remove(0);
    evidence_from_document(shown, sha256, doc, which)
}

fn expected(which: Evidence) -> (&'static str, &'static str) {
    match which {
        Evidence::Encryption => (
            "EncryptionConfiguration (apiserver.config.k8s.io/v1)",
            "give the file kube-apiserver reads with --encryption-provider-config",
        ),
        Evidence::AuditPolicy => (
            "Policy (audit.k8s.io/v1)",
            "give the file kube-apiserver reads with --audit-policy-file",
        ),
    }
}

/// Validates one evidence document and removes its key material.
fn evidence_from_document(
    shown: String,
    sha256: String,
    mut doc: Value,
    which: Evidence,
) -> Result<(EvidenceFile, Vec<Redaction>), CollectError> {
    let (expected, hint) = expected(which);
    let wrong = |found: String| CollectError::WrongEvidence {
        path: shown.clone(),
        expected,
        found,
        hint,
    };
    let api_version = str_field(&doc, "apiVersion").to_string();
    let kind = str_field(&doc, "kind").to_string();
    let found = || format!("apiVersion {:?} kind {:?}", api_version, kind);
    let mut redactions = Vec::new();
    match which {
        Evidence::Encryption => {
            let known = matches!(
                (api_version.as_str(), kind.as_str()),
                ("apiserver.config.k8s.io/v1", "EncryptionConfiguration")
                    // The legacy form kube-apiserver still reads.
                    | ("v1", "EncryptionConfig")
            );
            if !known {
                return Err(wrong(found()));
            }
            validate_encryption(&doc).map_err(|detail| wrong(format!("{} ({detail})", found())))?;
            for r in redact_encryption_config(&mut doc) {
                redactions.push(Redaction {
                    kind: "EncryptionConfiguration".into(),
                    namespace: None,
                    name: shown.clone(),
                    pointer: r.pointer,
                    reason: r.reason.into(),
                });
            }
        }
        Evidence::AuditPolicy => {
            let known = matches!(
                (api_version.as_str(), kind.as_str()),
                (
                    "audit.k8s.io/v1" | "audit.k8s.io/v1beta1" | "audit.k8s.io/v1alpha1",
                    "Policy"
                )
            );
            if !known {
                return Err(wrong(found()));
            }
            if !doc.get("rules").is_some_and(Value::is_array) {
                return Err(wrong(format!("{} without a rules list", found())));
            }
            for r in redact_audit_policy(&mut doc) {
                redactions.push(Redaction {
                    kind: "Policy".into(),
                    namespace: None,
                    name: shown.clone(),
                    pointer: r.pointer,
                    reason: r.reason.into(),
                });
            }
        }
    }
    Ok((
        EvidenceFile {
            path: shown,
            sha256,
            document: doc,
        },
        redactions,
    ))
}

/// The shape kube-apiserver requires: `resources` rules, each with `resources` and
/// `providers`, each provider naming exactly one known provider type.
fn validate_encryption(doc: &Value) -> Result<(), String> {
    let rules = doc
        .get("resources")
        .and_then(Value::as_array)
        .ok_or("no resources list")?;
    for (i, rule) in rules.iter().enumerate() {
        if !rule.get("resources").is_some_and(Value::is_array) {
            return Err(format!("resources[{i}] has no resources list"));
        }
        let providers = rule
            .get("providers")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("resources[{i}] has no providers list"))?;
        for (j, p) in providers.iter().enumerate() {
            let types: Vec<&String> = p
                .as_object()
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            let ok = types.len() == 1
                && matches!(
                    types[0].as_str(),
                    "aescbc" | "aesgcm" | "secretbox" | "kms" | "identity"
                );
            if !ok {
                return Err(format!(
                    "resources[{i}].providers[{j}] must name one of aescbc, aesgcm, secretbox, kms, identity"
                ));
            }
            let at = format!("resources[{i}].providers[{j}].{}", types[0]);
            let settings = &p[types[0].as_str()];
            match types[0].as_str() {
                "aescbc" | "aesgcm" | "secretbox" => {
                    let keys = settings.get("keys").and_then(Value::as_array);
                    if keys.is_none_or(|k| k.is_empty()) {
                        return Err(format!("{at} has no keys"));
                    }
                }
                "kms" => {
                    if let Some(m) = settings.as_object() {
                        if let Some(k) = m.keys().find(|k| {
                            !matches!(
                                k.as_str(),
                                "apiVersion" | "name" | "endpoint" | "cachesize" | "timeout"
                            )
                        }) {
                            return Err(format!("{at} has an unknown field {k:?}"));
                        }
                        if let Some(v) = m.get("apiVersion")
                            && !matches!(v.as_str(), Some("v1" | "v2"))
                        {
                            return Err(format!("{at}.apiVersion must be v1 or v2, not {v}"));
                        }
                    } else {
                        return Err(format!("{at} is not a map"));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_list_items_get_kind_from_list() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("rb.yaml"),
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBindingList\nitems:\n- metadata: {name: a, namespace: x}\n  roleRef: {kind: Role, name: r}\n",
        )
        .unwrap();
        let snap = import_dir(dir.path(), &ImportOptions::default()).unwrap();
        let items = snap.items(kinds::ROLE_BINDINGS.key).unwrap();
        assert_eq!(items[0]["kind"], "RoleBinding");
        assert_eq!(items[0]["apiVersion"], "rbac.authorization.k8s.io/v1");
    }

    #[test]
    fn empty_kubectl_list_is_collected_empty_by_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let empty = "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
        std::fs::write(dir.path().join("networkpolicies.yaml"), empty).unwrap();
        std::fs::write(dir.path().join("whatever.yaml"), empty).unwrap();
        let (snap, warnings) =
            import_dir_with_warnings(dir.path(), &ImportOptions::default()).unwrap();
        assert_eq!(snap.items(kinds::NETWORK_POLICIES.key).unwrap().len(), 0);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].subject, "whatever.yaml");
        let c = &snap.resources[kinds::PODS.key];
        assert_eq!(c.status, CollectionStatus::NotCollected);
        assert_eq!(c.reason.as_deref(), Some(NOT_IN_FILES));
    }

    #[test]
    fn yaml_error_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.yaml"),
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: [x\nmetadata: 3: 4\n",
        )
        .unwrap();
        let err = import_dir(dir.path(), &ImportOptions::default()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("bad.yaml"), "{text}");
        assert!(
            matches!(err, CollectError::Syntax { line: 6 | 7, .. }),
            "{text}"
        );
    }

    #[test]
    fn non_object_document_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("x.yaml"),
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\njust: a map\n",
        )
        .unwrap();
        let err = import_dir(dir.path(), &ImportOptions::default()).unwrap_err();
        assert!(
            matches!(err, CollectError::NotAnObject { line: 5, .. }),
            "{err}"
        );
    }

    #[test]
    fn namespace_filter_keeps_cluster_objects_and_chosen_namespaces() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("all.yaml"),
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n- {apiVersion: v1, kind: ServiceAccount, metadata: {name: s, namespace: b}}\n- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: c}}\n",
        )
        .unwrap();
        let snap = import_dir(
            dir.path(),
            &ImportOptions {
                namespaces: vec!["a".into()],
                ..ImportOptions::default()
            },
        )
        .unwrap();
        assert_eq!(snap.items(kinds::NAMESPACES.key).unwrap().len(), 1);
        assert_eq!(snap.items(kinds::CLUSTER_ROLES.key).unwrap().len(), 1);
        assert!(snap.items(kinds::SERVICE_ACCOUNTS.key).unwrap().is_empty());
        assert!(snap.items(kinds::PODS.key).is_err());
    }
}
