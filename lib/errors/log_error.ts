/**
 * The error of `streamLogs`: a log request the API server or the
 * kubelet refused with a 400, or a log the kubelet no longer has.
 *
 * @module
 */

import { KubernetesClientError } from "./kubernetes_client_error.ts";

/** Why a pod's log could not be read. */
export type LogErrorReason =
  /** The pod has several containers and none was named (`containers` lists them). */
  | "ContainerRequired"
  /** The named container is not in the pod. */
  | "ContainerNotFound"
  /** The container has not started yet (creating, pulling its image, …). */
  | "ContainerNotStarted"
  /** The container ended and its log is not available. */
  | "ContainerTerminated"
  /** `previous` was asked for a container that never restarted. */
  | "PreviousNotFound"
  /**
   * The kubelet answered 200 with only `unable to retrieve container logs
   * for containerd://…`: the container's log is gone (typically the
   * previous run of a container that crashed again since).
   */
  | "LogsUnavailable"
  /** Any other 400 for a log request. */
  | "BadRequest";

/** The container whose log was asked for. */
export interface LogTarget {
  /** The pod's namespace. */
  namespace: string;
  /** The pod. */
  pod: string;
  /** The container, when one was named. */
  container?: string;
}

/**
 * A refused or unavailable pod log, with a machine-readable {@link reason}.
 * The `cause` is the server's `KubernetesApiError` when there was one.
 *
 * @example
 * ```ts
 * import { LogError } from "@denokube/transport/errors";
 * const err = new LogError("ContainerRequired", { namespace: "default", pod: "web" }, "choose one of: [a b]", { containers: ["a", "b"] });
 * console.log(err.reason, err.containers);
 * ```
 */
export class LogError extends KubernetesClientError {
  /** What kind of failure this is. */
  readonly reason: LogErrorReason;
  /** The pod and container. */
  readonly target: LogTarget;
  /** For `ContainerRequired`: the containers to choose from. */
  readonly containers: string[] | undefined;

  /**
   * Builds the error; the message names the pod (and container) before `detail`.
   *
   * @param reason What kind of failure this is.
   * @param target The pod and container.
   * @param detail What happened.
   * @param options The containers to choose from, and the underlying error.
   */
  constructor(
    reason: LogErrorReason,
    target: LogTarget,
    detail: string,
    options: { containers?: string[]; cause?: unknown } = {},
  ) {
    const where = `logs of ${target.namespace}/${target.pod}${
      target.container === undefined ? "" : ` container ${target.container}`
    }`;
    super(
      `${where}: ${detail}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "LogError";
    this.reason = reason;
    this.target = target;
    this.containers = options.containers;
  }
}
