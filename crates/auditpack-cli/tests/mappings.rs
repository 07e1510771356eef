//! Framework mappings an auditor accepts: the criteria versions and mappings of the
//! built-in catalogs, Required/Addressable and rationales in the packet, and the checks
//! added for them (unique user identification, person or entity authentication, volume
//! encryption), each driven through the binary on realistic exports
//! (`tests/fixtures/mappings/`).

mod common;
use common::{auditpack, crate_dir, ok, root, text};

use std::path::PathBuf;

use auditpack::{Findings, Status};

fn fixture(rel: &str) -> PathBuf {
    crate_dir().join("tests/fixtures/mappings").join(rel)
}

fn task_api(file: &str) -> PathBuf {
    root().join("examples/clusters/task-api").join(file)
}

/// Imports the files into a fresh folder (named by their file names, `as` renaming) and
/// evaluates the snapshot; `collect_args` are added to `collect`.
fn evaluate(files: &[(PathBuf, &str)], collect_args: &[&str]) -> Findings {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    std::fs::create_dir(&exports).unwrap();
    for (src, name) in files {
        std::fs::copy(src, exports.join(name)).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    }
    let mut args = vec!["collect", "--from-dir", "exports", "--out", "s.json"];
    args.extend_from_slice(collect_args);
    ok(dir.path(), &args);
    let o = auditpack(dir.path(), &["evaluate", "s.json", "--out", "f.json"]);
    assert!(
        matches!(o.status.code(), Some(0 | 3 | 4 | 5)),
        "{}",
        text(&o)
    );
    serde_json::from_str(&std::fs::read_to_string(dir.path().join("f.json")).unwrap()).unwrap()
}

fn check<'a>(f: &'a Findings, id: &str) -> &'a auditpack::CheckResult {
    f.checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

fn control<'a>(f: &'a Findings, fw: &str, id: &str) -> &'a auditpack::ControlResult {
    f.controls
        .iter()
        .find(|c| c.framework == fw && c.id == id)
        .unwrap_or_else(|| panic!("no control {fw} {id}"))
}

fn observations(c: &auditpack::CheckResult, s: Status) -> Vec<&str> {
    c.observations
        .iter()
        .filter(|o| o.status == s)
        .map(|o| o.message.as_str())
        .collect()
}

/// The Task API example's roles with these bindings.
fn rbac_with(clusterrolebindings: PathBuf, rolebindings: PathBuf) -> Vec<(PathBuf, &'static str)> {
    vec![
        (task_api("roles.yaml"), "roles.yaml"),
        (task_api("clusterroles.yaml"), "clusterroles.yaml"),
        (clusterrolebindings, "clusterrolebindings.yaml"),
        (rolebindings, "rolebindings.yaml"),
    ]
}

#[test]
fn built_in_catalogs_name_their_criteria_and_map_what_the_criteria_say() {
    let f = evaluate(
        &[
            (task_api("pods.yaml"), "pods.yaml"),
            (
                fixture("storage/storageclasses.yaml"),
                "storageclasses.yaml",
            ),
        ],
        &[],
    );
    let soc2 = f.frameworks.iter().find(|x| x.id == "soc2").unwrap();
    assert_eq!(
        soc2.version.as_deref(),
        Some("2017 Trust Services Criteria, revised points of focus 2022")
    );
    let checks = |fw: &str, id: &str| control(&f, fw, id).checks.clone();
    // CC6.3: RBAC least privilege and Pod Security, the latter with its reason.
    let cc63 = control(&f, "soc2", "CC6.3");
    for c in ["rbac.cluster-admin", "rbac.escalation", "pss.baseline"] {
        assert!(cc63.checks.iter().any(|x| x == c), "CC6.3 lacks {c}");
    }
    assert!(
        cc63.rationale["pss.baseline"].contains("privileged"),
        "{:?}",
        cc63.rationale
    );
    // Encryption: at rest under CC6.1, in transit under CC6.7; signing under CC6.8.
    assert!(checks("soc2", "CC6.1").contains(&"encryption.at-rest".to_string()));
    assert!(checks("soc2", "CC6.1").contains(&"encryption.volumes".to_string()));
    assert_eq!(
        checks("soc2", "CC6.7"),
        ["transit.api-tls", "transit.service-mtls"]
    );
    assert!(checks("soc2", "CC6.8").contains(&"integrity.image-signing".to_string()));
    assert!(
        !checks("soc2", "CC6.6")
            .iter()
            .any(|c| c.starts_with("transit."))
    );
    assert_eq!(
        control(&f, "soc2", "CC7.2").title,
        "Monitoring system components for anomalies"
    );
    assert!(checks("soc2", "CC8.1").contains(&"lifecycle.access-changes".to_string()));
    assert!(!checks("soc2", "CC6.2").is_empty());
    // HIPAA: the new specifications, each marked Required or Addressable.
    let level = |id: &str| control(&f, "hipaa", id).level.clone();
    assert_eq!(level("164.312(a)(2)(i)").as_deref(), Some("Required"));
    assert_eq!(level("164.312(a)(2)(iv)").as_deref(), Some("Addressable"));
    assert_eq!(level("164.312(e)(2)(ii)").as_deref(), Some("Addressable"));
    assert_eq!(level("164.312(d)").as_deref(), Some("Required"));
    assert_eq!(
        checks("hipaa", "164.312(a)(2)(i)"),
        ["identity.unique-users"]
    );
    assert_eq!(
        checks("hipaa", "164.312(d)"),
        [
            "authn.anonymous-auth",
            "authn.static-credentials",
            "authn.authenticator"
        ]
    );
    assert_eq!(
        checks("hipaa", "164.312(a)(2)(iv)"),
        ["encryption.at-rest", "encryption.volumes"]
    );
}

