//! `auditpack collect --from-dir` and the evidence-file flags on hostile input: links out
//! of the folder, FIFOs and devices, conflicting duplicates, YAML alias bombs, two
//! EncryptionConfigurations, and the memory an import of a large export takes. Every test
//! runs the real binary.

mod common;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const TOKEN: &str = "SENTINEL-kubeconfig-token-51c2";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_auditpack")
}

/// Runs the binary in `dir`, failing the test if it hangs (a FIFO opened for reading
/// blocks for ever): see [`common::output_within`].
fn run_guarded(dir: &Path, args: &[&str], limit: Duration) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .current_dir(dir)
        .env_remove("KUBECONFIG")
        .env("HOME", dir);
    common::output_within(cmd, limit)
}

fn collect(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["collect"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", "snapshot.json"]);
    run_guarded(dir, &all, Duration::from_secs(120))
}

/// Runs `auditpack ARGS` under GNU time and returns the output and the peak RSS in KiB.
fn collect_measured(dir: &Path, args: &[&str]) -> (Output, u64) {
    assert!(
        Path::new("/usr/bin/time").exists(),
        "GNU time (/usr/bin/time) is needed: scripts/setup-test-deps.sh installs it"
    );
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f")
        .arg("maxrss=%M")
        .arg("-o")
        .arg(dir.join("time.txt"))
        .arg(bin())
        .arg("collect")
        .args(args)
        .args(["--out", "snapshot.json"])
        .current_dir(dir)
        .env_remove("KUBECONFIG")
        .env("HOME", dir);
    let out = common::output_within(cmd, Duration::from_secs(600));
    let t = std::fs::read_to_string(dir.join("time.txt")).unwrap();
    let kib = t
        .lines()
        .find_map(|l| l.strip_prefix("maxrss="))
        .unwrap_or_else(|| panic!("no maxrss in {t:?}"))
        .trim()
        .parse()
        .unwrap();
    (out, kib)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A folder with one good export, and a kubeconfig (with a token) beside it, outside.
fn folder() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exports");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("namespaces.yaml"),
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: web}}\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("kubeconfig"),
        format!(
            "apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {{server: 'https://10.0.0.1'}}}}]\nusers: [{{name: u, user: {{token: {TOKEN}, client-key-data: {TOKEN}}}}}]\ncontexts: [{{name: x, context: {{cluster: c, user: u}}}}]\ncurrent-context: x\n"
        ),
    )
    .unwrap();
    (tmp, dir)
}

fn assert_refused(o: &Output, dir: &Path, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    assert!(!err.contains(TOKEN), "{err}");
    assert!(
        !dir.join("snapshot.json").exists(),
        "a refused import wrote a snapshot"
    );
}

// A symlink to the user's kubeconfig put its token and client key into a signed packet.
#[test]
fn import_refuses_a_symlink_out_of_the_folder() {
    let (tmp, dir) = folder();
    symlink(tmp.path().join("kubeconfig"), dir.join("config.yaml")).unwrap();
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_refused(
        &o,
        tmp.path(),
        &["config.yaml", "symbolic link", "--follow-symlinks"],
    );
    // A link to a folder outside is refused the same way.
    std::fs::remove_file(dir.join("config.yaml")).unwrap();
    symlink(tmp.path(), dir.join("up")).unwrap();
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_refused(&o, tmp.path(), &["up", "symbolic link"]);
}

