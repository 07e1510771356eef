//! The stand-in API server is faithful enough for `kubectl` and the `kube` client.

use std::path::{Path, PathBuf};
use std::process::Command;

use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::Value;
use standin::{Config, Fault, Server};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/standin-cluster")
}

fn kubectl(server: &Server, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let kc = dir.join("kubeconfig");
    server.write_kubeconfig(&kc).unwrap();
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kc)
        .args(args)
        .output()
        .expect("kubectl is installed");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn kubectl_reads_the_standin_server_with_paging() {
    let server = Server::start(Config::new(fixture())).unwrap();
    let dir = tempfile::tempdir().unwrap();

    let (ok, out, err) = kubectl(&server, dir.path(), &["version", "-o", "json"]);
    assert!(ok, "kubectl version failed: {err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["serverVersion"]["gitVersion"], "v1.37.0");

    // --chunk-size forces limit/continue paging through all 25 bindings.
    let (ok, out, err) = kubectl(
        &server,
        dir.path(),
        &["get", "rolebindings", "-A", "-o", "json", "--chunk-size=7"],
    );
    assert!(ok, "kubectl get rolebindings failed: {err}");
    let list: Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 25);
    assert_eq!(names[0], "rb-00");
    assert_eq!(names[24], "rb-24");
    let continues = server
        .requests()
        .iter()
        .filter(|r| r.uri.contains("rolebindings") && r.uri.contains("continue="))
        .count();
    assert_eq!(
        continues, 3,
        "25 items in pages of 7 take 3 continue requests"
    );

    let (ok, out, err) = kubectl(
        &server,
        dir.path(),
        &["get", "namespace", "production", "-o", "yaml"],
    );
    assert!(ok, "kubectl get namespace failed: {err}");
    assert!(
        out.contains("pod-security.kubernetes.io/enforce: restricted"),
        "{out}"
    );

    // A CRD group in the folder is discovered; kubectl finds it by its qualified name.
    let (ok, out, err) = kubectl(
        &server,
        dir.path(),
        &["get", "configurations.dapr.io", "-A", "-o", "name"],
    );
    assert!(ok, "kubectl get configurations.dapr.io failed: {err}");
    assert_eq!(out.trim(), "configuration.dapr.io/daprsystem");
}

#[test]
fn kubectl_sees_a_forbidden_kind_as_forbidden() {
    let server =
        Server::start(Config::new(fixture()).fault("secrets", Fault::parse("403").unwrap()))
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = kubectl(&server, dir.path(), &["get", "secrets", "-A"]);
    assert!(!ok);
    assert!(err.contains("forbidden"), "{err}");
}

#[test]
fn wrong_token_is_unauthorized() {
    let server = Server::start(Config::new(fixture())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(&kc, server.kubeconfig().replace(server.token(), "wrong")).unwrap();
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kc)
        .args(["get", "ns"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(server.requests().iter().all(|r| r.status == 401));
}

async fn client(server: &Server) -> kube::Client {
    let kc = Kubeconfig::from_yaml(&server.kubeconfig()).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

fn rolebindings() -> ApiResource {
    ApiResource {
        group: "rbac.authorization.k8s.io".into(),
        version: "v1".into(),
        api_version: "rbac.authorization.k8s.io/v1".into(),
        kind: "RoleBinding".into(),
        plural: "rolebindings".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn kube_client_pages_reads_metadata_only_and_sees_faults() {
    let config = Config::new(fixture())
        .fault("rolebindings", Fault::parse("410:1").unwrap())
        .fault("pods", Fault::parse("429:1:0").unwrap());
    let server = tokio::task::spawn_blocking(move || Server::start(config).unwrap())
        .await
        .unwrap();
    let client = client(&server).await;

    assert_eq!(
        client.apiserver_version().await.unwrap().git_version,
        "v1.37.0"
    );

    let api: Api<DynamicObject> = Api::all_with(client.clone(), &rolebindings());
    let first = api.list(&ListParams::default().limit(10)).await.unwrap();
    assert_eq!(first.items.len(), 10);
    let token = first.metadata.continue_.clone().expect("a continue token");
    // The first continue is answered 410 Gone (expired), as configured.
    let err = api
        .list(&ListParams::default().limit(10).continue_token(&token))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, kube::Error::Api(s) if s.code == 410),
        "{err:?}"
    );
    let again = api
        .list(&ListParams::default().limit(10).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(again.items[0].metadata.name.as_deref(), Some("rb-10"));

    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::all(client.clone());
    let meta = secrets.list_metadata(&ListParams::default()).await.unwrap();
    assert_eq!(meta.items.len(), 1);
    let raw = serde_json::to_string(&meta).unwrap();
    assert!(
        !raw.contains("c2VjcmV0"),
        "metadata-only list carried secret data: {raw}"
    );

    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), "kube-system");
    // The kube client retries a 429 by itself; the server saw both attempts.
    let listed = pods
        .list(&ListParams::default().labels("tier=control-plane"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    let statuses: Vec<u16> = server
        .requests()
        .iter()
        .filter(|r| r.uri.contains("/pods"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![429, 200]);

    drop(client);
    tokio::task::spawn_blocking(move || server.stop())
        .await
        .unwrap();
}
