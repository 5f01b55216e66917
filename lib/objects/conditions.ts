/**
 * Ready-made conditions for {@link waitFor}: pod Running / Ready /
 * Succeeded, Deployment available / rolled out, CRD Established, object
 * deleted, and any `status.conditions[type]`. The pod conditions fail fast
 * with a {@link WaitError} naming the reason when the pod cannot make it:
 * an image that cannot be pulled, a container in CrashLoopBackOff (with its
 * last termination message), a pod the scheduler cannot place (with the
 * scheduler's message), a pod that failed or completed. {@link exists}
 * waits for an object to appear, such as the `default` ServiceAccount the
 * controller manager creates in a new namespace.
 *
 * ## Evaluating a condition once
 *
 * A condition is a plain object: `test(obj, ref)` answers for one object
 * with no request and no waiting, so a status report can call it on what
 * it already fetched. It returns `true` when the condition holds, `false`
 * while it may still come, and throws a {@link WaitError} naming the reason
 * when it cannot (`ImagePullBackOff`, `CrashLoopBackOff`, `Unschedulable`,
 * `ProgressDeadlineExceeded`, …). {@link assertPodCanRun} is that check on
 * its own: it returns when a pod may still run and throws otherwise.
 *
 * @example A one-line status per pod, without waiting
 * ```ts
 * import { podRunning, WaitError } from "@denokube/transport/objects";
 * import type { KubernetesObject } from "@denokube/transport/objects";
 *
 * function report(pod: KubernetesObject): string {
 *   const ref = { apiVersion: "v1", kind: "Pod", name: pod.metadata?.name ?? "?", namespace: pod.metadata?.namespace };
 *   try {
 *     return podRunning().test(pod, ref) ? "running" : "starting";
 *   } catch (err) {
 *     if (err instanceof WaitError) return `${err.reason}: ${err.message}`; // e.g. ImagePullBackOff
 *     throw err;
 *   }
 * }
 * ```
 *
 * @example Wait for a new namespace's default ServiceAccount
 * ```ts
 * import { exists, waitFor } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function namespaceReady(client: RestClient, namespace: string): Promise<void> {
 *   await waitFor(client, { apiVersion: "v1", kind: "ServiceAccount", name: "default", namespace }, exists(), { timeoutMs: 30_000 });
 * }
 * ```
 *
 * Permissions: none.
 *
 * @module
 */

import type { JSONValue } from "../contract.ts";
import type { KubernetesObject, ObjectRef } from "./kubernetes_object.ts";
import {
  type WaitCondition,
  WaitError,
  type WaitFailure,
} from "./wait_error.ts";

/** How much of a kubelet, scheduler or container message a {@link WaitError} quotes. */
const maxMessageChars = 500;

type Obj = Record<string, JSONValue>;

function status(obj: KubernetesObject | undefined): Obj {
  const s = obj?.status;
  return s && typeof s === "object" && !Array.isArray(s) ? s as Obj : {};
}

function conditionOf(
  obj: KubernetesObject | undefined,
  type: string,
): Obj | undefined {
  const list = status(obj).conditions;
  if (!Array.isArray(list)) return undefined;
  return list.find((c) => (c as Obj)?.type === type) as Obj | undefined;
}

function clip(text: unknown): string {
  const s = typeof text === "string" ? text.trim() : "";
  return s.length > maxMessageChars ? `${s.slice(0, maxMessageChars)}…` : s;
}

/** Container waiting reasons no amount of waiting fixes. */
const fatalWaiting = new Set<WaitFailure>([
  "ErrImagePull",
  "ImagePullBackOff",
  "ErrImageNeverPull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "CrashLoopBackOff",
]);

/**
 * Throws a {@link WaitError} when a pod cannot reach Running or Ready: a
 * container (init containers included) waiting for a reason that does not
 * pass, the scheduler unable to place it, or the pod already finished.
 * Returns quietly while the pod may still run. Use it on a pod already
 * fetched to report why it is stuck (imported from the `wait` module, which
 * re-exports every condition).
 *
 * @param pod The pod, or `undefined` while it does not exist.
 * @param target The pod waited for.
 * @param finishedOk Whether a pod that Succeeded is fine (for {@link podSucceeded}).
 * @throws {WaitError} With the reason and the message that explains it.
 */
