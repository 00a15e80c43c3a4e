{{/*
Labels of every ClusterRole: the usual chart labels plus the user's.
*/}}
{{- define "kubectl-opm-rbac.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
What reading a rollout takes; the viewer has it, the approver starts from it.
*/}}
{{- define "kubectl-opm-rbac.viewerRules" -}}
# Rollout state ConfigMaps (<release>-opm-rollout) and Helm release records stored
# with the ConfigMap driver.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch"]
{{- if .Values.viewer.releaseSecrets }}
# Helm release records (sh.helm.release.v1.*), Helm's default storage.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch"]
{{- end }}
# The rollout lock: who runs the rollout, until when.
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "list", "watch"]
# The audit trail as Events on the state ConfigMap.
- apiGroups: ["", "events.k8s.io"]
  resources: ["events"]
  verbs: ["get", "list", "watch"]
{{- end }}
