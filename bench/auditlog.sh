#!/usr/bin/env bash
# Benchmark `auditpack auditlog` against jq (and gzip input against zcat).
#
#   bench/auditlog.sh [SIZE_MIB] [ROUNDS] [PROFILE]   default: 1024 MiB, 3 rounds, default
#
# PROFILE `heavy` mixes in heavy RBAC and Secret traffic (per 256 MiB about 40,000 RBAC
# writes and 70,000 Secret reads: gen-auditlog --profile heavy); the target there too is
# >= 400 MB/s on one core with hashing (`bench/auditlog.sh 256 3 heavy`).
#
# 1. Builds auditpack and the log generator (release).
# 2. Generates a SIZE_MIB audit log by replaying the real sample events in
#    shared/realdata with varied users, objects, IDs and times (crates/benchgen/src/bin/gen-auditlog.rs),
#    plus a gzip copy and a log a quarter of the size (for the memory check).
# 3. Checks that auditpack and the jq program agree (per-user counts, RBAC changes).
# 4. Times, alternating, ROUNDS times: auditpack (all cores), auditpack pinned to one core
#    (taskset -c 0), the jq program; and auditpack on the gzip copy vs `zcat > /dev/null`.
# 5. Prints medians, ratios and MB/s, and the peak RSS of auditpack at both sizes.
#
# Env: AUDITPACK_SHARED (realdata location), BENCH_DIR (scratch dir, kept; default a new
#      /tmp/auditlog-bench.XXXXXX, removed at the end).
set -euo pipefail

SIZE=${1:-1024}
ROUNDS=${2:-3}
PROFILE=${3:-default}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ -n "${BENCH_DIR:-}" ]; then
  DIR=$BENCH_DIR
else
  DIR=$(mktemp -d /tmp/auditlog-bench.XXXXXX)
  trap 'rm -rf "$DIR"' EXIT
fi
mkdir -p "$DIR"
command -v jq >/dev/null || { echo "jq is required" >&2; exit 2; }

echo "== building (release)" >&2
cargo build --release --quiet --workspace --bins --examples
BIN=$ROOT/target/release/auditpack
GEN=$ROOT/target/release/gen-auditlog

LOG=$DIR/audit.log
SMALL=$DIR/audit-small.log
[ -s "$LOG" ] && [ "$(($(stat -c %s "$LOG") >> 20))" -ge "$SIZE" ] || "$GEN" "$LOG" "$SIZE" 1 --profile "$PROFILE"
SMALL_SIZE=$(( SIZE / 4 > 0 ? SIZE / 4 : 1 ))
[ -s "$SMALL" ] || "$GEN" "$SMALL" "$SMALL_SIZE" 2 --profile "$PROFILE"
[ -s "$LOG.gz" ] || gzip -c -6 "$LOG" > "$LOG.gz"
BYTES=$(stat -c %s "$LOG")

