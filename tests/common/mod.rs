//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// The project's `shared/` folder (real public test data): `$AUDITPACK_SHARED`, else
/// `shared/` beside the crate (how CI lays it out), else `/work/shared`.
#[allow(dead_code)] // not every test file reads the real data
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

/// Runs the `auditpack` binary in `cwd`.
#[allow(dead_code)] // not every test file runs the binary
pub fn auditpack(cwd: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("the auditpack binary runs")
}

/// Standard output then standard error, for assertion messages.
#[allow(dead_code)] // not every test file runs the binary
pub fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
