#!/usr/bin/env bash
# Test .pre-commit-hooks.yaml with the real pre-commit tool (from PyPI): a clean chart passes
# the `opm-lint` hook, a broken one fails it; `opm-crd-diff` passes unchanged and new charts
# and fails a breaking CRD change against HEAD.
#
# pre-commit is installed into a venv under .tools/ (once). The hook runs the kubectl-opm on
# PATH: $OPM_BIN if set, else the debug build (built here if missing).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

venv="$root/.tools/pre-commit-venv"
if [ ! -x "$venv/bin/pre-commit" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check pre-commit
fi

bin="${OPM_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --quiet --bin kubectl-opm
  bin="$root/target/debug/kubectl-opm"
fi
bindir="$(mktemp -d)"
scratch="$(mktemp -d)"
trap 'rm -rf "$bindir" "$scratch"' EXIT
ln -s "$bin" "$bindir/kubectl-opm"
export PATH="$bindir:$PATH"
# Keep pre-commit's cache out of the user's home.
export PRE_COMMIT_HOME="$scratch/.cache"

# A scratch repository with a small chart (the lint framework fixture).
repo="$scratch/repo"
mkdir -p "$repo"
cp -R testdata/lint-framework/op "$repo/op"
printf 'name: not a chart, not a manifest\n' > "$repo/notes.yaml"
cd "$repo"
git init --quiet
git config user.email test@example.invalid
git config user.name test

hook() {
  "$venv/bin/pre-commit" try-repo "$root" opm-lint --all-files --color never
}

# Clean: two replicas leave room for the PodDisruptionBudget; only warnings remain.
sed -i.bak 's/^replicas: 1$/replicas: 2/' op/values.yaml && rm op/values.yaml.bak
git add -A
if ! out="$(hook 2>&1)"; then
  echo "$out"
  echo "FAIL: opm-lint failed on a clean chart" >&2
  exit 1
fi
echo "ok: clean chart passes"

# Broken: one replica with minAvailable 1 blocks every eviction (an error).
sed -i.bak 's/^replicas: 2$/replicas: 1/' op/values.yaml && rm op/values.yaml.bak
git add -A
if out="$(hook 2>&1)"; then
  echo "$out"
  echo "FAIL: opm-lint passed a broken chart" >&2
  exit 1
fi
if ! grep -q "pdb-blocks-eviction" <<<"$out"; then
  echo "$out"
  echo "FAIL: opm-lint failed without reporting pdb-blocks-eviction" >&2
  exit 1
fi
echo "ok: broken chart fails with pdb-blocks-eviction"

# opm-crd-diff: the CRD chart fixture at HEAD, then its next version with breaking changes.
crd_hook() {
  "$venv/bin/pre-commit" try-repo "$root" opm-crd-diff --color never "$@"
}
git commit --quiet -m "operator chart"
cp -R "$root/testdata/crd-diff/_charts/widgets-1" widgets
git add -A
# --verbose: pre-commit shows a passing hook's output only then.
if ! out="$(crd_hook --all-files --verbose 2>&1)"; then
  echo "$out"
  echo "FAIL: opm-crd-diff failed on a chart that is not in HEAD yet" >&2
  exit 1
fi
if ! grep -q "widgets is new (not in HEAD)" <<<"$out"; then
  echo "$out"
  echo "FAIL: opm-crd-diff did not say it skipped the new chart" >&2
  exit 1
fi
git commit --quiet -m "widgets chart"
if ! out="$(crd_hook --all-files 2>&1)"; then
  echo "$out"
  echo "FAIL: opm-crd-diff failed on unchanged CRDs" >&2
  exit 1
fi
echo "ok: unchanged and new CRD charts pass opm-crd-diff"
rm -rf widgets
cp -R "$root/testdata/crd-diff/_charts/widgets-2" widgets
git add -A
if out="$(crd_hook 2>&1)"; then
  echo "$out"
  echo "FAIL: opm-crd-diff passed a breaking CRD change" >&2
  exit 1
fi
if ! grep -q "crd-field-removed" <<<"$out"; then
  echo "$out"
  echo "FAIL: opm-crd-diff failed without reporting crd-field-removed" >&2
  exit 1
fi
echo "ok: a breaking CRD change fails opm-crd-diff with crd-field-removed"
