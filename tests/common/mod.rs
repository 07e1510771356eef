//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// The project's `shared/` folder (real public test data): `$AUDITPACK_SHARED`, else
/// `shared/` beside the crate (how CI lays it out), else `/work/shared`.
pub fn shared() -> PathBuf {
    if let Some(p) = std::env::var_os("AUDITPACK_SHARED") {
        return PathBuf::from(p);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if beside.join("realdata").is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared")
}
