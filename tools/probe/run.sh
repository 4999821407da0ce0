#!/usr/bin/env bash
# tools/probe/run.sh [ROUNDS] [REQUESTS] [SERVE ARGS...]
# An independent latency probe: `./wcache serve` on its shipped config (WRITE_BACK, a local-directory
# UFS) and the benchmark's s3proxy (filesystem blob store) side by side on this disk, each driven by
# probe.py (one keep-alive connection, raw HTTP with SigV4 headers, no SDK): 10 KiB PUTs and a GET
# right after each, rounds alternating between the two. Prints per-round p50/p99 and the ratios.
# Arguments after the first two go to `./wcache serve`, e.g. `--set write.cache.async.persist.defer.max=0`;
# PROBE_ARGS holds probe.py's own options, e.g. PROBE_ARGS="--keys 0" for a new key per PUT (default: 100 keys
# overwritten). Each target's round starts after 2 s of quiet (--pause), so a write-back target's uploads of one
# round do not run during the next target's round.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROUNDS="${1:-3}"
REQUESTS="${2:-2000}"
shift $(( $# < 2 ? $# : 2 ))
WORK="$(mktemp -d "${TMPDIR:-/tmp}/wcache-probe-XXXXXX")"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$ROOT"
echo "probe: building (mvn install -DskipTests)..." >&2
mvn -B -ntp -q install -DskipTests >&2
(mvn -B -ntp -q -pl tools test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java -Dexec.classpathScope=test \
    -Dexec.mainClass=io.wcache.tools.bench.S3ProxyServe -Dexec.args="$WORK/s3proxy" > "$WORK/s3proxy.out" 2>&1) &
PIDS+=($!)
./wcache serve --set data.dir="$WORK/wcache" --set s3.address=127.0.0.1:0 --set admin.address=127.0.0.1:0 \
    --port-file "$WORK/ports" "$@" > "$WORK/wcache.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 240); do
  if grep -q "s3proxy port=" "$WORK/s3proxy.out" 2>/dev/null && [ -s "$WORK/ports" ]; then break; fi
  sleep 0.5
done
S3PROXY_PORT="$(sed -n 's/.*s3proxy port=\([0-9]*\).*/\1/p' "$WORK/s3proxy.out")"
WCACHE_S3="$(sed -n 's/^s3=//p' "$WORK/ports")"
if [ -z "$S3PROXY_PORT" ] || [ -z "$WCACHE_S3" ]; then
  echo "probe: a server did not start; see below" >&2
  tail -20 "$WORK/s3proxy.out" "$WORK/wcache.log" >&2
  exit 1
fi
echo "probe: wcache $WCACHE_S3 (WRITE_BACK, file UFS), s3proxy 127.0.0.1:$S3PROXY_PORT; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# shellcheck disable=SC2086 # PROBE_ARGS: extra probe.py options, e.g. PROBE_ARGS="--keys 0" (a new key per PUT)
python3 "$ROOT/tools/probe/probe.py" --rounds "$ROUNDS" --requests "$REQUESTS" ${PROBE_ARGS:-} \
    --target "wcache=http://$WCACHE_S3/demo" \
    --target "s3proxy=http://127.0.0.1:$S3PROXY_PORT/probe,wcache-test,wcache-test-secret"
