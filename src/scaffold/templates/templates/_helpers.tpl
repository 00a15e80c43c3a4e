{{/*
Chart name, truncated to the 63 characters Kubernetes allows in names and labels.
*/}}
{{- define "[[ name ]].name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: release-based unless overridden.
*/}}
{{- define "[[ name ]].fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "[[ name ]].chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: used by the Deployment, Services, PDB and NetworkPolicy alike.
*/}}
{{- define "[[ name ]].selectorLabels" -}}
app.kubernetes.io/name: {{ include "[[ name ]].name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "[[ name ]].labels" -}}
helm.sh/chart: {{ include "[[ name ]].chart" . }}
app.kubernetes.io/name: {{ include "[[ name ]].name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The ServiceAccount the controller runs as: the generated one, or an existing one.
*/}}
{{- define "[[ name ]].serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "[[ name ]].fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "[[ name ]].image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/*
The restricted Pod Security Standard, container part.
*/}}
{{- define "[[ name ]].containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{/*
The restricted Pod Security Standard, pod part.
*/}}
{{- define "[[ name ]].podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}
[% if webhooks %]

{{- define "[[ name ]].webhookCertName" -}}
{{ include "[[ name ]].fullname" . }}-webhook
{{- end }}
[% endif %]
