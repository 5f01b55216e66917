/**
 * The error of the metrics helpers: the cluster serves no
 * `metrics.k8s.io` (no metrics-server installed, or its APIService not
 * available).
 *
 * @module
 */

import { KubernetesClientError } from "./kubernetes_client_error.ts";

/** Why metrics could not be read. */
export type MetricsErrorReason =
  /** The server answered 404 (no `metrics.k8s.io` group) or 503 (its APIService is registered but metrics-server is not answering). */
  "MetricsUnavailable";

/**
 * Metrics could not be read, with a machine-readable {@link reason}; the
 * `cause` is the server's `KubernetesApiError`.
 *
 * @example
 * ```ts
 * import { MetricsError } from "@denokube/transport/errors";
 * const err = new MetricsError("MetricsUnavailable", "GET /apis/metrics.k8s.io/v1beta1/nodes", "HTTP 404");
 * console.log(err.reason, err.message);
 * ```
 */
export class MetricsError extends KubernetesClientError {
  /** What kind of failure this is. */
  readonly reason: MetricsErrorReason;

  /**
   * Builds the error; the message names the request before `detail`.
   *
   * @param reason What kind of failure this is.
   * @param request The request, such as `GET /apis/metrics.k8s.io/v1beta1/nodes`.
   * @param detail What the server answered and what to do.
   * @param cause The underlying error.
   */
  constructor(
    reason: MetricsErrorReason,
    request: string,
    detail: string,
    cause?: unknown,
  ) {
    super(`${request}: ${detail}`, cause === undefined ? undefined : { cause });
    this.name = "MetricsError";
    this.reason = reason;
  }
}