// --follow-symlinks follows links that stay inside the folder, and still none that leave.
#[test]
fn follow_symlinks_reads_links_inside_the_folder_only() {
    let (tmp, dir) = folder();
    std::fs::create_dir_all(dir.join("..data")).unwrap();
    std::fs::write(
        dir.join("..data/sa.yaml"),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: web}\n",
    )
    .unwrap();
    // How the kubelet lays out a ConfigMap volume.
    symlink("..data/sa.yaml", dir.join("sa.yaml")).unwrap();
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_refused(&o, tmp.path(), &["sa.yaml", "symbolic link"]);
    let o = collect(tmp.path(), &["--from-dir", "exports", "--follow-symlinks"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("snapshot.json")).unwrap())
            .unwrap();
    assert_eq!(
        snap["resources"]["serviceaccounts"]["items"][0]["metadata"]["name"],
        "app"
    );
    std::fs::remove_file(tmp.path().join("snapshot.json")).unwrap();
    for target in [
        tmp.path().join("kubeconfig"),
        PathBuf::from("../kubeconfig"),
        PathBuf::from("..data/../../kubeconfig"),
    ] {
        let _ = std::fs::remove_file(dir.join("config.yaml"));
        symlink(&target, dir.join("config.yaml")).unwrap();
        let o = collect(tmp.path(), &["--from-dir", "exports", "--follow-symlinks"]);
        assert_refused(&o, tmp.path(), &["config.yaml", "outside"]);
    }
}

