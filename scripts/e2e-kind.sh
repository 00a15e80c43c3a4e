#!/usr/bin/env bash
# End-to-end check of the live-cluster commands against a real kind cluster: the scenarios
# of tests/live.rs (status, crd diff cluster:, --check-instances, diff upgrade,
# render --cluster, failure exit codes) with real Kubernetes and real helm.
#
# Needs docker, kind, kubectl and helm on PATH (or HELM_BIN / KUBECTL_BIN), and cargo.
# Not run in CI: CI machines have no docker. Usage:
#
#   scripts/e2e-kind.sh            # create a cluster, run, delete it
#   KEEP_CLUSTER=1 scripts/e2e-kind.sh   # leave the cluster for a look afterwards
#   KIND_CLUSTER=mine scripts/e2e-kind.sh  # use (or create) this cluster name
#
# Exit status 0 when every assertion held; the first failed assertion stops the run.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLUSTER="${KIND_CLUSTER:-opm-e2e}"
HELM="${HELM_BIN:-helm}"
KUBECTL="${KUBECTL_BIN:-kubectl}"
CONTEXT="kind-$CLUSTER"
NS=gizmo-e2e
DATA="$ROOT/testdata/live"

for tool in docker kind "$KUBECTL" "$HELM" cargo; do
  command -v "$tool" >/dev/null 2>&1 || { echo "e2e-kind: $tool is not installed" >&2; exit 3; }
done

