#!/usr/bin/env bash
# bench/import.sh [MB] — `auditpack collect --from-dir` on one large kubectl export, against
# PyYAML (libyaml's C loader, `yaml.load_all` into JSON: what a hand-written evidence script
# does) and, when PREVIOUS=BINARY is given, an earlier auditpack build on the same file.
#
# Generates a `kubectl get pods -A -o yaml` style `kind: List` of about MB megabytes
# (default 100), then alternates the commands for ROUNDS rounds (default 3) and prints each
# one's median wall time and peak RSS (GNU /usr/bin/time -v), and the snapshot size.
# Target: peak RSS a small multiple of the compacted snapshot, not ten times the file.
# PyYAML needs about 45 times the file in memory (4.2 GiB at 100 MB) and about 1.7 s per
# MB: keep MB modest on a shared machine, or leave it out with PYYAML=0.
#
# Environment:
#   ROUNDS=N          rounds (default 3)
#   PREVIOUS=BINARY   also run this auditpack binary (e.g. a release build of an older commit)
#   PYYAML=0          do not run PyYAML
#   KEEP=1            keep the work folder
set -euo pipefail

MB="${1:-100}"
ROUNDS="${ROUNDS:-3}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
[[ "$MB" =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/import.sh [MB]" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time (GNU time, Debian: time) not found" >&2; exit 2; }
for tool in jq bc; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found (Debian: apt-get install $tool)" >&2; exit 2; }
done
[[ "${PYYAML:-1}" == 0 ]] || python3 -c 'import yaml; yaml.CSafeLoader' 2>/dev/null \
  || { echo "bench: python3 with PyYAML built on libyaml (Debian: python3-yaml) not found" >&2; exit 2; }
if [[ -n "${PREVIOUS:-}" && ! -x "$PREVIOUS" ]]; then
  echo "bench: PREVIOUS=$PREVIOUS is not an executable" >&2; exit 2
fi

WORK="$(mktemp -d /tmp/auditpack-import-bench.XXXXXX)"
cleanup() { if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else echo "bench: kept $WORK"; fi; }
trap cleanup EXIT

echo "bench: building (release)..." >&2
cargo build --release --quiet --bin auditpack
mkdir -p "$WORK/exports"
echo "bench: generating a ${MB} MB export..." >&2
python3 - "$WORK/exports/pods.yaml" "$MB" <<'EOF'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
pod = """- apiVersion: v1
  kind: Pod
  metadata:
    annotations:
      kubectl.kubernetes.io/restartedAt: "2026-01-01T00:00:00Z"
    creationTimestamp: "2026-01-01T00:00:00Z"
    labels:
      app: app-{a}
      pod-template-hash: 5d8f7c9b{i:06}
    name: app-{a}-5d8f7c9b-{i:06}
    namespace: ns-{ns}
    resourceVersion: "{i}"
    uid: 0f0e0d0c-0b0a-4908-8706-{i:012}
  spec:
    containers:
    - env:
      - name: PASSWORD
        value: not-a-real-secret-{i}
      image: registry.example.com/team/app-{a}:v1.2.{i}
      name: app
      ports:
      - containerPort: 8080
        protocol: TCP
      resources:
        limits: {{cpu: 500m, memory: 256Mi}}
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: {{drop: [ALL]}}
        runAsNonRoot: true
    nodeName: node-{node}
    serviceAccountName: app-{a}
    volumes:
    - name: kube-api-access-{i:06}
      projected:
        sources:
        - serviceAccountToken: {{expirationSeconds: 3607, path: token}}
  status:
    phase: Running
    podIP: 10.244.{node}.{a}
"""
with open(path, "w") as f:
    f.write("apiVersion: v1\nitems:\n")
    i = 0
    while f.tell() < mb * 1_000_000:
        f.write(pod.format(i=i, a=i % 200, ns=i % 50, node=i % 20))
        i += 1
    f.write('kind: List\nmetadata:\n  resourceVersion: ""\n')
print(f"bench: {i} pods", file=sys.stderr)
EOF

cat >"$WORK/pyyaml.py" <<'EOF'
import json, sys, yaml
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for doc in yaml.load_all(f, Loader=yaml.CSafeLoader):
        json.dump(doc, out)
EOF

now() { date +%s.%N; }
rss() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A T M
NAMES=(auditpack)
[[ "${PYYAML:-1}" != 0 ]] && NAMES+=(pyyaml)
[[ -n "${PREVIOUS:-}" ]] && NAMES+=(previous)
run() { # name command...
  local name=$1; shift
  local t0 t1
  t0=$(now)
  /usr/bin/time -v -o "$WORK/$name.time" "$@" >/dev/null 2>"$WORK/$name.err" \
    || { echo "bench: $name failed:" >&2; tail -5 "$WORK/$name.err" >&2; exit 2; }
  t1=$(now)
  T[$name]="${T[$name]:-} $(echo "$t1 - $t0" | bc -l)"
  local m; m=$(rss "$WORK/$name.time")
  (( m > ${M[$name]:-0} )) && M[$name]=$m
  return 0
}
for round in $(seq 1 "$ROUNDS"); do
  run auditpack target/release/auditpack collect --from-dir "$WORK/exports" --out "$WORK/snapshot.json"
  if [[ "${PYYAML:-1}" != 0 ]]; then
    run pyyaml python3 "$WORK/pyyaml.py" "$WORK/exports/pods.yaml" "$WORK/pyyaml.json"
  fi
  if [[ -n "${PREVIOUS:-}" ]]; then
    run previous "$PREVIOUS" collect --from-dir "$WORK/exports" --out "$WORK/previous.json"
  fi
  echo "round $round done" >&2
done

FILE=$(stat -c %s "$WORK/exports/pods.yaml")
SNAP=$(stat -c %s "$WORK/snapshot.json")
COMPACT=$(jq -c '.resources.pods.items[]' "$WORK/snapshot.json" | wc -c)
echo
echo "bench/import.sh $MB, ROUNDS=$ROUNDS${PREVIOUS:+, PREVIOUS=$PREVIOUS}; $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "export: $((FILE / 1048576)) MiB, snapshot $((SNAP / 1048576)) MiB (items compact: $((COMPACT / 1048576)) MiB), $ROUNDS rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
AP=$(median ${T[auditpack]})
for name in "${NAMES[@]}"; do
  med=$(median ${T[$name]})
  printf '%-10s median %7.2fs  peak RSS %6d MiB  (%.2fx the file, %.2fx the compact items)  time / auditpack %.2fx\n' \
    "$name" "$med" "$((M[$name] / 1024))" "$(echo "${M[$name]} * 1024 / $FILE" | bc -l)" \
    "$(echo "${M[$name]} * 1024 / $COMPACT" | bc -l)" "$(echo "$med / $AP" | bc -l)"
done
