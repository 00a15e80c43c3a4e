#!/usr/bin/env python3
"""Regenerate the schema validation fixtures: python3 testdata/schema/gen.py testdata/schema"""
import copy, yaml, os, sys
out = sys.argv[1]

def meta(name, ns=True):
    m = {"name": name}
    if ns: m["namespace"] = "apps"
    return m

pod_spec = {"containers": [{"name": "app", "image": "nginx:1.27", "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m"}},
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"}, "periodSeconds": 10}}],
            "restartPolicy": "Always", "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}]}
tmpl = {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec}
BASES = {
 "deployment": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("web"),
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}}, "template": tmpl}},
 "statefulset": {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta("db"),
    "spec": {"serviceName": "db", "selector": {"matchLabels": {"app": "web"}}, "podManagementPolicy": "Parallel", "template": tmpl,
             "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}},
 "daemonset": {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta("agent"),
    "spec": {"selector": {"matchLabels": {"app": "web"}}, "updateStrategy": {"type": "RollingUpdate"}, "template": tmpl}},
 "service": {"apiVersion": "v1", "kind": "Service", "metadata": meta("web"),
    "spec": {"type": "ClusterIP", "selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}},
 "configmap": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("cfg"), "data": {"key": "value"}},
 "secret": {"apiVersion": "v1", "kind": "Secret", "metadata": meta("s"), "type": "Opaque", "data": {"password": "c2VjcmV0"}},
 "job": {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta("migrate"),
    "spec": {"backoffLimit": 3, "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "busybox"}]}}}},
 "cronjob": {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta("nightly"),
    "spec": {"schedule": "0 3 * * *", "concurrencyPolicy": "Forbid", "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}}}},
 "ingress": {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta("web"),
    "spec": {"ingressClassName": "nginx", "rules": [{"host": "example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
 "pdb": {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta("web"),
    "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}},
 "hpa": {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta("web"),
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 5,
             "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]}},
 "serviceaccount": {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("op"), "automountServiceAccountToken": False},
 "role": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta("op"),
    "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]},
 "clusterrolebinding": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": meta("op", False),
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "op"},
    "subjects": [{"kind": "ServiceAccount", "name": "op", "namespace": "apps"}]},
 "networkpolicy": {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("deny"),
    "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 443, "protocol": "TCP"}]}]}},
 "webhook": {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration", "metadata": meta("op", False),
    "webhooks": [{"name": "v.example.com", "admissionReviewVersions": ["v1"], "sideEffects": "None", "failurePolicy": "Fail",
                  "clientConfig": {"service": {"name": "op", "namespace": "apps", "path": "/validate"}},
                  "rules": [{"apiGroups": ["example.com"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["widgets"], "scope": "Namespaced"}]}]},
 "pvc": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta("data"),
    "spec": {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem", "resources": {"requests": {"storage": "10Gi"}}}},
 "widget": {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": meta("w"),
    "spec": {"size": "small", "image": "nginx:1.27", "minReplicas": 1, "maxReplicas": 3, "memory": "1Gi",
             "endpoint": "https://example.com/api", "zones": ["a", "b"], "tags": ["x"],
             "ports": [{"name": "http", "port": 80, "protocol": "TCP"}], "labels": {"team": "core"},
             "config": {"anything": {"goes": [1, 2]}},
             "template": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "t"}, "data": {"a": "b"}},
             "resources": {"limits": {"cpu": "2", "memory": 1073741824}}, "backup": {"schedule": "0 3 * * *"},
             "note": None, "ratio": 0.5, "step": 10, "port": "http", "owner": "ops@example.com",
             "id": "123e4567-e89b-12d3-a456-426614174000", "address": "10.1.2.3", "network": "10.0.0.0/16",
             "created": "2024-05-01T10:00:00Z", "enabled": True}},
}

def at(obj, path):
    cur = obj
    for p in path[:-1]:
        cur = cur[p]
    return cur, path[-1]

def set_(path, value):
    def f(o):
        c, k = at(o, path); c[k] = value
    return f
def del_(path):
    def f(o):
        c, k = at(o, path); del c[k]
    return f

C = ["spec", "template", "spec", "containers", 0]
CASES = [
 # name, base, mutation, rule, field
 ("deploy-replicas-string", "deployment", set_(["spec", "replicas"], "three"), "schema-type-mismatch", "spec.replicas"),
 ("deploy-replicas-float", "deployment", set_(["spec", "replicas"], 1.5), "schema-type-mismatch", "spec.replicas"),
 ("deploy-replicas-int32", "deployment", set_(["spec", "replicas"], 3000000000), "schema-invalid", "spec.replicas"),
 ("deploy-unknown-spec-field", "deployment", set_(["spec", "replica"], 2), "schema-unknown-field", "spec.replica"),
 ("deploy-missing-selector", "deployment", del_(["spec", "selector"]), "schema-required-missing", "spec.selector"),
 ("deploy-missing-template", "deployment", del_(["spec", "template"]), "schema-required-missing", "spec.template"),
 ("deploy-container-missing-name", "deployment", del_(C + ["name"]), "schema-required-missing", "spec.template.spec.containers[0].name"),
 ("deploy-container-image-number", "deployment", set_(C + ["image"], 42), "schema-type-mismatch", "spec.template.spec.containers[0].image"),
 ("deploy-container-unknown", "deployment", set_(C + ["imagePolicy"], "Always"), "schema-unknown-field", "spec.template.spec.containers[0].imagePolicy"),
 ("deploy-pull-policy-enum", "deployment", set_(C + ["imagePullPolicy"], "Sometimes"), "schema-invalid", "spec.template.spec.containers[0].imagePullPolicy"),
 ("deploy-port-string", "deployment", set_(C + ["ports", 0, "containerPort"], "8080"), "schema-type-mismatch", "spec.template.spec.containers[0].ports[0].containerPort"),
 ("deploy-port-protocol-enum", "deployment", set_(C + ["ports", 0, "protocol"], "HTTP"), "schema-invalid", "spec.template.spec.containers[0].ports[0].protocol"),
 ("deploy-port-missing", "deployment", del_(C + ["ports", 0, "containerPort"]), "schema-required-missing", "spec.template.spec.containers[0].ports[0].containerPort"),
 ("deploy-bad-cpu-quantity", "deployment", set_(C + ["resources", "limits", "cpu"], "half"), "schema-invalid", "spec.template.spec.containers[0].resources.limits.cpu"),
 ("deploy-bad-memory-quantity", "deployment", set_(C + ["resources", "requests", "memory"], "1 GB"), "schema-invalid", "spec.template.spec.containers[0].resources.requests.memory"),
 ("deploy-resources-list", "deployment", set_(C + ["resources", "limits"], ["cpu"]), "schema-type-mismatch", "spec.template.spec.containers[0].resources.limits"),
 ("deploy-probe-scheme", "deployment", set_(C + ["readinessProbe", "httpGet", "scheme"], "FTP"), "schema-invalid", "spec.template.spec.containers[0].readinessProbe.httpGet.scheme"),
 ("deploy-probe-port-bool", "deployment", set_(C + ["readinessProbe", "httpGet", "port"], True), "schema-type-mismatch", "spec.template.spec.containers[0].readinessProbe.httpGet.port"),
 ("deploy-probe-period-string", "deployment", set_(C + ["readinessProbe", "periodSeconds"], "10s"), "schema-type-mismatch", "spec.template.spec.containers[0].readinessProbe.periodSeconds"),
 ("deploy-restart-policy", "deployment", set_(["spec", "template", "spec", "restartPolicy"], "Sometimes"), "schema-invalid", "spec.template.spec.restartPolicy"),
 ("deploy-toleration-operator", "deployment", set_(["spec", "template", "spec", "tolerations", 0, "operator"], "Matches"), "schema-invalid", "spec.template.spec.tolerations[0].operator"),
 ("deploy-toleration-effect", "deployment", set_(["spec", "template", "spec", "tolerations", 0, "effect"], "NoRun"), "schema-invalid", "spec.template.spec.tolerations[0].effect"),
 ("deploy-strategy-type", "deployment", set_(["spec", "strategy", "type"], "BlueGreen"), "schema-invalid", "spec.strategy.type"),
 ("deploy-max-surge-list", "deployment", set_(["spec", "strategy", "rollingUpdate", "maxSurge"], [1]), "schema-type-mismatch", "spec.strategy.rollingUpdate.maxSurge"),
 ("deploy-labels-list", "deployment", set_(["spec", "template", "metadata", "labels"], ["app"]), "schema-type-mismatch", "spec.template.metadata.labels"),
 ("deploy-label-value-int", "deployment", set_(["spec", "selector", "matchLabels", "app"], 5), "schema-type-mismatch", "spec.selector.matchLabels.app"),
 ("deploy-metadata-unknown", "deployment", set_(["metadata", "label"], {"a": "b"}), "schema-unknown-field", "metadata.label"),
 ("deploy-env-value-int", "deployment", set_(C + ["env"], [{"name": "PORT", "value": 8080}]), "schema-type-mismatch", "spec.template.spec.containers[0].env[0].value"),
 ("deploy-env-missing-name", "deployment", set_(C + ["env"], [{"value": "x"}]), "schema-required-missing", "spec.template.spec.containers[0].env[0].name"),
 ("deploy-containers-map", "deployment", set_(["spec", "template", "spec", "containers"], {"name": "app", "image": "x"}), "schema-type-mismatch", "spec.template.spec.containers"),
 ("deploy-security-context-unknown", "deployment", set_(C + ["securityContext"], {"runAsNonRoot": True, "readOnlyRoot": True}), "schema-unknown-field", "spec.template.spec.containers[0].securityContext.readOnlyRoot"),
 ("deploy-seccomp-type", "deployment", set_(["spec", "template", "spec", "securityContext"], {"seccompProfile": {"type": "Strict"}}), "schema-invalid", "spec.template.spec.securityContext.seccompProfile.type"),
 ("deploy-run-as-user-string", "deployment", set_(["spec", "template", "spec", "securityContext"], {"runAsUser": "1000"}), "schema-type-mismatch", "spec.template.spec.securityContext.runAsUser"),
 ("deploy-dns-policy", "deployment", set_(["spec", "template", "spec", "dnsPolicy"], "Google"), "schema-invalid", "spec.template.spec.dnsPolicy"),
 ("deploy-node-selector-op", "deployment", set_(["spec", "template", "spec", "affinity"], {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "Equals", "values": ["a"]}]}]}}}), "schema-invalid", "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator"),
 ("deploy-volume-unknown", "deployment", set_(["spec", "template", "spec", "volumes"], [{"name": "v", "emptyDirectory": {}}]), "schema-unknown-field", "spec.template.spec.volumes[0].emptyDirectory"),
 ("deploy-old-apiversion", "deployment", set_(["apiVersion"], "extensions/v1beta1"), "api-version-removed", "apiVersion"),
 ("deploy-apps-v1beta2", "deployment", set_(["apiVersion"], "apps/v1beta2"), "api-version-removed", "apiVersion"),
 ("statefulset-missing-selector", "statefulset", del_(["spec", "selector"]), "schema-required-missing", "spec.selector"),
 ("statefulset-pod-management", "statefulset", set_(["spec", "podManagementPolicy"], "Serial"), "schema-invalid", "spec.podManagementPolicy"),
 ("statefulset-access-mode", "statefulset", set_(["spec", "volumeClaimTemplates", 0, "spec", "accessModes"], ["ReadWriteSometimes"]), "schema-invalid", "spec.volumeClaimTemplates[0].spec.accessModes[0]"),
 ("statefulset-storage-quantity", "statefulset", set_(["spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage"], "lots"), "schema-invalid", "spec.volumeClaimTemplates[0].spec.resources.requests.storage"),
 ("daemonset-update-strategy", "daemonset", set_(["spec", "updateStrategy", "type"], "Recreate"), "schema-invalid", "spec.updateStrategy.type"),
 ("daemonset-replicas-unknown", "daemonset", set_(["spec", "replicas"], 3), "schema-unknown-field", "spec.replicas"),
 ("service-type-enum", "service", set_(["spec", "type"], "Public"), "schema-invalid", "spec.type"),
 ("service-port-string", "service", set_(["spec", "ports", 0, "port"], "80"), "schema-type-mismatch", "spec.ports[0].port"),
 ("service-port-missing", "service", del_(["spec", "ports", 0, "port"]), "schema-required-missing", "spec.ports[0].port"),
 ("service-target-port-bool", "service", set_(["spec", "ports", 0, "targetPort"], False), "schema-type-mismatch", "spec.ports[0].targetPort"),
 ("service-traffic-policy", "service", set_(["spec", "externalTrafficPolicy"], "Nearest"), "schema-invalid", "spec.externalTrafficPolicy"),
 ("service-selector-list", "service", set_(["spec", "selector"], ["app=web"]), "schema-type-mismatch", "spec.selector"),
 ("configmap-data-int", "configmap", set_(["data", "key"], 1), "schema-type-mismatch", "data.key"),
 ("configmap-data-list", "configmap", set_(["data"], ["a"]), "schema-type-mismatch", "data"),
 ("configmap-unknown-top", "configmap", set_(["spec"], {"a": "b"}), "schema-unknown-field", "spec"),
 ("secret-bad-base64", "secret", set_(["data", "password"], "not base64!"), "schema-invalid", "data.password"),
 ("secret-stringdata-int", "secret", set_(["stringData"], {"port": 5432}), "schema-type-mismatch", "stringData.port"),
 ("job-backoff-string", "job", set_(["spec", "backoffLimit"], "three"), "schema-type-mismatch", "spec.backoffLimit"),
 ("job-completion-mode", "job", set_(["spec", "completionMode"], "Sometimes"), "schema-invalid", "spec.completionMode"),
 ("job-missing-template", "job", del_(["spec", "template"]), "schema-required-missing", "spec.template"),
 ("cronjob-missing-schedule", "cronjob", del_(["spec", "schedule"]), "schema-required-missing", "spec.schedule"),
 ("cronjob-concurrency", "cronjob", set_(["spec", "concurrencyPolicy"], "Queue"), "schema-invalid", "spec.concurrencyPolicy"),
 ("cronjob-v1beta1", "cronjob", set_(["apiVersion"], "batch/v1beta1"), "api-version-removed", "apiVersion"),
 ("ingress-path-type", "ingress", set_(["spec", "rules", 0, "http", "paths", 0, "pathType"], "Regex"), "schema-invalid", "spec.rules[0].http.paths[0].pathType"),
 ("ingress-old-backend", "ingress", set_(["spec", "rules", 0, "http", "paths", 0, "backend", "serviceName"], "web"), "schema-unknown-field", "spec.rules[0].http.paths[0].backend.serviceName"),
 ("ingress-port-number-string", "ingress", set_(["spec", "rules", 0, "http", "paths", 0, "backend", "service", "port", "number"], "80"), "schema-type-mismatch", "spec.rules[0].http.paths[0].backend.service.port.number"),
 ("ingress-v1beta1", "ingress", set_(["apiVersion"], "networking.k8s.io/v1beta1"), "api-version-removed", "apiVersion"),
 ("pdb-min-available-list", "pdb", set_(["spec", "minAvailable"], ["1"]), "schema-type-mismatch", "spec.minAvailable"),
 ("pdb-eviction-policy", "pdb", set_(["spec", "unhealthyPodEvictionPolicy"], "Never"), "schema-invalid", "spec.unhealthyPodEvictionPolicy"),
 ("pdb-v1beta1", "pdb", set_(["apiVersion"], "policy/v1beta1"), "api-version-removed", "apiVersion"),
 ("hpa-max-missing", "hpa", del_(["spec", "maxReplicas"]), "schema-required-missing", "spec.maxReplicas"),
 ("hpa-metric-type", "hpa", set_(["spec", "metrics", 0, "type"], "Memory"), "schema-invalid", "spec.metrics[0].type"),
 ("hpa-target-type", "hpa", set_(["spec", "metrics", 0, "resource", "target", "type"], "Percent"), "schema-invalid", "spec.metrics[0].resource.target.type"),
 ("hpa-v2beta2", "hpa", set_(["apiVersion"], "autoscaling/v2beta2"), "api-version-removed", "apiVersion"),
 ("serviceaccount-automount-string", "serviceaccount", set_(["automountServiceAccountToken"], "false"), "schema-type-mismatch", "automountServiceAccountToken"),
 ("role-verbs-string", "role", set_(["rules", 0, "verbs"], "get"), "schema-type-mismatch", "rules[0].verbs"),
 ("role-missing-verbs", "role", del_(["rules", 0, "verbs"]), "schema-required-missing", "rules[0].verbs"),
 ("role-v1beta1", "role", set_(["apiVersion"], "rbac.authorization.k8s.io/v1beta1"), "api-version-removed", "apiVersion"),
 ("crb-missing-roleref", "clusterrolebinding", del_(["roleRef"]), "schema-required-missing", "roleRef"),
 ("crb-subject-kind", "clusterrolebinding", set_(["subjects", 0, "kind"], "Robot"), "schema-invalid", "subjects[0].kind"),
 ("networkpolicy-policy-type", "networkpolicy", set_(["spec", "policyTypes"], ["Inbound"]), "schema-invalid", "spec.policyTypes[0]"),
 ("networkpolicy-protocol", "networkpolicy", set_(["spec", "ingress", 0, "ports", 0, "protocol"], "ICMP"), "schema-invalid", "spec.ingress[0].ports[0].protocol"),
 ("networkpolicy-cidr-missing", "networkpolicy", del_(["spec", "ingress", 0, "from", 0, "ipBlock", "cidr"]), "schema-required-missing", "spec.ingress[0].from[0].ipBlock.cidr"),
 ("webhook-side-effects", "webhook", set_(["webhooks", 0, "sideEffects"], "Some"), "schema-invalid", "webhooks[0].sideEffects"),
 ("webhook-failure-policy", "webhook", set_(["webhooks", 0, "failurePolicy"], "Retry"), "schema-invalid", "webhooks[0].failurePolicy"),
 ("webhook-missing-review-versions", "webhook", del_(["webhooks", 0, "admissionReviewVersions"]), "schema-required-missing", "webhooks[0].admissionReviewVersions"),
 ("webhook-operation", "webhook", set_(["webhooks", 0, "rules", 0, "operations"], ["PATCH"]), "schema-invalid", "webhooks[0].rules[0].operations[0]"),
 ("webhook-scope", "webhook", set_(["webhooks", 0, "rules", 0, "scope"], "Global"), "schema-invalid", "webhooks[0].rules[0].scope"),
 ("webhook-v1beta1", "webhook", set_(["apiVersion"], "admissionregistration.k8s.io/v1beta1"), "api-version-removed", "apiVersion"),
 ("pvc-volume-mode", "pvc", set_(["spec", "volumeMode"], "Raw"), "schema-invalid", "spec.volumeMode"),
 ("pvc-access-modes-string", "pvc", set_(["spec", "accessModes"], "ReadWriteOnce"), "schema-type-mismatch", "spec.accessModes"),
 # custom resources
 ("widget-missing-spec", "widget", del_(["spec"]), "schema-required-missing", "spec"),
 ("widget-missing-size", "widget", del_(["spec", "size"]), "schema-required-missing", "spec.size"),
 ("widget-size-enum", "widget", set_(["spec", "size"], "huge"), "schema-invalid", "spec.size"),
 ("widget-image-short", "widget", set_(["spec", "image"], "ab"), "schema-invalid", "spec.image"),
 ("widget-image-long", "widget", set_(["spec", "image"], "a" * 70), "schema-invalid", "spec.image"),
 ("widget-unknown-field", "widget", set_(["spec", "colour"], "red"), "schema-unknown-field", "spec.colour"),
 ("widget-unknown-top", "widget", set_(["extra"], 1), "schema-unknown-field", "extra"),
 ("widget-cluster-name-pattern", "widget", set_(["spec", "clusterName"], "Bad_Name"), "schema-invalid", "spec.clusterName"),
 ("widget-min-replicas-negative", "widget", set_(["spec", "minReplicas"], -1), "schema-invalid", "spec.minReplicas"),
 ("widget-max-replicas-exclusive", "widget", set_(["spec", "maxReplicas"], 1000), "schema-invalid", "spec.maxReplicas"),
 ("widget-min-replicas-string", "widget", set_(["spec", "minReplicas"], "1"), "schema-type-mismatch", "spec.minReplicas"),
 ("widget-ratio-above", "widget", set_(["spec", "ratio"], 1.5), "schema-invalid", "spec.ratio"),
 ("widget-step-multiple", "widget", set_(["spec", "step"], 7), "schema-invalid", "spec.step"),
 ("widget-memory-pattern", "widget", set_(["spec", "memory"], "lots"), "schema-invalid", "spec.memory"),
 ("widget-port-bool", "widget", set_(["spec", "port"], True), "schema-type-mismatch", "spec.port"),
 ("widget-owner-email", "widget", set_(["spec", "owner"], "nobody"), "schema-invalid", "spec.owner"),
 ("widget-id-uuid", "widget", set_(["spec", "id"], "not-a-uuid"), "schema-invalid", "spec.id"),
 ("widget-address-ipv4", "widget", set_(["spec", "address"], "10.1.2.300"), "schema-invalid", "spec.address"),
 ("widget-network-cidr", "widget", set_(["spec", "network"], "10.0.0.0/40"), "schema-invalid", "spec.network"),
 ("widget-created-date-time", "widget", set_(["spec", "created"], "yesterday"), "schema-invalid", "spec.created"),
 ("widget-enabled-string", "widget", set_(["spec", "enabled"], "yes"), "schema-type-mismatch", "spec.enabled"),
 ("widget-zones-duplicate", "widget", set_(["spec", "zones"], ["a", "a"]), "schema-invalid", "spec.zones[1]"),
 ("widget-tags-too-many", "widget", set_(["spec", "tags"], ["a", "b", "c", "d", "e", "f"]), "schema-invalid", "spec.tags"),
 ("widget-tags-empty", "widget", set_(["spec", "tags"], []), "schema-invalid", "spec.tags"),
 ("widget-ports-duplicate-key", "widget", set_(["spec", "ports"], [{"name": "http", "port": 80}, {"name": "http", "port": 81}]), "schema-invalid", "spec.ports[1]"),
 ("widget-ports-missing-port", "widget", set_(["spec", "ports"], [{"name": "http"}]), "schema-required-missing", "spec.ports[0].port"),
 ("widget-ports-port-range", "widget", set_(["spec", "ports"], [{"name": "http", "port": 70000}]), "schema-invalid", "spec.ports[0].port"),
 ("widget-ports-protocol", "widget", set_(["spec", "ports"], [{"name": "http", "port": 80, "protocol": "SCTP"}]), "schema-invalid", "spec.ports[0].protocol"),
 ("widget-label-value-long", "widget", set_(["spec", "labels"], {"team": "x" * 64}), "schema-invalid", "spec.labels.team"),
 ("widget-labels-too-many", "widget", set_(["spec", "labels"], {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}), "schema-invalid", "spec.labels"),
 ("widget-label-value-int", "widget", set_(["spec", "labels"], {"team": 7}), "schema-type-mismatch", "spec.labels.team"),
 ("widget-limits-quantity", "widget", set_(["spec", "resources", "limits", "cpu"], "two"), "schema-invalid", "spec.resources.limits.cpu"),
 ("widget-resources-unknown", "widget", set_(["spec", "resources", "requests"], {"cpu": "1"}), "schema-unknown-field", "spec.resources.requests"),
 ("widget-backup-oneof-none", "widget", set_(["spec", "backup"], {}), "schema-invalid", "spec.backup"),
 ("widget-backup-oneof-both", "widget", set_(["spec", "backup"], {"schedule": "0 3 * * *", "retention": 3}), "schema-invalid", "spec.backup"),
 ("widget-backup-schedule-pattern", "widget", set_(["spec", "backup"], {"schedule": "daily"}), "schema-invalid", "spec.backup.schedule"),
 ("widget-embedded-metadata", "widget", set_(["spec", "template", "metadata"], {"name": "t", "labelz": {}}), "schema-unknown-field", "spec.template.metadata.labelz"),
 ("widget-metadata-unknown", "widget", set_(["metadata", "labelz"], {"a": "b"}), "schema-unknown-field", "metadata.labelz"),
 ("widget-metadata-labels-int", "widget", set_(["metadata", "labels"], {"a": 1}), "schema-type-mismatch", "metadata.labels.a"),
 ("widget-cel-min-max", "widget", set_(["spec", "minReplicas"], 5), "cel-rule-violated", "spec.minReplicas"),
 ("widget-cel-memory", "widget", set_(["spec", "memory"], "128Gi"), "cel-rule-violated", "spec.memory"),
 ("widget-cel-https", "widget", set_(["spec", "endpoint"], "http://example.com"), "cel-rule-violated", "spec.endpoint"),
 ("widget-cel-sorted", "widget", set_(["spec", "zones"], ["b", "a"]), "cel-rule-violated", "spec.zones"),
 ("widget-cel-cluster-name", "widget", set_(["spec", "mode"], "cluster"), "cel-rule-violated", "spec"),
 ("widget-cel-image-regex", "widget", set_(["spec", "image"], "Nginx@latest"), "cel-rule-violated", "spec.image"),
 ("widget-cel-port-22", "widget", set_(["spec", "ports"], [{"name": "ssh", "port": 22}]), "cel-rule-violated", "spec.ports"),
 ("widget-cel-tags", "widget", set_(["spec", "tags"], ["a", "averyveryverylongtag"]), "cel-rule-violated", "spec.tags"),
 ("widget-version-not-served", "widget", set_(["apiVersion"], "example.com/v1alpha1"), "crd-version-not-served", "apiVersion"),
 ("widget-version-unknown", "widget", set_(["apiVersion"], "example.com/v2"), "schema-missing", ""),
]

os.makedirs(f"{out}/invalid", exist_ok=True)
os.makedirs(f"{out}/valid", exist_ok=True)
names = set()
for name, base, mut, rule, field in CASES:
    assert name not in names, name
    names.add(name)
    o = copy.deepcopy(BASES[base])
    mut(o)
    with open(f"{out}/invalid/{name}.yaml", "w") as f:
        f.write(f"# expect: {rule} {field}\n".rstrip() + "\n")
        f.write(yaml.safe_dump(o, sort_keys=False, default_flow_style=False, width=1000))
for base, o in BASES.items():
    with open(f"{out}/valid/{base}.yaml", "w") as f:
        f.write(yaml.safe_dump(o, sort_keys=False, default_flow_style=False, width=1000))
# a deprecated CRD version: a warning, not an error
extra = copy.deepcopy(BASES["widget"]); extra["apiVersion"] = "example.com/v1beta1"
with open(f"{out}/valid/widget-v1beta1-deprecated.yaml", "w") as f:
    f.write(yaml.safe_dump(extra, sort_keys=False, default_flow_style=False, width=1000))
print(len(CASES), "invalid,", len(BASES) + 1, "valid")