export function assertPodCanRun(
  pod: KubernetesObject | undefined,
  target: ObjectRef,
  finishedOk = false,
): void {
  if (!pod) return;
  const s = status(pod);
  const statuses = [
    ...(Array.isArray(s.initContainerStatuses) ? s.initContainerStatuses : []),
    ...(Array.isArray(s.containerStatuses) ? s.containerStatuses : []),
  ] as Obj[];
  if (s.phase === "Failed") {
    const t = statuses.map((c) => ({
      name: c.name as string,
      t: (c.state as Obj)?.terminated as Obj | undefined,
    })).find((c) => c.t && c.t.exitCode !== 0);
    const why = t
      ? `container ${t.name} exited with code ${t.t!.exitCode}${
        t.t!.reason ? ` (${t.t!.reason})` : ""
      }${t.t!.message ? `: ${clip(t.t!.message)}` : ""}`
      : clip(s.message) || String(s.reason ?? "the pod failed");
    throw new WaitError("PodFailed", target, why, { container: t?.name });
  }
  if (s.phase === "Succeeded" && !finishedOk) {
    throw new WaitError(
      "PodCompleted",
      target,
      "the pod ran to completion and will not run again",
    );
  }
  for (const c of statuses) {
    const waiting = (c.state as Obj | undefined)?.waiting as Obj | undefined;
    const reason = waiting?.reason as WaitFailure | undefined;
    if (!reason || !fatalWaiting.has(reason)) continue;
    let detail = `container ${c.name}: ${clip(waiting!.message) || reason}`;
    if (reason === "CrashLoopBackOff") {
      const last = (c.lastState as Obj | undefined)?.terminated as
        | Obj
        | undefined;
      detail =
        `container ${c.name} keeps crashing (${c.restartCount ?? 0} restarts)` +
        (last
          ? `; last exit code ${last.exitCode}${
            last.reason ? ` (${last.reason})` : ""
          }${last.message ? `: ${clip(last.message)}` : ""}`
          : "");
    }
    throw new WaitError(reason, target, detail, {
      container: c.name as string,
    });
  }
  const scheduled = conditionOf(pod, "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
    throw new WaitError(
      "Unschedulable",
      target,
      clip(scheduled.message) || "no node can run the pod",
    );
  }
}

/**
 * The pod's phase is Running (every container started; not necessarily Ready).
 * Fails fast when it cannot run.
 *
 * @returns The condition.
 *
 * @example
 * ```ts
 * import { podRunning, waitFor } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function started(client: RestClient): Promise<void> {
 *   await waitFor(client, { apiVersion: "v1", kind: "Pod", name: "job-0" }, podRunning());
 * }
 * ```
 */
export function podRunning(): WaitCondition {
  return {
    description: "pod Running",
    test(pod, target) {
      if (status(pod).phase === "Running") return true;
      assertPodCanRun(pod, target);
      return false;
    },
  };
}

/**
 * The pod is Running and its `Ready` condition is True (every container
 * ready, readiness probes passing). Fails fast when it cannot run.
 *
 * @returns The condition.
 */
export function podReady(): WaitCondition {
  return {
    description: "pod Ready",
    test(pod, target) {
      if (
        status(pod).phase === "Running" &&
        conditionOf(pod, "Ready")?.status === "True"
      ) return true;
      assertPodCanRun(pod, target);
      return false;
    },
  };
}

/**
 * The pod ran to completion (phase Succeeded). Fails fast when it failed
 * (with the exit code and termination message) or cannot run.
 *
 * @returns The condition.
 */
export function podSucceeded(): WaitCondition {
  return {
    description: "pod Succeeded",
    test(pod, target) {
      if (status(pod).phase === "Succeeded") return true;
      assertPodCanRun(pod, target, true);
      return false;
    },
  };
}

