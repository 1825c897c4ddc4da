{{/*
validate fails the render on values that the schema cannot express and that
would deploy something broken. It renders nothing.
*/}}

{{/* routeName is the route's NAME as the bridge defaults it: route<i>. */}}
{{- define "nats-bridge.routeName" -}}
{{- default (printf "route%d" (int .i)) .r.name }}
{{- end }}

{{/* durable is the route's DURABLE as the bridge defaults it: bridge-<name>, '.' as '_'. */}}
{{- define "nats-bridge.durable" -}}
{{- default (printf "bridge-%s" (include "nats-bridge.routeName" . | replace "." "_")) .r.durable }}
{{- end }}

{{- define "nats-bridge.validate" -}}
{{- $v := .Values }}
{{- if not $v.routes }}
{{- fail "routes: configure at least one route (see values.yaml)" }}
{{- end }}

{{- /* Routes. */}}
{{- $keys := include "nats-bridge.routeKeys" . | fromYaml }}
{{- $connNames := list "default" }}
{{- range $c := $v.connections }}
{{- if has $c.name $connNames }}
{{- fail (printf "connections: the name %q is used twice (default is the connection of nats)" $c.name) }}
{{- end }}
{{- $connNames = append $connNames $c.name }}
{{- end }}
{{- $names := dict }}
{{- range $i, $r := $v.routes }}
{{- range $key, $_ := $r }}
{{- if and (not (hasKey $keys $key)) (ne $key "keda") }}
{{- fail (printf "routes[%d]: unknown key %q" $i $key) }}
{{- end }}
{{- end }}
{{- $name := include "nats-bridge.routeName" (dict "i" $i "r" $r) }}
{{- if hasKey $names $name }}
{{- fail (printf "routes[%d]: the name %q is already used by routes[%v]" $i $name (get $names $name)) }}
{{- end }}
{{- $_ := set $names $name $i }}
{{- range $ck := list "inConn" "outConn" }}
{{- $cn := get $r $ck }}
{{- if and $cn (not (has $cn $connNames)) }}
{{- fail (printf "routes[%d].%s: no connection is named %q (names: %s)" $i $ck $cn (join ", " $connNames)) }}
{{- end }}
{{- end }}
{{- end }}

{{- /* Credentials, per connection: the rules of the bridge's loader, at install time. */}}
{{- range $c := include "nats-bridge.connections" . | fromJsonArray }}
{{- $s := $c.spec }}
{{- $pw := dig "password" "existingSecret" "" $s }}
{{- if and $s.user (not $pw) }}
{{- fail (printf "%s.user is set but %s.password.existingSecret is not" $c.where $c.where) }}
{{- end }}
{{- if and $pw (not $s.user) }}
{{- fail (printf "%s.password is set but %s.user is not" $c.where $c.where) }}
{{- end }}
{{- if and (dig "token" "existingSecret" "" $s) $s.user }}
{{- fail (printf "%s: token cannot be combined with user and password" $c.where) }}
{{- end }}
{{- if and (dig "nkey" "existingSecret" "" $s) (dig "creds" "existingSecret" "" $s) }}
{{- fail (printf "%s: nkey cannot be combined with creds" $c.where) }}
{{- end }}
{{- if ne (empty (dig "tls" "cert" "existingSecret" "" $s)) (empty (dig "tls" "key" "existingSecret" "" $s)) }}
{{- fail (printf "%s.tls: cert and key go together" $c.where) }}
{{- end }}
{{- end }}

