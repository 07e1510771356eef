#!/usr/bin/env bash
# Benchmark of `auditpack render` on synthetic clusters: wall time and peak memory of the
# render step alone, for each size (namespaces).
#
#   bench/render.sh [N ...]            default sizes: 500 2000 8000
#
# Inputs come from the real pipeline when it is available (after the branches are merged):
#   cargo run --release -p benchgen --bin gencluster  ->  auditpack collect --from-dir
#   ->  auditpack evaluate  ->  auditpack render
# Set BENCH_SOURCE=synthetic to use the built-in generator instead (a Python script below
# writing a snapshot and findings of the same shape: per namespace 1 Namespace, 11
# ServiceAccounts, 3 Roles, 10 RoleBindings, 20 Pods, 5 Deployments, 2 NetworkPolicies, and
# findings with one or more observations per namespace and 11 access-review subjects).
# BENCH_DIR keeps the generated files (default: a temporary folder, removed at the end).
# ROUNDS (default 3): render runs per size; the median wall time and the largest peak RSS
# are printed. Without BENCH_DIR each size's inputs are deleted once measured.
# Target: under 5 s and 1 GiB at 2,000 namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -eq 0 ]; then set -- 500 2000 8000; fi
work="${BENCH_DIR:-$(mktemp -d /tmp/render-bench.XXXXXX)}"
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

source_kind="${BENCH_SOURCE:-}"
if [ -z "$source_kind" ]; then
  if [ -f crates/benchgen/src/bin/gencluster.rs ]; then source_kind=pipeline; else source_kind=synthetic; fi
fi

cargo build --release --quiet --bin auditpack
bin=target/release/auditpack
if [ "$source_kind" = pipeline ]; then
  cargo build --release --quiet -p benchgen --bin gencluster
fi

synthetic() { # N SNAPSHOT FINDINGS
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
n, snap_path, find_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
KEYS = ["namespaces", "serviceaccounts", "roles.rbac.authorization.k8s.io",
        "rolebindings.rbac.authorization.k8s.io", "pods", "deployments.apps",
        "networkpolicies.networking.k8s.io", "clusterroles.rbac.authorization.k8s.io",
        "clusterrolebindings.rbac.authorization.k8s.io"]
res = {k: [] for k in KEYS}
checks = {c: [] for c in ["network.default-deny", "pss.enforced", "pss.privileged-pods",
                          "rbac.least-privilege", "rbac.service-accounts", "rbac.access-lifecycle"]}
access = []
def ev(kind, ns, name, ptr=""):
    e = {"kind": kind, "name": name, "pointer": ptr}
    if ns is not None: e["namespace"] = ns
    return e
for i in range(n):
    ns = f"ns-{i:05d}"
    labels = {"kubernetes.io/metadata.name": ns}
    if i % 7: labels["pod-security.kubernetes.io/enforce"] = "restricted" if i % 3 else "baseline"
    res["namespaces"].append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
    checks["pss.enforced"].append({"status": "pass" if i % 7 else "fail",
        "message": f"Namespace {ns} " + ("enforces " + labels.get("pod-security.kubernetes.io/enforce", "") if i % 7 else "has no enforce label"),
        "evidence": ev("namespaces", None, ns, "/metadata/labels")})
    for s in ["default"] + [f"app-{j}" for j in range(10)]:
        res["serviceaccounts"].append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": s, "namespace": ns}})
        access.append({"subject": {"kind": "ServiceAccount", "name": s, "namespace": ns},
            "grants": [{"namespace": ns, "verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["pods", "configmaps"], "via": f"RoleBinding {ns}/rb-{s} → Role {ns}/reader"}],
            "flags": ["default-service-account"] if s == "default" else []})
    for r in ["reader", "writer", "admin"]:
        res["roles.rbac.authorization.k8s.io"].append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": r, "namespace": ns},
            "rules": [{"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["get", "list"] if r == "reader" else ["*"]}]})
    for j in range(10):
        name = f"rb-{j}"
        res["rolebindings.rbac.authorization.k8s.io"].append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ["reader", "writer", "admin"][j % 3]},
            "subjects": [{"kind": "ServiceAccount", "name": f"app-{j}" if j != 9 else "deleted-sa", "namespace": ns}]})
        checks["rbac.least-privilege"].append({"status": "fail" if j % 3 == 2 else "pass",
            "message": f"RoleBinding {ns}/{name} grants Role {['reader', 'writer', 'admin'][j % 3]}",
            "evidence": ev("rolebindings.rbac.authorization.k8s.io", ns, name, "/roleRef")})
    checks["rbac.access-lifecycle"].append({"status": "fail", "message": f"RoleBinding {ns}/rb-9 names ServiceAccount deleted-sa, which does not exist",
        "evidence": ev("rolebindings.rbac.authorization.k8s.io", ns, "rb-9", "/subjects/0")})
    for j in range(20):
        priv = (j == 0 and i % 5 == 0)
        res["pods"].append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"pod-{j}", "namespace": ns, "labels": {"app": f"app-{j % 5}"}},
            "spec": {"serviceAccountName": f"app-{j % 10}", "containers": [{"name": "main", "image": f"registry.example.com/app-{j % 5}:1.0",
                "securityContext": {"privileged": True} if priv else {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}}]}})
        if priv:
            checks["pss.privileged-pods"].append({"status": "fail", "message": f"Pod {ns}/pod-{j} runs container main privileged",
                "evidence": ev("pods", ns, f"pod-{j}", "/spec/containers/0/securityContext")})
    for j in range(5):
        res["deployments.apps"].append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"app-{j}", "namespace": ns},
            "spec": {"replicas": 2, "template": {"spec": {"serviceAccountName": f"app-{j}", "containers": [{"name": "main", "image": f"registry.example.com/app-{j}:1.0"}]}}}})
        checks["rbac.service-accounts"].append({"status": "pass", "message": f"Deployment {ns}/app-{j} runs as ServiceAccount app-{j}",
            "evidence": ev("deployments.apps", ns, f"app-{j}", "/spec/template/spec/serviceAccountName")})
    res["networkpolicies.networking.k8s.io"].append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "allow-app", "namespace": ns},
        "spec": {"podSelector": {"matchLabels": {"app": "app-0"}}, "ingress": [{"from": [{"podSelector": {}}]}]}})
    if i % 4:
        res["networkpolicies.networking.k8s.io"].append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}})
        checks["network.default-deny"].append({"status": "pass", "message": f"NetworkPolicy {ns}/default-deny denies by default", "evidence": ev("networkpolicies.networking.k8s.io", ns, "default-deny", "/spec")})
    else:
        checks["network.default-deny"].append({"status": "fail", "message": f"Namespace {ns} has no default-deny NetworkPolicy", "evidence": ev("namespaces", None, ns)})
