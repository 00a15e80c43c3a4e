#!/usr/bin/env bash
# The project's test command (README and CI call it). Installs what the tests need, then runs
# the formatter check, clippy and the whole test suite.
#
#   scripts/test.sh                 everything
#   scripts/test.sh corpus_parity   extra arguments go to `cargo nextest run` / `cargo test`
#
# Environment:
#   OPM_CORPUS  chart corpus (default: ../shared/corpus next to the repo, when it exists)
#   CI=true     missing tools or corpus fail the tests instead of skipping them
#   OPM_BIN     binary under test instead of the built kubectl-opm (see docs/testing.md)
# Needs only a Rust toolchain, node/npm and python3.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

step() { printf '\n==> %s\n' "$*" >&2; }

# A CI run builds once from a clean clone: incremental caches (gigabytes for the test
# binaries) would only fill its disk.
if [ "${CI:-}" = "true" ] && [ -z "${CARGO_INCREMENTAL:-}" ]; then
  export CARGO_INCREMENTAL=0
fi

step "test tools (.tools/)"
scripts/install-test-tools.sh

# rustfmt and clippy are rustup components; a minimal toolchain may lack them.
if command -v rustup >/dev/null 2>&1; then
  # Captured rather than piped into `grep -q`: grep exits at the first match, and the writer's
  # SIGPIPE would make the pipeline fail under pipefail.
  installed="$(rustup component list --installed 2>/dev/null || true)"
  for component in rustfmt clippy; do
    if ! grep -q "^$component" <<<"$installed"; then
      step "rustup component add $component"
      rustup component add "$component"
    fi
  done
fi

if [ -z "${OPM_CORPUS:-}" ] && [ -f "$root/../shared/corpus/MANIFEST.md" ]; then
  OPM_CORPUS="$(cd "$root/../shared/corpus" && pwd)"
  export OPM_CORPUS
fi
echo "OPM_CORPUS=${OPM_CORPUS:-<unset: corpus tests skip, or fail with CI=true>}" >&2

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings

# Run every test stage even when an earlier one fails, so one run reports everything.
status=0
if [ "$#" -eq 0 ]; then
  step "pre-commit hook (scripts/test-precommit.sh)"
  scripts/test-precommit.sh || status=$?
fi
if cargo nextest --version >/dev/null 2>&1; then
  # nextest does not run doctests; run them first so the test runner's summary is the
  # last thing this script prints.
  if [ "$#" -eq 0 ]; then
    step "cargo test --doc"
    cargo test --locked --doc || status=$?
  fi
  step "cargo nextest run"
  cargo nextest run --locked --no-fail-fast "$@" || status=$?
else
  step "cargo test"
  cargo test --locked --no-fail-fast "$@" || status=$?
fi
if [ "$status" -ne 0 ]; then
  echo "tests failed (exit $status)" >&2
fi
exit "$status"