function observed(obj: KubernetesObject | undefined): boolean {
  const gen = obj?.metadata?.generation;
  const seen = status(obj).observedGeneration;
  return typeof gen !== "number" || (typeof seen === "number" && seen >= gen);
}

function assertProgressing(
  obj: KubernetesObject | undefined,
  target: ObjectRef,
  before?: KubernetesObject,
): void {
  const p = conditionOf(obj, "Progressing");
  // The controller keeps a deadline verdict as it was (the same
  // lastUpdateTime) while the new rollout has not moved yet, even once it
  // observed the new generation: that is the replaced rollout's verdict.
  const stale = conditionOf(before, "Progressing");
  if (
    p?.status === "False" && p.reason === "ProgressDeadlineExceeded" &&
    !(stale?.reason === p.reason && stale.lastUpdateTime === p.lastUpdateTime)
  ) {
    throw new WaitError(
      "ProgressDeadlineExceeded",
      target,
      clip(p.message) || "the rollout made no progress before its deadline",
    );
  }
  const f = conditionOf(obj, "ReplicaFailure");
  if (f?.status === "True") {
    throw new WaitError(
      "ReplicaFailure",
      target,
      clip(f.message) || String(f.reason ?? "pods could not be created"),
    );
  }
}

/**
 * The Deployment's controller has seen its latest spec, its `Available`
 * condition is True and every desired replica is available (so a
 * Deployment just scaled up is not "available" on its old status). Fails
 * fast on `ProgressDeadlineExceeded` and `ReplicaFailure`.
 *
 * @returns The condition.
 */
export function deploymentAvailable(): WaitCondition {
  return {
    description: "Deployment available",
    test(d, target) {
      if (!d) return false;
      assertProgressing(d, target);
      const want = (d.spec as Obj | undefined)?.replicas ?? 1;
      return observed(d) &&
        conditionOf(d, "Available")?.status === "True" &&
        ((status(d).availableReplicas as number | undefined) ?? 0) >=
          (want as number);
    },
  };
}

/**
 * The Deployment's rollout is complete, as `kubectl rollout status` decides:
 * the latest spec observed, every replica updated, no old replica left, and
 * every updated replica available. Fails fast like
 * {@link deploymentAvailable}, once the controller has observed the
 * latest spec.
 *
 * @param options `before`: the Deployment as it was before the change
 *   waited for. A `ProgressDeadlineExceeded` it already carried (the same
 *   `lastUpdateTime`) is the replaced rollout's verdict, which the
 *   controller keeps until the new rollout moves; it does not fail this
 *   one (`kubectl rollout status` does fail on it).
 *   @default {none: every verdict of the observed generation fails}
 * @returns The condition.
 */
export function deploymentRolledOut(
  options: { before?: KubernetesObject } = {},
): WaitCondition {
  return {
    description: "Deployment rolled out",
    test(d, target) {
      if (!d) return false;
      // As kubectl: a Progressing condition speaks of the generation the
      // controller observed, so a deadline exceeded by the previous spec
      // (the bad image just replaced) does not fail the new rollout.
      if (!observed(d)) return false;
      assertProgressing(d, target, options.before);
      const s = status(d);
      const want = ((d.spec as Obj | undefined)?.replicas ?? 1) as number;
      const updated = (s.updatedReplicas as number | undefined) ?? 0;
      return observed(d) && updated >= want &&
        ((s.replicas as number | undefined) ?? 0) <= updated &&
        ((s.availableReplicas as number | undefined) ?? 0) >= updated;
    },
  };
}

function updateStrategyOf(obj: KubernetesObject): string {
  const spec = (obj.spec ?? {}) as Obj;
  return String(
    (spec.updateStrategy as Obj | undefined)?.type ?? "RollingUpdate",
  );
}

function assertRollingUpdate(obj: KubernetesObject, target: ObjectRef): void {
  const type = updateStrategyOf(obj);
  if (type !== "RollingUpdate") {
    throw new WaitError(
      "RolloutUnsupported",
      target,
      `the update strategy is ${type}: pods change only when deleted, so there is no rollout to wait for (expected RollingUpdate)`,
    );
  }
}