// A FIFO in the folder hung collect for ever; a device (/dev/zero) ran it out of memory.
#[test]
fn import_refuses_fifos_and_devices_without_hanging() {
    let (tmp, dir) = folder();
    assert!(
        Command::new("mkfifo")
            .arg(dir.join("pods.yaml"))
            .status()
            .unwrap()
            .success()
    );
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_refused(&o, tmp.path(), &["pods.yaml", "FIFO", "not a regular file"]);
    std::fs::remove_file(dir.join("pods.yaml")).unwrap();
    // A FIFO is refused whatever its name: an import folder holds only files and folders.
    assert!(
        Command::new("mkfifo")
            .arg(dir.join("notes"))
            .status()
            .unwrap()
            .success()
    );
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_refused(&o, tmp.path(), &["notes", "FIFO"]);
    std::fs::remove_file(dir.join("notes")).unwrap();
    // A socket, as a file of the folder and as --encryption-config.
    let sock = std::os::unix::net::UnixListener::bind(dir.join("s.yaml")).unwrap();
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_refused(&o, tmp.path(), &["s.yaml", "socket"]);
    drop(sock);
    std::fs::remove_file(dir.join("s.yaml")).unwrap();
    let _sock = std::os::unix::net::UnixListener::bind(tmp.path().join("enc.yaml")).unwrap();
    let o = collect(
        tmp.path(),
        &["--from-dir", "exports", "--encryption-config", "enc.yaml"],
    );
    assert_refused(&o, tmp.path(), &["enc.yaml", "socket"]);
    // The character device of /dev/zero (mknod needs root; skipped without it).
    let made = Command::new("mknod")
        .arg(dir.join("zero.yaml"))
        .args(["c", "1", "5"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let o = collect(tmp.path(), &["--from-dir", "exports"]);
        assert_refused(&o, tmp.path(), &["zero.yaml", "character device"]);
    }
}

// --encryption-config, --audit-policy and --audit-log follow the same rules: no FIFO or
// device, no link out of the folder that holds the named path.
#[test]
fn evidence_paths_refuse_fifos_devices_and_links_out() {
    let (tmp, _dir) = folder();
    let fifo = tmp.path().join("enc.yaml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::fs::create_dir_all(tmp.path().join("etc")).unwrap();
    symlink(
        tmp.path().join("kubeconfig"),
        tmp.path().join("etc/policy.yaml"),
    )
    .unwrap();
    for (flag, path, needle) in [
        ("--encryption-config", "enc.yaml", "FIFO"),
        ("--audit-policy", "enc.yaml", "FIFO"),
        ("--encryption-config", "/dev/zero", "character device"),
        ("--audit-policy", "etc/policy.yaml", "outside"),
        ("--encryption-config", "etc/policy.yaml", "outside"),
    ] {
        let o = collect(tmp.path(), &["--from-dir", "exports", flag, path]);
        assert_refused(&o, tmp.path(), &[path.rsplit('/').next().unwrap(), needle]);
    }
    // Audit logs: a FIFO named directly, a device, and a link out inside a log folder.
    std::fs::create_dir_all(tmp.path().join("logs")).unwrap();
    symlink(
        tmp.path().join("kubeconfig"),
        tmp.path().join("logs/audit.log"),
    )
    .unwrap();
    for (path, needle) in [
        ("enc.yaml", "FIFO"),
        ("/dev/zero", "character device"),
        ("logs", "outside"),
        ("logs/audit.log", "outside"),
    ] {
        let o = collect(tmp.path(), &["--from-dir", "exports", "--audit-log", path]);
        assert_refused(&o, tmp.path(), &[needle]);
    }
}

// A key file that is a FIFO made `seal` and `verify` wait for ever, and `/dev/zero` as a
// key was read without end; one that links out of its folder is refused, and a kubelet
// Secret volume (links inside the folder, as examples/deploy/cronjob.yaml mounts the
// signing key) still works, for the private key of `seal` and the public key of `verify`.
#[test]
fn key_paths_refuse_fifos_devices_and_links_out_but_read_secret_volumes() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let o = run_guarded(t, &["demo", "--out", "d"], Duration::from_secs(300));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_guarded(
        t,
        &["keygen", "--name", "k", "--out", "keys"],
        Duration::from_secs(60),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        Command::new("mkfifo")
            .arg(t.join("fifo.pem"))
            .status()
            .unwrap()
            .success()
    );
    // A Secret volume: k.key.pem -> ..data/k.key.pem, ..data -> ..2026_01_01
    let vol = t.join("secret");
    std::fs::create_dir_all(vol.join("..2026_01_01")).unwrap();
    for name in ["k.key.pem", "k.pub.pem"] {
        std::fs::copy(
            t.join("keys").join(name),
            vol.join("..2026_01_01").join(name),
        )
        .unwrap();
        symlink(format!("..data/{name}"), vol.join(name)).unwrap();
    }
    symlink("..2026_01_01", vol.join("..data")).unwrap();
    symlink(t.join("keys/k.key.pem"), vol.join("out.key.pem")).unwrap();
    symlink(t.join("keys/k.pub.pem"), vol.join("out.pub.pem")).unwrap();

    let seal = |key: &str| {
        run_guarded(
            t,
            &["seal", "d/packet", "--force", "--key", key],
            Duration::from_secs(120),
        )
    };
    let verify = |key: &str| {
        run_guarded(
            t,
            &["verify", "d/packet", "--key", key],
            Duration::from_secs(120),
        )
    };
    for (key, needle) in [
        ("fifo.pem", "FIFO"),
        ("/dev/zero", "character device"),
        ("secret/out.key.pem", "outside"),
        ("secret/out.pub.pem", "outside"),
    ] {
        for (what, o) in [("seal", seal(key)), ("verify", verify(key))] {
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{what} --key {key}: {err}");
            assert!(
                err.contains(needle) && err.contains(key.rsplit('/').next().unwrap()),
                "{what} --key {key}: {err}"
            );
        }
    }
    let o = seal("secret/k.key.pem");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = verify("secret/k.pub.pem");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

const BINDING: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ops, namespace: web}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ROLE}\nsubjects: [{kind: User, name: mallory}]\n";

// A stale export of a binding hid the failing one: the first file in sorted order won.
#[test]
fn conflicting_duplicates_are_refused_naming_both_files_and_lines() {
    let (tmp, dir) = folder();
    std::fs::write(
        dir.join("a-old.yaml"),
        format!("# stale\n{}", BINDING.replace("ROLE", "view")),
    )
    .unwrap();
    std::fs::write(
        dir.join("b-new.yaml"),
        format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {{name: x, namespace: web}}\n- {}",
            BINDING
                .replace("ROLE", "cluster-admin")
                .replace('\n', "\n  ")
                .trim_end()
        ),
    )
    .unwrap();
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_refused(
        &o,
        tmp.path(),
        &[
            "web/ops",
            "a-old.yaml:2",
            "b-new.yaml:7",
            "different content",
        ],
    );
    // The same in JSON: lines are named too.
    std::fs::remove_file(dir.join("b-new.yaml")).unwrap();
    let json = serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBindingList", "items": [
        {"metadata": {"name": "ops", "namespace": "web"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}, "subjects": [{"kind": "User", "name": "mallory"}]}
    ]});
    std::fs::write(
        dir.join("c.json"),
        serde_json::to_string_pretty(&json).unwrap(),
    )
    .unwrap();
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_refused(&o, tmp.path(), &["a-old.yaml:2", "c.json:5"]);
}

