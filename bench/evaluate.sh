#!/usr/bin/env bash
# Benchmark `auditpack evaluate` on synthetic clusters (examples/gencluster.rs).
#
#   bench/evaluate.sh                # 500, 2000 and 8000 namespaces (the lead's full run)
#   bench/evaluate.sh 50 200         # any sizes
#
# For each size: generate the cluster and its snapshot (seeded, deterministic), then time
# `auditpack evaluate` (best of 3 wall-clock runs) and print seconds per 1,000 namespaces.
# Cost must grow no worse than linearly: the last column should stay flat. Target: 2,000
# namespaces well under 10 s on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(500 2000 8000)
work=${BENCH_DIR:-$(mktemp -d /tmp/auditpack-bench.XXXXXX)}
cargo build --release --quiet --bin auditpack --example gencluster
bin=target/release/auditpack
gen=target/release/examples/gencluster

now() { date +%s.%N; }
printf '%-12s %-10s %-12s %-10s %-14s\n' namespaces objects snapshot_MB eval_s s_per_1000ns
for n in "${sizes[@]}"; do
  dir="$work/cluster-$n"
  snap="$work/cluster-$n.json"
  rm -rf "$dir"
  "$gen" --namespaces "$n" --out "$dir" --snapshot "$snap"
  objects=$(jq '[.resources[].items | length] | add' "$snap")
  mb=$(du -m "$snap" | cut -f1)
  best=
  for _ in 1 2 3; do
    t0=$(now)
    rc=0
    "$bin" evaluate "$snap" --out "$work/findings-$n.json" || rc=$?
    t1=$(now)
    [ "$rc" -le 1 ] || { echo "evaluate failed with exit code $rc" >&2; exit 2; }
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  printf '%-12s %-10s %-12s %-10.3f %-14.3f\n' "$n" "$objects" "$mb" "$best" "$(echo "$best * 1000 / $n" | bc -l)"
done
echo "(files in $work)"
