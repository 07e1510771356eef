//! Framework catalogs: frameworks are data. A catalog file is one framework:
//!
//! ```yaml
//! id: pci-dss
//! name: PCI DSS v4.0 (Kubernetes technical controls)
//! controls:
//!   - id: "7.2"
//!     title: Access is assigned by least privilege
//!     requirement: Access to system components and data is limited to what each role needs.
//!     checks: [rbac.cluster-admin, rbac.secrets-read]
//! ```
//!
//! Optional fields: a framework's `version` (the edition of the criteria the mapping
//! follows, shown next to the control table), a control's `level` (`required` or
//! `addressable`, HIPAA's implementation specifications) and its `rationale` (check id →
//! why that check supports the control, shown in the packet).
//!
//! The built-in `soc2` and `hipaa` catalogs are embedded in the binary; `--catalog FILE`
//! replaces a framework with the same id or adds a new one. Every check id is validated
//! against the checks this build implements, with the file, line and field of any error.

use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

/// One framework.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framework {
    /// Id (`soc2`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Where it came from: `built-in` or the file path.
    pub source: String,
    /// The edition of the criteria the mapping follows (`2017 Trust Services Criteria,
    /// revised points of focus 2022`), when the catalog names one.
    pub version: Option<String>,
    /// Its controls, in order.
    pub controls: Vec<Control>,
}

/// One control of a framework.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    /// Id (`CC6.1`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Requirement text.
    pub requirement: String,
    /// Check ids.
    pub checks: Vec<String>,
    /// `Required` or `Addressable` (HIPAA implementation specifications), when given.
    pub level: Option<Level>,
    /// Why a check supports this control, by check id (only for checks in `checks`).
    pub rationale: std::collections::BTreeMap<String, String>,
}

/// Whether an implementation specification must be implemented (`Required`) or
/// implemented where reasonable and appropriate, else documented (`Addressable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Must be implemented.
    Required,
    /// Implemented when reasonable and appropriate, or an equivalent documented.
    Addressable,
}

impl Level {
    /// `Required` or `Addressable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Required => "Required",
            Level::Addressable => "Addressable",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    id: String,
    name: String,
    #[serde(default)]
    version: Option<String>,
    controls: Vec<RawControl>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: String,
    title: String,
    requirement: String,
    #[serde(default)]
    level: Option<Level>,
    checks: Vec<Spanned<String>>,
    #[serde(default)]
    rationale: std::collections::HashMap<Spanned<String>, String>,
}

/// Errors reading a catalog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The file could not be read.
    #[error("cannot read catalog {path}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Not a valid catalog document.
    #[error(
        "{path}:{line}:{column}: invalid catalog: {message} (a catalog is `id`, `name`, optional `version`, `controls: [{{id, title, requirement, checks: [CHECK-ID...]}}]`, each control with optional `level: required|addressable` and `rationale: {{CHECK-ID: why}}`)"
    )]
    Malformed {
        /// Path.
        path: String,
        /// Line (1-based; 0 when unknown).
        line: u64,
        /// Column.
        column: u64,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A control names a check this build does not implement.
    #[error(
        "{path}:{line}:{column}: control {control:?} field `checks` names unknown check {check:?}; known checks: {known}"
    )]
    UnknownCheck {
        /// Path.
        path: String,
        /// Line.
        line: u64,
        /// Column.
        column: u64,
        /// Control id.
        control: String,
        /// The unknown id.
        check: String,
        /// Known ids, comma-separated.
        known: String,
    },
    /// A control's `rationale` names a check the control does not list.
    #[error(
        "{path}:{line}:{column}: control {control:?} field `rationale` explains check {check:?}, which is not in its `checks`; add it to `checks` or remove the rationale"
    )]
    RationaleForUnlistedCheck {
        /// Path.
        path: String,
        /// Line.
        line: u64,
        /// Column.
        column: u64,
        /// Control id.
        control: String,
        /// The check id.
        check: String,
    },
    /// The same control id twice in one framework.
    #[error("{path}: control {control:?} appears twice in framework {framework:?}")]
    DuplicateControl {
        /// Path.
        path: String,
        /// Framework.
        framework: String,
        /// Control.
        control: String,
    },
}

/// Parses a catalog document; `source` names it in errors (a path, or `built-in:soc2`).
pub fn parse(source: &str, text: &str) -> Result<Framework, CatalogError> {
    let raw: RawFramework = serde_saphyr::from_str(text).map_err(|e| {
        let loc = e.location();
        let full = e.to_string();
        // The first line is the message; the rest is a rendered snippet.
        let first = full.lines().next().unwrap_or("");
        // Drop the parser's own "error: line L column C: " prefix: the location is ours.
        let message = match first.split_once(": ") {
            Some((head, rest)) if head.starts_with("error") => match rest.split_once(": ") {
                Some((loc, msg)) if loc.starts_with("line ") => msg.to_string(),
                _ => rest.to_string(),
            },
            _ => first.to_string(),
        };
        CatalogError::Malformed {
            path: source.to_string(),
            line: loc.map_or(0, |l| l.line()),
            column: loc.map_or(0, |l| l.column()),
            message,
        }
    })?;
    let known = super::check_ids();
    let mut controls = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in raw.controls {
        if !seen.insert(c.id.clone()) {
            return Err(CatalogError::DuplicateControl {
                path: source.to_string(),
                framework: raw.id.clone(),
                control: c.id,
            });
        }
        let mut checks = Vec::new();
        for s in c.checks {
            if !known.contains(&s.value.as_str()) {
                return Err(CatalogError::UnknownCheck {
                    path: source.to_string(),
                    line: s.referenced.line(),
                    column: s.referenced.column(),
                    control: c.id,
                    check: s.value,
                    known: known.join(", "),
                });
            }
            checks.push(s.value);
        }
        let mut rationale = std::collections::BTreeMap::new();
        for (k, v) in c.rationale {
            if !checks.contains(&k.value) {
                return Err(CatalogError::RationaleForUnlistedCheck {
                    path: source.to_string(),
                    line: k.referenced.line(),
                    column: k.referenced.column(),
                    control: c.id,
                    check: k.value,
                });
            }
            rationale.insert(k.value, v);
        }
        controls.push(Control {
            id: c.id,
            title: c.title,
            requirement: c.requirement,
            checks,
            level: c.level,
            rationale,
        });
    }
    Ok(Framework {
        id: raw.id,
        name: raw.name,
        version: raw.version,
        source: source.to_string(),
        controls,
    })
}

/// Reads a catalog file.
pub fn load(path: &Path) -> Result<Framework, CatalogError> {
    let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse(&path.display().to_string(), &text)
}

const BUILT_IN: &[(&str, &str)] = &[
    ("soc2", include_str!("catalogs/soc2.yaml")),
    ("hipaa", include_str!("catalogs/hipaa.yaml")),
];

/// The built-in frameworks (`soc2`, `hipaa`).
pub fn built_in() -> Vec<Framework> {
    BUILT_IN
        .iter()
        .map(|(id, text)| {
            let mut f =
                parse(&format!("built-in:{id}"), text).expect("built-in catalogs are valid");
            f.source = "built-in".to_string();
            f
        })
        .collect()
}
