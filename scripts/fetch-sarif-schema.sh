#!/usr/bin/env bash
# Fetch the official SARIF 2.1.0 JSON schema (OASIS final, "2.1.0-rtm.5") that the SARIF
# report test validates against. It comes from the npm package @microsoft/jest-sarif (MIT),
# which ships the schema file; we keep a copy under testdata/schemas/ so tests run offline.
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/schemas/sarif-2.1.0.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null)
tar -xzf "$tmp"/microsoft-jest-sarif-1.0.0-beta.0.tgz -C "$tmp" package/lib/schemas/sarif-2.1.0-rtm.5.json
cp "$tmp"/package/lib/schemas/sarif-2.1.0-rtm.5.json "$out"
echo "wrote $out"
