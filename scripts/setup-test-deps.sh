#!/usr/bin/env bash
# Installs every tool the tests call, on a fresh Debian machine (run as root).
set -euo pipefail
need=()
for pair in sha256sum:coreutils openssl:openssl ssh-keygen:openssh-client jq:jq chromium:chromium; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
