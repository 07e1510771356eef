//! A small loader for fixture clusters kept as `kubectl get -o yaml` exports: every
//! `.yaml`, `.yml` or `.json` file of a folder (not its `evidence/` subfolder), multi-document
//! YAML and `kind: List` handled. Used by tests, the examples and `evaluate --from-dir`-style
//! tooling until the real importer (`collect --from-dir`) lands; it does no redaction beyond
//! removing EncryptionConfiguration key material.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::snapshot::{CollectionStatus, EvidenceFile, KINDS, Snapshot, Source, SourceMode};

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

/// The files a folder holds, sorted, skipping `evidence/`.
fn files(dir: &Path) -> Result<Vec<PathBuf>, FixtureError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(io(&d))? {
            let p = e.map_err(io(&d))?.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "evidence") {
                    stack.push(p);
                }
            } else if p
                .extension()
                .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Loads a folder of exports into a snapshot: every known non-optional kind is marked
/// collected (an export folder is taken as complete), optional kinds without objects are
/// marked `absent`.
pub fn load_dir(dir: &Path, collected_at: DateTime<Utc>) -> Result<Snapshot, FixtureError> {
    let mut snap = Snapshot::new(
        collected_at,
        Source {
            mode: SourceMode::Files,
            ..Source::default()
        },
    );
    for f in files(dir)? {
        let bytes = std::fs::read(&f).map_err(io(&f))?;
        let text = String::from_utf8_lossy(&bytes);
        snap.source.files.push(crate::snapshot::ImportedFile {
            path: f.strip_prefix(dir).unwrap_or(&f).display().to_string(),
            sha256: hex::encode(Sha256::digest(&bytes)),
        });
        for o in parse_objects(&f, &text)? {
            snap.add_object(o);
        }
    }
    for k in KINDS {
        let present = snap
            .resources
            .get(k.key)
            .is_some_and(|c| c.status == CollectionStatus::Collected);
        if k.optional && !present {
            snap.mark(
                k.key,
                CollectionStatus::Absent,
                "no objects of this kind in the export (CRD not installed)",
            );
        } else {
            snap.mark_collected(k.key);
        }
    }
    snap.normalize();
    Ok(snap)
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
