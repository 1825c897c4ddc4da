{{/* Names, labels and small conversions shared by the templates. */}}

{{- define "nats-bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name: release-chart, or the release name alone when it already
contains the chart name. Truncated to 63 characters, the limit of a DNS
label, because some Kubernetes name fields are limited to that.
*/}}
{{- define "nats-bridge.fullname" -}}
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

{{- define "nats-bridge.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "nats-bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nats-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "nats-bridge.labels" -}}
helm.sh/chart: {{ include "nats-bridge.chart" . }}
{{ include "nats-bridge.selectorLabels" . }}
app.kubernetes.io/version: {{ include "nats-bridge.tag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: bridge
app.kubernetes.io/part-of: nats-bridge
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "nats-bridge.tag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "nats-bridge.image" -}}
{{- $img := printf "%s:%s" .Values.image.repository (include "nats-bridge.tag" .) }}
{{- if .Values.image.digest }}
{{- $img = printf "%s@%s" $img .Values.image.digest }}
{{- end }}
{{- $img }}
{{- end }}

{{- define "nats-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "nats-bridge.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The job label of the scrape targets. The alert rules and the dashboard,
shared with the compose stack, select job="bridge", so the monitors set it.
*/}}
{{- define "nats-bridge.job" -}}bridge{{- end }}

{{/*
envValue renders a value for the environment. Numbers arrive from YAML as
float64 (16777216 would print as 1.6777216e+07), so integers go through
int64; booleans print as true/false.
*/}}
{{- define "nats-bridge.envValue" -}}
{{- if kindIs "float64" . }}{{ int64 . }}{{ else }}{{ toString . }}{{ end }}
{{- end }}

{{/*
seconds converts a Go duration ("1m30s", "500ms", "2h") to whole seconds,
rounded up. The schema has already checked the syntax.
*/}}
{{- define "nats-bridge.seconds" -}}
{{- $total := 0.0 }}
{{- $units := dict "h" 3600.0 "m" 60.0 "s" 1.0 "ms" 0.001 "us" 0.000001 "µs" 0.000001 "μs" 0.000001 "ns" 0.000000001 }}
{{- range regexFindAll "[0-9]*\\.?[0-9]+(ns|us|µs|μs|ms|s|m|h)" (toString .) -1 }}
{{- $num := regexFind "^[0-9]*\\.?[0-9]+" . }}
{{- $unit := trimPrefix $num . }}
{{- $total = addf $total (mulf (float64 $num) (get $units $unit)) }}
{{- end }}
{{- if hasPrefix "-" (toString .) }}{{ $total = mulf $total -1.0 }}{{ end }}
{{- ceil $total | int64 }}
{{- end }}

{{/* The termination grace period: see terminationGracePeriodSeconds in values.yaml. */}}
{{- define "nats-bridge.gracePeriod" -}}
{{- $drain := include "nats-bridge.seconds" .Values.shutdownTimeout | int64 }}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add $drain 15 }}
{{- else }}
{{- int64 .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/*
maxReplicas is the most replicas that can run: the autoscaler's maximum
when one is on, replicaCount otherwise.
*/}}
{{- define "nats-bridge.maxReplicas" -}}
{{- if .Values.keda.enabled }}{{ int64 .Values.keda.maxReplicaCount }}
{{- else if .Values.autoscaling.enabled }}{{ int64 .Values.autoscaling.maxReplicas }}
{{- else }}{{ int64 .Values.replicaCount }}{{ end }}
{{- end }}

{{/* The ConfigMap holding the non-secret environment. */}}
{{- define "nats-bridge.envConfigMap" -}}
{{ include "nats-bridge.fullname" . }}-env
{{- end }}