WORK="$(mktemp -d)"
export KUBECONFIG="$WORK/kubeconfig"
created=0
cleanup() {
  if [[ "$created" == 1 && -z "${KEEP_CLUSTER:-}" ]]; then
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_code CODE CMD...: run CMD, keep its stdout in $OUT, check its exit status.
expect_code() {
  local want="$1"; shift
  set +e
  OUT="$("$@" 2>"$WORK/stderr")"
  local got=$?
  set -e
  ERR="$(cat "$WORK/stderr")"
  [[ "$got" == "$want" ]] || fail "$* exited $got, expected $want
stdout: $OUT
stderr: $ERR"
}
contains() { grep -qF -- "$2" <<<"$1" || fail "expected output to contain: $2
got:
$1"; }

step "build kubectl-opm"
(cd "$ROOT" && cargo build --quiet)
OPM="$ROOT/target/debug/kubectl-opm"

step "kind cluster $CLUSTER"
if grep -qx "$CLUSTER" <<<"$(kind get clusters 2>/dev/null || true)"; then
  kind export kubeconfig --name "$CLUSTER" --kubeconfig "$KUBECONFIG"
else
  kind create cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" --wait 120s
  created=1
fi
"$KUBECTL" --context "$CONTEXT" create namespace "$NS" --dry-run=client -o yaml | "$KUBECTL" --context "$CONTEXT" apply -f -
for ns in team-a team-b; do
  "$KUBECTL" --context "$CONTEXT" create namespace "$ns" --dry-run=client -o yaml | "$KUBECTL" --context "$CONTEXT" apply -f -
done

step "helm install gizmo 1.0.0 (CRD chart) and the reference chart"
"$HELM" --kube-context "$CONTEXT" upgrade --install gizmo "$DATA/gizmo-1" -n "$NS" --wait=false
"$KUBECTL" --context "$CONTEXT" wait --for condition=established crd/gizmos.example.com --timeout=60s
"$HELM" --kube-context "$CONTEXT" upgrade --install sample "$ROOT/charts/sample-operator" -n "$NS" \
  --set webhook.enabled=false --set serviceMonitor.enabled=false --set prometheusRule.enabled=false \
  --set certManager.enabled=false --wait=false || echo "(sample-operator needs CRDs this cluster lacks; continuing with gizmo)"

step "stored custom resources"
"$KUBECTL" --context "$CONTEXT" apply -f "$DATA/gizmos.yaml"
# Make v1alpha1 a stored version, as it is in clusters that ran the older release.
"$KUBECTL" --context "$CONTEXT" patch customresourcedefinition gizmos.example.com --subresource=status \
  --type=merge -p '{"status":{"storedVersions":["v1alpha1","v1"]}}'

step "status"
expect_code 0 "$OPM" status --kube-context "$CONTEXT" -n "$NS"
contains "$OUT" "gizmo"
contains "$OUT" "gizmo-1.0.0"
expect_code 0 "$OPM" status gizmo --kube-context "$CONTEXT" -n "$NS"
contains "$OUT" "RELEASE:   gizmo (namespace $NS)"
contains "$OUT" "gizmos.example.com: chart v1alpha1,v1"
contains "$OUT" "Deployment/gizmo in $NS"
contains "$OUT" "vgizmo.example.com → $NS/gizmo-webhook"
expect_code 0 "$OPM" status gizmo --kube-context "$CONTEXT" -n "$NS" -o json
contains "$OUT" '"storedVersions": ['
expect_code 2 "$OPM" status no-such-release --kube-context "$CONTEXT" -n "$NS"

step "crd diff cluster: NEW --check-instances"
expect_code 1 "$OPM" crd diff "cluster:$CONTEXT" "$DATA/crd-new.yaml" --check-instances
contains "$OUT" "crd-stored-version-removed"
contains "$OUT" "kubectl --context $CONTEXT get gizmos.example.com --all-namespaces -o json | kubectl --context $CONTEXT replace -f -"
contains "$OUT" "stored Gizmo team-b/huge is rejected by the new schema at spec.size"
contains "$OUT" "stored Gizmo team-b/odd is rejected by the new schema at spec.mode"
grep -qF "team-a/fine" <<<"$OUT" && fail "team-a/fine is valid and must not be reported"
expect_code 1 "$OPM" crd diff "cluster:$CONTEXT" "$DATA/gizmo-2" --check-instances -o json
contains "$OUT" '"rule": "crd-instance-rejected"'
expect_code 0 "$OPM" crd diff "$DATA/crd-live.yaml" "cluster:$CONTEXT" --breaking-only

step "diff upgrade"
"$KUBECTL" --context "$CONTEXT" -n "$NS" create configmap gizmo-settings --from-literal=mode=turbo \
  --dry-run=client -o yaml | "$KUBECTL" --context "$CONTEXT" apply -f -
expect_code 1 "$OPM" diff upgrade gizmo "$DATA/gizmo-2" --kube-context "$CONTEXT" -n "$NS" --detailed-exitcode --no-color
contains "$OUT" "$NS, gizmo, Deployment (apps) has changed:"
contains "$OUT" "+         image: example.com/gizmo-controller:1.1.0"
contains "$OUT" "$NS, gizmo, ServiceAccount has been added:"
contains "$OUT" "+   password: (changed, 10 bytes)"
contains "$OUT" '+   existingMode: "turbo"'
grep -qF "bjN3LXMzY3JldA" <<<"$OUT" && fail "a Secret value was printed"
# The same chart again: only the ConfigMap that shows revision, IsUpgrade and lookup changes.
expect_code 1 "$OPM" diff upgrade gizmo "$DATA/gizmo-1" --kube-context "$CONTEXT" -n "$NS" --detailed-exitcode --no-hooks -C 0 --no-color
contains "$OUT" "0 to add, 1 to change, 0 to remove."
expect_code 0 "$OPM" diff upgrade gizmo "$DATA/gizmo-2" --kube-context "$CONTEXT" -n "$NS" -o json
contains "$OUT" '"added": 1'
expect_code 2 "$OPM" diff upgrade nope "$DATA/gizmo-2" --kube-context "$CONTEXT" -n "$NS"

step "render --cluster"
expect_code 0 "$OPM" render gizmo "$DATA/gizmo-1" -n "$NS" --cluster --kube-context "$CONTEXT"
contains "$OUT" 'existingMode: "turbo"'
contains "$OUT" 'listKind: "ConfigMapList"'
contains "$OUT" 'hasGizmoV1: "true"'

step "failures exit 3"
expect_code 3 "$OPM" status --kube-context no-such-context
expect_code 3 "$OPM" status --kubeconfig <(sed 's#server: https://127.0.0.1:[0-9]*#server: https://127.0.0.1:1#' "$KUBECONFIG") --request-timeout 2s

echo
echo "e2e-kind: all scenarios passed on $CONTEXT"
