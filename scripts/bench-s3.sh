#!/usr/bin/env bash
# Benchmark (not a test; not part of .ci/run): a 1 GiB packet against the local Ceph RGW
# test server, in one alternating run of RUNS rounds (default 3):
#   - `auditpack archive --to s3://…` against `aws s3 cp` of the same archive bytes;
#   - `auditpack verify s3://…` against `aws s3 cp s3://… - | sha256sum`.
# Prints each round's seconds and the median ratios. Needs the release binary (built here),
# the server (scripts/setup-test-deps.sh) and awscli (installed into .venv here).
#   scripts/bench-s3.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
W=$(mktemp -d /tmp/auditpack-bench-s3.XXXXXX)
trap './scripts/s3-server.sh stop "$W/srv" >/dev/null 2>&1 || true' EXIT
cargo build --release -p auditpack-cli >/dev/null
A=$PWD/target/release/auditpack
[ -x .venv/bin/aws ] || .venv/bin/pip install -q --disable-pip-version-check awscli
AWS=$PWD/.venv/bin/aws
S3_MEMSTORE_BYTES=$((12 << 30)) ./scripts/s3-server.sh start "$W/srv" >/dev/null
export AWS_ENDPOINT_URL=$(sed 's/^endpoint=//' "$W/srv/endpoint") AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=auditpack-test AWS_SECRET_ACCESS_KEY=auditpack-test-secret
"$AWS" s3api create-bucket --bucket bench --object-lock-enabled-for-bucket >/dev/null

cd "$W"
"$A" keygen --out keys --name bench >/dev/null
"$A" packet --from-dir "$OLDPWD/examples/clusters/task-api" --cluster-name bench \
  --key keys/bench.key.pem --out p >/dev/null || true
# 1 GiB of evidence that gzip cannot shrink (the worst case for the archive's deflate).
head -c $((1 << 30)) /dev/urandom >p/evidence/bulk.bin
"$A" seal p --key keys/bench.key.pem --force >/dev/null
"$A" archive p --out p.tar.gz >/dev/null
ID=$(python3 -c 'import json; print(json.load(open("p/packet.json"))["id"])')

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
: >up.ours; : >up.aws; : >down.ours; : >down.aws
for i in $(seq 1 "$RUNS"); do
  t=$(now); "$A" archive p --to "s3://bench/ours-$i/" >/dev/null; echo "$(now) - $t" | bc >>up.ours
  t=$(now); "$AWS" s3 cp --quiet p.tar.gz "s3://bench/aws-$i/$ID.tar.gz"; echo "$(now) - $t" | bc >>up.aws
  t=$(now); "$A" verify "s3://bench/ours-$i/$ID.tar.gz" --key keys/bench.pub.pem >/dev/null; echo "$(now) - $t" | bc >>down.ours
  t=$(now); "$AWS" s3 cp --quiet "s3://bench/ours-$i/$ID.tar.gz" - | sha256sum >/dev/null; echo "$(now) - $t" | bc >>down.aws
done
for f in up.ours up.aws down.ours down.aws; do echo "$f: $(tr '\n' ' ' <"$f")(median $(median <"$f") s)"; done
echo "archive --to / aws s3 cp:           $(echo "$(median <up.ours) / $(median <up.aws)" | bc -l | cut -c1-5)x (target: at most 1.2x)"
echo "verify s3:// throughput / aws+sha256sum: $(echo "$(median <down.aws) / $(median <down.ours)" | bc -l | cut -c1-5) (target: at least 0.8)"
