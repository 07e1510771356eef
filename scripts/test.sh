#!/usr/bin/env bash
# Runs every test. This is the command the README gives a new user.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo nextest run --all-targets --no-fail-fast