{{- /* Shutdown. */}}
{{- $drain := include "nats-bridge.seconds" $v.shutdownTimeout | int64 }}
{{- if le $drain 0 }}
{{- fail (printf "shutdownTimeout must be positive, got %q" $v.shutdownTimeout) }}
{{- end }}
{{- $grace := include "nats-bridge.gracePeriod" . | int64 }}
{{- if le $grace $drain }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be above shutdownTimeout (%s), or Kubernetes kills a pod before it has drained" $grace $v.shutdownTimeout) }}
{{- end }}

{{- /* Monitoring. */}}
{{- if and $v.metrics.serviceMonitor.enabled $v.metrics.podMonitor.enabled }}
{{- fail "metrics.serviceMonitor.enabled and metrics.podMonitor.enabled are both true: every replica would be scraped twice; enable one" }}
{{- end }}
{{- if and $v.metrics.serviceMonitor.enabled (not $v.metrics.service.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.service.enabled (a ServiceMonitor scrapes through the Service); or use metrics.podMonitor" }}
{{- end }}

{{- /* Scaling. */}}
{{- if and $v.autoscaling.enabled $v.keda.enabled }}
{{- fail "autoscaling.enabled and keda.enabled are both true: KEDA's ScaledObject creates its own HorizontalPodAutoscaler, and two autoscalers would fight over the replicas; enable one of them" }}
{{- end }}
{{- if $v.autoscaling.enabled }}
{{- $a := $v.autoscaling }}
{{- if gt (int64 $a.minReplicas) (int64 $a.maxReplicas) }}
{{- fail (printf "autoscaling.minReplicas (%d) is above autoscaling.maxReplicas (%d)" (int64 $a.minReplicas) (int64 $a.maxReplicas)) }}
{{- end }}
{{- if and (kindIs "invalid" $a.targetCPUUtilizationPercentage) (kindIs "invalid" $a.targetMemoryUtilizationPercentage) (not $a.metrics) }}
{{- fail "autoscaling.enabled: set targetCPUUtilizationPercentage, targetMemoryUtilizationPercentage or metrics" }}
{{- end }}
{{- if and (not (kindIs "invalid" $a.targetCPUUtilizationPercentage)) (not (dig "requests" "cpu" "" ($v.resources | default dict))) }}
{{- fail "autoscaling.targetCPUUtilizationPercentage needs resources.requests.cpu: utilisation is a percentage of the request" }}
{{- end }}
{{- if and (not (kindIs "invalid" $a.targetMemoryUtilizationPercentage)) (not (dig "requests" "memory" "" ($v.resources | default dict))) }}
{{- fail "autoscaling.targetMemoryUtilizationPercentage needs resources.requests.memory: utilisation is a percentage of the request" }}
{{- end }}
{{- end }}
{{- if $v.keda.enabled }}
{{- $k := $v.keda }}
{{- if gt (int64 $k.minReplicaCount) (int64 $k.maxReplicaCount) }}
{{- fail (printf "keda.minReplicaCount (%d) is above keda.maxReplicaCount (%d)" (int64 $k.minReplicaCount) (int64 $k.maxReplicaCount)) }}
{{- end }}
{{- if and (not (kindIs "invalid" $k.idleReplicaCount)) (ge (int64 $k.idleReplicaCount) (int64 $k.minReplicaCount)) }}
{{- fail (printf "keda.idleReplicaCount (%d) must be below keda.minReplicaCount (%d), as KEDA requires" (int64 $k.idleReplicaCount) (int64 $k.minReplicaCount)) }}
{{- end }}
{{- $conns := dict }}
{{- range $c := include "nats-bridge.connections" . | fromJsonArray }}
{{- $_ := set $conns $c.name $c }}
{{- end }}
{{- range $i, $r := $v.routes }}
{{- $name := include "nats-bridge.routeName" (dict "i" $i "r" $r) }}
{{- if $r.stream }}
{{- $c := get $conns ($r.inConn | default "default") }}
{{- if not $c.spec.monitoringEndpoint }}
{{- fail (printf "keda.enabled: the JetStream route %q reads from connection %q, whose monitoringEndpoint (%s.monitoringEndpoint) is not set; the nats-jetstream trigger needs the server's monitoring host:port" $name $c.name $c.where) }}
{{- end }}
{{- else }}
{{- if eq (int64 $k.minReplicaCount) 0 }}
{{- fail (printf "keda.minReplicaCount is 0 but route %q is a core NATS route: with no replica running, every message published to it is lost (core NATS keeps nothing). Scale to zero only when every route is a JetStream route, or set keda.minReplicaCount to 1" $name) }}
{{- end }}
{{- if and (not (kindIs "invalid" $k.idleReplicaCount)) (eq (int64 $k.idleReplicaCount) 0) }}
{{- fail (printf "keda.idleReplicaCount is 0 but route %q is a core NATS route: with no replica running, every message published to it is lost; unset idleReplicaCount" $name) }}
{{- end }}
{{- if not $k.prometheus.serverAddress }}
{{- fail (printf "keda.enabled: the core route %q scales on the bridge's own gauges, so keda.prometheus.serverAddress must name the Prometheus that scrapes it" $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
