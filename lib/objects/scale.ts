/**
 * `kubectl scale` and `kubectl rollout restart` for code: the `scale`
 * subresource of any scalable kind (Deployments, StatefulSets, ReplicaSets,
 * custom resources that declare one), and a restart through the pod
 * template annotation `kubectl.kubernetes.io/restartedAt`, which rolls
 * every pod the way kubectl does; `kubectl set image` and
 * `kubectl rollout status` ({@link setImage}, {@link waitForRollout}, from
 * `rollout.ts`).
 *
 * Permissions: whatever the transport needs; nothing more.
 *
 * @module
 */

import type { RestClient } from "../contract.ts";
import { DynamicClient } from "./dynamic_client.ts";
import {
  describeRef,
  type KubernetesObject,
  type ObjectRef,
} from "./kubernetes_object.ts";

export {
  rolloutCondition,
  setImage,
  type SetImageOptions,
  waitForRollout,
  type WaitForRolloutOptions,
} from "./rollout.ts";

/** The `autoscaling/v1` `Scale` of an object. */
export interface Scale {
  /** `autoscaling/v1`. */
  apiVersion: string;
  /** `Scale`. */
  kind: string;
  /** The scaled object's name and namespace. */
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  /** The desired replicas. */
  spec: { replicas?: number };
  /** The observed replicas, and the label selector of its pods. */
  status: { replicas: number; selector?: string };
}

/** The annotation kubectl sets on the pod template to restart a workload. */
export const RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt";

/**
 * Reads an object's `scale` subresource.
 *
 * @param client Any transport, or a {@link DynamicClient}.
 * @param ref The object, such as a Deployment.
 * @param options A signal.
 * @returns Its Scale.
 * @throws {KubernetesApiError} `isNotFound()` when the object (or a scale subresource) does not exist.
 */
export async function getScale(
  client: RestClient | DynamicClient,
  ref: ObjectRef,
  options: { signal?: AbortSignal } = {},
): Promise<Scale> {
  return await DynamicClient.for(client).get<Scale>(ref, {
    subresource: "scale",
    signal: options.signal,
  });
}

/**
 * Sets an object's replicas through its `scale` subresource, as
 * `kubectl scale` does. Returns at once: wait with
 * `waitFor(client, ref, deploymentAvailable())`.
 *
 * @param client Any transport, or a {@link DynamicClient}.
 * @param ref The object, such as a Deployment or StatefulSet.
 * @param replicas The replicas wanted: a whole number, 0 or more.
 * @param options Field manager, dry run, a signal.
 * @returns The Scale as updated.
 * @throws {RangeError} When `replicas` is not a whole number ≥ 0.
 * @throws {KubernetesApiError} `isNotFound()` when the kind has no scale subresource or the object does not exist.
 *
 * @example Scale to zero and back
 * ```ts
 * import { deploymentAvailable, scale, waitFor } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function bounce(client: RestClient): Promise<void> {
 *   const web = { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "shop" };
 *   await scale(client, web, 0);
 *   await scale(client, web, 1);
 *   await waitFor(client, web, deploymentAvailable());
 * }
 * ```
 */
export async function scale(
  client: RestClient | DynamicClient,
  ref: ObjectRef,
  replicas: number,
  options: { fieldManager?: string; dryRun?: boolean; signal?: AbortSignal } =
    {},
): Promise<Scale> {
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new RangeError(
      `scale ${
        describeRef(ref)
      }: replicas must be a whole number ≥ 0, found ${replicas}`,
    );
  }
  return await DynamicClient.for(client).patch<Scale>(
    ref,
    { spec: { replicas } },
    { ...options, type: "merge", subresource: "scale" },
  );
}

/**
 * Restarts a workload's pods, as `kubectl rollout restart` does: sets the
 * pod template's `kubectl.kubernetes.io/restartedAt` annotation to now, so
 * its controller replaces every pod by its rollout strategy. Returns at
 * once: wait with `waitFor(client, ref, deploymentRolledOut())`.
 *
 * @param client Any transport, or a {@link DynamicClient}.
 * @param ref A Deployment, StatefulSet, DaemonSet, or any kind with `spec.template`.
 * @param options The time to record (RFC 3339), field manager, a signal.
 * @returns The object as patched.
 * @throws {TypeError} When the object has no pod template, or is a paused Deployment (as kubectl refuses).
 * @throws {KubernetesApiError} `isNotFound()` when it does not exist.
 *
 * @example
 * ```ts
 * import { deploymentRolledOut, restart, waitFor } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function restartWeb(client: RestClient): Promise<void> {
 *   const web = { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "shop" };
 *   await restart(client, web);
 *   await waitFor(client, web, deploymentRolledOut());
 * }
 * ```
 */
export async function restart(
  client: RestClient | DynamicClient,
  ref: ObjectRef,
  options: { at?: Date; fieldManager?: string; signal?: AbortSignal } = {},
): Promise<KubernetesObject> {
  const dyn = DynamicClient.for(client);
  const current = await dyn.get(ref, { signal: options.signal });
  const spec = current.spec as
    | { template?: unknown; paused?: boolean }
    | undefined;
  if (!spec?.template) {
    throw new TypeError(
      `restart ${
        describeRef(ref)
      }: it has no spec.template (restart works on Deployments, StatefulSets, DaemonSets and kinds with a pod template)`,
    );
  }
  if (spec.paused) {
    throw new TypeError(
      `restart ${
        describeRef(ref)
      }: the rollout is paused; resume it first (spec.paused: false)`,
    );
  }
  // RFC 3339 with milliseconds, so two restarts within a second still differ.
  const at = (options.at ?? new Date()).toISOString();
  return await dyn.patch(ref, {
    spec: {
      template: {
        metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } },
      },
    },
  }, {
    type: "merge",
    fieldManager: options.fieldManager,
    signal: options.signal,
  });
}
