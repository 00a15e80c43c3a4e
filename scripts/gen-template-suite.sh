#!/usr/bin/env bash
# Regenerates the template-suite expectations from the real Helm 4 binary. Never edit the
# files under testdata/template-suite/expected/ by hand: change a case, rerun this script and
# review the diff.
#
#   scripts/gen-template-suite.sh              all cases
#   scripts/gen-template-suite.sh strings/trim only the named cases (family/name)
#
# For each case testdata/template-suite/cases/<family>/<name>.yaml it builds a throwaway chart
# (the skeleton testdata/template-suite/chart/ + the case as templates/case.yaml + the
# optional <name>.values.yaml as values.yaml), runs
#   helm4 template suite ./suite --namespace suite-ns --kube-version 1.33.0 [<name>.args]
# (from the directory holding the chart dir `suite/`; <name>.args has one argument a line)
# and stores stdout in expected/<family>/<name>.out, or, when helm fails, its exit code and
# stderr in expected/<family>/<name>.err. Each case is rendered twice; a case whose output
# differs between runs is rejected (random functions must be tested by shape only).
# tests/template_suite.rs builds the same chart and compares kubectl-opm's output.
set -euo pipefail
# Date functions format in the local zone; pin it so expectations do not depend on the machine.
export TZ=UTC

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
suite="$root/testdata/template-suite"
helm="${HELM4:-$root/.tools/helm4}"
if [ ! -x "$helm" ]; then
  echo "missing $helm: run scripts/install-test-tools.sh" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Prints the case ids (family/name) to process.
case_ids() {
  if [ "$#" -gt 0 ]; then
    printf '%s\n' "$@"
  else
    (cd "$suite/cases" && find . -name '*.yaml' ! -name '*.values.yaml' | sed 's|^\./||; s|\.yaml$||' | LC_ALL=C sort)
  fi
}

render() {
  local id="$1" chart="$2" out="$3" err="$4" args=()
  if [ -f "$suite/cases/$id.args" ]; then
    mapfile -t args < <(grep -v '^[[:space:]]*$' "$suite/cases/$id.args")
  fi
  # Run from the chart's parent with a relative chart path, so no temporary absolute path
  # can leak into messages; relative paths in .args (-f suite/files/x.yaml) resolve there.
  (cd "$(dirname "$chart")" && "$helm" template suite ./suite --namespace suite-ns \
    --kube-version 1.33.0 "${args[@]}" >"$out" 2>"$err")
}

count=0
failed=0
while IFS= read -r id; do
  src="$suite/cases/$id.yaml"
  if [ ! -f "$src" ]; then
    echo "no such case: $src" >&2
    exit 1
  fi
  chart="$work/$id/suite"
  rm -rf "$chart"
  mkdir -p "$chart"
  cp -R "$suite/chart/." "$chart/"
  cp "$src" "$chart/templates/case.yaml"
  if [ -f "$suite/cases/$id.values.yaml" ]; then
    cp "$suite/cases/$id.values.yaml" "$chart/values.yaml"
  fi

  expected="$suite/expected/$id"
  mkdir -p "$(dirname "$expected")"
  rm -f "$expected.out" "$expected.err"
  code=0
  render "$id" "$chart" "$work/out1" "$work/err1" || code=$?
  code2=0
  render "$id" "$chart" "$work/out2" "$work/err2" || code2=$?
  if [ "$code" != "$code2" ] || ! cmp -s "$work/out1" "$work/out2"; then
    echo "NONDETERMINISTIC: $id (test random functions by shape only)" >&2
    failed=$((failed + 1))
    continue
  fi
  if [ "$code" -eq 0 ]; then
    cp "$work/out1" "$expected.out"
  else
    { echo "exit-code: $code"; cat "$work/err1"; } >"$expected.err"
  fi
  count=$((count + 1))
done < <(case_ids "$@")

# Drop expectations whose case is gone (only on a full run).
if [ "$#" -eq 0 ]; then
  (cd "$suite/expected" && find . -type f \( -name '*.out' -o -name '*.err' \)) | while IFS= read -r f; do
    id="${f#./}"
    id="${id%.*}"
    if [ ! -f "$suite/cases/$id.yaml" ]; then
      echo "removing stale expectation $f" >&2
      rm -f "$suite/expected/$f"
    fi
  done
fi

echo "generated $count expectations with $("$helm" version --short)" >&2
if [ "$failed" -gt 0 ]; then
  echo "$failed case(s) rejected" >&2
  exit 1
fi
