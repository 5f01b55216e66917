// The order apply writes objects in: Namespaces, CRDs, then Helm's install
// order, then everything else.

import type { KubernetesObject } from "./kubernetes_object.ts";

/**
 * The kinds Helm installs first, in its order; anything else after them,
 * in the order given. Namespaces and CRDs are applied in a phase of their own.
 */
const installOrder = [
  "Namespace",
  "NetworkPolicy",
  "ResourceQuota",
  "LimitRange",
  "PodSecurityPolicy",
  "PodDisruptionBudget",
  "ServiceAccount",
  "Secret",
  "ConfigMap",
  "StorageClass",
  "PersistentVolume",
  "PersistentVolumeClaim",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
  "Service",
  "DaemonSet",
  "Pod",
  "ReplicationController",
  "ReplicaSet",
  "Deployment",
  "HorizontalPodAutoscaler",
  "StatefulSet",
  "Job",
  "CronJob",
  "IngressClass",
  "Ingress",
  "APIService",
];
const rankOf = new Map(installOrder.map((k, i) => [k, i]));

/** Whether the object is a CustomResourceDefinition. */
export function isCrd(obj: KubernetesObject): boolean {
  return obj.kind === "CustomResourceDefinition" &&
    obj.apiVersion.startsWith("apiextensions.k8s.io/");
}

/** Whether the object is a Namespace. */
export function isNamespace(obj: KubernetesObject): boolean {
  return obj.kind === "Namespace" && obj.apiVersion === "v1";
}

/**
 * The objects in the order {@link apply} applies them: Namespaces, CRDs,
 * then Helm's install order, then everything else; stable otherwise.
 *
 * @param objects The objects.
 * @returns A new array, sorted.
 */
export function applyOrder<T extends KubernetesObject>(objects: T[]): T[] {
  const rank = (o: T) =>
    isNamespace(o)
      ? -2
      : isCrd(o)
      ? -1
      : rankOf.get(o.kind) ?? installOrder.length;
  return objects.map((o, i) => ({ o, i })).sort((a, b) =>
    rank(a.o) - rank(b.o) || a.i - b.i
  ).map((x) => x.o);
}
