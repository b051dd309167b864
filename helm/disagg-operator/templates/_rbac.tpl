{{/*
The operator's permissions in the namespaces it watches: ONE RULE PER RESOURCE (apiGroup +
resource), so each grant can be read, tested and trimmed on its own. This is the only place
that lists them; rbac.yaml renders them into a ClusterRole (watchNamespaces empty) or into one
Role per watched namespace.
*/}}
{{- define "disagg-operator.rules" -}}
# Exactly the verbs the operator uses: ChartRbacIT runs the operator as this ServiceAccount through a
# DisaggCluster's life (create, config change, scale up, drain, a rollout of a new pairing revision,
# delete), fails on any refused request,
# fails on any verb granted here but not used, and fails when any one rule is removed.
# Reads come from informers (list + watch), never single gets. Children are server-side applied (a PATCH,
# which needs create as well when it creates the object), except ConfigMaps, which JOSDK creates and
# updates without SSA. The operator deletes only the StatefulSets, router Deployment and ConfigMaps of
# a pairing revision it retired (at 0, no pod left, owned by the DisaggCluster); everything else goes
# with its DisaggCluster through owner references (garbage collection), and the operator adds no
# finalizer.
- apiGroups: ["serving.disagg.io"]
  resources: ["disaggclusters"]
  verbs: ["list", "watch"]
- apiGroups: ["serving.disagg.io"]
  resources: ["disaggclusters/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["list", "watch", "create", "update", "delete"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["list", "watch", "create", "patch"]
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["list", "watch", "create", "patch"]
# Worker and router pods: readiness, IPs (metrics of draining workers), scheduling failures;
# delete: restarting a worker that is Ready but not registered in etcd (spec.selfHealing).
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch", "delete"]
# The last lines of a worker container's log, read only while the container runs, has started and is
# not ready: TensorRT-LLM names a poisoned KV-cache transfer buffer there and nowhere else.
- apiGroups: [""]
  resources: ["pods/log"]
  verbs: ["get"]
# PodMonitors <name>-workers and <name>-router (spec.monitoring.podMonitors), server-side applied;
# deleted when a DisaggCluster turns them off. Harmless where the Prometheus Operator is not installed.
- apiGroups: ["monitoring.coreos.com"]
  resources: ["podmonitors"]
  verbs: ["list", "watch", "create", "patch", "delete"]
# NetworkPolicies <name>-workers and <name>-router (spec.networkPolicy), server-side applied; deleted
# when a DisaggCluster turns them off.
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["list", "watch", "create", "patch", "delete"]
# spec.modelCache: the claim the operator creates (server-side applied; never deleted: it holds the
# downloaded weights and outlives the DisaggCluster unless deleteClaimWithCluster gives it an owner
# reference), and the download Job of each model identity (never updated nor deleted by the
# operator: it goes with its DisaggCluster through its owner reference).
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["list", "watch", "create", "patch"]
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["list", "watch", "create", "patch"]
# Events on DisaggClusters (condition changes, errors); each is created, never patched.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- if .Values.rbac.readEtcdSecrets }}
# spec.discovery.etcd.tlsSecretRef / authSecretRef (rbac.readEtcdSecrets).
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
{{- end }}
{{- end }}

{{/* Leader election: the Lease in the release namespace. */}}
{{- define "disagg-operator.leaderElectionRules" -}}
# Fabric8's LeaseLock gets, creates and patches the Lease; JOSDK checks for update (with a
# SelfSubjectRulesReview) before it starts electing and refuses to start without it.
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "create", "update", "patch"]
{{- end }}

{{- define "disagg-operator.subjects" -}}
- kind: ServiceAccount
  name: {{ include "disagg-operator.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}
