/**
 * The error a wait ends with when its condition cannot be reached, and the
 * shape of a condition.
 *
 * @module
 */

import type {
  KubernetesObject,
  ObjectRef,
} from "../objects/kubernetes_object.ts";
import { describeRef } from "../objects/kubernetes_object.ts";
import { KubernetesClientError } from "./kubernetes_client_error.ts";

/** Why a wait ended without its condition. */
export type WaitFailure =
  | "Timeout"
  | "ErrImagePull"
  | "ImagePullBackOff"
  | "ErrImageNeverPull"
  | "InvalidImageName"
  | "CreateContainerConfigError"
  | "CreateContainerError"
  | "CrashLoopBackOff"
  | "Unschedulable"
  | "PodFailed"
  | "PodCompleted"
  | "ProgressDeadlineExceeded"
  | "ReplicaFailure"
  | "NamesNotAccepted"
  /** A StatefulSet or DaemonSet with the `OnDelete` update strategy: its pods change only when deleted, so it has no rollout to wait for (kubectl refuses the same). */
  | "RolloutUnsupported";

/** The wait cannot succeed: a deadline passed, or the object can never meet the condition. */
export class WaitError extends KubernetesClientError {
  /** Why: `Timeout`, or the reason the object cannot make it (such as `ImagePullBackOff`). */
  readonly reason: WaitFailure;
  /** The object waited for. */
  readonly target: ObjectRef;
  /** The container at fault, for pod failures. */
  readonly container: string | undefined;

  /**
   * Builds the error, naming the object.
   *
   * @param reason Why.
   * @param target The object.
   * @param detail What happened, such as the kubelet's or scheduler's message.
   * @param options The container at fault, a cause.
   */
  constructor(
    reason: WaitFailure,
    target: ObjectRef,
    detail: string,
    options: { container?: string; cause?: unknown } = {},
  ) {
    super(
      `${describeRef(target)}: ${reason}: ${detail}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "WaitError";
    this.reason = reason;
    this.target = target;
    this.container = options.container;
  }
}

/**
 * A condition on one object. `test` gets `undefined` while the object does
 * not exist, and may throw a {@link WaitError} to end the wait at once.
 */
export interface WaitCondition<T = KubernetesObject> {
  /** What is waited for, for the timeout's message, such as `pod Ready`. */
  description: string;
  /**
   * Whether the object has reached the condition.
   *
   * @param obj The object, or `undefined` while it does not exist.
   * @param target The object waited for, for errors.
   * @returns `true` to end the wait.
   * @throws {WaitError} When the object can never reach the condition.
   */
  test(obj: T | undefined, target: ObjectRef): boolean;
}
