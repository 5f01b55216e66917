/**
 * `kubectl top` for code: pod and node usage from `metrics.k8s.io/v1beta1`
 * (served by metrics-server through the aggregation layer), with CPU in
 * cores and memory in bytes parsed from Kubernetes quantities (`250m`,
 * `128Mi`). A cluster without metrics-server answers 404 (or 503 while its
 * APIService is not available): that becomes a {@link MetricsError}
 * `MetricsUnavailable` that says so, not a JSON or HTTP error.
 *
 * Permissions: whatever the transport needs; RBAC: `list` (or `get`) on
 * `pods` / `nodes` of the `metrics.k8s.io` group.
 *
 * @example Print each container's usage in a namespace
 * ```ts
 * import { MetricsError, podMetrics } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function top(client: RestClient): Promise<void> {
 *   try {
 *     for (const pod of await podMetrics(client, { namespace: "shop" })) {
 *       for (const c of pod.containers) {
 *         console.log(`${pod.name}/${c.name}: ${c.cpuCores} cores, ${c.memoryBytes} bytes`);
 *       }
 *     }
 *   } catch (err) {
 *     if (err instanceof MetricsError) console.error("install metrics-server first");
 *     else throw err;
 *   }
 * }
 * ```
 *
 * @module
 */

import type { RestClient } from "../contract.ts";
import { KubernetesApiError } from "../errors/mod.ts";
import { MetricsError } from "../errors/metrics_error.ts";
import { apiPath } from "../_wire/api_path.ts";
import { parseQuantity } from "./quantity.ts";

export {
  MetricsError,
  type MetricsErrorReason,
} from "../errors/metrics_error.ts";
export { parseQuantity } from "./quantity.ts";

/** One container's usage (`metrics.k8s.io/v1beta1` `ContainerMetrics`). */
export interface ContainerUsage {
  /** The container. */
  name: string;
  /** The usage as the server wrote it, such as `{ cpu: "250m", memory: "128Mi" }`. */
  usage: Record<string, string>;
  /** CPU in cores (`250m` is 0.25). */
  cpuCores: number;
  /** Memory in bytes (`128Mi` is 134217728). */
  memoryBytes: number;
}

/** A pod's usage (`metrics.k8s.io/v1beta1` `PodMetrics`). */
export interface PodUsage {
  /** The pod. */
  name: string;
  /** Its namespace. */
  namespace: string;
  /** When the samples were taken (RFC 3339). */
  timestamp: string;
  /** Over how long they were averaged, such as `30s`. */
  window: string;
  /** Per container. */
  containers: ContainerUsage[];
}

/** A node's usage (`metrics.k8s.io/v1beta1` `NodeMetrics`). */
export interface NodeUsage {
  /** The node. */
  name: string;
  /** When the samples were taken (RFC 3339). */
  timestamp: string;
  /** Over how long they were averaged. */
  window: string;
  /** The usage as the server wrote it. */
  usage: Record<string, string>;
  /** CPU in cores. */
  cpuCores: number;
  /** Memory in bytes. */
  memoryBytes: number;
}