#[test]
fn the_packet_names_the_criteria_version_and_says_the_texts_are_summaries() {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["demo", "--out", "out"]);
    let md = std::fs::read_to_string(dir.path().join("out/packet/packet.md")).unwrap();
    assert!(
        md.contains(
            "Criteria version: 2017 Trust Services Criteria, revised points of focus 2022."
        ),
        "{md}"
    );
    assert!(
        md.contains("The requirement texts are auditpack's own summaries"),
        "{md}"
    );
    assert!(
        md.contains("| Control | Title | Specification | Status | Checks |"),
        "{md}"
    );
    assert!(
        md.contains("| Unique user identification | Required |"),
        "{md}"
    );
    assert!(
        md.contains("Why [pss.baseline](#check-pss-baseline) supports CC6.3:"),
        "{md}"
    );
}

#[test]
fn a_rationale_for_a_check_the_control_does_not_list_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("exports")).unwrap();
    std::fs::copy(
        task_api("namespaces.yaml"),
        dir.path().join("exports/namespaces.yaml"),
    )
    .unwrap();
    ok(
        dir.path(),
        &["collect", "--from-dir", "exports", "--out", "s.json"],
    );
    std::fs::write(
        dir.path().join("bad.yaml"),
        "id: x\nname: X\ncontrols:\n  - id: A\n    title: a\n    requirement: r\n    checks: [rbac.cluster-admin]\n    rationale:\n      rbac.pods-exec: because\n",
    )
    .unwrap();
    let o = auditpack(dir.path(), &["evaluate", "s.json", "--catalog", "bad.yaml"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("bad.yaml:9:") && t.contains("rationale") && t.contains("\"rbac.pods-exec\""),
        "{t}"
    );
    std::fs::write(
        dir.path().join("bad.yaml"),
        "id: x\nname: X\ncontrols:\n  - id: A\n    title: a\n    requirement: r\n    level: mandatory\n    checks: [rbac.cluster-admin]\n",
    )
    .unwrap();
    let o = auditpack(dir.path(), &["evaluate", "s.json", "--catalog", "bad.yaml"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("bad.yaml:7:") && t.contains("mandatory"), "{t}");
}

#[test]
fn volume_encryption_names_each_storage_class_and_volume() {
    let f = evaluate(
        &[
            (
                fixture("storage/storageclasses.yaml"),
                "storageclasses.yaml",
            ),
            (
                fixture("storage/persistentvolumes.yaml"),
                "persistentvolumes.yaml",
            ),
        ],
        &[],
    );
    let c = check(&f, "encryption.volumes");
    assert_eq!(c.status, Status::Fail, "{c:#?}");
    let pass = observations(c, Status::Pass).join("\n");
    for name in [
        "gp3-encrypted",
        "standard-rwo-cmek",
        "managed-csi-cmk",
        "longhorn-crypto",
    ] {
        assert!(
            pass.contains(&format!("StorageClass {name} ")),
            "{name}: {pass}"
        );
    }
    assert!(
        pass.contains("kmsKeyId") || pass.contains("arn:aws:kms"),
        "{pass}"
    );
    let manual = observations(c, Status::Manual).join("\n");
    assert!(
        manual.contains("StorageClass gp2 (kubernetes.io/aws-ebs)"),
        "{manual}"
    );
    assert!(manual.contains("EBS encryption by default"), "{manual}");
    assert!(manual.contains("StorageClass local-path"), "{manual}");
    assert!(
        manual.contains(
            "PersistentVolume reports-nfs has no StorageClass, bound to claim production/reports"
        ),
        "{manual}"
    );
    let fail = observations(c, Status::Fail).join("\n");
    assert!(
        fail.contains("PersistentVolume pvc-8d2e6b1a-5c4f-4a3b-9e2d-7c6b5a4f3e2d (driver.longhorn.io) names StorageClass longhorn-old, which does not exist"),
        "{fail}"
    );
    // The volume of the encrypted class is covered by it, not listed again.
    assert!(
        !c.observations
            .iter()
            .any(|o| o.message.contains("pvc-3f1c2a7e"))
    );
    assert!(
        c.explanation.contains("Not examined: databases"),
        "{}",
        c.explanation
    );
    // Evidence points at the parameter.
    let gp3 = c
        .observations
        .iter()
        .find(|o| o.message.contains("gp3-encrypted"))
        .unwrap();
    assert_eq!(gp3.evidence.pointer, "/parameters/encrypted");
}

fn storage_only(yaml: &str) -> Findings {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sc.yaml");
    std::fs::write(&p, yaml).unwrap();
    evaluate(&[(p, "storageclasses.yaml")], &[])
}

#[test]
fn volume_encryption_is_partial_manual_pass_or_not_applicable_by_the_evidence() {
    let all = std::fs::read_to_string(fixture("storage/storageclasses.yaml")).unwrap();
    // Without the failing volume: some classes show encryption, two do not.
    let f = storage_only(&all);
    let c = check(&f, "encryption.volumes");
    assert_eq!(c.status, Status::Partial, "{c:#?}");
    assert!(
        c.explanation
            .contains("PersistentVolumes were not collected"),
        "{}",
        c.explanation
    );
    // Etcd encryption alone never makes 164.312(a)(2)(iv) pass.
    assert_ne!(
        control(&f, "hipaa", "164.312(a)(2)(iv)").status,
        Status::Pass
    );

    let only_unknown = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: storage.k8s.io/v1\n  kind: StorageClass\n  metadata: {name: standard}\n  provisioner: pd.csi.storage.gke.io\n  parameters: {type: pd-balanced}\n";
    let c = check(&storage_only(only_unknown), "encryption.volumes").clone();
    assert_eq!(c.status, Status::Manual, "{c:#?}");
    assert!(
        c.observations[0].message.contains("Google-managed keys"),
        "{c:#?}"
    );

    let encrypted = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: storage.k8s.io/v1\n  kind: StorageClass\n  metadata: {name: gp3}\n  provisioner: ebs.csi.aws.com\n  parameters: {type: gp3, encrypted: \"true\"}\n";
    let c = check(&storage_only(encrypted), "encryption.volumes").clone();
    assert_eq!(c.status, Status::Pass, "{c:#?}");

    let none = "apiVersion: v1\nkind: List\nitems: []\n";
    let c = check(&storage_only(none), "encryption.volumes").clone();
    assert_eq!(c.status, Status::NotApplicable, "{c:#?}");
    assert!(
        c.explanation.contains("nothing in scope"),
        "{}",
        c.explanation
    );

    // StorageClasses not collected: not-collected, never pass.
    let f = evaluate(&[(task_api("namespaces.yaml"), "namespaces.yaml")], &[]);
    assert_eq!(check(&f, "encryption.volumes").status, Status::NotCollected);
}

#[test]
fn storage_parameters_outside_the_allow_list_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("exports")).unwrap();
    std::fs::write(
        dir.path().join("exports/sc.yaml"),
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: rbd}\nprovisioner: rbd.csi.ceph.com\nparameters:\n  encrypted: \"true\"\n  adminKey: SENTINEL-ceph-admin-key\n",
    )
    .unwrap();
    ok(
        dir.path(),
        &["collect", "--from-dir", "exports", "--out", "s.json"],
    );
    let s = std::fs::read_to_string(dir.path().join("s.json")).unwrap();
    assert!(!s.contains("SENTINEL-ceph-admin-key"), "{s}");
    assert!(s.contains("rbd.csi.ceph.com"), "{s}");
}

