#!/usr/bin/env bash
# Installs every tool the tests call, on a fresh Debian machine (run as root):
# coreutils sha256sum (and mkfifo/mknod for the hostile-input tests), perl shasum, GNU
# time (/usr/bin/time: the collector's peak memory in the hostile-input and large-import
# tests), openssl, ssh-keygen, jq, GNU tar, bsdtar (libarchive-tools) and python3 (the
# archive differential test extracts with all three: tar, bsdtar, Python's tarfile),
# util-linux `script` (a pseudo-terminal for the progress test), util-linux `unshare` (a
# private mount namespace for the in-cluster and full-disk tests; run as root), kubectl is
# expected on PATH, groff (the man pages render without warnings),
# headless Chromium for the browser test, cmark-gfm (packet.md as a CommonMark renderer
# shows it), poppler-utils (pdftotext, pdfinfo: the printed report), a Python venv (.venv)
# with securesystemslib, the independent DSSE verifier, and the real S3 server of the
# object-store tests: Ceph RGW (Debian radosgw, ceph-mon, ceph-osd, ceph-base, ceph-common:
# Ceph 16 with Object Lock), which scripts/s3-server.sh starts on loopback. Debian ships it
# prebuilt, so installing it takes about a minute (measured: 70 s) and nothing is compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pair in radosgw:radosgw ceph-mon:ceph-mon ceph-osd:ceph-osd monmaptool:ceph-base ceph-authtool:ceph-common sha256sum:coreutils shasum:perl tar:tar bsdtar:libarchive-tools python3:python3 openssl:openssl ssh-keygen:openssh-client jq:jq script:bsdutils unshare:util-linux chromium:chromium /usr/bin/time:time mkfifo:coreutils groff:groff-base cmark-gfm:cmark-gfm pdftotext:poppler-utils pdfinfo:poppler-utils; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import securesystemslib' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check 'securesystemslib[crypto]'
fi
command -v cargo-nextest >/dev/null 2>&1 || cargo install --locked cargo-nextest
