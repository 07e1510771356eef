#!/usr/bin/env bash
# Benchmark: `auditpack verify` against `sha256sum -c` on the same sealed packet.
#
# usage: bench/seal.sh [SIZE_MIB]        (default 1024 = 1,000 small files + one 512 MiB file)
# env:   ROUNDS (default 5), AUDITPACK_BIN (default target/release/auditpack, built if absent),
#        BENCH_DIR (scratch folder, default a new /tmp/seal-bench.XXXXXX, removed at the end
#        unless KEEP=1)
#
# Prints the median wall time of each tool (alternating, so drift hits both), the ratio,
# throughput in GB/s, `openssl dgst -sha256` on the large file (the machine's single-core
# SHA-256 limit) and the peak resident memory of `verify` at SIZE and SIZE/4 (flat memory:
# the two should be about equal). Files are in the page cache for every run (warm cache).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${1:-1024}
ROUNDS=${ROUNDS:-5}
BIN=${AUDITPACK_BIN:-target/release/auditpack}
OUT=${BENCH_DIR:-$(mktemp -d /tmp/seal-bench.XXXXXX)}
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$OUT"' EXIT
if [ ! -x "$BIN" ]; then
  cargo build --release
fi
BIN=$(realpath "$BIN")
[ "$SIZE" -ge 8 ] || { echo "SIZE_MIB must be at least 8" >&2; exit 2; }

rm -rf "$OUT/packet-"*
mkdir -p "$OUT"
"$BIN" keygen --out "$OUT" --name bench >/dev/null

# make_packet DIR SIZE_MIB: half the bytes in one large file, half in 1,000 small files
# spread over 10 folders.
make_packet() {
  local dir=$1 size=$2
  local large_mib=$((size / 2))
  local small_bytes=$(((size - large_mib) * 1048576 / 1000))
  mkdir -p "$dir"
  for d in 0 1 2 3 4 5 6 7 8 9; do
    mkdir -p "$dir/evidence/part$d"
    head -c $((small_bytes * 100)) /dev/urandom \
      | split -b "$small_bytes" -a 2 -d - "$dir/evidence/part$d/file-"
  done
  head -c $((large_mib * 1048576)) /dev/urandom > "$dir/large.bin"
  printf '{"formatVersion":1,"id":"bench-%s"}\n' "$size" > "$dir/packet.json"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); if (NR % 2) print v[m]; else printf "%.3f\n", (v[m] + v[m + 1]) / 2 }'; }

PKT="$OUT/packet-$SIZE"
echo "building a ${SIZE} MiB packet in $PKT ..."
make_packet "$PKT" "$SIZE"
BYTES=$(du -sb "$PKT" | cut -f1)
FILES=$(find "$PKT" -type f | wc -l)

t0=$(now)
"$BIN" seal "$PKT" --key "$OUT/bench.key.pem" --now 2025-01-01T00:00:00Z >/dev/null
t1=$(now)
echo "seal: $(elapsed "$t0" "$t1") s for $FILES files, $BYTES bytes"

# Warm the page cache once for both tools.
(cd "$PKT" && sha256sum -c --quiet SHA256SUMS)

ap_times=()
sum_times=()
ssl_times=()
for round in $(seq 1 "$ROUNDS"); do
  for tool in ap sum; do
    # Alternate which tool goes first in each round.
    if [ $((round % 2)) -eq 0 ]; then tool=$([ "$tool" = ap ] && echo sum || echo ap); fi
    t0=$(now)
    if [ "$tool" = ap ]; then
      "$BIN" verify "$PKT" --key "$OUT/bench.pub.pem" >/dev/null
      ap_times+=("$(elapsed "$t0" "$(now)")")
    else
      (cd "$PKT" && sha256sum -c --quiet SHA256SUMS)
      sum_times+=("$(elapsed "$t0" "$(now)")")
    fi
  done
  # The single-core SHA-256 limit, measured in the same rounds (same noise).
  t0=$(now)
  openssl dgst -sha256 "$PKT/large.bin" >/dev/null
  ssl_times+=("$(elapsed "$t0" "$(now)")")
done

ap_med=$(printf '%s\n' "${ap_times[@]}" | median)
sum_med=$(printf '%s\n' "${sum_times[@]}" | median)
gbps() { awk -v b="$BYTES" -v t="$1" 'BEGIN { printf "%.2f", b / t / 1e9 }'; }

ssl_t=$(printf '%s\n' "${ssl_times[@]}" | median)
large_bytes=$(stat -c %s "$PKT/large.bin")

rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'; }
# CPU seconds (user + sys) of one verify: throughput per CPU-second does not depend on
# whether the second core is free.
cpu_s=$( { /usr/bin/time -f '%U %S' "$BIN" verify "$PKT" --key "$OUT/bench.pub.pem" >/dev/null; } 2>&1 | tail -1 | awk '{ printf "%.2f", $1 + $2 }')
QUARTER=$((SIZE / 4))
[ "$QUARTER" -ge 8 ] || QUARTER=8
QPKT="$OUT/packet-$QUARTER"
make_packet "$QPKT" "$QUARTER"
"$BIN" seal "$QPKT" --key "$OUT/bench.key.pem" --now 2025-01-01T00:00:00Z >/dev/null
rss_full=$(rss "$BIN" verify "$PKT" --key "$OUT/bench.pub.pem")
rss_quarter=$(rss "$BIN" verify "$QPKT" --key "$OUT/bench.pub.pem")

echo
echo "packet: $FILES files, $BYTES bytes; $ROUNDS rounds, warm cache, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %10s %10s\n' "tool" "median s" "GB/s"
printf '%-28s %10s %10s\n' "auditpack verify" "$ap_med" "$(gbps "$ap_med")"
printf '%-28s %10s %10s\n' "sha256sum -c SHA256SUMS" "$sum_med" "$(gbps "$sum_med")"
ratios=$(for i in "${!ap_times[@]}"; do awk -v a="${ap_times[$i]}" -v s="${sum_times[$i]}" 'BEGIN { print s / a }'; done | median)
awk -v a="$ap_med" -v s="$sum_med" -v r="$ratios" 'BEGIN { printf "ratio sha256sum / auditpack: %.2fx of medians, %.2fx median of per-round ratios\n", s / a, r }'
awk -v c="$cpu_s" -v n="$BYTES" 'BEGIN { printf "verify CPU time (user+sys): %.2f s, %.2f GB per CPU-second\n", c, n / c / 1e9 }'
awk -v b="$large_bytes" -v t="$ssl_t" 'BEGIN { printf "openssl dgst -sha256 on large.bin (single core, median): %.3f s, %.2f GB/s\n", t, b / t / 1e9 }'
awk -v b="$large_bytes" -v t="$ssl_t" -v a="$ap_med" -v n="$BYTES" 'BEGIN { printf "verify vs twice openssl: %.0f%% (verify %.2f GB/s, 2 x openssl %.2f GB/s)\n", 100 * (n / a) / (2 * b / t), n / a / 1e9, 2 * b / t / 1e9 }'
echo "peak RSS of verify: ${rss_full} KiB at ${SIZE} MiB, ${rss_quarter} KiB at ${QUARTER} MiB"
echo "all runs: auditpack ${ap_times[*]} | sha256sum ${sum_times[*]} | openssl ${ssl_times[*]}"
