#!/usr/bin/env bash
# Release packaging (run by .github/workflows/release.yml, and by the tests with a fake
# binary):
#
#   scripts/release-package.sh archive VERSION OS ARCH BINARY OUTDIR
#       OUTDIR/kubectl-opm_<version>_<os>_<arch>.tar.gz (.zip for windows) holding the
#       binary (kubectl-opm / kubectl-opm.exe), LICENSE and README.md at its root
#   scripts/release-package.sh checksums OUTDIR
#       OUTDIR/checksums.txt: `sha256  name` for every archive in OUTDIR
#
# Names come from scripts/release-lib.sh, the one convention the install paths share.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/release-lib.sh
. "$root/scripts/release-lib.sh"

usage() {
  echo "usage: $0 archive VERSION OS ARCH BINARY OUTDIR | checksums OUTDIR" >&2
  exit 2
}

case "${1:-}" in
  archive)
    [ "$#" -eq 6 ] || usage
    version="${2#v}" os="$3" arch="$4" binary="$5" outdir="$6"
    case " $OPM_RELEASE_PLATFORMS " in
      *" $os/$arch "*) ;;
      *) echo "unknown platform $os/$arch (expected one of: $OPM_RELEASE_PLATFORMS)" >&2; exit 2 ;;
    esac
    [ -f "$binary" ] || { echo "no binary at $binary" >&2; exit 2; }
    mkdir -p "$outdir"
    outdir="$(cd "$outdir" && pwd)"
    name="$(opm_archive_name "$version" "$os" "$arch")"
    exe="$(opm_binary_name "$os")"
    stage="$(mktemp -d)"
    trap 'rm -rf "$stage"' EXIT
    cp "$binary" "$stage/$exe"
    chmod 0755 "$stage/$exe"
    cp "$root/LICENSE" "$root/README.md" "$stage/"
    rm -f "$outdir/$name"
    case "$name" in
      *.zip) (cd "$stage" && zip -q -X "$outdir/$name" "$exe" LICENSE README.md) ;;
      *) tar -czf "$outdir/$name" -C "$stage" "$exe" LICENSE README.md ;;
    esac
    echo "$outdir/$name"
    ;;
  checksums)
    [ "$#" -eq 2 ] || usage
    outdir="$2"
    (
      cd "$outdir"
      : > checksums.txt.tmp
      for f in kubectl-opm_*.tar.gz kubectl-opm_*.zip; do
        [ -f "$f" ] || continue
        printf '%s  %s\n' "$(opm_sha256 "$f")" "$f" >> checksums.txt.tmp
      done
      mv checksums.txt.tmp checksums.txt
    )
    echo "$outdir/checksums.txt"
    ;;
  *) usage ;;
esac
