// A workload's pods, the way kubectl finds them for `logs deploy/NAME`,
// `exec svc/NAME` and `port-forward svc/NAME`: read the workload, take its
// selector (a Service's plain map; the structured selector of a
// Deployment, StatefulSet, DaemonSet, ReplicaSet or Job), list the pods it
// matches. The one place tunnels resolve a workload to pods.

import type { RestClient } from "../contract.ts";
import { TunnelError, type TunnelTarget } from "./tunnel_error.ts";
import { apiPath } from "../_wire/api_path.ts";
import {
  asObj,
  type LabelSelectorLike,
  type PodLike,
  selectorString,
} from "./_forward_resolve.ts";

/** A kind whose pods a tunnel helper can find. */
export type WorkloadKind =
  | "Service"
  | "Deployment"
  | "StatefulSet"
  | "DaemonSet"
  | "ReplicaSet"
  | "Job";

/** The kinds whose pods a tunnel helper can find, and their API versions. */
const KINDS: Record<WorkloadKind, { apiVersion: string; resource: string }> = {
  Service: { apiVersion: "v1", resource: "services" },
  Deployment: { apiVersion: "apps/v1", resource: "deployments" },
  StatefulSet: { apiVersion: "apps/v1", resource: "statefulsets" },
  DaemonSet: { apiVersion: "apps/v1", resource: "daemonsets" },
  ReplicaSet: { apiVersion: "apps/v1", resource: "replicasets" },
  Job: { apiVersion: "batch/v1", resource: "jobs" },
};

/** A workload by kind and name, or pods by a label selector (`app=web`). */
export type WorkloadRef =
  | { kind: WorkloadKind; name: string }
  | { selector: string };

/** How a workload is named in messages: `deployment/web`, or `pods app=web`. */
export function workloadVia(ref: WorkloadRef): string {
  return "selector" in ref
    ? `pods ${ref.selector}`
    : `${ref.kind.toLowerCase()}/${ref.name}`;
}

/**
 * Reads a workload and returns its object and selector.
 *
 * @throws {TunnelError} `NoSelector` for an ExternalName Service, a Service without a selector, or an empty selector.
 * @throws {TypeError} For a kind that has no pods to find.
 * @throws {KubernetesApiError} When the workload is missing (404) or access is refused.
 */
export async function readWorkload(
  client: RestClient,
  namespace: string,
  ref: WorkloadRef,
  where: TunnelTarget,
  signal?: AbortSignal,
): Promise<{ selector: string; object: Record<string, unknown> }> {
  if ("selector" in ref) {
    if (!ref.selector.trim()) {
      throw new TunnelError("NoSelector", where, "the label selector is empty");
    }
    return { selector: ref.selector, object: {} };
  }
  const kind = KINDS[ref.kind];
  if (!kind) {
    throw new TypeError(
      `${where.namespace}/${where.via}: expected a Service, Deployment, StatefulSet, DaemonSet, ReplicaSet or Job, found ${ref.kind}`,
    );
  }
  const object = asObj(
    await client.performRequest({
      method: "GET",
      path: apiPath({ ...kind, namespace, name: ref.name }),
      expectJson: true,
      abortSignal: signal,
    }),
  );
  const spec = asObj(object.spec);
  if (ref.kind === "Service") {
    if (spec.type === "ExternalName") {
      throw new TunnelError(
        "NoSelector",
        where,
        "an ExternalName service has no pods",
      );
    }
    const selector = selectorString(
      asObj(spec.selector) as Record<string, string>,
      where,
    );
    if (!selector) {
      throw new TunnelError(
        "NoSelector",
        where,
        "the service has no selector, so no pods",
      );
    }
    return { selector, object };
  }
  const selector = selectorString(
    asObj(spec.selector) as LabelSelectorLike,
    where,
  );
  if (!selector) {
    throw new TunnelError("NoSelector", where, "the selector is empty");
  }
  return { selector, object };
}

/** Lists the pods a selector matches in a namespace. */
export async function listPods(
  client: RestClient,
  namespace: string,
  selector: string,
  signal?: AbortSignal,
): Promise<PodLike[]> {
  const list = asObj(
    await client.performRequest({
      method: "GET",
      path: apiPath({ version: "v1", resource: "pods", namespace }),
      querystring: new URLSearchParams({ labelSelector: selector }),
      expectJson: true,
      abortSignal: signal,
    }),
  );
  return (Array.isArray(list.items) ? list.items : []) as PodLike[];
}