for k in res:
    res[k].sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
snapshot = {"apiVersion": "auditpack/v1", "kind": "Snapshot", "collectedAt": "2026-11-20T09:30:00Z",
    "source": {"mode": "files", "cluster": f"synthetic-{n}", "kubernetesVersion": "v1.34.2"},
    "resources": {k: {"status": "collected", "items": v} for k, v in res.items()}, "redactions": []}
def status(obs):
    s = {o["status"] for o in obs}
    return "partial" if s == {"pass", "fail"} else ("fail" if "fail" in s else "pass")
check_list = []
for cid, obs in checks.items():
    check_list.append({"id": cid, "title": cid, "resource": "synthetic", "status": status(obs),
        "explanation": f"Synthetic check {cid}.", "observations": obs, "commands": [f"kubectl get {cid.split('.')[0]} -A -o yaml"]})
check_list.append({"id": "platform.audit-logging", "title": "Audit logging", "resource": "audit policy", "status": "not-collected", "explanation": "Not collected.", "observations": [], "commands": []})
by = {c["id"]: c["status"] for c in check_list}
ctl = lambda fw, cid, ids: {"framework": fw, "id": cid, "title": cid, "requirement": cid, "status": "partial", "checks": ids}
controls = [ctl("soc2", "CC6.1", ["rbac.least-privilege", "rbac.service-accounts"]), ctl("soc2", "CC6.2", ["rbac.access-lifecycle"]),
    ctl("soc2", "CC6.3", ["pss.enforced", "pss.privileged-pods"]), ctl("soc2", "CC6.6", ["network.default-deny"]), ctl("soc2", "CC7.2", ["platform.audit-logging"]),
    ctl("hipaa", "164.312(a)(1)", ["rbac.least-privilege"]), ctl("hipaa", "164.312(b)", ["platform.audit-logging"]), ctl("hipaa", "164.312(c)(1)", ["pss.enforced"])]
access.sort(key=lambda a: (a["subject"]["kind"], a["subject"]["name"], a["subject"].get("namespace", "")))
findings = {"apiVersion": "auditpack/v1", "kind": "Findings", "snapshotCollectedAt": "2026-11-20T09:30:00Z",
    "frameworks": [{"id": "soc2", "name": "SOC 2", "source": "built-in"}, {"id": "hipaa", "name": "HIPAA", "source": "built-in"}],
    "checks": check_list, "controls": controls, "accessReview": access}
json.dump(snapshot, open(snap_path, "w"))
json.dump(findings, open(find_path, "w"))
PY
}

ROUNDS=${ROUNDS:-3}
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }
echo "render benchmark: $ROUNDS rounds per size, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-10s %12s %10s %8s %10s %10s %6s\n' namespaces source snapshot_MB median_s best_s peak_MiB packet_MB load1
for n in "$@"; do
  snap="$work/snapshot-$n.json"; findings="$work/findings-$n.json"; out="$work/packet-$n"
  if [ "$source_kind" = pipeline ]; then
    rm -rf "$work/cluster-$n"
    target/release/gencluster --namespaces "$n" --out "$work/cluster-$n" >/dev/null
    # Exit 3: some kinds were not in the export (written anyway); 1: controls fail.
    "$bin" collect --from-dir "$work/cluster-$n" --out "$snap" >/dev/null || [ $? -eq 3 ]
    rm -rf "$work/cluster-$n"
    "$bin" evaluate "$snap" --out "$findings" >/dev/null || [ $? -eq 1 ]
  else
    synthetic "$n" "$snap" "$findings"
  fi
  times=(); peak=0
  for _ in $(seq 1 "$ROUNDS"); do
    rm -rf "$out"
    /usr/bin/time -f '%e %M' -o "$work/time-$n" \
      "$bin" render "$snap" --findings "$findings" --out "$out" --now 2026-12-01T00:00:00Z >/dev/null
    read -r secs kib < <(tail -1 "$work/time-$n")
    times+=("$secs"); [ "$kib" -gt "$peak" ] && peak=$kib
  done
  printf '%-10s %-10s %12.1f %10s %8s %10d %10.1f %6s\n' "$n" "$source_kind" \
    "$(echo "$(stat -c %s "$snap") / 1048576" | bc -l)" "$(printf '%s\n' "${times[@]}" | median)" \
    "$(printf '%s\n' "${times[@]}" | sort -g | head -1)" "$((peak / 1024))" \
    "$(echo "$(du -sb "$out" | cut -f1) / 1048576" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
  [ -n "${BENCH_DIR:-}" ] || rm -rf "$out" "$snap" "$findings"
done