fn apiserver(dir: &str) -> Findings {
    evaluate(
        &[(fixture(&format!("authn/{dir}/pods.yaml")), "pods.yaml")],
        &[],
    )
}

#[test]
fn authentication_checks_read_the_apiserver_flags() {
    // 1.18 with static files and anonymous auth at its default.
    let f = apiserver("legacy");
    let anon = check(&f, "authn.anonymous-auth");
    assert_eq!(anon.status, Status::Fail);
    assert!(
        anon.explanation.contains("its default is true"),
        "{}",
        anon.explanation
    );
    let st = check(&f, "authn.static-credentials");
    assert_eq!(st.status, Status::Fail);
    let fails = observations(st, Status::Fail).join("\n");
    assert!(fails.contains("--token-auth-file"), "{fails}");
    assert!(
        fails.contains("--basic-auth-file")
            && fails.contains("Kubernetes 1.18: the flag is still honoured"),
        "{fails}"
    );
    let a = check(&f, "authn.authenticator");
    assert_eq!(a.status, Status::Pass);
    assert!(
        a.explanation.contains("cannot be revoked"),
        "{}",
        a.explanation
    );
    assert_ne!(control(&f, "hipaa", "164.312(d)").status, Status::Pass);

    // 1.31 with OIDC and anonymous auth off.
    let f = apiserver("oidc");
    for id in [
        "authn.anonymous-auth",
        "authn.static-credentials",
        "authn.authenticator",
    ] {
        assert_eq!(check(&f, id).status, Status::Pass, "{:#?}", check(&f, id));
    }
    assert!(
        check(&f, "authn.authenticator")
            .explanation
            .contains("OIDC")
    );
    assert_eq!(control(&f, "hipaa", "164.312(d)").status, Status::Pass);
    let ev = &check(&f, "authn.anonymous-auth").observations[0].evidence;
    assert_eq!(ev.pointer, "/spec/containers/0/command/9");

    // 1.30 with an AuthenticationConfiguration: anonymous access is decided by the file.
    let f = apiserver("structured");
    assert_eq!(check(&f, "authn.anonymous-auth").status, Status::Manual);
    assert_eq!(check(&f, "authn.authenticator").status, Status::Pass);

    // No apiserver pod (managed control plane): manual with the reason.
    let f = apiserver("managed");
    for id in [
        "authn.anonymous-auth",
        "authn.static-credentials",
        "authn.authenticator",
    ] {
        let c = check(&f, id);
        assert_eq!(c.status, Status::Manual, "{id}");
        assert!(
            c.explanation.contains("managed Kubernetes"),
            "{}",
            c.explanation
        );
    }
    // Pods not collected: not-collected.
    let f = evaluate(&[(task_api("namespaces.yaml"), "namespaces.yaml")], &[]);
    assert_eq!(
        check(&f, "authn.anonymous-auth").status,
        Status::NotCollected
    );
}

