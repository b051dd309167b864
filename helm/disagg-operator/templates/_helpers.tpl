{{/* Chart name, truncated to 63 characters. */}}
{{- define "disagg-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart name>, or the release name when it already contains the chart name.
Truncated to 63 characters (DNS label limit of some name fields).
*/}}
{{- define "disagg-operator.fullname" -}}
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

{{/* Name of cluster-scoped objects: the full name plus the release namespace, unique per installation. */}}
{{- define "disagg-operator.clusterName" -}}
{{- printf "%s-%s" (include "disagg-operator.fullname" .) .Release.Namespace | trunc 253 | trimSuffix "-" }}
{{- end }}

{{- define "disagg-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Standard labels of every object. */}}
{{- define "disagg-operator.labels" -}}
helm.sh/chart: {{ include "disagg-operator.chart" . }}
app.kubernetes.io/name: {{ include "disagg-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: disagg-operator
{{- end }}

{{/* Selector labels of the operator pods. */}}
{{- define "disagg-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "disagg-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* Selector labels of the bundled etcd. */}}
{{- define "disagg-operator.etcdSelectorLabels" -}}
app.kubernetes.io/name: {{ include "disagg-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: etcd
{{- end }}

{{- define "disagg-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "disagg-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "disagg-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "disagg-operator.etcdName" -}}
{{- printf "%s-etcd" (include "disagg-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The operator's default etcd endpoints: the values list, else the bundled etcd's Service, else empty. */}}
{{- define "disagg-operator.defaultEtcdEndpoints" -}}
{{- if .Values.discovery.defaultEtcdEndpoints }}
{{- join "," .Values.discovery.defaultEtcdEndpoints }}
{{- else if .Values.etcd.enabled }}
{{- printf "%s.%s.svc:2379" (include "disagg-operator.etcdName" .) .Release.Namespace }}
{{- end }}
{{- end }}

{{/* DISAGG_MONITORING_POD_MONITOR_LABELS: comma-separated key=value, keys sorted. */}}
{{- define "disagg-operator.podMonitorLabels" -}}
{{- $pairs := list }}
{{- range $k, $v := . }}
{{- $pairs = append $pairs (printf "%s=%s" $k $v) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/* QUARKUS_OPERATOR_SDK_CONTROLLERS_DISAGGCLUSTER_NAMESPACES */}}
{{- define "disagg-operator.watchNamespaces" -}}
{{- if .Values.watchNamespaces }}
{{- join "," .Values.watchNamespaces }}
{{- else }}
{{- "JOSDK_ALL_NAMESPACES" }}
{{- end }}
{{- end }}

{{/*
DISAGG_NETWORK_POLICY_OPERATOR_PEERS: the operator's pods as a JSON array of NetworkPolicyPeer
(their namespace by its kubernetes.io/metadata.name label, their selector labels).
*/}}
{{- define "disagg-operator.operatorPeers" -}}
{{- $pods := dict "matchLabels" (include "disagg-operator.selectorLabels" . | fromYaml) }}
{{- $ns := dict "matchLabels" (dict "kubernetes.io/metadata.name" .Release.Namespace) }}
{{- list (dict "namespaceSelector" $ns "podSelector" $pods) | toJson }}
{{- end }}
