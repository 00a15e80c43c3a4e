#!/usr/bin/env bash
# Install step of the GitHub Action (action.yml): downloads the kubectl-opm release archive
# for the runner's OS/arch, verifies it against the release's checksums.txt, unpacks it
# under $RUNNER_TEMP and puts it on PATH for the following steps ($GITHUB_PATH).
#
# Environment (set by action.yml from its inputs; the tests set them by hand):
#   OPM_VERSION           release to install (`0.2.0` or `v0.2.0`); empty: the version of
#                         the action itself (plugin.yaml next to this script)
#   OPM_RELEASE_BASE_URL  download location instead of GitHub releases
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_PATH, GITHUB_OUTPUT  (GitHub's)
# Prints the binary's path; writes `path=` and `version=` to $GITHUB_OUTPUT when set.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/release-lib.sh
. "$root/scripts/release-lib.sh"

version="${OPM_VERSION:-}"
if [ -z "$version" ]; then
  version="$(sed -n '/^version:/{s/^version:[[:space:]]*//p;q;}' "$root/plugin.yaml" | tr -d "\"' ")"
fi
version="${version#v}"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
  opm_say "version must be a release version such as 0.2.0, not '$version'"
  exit 2
fi
os="$(opm_detect_os "${RUNNER_OS:-}")" || exit 3
arch="$(opm_detect_arch "${RUNNER_ARCH:-}")" || exit 3

dest="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/kubectl-opm-$version"
status=0
bin="$(opm_fetch_release "$version" "$os" "$arch" "$dest")" || status=$?
if [ "$status" -ne 0 ]; then
  # 1: the release is not there (network, wrong version); 3: it failed verification.
  exit "$status"
fi
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$dest" >> "$GITHUB_PATH"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "path=$bin"
    echo "version=$version"
  } >> "$GITHUB_OUTPUT"
fi
opm_say "installed kubectl-opm $version ($os/$arch, sha256 verified) at $bin"
echo "$bin"
