#!/usr/bin/env bash
# Builds the balrog container image with buildah from a binary made by
# `make build`. Usage: build-image.sh BINARY IMAGE VERSION COMMIT BUILD
set -euo pipefail
bin=$1 image=$2 version=$3 commit=$4 build=$5
command -v buildah >/dev/null || { echo "buildah is not installed (apt-get install buildah)" >&2; exit 1; }
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$bin" "$ctx/balrog"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
printf '{"source": "https://github.com/balrog-go/balrog", "version": "%s", "commit": "%s", "build": "%s"}\n' \
  "$version" "$commit" "$build" > "$ctx/version.json"
mkdir -p "$ctx/data"
buildah --storage-driver vfs bud --isolation chroot -f "$(dirname "$0")/../Containerfile" -t "$image" "$ctx"
echo "built $image"
