#!/usr/bin/env python3
"""Build the embedded Kubernetes schema store (src/schema/data/k8s-schemas.bin).

Input: a `kubernetes-json-schema` directory as shipped in the `kubernetes-validate` wheel,
with one `vX.Y.0-local-strict/_definitions.json` per Kubernetes minor version.

Output layout (all integers little-endian):

    b"OPMK8S1\\n"
    u32  header length, then the header: zlib(JSON {
             "source": str,
             "versions": [{"name": "1.33", "table": [offset, length]}, ...]})
    blob area: zlib streams; offsets are relative to the start of this area.

A version table is zlib(JSON {"defs": {name: [offset, length]},
                              "kinds": {"apps/v1/Deployment": name}}).
A definition blob is zlib(JSON schema) with descriptions removed and `$ref`s reduced to the
bare definition name. Identical definitions are stored once for all versions.
"""

import argparse
import json
import os
import re
import struct
import zlib

MIN_MINOR = 29

# Keys that validation never reads; dropping them keeps the store small.
DROP_KEYS = {
    "description",
    "x-kubernetes-patch-merge-key",
    "x-kubernetes-patch-strategy",
    "x-kubernetes-group-version-kind",
    "x-kubernetes-unions",
}

# Enumerations the API server enforces but the OpenAPI v2-derived JSON Schemas do not carry.
# Values are from the Kubernetes API reference (types.go `+enum` markers). The empty string
# is always accepted too, because defaulting replaces it before validation runs.
ENUMS = {
    "io.k8s.api.core.v1.Container": {
        "imagePullPolicy": ["Always", "Never", "IfNotPresent"],
        "terminationMessagePolicy": ["File", "FallbackToLogsOnError"],
    },
    "io.k8s.api.core.v1.EphemeralContainer": {
        "imagePullPolicy": ["Always", "Never", "IfNotPresent"],
        "terminationMessagePolicy": ["File", "FallbackToLogsOnError"],
    },
    "io.k8s.api.core.v1.PodSpec": {
        "restartPolicy": ["Always", "OnFailure", "Never"],
        "dnsPolicy": ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        "preemptionPolicy": ["PreemptLowerPriority", "Never"],
    },
    "io.k8s.api.core.v1.ContainerPort": {"protocol": ["TCP", "UDP", "SCTP"]},
    "io.k8s.api.core.v1.ServicePort": {"protocol": ["TCP", "UDP", "SCTP"]},
    "io.k8s.api.core.v1.EndpointPort": {"protocol": ["TCP", "UDP", "SCTP"]},
    "io.k8s.api.networking.v1.NetworkPolicyPort": {"protocol": ["TCP", "UDP", "SCTP"]},
    "io.k8s.api.core.v1.ServiceSpec": {
        "type": ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"],
        "externalTrafficPolicy": ["Cluster", "Local"],
        "internalTrafficPolicy": ["Cluster", "Local"],
        "sessionAffinity": ["ClientIP", "None"],
        "ipFamilyPolicy": ["SingleStack", "PreferDualStack", "RequireDualStack"],
    },
    "io.k8s.api.core.v1.Toleration": {
        "operator": ["Exists", "Equal"],
        "effect": ["NoSchedule", "PreferNoSchedule", "NoExecute"],
    },
    "io.k8s.api.core.v1.Taint": {"effect": ["NoSchedule", "PreferNoSchedule", "NoExecute"]},
    "io.k8s.api.core.v1.NodeSelectorRequirement": {
        "operator": ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"],
    },
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement": {
        "operator": ["In", "NotIn", "Exists", "DoesNotExist"],
    },
    "io.k8s.api.core.v1.TopologySpreadConstraint": {
        "whenUnsatisfiable": ["DoNotSchedule", "ScheduleAnyway"],
        "nodeAffinityPolicy": ["Honor", "Ignore"],
        "nodeTaintsPolicy": ["Honor", "Ignore"],
    },
    "io.k8s.api.core.v1.HTTPGetAction": {"scheme": ["HTTP", "HTTPS"]},
    "io.k8s.api.core.v1.SeccompProfile": {"type": ["RuntimeDefault", "Unconfined", "Localhost"]},
    "io.k8s.api.core.v1.PersistentVolumeClaimSpec": {"volumeMode": ["Block", "Filesystem"]},
    "io.k8s.api.apps.v1.DeploymentStrategy": {"type": ["Recreate", "RollingUpdate"]},
    "io.k8s.api.apps.v1.DaemonSetUpdateStrategy": {"type": ["RollingUpdate", "OnDelete"]},
    "io.k8s.api.apps.v1.StatefulSetUpdateStrategy": {"type": ["RollingUpdate", "OnDelete"]},
    "io.k8s.api.apps.v1.StatefulSetSpec": {"podManagementPolicy": ["OrderedReady", "Parallel"]},
    "io.k8s.api.batch.v1.CronJobSpec": {"concurrencyPolicy": ["Allow", "Forbid", "Replace"]},
    "io.k8s.api.batch.v1.JobSpec": {"completionMode": ["NonIndexed", "Indexed"]},
    "io.k8s.api.policy.v1.PodDisruptionBudgetSpec": {
        "unhealthyPodEvictionPolicy": ["IfHealthyBudget", "AlwaysAllow"],
    },
    "io.k8s.api.networking.v1.HTTPIngressPath": {
        "pathType": ["Exact", "Prefix", "ImplementationSpecific"],
    },
    "io.k8s.api.rbac.v1.Subject": {"kind": ["User", "Group", "ServiceAccount"]},
    "io.k8s.api.autoscaling.v2.MetricSpec": {
        "type": ["ContainerResource", "External", "Object", "Pods", "Resource"],
    },
    "io.k8s.api.autoscaling.v2.MetricTarget": {"type": ["Utilization", "Value", "AverageValue"]},
    "io.k8s.api.admissionregistration.v1.ValidatingWebhook": {
        "failurePolicy": ["Ignore", "Fail"],
        "matchPolicy": ["Exact", "Equivalent"],
        "sideEffects": ["None", "NoneOnDryRun"],
    },
    "io.k8s.api.admissionregistration.v1.MutatingWebhook": {
        "failurePolicy": ["Ignore", "Fail"],
        "matchPolicy": ["Exact", "Equivalent"],
        "sideEffects": ["None", "NoneOnDryRun"],
        "reinvocationPolicy": ["Never", "IfNeeded"],
    },
    "io.k8s.api.admissionregistration.v1.RuleWithOperations": {
        "scope": ["*", "Cluster", "Namespaced"],
    },
}

