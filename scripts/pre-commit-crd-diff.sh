#!/usr/bin/env bash
# pre-commit hook `opm-crd-diff` (.pre-commit-hooks.yaml): for every chart touched by the
# staged files, compare its CRDs with the last commit's
# (`kubectl-opm crd diff git:HEAD:<chart> <chart>`) and fail on breaking changes.
#
#   scripts/pre-commit-crd-diff.sh [--crd-diff-flag=value …] FILE…
#
# Arguments starting with `-` are passed to `crd diff` (write flags with `=`, e.g.
# `--fail-on=warning`); the rest are the changed files. Each file is mapped to the chart
# holding it (the nearest parent directory with a Chart.yaml); each chart is compared once.
# Charts that do not exist at HEAD (new charts) and repositories without commits are
# skipped. Runs $OPM_BIN when set, else kubectl-opm from PATH.
set -uo pipefail

bin="${OPM_BIN:-kubectl-opm}"
flags=()
charts=()

chart_of() {
  local dir
  dir="$(dirname "$1")"
  while :; do
    if [ -f "$dir/Chart.yaml" ]; then
      echo "${dir#./}"
      return 0
    fi
    if [ "$dir" = . ] || [ "$dir" = / ]; then
      return 1
    fi
    dir="$(dirname "$dir")"
  done
}

for arg in "$@"; do
  case "$arg" in
    -*) flags+=("$arg") ;;
    *)
      chart="$(chart_of "$arg")" || continue
      case " ${charts[*]-} " in
        *" $chart "*) ;;
        *) charts+=("$chart") ;;
      esac
      ;;
  esac
done

if ! git rev-parse --verify --quiet HEAD >/dev/null; then
  echo "opm-crd-diff: no commit yet, nothing to compare against" >&2
  exit 0
fi

status=0
for chart in "${charts[@]+"${charts[@]}"}"; do
  if ! git cat-file -e "HEAD:./$chart/Chart.yaml" 2>/dev/null; then
    echo "opm-crd-diff: $chart is new (not in HEAD), nothing to compare against" >&2
    continue
  fi
  "$bin" crd diff "git:HEAD:$chart" "$chart" "${flags[@]+"${flags[@]}"}"
  code=$?
  if [ "$code" -gt "$status" ]; then
    status="$code"
  fi
done
exit "$status"
