//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// The project's `shared/` folder (real public test data): `$AUDITPACK_SHARED`, else the
/// nearest `shared/` holding `realdata/` beside the crate or one of its parent folders (how
/// the project is laid out). There is no fixed fallback path: without either, the tests
/// that read the real data stop with a message saying how to point them at it.
#[allow(dead_code)] // not every test file reads the real data
pub fn shared() -> PathBuf {
    if let Some(p) = std::env::var_os("AUDITPACK_SHARED") {
        return PathBuf::from(p);
    }
    find_shared(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap_or_else(|| {
        panic!(
            "no shared/ folder with realdata/ beside {} or its parents: \
             set AUDITPACK_SHARED to the project's shared folder",
            env!("CARGO_MANIFEST_DIR")
        )
    })
}

/// The nearest `DIR/shared` holding `realdata/`, for `DIR` from `start` upwards.
#[allow(dead_code)]
pub fn find_shared(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join("shared"))
        .find(|candidate| candidate.join("realdata").is_dir())
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

/// The workspace root (`examples/`, `docs/`, `README.md` live under it).
#[allow(dead_code)] // not every test file reads fixtures
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// This crate's folder (`tests/fixtures`, `tests/golden` live under it).
#[allow(dead_code)] // not every test file reads fixtures
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary in `cwd` and panics with its output unless it succeeds; returns its
/// standard output and error.
#[allow(dead_code)] // not every test file runs the binary
///
/// `evaluate` and `packet` exit 3, 4 or 5 when they wrote their output and the verdict is
/// not-collected, fail or partial (the example clusters fail controls on purpose): that is
/// success here too. Tests of the codes themselves check `status.code()`.
pub fn ok(cwd: &Path, args: &[&str]) -> String {
    let o = auditpack(cwd, args);
    let verdict = matches!(args.first(), Some(&"packet") | Some(&"evaluate"))
        && matches!(o.status.code(), Some(3..=5));
    assert!(
        o.status.success() || verdict,
        "auditpack {args:?} failed:\n{}",
        text(&o)
    );
    text(&o)
}

/// Whether `packet` (or `evaluate`) wrote its output: exit 0, or a verdict code (3
/// not-collected, 4 fail, 5 partial).
#[allow(dead_code)]
pub fn wrote(status: &std::process::ExitStatus) -> bool {
    matches!(status.code(), Some(0 | 3..=5))
}

/// Starts the binary in `cwd` with its output piped, without an ambient kubeconfig.
#[allow(dead_code)] // not every test file runs processes side by side
pub fn spawn(cwd: &Path, args: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .current_dir(cwd)
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", cwd)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the auditpack binary starts")
}

/// Polls `f` every 10 ms until it holds (panics after five minutes).
#[allow(dead_code)] // not every test file waits for another process
pub fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(300),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// A copy of the Task API fixture in `dir/NAME` plus `pods` extra Pods in `load.json`:
/// slow enough to render that another process (or a signal) can act while the packet is
/// being written.
#[allow(dead_code)] // not every test file needs a large cluster
pub fn big_cluster(dir: &Path, name: &str, pods: usize) -> PathBuf {
    let dst = task_api_copy(dir, name);
    let items: Vec<serde_json::Value> = (0..pods)
        .map(|i| {
            serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("load-{i}"), "namespace": "production"},
                "spec": {"serviceAccountName": "default", "containers": [
                    {"name": "c", "image": "registry.example/app:1.0"}]}})
        })
        .collect();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    std::fs::write(dst.join("load.json"), serde_json::to_vec(&list).unwrap()).unwrap();
    dst
}

/// A copy of the Task API fixture (`examples/clusters/task-api`) in `dir/NAME`.
#[allow(dead_code)] // not every test file edits a cluster
pub fn task_api_copy(dir: &Path, name: &str) -> PathBuf {
    let dst = dir.join(name);
    let o = std::process::Command::new("cp")
        .arg("-r")
        .arg(root().join("examples/clusters/task-api"))
        .arg(&dst)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    dst
}

/// Runs `cmd` (stdin closed, output captured) and fails the test if it has not ended
/// within `limit`: the command and everything it started (its process group) are killed
/// and its stderr is shown. Without this, a regression that makes a command wait for ever
/// (a FIFO opened for reading, a server that never ends a list) would hang the test run
/// instead of failing it. It bounds a wait; it asserts no speed.
#[allow(dead_code)] // not every test file needs it
pub fn output_within(
    mut cmd: std::process::Command,
    limit: std::time::Duration,
) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    let shown = format!("{cmd:?}");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("{shown} does not start: {e}"));
    let pid = rustix::process::Pid::from_child(&child);
    let (tx, rx) = std::sync::mpsc::channel();
    // Another thread waits, reading both pipes, so that a full pipe cannot stall the child.
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("the command's output is read"),
        Err(_) => {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
            let out = rx.recv().ok().and_then(Result::ok);
            panic!(
                "{shown} did not end within {limit:?} (it hung); stderr:\n{}",
                out.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                    .unwrap_or_default()
            );
        }
    }
}

/// The objects of a `kubectl get -o yaml|json` export file, as written (not redacted):
/// its documents parsed by the importer's own parser
/// ([`auditpack::internals::parse_documents`]), `kind: List` and typed lists
/// (`RoleBindingList`) flattened into their items.
#[allow(dead_code)] // not every test file reads raw objects
pub fn objects(path: &Path) -> Vec<serde_json::Value> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let docs = auditpack::internals::parse_documents(path, &bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for (_, d) in docs {
        flatten_lists(d, &mut out);
    }
    out
}

/// Pushes `d`, or the items of a list (recursively) in their order.
fn flatten_lists(d: serde_json::Value, out: &mut Vec<serde_json::Value>) {
    let is_list = d["kind"].as_str().is_some_and(|k| k.ends_with("List"));
    match d {
        serde_json::Value::Object(mut m)
            if is_list && m.get("items").is_some_and(|i| i.is_array()) =>
        {
            if let Some(serde_json::Value::Array(items)) = m.remove("items") {
                for i in items {
                    flatten_lists(i, out);
                }
            }
        }
        serde_json::Value::Null => {}
        d => out.push(d),
    }
}
