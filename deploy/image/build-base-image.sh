#!/usr/bin/env bash
# Builds the base of the worker image from Debian's packages, with no Docker daemon and no image
# registry: a Debian 12 (bookworm) root file system with OpenJDK 17's JRE, libfuse2 (jnr-fuse loads
# libfuse.so.2 for the FUSE frontend), fuse3 and mount (fusermount3 and umount: the FUSE frontend
# unmounts with them at shutdown and clears a stale mount at start) and CA certificates (the S3
# UFS's TLS), written by mmdebstrap as one layer of a docker-archive tarball, the format Jib reads
# as a tar:// base image.
#
#   deploy/image/build-base-image.sh [OUTPUT]      (default deploy/image/target/wcache-base-image.tar)
#
# Needs root (mmdebstrap's root mode runs the packages' maintainer scripts in a chroot) and
# `apt-get install mmdebstrap`. Takes about three minutes; the tarball is about 320 MB (uncompressed).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/target/wcache-base-image.tar}"
SUITE=bookworm
# The image's non-root user (worker/pom.xml's Jib <user>, the StatefulSet's runAsUser).
UID_GID=10001

command -v mmdebstrap >/dev/null || { echo "build-base-image: needs mmdebstrap (apt-get install mmdebstrap)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "build-base-image: run as root (mmdebstrap's root mode)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Documentation, manuals and translations are left out; each package's copyright file stays.
# man1 must exist all the same: the JRE's postinst registers java's manual page with update-alternatives.
mmdebstrap --variant=essential \
  --include=openjdk-17-jre-headless,libfuse2,fuse3,mount,ca-certificates \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
  --customize-hook="mkdir -p \"\$1/var/lib/wcache\" && chown $UID_GID:$UID_GID \"\$1/var/lib/wcache\"" \
  "$SUITE" "$work/layer.tar"

diff_id="sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
cat > "$work/config.json" <<EOF
{"architecture":"amd64","os":"linux",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64","LANG=C.UTF-8"]},
 "rootfs":{"type":"layers","diff_ids":["$diff_id"]},
 "history":[{"created_by":"deploy/image/build-base-image.sh: mmdebstrap $SUITE openjdk-17-jre-headless libfuse2 fuse3 mount ca-certificates"}]}
EOF
config_name="$(sha256sum "$work/config.json" | cut -d' ' -f1).json"
mv "$work/config.json" "$work/$config_name"
printf '[{"Config":"%s","RepoTags":["wcache-base:%s"],"Layers":["layer.tar"]}]\n' "$config_name" "$SUITE" > "$work/manifest.json"

mkdir -p "$(dirname "$OUT")"
tar -C "$work" -cf "$OUT.tmp" manifest.json "$config_name" layer.tar
mv "$OUT.tmp" "$OUT"
echo "build-base-image: wrote $OUT ($(du -h "$OUT" | cut -f1))"