// Identical copies (the same export saved twice) are dropped with a warning, as before.
#[test]
fn identical_duplicates_are_dropped_with_a_warning() {
    let (tmp, dir) = folder();
    std::fs::write(dir.join("a.yaml"), BINDING.replace("ROLE", "view")).unwrap();
    // The same object as JSON, keys in another order.
    let json = serde_json::json!({"kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
        "subjects": [{"kind": "User", "name": "mallory"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "metadata": {"namespace": "web", "name": "ops"}});
    std::fs::write(dir.join("b.json"), json.to_string()).unwrap();
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 duplicate object(s)"),
        "{}",
        stderr(&o)
    );
    let snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("snapshot.json")).unwrap())
            .unwrap();
    let items = &snap["resources"]["rolebindings.rbac.authorization.k8s.io"]["items"];
    assert_eq!(items.as_array().unwrap().len(), 1);
}

/// Billion-laughs files of three shapes: nested sequences (563 bytes), one 16 KB scalar
/// replayed through nested aliases (about 20 KB, the shape that aborted at 8.4 GB), and
/// merge keys.
fn bombs() -> Vec<(&'static str, String)> {
    let mut laughs = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol, namespace: default}\ndata:\n  a0: &a0 \"lol\"\n",
    );
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(",");
        laughs.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    let mut wide = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: wide, namespace: default}}\ndata:\n  s0: &s0 \"{}\"\n",
        "x".repeat(16_000)
    );
    for i in 1..8 {
        let refs = vec![format!("*s{}", i - 1); 16].join(",");
        wide.push_str(&format!("  s{i}: &s{i} [{refs}]\n"));
    }
    let mut merge =
        String::from("m0: &m0 {k0: v, k1: v, k2: v, k3: v, k4: v, k5: v, k6: v, k7: v}\n");
    for i in 1..12 {
        let refs: Vec<String> = (0..8).map(|j| format!("x{j}: *m{}", i - 1)).collect();
        merge.push_str(&format!("m{i}: &m{i} {{{}}}\n", refs.join(", ")));
    }
    let merge = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: merge, namespace: default}}\ndata:\n{}",
        merge
            .lines()
            .map(|l| format!("  {l}\n"))
            .collect::<String>()
    );
    vec![
        ("laughs.yaml", laughs),
        ("wide.yaml", wide),
        ("merge.yaml", merge),
    ]
}

// A 20 KB file aborted collect at 8.4 GB; a 1.2 KB one used 1 GB. Each is now refused
// by a named rule, within a small, fixed amount of memory.
#[test]
fn yaml_alias_bombs_are_refused_in_bounded_memory() {
    for (name, text) in bombs() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("exports");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), &text).unwrap();
        let (o, kib) = collect_measured(tmp.path(), &["--from-dir", "exports"]);
        let err = stderr(&o);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{name} ({} bytes): {err}",
            text.len()
        );
        assert!(
            err.contains(name) && err.contains("aliases"),
            "{name}: {err}"
        );
        assert!(
            kib < 128 * 1024,
            "{name} ({} bytes) took {} MiB to refuse",
            text.len(),
            kib / 1024
        );
        // The same file as --encryption-config.
        let (o, kib) = collect_measured(
            tmp.path(),
            &[
                "--from-dir",
                "exports",
                "--encryption-config",
                &format!("exports/{name}"),
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            kib < 128 * 1024,
            "{name} as evidence took {} MiB",
            kib / 1024
        );
    }
}