/** Which metrics to read. */
export interface MetricsOptions {
  /** One object by name. @default {every one (a list)} */
  name?: string;
  /** Only objects with these labels, such as `app=web`. @default {no filter} */
  labelSelector?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** Which pod metrics to read. */
export interface PodMetricsOptions extends MetricsOptions {
  /** The namespace. @default {the client's `defaultNamespace`, then `"default"`} */
  namespace?: string;
  /** Every namespace (`kubectl top pod -A`); `namespace` is ignored. @default {false} */
  allNamespaces?: boolean;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj =>
  v && typeof v === "object" && !Array.isArray(v) ? v as Obj : {};

function usageOf(u: unknown, where: string): {
  usage: Record<string, string>;
  cpuCores: number;
  memoryBytes: number;
} {
  const usage = obj(u) as Record<string, string>;
  return {
    usage,
    cpuCores: parseQuantity(usage.cpu ?? "0", `${where} usage.cpu`),
    memoryBytes: parseQuantity(usage.memory ?? "0", `${where} usage.memory`),
  };
}

async function read(
  client: RestClient,
  path: string,
  options: MetricsOptions,
): Promise<Obj[]> {
  const query = new URLSearchParams();
  if (options.labelSelector) query.set("labelSelector", options.labelSelector);
  let answer: unknown;
  try {
    answer = await client.performRequest({
      method: "GET",
      path,
      querystring: query,
      expectJson: true,
      abortSignal: options.signal,
    });
  } catch (err) {
    // A 404 that names an object is metrics-server's: the pod or node does
    // not exist (group "", `pods "ns/name" not found`) or has no sample yet
    // (group metrics.k8s.io). The apiserver's own 404 for a group it does
    // not serve names none.
    if (
      err instanceof KubernetesApiError &&
      (err.httpCode === 503 ||
        err.httpCode === 404 && err.status.details?.name === undefined)
    ) {
      throw new MetricsError(
        "MetricsUnavailable",
        `GET ${path}`,
        `the cluster serves no metrics.k8s.io (HTTP ${err.httpCode}): metrics-server is not installed or not answering; kubectl top needs the same`,
        err,
      );
    }
    throw err;
  }
  const o = obj(answer);
  return options.name ? [o] : (Array.isArray(o.items) ? o.items : []).map(obj);
}

/**
 * Reads pods' CPU and memory usage, as `kubectl top pod` does.
 *
 * @param client Any transport.
 * @param options Namespace (or all), one pod by name, a label selector, a signal.
 * @returns Each pod's usage, per container.
 * @throws {MetricsError} `MetricsUnavailable` when the cluster serves no `metrics.k8s.io`.
 * @throws {KubernetesApiError} When metrics-server answers 404 for the named pod (no such pod, or no sample of it yet) or access is refused (403).
 * @throws {RangeError} When the server wrote a usage that is not a quantity.
 */
export async function podMetrics(
  client: RestClient,
  options: PodMetricsOptions = {},
): Promise<PodUsage[]> {
  const namespace = options.allNamespaces
    ? undefined
    : options.namespace ?? client.defaultNamespace ?? "default";
  const path = apiPath({
    apiVersion: "metrics.k8s.io/v1beta1",
    resource: "pods",
    ...(namespace ? { namespace } : {}),
    ...(options.name ? { name: options.name } : {}),
  });
  return (await read(client, path, options)).map((p) => {
    const meta = obj(p.metadata);
    const where = `pod ${meta.namespace}/${meta.name}`;
    return {
      name: String(meta.name ?? ""),
      namespace: String(meta.namespace ?? ""),
      timestamp: String(p.timestamp ?? ""),
      window: String(p.window ?? ""),
      containers: (Array.isArray(p.containers) ? p.containers : []).map(
        (c) => {
          const name = String(obj(c).name ?? "");
          return {
            name,
            ...usageOf(obj(c).usage, `${where} container ${name}`),
          };
        },
      ),
    };
  });
}

/**
 * Reads nodes' CPU and memory usage, as `kubectl top node` does.
 *
 * @param client Any transport.
 * @param options One node by name, a label selector, a signal.
 * @returns Each node's usage.
 * @throws {MetricsError} `MetricsUnavailable` when the cluster serves no `metrics.k8s.io`.
 * @throws {KubernetesApiError} When metrics-server answers 404 for the named node (no such node, or no sample of it yet) or access is refused (403).
 * @throws {RangeError} When the server wrote a usage that is not a quantity.
 */
export async function nodeMetrics(
  client: RestClient,
  options: MetricsOptions = {},
): Promise<NodeUsage[]> {
  const path = apiPath({
    apiVersion: "metrics.k8s.io/v1beta1",
    resource: "nodes",
    ...(options.name ? { name: options.name } : {}),
  });
  return (await read(client, path, options)).map((n) => {
    const meta = obj(n.metadata);
    return {
      name: String(meta.name ?? ""),
      timestamp: String(n.timestamp ?? ""),
      window: String(n.window ?? ""),
      ...usageOf(n.usage, `node ${meta.name}`),
    };
  });
}
