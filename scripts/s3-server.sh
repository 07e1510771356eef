#!/usr/bin/env bash
# A real S3-compatible object store on loopback for the tests and the benchmark: Ceph RGW
# (Debian `radosgw`, Ceph 16 "Pacific") over a one-node Ceph cluster (one monitor, one OSD
# on memstore), started by hand, no systemd. Installed by scripts/setup-test-deps.sh.
#
#   scripts/s3-server.sh start DIR [RGW_PORT]   prints `endpoint=http://127.0.0.1:PORT`
#   scripts/s3-server.sh rgw DIR NAME PORT      a further gateway on the same cluster
#   scripts/s3-server.sh stop DIR               stops every daemon started in DIR
#
# Credentials of the S3 user: access key `auditpack-test`, secret `auditpack-test-secret`.
# Cephx is off: everything listens on 127.0.0.1 only. Set S3_MEMSTORE_BYTES for a bigger
# store (default 4 GiB; memstore holds objects in memory as they are written).
set -euo pipefail

ACCESS=auditpack-test
SECRET=auditpack-test-secret

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() { # PORT SECONDS
  for _ in $(seq 1 $(($2 * 10))); do
    if python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

start_rgw() { # DIR NAME PORT
  local d=$1 name=$2 port=$3
  radosgw -c "$d/ceph.conf" -n "client.$name" \
    --rgw-frontends "beast endpoint=127.0.0.1:$port" \
    --pid-file "$d/run/$name.pid" --log-file "$d/log/$name.log" \
    --rgw-data "$d/rgw-$name" --admin-socket "$d/run/$name.asok"
  if ! wait_http "$port" 60; then
    echo "s3-server: radosgw $name did not listen on 127.0.0.1:$port; see $d/log/$name.log" >&2
    tail -20 "$d/log/$name.log" >&2 || true
    exit 1
  fi
  echo "endpoint=http://127.0.0.1:$port"
}

cmd=${1:?usage: s3-server.sh start|rgw|stop DIR ...}
d=${2:?usage: s3-server.sh start|rgw|stop DIR ...}
case "$cmd" in
  start)
    for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
      command -v "$tool" >/dev/null || { echo "s3-server: $tool not installed; run scripts/setup-test-deps.sh" >&2; exit 1; }
    done
    # A start that fails half-way stops what it started.
    trap '"$0" stop "$d" >/dev/null 2>&1 || true' ERR
    port=${3:-$(free_port)}
    monport=$(free_port)
    mkdir -p "$d"/{run,log,mon,osd}
    d=$(cd "$d" && pwd)
    fsid=$(python3 -c 'import uuid; print(uuid.uuid4())')
    cat >"$d/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$monport
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
ms bind ipv6 = false
ms mon client mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms cluster mode = crc
ms service mode = crc
run dir = $d/run
admin socket = $d/run/\$name.asok
log file = $d/log/\$name.log
pid file = $d/run/\$name.pid
mon data = $d/mon/\$name
osd data = $d/osd/\$name
keyring = $d/keyring
osd objectstore = memstore
memstore device bytes = ${S3_MEMSTORE_BYTES:-4294967296}
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
# A test machine's disk may well be 95% full: the monitor must not stop over it.
mon data avail crit = 0
mon data avail warn = 0
mon allow pool delete = true
mon max pg per osd = 2000
mon warn on pool no redundancy = false
osd max object size = 1073741824
rgw enable ops log = false
rgw dns name = localhost
rgw thread pool size = 64
EOF
    ceph-authtool --create-keyring "$d/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    monmaptool --create --addv a "[v2:127.0.0.1:$monport]" --fsid "$fsid" "$d/monmap" >/dev/null
    ceph-mon -c "$d/ceph.conf" -i a --mkfs --monmap "$d/monmap" --keyring "$d/keyring"
    ceph-mon -c "$d/ceph.conf" -i a
    osd_uuid=$(python3 -c 'import uuid; print(uuid.uuid4())')
    id=$(ceph -c "$d/ceph.conf" --connect-timeout 60 osd new "$osd_uuid")
    mkdir -p "$d/osd/osd.$id"
    ceph-osd -c "$d/ceph.conf" -i "$id" --mkfs --osd-uuid "$osd_uuid" 2>"$d/log/osd-mkfs.log"
    ceph-osd -c "$d/ceph.conf" -i "$id"
    for _ in $(seq 1 300); do
      ceph -c "$d/ceph.conf" osd stat -f json 2>/dev/null | grep -q '"num_up_osds":1' && break
      sleep 0.2
    done
    start_rgw "$d" rgw "$port" >"$d/endpoint"
    radosgw-admin -c "$d/ceph.conf" -n client.rgw user create --uid=auditpack-test \
      --display-name="auditpack tests" --access-key="$ACCESS" --secret="$SECRET" >/dev/null
    cat "$d/endpoint"
    ;;
  rgw)
    start_rgw "$d" "${3:?name}" "${4:?port}"
    ;;
  stop)
    for pid in "$d"/run/*.pid; do
      [ -e "$pid" ] || continue
      kill "$(cat "$pid")" 2>/dev/null || true
    done
    ;;
  *)
    echo "usage: s3-server.sh start|rgw|stop DIR ..." >&2
    exit 2
    ;;
esac
