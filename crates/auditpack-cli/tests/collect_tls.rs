//! `collect` against every server kubectl accepts: a CA with a leaf, a pinned self-signed
//! server certificate (with and without CA:TRUE; kube-rs#1767), `tls-server-name`,
//! `insecure-skip-tls-verify`, `proxy-url`, and exec and OIDC credential plugins. Each runs
//! the binary over HTTPS against the stand-in API server.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use serde_json::Value;
use standin::{Config, ConnectProxy, Server, ServerCert};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

struct Run {
    code: i32,
    stderr: String,
    snapshot: Option<Value>,
}

fn collect(dir: &Path, args: &[&str]) -> Run {
    let out = dir.join("snapshot.json");
    let _ = std::fs::remove_file(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .arg("collect")
        .args(args)
        .arg("--out")
        .arg(&out)
        .current_dir(dir)
        .env_remove("KUBECONFIG")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("HOME", dir)
        .output()
        .unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        snapshot: std::fs::read_to_string(&out)
            .ok()
            .map(|t| serde_json::from_str(&t).unwrap()),
    }
}

/// What goes in the kubeconfig's cluster and user entries.
#[derive(Default)]
struct Kc<'a> {
    server: Option<String>,
    ca: bool,
    insecure: bool,
    tls_server_name: Option<&'a str>,
    proxy_url: Option<String>,
    /// The `user:` block (indented by four spaces); the server's token by default.
    user: Option<String>,
}

fn kubeconfig(server: &Server, kc: Kc) -> String {
    let mut cluster = format!(
        "    server: {}\n",
        kc.server.unwrap_or_else(|| server.url())
    );
    if kc.ca {
        let ca = base64::engine::general_purpose::STANDARD.encode(server.ca_pem());
        cluster.push_str(&format!("    certificate-authority-data: {ca}\n"));
    }
    if kc.insecure {
        cluster.push_str("    insecure-skip-tls-verify: true\n");
    }
    if let Some(n) = kc.tls_server_name {
        cluster.push_str(&format!("    tls-server-name: {n}\n"));
    }
    if let Some(p) = kc.proxy_url {
        cluster.push_str(&format!("    proxy-url: {p}\n"));
    }
    let user = kc
        .user
        .unwrap_or_else(|| format!("    token: {}\n", server.token()));
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n{cluster}users:\n- name: u\n  user:\n{user}contexts:\n- name: standin\n  context:\n    cluster: c\n    user: u\ncurrent-context: standin\n"
    )
}

fn start(cert: ServerCert, names: &[&str], token: Option<&str>) -> Server {
    let mut config = Config::new(fixture("small"));
    config.cert = cert;
    config.cert_names = names.iter().map(|n| n.to_string()).collect();
    if let Some(t) = token {
        config.token = t.to_string();
    }
    Server::start(config).unwrap()
}

fn run_with(server: &Server, kc: Kc) -> (Run, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kubeconfig"), kubeconfig(server, kc)).unwrap();
    let run = collect(dir.path(), &["--kubeconfig", "kubeconfig"]);
    (run, dir)
}

fn assert_collected(run: &Run) {
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let snap = run.snapshot.as_ref().expect("a snapshot");
    assert_eq!(snap["source"]["mode"], "live");
    assert_eq!(snap["resources"]["pods"]["status"], "collected", "{snap:#}");
}

fn localhost() -> &'static [&'static str] {
    &["localhost", "127.0.0.1"]
}

#[test]
fn ca_with_leaf_is_verified() {
    let server = start(ServerCert::CaAndLeaf, localhost(), None);
    let (run, _d) = run_with(
        &server,
        Kc {
            ca: true,
            ..Kc::default()
        },
    );
    assert_collected(&run);
}

#[test]
fn pinned_self_signed_leaf_is_accepted() {
    let server = start(ServerCert::SelfSignedLeaf, localhost(), None);
    let (run, _d) = run_with(
        &server,
        Kc {
            ca: true,
            ..Kc::default()
        },
    );
    assert_collected(&run);
}

/// The kube-rs#1767 case: the server certificate carries CA:TRUE and is the CA data.
#[test]
fn pinned_self_signed_ca_certificate_is_accepted() {
    let server = start(ServerCert::SelfSignedCa, localhost(), None);
    let (run, _d) = run_with(
        &server,
        Kc {
            ca: true,
            ..Kc::default()
        },
    );
    assert_collected(&run);
}

/// A certificate that is neither pinned nor signed by the configured CA is refused.
#[test]
fn other_self_signed_certificate_is_refused() {
    let server = start(ServerCert::SelfSignedLeaf, localhost(), None);
    let other = start(ServerCert::SelfSignedLeaf, localhost(), None);
    let dir = tempfile::tempdir().unwrap();
    // `other`'s certificate as the CA data, `server`'s address.
    let kc = kubeconfig(
        &other,
        Kc {
            server: Some(server.url()),
            ca: true,
            user: Some(format!("    token: {}\n", server.token())),
            ..Kc::default()
        },
    );
    std::fs::write(dir.path().join("kubeconfig"), kc).unwrap();
    let run = collect(dir.path(), &["--kubeconfig", "kubeconfig"]);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(run.snapshot.is_none());
    assert!(
        run.stderr.contains("certificate"),
        "says why: {}",
        run.stderr
    );
}

