//! Offline import of `kubectl get -o yaml|json` exports, and the extra evidence files
//! (EncryptionConfiguration, audit Policy).
//!
//! The import walks a folder (nested folders too, in sorted order), reads every `.yaml`,
//! `.yml` and `.json` file and ignores every other file, and hidden (`.`) files and
//! folders. A file may hold several YAML
//! documents, single objects, `kind: List` (kubectl's output) or typed lists such as
//! `RoleBindingList` whose items carry no `apiVersion`/`kind` (the API server's output):
//! those are inferred from the list. Only the kinds found are `collected`; an exported
//! empty list counts as collected-empty when its kind is known (typed list, or a `List`
//! whose file is named after the kind, as `kubectl get rolebindings -A -o yaml >
//! rolebindings.yaml` writes it). Every other kind stays `not-collected`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::redact::{redact_audit_policy, redact_encryption_config, redact_object};
use super::{CollectError, Warning};
use crate::snapshot::{
    CollectionStatus, EvidenceFile, ImportedFile, KINDS, KindInfo, Redaction, Snapshot, Source,
    SourceMode, kind_for_object, object_key,
};

/// Reason recorded for every kind an import did not contain.
pub const NOT_IN_FILES: &str = "not in the imported files";

/// Options of [`import_dir`].
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Keep only namespaced objects (and Namespace objects) of these namespaces; empty
    /// keeps all.
    pub namespaces: Vec<String>,
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
    let mut files = Vec::new();
    walk(dir, &mut files)?;

    let source = Source {
        mode: SourceMode::Files,
        namespaces: options.namespaces.clone(),
        ..Source::default()
    };
    let mut snap = Snapshot::new(chrono::Utc::now(), source);
    let mut warnings = Vec::new();
    for path in &files {
        let rel = path
            .strip_prefix(dir)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(path).map_err(|source| CollectError::Io {
            path: path.display().to_string(),
            source,
        })?;
        snap.source.files.push(ImportedFile {
            path: rel.clone(),
            sha256: hex::encode(Sha256::digest(&bytes)),
        });
        let docs = parse_documents(path, &bytes)?;
        // An EncryptionConfiguration or audit Policy dropped into the export folder is
        // evidence about the API server, not a cluster object: take it as if it had been
        // given with --encryption-config / --audit-policy (key material removed).
        if let [(_, doc)] = docs.as_slice() {
            let (api_version, kind) = (str_field(doc, "apiVersion"), str_field(doc, "kind"));
            if api_version.starts_with("apiserver.config.k8s.io/")
                && kind == "EncryptionConfiguration"
            {
                snap.source.files.pop(); // recorded again, by its evidence role
                add_evidence_files(&mut snap, Some(path), None)?;
                relativize(&mut snap, path, &rel);
                continue;
            }
            if api_version.starts_with("audit.k8s.io/") && kind == "Policy" {
                snap.source.files.pop();
                add_evidence_files(&mut snap, None, Some(path))?;
                relativize(&mut snap, path, &rel);
                continue;
            }
        }
        for (line, doc) in docs {
            import_document(&mut snap, &mut warnings, path, &rel, line, doc, options)?;
        }
    }
    for k in KINDS {
        let c = snap.resources.entry(k.key.to_string()).or_default();
        if c.status == CollectionStatus::NotCollected && c.reason.is_none() {
            c.reason = Some(NOT_IN_FILES.to_string());
        }
    }
    super::dedup_items(&mut snap, &mut warnings);
    if snap.source.kubernetes_version.is_none() {
        snap.source.kubernetes_version = apiserver_version(&snap);
    }
    snap.normalize();
    Ok((snap, warnings))
}

/// Names an evidence file found in the import folder by its path inside that folder, as
/// every other imported file is named, so the snapshot does not depend on where the
/// folder was on the collecting machine.
fn relativize(snap: &mut Snapshot, path: &Path, rel: &str) {
    let shown = path.display().to_string();
    for file in [snap.encryption_config.as_mut(), snap.audit_policy.as_mut()]
        .into_iter()
        .flatten()
    {
        if file.path == shown {
            file.path = rel.to_string();
        }
    }
    for f in snap.source.files.iter_mut().filter(|f| f.path == shown) {
        f.path = rel.to_string();
    }
    for r in snap.redactions.iter_mut().filter(|r| r.name == shown) {
        r.name = rel.to_string();
    }
}

