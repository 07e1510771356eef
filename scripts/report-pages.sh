#!/usr/bin/env bash
# How many A4 pages the printed report takes: a benchmark-style check, not a timed test.
#
# Generates clusters with benchgen's gencluster (6 namespaces, like the held-out cluster,
# and 500), builds a packet of each, prints its index.html to PDF with headless Chromium
# (the print stylesheet's A4 pages) and counts the pages with pdfinfo. Fails when a packet
# prints more pages than its limit (25 at 6 namespaces, 60 at 500). The figures are
# recorded in README.md ("How long is the report").
#
#   scripts/report-pages.sh [NAMESPACES:LIMIT ...]     (default: 6:25 500:60)
#
# Needs chromium and pdfinfo (poppler-utils): scripts/setup-test-deps.sh installs both.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in chromium pdfinfo; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/setup-test-deps.sh" >&2; exit 2; }
done
# One build of both (gencluster reads the library's internals).
cargo build -q -p auditpack-cli -p benchgen --features auditpack/internals
bin=target/debug
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/auditpack" keygen --out "$work/keys" --name signer >/dev/null
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(6:25 500:60)
status=0
printf '%-11s %-6s %-6s %s\n' namespaces pages limit packet.md
for c in "${cases[@]}"; do
  n=${c%%:*} limit=${c#*:}
  "$bin/gencluster" --namespaces "$n" --out "$work/cluster-$n" >/dev/null
  # packet exits 3-5 when the verdict is a gap: the packet is written all the same.
  "$bin/auditpack" packet --from-dir "$work/cluster-$n" --cluster-name "gen-$n" \
    --key "$work/keys/signer.key.pem" --now 2026-12-01T12:00:00Z \
    --out "$work/packet-$n" >/dev/null 2>"$work/packet-$n.err" || [ -f "$work/packet-$n/index.html" ] \
    || { cat "$work/packet-$n.err" >&2; exit 1; }
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --no-pdf-header-footer --user-data-dir="$work/profile" \
    --print-to-pdf="$work/packet-$n.pdf" "file://$work/packet-$n/index.html" 2>/dev/null
  pages=$(pdfinfo "$work/packet-$n.pdf" | sed -n 's/^Pages: *//p')
  printf '%-11s %-6s %-6s %s\n' "$n" "$pages" "$limit" "$(wc -c <"$work/packet-$n/packet.md") bytes"
  [ "$pages" -le "$limit" ] || { echo "  more than $limit pages" >&2; status=1; }
done
exit $status
