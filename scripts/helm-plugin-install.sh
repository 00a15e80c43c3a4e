#!/usr/bin/env bash
# Install/update hook of the Helm plugin (plugin.yaml): puts the kubectl-opm binary at
# $HELM_PLUGIN_DIR/bin/kubectl-opm. In order of preference:
#   1. OPM_PLUGIN_BINARY=/path/to/kubectl-opm: link that binary (for people who already
#      have it, and for tests);
#   2. OPM_PLUGIN_BUILD=source: build it from the plugin directory's source with
#      `cargo build --release --locked`;
#   3. download the release archive for this OS/arch and the plugin's version, verified
#      against the release's checksums.txt (OPM_RELEASE_BASE_URL replaces the GitHub
#      releases URL: a mirror, or a file:// directory with v<version>/ inside);
#   4. when no release can be downloaded (a commit between releases, an offline machine, an
#      architecture without a release build) and the plugin directory holds the source and
#      cargo is on PATH: build from source as in 2.
# A downloaded archive that fails verification is never installed, and never replaced by a
# source build either: the hook stops with an error.
set -euo pipefail

plugin_dir="${HELM_PLUGIN_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
bin_dir="$plugin_dir/bin"
target="$bin_dir/kubectl-opm"
mkdir -p "$bin_dir"

# shellcheck source=scripts/release-lib.sh
. "$plugin_dir/scripts/release-lib.sh"

if [ -n "${OPM_PLUGIN_BINARY:-}" ]; then
  if [ ! -x "$OPM_PLUGIN_BINARY" ]; then
    opm_say "OPM_PLUGIN_BINARY=$OPM_PLUGIN_BINARY is not an executable file"
    exit 1
  fi
  ln -sf "$OPM_PLUGIN_BINARY" "$target"
  opm_say "linked $target -> $OPM_PLUGIN_BINARY"
  exit 0
fi

build_from_source() {
  if [ ! -f "$plugin_dir/Cargo.toml" ] || ! command -v cargo >/dev/null 2>&1; then
    opm_say "cannot build from source: needs the source (Cargo.toml) in $plugin_dir and cargo on PATH"
    exit 1
  fi
  opm_say "building kubectl-opm from source (cargo build --release --locked)"
  local target_dir="${CARGO_TARGET_DIR:-$plugin_dir/target}"
  cargo build --release --locked --manifest-path "$plugin_dir/Cargo.toml" --bin kubectl-opm
  cp "$target_dir/release/kubectl-opm" "$target.tmp"
  mv "$target.tmp" "$target"
  opm_say "installed $target (built from source)"
  exit 0
}

if [ "${OPM_PLUGIN_BUILD:-}" = source ]; then
  build_from_source
fi

version="$(sed -n '/^version:/{s/^version:[[:space:]]*//p;q;}' "$plugin_dir/plugin.yaml" | tr -d "\"' ")"
if os="$(opm_detect_os)" && arch="$(opm_detect_arch)"; then
  unpacked="$(mktemp -d)"
  trap 'rm -rf "$unpacked"' EXIT
  status=0
  bin="$(opm_fetch_release "$version" "$os" "$arch" "$unpacked")" || status=$?
  if [ "$status" -eq 0 ]; then
    install -m 0755 "$bin" "$target.tmp"
    mv "$target.tmp" "$target"
    opm_say "installed $target ($version, $os/$arch, sha256 verified)"
    exit 0
  fi
  if [ "$status" -ne 1 ]; then
    exit "$status"
  fi
fi
opm_say "no release archive of v$version for this machine; trying a source build"
build_from_source