#[test]
fn unique_user_identification_flags_shared_accounts_groups_and_service_account_sessions() {
    let files = rbac_with(
        fixture("identity/clusterrolebindings.yaml"),
        fixture("identity/rolebindings.yaml"),
    );
    let log = fixture("identity/audit.log");
    let f = evaluate(
        &files,
        &[
            "--audit-log",
            log.to_str().unwrap(),
            "--audit-since",
            "2026-11-01",
            "--audit-until",
            "2026-12-01",
        ],
    );
    let c = check(&f, "identity.unique-users");
    assert_eq!(c.status, Status::Fail, "{c:#?}");
    let fails = observations(c, Status::Fail).join("\n");
    assert!(
        fails.contains("User kubernetes-admin is bound by ClusterRoleBinding/team-admin"),
        "{fails}"
    );
    assert!(fails.contains("admin.conf"), "{fails}");
    assert!(fails.contains("ServiceAccount production:task-api opened an interactive exec session into pod production/task-api-6d8f7b9c4-x2x7q"), "{fails}");
    assert!(
        !fails.contains("report-runner"),
        "a refused exec opened nothing: {fails}"
    );
    assert!(!fails.contains("alice"), "{fails}");
    let manual = observations(c, Status::Manual).join("\n");
    assert!(
        manual.contains("User jenkins") && manual.contains("program"),
        "{manual}"
    );
    assert!(
        manual.contains("Group oidc:platform-admins") && manual.contains("identity provider"),
        "{manual}"
    );
    assert!(
        !manual.contains("system:masters"),
        "bootstrap bindings are not judged: {manual}"
    );
    assert!(c.explanation.contains("Not judgeable"), "{}", c.explanation);

    // One person, no audit log: pass, saying what was not examined.
    let f = evaluate(
        &rbac_with(
            task_api("clusterrolebindings.yaml"),
            task_api("rolebindings.yaml"),
        ),
        &[],
    );
    let c = check(&f, "identity.unique-users");
    assert_eq!(c.status, Status::Pass, "{c:#?}");
    assert!(
        c.explanation.contains("No audit log was supplied"),
        "{}",
        c.explanation
    );
    assert_eq!(
        control(&f, "hipaa", "164.312(a)(2)(i)").status,
        Status::Pass
    );
}
