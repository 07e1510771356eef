//! The objects the stand-in server serves: loaded once from a folder, indexed by resource.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use auditpack::{KINDS, object_ref};

/// Where one resource is served.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Resource {
    /// API group (`""` for core).
    pub group: String,
    /// Version.
    pub version: String,
    /// Plural name.
    pub plural: String,
    /// `kind` of one object.
    pub kind: String,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Served from a CRD (items keep apiVersion/kind in lists, as the real server does).
    pub custom: bool,
}

/// Errors loading the objects folder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A file is not valid YAML/JSON.
    #[error("{path}: not valid YAML or JSON: {message}")]
    Parse {
        /// Path.
        path: PathBuf,
        /// Parser message (with line).
        message: String,
    },
    /// An object lacks apiVersion/kind/metadata.name.
    #[error(
        "{path}: an object has no {field}: every served object needs apiVersion, kind and metadata.name"
    )]
    Incomplete {
        /// Path.
        path: PathBuf,
        /// Missing field.
        field: &'static str,
    },
}

/// Every object, by resource, sorted by (namespace, name).
#[derive(Debug, Default)]
pub struct Store {
    /// Resources served, with their objects.
    pub resources: BTreeMap<Resource, Vec<Value>>,
}

impl Store {
    /// Loads every `.yaml`, `.yml` and `.json` file under `dir` (recursively, sorted).
    pub fn load(dir: &Path) -> Result<Store, StoreError> {
        let mut files = Vec::new();
        walk(dir, &mut files)?;
        files.sort();
        let mut store = Store::default();
        // Every built-in kind is served even when empty, as a real cluster does.
        for k in KINDS.iter().filter(|k| !k.optional) {
            store.resources.entry(builtin(k)).or_default();
        }
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
            let docs: Vec<Value> = if path.extension().is_some_and(|e| e == "json") {
                vec![serde_json::from_str(&text).map_err(|e| StoreError::Parse {
                    path: path.clone(),
                    message: e.to_string(),
                })?]
            } else {
                serde_saphyr::from_multiple(&text).map_err(|e| StoreError::Parse {
                    path: path.clone(),
                    message: e.to_string(),
                })?
            };
            for doc in docs {
                store.add_document(&path, doc)?;
            }
        }
        for items in store.resources.values_mut() {
            items.sort_by(|a, b| object_ref(a).cmp(&object_ref(b)));
        }
        Ok(store)
    }

    fn add_document(&mut self, path: &Path, doc: Value) -> Result<(), StoreError> {
        if doc.is_null() {
            return Ok(());
        }
        let kind = doc
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Some(list_kind) = kind.strip_suffix("List") {
            let api_version = doc
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or("v1")
                .to_string();
            if let Some(items) = doc.get("items").and_then(Value::as_array) {
                for mut item in items.clone() {
                    // `kubectl get -o yaml` fills these in; a typed list from the API omits them.
                    if !list_kind.is_empty() && item.get("kind").is_none() {
                        item["kind"] = Value::String(list_kind.to_string());
                        item["apiVersion"] = Value::String(api_version.clone());
                    }
                    self.add_document(path, item)?;
                }
            }
            return Ok(());
        }
        let api_version =
            doc.get("apiVersion")
                .and_then(Value::as_str)
                .ok_or(StoreError::Incomplete {
                    path: path.into(),
                    field: "apiVersion",
                })?;
        if kind.is_empty() {
            return Err(StoreError::Incomplete {
                path: path.into(),
                field: "kind",
            });
        }
        if object_ref(&doc).1.is_empty() {
            return Err(StoreError::Incomplete {
                path: path.into(),
                field: "metadata.name",
            });
        }
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let resource = match KINDS.iter().find(|k| k.kind == kind && k.group == group) {
            Some(k) => Resource {
                version: version.to_string(),
                ..builtin(k)
            },
            None => Resource {
                group: group.to_string(),
                version: version.to_string(),
                plural: plural(&kind),
                kind: kind.clone(),
                namespaced: doc.pointer("/metadata/namespace").is_some(),
                custom: !group.is_empty()
                    && !group.ends_with(".k8s.io")
                    && !matches!(group, "apps" | "batch" | "policy" | "autoscaling"),
            },
        };
        self.resources.entry(resource).or_default().push(doc);
        Ok(())
    }

    /// Finds a served resource by group, version and plural.
    pub fn find(
        &self,
        group: &str,
        version: &str,
        plural: &str,
    ) -> Option<(&Resource, &Vec<Value>)> {
        self.resources
            .iter()
            .find(|(r, _)| r.group == group && r.version == version && r.plural == plural)
    }
}

fn builtin(k: &auditpack::KindInfo) -> Resource {
    Resource {
        group: k.group.to_string(),
        version: k.version.to_string(),
        plural: k.plural.to_string(),
        kind: k.kind.to_string(),
        namespaced: k.namespaced,
        custom: k.optional,
    }
}

fn plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with('s') {
        format!("{lower}es")
    } else if let Some(stem) = lower.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), StoreError> {
    let entries = std::fs::read_dir(dir).map_err(|source| StoreError::Io {
        path: dir.into(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| StoreError::Io {
            path: dir.into(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
    Ok(())
}
