{{/*
The bridge's configuration: values to environment variables (see
docs/configuration.md). Secret values never pass through here: the chart
only knows in which Secret and key they are, and either mounts them as files
(secretFiles) or refers to them with secretKeyRef.
*/}}

{{/* Where the Secret volume is mounted. */}}
{{- define "nats-bridge.secretsDir" -}}/etc/nats-bridge/secrets{{- end }}

{{/*
routeKeys maps the keys of a routes entry to the suffixes of
BRIDGE_ROUTE_<i>_*, in the order they are rendered.
*/}}
{{- define "nats-bridge.routeKeys" -}}
name: NAME
in: IN
out: OUT
queue: QUEUE
jq: JQ
dlq: DLQ
buffer: BUFFER
overflow: OVERFLOW
workers: WORKERS
timeout: TIMEOUT
stream: STREAM
durable: DURABLE
maxDeliver: MAX_DELIVER
ackWait: ACK_WAIT
dedup: DEDUP
emit: EMIT
orderBy: ORDER_BY
inConn: IN_CONN
outConn: OUT_CONN
replyTimeout: REPLY_TIMEOUT
{{- end }}

{{/* routeKeyOrder lists the keys of routeKeys in order (dict keys are unordered). */}}
{{- define "nats-bridge.routeKeyOrder" -}}
name in out queue jq dlq buffer overflow workers timeout stream durable maxDeliver ackWait dedup emit orderBy inConn outConn replyTimeout
{{- end }}

{{/*
connections lists every NATS connection as a JSON array: the default one
(values nats, variables NATS_*) first, then those of values connections
(BRIDGE_CONN_<k>_*).
*/}}
{{- define "nats-bridge.connections" -}}
{{- $conns := list (dict "name" "default" "prefix" "NATS_" "spec" .Values.nats "where" "nats") }}
{{- range $k, $c := .Values.connections }}
{{- $conns = append $conns (dict "name" $c.name "prefix" (printf "BRIDGE_CONN_%d_" $k) "spec" $c "where" (printf "connections[%d]" $k)) }}
{{- end }}
{{- toJson $conns }}
{{- end }}

{{/*
secretItems lists, as a JSON array, every Secret key the bridge reads:
  var     the variable (NATS_PASSWORD_FILE, BRIDGE_CONN_0_TLS_CA...)
  secret  the Secret's name, key its key
  path    where the key is mounted (under secretsDir), or
  env     true when it is passed by secretKeyRef instead (secretFiles false)
*/}}
{{- define "nats-bridge.secretItems" -}}
{{- $items := list }}
{{- $dir := include "nats-bridge.secretsDir" . }}
{{- range $c := include "nats-bridge.connections" . | fromJsonArray }}
{{- $spec := $c.spec }}
{{- $refs := list
  (dict "ref" $spec.password "var" "PASSWORD" "file" "password" "isFile" false)
  (dict "ref" $spec.token "var" "TOKEN" "file" "token" "isFile" false)
  (dict "ref" $spec.creds "var" "CREDS" "file" "creds" "isFile" true)
  (dict "ref" $spec.nkey "var" "NKEY" "file" "nkey" "isFile" true)
  (dict "ref" (dig "tls" "ca" nil $spec) "var" "TLS_CA" "file" "tls-ca" "isFile" true)
  (dict "ref" (dig "tls" "cert" nil $spec) "var" "TLS_CERT" "file" "tls-cert" "isFile" true)
  (dict "ref" (dig "tls" "key" nil $spec) "var" "TLS_KEY" "file" "tls-key" "isFile" true) }}
{{- range $r := $refs }}
{{- $ref := $r.ref | default dict }}
{{- if $ref.existingSecret }}
{{- $item := dict "secret" $ref.existingSecret "key" (required (printf "%s: the key of Secret %s is empty" $c.where $ref.existingSecret) $ref.key) }}
{{- if or $r.isFile $.Values.secretFiles }}
{{- $_ := set $item "path" (printf "%s/%s/%s" $dir $c.name $r.file) }}
{{- $_ := set $item "var" (printf "%s%s%s" $c.prefix $r.var (ternary "" "_FILE" $r.isFile)) }}
{{- else }}
{{- $_ := set $item "env" true }}
{{- $_ := set $item "var" (printf "%s%s" $c.prefix $r.var) }}
{{- end }}
{{- $items = append $items $item }}
{{- end }}
{{- end }}
{{- end }}
{{- toJson $items }}
{{- end }}

