#!/usr/bin/env bash
# Regenerate src/schema/data/k8s-schemas.bin, the embedded Kubernetes JSON Schemas.
#
# Source: the `kubernetes-validate` wheel on PyPI (Apache-2.0), which ships the strict JSON
# Schemas (additionalProperties: false) generated from the Kubernetes OpenAPI documents for
# every minor version. We take every minor from MIN_MINOR up to the newest in the wheel,
# strip descriptions, share identical definitions across versions and compress each
# definition on its own so the binary inflates only what a validation touches.
#
# Usage: scripts/gen-k8s-schemas.sh [WHEEL_VERSION]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
wheel_version="${1:-1.37.0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m pip download --quiet --no-deps "kubernetes-validate==${wheel_version}" -d "$work"
python3 - "$work"/kubernetes_validate-*.whl <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[1] + ".d")
PY
python3 "$here/gen_k8s_schemas.py" \
  --schemas "$(echo "$work"/kubernetes_validate-*.whl.d/kubernetes_validate/kubernetes-json-schema)" \
  --source "kubernetes-validate ${wheel_version} (PyPI)" \
  --out "$root/src/schema/data/k8s-schemas.bin"
