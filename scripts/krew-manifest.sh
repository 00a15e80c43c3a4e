#!/usr/bin/env bash
# Fill the krew manifest template (plugins/opm.yaml) for one release:
#
#   scripts/krew-manifest.sh VERSION CHECKSUMS_TXT [BASE_URL] > opm.yaml
#
# {{version}} becomes VERSION (without `v`), {{archive OS ARCH}} the release archive's name
# (scripts/release-lib.sh, the convention every install path shares) and {{sha256 OS ARCH}}
# that archive's line in checksums.txt. BASE_URL (default: GitHub releases) replaces the
# download URL prefix. Fails when checksums.txt lacks a platform, so a manifest with a
# missing or placeholder checksum is never produced.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/release-lib.sh
. "$root/scripts/release-lib.sh"

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
  echo "usage: $0 VERSION CHECKSUMS_TXT [BASE_URL]" >&2
  exit 2
fi
version="${1#v}"
sums="$2"
base="${3:-$OPM_DEFAULT_RELEASE_BASE_URL}"
if [ ! -f "$sums" ]; then
  echo "$sums: no such file" >&2
  exit 2
fi

# The template's header comment is about the template; the filled manifest starts clean.
text="$(grep -v '^#' "$root/plugins/opm.yaml")"
for platform in $OPM_RELEASE_PLATFORMS; do
  os="${platform%/*}" arch="${platform#*/}"
  name="$(opm_archive_name "$version" "$os" "$arch")"
  sum="$(awk -v name="$name" '{ n = $2; sub(/^\*/, "", n); if (n == name) { print $1; exit } }' "$sums")"
  if ! [[ "$sum" =~ ^[0-9a-f]{64}$ ]]; then
    echo "$sums has no sha256 for $name" >&2
    exit 1
  fi
  text="${text//"{{archive $os $arch}}"/$name}"
  text="${text//"{{sha256 $os $arch}}"/$sum}"
done
text="${text//"{{version}}"/$version}"
text="${text//"$OPM_DEFAULT_RELEASE_BASE_URL"/${base%/}}"
if [[ "$text" == *"{{"* ]]; then
  echo "plugins/opm.yaml has a placeholder this script does not know:" >&2
  grep -n '{{' <<<"$text" >&2
  exit 1
fi
printf '%s\n' "$text"
