//! Small parsers for tests and examples: objects from a `kubectl get -o yaml` export file
//! (multi-document YAML and `kind: List`), and evidence files with EncryptionConfiguration
//! key material removed. Snapshots of whole folders come from the real importer,
//! [`crate::collect::import_dir`].

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::snapshot::EvidenceFile;

/// Errors loading a fixture folder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixtureError {
    /// A file or folder could not be read.
    #[error("cannot read {path}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A file is not valid YAML.
    #[error("{path} is not valid YAML: {message}")]
    Yaml {
        /// Path.
        path: String,
        /// Parser message (with line and column).
        message: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FixtureError + '_ {
    move |source| FixtureError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Parses multi-document YAML (or JSON) into objects, flattening `kind: List`.
pub fn parse_objects(path: &Path, text: &str) -> Result<Vec<Value>, FixtureError> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| FixtureError::Yaml {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let mut out = Vec::new();
    for d in docs {
        flatten(d, &mut out);
    }
    Ok(out)
}

fn flatten(d: Value, out: &mut Vec<Value>) {
    if d.is_null() {
        return;
    }
    if d.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k == "List" || k.ends_with("List"))
        && let Some(Value::Array(items)) = d.get("items")
    {
        for i in items.clone() {
            flatten(i, out);
        }
        return;
    }
    out.push(d);
}

/// Reads an evidence file (EncryptionConfiguration, audit Policy), removing key material
/// (`secret` fields of provider keys).
pub fn load_evidence(path: &Path) -> Result<EvidenceFile, FixtureError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut docs = parse_objects(path, &text)?;
    let mut document = if docs.is_empty() {
        Value::Null
    } else {
        docs.swap_remove(0)
    };
    strip_key_material(&mut document);
    Ok(EvidenceFile {
        path: path.display().to_string(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        document,
    })
}

fn strip_key_material(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(keys)) = m.get_mut("keys") {
                for k in keys {
                    if let Some(o) = k.as_object_mut() {
                        o.remove("secret");
                    }
                }
            }
            for (_, c) in m.iter_mut() {
                strip_key_material(c);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_key_material),
        _ => {}
    }
}
