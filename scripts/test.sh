#!/usr/bin/env bash
# Runs every check. This is the test command the README gives a new user, and what CI runs.
# It first installs the tools the tests call when they are missing (see setup-test-deps.sh),
# then checks formatting, lints and docs (warnings denied), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-test-deps.sh
export AUDITPACK_PYTHON="${AUDITPACK_PYTHON:-$PWD/.venv/bin/python}"
command -v cargo-fmt >/dev/null 2>&1 || rustup component add rustfmt
command -v cargo-clippy >/dev/null 2>&1 || rustup component add clippy
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps
# The S3 tests start one Ceph RGW server under target/tmp and share it; stop it afterwards.
stop_s3() { [ -d target/tmp/s3-server/data ] && ./scripts/s3-server.sh stop target/tmp/s3-server/data || true; }
trap stop_s3 EXIT
cargo nextest run --workspace --all-targets --no-fail-fast
# nextest does not run doctests: the library's examples run here.
cargo test --workspace --doc