#[test]
fn tls_server_name_verifies_a_certificate_for_another_name() {
    let server = start(ServerCert::CaAndLeaf, &["api.cluster.internal"], None);
    let (run, _d) = run_with(
        &server,
        Kc {
            ca: true,
            ..Kc::default()
        },
    );
    assert_eq!(
        run.code, 2,
        "the name does not match 127.0.0.1: {}",
        run.stderr
    );
    let (run, _d) = run_with(
        &server,
        Kc {
            ca: true,
            tls_server_name: Some("api.cluster.internal"),
            ..Kc::default()
        },
    );
    assert_collected(&run);
}

/// The cover line that states the weakness, if any, of a packet rendered from `dir`'s snapshot.
fn rendered_packet(dir: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .args(["render", "snapshot.json", "--out", "packet"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(dir.join("packet/packet.md")).unwrap()
}

const UNVERIFIED: &str = "the server's identity was not verified";

#[test]
fn insecure_skip_tls_verify_collects_and_the_packet_states_it() {
    let server = start(ServerCert::SelfSignedLeaf, &["elsewhere.example"], None);
    let (run, d) = run_with(
        &server,
        Kc {
            insecure: true,
            ..Kc::default()
        },
    );
    assert_collected(&run);
    let snap = run.snapshot.as_ref().unwrap();
    assert_eq!(snap["source"]["serverIdentityUnverified"], true);
    let packet = rendered_packet(d.path());
    assert!(packet.contains(UNVERIFIED), "{packet}");
    assert!(packet.contains("insecure-skip-tls-verify"), "{packet}");

    // A verified collection records and states nothing of the kind.
    let (run, d) = run_with(
        &server,
        Kc {
            ca: true,
            tls_server_name: Some("elsewhere.example"),
            ..Kc::default()
        },
    );
    assert_collected(&run);
    assert!(
        run.snapshot.as_ref().unwrap()["source"]
            .get("serverIdentityUnverified")
            .is_none()
    );
    assert!(!rendered_packet(d.path()).contains(UNVERIFIED));
}

#[test]
fn proxy_url_tunnels_through_an_http_connect_proxy() {
    let server = start(ServerCert::CaAndLeaf, localhost(), None);
    let proxy = ConnectProxy::start().unwrap();
    let (run, _d) = run_with(
        &server,
        Kc {
            ca: true,
            proxy_url: Some(proxy.url()),
            ..Kc::default()
        },
    );
    assert_collected(&run);
    let port = server.url().rsplit(':').next().unwrap().to_string();
    let targets = proxy.targets();
    assert!(!targets.is_empty(), "nothing went through the proxy");
    assert!(
        targets.iter().all(|t| t.ends_with(&format!(":{port}"))),
        "{targets:?}"
    );
}

#[test]
fn exec_credential_plugin_token_reaches_the_server() {
    let server = start(
        ServerCert::CaAndLeaf,
        localhost(),
        Some("exec-plugin-token"),
    );
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("credential.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"exec-plugin-token\"}}'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let user = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {}\n      interactiveMode: Never\n",
        script.display()
    );
    let kc = kubeconfig(
        &server,
        Kc {
            ca: true,
            user: Some(user),
            ..Kc::default()
        },
    );
    std::fs::write(dir.path().join("kubeconfig"), kc).unwrap();
    let run = collect(dir.path(), &["--kubeconfig", "kubeconfig"]);
    assert_collected(&run);
    // The stand-in answers 401 to any other token.
    assert!(server.requests().iter().all(|r| r.status != 401));
}

/// An unexpired id-token (exp in 2100) in the kubeconfig's `oidc` auth-provider.
const ID_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoiYXVkaXRvciIsImV4cCI6NDEwMjQ0NDgwMH0.c2ln";

#[test]
fn oidc_auth_provider_id_token_reaches_the_server() {
    let server = start(ServerCert::CaAndLeaf, localhost(), Some(ID_TOKEN));
    let user = format!(
        "    auth-provider:\n      name: oidc\n      config:\n        client-id: auditpack\n        idp-issuer-url: https://issuer.example\n        id-token: {ID_TOKEN}\n"
    );
    let (run, _d) = run_with(
        &server,
        Kc {
            ca: true,
            user: Some(user),
            ..Kc::default()
        },
    );
    assert_collected(&run);
    assert!(server.requests().iter().all(|r| r.status != 401));
}

#[test]
fn unknown_context_is_named_with_the_contexts_that_exist() {
    let server = start(ServerCert::CaAndLeaf, localhost(), None);
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(
        &server,
        Kc {
            ca: true,
            ..Kc::default()
        },
    )
    .replace(
        "contexts:\n",
        "contexts:\n- name: a\n  context:\n    cluster: c\n    user: u\n",
    );
    std::fs::write(dir.path().join("kubeconfig"), kc).unwrap();
    let run = collect(
        dir.path(),
        &["--kubeconfig", "kubeconfig", "--context", "nope"],
    );
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(run.snapshot.is_none());
    assert!(
        run.stderr
            .contains("context \"nope\" not found in kubeconfig; contexts: a, standin"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
}

#[test]
fn missing_kubeconfig_names_the_path_without_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let run = collect(dir.path(), &["--kubeconfig", "no-such-kubeconfig"]);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("no-such-kubeconfig does not exist"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains('"'), "stray quotes: {}", run.stderr);
    assert!(!run.stderr.contains('\''), "stray quotes: {}", run.stderr);
    // Through KUBECONFIG, too.
    let missing = dir.path().join("gone");
    let o = Command::new(env!("CARGO_BIN_EXE_auditpack"))
        .args(["collect", "--out", "s.json"])
        .current_dir(dir.path())
        .env("KUBECONFIG", &missing)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{} does not exist", missing.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("'\""), "stray quotes: {stderr}");
}
