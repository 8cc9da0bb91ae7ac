{{/* Labels on every object. */}}
{{- define "unimog.labels" -}}
app.kubernetes.io/name: unimog
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{/* Pod selector of one component; called with (dict "root" $ "name" "encoder"). */}}
{{- define "unimog.selectorLabels" -}}
app.kubernetes.io/name: unimog
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{/* Environment every container gets: ports, and where each service is (DNS of its headless Service). */}}
{{- define "unimog.commonEnv" -}}
- name: Hosting__GrpcPort
  value: {{ .Values.ports.grpc | quote }}
- name: Hosting__MetricsPort
  value: {{ .Values.ports.metrics | quote }}
{{- range $name, $svc := .Values.services }}
- name: Services__{{ $name }}__Address
  value: "dns:///{{ $.Release.Name }}-{{ $name }}-headless:{{ $.Values.ports.grpc }}"
{{- end }}
{{- end }}

{{/* Container security settings shared by services and jobs. */}}
{{- define "unimog.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end }}

{{/* resources with nvidia.com/gpu added to the limits; called with a service or job values map. */}}
{{- define "unimog.resources" -}}
{{- with .resources.requests -}}
requests:
  {{- toYaml . | nindent 2 }}
{{- end }}
limits:
  {{- with .resources.limits }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  {{- if gt (int .gpu) 0 }}
  nvidia.com/gpu: {{ .gpu }}
  {{- end }}
{{- end }}
