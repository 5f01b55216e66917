/**
 * `autoDetectClient()`: finds a working way to the Kubernetes API wherever the
 * program runs — in a pod, on a laptop, in CI — without ever triggering a
 * permission prompt, and when nothing works says, for every source, what
 * failed and which Deno flag or file would fix it.
 *
 * @module
 */

import { errorText } from "../lib/_internal/error_text.ts";
import type { ClosableRestClient } from "../lib/contract.ts";
import { resolveLog } from "../lib/_internal/log.ts";
import { SERVICE_ACCOUNT_DIR } from "../lib/config/_in_cluster.ts";
import {
  tryInCluster,
  tryKubeConfig,
  tryKubectlProxy,
  tryKubectlRaw,
} from "./auto_detect/_candidates.ts";
import { type Probe, Unusable } from "./auto_detect/_probe.ts";
import {
  type AutoDetectAttempt,
  AutoDetectError,
  type AutoDetectSource,
  describeAttempt,
} from "../lib/errors/auto_detect_error.ts";

export {
  type AutoDetectAttempt,
  AutoDetectError,
  type AutoDetectErrorReason,
  type AutoDetectSource,
} from "../lib/errors/auto_detect_error.ts";

/** Options for {@link autoDetectClient}. */
export interface AutoDetectOptions {
  /** The sources to try, in order. @default {["InCluster", "KubeConfig", "KubectlProxy", "KubectlRaw"]} */
  sources?: AutoDetectSource[];
  /** How long each candidate's `GET /api` probe may take, in ms. @default {3000} */
  probeTimeoutMs?: number;
  /** The service-account directory for InCluster. @default {"/var/run/secrets/kubernetes.io/serviceaccount"} */
  secretsPath?: string;
  /** Where to look for a running `kubectl proxy`. @default {"http://localhost:8001"} */
  kubectlProxyUrl?: string;
  /** The kubectl binary for KubectlRaw. @default {"kubectl"} */
  kubectl?: string;
  /**
   * Report which source won and why the earlier ones did not: `true` for
   * stderr, or a function. When unset, `KUBE_TRANSPORT_VERBOSE=1` turns it on
   * (read only if env permission for it is already granted).
   * @default {false}
   */
  log?: boolean | ((line: string) => void);
}

/**
 * Finds a working client: tries each source in turn (by default InCluster,
 * then KubeConfig, then a running `kubectl proxy`, then `kubectl` itself),
 * checks Deno permissions with `Deno.permissions.query` before touching
 * anything, and probes each candidate with `GET /api` under a short timeout.
 *
 * @param opts Sources, timeouts and overrides.
 * @returns The first client whose probe answered `APIVersions`; close it
 *   (or `await using` it) when done.
 * @throws {AutoDetectError} Listing every source with its reason and fix.
 *
 * @example
 * ```ts
 * import { autoDetectClient } from "@denokube/transport/transports";
 *
 * await using client = await autoDetectClient();
 * const nodes = await client.performRequest({ method: "GET", path: "/api/v1/nodes", expectJson: true });
 * console.log(nodes);
 * ```
 */
export async function autoDetectClient(
  opts: AutoDetectOptions = {},
): Promise<ClosableRestClient> {
  const log = resolveLog(opts.log);
  const sources = opts.sources ??
    ["InCluster", "KubeConfig", "KubectlProxy", "KubectlRaw"];
  const timeout = opts.probeTimeoutMs ?? 3000;
  const probes: Record<AutoDetectSource, Probe> = {
    InCluster: () =>
      tryInCluster(opts.secretsPath ?? SERVICE_ACCOUNT_DIR, timeout),
    KubeConfig: () => tryKubeConfig(timeout),
    KubectlProxy: () =>
      tryKubectlProxy(opts.kubectlProxyUrl ?? "http://localhost:8001", timeout),
    KubectlRaw: () => tryKubectlRaw(opts.kubectl ?? "kubectl", timeout),
  };
  const attempts: AutoDetectAttempt[] = [];
  for (const source of sources) {
    let result: Awaited<ReturnType<Probe>>;
    try {
      result = await probes[source]();
    } catch (err) {
      result = new Unusable(
        errorText(err),
        undefined,
        err,
      );
    }
    if (result instanceof Unusable) {
      const attempt = {
        source,
        reason: result.reason,
        fix: result.fix,
        cause: result.cause,
      };
      attempts.push(attempt);
      log?.(`autoDetectClient: ${describeAttempt(attempt)}`);
      continue;
    }
    log?.(`autoDetectClient: using ${source}`);
    return result;
  }
  throw new AutoDetectError(attempts);
}
