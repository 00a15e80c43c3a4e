#!/usr/bin/env bash
# Run step of the GitHub Action (action.yml): `kubectl-opm lint` or `kubectl-opm crd diff`
# on the given charts, once with `-o sarif` into a file (for code scanning) and once with
# `-o github`, whose `::error file=…` lines become annotations on the pull request.
#
# Environment (set by action.yml from its inputs; the tests set them by hand):
#   OPM_BIN         kubectl-opm to run (default: kubectl-opm on PATH)
#   OPM_COMMAND     lint | crd-diff
#   OPM_CHARTS      chart directories, separated by spaces or newlines
#   OPM_VALUES      values files for every chart (lint: --values; crd-diff: -f)
#   OPM_FAIL_ON     error | warning | info (empty: the command's default / .opm.yaml)
#   OPM_ARGS        extra arguments, split on whitespace
#   OPM_BASE_REF    crd-diff: git ref to compare against (default: the pull request's base
#                   branch, origin/$GITHUB_BASE_REF, else HEAD^)
#   OPM_SARIF_FILE  where to write SARIF (default: $RUNNER_TEMP/kubectl-opm.sarif)
# Exit status: kubectl-opm's (0 ok, 1 findings at --fail-on or breaking CRD changes,
# 2 bad input, 3 environment). Writes `sarif=` to $GITHUB_OUTPUT.
set -uo pipefail

say() { echo "kubectl-opm action: $*" >&2; }

bin="${OPM_BIN:-kubectl-opm}"
command="${OPM_COMMAND:-lint}"
sarif="${OPM_SARIF_FILE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/kubectl-opm.sarif}"
# The inputs are whitespace-separated lists (spaces or newlines). Chart patterns expand as
# globs (`charts/*`); values files and extra arguments do not.
# shellcheck disable=SC2206
charts=(${OPM_CHARTS:-})
set -f
# shellcheck disable=SC2206
values=(${OPM_VALUES:-})
# shellcheck disable=SC2206
extra=(${OPM_ARGS:-})
set +f
if [ "${#charts[@]}" -eq 0 ]; then
  say "no charts given (input 'charts')"
  exit 2
fi
common=()
if [ -n "${OPM_FAIL_ON:-}" ]; then
  common+=(--fail-on "$OPM_FAIL_ON")
fi
mkdir -p "$(dirname "$sarif")"

output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "$1" >> "$GITHUB_OUTPUT"
  fi
}

# The worst of two exit codes: environment (3) > input (2) > findings (1) > ok (0).
worst() {
  if [ "$1" -gt "$2" ]; then echo "$1"; else echo "$2"; fi
}

status=0
case "$command" in
  lint)
    args=("${charts[@]}")
    for v in ${values[@]+"${values[@]}"}; do args+=(--values "$v"); done
    args+=(${common[@]+"${common[@]}"} ${extra[@]+"${extra[@]}"})
    "$bin" lint "${args[@]}" -o sarif > "$sarif"
    code=$?
    if [ "$code" -ge 2 ]; then
      say "kubectl-opm lint failed (exit $code)"
      exit "$code"
    fi
    "$bin" lint "${args[@]}" -o github
    status=$?
    ;;
  crd-diff)
    base="${OPM_BASE_REF:-}"
    if [ -z "$base" ]; then
      if [ -n "${GITHUB_BASE_REF:-}" ]; then base="origin/$GITHUB_BASE_REF"; else base="HEAD^"; fi
    fi
    parts="$(mktemp -d)"
    trap 'rm -rf "$parts"' EXIT
    n=0
    for chart in "${charts[@]}"; do
      chart="${chart%/}"
      if ! git cat-file -e "$base:./$chart/Chart.yaml" 2>/dev/null; then
        say "$chart has no Chart.yaml at $base (a new chart?): nothing to compare"
        continue
      fi
      args=("git:$base:$chart" "$chart")
      for v in ${values[@]+"${values[@]}"}; do args+=(-f "$v"); done
      args+=(${common[@]+"${common[@]}"} ${extra[@]+"${extra[@]}"})
      n=$((n + 1))
      "$bin" crd diff "${args[@]}" -o sarif > "$parts/$n.sarif"
      code=$?
      if [ "$code" -ge 2 ]; then
        say "kubectl-opm crd diff $chart failed (exit $code)"
        exit "$code"
      fi
      "$bin" crd diff "${args[@]}" -o github
      status="$(worst "$status" $?)"
    done
    # One SARIF run for all charts: code scanning rejects several runs of one tool in one
    # upload category.
    python3 - "$sarif" "$parts"/*.sarif <<'PY'
import json, sys
out, parts = sys.argv[1], [p for p in sys.argv[2:] if not p.endswith("*.sarif")]
merged = None
for path in parts:
    with open(path) as f:
        doc = json.load(f)
    if merged is None:
        merged = doc
        continue
    run = merged["runs"][0]
    rules = run["tool"]["driver"].setdefault("rules", [])
    index = {r["id"]: i for i, r in enumerate(rules)}
    for other in doc["runs"]:
        other_rules = other["tool"]["driver"].get("rules", [])
        for rule in other_rules:
            if rule["id"] not in index:
                index[rule["id"]] = len(rules)
                rules.append(rule)
        for result in other.get("results", []):
            # ruleIndex points into the rule list of the run it came from.
            if "ruleId" in result and "ruleIndex" in result:
                result["ruleIndex"] = index[result["ruleId"]]
            run.setdefault("results", []).append(result)
if merged is None:
    merged = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
              "runs": [{"tool": {"driver": {"name": "kubectl-opm", "rules": []}}, "results": []}]}
with open(out, "w") as f:
    json.dump(merged, f, indent=2)
    f.write("\n")
PY
    ;;
  *)
    say "unknown command '$command' (expected lint or crd-diff)"
    exit 2
    ;;
esac
output "sarif=$sarif"
exit "$status"
