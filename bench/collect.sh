#!/usr/bin/env bash
# bench/collect.sh [NAMESPACES] — auditpack collect vs. the hand-written evidence script.
#
# Serves a synthetic cluster of NAMESPACES namespaces (default 500) with the stand-in API
# server, then, against that same server and in the same run, alternates for ROUNDS
# rounds (default 3):
#   - `auditpack collect` (every kind auditpack knows, 22 lists), and
#   - shared/seed/compliance-evidence.sh (its five `kubectl get -A -o yaml` calls),
# and prints the median wall time of each, the ratio, and both peak memories
# (/usr/bin/time -v; for the script, the largest kubectl it ran).
# Target: auditpack >= 3x faster with lower peak memory; 500 -> 2000 namespaces no
# worse than linear (run it at both sizes and compare).
#
# Environment:
#   ROUNDS=N          rounds (default 3)
#   OBJECTS=DIR       serve this folder instead of generating one (no gencluster needed)
#   AUDITPACK_SHARED  the shared folder (default: ../shared beside the crate, /work/shared)
#   KEEP=1            keep the work folder
set -euo pipefail

NAMESPACES="${1:-500}"
ROUNDS="${ROUNDS:-3}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
SHARED="${AUDITPACK_SHARED:-}"
if [[ -z "$SHARED" ]]; then
  if [[ -d "$ROOT/../shared" ]]; then SHARED="$ROOT/../shared"; else SHARED=/work/shared; fi
fi
SCRIPT="$SHARED/seed/compliance-evidence.sh"
[[ -f "$SCRIPT" ]] || { echo "bench: $SCRIPT not found (set AUDITPACK_SHARED)" >&2; exit 2; }
command -v kubectl >/dev/null || { echo "bench: kubectl not found" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time (GNU time) not found" >&2; exit 2; }

WORK="$(mktemp -d /tmp/auditpack-bench.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else echo "bench: kept $WORK"; fi
}
trap cleanup EXIT

echo "bench: building (release)..." >&2
if [[ -z "${OBJECTS:-}" ]]; then
  cargo build --release --quiet --workspace --bins --examples
  OBJECTS="$WORK/cluster"
  echo "bench: generating $NAMESPACES namespaces..." >&2
  target/release/gencluster --namespaces "$NAMESPACES" --out "$OBJECTS" >&2
else
  cargo build --release --quiet --workspace --bins --examples
  echo "bench: serving $OBJECTS (NAMESPACES ignored)" >&2
fi

KUBECONFIG_FILE="$WORK/kubeconfig"
target/release/examples/apiserver --objects "$OBJECTS" --kubeconfig "$KUBECONFIG_FILE" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do
  grep -q '^kubeconfig:' "$WORK/server.log" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 2; }
  sleep 0.1
done
grep -q '^kubeconfig:' "$WORK/server.log" || { echo "bench: server did not start" >&2; exit 2; }

now() { date +%s.%N; }
# rss KB from a /usr/bin/time -v log
rss() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }

AP_T=(); SH_T=(); R_T=(); AP_M=0; SH_M=0
for round in $(seq 1 "$ROUNDS"); do
  rm -rf "$WORK/script" && mkdir -p "$WORK/script"
  t0=$(now)
  /usr/bin/time -v -o "$WORK/ap.time" target/release/auditpack collect \
    --kubeconfig "$KUBECONFIG_FILE" --out "$WORK/snapshot.json" 2>"$WORK/ap.err" \
    || { echo "bench: auditpack collect failed:" >&2; cat "$WORK/ap.err" >&2; exit 2; }
  t1=$(now)
  (cd "$WORK/script" && KUBECONFIG="$KUBECONFIG_FILE" /usr/bin/time -v -o "$WORK/sh.time" bash "$SCRIPT" >/dev/null 2>"$WORK/sh.err") \
    || { echo "bench: evidence script failed:" >&2; cat "$WORK/sh.err" >&2; exit 2; }
  t2=$(now)
  # The script has no `set -e`: a failing kubectl only shows as a missing or empty file.
  for f in rolebindings clusterrolebindings networkpolicies namespaces serviceaccounts; do
    grep -q '^kind: List' "$WORK"/script/compliance-evidence-*/"$f.yaml" 2>/dev/null \
      || { echo "bench: evidence script did not write $f.yaml:" >&2; cat "$WORK/sh.err" >&2; exit 2; }
  done
  ap=$(echo "$t1 - $t0" | bc -l); sh=$(echo "$t2 - $t1" | bc -l)
  AP_T+=("$ap"); SH_T+=("$sh"); R_T+=("$(echo "$sh / $ap" | bc -l)")
  m=$(rss "$WORK/ap.time"); (( m > AP_M )) && AP_M=$m
  m=$(rss "$WORK/sh.time"); (( m > SH_M )) && SH_M=$m
  printf 'round %d: auditpack %.3fs  script %.3fs\n' "$round" "$ap" "$sh"
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
AP=$(median "${AP_T[@]}"); SH=$(median "${SH_T[@]}")
KINDS=$(jq '[.resources[] | select(.status == "collected")] | length' "$WORK/snapshot.json")
OBJS=$(jq '[.resources[].items | length] | add' "$WORK/snapshot.json")
NOT=$(jq -r '[.resources | to_entries[] | select(.value.status != "collected" and .value.status != "absent") | .key] | join(", ")' "$WORK/snapshot.json")
echo
echo "cluster: $OBJECTS ($(du -sh "$OBJECTS" | cut -f1)), $ROUNDS rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "auditpack collect: median ${AP}s, peak RSS $((AP_M / 1024)) MiB, $KINDS kinds collected, $OBJS objects${NOT:+, not collected: $NOT}"
echo "evidence script:   median ${SH}s, peak RSS $((SH_M / 1024)) MiB (largest kubectl), 5 kinds"
printf 'ratio (script / auditpack wall time): %.2fx of medians, %.2fx median of per-round ratios\n' "$(echo "$SH / $AP" | bc -l)" "$(median "${R_T[@]}")"
printf 'memory (auditpack / kubectl peak):     %.2fx\n' "$(echo "$AP_M / $SH_M" | bc -l)"
