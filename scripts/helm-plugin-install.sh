#!/usr/bin/env bash
# Install/update hook of the Helm plugin (plugin.yaml): puts the kubectl-opm binary at
# $HELM_PLUGIN_DIR/bin/kubectl-opm. In order of preference:
#   1. OPM_PLUGIN_BINARY=/path/to/kubectl-opm  link that binary (used by tests, and by people
#      who already have the binary);
#   2. the plugin dir holds the source (Cargo.toml) and cargo is on PATH  build it with
#      `cargo build --release --locked`;
#   3. download the release archive for this OS/arch and version from GitHub releases
#      (override the base URL with OPM_RELEASE_BASE_URL).
set -euo pipefail

plugin_dir="${HELM_PLUGIN_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
bin_dir="$plugin_dir/bin"
target="$bin_dir/kubectl-opm"
mkdir -p "$bin_dir"

say() { echo "helm-opm: $*" >&2; }

if [ -n "${OPM_PLUGIN_BINARY:-}" ]; then
  if [ ! -x "$OPM_PLUGIN_BINARY" ]; then
    say "OPM_PLUGIN_BINARY=$OPM_PLUGIN_BINARY is not an executable file"
    exit 1
  fi
  ln -sf "$OPM_PLUGIN_BINARY" "$target"
  say "linked $target -> $OPM_PLUGIN_BINARY"
  exit 0
fi

if [ -f "$plugin_dir/Cargo.toml" ] && command -v cargo >/dev/null 2>&1; then
  say "building kubectl-opm from source (cargo build --release --locked)"
  target_dir="${CARGO_TARGET_DIR:-$plugin_dir/target}"
  cargo build --release --locked --manifest-path "$plugin_dir/Cargo.toml" --bin kubectl-opm
  cp "$target_dir/release/kubectl-opm" "$target.tmp"
  mv "$target.tmp" "$target"
  say "installed $target"
  exit 0
fi

version="$(sed -n 's/^version:[[:space:]]*//p' "$plugin_dir/plugin.yaml" | head -1 | tr -d '"'"'"' ')"
case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) say "unsupported OS $(uname -s); build from source with cargo instead"; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) say "no release binary for $(uname -m); install a Rust toolchain and reinstall to build from source"; exit 1 ;;
esac

base="${OPM_RELEASE_BASE_URL:-https://github.com/kubectl-opm/kubectl-opm/releases/download}"
archive="kubectl-opm_${version}_${os}_${arch}.tar.gz"
url="$base/v$version/$archive"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

say "downloading $url"
if command -v curl >/dev/null 2>&1; then
  curl -fsSL -o "$tmp/$archive" "$url"
elif command -v wget >/dev/null 2>&1; then
  wget -q -O "$tmp/$archive" "$url"
else
  say "neither curl nor wget found; cannot download $url"
  exit 1
fi
tar -xzf "$tmp/$archive" -C "$tmp"
bin="$(find "$tmp" -type f -name kubectl-opm | head -1)"
if [ -z "$bin" ]; then
  say "$archive does not contain kubectl-opm"
  exit 1
fi
install -m 0755 "$bin" "$target"
say "installed $target ($version, $os/$arch)"
