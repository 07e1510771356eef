#!/usr/bin/env bash
# Runs every test. This is the test command the README gives a new user, and what CI runs.
# It first installs the tools the tests call when they are missing (see setup-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-test-deps.sh
export AUDITPACK_PYTHON="${AUDITPACK_PYTHON:-$PWD/.venv/bin/python}"
cargo nextest run --all-targets --no-fail-fast