/// The Kubernetes version an export shows: the image tag of the kube-apiserver Pod in
/// kube-system (`registry.k8s.io/kube-apiserver:v1.37.0`), when the export has it.
fn apiserver_version(snap: &Snapshot) -> Option<String> {
    // Parse only kube-system's pods: the rest of an export may be large.
    let system = snap.collected("pods").ok()?.parse_in("kube-system");
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

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CollectError> {
    let io = |source| CollectError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for p in entries {
        // Hidden files and folders (`.git`, editor swap files) are not exports.
        if p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
    Ok(())
}

/// Parses a file into its documents with the line each starts at (1-based). JSON files
/// (by extension) are one document; YAML files may hold several; empty documents are
/// skipped.
pub fn parse_documents(path: &Path, bytes: &[u8]) -> Result<Vec<(usize, Value)>, CollectError> {
    let text = std::str::from_utf8(bytes).map_err(|e| CollectError::Syntax {
        path: path.display().to_string(),
        line: line_of_offset(bytes, e.valid_up_to()),
        message: "not UTF-8 text".into(),
    })?;
    if path.extension().and_then(|e| e.to_str()) == Some("json") {
        let v: Value = serde_json::from_str(text).map_err(|e| CollectError::Syntax {
            path: path.display().to_string(),
            line: e.line(),
            message: format!("not valid JSON (column {}): {e}", e.column()),
        })?;
        return Ok(vec![(1, v)]);
    }
    let mut options = serde_saphyr::Options::default();
    // kubectl exports of large clusters exceed the default budget (meant for config
    // files); keep a bound, but one sized for clusters.
    if let Some(b) = options.budget.as_mut() {
        b.max_events = 500_000_000;
        b.max_nodes = 200_000_000;
        b.max_documents = 10_000_000;
        b.max_total_scalar_bytes = 4 << 30;
        b.max_reader_input_bytes = None;
        b.max_depth = 256;
    }
    options.with_snippet = false;
    let docs: Vec<serde_saphyr::Spanned<Value>> =
        serde_saphyr::from_multiple_with_options(text, options).map_err(|e| {
            let line = e.location().map_or(0, |l| l.line() as usize);
            let first = e.to_string();
            let first = first
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            CollectError::Syntax {
                path: path.display().to_string(),
                line,
                message: format!("not valid YAML: {first}"),
            }
        })?;
    Ok(docs
        .into_iter()
        .filter(|d| !d.value.is_null())
        .map(|d| (d.referenced.line() as usize, d.value))
        .collect())
}

fn line_of_offset(bytes: &[u8], offset: usize) -> usize {
    1 + memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count()
}

fn str_field<'a>(v: &'a Value, f: &str) -> &'a str {
    v.get(f).and_then(Value::as_str).unwrap_or("")
}

fn import_document(
    snap: &mut Snapshot,
    warnings: &mut Vec<Warning>,
    path: &Path,
    rel: &str,
    line: usize,
    doc: Value,
    options: &ImportOptions,
) -> Result<(), CollectError> {
    let api_version = str_field(&doc, "apiVersion").to_string();
    let kind = str_field(&doc, "kind").to_string();
    if api_version.is_empty() || kind.is_empty() {
        return Err(CollectError::NotAnObject {
            path: path.display().to_string(),
            line,
        });
    }
    let Some(item_kind) = kind.strip_suffix("List") else {
        add_one(snap, doc, options);
        return Ok(());
    };
    let Value::Object(mut list) = doc else {
        unreachable!("a document with a kind is an object")
    };
    let items = match list.remove("items") {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => Vec::new(),
        Some(_) => {
            return Err(CollectError::NotAnObject {
                path: path.display().to_string(),
                line,
            });
        }
    };
    let typed = !item_kind.is_empty();
    if typed {
        // A typed list: every item is of this kind even when it says nothing.
        if let Some(info) = kind_for_object(&api_version, item_kind) {
            snap.mark_collected(info.key);
        } else {
            snap.mark_collected(&object_key(&api_version, item_kind));
        }
    } else if items.is_empty() {
        match kind_from_file_name(rel) {
            Some(info) => snap.mark_collected(info.key),
            None => warnings.push(Warning {
                subject: rel.to_string(),
                message: format!(
                    "empty List at line {line}: its kind cannot be told from the file name, so no kind was marked collected (name the file after the kind, e.g. rolebindings.yaml)"
                ),
            }),
        }
    }
    for mut item in items {
        if let Some(obj) = item.as_object_mut() {
            if typed {
                obj.entry("apiVersion")
                    .or_insert_with(|| Value::String(api_version.clone()));
                obj.entry("kind")
                    .or_insert_with(|| Value::String(item_kind.to_string()));
            }
            if str_field(&item, "apiVersion").is_empty() || str_field(&item, "kind").is_empty() {
                return Err(CollectError::NotAnObject {
                    path: path.display().to_string(),
                    line,
                });
            }
            // A list inside a list (a `SecretList` among a `List`'s items): its items are
            // the objects, redacted as their kind, never the list kept whole.
            if str_field(&item, "kind").ends_with("List") && item.get("items").is_some() {
                import_document(snap, warnings, path, rel, line, item, options)?;
                continue;
            }
            add_one(snap, item, options);
        } else {
            return Err(CollectError::NotAnObject {
                path: path.display().to_string(),
                line,
            });
        }
    }
    Ok(())
}

