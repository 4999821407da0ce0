#!/usr/bin/env bash
# The README quickstart, end to end: start a worker, set a path policy, copy a file in with
# Debian's aws-cli while the object store cannot take it (the demo store is a local directory, and
# we block it), see the write acknowledged and NOT_PERSISTED, unblock the store, watch it become
# PERSISTED, show the persist queue, make a bucket of our own, stop.
#
#   docs/quickstart.sh            uses ./wcache serve and ./wcadm, ports 9000 (S3) and 9001 (admin)
#
# Overridable (the test does): QUICKSTART_DIR (working directory, default a new temporary one),
# WCACHE_SERVE (command that starts a worker), WCADM (the wcadm command), QUICKSTART_S3_ADDRESS and
# QUICKSTART_ADMIN_ADDRESS (host:port, port 0 picks a free one).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${QUICKSTART_DIR:-$(mktemp -d)}"
SERVE="${WCACHE_SERVE:-$ROOT/wcache serve}"
WCADM="${WCADM:-$ROOT/wcadm}"
S3_ADDRESS="${QUICKSTART_S3_ADDRESS:-127.0.0.1:9000}"
ADMIN_ADDRESS="${QUICKSTART_ADMIN_ADDRESS:-127.0.0.1:9001}"
# The shipped config's demo key (s3.credentials), used by the aws-cli.
export AWS_ACCESS_KEY_ID=wcache AWS_SECRET_ACCESS_KEY=wcache-secret AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true

cd "$WORK"
echo "== ./wcache serve (in $WORK)"
$SERVE --set s3.address="$S3_ADDRESS" --set admin.address="$ADMIN_ADDRESS" --port-file ports > serve.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  [ -f ports ] && break
  kill -0 $SERVER 2>/dev/null || { echo "the worker exited:"; cat serve.log; exit 1; }
  sleep 0.2
done
[ -f ports ] || { echo "the worker did not start in 120s"; cat serve.log; exit 1; }
S3="$(sed -n 's/^s3=//p' ports)"
ADMIN="$(sed -n 's/^admin=//p' ports)"
export WCADM_ENDPOINT="http://$ADMIN"
echo "S3 endpoint http://$S3, admin API http://$ADMIN"

echo "== wcadm pathconfig set /demo/reports --policy WRITE_BACK"
$WCADM pathconfig set /demo/reports --policy WRITE_BACK

echo "== the object store is down: block data/ufs/demo/reports"
mkdir -p data/ufs/demo && echo blocked > data/ufs/demo/reports

echo "== aws s3 cp (64 MiB)"
head -c 67108864 /dev/urandom > report.bin
timeout 120 /usr/bin/aws --endpoint-url "http://$S3" s3 cp report.bin s3://demo/reports/report.bin --no-progress

echo "== wcadm fs ls /demo/reports/report.bin"
$WCADM fs ls /demo/reports/report.bin

echo "== the object store is back"
rm data/ufs/demo/reports
for _ in $(seq 1 120); do
  if $WCADM fs ls /demo/reports/report.bin | grep -q ' PERSISTED '; then
    break
  fi
  sleep 0.5
done
echo "== wcadm fs ls /demo/reports/report.bin (after the upload)"
$WCADM fs ls /demo/reports/report.bin

echo "== wcadm async-persist stat"
$WCADM async-persist stat

echo "== aws s3 mb s3://scratch (a new bucket: a mount on data/ufs/scratch)"
timeout 60 /usr/bin/aws --endpoint-url "http://$S3" s3 mb s3://scratch
echo "notes" > notes.txt
timeout 60 /usr/bin/aws --endpoint-url "http://$S3" s3 cp notes.txt s3://scratch/notes.txt --no-progress
timeout 60 /usr/bin/aws --endpoint-url "http://$S3" s3 ls s3://scratch/
echo "== done"