# Enumerations on list items.
ITEM_ENUMS = {
    "io.k8s.api.core.v1.PersistentVolumeClaimSpec": {
        "accessModes": ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"],
    },
    "io.k8s.api.networking.v1.NetworkPolicySpec": {"policyTypes": ["Ingress", "Egress"]},
    "io.k8s.api.admissionregistration.v1.RuleWithOperations": {
        "operations": ["*", "CREATE", "UPDATE", "DELETE", "CONNECT"],
    },
}


def clean(node):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in DROP_KEYS:
                continue
            if key == "$ref" and isinstance(value, str):
                out[key] = value.rsplit("/", 1)[-1]
                continue
            if key == "properties" and isinstance(value, dict):
                out[key] = {k: clean(v) for k, v in value.items()}
                continue
            out[key] = clean(value)
        return out
    if isinstance(node, list):
        return [clean(v) for v in node]
    return node


def add_enums(name, schema):
    props = schema.get("properties", {})
    for field, values in ENUMS.get(name, {}).items():
        if field in props:
            props[field]["enum"] = [""] + values
    for field, values in ITEM_ENUMS.get(name, {}).items():
        items = props.get(field, {}).get("items")
        if isinstance(items, dict):
            items["enum"] = values
    return schema


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--schemas", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    versions = []
    for entry in os.listdir(args.schemas):
        m = re.fullmatch(r"v1\.(\d+)\.0-local-strict", entry)
        if m and int(m.group(1)) >= MIN_MINOR:
            versions.append((int(m.group(1)), entry))
    versions.sort()

    blobs = bytearray()
    blob_index = {}  # canonical JSON -> [offset, length]

    def store(data):
        key = data
        if key not in blob_index:
            packed = zlib.compress(data, 9)
            blob_index[key] = [len(blobs), len(packed)]
            blobs.extend(packed)
        return blob_index[key]

    header_versions = []
    for minor, entry in versions:
        with open(os.path.join(args.schemas, entry, "_definitions.json")) as f:
            defs = json.load(f)["$defs"]
        table = {"defs": {}, "kinds": {}}
        for name in sorted(defs):
            schema = defs[name]
            for gvk in schema.get("x-kubernetes-group-version-kind", []):
                group, version, kind = gvk["group"], gvk["version"], gvk["kind"]
                api_version = f"{group}/{version}" if group else version
                # Definitions shared by many kinds (DeleteOptions, WatchEvent) are not
                # objects anyone applies; only record a kind once, for its own definition.
                if len(schema["x-kubernetes-group-version-kind"]) == 1:
                    table["kinds"][f"{api_version}/{kind}"] = name
            body = add_enums(name, clean(schema))
            data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
            table["defs"][name] = store(data)
        packed = zlib.compress(
            json.dumps(table, sort_keys=True, separators=(",", ":")).encode(), 9
        )
        header_versions.append({"name": f"1.{minor}", "table": [len(blobs), len(packed)]})
        blobs.extend(packed)

    header = zlib.compress(
        json.dumps({"source": args.source, "versions": header_versions},
                   separators=(",", ":")).encode(),
        9,
    )
    with open(args.out, "wb") as f:
        f.write(b"OPMK8S1\n")
        f.write(struct.pack("<I", len(header)))
        f.write(header)
        f.write(blobs)
    print(f"{args.out}: {len(versions)} versions, {len(blob_index)} unique definitions, "
          f"{8 + 4 + len(header) + len(blobs)} bytes")


if __name__ == "__main__":
    main()
