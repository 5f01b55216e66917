/**
 * A Kubernetes transport library for Deno: authenticated requests to the
 * Kubernetes API through one {@link RestClient} contract that generated API
 * layers call for every request.
 *
 * Every non-2xx answer, on every transport, rejects with a
 * {@link KubernetesApiError} that carries the Kubernetes `Status`.
 *
 * @example Handling a missing object
 * ```ts
 * import { KubernetesApiError, type RestClient } from "@denokube/transport";
 *
 * async function podExists(client: RestClient, ns: string, name: string): Promise<boolean> {
 *   try {
 *     await client.performRequest({
 *       method: "GET",
 *       path: `/api/v1/namespaces/${ns}/pods/${name}`,
 *       expectJson: true,
 *     });
 *     return true;
 *   } catch (err) {
 *     if (err instanceof KubernetesApiError && err.isNotFound()) return false;
 *     throw err;
 *   }
 * }
 * ```
 *
 * @module
 */

export * from "./lib/contract.ts";
export * from "./lib/errors.ts";
export * from "./lib/pagination.ts";
export * from "./lib/kubeconfig.ts";
export * from "./lib/kubeconfig_contexts.ts";
export * from "./lib/credentials.ts";
export * from "./lib/exec_credential.ts";
export * from "./lib/stream_transformers.ts";
export * from "./transports/kubeconfig.ts";
export * from "./transports/kubectl_raw.ts";
export * from "./transports/kubectl_proxy.ts";
export * from "./transports/in_cluster.ts";
export * from "./transports/auto_detect.ts";
export * from "./lib/backoff.ts";
export * from "./lib/reflector.ts";
export * from "./lib/list_watch.ts";
export * from "./lib/exec.ts";
export * from "./lib/port_forward.ts";
export * from "./lib/port_forward_service.ts";
export * from "./lib/tunnel_error.ts";
export * from "./lib/kubernetes_object.ts";
export * from "./lib/discovery.ts";
export * from "./lib/rest_mapper.ts";
export * from "./lib/dynamic_client.ts";
export * from "./lib/manifest.ts";
export * from "./lib/apply.ts";
export * from "./lib/wait.ts";
export * from "./lib/scale.ts";
export * from "./lib/logs.ts";