# The jq program: per-user request counts and the RBAC-change list, from final stages.
JQ_PROG='reduce (inputs | select(.stage == "ResponseComplete" or .stage == "Panic")) as $e
  ({users: {}, rbac: []};
   .users[$e.impersonatedUser.username // $e.user.username] += 1
   | if ($e.objectRef.apiGroup == "rbac.authorization.k8s.io")
        and (($e.objectRef.resource // "") | IN("roles", "clusterroles", "rolebindings", "clusterrolebindings"))
        and ($e.verb | IN("create", "update", "patch", "delete", "deletecollection"))
     then .rbac += [{time: $e.requestReceivedTimestamp, user: $e.user.username, verb: $e.verb,
                     resource: $e.objectRef.resource, namespace: $e.objectRef.namespace,
                     name: $e.objectRef.name, code: $e.responseStatus.code}]
     else . end)'

echo "== checking that auditpack and jq agree" >&2
"$BIN" auditlog "$SMALL" > "$DIR/ap.json"
jq -n -c "$JQ_PROG" "$SMALL" > "$DIR/jq.json"
diff <(jq -S '.byUser' "$DIR/ap.json") <(jq -S '.users' "$DIR/jq.json") >/dev/null \
  || { echo "per-user counts differ" >&2; exit 1; }
# The summary lists the first 100 RBAC changes; the detail aggregates them all by user,
# verb, resource and namespace: compare those counts with jq's list, and the total.
"$BIN" auditlog "$SMALL" --detail "$DIR/ap-detail.json" > /dev/null
[ "$(jq '.rbacChangesTotal' "$DIR/ap.json")" = "$(jq '.rbac | length' "$DIR/jq.json")" ] \
  || { echo "RBAC change totals differ" >&2; exit 1; }
diff <(jq -c '[.access[] | select(.resource | test("\\.rbac\\.authorization\\.k8s\\.io$")) | {k: [.user, .verb, (.resource | sub("\\..*"; "")), .namespace], c: .count}] | group_by(.k) | map(.[0].k + [map(.c) | add]) | sort' "$DIR/ap-detail.json") \
     <(jq -c '[.rbac | group_by([.user, .verb, .resource, .namespace])[] | [.[0].user, .[0].verb, .[0].resource, .[0].namespace, length]] | sort' "$DIR/jq.json") >/dev/null \
  || { echo "RBAC change aggregates differ" >&2; exit 1; }
echo "   agree: $(jq '.events' "$DIR/ap.json") requests, $(jq '.rbacChangesTotal' "$DIR/ap.json") RBAC changes" >&2

# secs CMD...: "wall cpu" seconds of one run (output discarded; cpu = user + system).
secs() {
  /usr/bin/time -f '%e %U %S' -o "$DIR/time.txt" "$@" > /dev/null
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$DIR/time.txt"
}
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }

declare -a T_AP T_AP1 T_AP1N T_JQ T_GZ T_ZCAT
for r in $(seq 1 "$ROUNDS"); do
  echo "== round $r/$ROUNDS" >&2
  T_AP+=("$(secs "$BIN" auditlog "$LOG")")
  T_JQ+=("$(secs jq -n -c "$JQ_PROG" "$LOG")")
  T_AP1+=("$(secs taskset -c 0 "$BIN" auditlog "$LOG")")
  T_AP1N+=("$(secs taskset -c 0 "$BIN" auditlog --no-hash "$LOG")")
  T_GZ+=("$(secs "$BIN" auditlog "$LOG.gz")")
  T_ZCAT+=("$(secs zcat "$LOG.gz")")
done

wall() { printf '%s\n' "$@" | awk '{print $1}' | median; }
cpu() { printf '%s\n' "$@" | awk '{print $2}' | median; }
ap=$(wall "${T_AP[@]}"); ap1=$(wall "${T_AP1[@]}"); jqm=$(wall "${T_JQ[@]}")
gz=$(wall "${T_GZ[@]}"); zc=$(wall "${T_ZCAT[@]}")
apc=$(cpu "${T_AP[@]}"); ap1c=$(cpu "${T_AP1[@]}"); jqc=$(cpu "${T_JQ[@]}")
ap1n=$(wall "${T_AP1N[@]}"); ap1nc=$(cpu "${T_AP1N[@]}")
gzc=$(cpu "${T_GZ[@]}"); zcc=$(cpu "${T_ZCAT[@]}")
mbs() { echo "$BYTES / 1000000 / $1" | bc -l | xargs printf '%.0f'; }

rss() { /usr/bin/time -f '%M' "$BIN" auditlog "$1" 2>&1 >/dev/null | tail -1; }
RSS_SMALL=$(rss "$SMALL")
RSS_BIG=$(rss "$LOG")

cat <<EOF
auditlog benchmark: $(( BYTES >> 20 )) MiB ($PROFILE profile, summary $(stat -c %s "$DIR/ap.json") bytes at ${SMALL_SIZE} MiB), $ROUNDS rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); medians of wall (cpu = user+sys) seconds
  auditpack (all cores)      ${ap}s (cpu ${apc}s)   $(mbs "$ap") MB/s wall, $(mbs "$apc") MB/s per cpu-second
  auditpack (taskset 1 core) ${ap1}s (cpu ${ap1c}s)   $(mbs "$ap1") MB/s wall
  auditpack (1 core, --no-hash) ${ap1n}s (cpu ${ap1nc}s)   $(mbs "$ap1n") MB/s wall
  jq (same RBAC list + per-user counts) ${jqm}s (cpu ${jqc}s)   $(mbs "$jqm") MB/s
  ratio jq / auditpack: $(echo "$jqm / $ap" | bc -l | xargs printf '%.1f')x wall (1 core: $(echo "$jqm / $ap1" | bc -l | xargs printf '%.1f')x), $(echo "$jqc / $apc" | bc -l | xargs printf '%.1f')x cpu
  gzip input: auditpack ${gz}s (cpu ${gzc}s) vs zcat > /dev/null ${zc}s (cpu ${zcc}s): ratio $(echo "$gz / $zc" | bc -l | xargs printf '%.2f')
  peak RSS: ${RSS_SMALL} KiB at ${SMALL_SIZE} MiB, ${RSS_BIG} KiB at $(( BYTES >> 20 )) MiB
EOF