/**
 * The StatefulSet's rollout is complete, as `kubectl rollout status`
 * decides (kubectl's `StatefulSetStatusViewer`): the latest spec observed,
 * every replica ready, and then either every replica at the update
 * revision (`currentRevision == updateRevision`) or, with a
 * `rollingUpdate.partition`, the replicas from the partition up updated.
 * Fails fast with `RolloutUnsupported` for the `OnDelete` strategy.
 *
 * @returns The condition.
 */
export function statefulSetRolledOut(): WaitCondition {
  return {
    description: "StatefulSet rolled out",
    test(sts, target) {
      if (!sts) return false;
      assertRollingUpdate(sts, target);
      const s = status(sts);
      const spec = (sts.spec ?? {}) as Obj;
      if (!s.observedGeneration || !observed(sts)) return false;
      const want = typeof spec.replicas === "number" ? spec.replicas : 1;
      if (((s.readyReplicas as number | undefined) ?? 0) < want) return false;
      const partition = ((spec.updateStrategy as Obj | undefined)
        ?.rollingUpdate as Obj | undefined)?.partition;
      if (typeof partition === "number" && partition > 0) {
        return ((s.updatedReplicas as number | undefined) ?? 0) >=
          want - partition;
      }
      return s.updateRevision === s.currentRevision;
    },
  };
}

/**
 * The DaemonSet's rollout is complete, as `kubectl rollout status` decides
 * (kubectl's `DaemonSetStatusViewer`): the latest spec observed, and the
 * updated and the available pods each as many as the nodes that should
 * run one (`desiredNumberScheduled`). Fails fast with `RolloutUnsupported`
 * for the `OnDelete` strategy.
 *
 * @returns The condition.
 */
export function daemonSetRolledOut(): WaitCondition {
  return {
    description: "DaemonSet rolled out",
    test(ds, target) {
      if (!ds) return false;
      assertRollingUpdate(ds, target);
      const s = status(ds);
      if (!observed(ds) || typeof s.observedGeneration !== "number") {
        return false;
      }
      const want = (s.desiredNumberScheduled as number | undefined) ?? 0;
      return ((s.updatedNumberScheduled as number | undefined) ?? 0) >= want &&
        ((s.numberAvailable as number | undefined) ?? 0) >= want;
    },
  };
}

/**
 * The CustomResourceDefinition is Established: its kind is served. Fails
 * fast when its names were not accepted (they clash with another CRD's).
 *
 * @returns The condition.
 */
export function crdEstablished(): WaitCondition {
  return {
    description: "CRD Established",
    test(crd, target) {
      const names = conditionOf(crd, "NamesAccepted");
      if (names?.status === "False") {
        throw new WaitError(
          "NamesNotAccepted",
          target,
          clip(names.message) || String(names.reason ?? "names clash"),
        );
      }
      return conditionOf(crd, "Established")?.status === "True";
    },
  };
}

/**
 * The object exists (in any state): for objects another component
 * creates, such as the `default` ServiceAccount of a new namespace.
 *
 * @returns The condition.
 */
export function exists(): WaitCondition {
  return { description: "exists", test: (obj) => obj !== undefined };
}

/**
 * The object does not exist (deleted, finalizers done).
 *
 * @returns The condition.
 */
export function deleted(): WaitCondition {
  return { description: "deleted", test: (obj) => obj === undefined };
}

/**
 * Any object's `status.conditions[type].status` is `want`, as
 * `kubectl wait --for=condition=<type>` checks.
 *
 * @param type The condition type, such as `Ready` or `Complete`.
 * @param want The status wanted. @default {"True"}
 * @returns The condition.
 */
export function hasCondition(type: string, want = "True"): WaitCondition {
  return {
    description: `condition ${type}=${want}`,
    test: (obj) => conditionOf(obj, type)?.status === want,
  };
}
