/**
 * The error of the tunnel helpers (exec, attach, port-forward, copy): what went
 * wrong in a session the server accepted, or a target that cannot be
 * reached. Refusals by the API server itself stay
 * {@link KubernetesApiError}s.
 *
 * @module
 */

import { KubernetesClientError } from "./kubernetes_client_error.ts";

/** Why a tunnel helper failed. */
export type TunnelErrorReason =
  /** The server speaks only v4.channel.k8s.io, which cannot signal the end of stdin (v5 needs Kubernetes ≥ 1.30). */
  | "StdinCloseUnsupported"
  /** The pod is not Running (pending, finished, or being deleted). */
  | "PodNotRunning"
  /** The pod side of a port-forward failed: nothing listens on the port, or the pod went away. */
  | "PortForwardFailed"
  /** The server accepted the upgrade but not a subprotocol this helper speaks. */
  | "ProtocolUnsupported"
  /** No pod behind a Service or Deployment is Running and Ready. */
  | "NoReadyPod"
  /** A Service or Deployment cannot lead to pods: a Service without a selector, an ExternalName Service. */
  | "NoSelector"
  /** The port asked for is not the Service's, or a named port is declared by no container of the pod. */
  | "PortNotFound"
  /** The container has no `tar` (copyToPod, copyFromPod need it, as `kubectl cp` does). */
  | "TarMissing"
  /** On a v4 server copyToPod frames the upload with `sh` and `head -c`; the container lacks one of them. */
  | "HeadMissing"
  /** The path to copy from (or the directory to copy into) does not exist in the container. */
  | "RemotePathNotFound"
  /** The local path to copy from does not exist. */
  | "LocalPathNotFound"
  /** An archive from the pod names a path outside the target: absolute, `..`, through or to a symlink leading out. Nothing outside was written. */
  | "UnsafeArchivePath"
  /** The pod's `tar` output is not a tar archive this reader understands. */
  | "ArchiveInvalid"
  /** The copy failed for another reason: `tar` exited non-zero, a path is unusable, a local file type cannot be archived. */
  | "CopyFailed";

/** Where a tunnel went. */
export interface TunnelTarget {
  /** The pod's namespace. */
  namespace: string;
  /** The pod (empty while a Service or Deployment has not led to one). */
  pod: string;
  /** The pod's port, for port-forward. */
  port?: number;
  /** What led to the pod, such as `service/web` or `deployment/web`. */
  via?: string;
}

/**
 * A tunnel helper's failure, with a machine-readable {@link reason}.
 *
 * @example
 * ```ts
 * import { TunnelError } from "@denokube/transport/errors";
 * const err = new TunnelError("PodNotRunning", { namespace: "default", pod: "web" }, "phase is Pending");
 * console.log(err.reason, err.message);
 * ```
 */
export class TunnelError extends KubernetesClientError {
  /** What kind of failure this is. */
  readonly reason: TunnelErrorReason;
  /** The pod (and port) the tunnel was for. */
  readonly target: TunnelTarget;

  /**
   * Builds the error; the message names the pod (and port) before `detail`.
   *
   * @param reason What kind of failure this is.
   * @param target The pod (and port) the tunnel was for.
   * @param detail What happened, without secrets.
   * @param cause The underlying error.
   */
  constructor(
    reason: TunnelErrorReason,
    target: TunnelTarget,
    detail: string,
    cause?: unknown,
  ) {
    const pod = `${target.pod}${
      target.port === undefined ? "" : `:${target.port}`
    }`;
    const where = target.via
      ? `${target.namespace}/${target.via}${target.pod ? ` (pod ${pod})` : ""}`
      : `${target.namespace}/${pod}`;
    super(`${where}: ${detail}`, cause === undefined ? undefined : { cause });
    this.name = "TunnelError";
    this.reason = reason;
    this.target = target;
  }
}
