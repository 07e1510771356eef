#!/usr/bin/env bash
# Benchmark `auditpack evaluate` on synthetic clusters (crates/benchgen/src/bin/gencluster.rs).
#
#   bench/evaluate.sh                # 500, 2000 and 8000 namespaces (the lead's full run)
#   bench/evaluate.sh 50 200         # any sizes
#
# For each size: generate the cluster and its snapshot (seeded, deterministic), then time
# `auditpack evaluate` ROUNDS times (default 3) and print the median and best wall-clock
# seconds, the peak RSS (/usr/bin/time) and seconds per 1,000 namespaces (of the median).
# Cost must grow no worse than linearly: the last column should stay flat. Target: 2,000
# namespaces well under 10 s on 2 cores.
#
# Env: ROUNDS (default 3); BENCH_DIR (scratch folder, kept; default a new
#      /tmp/auditpack-bench.XXXXXX, removed at the end). Each size's cluster is deleted once
#      measured (without BENCH_DIR also its snapshot), so one size is on disk at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(500 2000 8000)
ROUNDS=${ROUNDS:-3}
if [ -n "${BENCH_DIR:-}" ]; then
  work=$BENCH_DIR; mkdir -p "$work"
else
  work=$(mktemp -d /tmp/auditpack-bench.XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi
cargo build --release --quiet --workspace --bins --examples
bin=target/release/auditpack
gen=target/release/gencluster

median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
echo "evaluate benchmark: $ROUNDS rounds per size, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-11s %-9s %-12s %-9s %-9s %-10s %-13s %s\n' namespaces objects snapshot_MB median_s best_s peak_MiB s_per_1000ns load1
for n in "${sizes[@]}"; do
  dir="$work/cluster-$n"
  snap="$work/cluster-$n.json"
  rm -rf "$dir"
  "$gen" --namespaces "$n" --out "$dir" --snapshot "$snap" >/dev/null
  rm -rf "$dir"
  objects=$(jq '[.resources[].items | length] | add' "$snap")
  mb=$(du -m "$snap" | cut -f1)
  times=(); peak=0
  for _ in $(seq 1 "$ROUNDS"); do
    rc=0
    /usr/bin/time -f '%e %M' -o "$work/time.txt" \
      "$bin" evaluate "$snap" --out "$work/findings-$n.json" >/dev/null || rc=$?
    [ "$rc" -le 1 ] || { echo "evaluate failed with exit code $rc" >&2; exit 2; }
    read -r t kib < <(tail -1 "$work/time.txt")
    times+=("$t"); [ "$kib" -gt "$peak" ] && peak=$kib
  done
  med=$(printf '%s\n' "${times[@]}" | median)
  best=$(printf '%s\n' "${times[@]}" | sort -g | head -1)
  printf '%-11s %-9s %-12s %-9s %-9s %-10s %-13.3f %s\n' "$n" "$objects" "$mb" "$med" "$best" "$((peak / 1024))" \
    "$(echo "$med * 1000 / $n" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
  [ -n "${BENCH_DIR:-}" ] || rm -f "$snap"
done