/// Redacts one object and adds it, unless the namespace filter excludes it.
fn add_one(snap: &mut Snapshot, mut object: Value, options: &ImportOptions) {
    let key = object_key(str_field(&object, "apiVersion"), str_field(&object, "kind"));
    if !options.namespaces.is_empty() {
        let (ns, name) = crate::snapshot::object_ref(&object);
        let keep = if str_field(&object, "kind") == "Namespace" {
            options.namespaces.iter().any(|n| n == name)
        } else {
            ns.is_empty() || options.namespaces.iter().any(|n| n == ns)
        };
        if !keep {
            // The kind was exported: it is collected, just empty in the chosen scope.
            snap.mark_collected(&key);
            return;
        }
    }
    let redactions = redact_object(&mut object, &key);
    snap.redactions.extend(redactions);
    snap.add_object(object);
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
        .find(|k| stem == k.key || stem == k.plural || stem == k.kind.to_ascii_lowercase())
}

/// Which extra evidence file.
#[derive(Debug, Clone, Copy)]
enum Evidence {
    Encryption,
    AuditPolicy,
}

/// Reads, validates and redacts `--encryption-config` and `--audit-policy` files into the
/// snapshot, listing them in `source.files` and their removed key material in
/// `redactions`.
pub fn add_evidence_files(
    snap: &mut Snapshot,
    encryption: Option<&Path>,
    audit_policy: Option<&Path>,
) -> Result<(), CollectError> {
    if let Some(p) = encryption {
        let (file, redactions) = read_evidence(p, Evidence::Encryption)?;
        snap.source.files.push(ImportedFile {
            path: file.path.clone(),
            sha256: file.sha256.clone(),
        });
        snap.encryption_config = Some(file);
        snap.redactions.extend(redactions);
    }
    if let Some(p) = audit_policy {
        let (file, redactions) = read_evidence(p, Evidence::AuditPolicy)?;
        snap.source.files.push(ImportedFile {
            path: file.path.clone(),
            sha256: file.sha256.clone(),
        });
        snap.audit_policy = Some(file);
        snap.redactions.extend(redactions);
    }
    snap.normalize();
    Ok(())
}

fn read_evidence(
    path: &Path,
    which: Evidence,
) -> Result<(EvidenceFile, Vec<Redaction>), CollectError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| CollectError::Io {
        path: shown.clone(),
        source,
    })?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let mut docs = parse_documents(path, &bytes)?;
    let (expected, hint) = match which {
        Evidence::Encryption => (
            "EncryptionConfiguration (apiserver.config.k8s.io/v1)",
            "give the file kube-apiserver reads with --encryption-provider-config",
        ),
        Evidence::AuditPolicy => (
            "Policy (audit.k8s.io/v1)",
            "give the file kube-apiserver reads with --audit-policy-file",
        ),
    };
    let wrong = |found: String| CollectError::WrongEvidence {
        path: shown.clone(),
        expected,
        found,
        hint,
    };
    if docs.len() != 1 {
        return Err(wrong(format!("{} documents", docs.len())));
    }
    let (_, mut doc) = docs.remove(0);
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
        let items = snap
            .items("rolebindings.rbac.authorization.k8s.io")
            .unwrap();
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
        assert_eq!(
            snap.items("networkpolicies.networking.k8s.io")
                .unwrap()
                .len(),
            0
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].subject, "whatever.yaml");
        let c = &snap.resources["pods"];
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
            },
        )
        .unwrap();
        assert_eq!(snap.items("namespaces").unwrap().len(), 1);
        assert_eq!(
            snap.items("clusterroles.rbac.authorization.k8s.io")
                .unwrap()
                .len(),
            1
        );
        assert!(snap.items("serviceaccounts").unwrap().is_empty());
        assert!(snap.items("pods").is_err());
    }
}
