#!/usr/bin/env bash
# Runs the worker image without a container runtime: unpacks the Jib tarball's layers into a
# directory and starts the image's entrypoint there with chroot, on loopback and ephemeral ports,
# first as the image's user (GET /health, an S3 PUT and GET of 3 MB compared byte for byte), then
# as root with --fuse-mount (a file written through the mount is read back through S3, and the
# mount is gone after a clean stop).
#
#   sudo deploy/image/smoke-test-image.sh [IMAGE_TAR]     (default worker/target/wcache-worker-image.tar)
#
# Needs root (chroot, mounting /proc and /dev), python3, curl, /usr/bin/aws and /dev/fuse.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IMAGE="${1:-$ROOT/worker/target/wcache-worker-image.tar}"
[ "$(id -u)" = 0 ] || { echo "smoke-test-image: run as root" >&2; exit 2; }

work="$(mktemp -d)"
rootfs="$work/rootfs"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  umount -l "$rootfs/mnt/wcache/fs" 2>/dev/null || true
  umount "$rootfs/proc" 2>/dev/null || true
  umount "$rootfs/dev" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/image" "$rootfs"
tar -xf "$IMAGE" -C "$work/image"
# The layers in order, and the image's entrypoint, environment, working directory and user.
python3 - "$work/image" "$rootfs" "$work/run.env" <<'EOF'
import json, shlex, subprocess, sys
image, rootfs, out = sys.argv[1:4]
manifest = json.load(open(f"{image}/manifest.json"))[0]
config = json.load(open(f"{image}/{manifest['Config']}"))["config"]
for layer in manifest["Layers"]:
    subprocess.check_call(["tar", "--warning=no-unknown-keyword", "-xf", f"{image}/{layer}", "-C", rootfs])
with open(out, "w") as f:
    f.write("ENTRYPOINT=(%s)\n" % " ".join(shlex.quote(a) for a in config["Entrypoint"]))
    f.write("IMAGE_ENV=(%s)\n" % " ".join(shlex.quote(e) for e in config.get("Env", [])))
    f.write("WORKDIR=%s\n" % shlex.quote(config.get("WorkingDir", "/")))
    f.write("IMAGE_USER=%s\n" % shlex.quote(config.get("User", "0:0")))
EOF
# shellcheck disable=SC1091
source "$work/run.env"
mount -t proc proc "$rootfs/proc"
mount --bind /dev "$rootfs/dev"

# start USER ARGS...: the entrypoint with ARGS, as USER, in the image's working directory.
start() {
  local user="$1"; shift
  rm -f "$rootfs$WORKDIR/ports"
  chroot --userspec="$user" "$rootfs" /usr/bin/env -i "${IMAGE_ENV[@]}" HOME="$WORKDIR" /bin/sh -c \
    'cd "$0" && exec "$@"' "$WORKDIR" "${ENTRYPOINT[@]}" serve --set s3.address=127.0.0.1:0 \
    --set admin.address=127.0.0.1:0 --port-file "$WORKDIR/ports" "$@" > "$work/worker.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    [ -f "$rootfs$WORKDIR/ports" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/worker.log" >&2; echo "smoke-test-image: the worker exited" >&2; exit 1; }
    sleep 1
  done
  [ -f "$rootfs$WORKDIR/ports" ] || { echo "smoke-test-image: the worker did not start in 120 s" >&2; exit 1; }
  S3="$(sed -n 's/^s3=//p' "$rootfs$WORKDIR/ports")"
  ADMIN="$(sed -n 's/^admin=//p' "$rootfs$WORKDIR/ports")"
}
stop() {
  kill "$pid"
  wait "$pid" || true
  pid=""
}
s3() {
  AWS_ACCESS_KEY_ID=wcache AWS_SECRET_ACCESS_KEY=wcache-secret AWS_DEFAULT_REGION=us-east-1 \
    timeout 60 /usr/bin/aws --endpoint-url "http://$S3" s3 "$@" --only-show-errors
}

start "$IMAGE_USER"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$ADMIN/health")" = 200 ]
echo "smoke-test-image: GET /health 200 as user $IMAGE_USER"
head -c 3000000 /dev/urandom > "$work/object"
s3 cp "$work/object" s3://demo/object
s3 cp s3://demo/object "$work/object.back"
cmp "$work/object" "$work/object.back"
echo "smoke-test-image: S3 PUT and GET of 3 MB identical"
stop

start 0:0 --fuse-mount /mnt/wcache/fs
echo "written through FUSE" > "$rootfs/mnt/wcache/fs/demo/fuse.txt"
s3 cp s3://demo/fuse.txt "$work/fuse.back"
[ "$(cat "$work/fuse.back")" = "written through FUSE" ]
echo "smoke-test-image: a file written through the FUSE mount read back through S3"
stop
if grep -q " $rootfs/mnt/wcache/fs " /proc/mounts; then
  echo "smoke-test-image: the FUSE mount outlived the worker" >&2
  exit 1
fi
echo "smoke-test-image: the FUSE mount is gone after a clean stop"
echo "smoke-test-image: passed"
