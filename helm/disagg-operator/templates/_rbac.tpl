{{/*
The operator's permissions in the namespaces it watches: ONE RULE PER RESOURCE (apiGroup +
resource), so each grant can be read, tested and trimmed on its own. This is the only place
that lists them; rbac.yaml renders them into a ClusterRole (watchNamespaces empty) or into one
Role per watched namespace.
*/}}
{{- define "disagg-operator.rules" -}}
# The DisaggCluster resource: read and watch, finalizers and metadata via patch/update.
- apiGroups: ["serving.disagg.io"]
  resources: ["disaggclusters"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["serving.disagg.io"]
  resources: ["disaggclusters/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["serving.disagg.io"]
  resources: ["disaggclusters/finalizers"]
  verbs: ["update"]
# Children of a DisaggCluster (dependent resources), all owned by it.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
# Worker and router pods: readiness, IPs (metrics of draining workers), scheduling failures.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
# Events on DisaggClusters (condition changes, errors).
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- if .Values.rbac.readEtcdSecrets }}
# spec.discovery.etcd.tlsSecretRef / authSecretRef (rbac.readEtcdSecrets).
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
{{- end }}
{{- end }}

{{/* Leader election: the Lease in the release namespace. */}}
{{- define "disagg-operator.leaderElectionRules" -}}
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "create", "update"]
{{- end }}

{{- define "disagg-operator.subjects" -}}
- kind: ServiceAccount
  name: {{ include "disagg-operator.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}
