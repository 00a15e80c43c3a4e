{{- define "op.labels" -}}
app.kubernetes.io/name: op
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
