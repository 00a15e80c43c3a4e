# shellcheck shell=bash
# The one naming convention of kubectl-opm release assets, and the verified download of one.
# Sourced by the Helm plugin install hook, the GitHub Action's install step, the release
# packaging script and the krew manifest script, so every producer and consumer of release
# archives agrees on their names (tests/shipping.rs asserts it).
#
#   https://github.com/kubectl-opm/kubectl-opm/releases/download/v<version>/
#     kubectl-opm_<version>_<os>_<arch>.tar.gz   os: linux|darwin, arch: amd64|arm64
#     kubectl-opm_<version>_windows_<arch>.zip
#     checksums.txt                               `sha256  name` lines (sha256sum format)
#
# Each archive holds kubectl-opm (kubectl-opm.exe on Windows), LICENSE and README.md at
# its root.

# Where releases are downloaded from; OPM_RELEASE_BASE_URL replaces it (an https mirror, or
# a file:// URL / plain directory holding v<version>/ subdirectories, as the tests use).
OPM_DEFAULT_RELEASE_BASE_URL="https://github.com/kubectl-opm/kubectl-opm/releases/download"

# The platforms release archives are built for, as os/arch pairs.
# shellcheck disable=SC2034  # used by the scripts that source this file
OPM_RELEASE_PLATFORMS="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"

opm_say() { echo "kubectl-opm install: $*" >&2; }

# opm_archive_name VERSION OS ARCH: the release archive's file name. VERSION has no `v`.
opm_archive_name() {
  local version="${1#v}" os="$2" arch="$3" ext="tar.gz"
  if [ "$os" = windows ]; then ext="zip"; fi
  printf 'kubectl-opm_%s_%s_%s.%s\n' "$version" "$os" "$arch" "$ext"
}

# opm_binary_name OS: the executable's name inside the archive.
opm_binary_name() {
  if [ "$1" = windows ]; then echo kubectl-opm.exe; else echo kubectl-opm; fi
}

# opm_release_url BASE VERSION FILE: where FILE of release VERSION lives.
opm_release_url() {
  printf '%s/v%s/%s\n' "${1%/}" "${2#v}" "$3"
}

# opm_detect_os / opm_detect_arch: this machine in release terms (uname, or the GitHub
# runner's RUNNER_OS/RUNNER_ARCH names when given as $1).
opm_detect_os() {
  case "${1:-$(uname -s)}" in
    Linux | linux) echo linux ;;
    Darwin | darwin | macOS) echo darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows | windows) echo windows ;;
    *) opm_say "no release build for OS ${1:-$(uname -s)}; build from source (cargo install --locked kubectl-opm)"; return 1 ;;
  esac
}
opm_detect_arch() {
  case "${1:-$(uname -m)}" in
    x86_64 | amd64 | X64) echo amd64 ;;
    aarch64 | arm64 | ARM64) echo arm64 ;;
    *) opm_say "no release build for architecture ${1:-$(uname -m)}; build from source (cargo install --locked kubectl-opm)"; return 1 ;;
  esac
}

# opm_sha256 FILE: the hex SHA-256 of FILE.
opm_sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    opm_say "neither sha256sum nor shasum found; cannot verify downloads"
    return 1
  fi
}

# opm_download URL DEST: https (curl or wget), file:// or a plain local path.
opm_download() {
  local url="$1" dest="$2"
  case "$url" in
    file://*) cp "${url#file://}" "$dest" ;;
    /*) cp "$url" "$dest" ;;
    *)
      if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 3 -o "$dest" "$url"
      elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$dest" "$url"
      else
        opm_say "neither curl nor wget found; cannot download $url"
        return 1
      fi
      ;;
  esac
}

# opm_fetch_release VERSION OS ARCH DEST_DIR: download the archive and checksums.txt, refuse
# the archive unless its SHA-256 matches, unpack it into DEST_DIR and print the path of the
# binary. OPM_RELEASE_BASE_URL overrides the download location. Returns 1 when the release
# cannot be downloaded (callers may fall back to building from source) and 3 when it was
# downloaded but failed verification (callers must stop: never fall back past a bad file).
opm_fetch_release() {
  local version="${1#v}" os="$2" arch="$3" dest="$4"
  local base="${OPM_RELEASE_BASE_URL:-$OPM_DEFAULT_RELEASE_BASE_URL}"
  local archive work expected actual bin
  archive="$(opm_archive_name "$version" "$os" "$arch")"
  work="$(mktemp -d)"
  opm_say "downloading $(opm_release_url "$base" "$version" "$archive")"
  if ! opm_download "$(opm_release_url "$base" "$version" "$archive")" "$work/$archive"; then
    opm_say "cannot download $archive of release v$version"
    rm -rf "$work"
    return 1
  fi
  if ! opm_download "$(opm_release_url "$base" "$version" checksums.txt)" "$work/checksums.txt"; then
    opm_say "cannot download checksums.txt of release v$version; refusing an unverified binary"
    rm -rf "$work"
    return 1
  fi
  # sha256sum format: `<hex>  <name>` (a `*` before the name marks binary mode).
  expected="$(awk -v name="$archive" '{ n = $2; sub(/^\*/, "", n); if (n == name) { print $1; exit } }' "$work/checksums.txt")"
  if [ -z "$expected" ]; then
    opm_say "checksums.txt of release v$version has no entry for $archive; refusing an unverified binary"
    rm -rf "$work"
    return 3
  fi
  actual="$(opm_sha256 "$work/$archive")" || { rm -rf "$work"; return 1; }
  if [ "$actual" != "$expected" ]; then
    opm_say "checksum mismatch for $archive: expected $expected, got $actual; refusing to install it"
    rm -rf "$work"
    return 3
  fi
  mkdir -p "$dest"
  case "$archive" in
    *.zip)
      if command -v unzip >/dev/null 2>&1; then
        unzip -q -o "$work/$archive" -d "$dest"
      else
        # Windows runners have PowerShell but not always unzip.
        powershell -NoProfile -Command "Expand-Archive -Force -Path '$work/$archive' -DestinationPath '$dest'"
      fi
      ;;
    *) tar -xzf "$work/$archive" -C "$dest" ;;
  esac
  rm -rf "$work"
  bin="$dest/$(opm_binary_name "$os")"
  if [ ! -f "$bin" ]; then
    opm_say "$archive does not contain $(opm_binary_name "$os") at its root"
    return 3
  fi
  chmod +x "$bin"
  echo "$bin"
}