// Anchors and aliases that do not multiply (a hand-written file reusing a label map) are
// still read.
#[test]
fn modest_yaml_anchors_are_still_read() {
    let (tmp, dir) = folder();
    std::fs::write(
        dir.join("sa.yaml"),
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: a, namespace: web, labels: &l {team: pay, tier: web}}\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: b, namespace: web, labels: *l}\n",
    )
    .unwrap();
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("snapshot.json")).unwrap())
            .unwrap();
    assert_eq!(
        snap["resources"]["serviceaccounts"]["items"][1]["metadata"]["labels"]["team"],
        "pay"
    );
}

const ENC: &str = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - PROVIDER\n";

// With --encryption-config and another EncryptionConfiguration in the folder, the flag's
// silently won: the verdict must rest on one file, so two are refused.
#[test]
fn two_encryption_configurations_are_refused_naming_both() {
    let (tmp, dir) = folder();
    std::fs::write(
        dir.join("enc.yaml"),
        ENC.replace("PROVIDER", "identity: {}"),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("enc-cli.yaml"),
        ENC.replace(
            "PROVIDER",
            "aescbc: {keys: [{name: k1, secret: c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=}]}",
        ),
    )
    .unwrap();
    let o = collect(
        tmp.path(),
        &[
            "--from-dir",
            "exports",
            "--encryption-config",
            "enc-cli.yaml",
        ],
    );
    assert_refused(
        &o,
        tmp.path(),
        &["two EncryptionConfiguration", "enc.yaml", "enc-cli.yaml"],
    );
    // Two in the folder: the later one silently replaced the first.
    std::fs::copy(tmp.path().join("enc-cli.yaml"), dir.join("enc2.yaml")).unwrap();
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_refused(
        &o,
        tmp.path(),
        &["two EncryptionConfiguration", "enc.yaml", "enc2.yaml"],
    );
    // One alone is still taken.
    std::fs::remove_file(dir.join("enc2.yaml")).unwrap();
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Writes a kubectl-style `kind: List` export of `n` pods (about 1.9 KB each).
fn big_export(path: &Path, n: usize) -> u64 {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "apiVersion: v1\nitems:").unwrap();
    for i in 0..n {
        write!(
            w,
            "- apiVersion: v1
  kind: Pod
  metadata:
    annotations:
      kubectl.kubernetes.io/restartedAt: \"2026-01-01T00:00:00Z\"
    creationTimestamp: \"2026-01-01T00:00:00Z\"
    labels:
      app: app-{a}
      pod-template-hash: 5d8f7c9b{i:06}
    name: app-{a}-5d8f7c9b-{i:06}
    namespace: ns-{ns}
    resourceVersion: \"{i}\"
    uid: 0f0e0d0c-0b0a-4908-8706-{i:012}
  spec:
    containers:
    - env:
      - name: PASSWORD
        value: SENTINEL-{i}
      - name: MODE
        value: production
      image: registry.example.com/team/app-{a}:v1.2.{i}
      imagePullPolicy: IfNotPresent
      name: app
      ports:
      - containerPort: 8080
        name: http
        protocol: TCP
      resources:
        limits: {{cpu: 500m, memory: 256Mi}}
        requests: {{cpu: 100m, memory: 128Mi}}
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: {{drop: [ALL]}}
        readOnlyRootFilesystem: true
        runAsNonRoot: true
      volumeMounts:
      - mountPath: /var/run/secrets/kubernetes.io/serviceaccount
        name: kube-api-access-{i:06}
        readOnly: true
    dnsPolicy: ClusterFirst
    nodeName: node-{node}
    restartPolicy: Always
    schedulerName: default-scheduler
    securityContext: {{runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}
    serviceAccountName: app-{a}
    terminationGracePeriodSeconds: 30
    volumes:
    - name: kube-api-access-{i:06}
      projected:
        defaultMode: 420
        sources:
        - serviceAccountToken: {{expirationSeconds: 3607, path: token}}
        - configMap:
            items: [{{key: ca.crt, path: ca.crt}}]
            name: kube-root-ca.crt
  status:
    conditions:
    - {{lastProbeTime: null, lastTransitionTime: \"2026-01-01T00:00:00Z\", status: \"True\", type: Ready}}
    hostIP: 10.0.{node}.1
    phase: Running
    podIP: 10.244.{node}.{a}
    qosClass: Burstable
    startTime: \"2026-01-01T00:00:00Z\"
",
            a = i % 200,
            ns = i % 50,
            node = i % 20,
        )
        .unwrap();
    }
    writeln!(w, "kind: List\nmetadata:\n  resourceVersion: \"\"").unwrap();
    w.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// The length of a JSON text without the white space outside strings: what the snapshot
/// is once made compact, which is how the collector holds it.
fn compact_len(text: &str) -> u64 {
    let (mut n, mut in_string, mut escaped) = (0u64, false, false);
    for b in text.bytes() {
        if in_string {
            n += 1;
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if !b.is_ascii_whitespace() {
            n += 1;
            in_string = b == b'"';
        }
    }
    n
}

// A 250 MB export used 2.5 GB, ten times the file (the whole file parsed before anything
// was kept; about 14 times on this export). An import now holds about what the snapshot
// holds: this asserts a generous bound, four times the compacted snapshot and four times
// the file, on an export of about 100 MB (measured: about 2.5 times either).
#[test]
fn importing_a_large_export_takes_a_small_multiple_of_the_compacted_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exports");
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = big_export(&dir.join("pods.yaml"), 50_000);
    assert!(bytes > 90_000_000, "{bytes}");
    let (o, kib) = collect_measured(tmp.path(), &["--from-dir", "exports"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(tmp.path().join("snapshot.json")).unwrap();
    assert!(
        !text.contains("SENTINEL-"),
        "an env value reached the snapshot"
    );
    assert_eq!(text.matches("\"kind\": \"Pod\"").count(), 50_000);
    let compact = compact_len(&text);
    let rss = kib * 1024;
    let shown = format!(
        "peak RSS {} MiB for a {} MiB export (compacted snapshot {} MiB)",
        rss >> 20,
        bytes >> 20,
        compact >> 20
    );
    eprintln!("{shown}");
    assert!(rss < 4 * compact && rss < 4 * bytes, "{shown}");
}

// The measure above must count string content (white space and escaped quotes in it)
// and nothing between tokens.
#[test]
fn compact_len_counts_only_what_compact_json_keeps() {
    let text = "{\n  \"a b\": [1, \"x\\\" y\"],\n  \"c\": {}\n}\n";
    let compact =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(text).unwrap()).unwrap();
    assert_eq!(compact_len(text), compact.len() as u64);
}

// A RoleBinding without metadata.namespace was judged as if it granted cluster-wide.
#[test]
fn namespaced_rbac_objects_without_a_namespace_are_refused_naming_the_file() {
    let (tmp, dir) = folder();
    std::fs::write(
        dir.join("bindings.yaml"),
        format!(
            "# exported without -A\n{}",
            BINDING
                .replace("ROLE", "cluster-admin")
                .replace(", namespace: web", "")
        ),
    )
    .unwrap();
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_refused(
        &o,
        tmp.path(),
        &[
            "bindings.yaml:2",
            "RoleBinding ops has no metadata.namespace",
            "kubectl get rolebindings -A -o yaml",
        ],
    );
    // A Role inside a list, the same.
    std::fs::write(
        dir.join("bindings.yaml"),
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: Role\n  metadata: {name: reader}\n  rules: []\n",
    )
    .unwrap();
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_refused(
        &o,
        tmp.path(),
        &["bindings.yaml:4", "Role reader has no metadata.namespace"],
    );
    // With its namespace it is imported.
    std::fs::write(dir.join("bindings.yaml"), BINDING.replace("ROLE", "view")).unwrap();
    let o = collect(tmp.path(), &["--from-dir", "exports"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
