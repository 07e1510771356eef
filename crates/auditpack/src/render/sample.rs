//! The real Task API pipeline, pinned for tests and golden files: the bundled
//! `examples/clusters/task-api` export imported by the collector and evaluated by the
//! controls, with the clock and the machine taken out. Not a stable interface.

use std::path::Path;

use chrono::{TimeZone, Utc};

use crate::collect::{ImportOptions, import_dir};
use crate::controls::{EvalOptions, evaluate};
use crate::findings::Findings;
use crate::snapshot::Snapshot;

/// The example cluster folder, relative to the crate root.
pub const SAMPLE_DIR: &str = "examples/clusters/task-api";

/// The fixed collection time of [`sample_snapshot`]: 2026-11-15T12:00:00Z.
pub fn sample_collected_at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 15, 12, 0, 0).unwrap()
}

/// The Task API example cluster imported by [`import_dir`] with default options, collected
/// at [`sample_collected_at`]. The importer names every file by its path inside the
/// folder, so the snapshot is the same on every machine.
///
/// # Panics
/// If the bundled example folder is missing or does not import.
#[doc(hidden)]
pub fn sample_snapshot() -> Snapshot {
    // The workspace root, where `examples/` is.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists");
    let dir = root.join(SAMPLE_DIR);
    let mut s = import_dir(&dir, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("importing {}: {e:#}", dir.display()));
    s.collected_at = sample_collected_at();
    // As `auditpack demo` names it.
    s.source.cluster = Some("task-api".into());
    s.normalize();
    s
}

/// The real evaluation of [`sample_snapshot`] with default options (every built-in
/// framework).
///
/// # Panics
/// If the evaluator rejects the default options.
#[doc(hidden)]
pub fn sample_findings() -> Findings {
    evaluate(&sample_snapshot(), &EvalOptions::default()).expect("default options evaluate")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_depends_on_neither_clock_nor_machine() {
        let s = sample_snapshot();
        assert_eq!(s.collected_at, sample_collected_at());
        let json = serde_json::to_string(&s).unwrap();
        assert!(
            !json.contains(env!("CARGO_MANIFEST_DIR").trim_end_matches("/crates/auditpack")),
            "the checkout's location leaked into the sample snapshot"
        );
        let enc = s
            .encryption_config
            .as_ref()
            .expect("encryption config imported");
        assert_eq!(enc.path, "evidence/encryption-config.yaml");
        assert_eq!(
            s.audit_policy.as_ref().expect("audit policy imported").path,
            "evidence/audit-policy.yaml"
        );
        assert_eq!(sample_snapshot(), s, "two imports differ");
        let f = sample_findings();
        assert_eq!(f.snapshot_collected_at, "2026-11-15T12:00:00Z");
        assert!(f.checks.iter().any(|c| c.id == "rbac.cluster-admin"));
    }
}
