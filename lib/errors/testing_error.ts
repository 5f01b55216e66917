/**
 * The testing module's error: a test cluster that could not be started or
 * used, with a machine-readable {@link TestingError.reason} and a message
 * that says what to do about it.
 *
 * @module
 */

import { KubernetesClientError } from "./kubernetes_client_error.ts";

/** Why a test cluster failed. */
export type TestingErrorReason =
  /** etcd, kube-apiserver, kubectl or a node binary was not found. */
  | "BinariesMissing"
  /** The installer (opt-in) failed. */
  | "InstallFailed"
  /** etcd or kube-apiserver exited before it was ready (the message ends with its log tail). */
  | "ServerExited"
  /** A server did not become ready in time (the message ends with its log tail). */
  | "NotReady"
  /** A Kubernetes binary's `--version` names no release (its flags depend on it). */
  | "UnknownVersion"
  /** The etcd found is too old for a requested feature. */
  | "EtcdTooOld"
  /** A node was required but this machine cannot run one. */
  | "NodeUnavailable"
  /** An option or argument is invalid. */
  | "InvalidOption"
  /** The cluster's etcd is not this module's to reach (an external cluster), or it refused a request. */
  | "EtcdUnavailable"
  /** An image archive given to the node is missing, not a tar, not an image archive, or names no image. */
  | "ImageArchiveInvalid"
  /** An image asked for (the source of a tag) is not on the node. */
  | "ImageNotFound"
  /** An image name on the node already points at other content (another test's image?). */
  | "ImageExists";

/**
 * A test cluster's failure.
 *
 * @example
 * ```ts
 * import { TestingError } from "@denokube/transport/errors";
 * const err = new TestingError("BinariesMissing", "kube-apiserver not found");
 * console.log(err.reason === "BinariesMissing");
 * ```
 */
export class TestingError extends KubernetesClientError {
  /** What kind of failure this is. */
  readonly reason: TestingErrorReason;

  /**
   * Builds the error.
   *
   * @param reason What kind of failure this is.
   * @param message What failed and what to do about it.
   * @param cause The underlying error.
   */
  constructor(reason: TestingErrorReason, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "TestingError";
    this.reason = reason;
  }
}
