// The error of an apply or a delete of applied objects, and what an apply
// returns per object.

import {
  describeRef,
  type KubernetesObject,
  type ObjectRef,
} from "../objects/kubernetes_object.ts";
import { KubernetesApiError } from "./api_error.ts";
import { TransportError } from "./transport_error.ts";
import { WaitError } from "./wait_error.ts";
import { KubernetesClientError } from "./kubernetes_client_error.ts";

/**
 * Why an object could not be applied (or deleted), read from the cause.
 *
 * - `ServerRejected`: the API server answered with an error (the cause is a
 *   `KubernetesApiError`).
 * - `NotReady`: it was applied, but waiting for it failed (a `WaitError`).
 * - `NoAnswer`: the request got no answer (a `TransportError`).
 * - `InvalidObject`: anything else: it cannot be applied as given (no kind,
 *   a kind the server does not serve, a bad name).
 */
export type ApplyErrorReason =
  | "ServerRejected"
  | "NotReady"
  | "NoAnswer"
  | "InvalidObject";

/** One object of an `apply` that failed, and why. */
export class ApplyError extends KubernetesClientError {
  /** What kind of failure this is, read from the cause. */
  readonly reason: ApplyErrorReason;
  /** The object, as far as it could be named. */
  readonly ref: Partial<ObjectRef>;
  /** Where it came from (`deploy.yaml document[2] (line 14)`), for objects from `parseManifests`. */
  readonly source: string | undefined;
  /** What was applied before the failure, in order: hand it to `deleteApplied` to undo. */
  applied: AppliedObject[] = [];

  /**
   * Builds the error, naming the object and where it came from.
   *
   * @param ref The object.
   * @param detail What went wrong.
   * @param source Where it came from.
   * @param cause The underlying error (a `KubernetesApiError`, a `WaitError`, …).
   */
  constructor(
    ref: Partial<ObjectRef>,
    detail: string,
    source?: string,
    cause?: unknown,
  ) {
    const what = describeRef({
      apiVersion: ref.apiVersion ?? "?",
      kind: ref.kind ?? "?",
      name: ref.name,
      namespace: ref.namespace,
    });
    super(
      `apply ${what}${source ? ` from ${source}` : ""}: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "ApplyError";
    this.reason = cause instanceof KubernetesApiError
      ? "ServerRejected"
      : cause instanceof WaitError
      ? "NotReady"
      : cause instanceof TransportError
      ? "NoAnswer"
      : "InvalidObject";
    this.ref = ref;
    this.source = source;
  }
}

/** One applied object. */
export interface AppliedObject {
  /** The object, with the namespace it went to (none for cluster-scoped kinds). */
  ref: ObjectRef;
  /** The server's answer: the object as applied (absent when `skipped`). */
  object?: KubernetesObject;
  /** Why a dry run could not check it. */
  skipped?: string;
  /** Where it came from, for objects from `parseManifests`. */
  source?: string;
}
