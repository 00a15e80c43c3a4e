{{/* Shared defines for the template-suite cases. */}}
{{- define "suite.name" -}}
{{ .Chart.Name }}-{{ .Release.Name }}
{{- end -}}

{{- define "suite.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "suite.echo" -}}
[{{ . }}]
{{- end -}}

{{- define "suite.templateName" -}}
{{ .Template.Name }} {{ .Template.BasePath }}
{{- end -}}

{{- define "suite.dict" -}}
a: 1
b: two
c:
  - x
  - y
{{- end -}}

{{- define "suite.recursive" -}}
{{- if gt (int .) 0 -}}{{ . }} {{ include "suite.recursive" (sub (int .) 1) }}{{- end -}}
{{- end -}}