{{/*
env renders the non-secret environment as YAML "KEY: value" lines, for the
data of the env ConfigMap.
*/}}
{{- define "nats-bridge.env" -}}
{{- $v := .Values -}}
NATS_URL: {{ required "nats.url is required: on Kubernetes the chart never runs the bridge's embedded NATS server" $v.nats.url | quote }}
{{- with $v.nats.user }}
NATS_USER: {{ . | quote }}
{{- end }}
{{- with $v.nats.pingInterval }}
NATS_PING_INTERVAL: {{ . | quote }}
{{- end }}
{{- if not (kindIs "invalid" $v.nats.maxPingsOut) }}
NATS_MAX_PINGS_OUT: {{ include "nats-bridge.envValue" $v.nats.maxPingsOut | quote }}
{{- end }}
BRIDGE_METRICS_ADDR: {{ printf ":%d" (int64 $v.metrics.port) | quote }}
BRIDGE_SHUTDOWN_TIMEOUT: {{ $v.shutdownTimeout | quote }}
BRIDGE_LOG_LEVEL: {{ $v.logLevel | quote }}
BRIDGE_LOG_FORMAT: {{ $v.logFormat | quote }}
{{- range $k, $c := $v.connections }}
BRIDGE_CONN_{{ $k }}_NAME: {{ $c.name | quote }}
BRIDGE_CONN_{{ $k }}_URL: {{ $c.url | quote }}
{{- with $c.user }}
BRIDGE_CONN_{{ $k }}_USER: {{ . | quote }}
{{- end }}
{{- end }}
{{- range $item := include "nats-bridge.secretItems" . | fromJsonArray }}
{{- if not $item.env }}
{{ $item.var }}: {{ $item.path | quote }}
{{- end }}
{{- end }}
{{- $keys := include "nats-bridge.routeKeys" . | fromYaml }}
{{- range $i, $r := $v.routes }}
{{- range $key := include "nats-bridge.routeKeyOrder" $ | splitList " " }}
{{- $val := get $r $key }}
{{- if and (not (kindIs "invalid" $val)) (ne (toString $val) "") }}
BRIDGE_ROUTE_{{ $i }}_{{ get $keys $key }}: {{ include "nats-bridge.envValue" $val | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* secretEnv renders the env entries of the secrets passed by secretKeyRef. */}}
{{- define "nats-bridge.secretEnv" -}}
{{- range $item := include "nats-bridge.secretItems" . | fromJsonArray }}
{{- if $item.env }}
- name: {{ $item.var }}
  valueFrom:
    secretKeyRef:
      name: {{ $item.secret | quote }}
      key: {{ $item.key | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* secretVolume renders the projected volume of the mounted Secret keys, if any. */}}
{{- define "nats-bridge.secretVolume" -}}
{{- $sources := list }}
{{- range $item := include "nats-bridge.secretItems" . | fromJsonArray }}
{{- if not $item.env }}
{{- $rel := trimPrefix (printf "%s/" (include "nats-bridge.secretsDir" $)) $item.path }}
{{- $sources = append $sources (dict "secret" (dict "name" $item.secret "items" (list (dict "key" $item.key "path" $rel)))) }}
{{- end }}
{{- end }}
{{- if $sources }}
- name: secrets
  projected:
    # Readable by the pod's fsGroup, not by other users.
    defaultMode: 0440
    sources:
      {{- toYaml $sources | nindent 6 }}
{{- end }}
{{- end }}
