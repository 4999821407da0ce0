#!/bin/bash
# Runs ceph/s3-tests against a fresh `./wcache serve` and prints the pass count.
#
#   tools/s3-tests/run.sh [--wide] [--build] [-- extra pytest args]
#
# S3TESTS_DIR   checkout of https://github.com/ceph/s3-tests (default /work/s3-tests, then ./s3-tests)
# PYTHON        interpreter with pytest, boto3 and munch (default /usr/bin/python3: Debian's
#               python3-pytest, python3-boto3, python3-munch ...)
# PORT          S3 port (default: a free ephemeral port)
# JAR           the worker jar to run (default worker/target/wcache-worker.jar, built if missing)
#
# The default selection is the one recorded in docs/S3-COMPATIBILITY.md (core bucket, object and
# multipart tests); --wide drops the -m excludes. --build rebuilds worker/target/wcache-worker.jar.
# Results: $OUT (default ./target/s3-tests)/result.txt and junit.xml; the worker's log next to them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/tools/s3-tests"
WIDE=0; BUILD=0; EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --wide) WIDE=1 ;;
    --build) BUILD=1 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "usage: $0 [--wide] [--build] [-- pytest args]" >&2; exit 2 ;;
  esac
  shift
done
S3TESTS_DIR="${S3TESTS_DIR:-/work/s3-tests}"
[ -d "$S3TESTS_DIR" ] || S3TESTS_DIR="$ROOT/s3-tests"
[ -f "$S3TESTS_DIR/s3tests/functional/test_s3.py" ] || {
  echo "no ceph/s3-tests checkout at $S3TESTS_DIR (git clone https://github.com/ceph/s3-tests)" >&2; exit 2; }
PYTHON="${PYTHON:-/usr/bin/python3}"
OUT="${OUT:-$ROOT/target/s3-tests}"
JAR="${JAR:-$ROOT/worker/target/wcache-worker.jar}"
if [ "$BUILD" = 1 ] || [ ! -f "$JAR" ]; then
  (cd "$ROOT" && mvn -B -ntp -q -pl worker -am package -DskipTests)
fi
PORT="${PORT:-$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
rm -rf "$OUT" && mkdir -p "$OUT/data"
sed "s/@PORT@/$PORT/" "$HERE/s3tests.conf" > "$OUT/s3tests.conf"
CREDS='[{accessKey: mainaccesskey0000000, secretKey: mainsecretkey00000000000000000000000000, userId: main-user, displayName: main-user, email: main@example.com},'
CREDS+='{accessKey: altaccesskey00000000, secretKey: altsecretkey000000000000000000000000000, userId: alt-user, displayName: alt-user, email: alt@example.com},'
CREDS+='{accessKey: tenantaccesskey00000, secretKey: tenantsecretkey0000000000000000000000000, userId: tenant-user, displayName: tenant-user, email: tenant@example.com},'
CREDS+='{accessKey: iamaccesskey00000000, secretKey: iamsecretkey000000000000000000000000000, userId: iam-user, displayName: iam-user, email: iam@example.com}]'
java ${WCACHE_JAVA_OPTS:-} -jar "$JAR" serve \
  --set "data.dir=$OUT/data" --set "s3.address=127.0.0.1:$PORT" --set "admin.address=127.0.0.1:0" \
  --set 's3.create.bucket.ufs=file:${data.dir}/ufs/{bucket}' --set "s3.credentials=$CREDS" \
  > "$OUT/worker.log" 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1)" 2>/dev/null && break
  kill -0 $WORKER 2>/dev/null || { echo "worker exited:" >&2; tail -20 "$OUT/worker.log" >&2; exit 1; }
  sleep 0.5
done
SELECT=(-k "(test_bucket or test_object or test_multipart) and not object_lock")
if [ "$WIDE" = 0 ]; then
  SELECT+=(-m "not fails_on_aws and not lifecycle and not versioning and not bucket_logging and not object_lock and not encryption and not sse_s3 and not bucket_policy and not appendobject and not storage_class")
fi
set +e
(cd "$S3TESTS_DIR" && S3TEST_CONF="$OUT/s3tests.conf" "$PYTHON" -m pytest -q -p no:cacheprovider \
  s3tests/functional/test_s3.py "${SELECT[@]}" --junitxml="$OUT/junit.xml" -rf "${EXTRA[@]}") > "$OUT/result.txt" 2>&1
set -e
grep -E '^FAILED|^ERROR' "$OUT/result.txt" | sed 's/ - .*//' | sort > "$OUT/failed.txt" || true
tail -1 "$OUT/result.txt"
echo "failures: $OUT/failed.txt; output: $OUT/result.txt; worker log: $OUT/worker.log"
