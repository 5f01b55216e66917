/**
 * The in-cluster transport: a pod's service account. The server comes from
 * `KUBERNETES_SERVICE_HOST` / `KUBERNETES_SERVICE_PORT` (the
 * `https://kubernetes.default.svc` name only when they are unset), the CA and
 * namespace from the mounted secrets, and the token is re-read at most every
 * minute, so rotated bound tokens are picked up.
 *
 * Deno permissions: `--allow-read=/var/run/secrets/kubernetes.io/serviceaccount`,
 * `--allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT`, `--allow-net`.
 * Permissions are queried, never prompted for.
 *
 * @module
 */

import { KubeConfig } from "../lib/config/kube_config.ts";
import {
  KubeConfigRestClient,
  type KubeConfigRestClientOptions,
} from "./kubeconfig.ts";

/** Options for {@link InClusterRestClient.create}. */
export interface InClusterOptions extends KubeConfigRestClientOptions {
  /** Where the token, `ca.crt` and `namespace` are. @default {"/var/run/secrets/kubernetes.io/serviceaccount"} */
  secretsPath?: string;
  /** The API server URL. @default {from KUBERNETES_SERVICE_HOST/PORT, else https://kubernetes.default.svc} */
  baseUrl?: string;
}

/**
 * A {@link KubeConfigRestClient} authenticated as the pod's service account.
 *
 * @example
 * ```ts
 * import { InClusterRestClient } from "@denokube/transport/transports";
 *
 * using client = await InClusterRestClient.create();
 * console.log(client.defaultNamespace); // the pod's namespace
 * ```
 */
export class InClusterRestClient extends KubeConfigRestClient {
  /**
   * Builds the client from the mounted service-account files.
   *
   * @param opts Secrets directory, server override, client options.
   * @returns The client.
   * @throws {KubeConfigError} When not in a pod, or read permission for the secrets is missing.
   */
  static async create(
    opts: InClusterOptions = {},
  ): Promise<InClusterRestClient> {
    const { secretsPath, baseUrl, ...options } = opts;
    const config = await KubeConfig.getInClusterConfig({
      secretsPath,
      baseUrl,
    });
    return await InClusterRestClient.forKubeConfig(
      config,
      undefined,
      options,
    ) as InClusterRestClient;
  }
}
