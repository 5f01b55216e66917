/**
 * `kubectl set image`, `kubectl set env` and `kubectl rollout status` for
 * code: set containers' images or environment variables in a workload's
 * pod template, and wait until its
 * controller has rolled the change out, with kubectl's rules per kind
 * (Deployment, StatefulSet, DaemonSet), failing fast with a
 * {@link WaitError} naming the reason (`ProgressDeadlineExceeded`,
 * `ReplicaFailure`, `RolloutUnsupported` for the `OnDelete` strategy).
 *
 * Permissions: whatever the transport needs; nothing more. RBAC: `get` and
 * `patch` on the workload, `list` and `watch` on its kind to wait.
 *
 * @example Roll out a new image and wait for it
 * ```ts
 * import { setImage } from "@denokube/transport/objects";
 * import { WaitError } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function release(client: RestClient, tag: string): Promise<void> {
 *   const web = { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "shop" };
 *   try {
 *     await setImage(client, web, { httpd: `registry.example/web:${tag}` }, { wait: { timeoutMs: 300_000 } });
 *   } catch (err) {
 *     if (err instanceof WaitError) console.error(err.reason); // e.g. ProgressDeadlineExceeded
 *     throw err;
 *   }
 * }
 * ```
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
import {
  daemonSetRolledOut,
  deploymentRolledOut,
  statefulSetRolledOut,
} from "./conditions.ts";
import { type WaitCondition, waitFor, type WaitForOptions } from "./wait.ts";

export { WaitError } from "./wait_error.ts";

/** Options for {@link setImage}. */
export interface SetImageOptions {
  /** Who owns the changed fields. @default {the server's: the patch names none} */
  fieldManager?: string;
  /**
   * Wait for the rollout after patching ({@link waitForRollout}); an
   * object gives its deadline. Off, `setImage` returns once the patch is
   * accepted, as `kubectl set image` does.
   * @default {false}
   */
  wait?: boolean | Omit<WaitForOptions, "signal">;
  /** Cancels the patch and the wait. */
  signal?: AbortSignal;
}

type Obj = Record<string, unknown>;

/** Where a kind keeps its pod spec, as `kubectl set image` finds it. */
function podSpecPath(kind: string): string[] {
  if (kind === "Pod") return ["spec"];
  if (kind === "CronJob") {
    return ["spec", "jobTemplate", "spec", "template", "spec"];
  }
  return ["spec", "template", "spec"];
}

/**
 * Sets container images in a workload's pod template, as
 * `kubectl set image` does: by container name (init containers too), or
 * `"*"` for every container. Every name is checked against the object
 * before anything is written; the change is one strategic merge patch,
 * so other containers and fields are left alone.
 *
 * @param client Any transport, or a {@link DynamicClient}.
 * @param ref The workload: a Deployment, StatefulSet, DaemonSet,
 *   ReplicaSet, Job, CronJob or Pod.
 * @param images Container name → image, such as `{ httpd: "httpd:2.4" }`; `"*"` sets every container.
 * @param options Wait for the rollout, field manager, a signal.
 * @returns The object as patched (as it was once rolled out, with `wait`).
 * @throws {TypeError} When `images` is empty or names a container the object does not have (the message lists those it has), or an image is empty.
 * @throws {WaitError} With `wait`: the rollout failed (`ProgressDeadlineExceeded`, `ReplicaFailure`), cannot be waited for (`RolloutUnsupported`) or did not finish in time (`Timeout`).
 * @throws {KubernetesApiError} `isNotFound()` when the object does not exist; 422 when the server refuses the image.
 */
export async function setImage(
  client: RestClient | DynamicClient,
  ref: ObjectRef,
  images: Record<string, string>,
  options: SetImageOptions = {},
): Promise<KubernetesObject> {
  const what = `set image of ${describeRef(ref)}`;
  const wanted = Object.entries(images);
  if (!wanted.length) {
    throw new TypeError(
      `${what}: expected at least one container=image, found none`,
    );
  }
  for (const [name, image] of wanted) {
    if (typeof image !== "string" || image.trim() === "") {
      throw new TypeError(
        `${what}: container ${JSON.stringify(name)}: expected an image, found ${
          JSON.stringify(image)
        }`,
      );
    }
  }
  return await patchContainers(
    client,
    ref,
    what,
    images,
    (c) => ({
      name: c.name,
      image: Object.hasOwn(images, c.name) ? images[c.name] : images["*"],
    }),
    options,
  );
}

/** Options for {@link setEnv}: as {@link setImage}'s. */
export type SetEnvOptions = SetImageOptions;

/**
 * Sets or removes environment variables of containers in a workload's pod
 * template, as `kubectl set env` does (`NAME=value`, `NAME-`): by
 * container name (init containers too), or `"*"` for every container.
 * Every name is checked against the object before anything is written;
 * the change is one strategic merge patch of each container's `env`
 * (merged by variable name), so other variables, containers and fields are
 * left alone; new variables go after the existing ones, as kubectl puts
 * them (a value may refer to an earlier one as `$(NAME)`). A variable set here loses a `valueFrom` it had, as with
 * `kubectl set env`; a removed one that is not there is no error.
 *
 * @param client Any transport, or a {@link DynamicClient}.
 * @param ref The workload: a Deployment, StatefulSet, DaemonSet,
 *   ReplicaSet, Job, CronJob or Pod.
 * @param env Container name (or `"*"`) → variable name → its value, or `null` to remove it.
 * @param options Wait for the rollout, field manager, a signal.
 * @returns The object as patched (as it was once rolled out, with `wait`).
 * @throws {TypeError} When `env` is empty, a container's variables are empty, a variable name is empty, a value is neither a string nor `null`, or a container is not in the object (the message lists those it has).
 * @throws {WaitError} With `wait`: as {@link setImage}.
 * @throws {KubernetesApiError} `isNotFound()` when the object does not exist; 422 when the server refuses a variable name.
 *
 * @example Change a setting and wait for the rollout
 * ```ts
 * import { setEnv } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function debug(client: RestClient): Promise<void> {
 *   const web = { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "shop" };
 *   await setEnv(client, web, { httpd: { LOG_LEVEL: "debug", OLD_FLAG: null } }, { wait: { timeoutMs: 300_000 } });
 * }
 * ```
 */
export async function setEnv(
  client: RestClient | DynamicClient,
  ref: ObjectRef,
  env: Record<string, Record<string, string | null>>,
  options: SetEnvOptions = {},
): Promise<KubernetesObject> {
  const what = `set env of ${describeRef(ref)}`;
  const wanted = Object.entries(env);
  if (!wanted.length) {
    throw new TypeError(
      `${what}: expected at least one container with variables, found none`,
    );
  }
  for (const [container, vars] of wanted) {
    const names = Object.entries(vars ?? {});
    const at = `${what}: container ${JSON.stringify(container)}`;
    if (!names.length) {
      throw new TypeError(`${at}: expected at least one variable, found none`);
    }
    for (const [name, value] of names) {
      if (name === "") throw new TypeError(`${at}: a variable name is empty`);
      if (typeof value !== "string" && value !== null) {
        throw new TypeError(
          `${at}: variable ${
            JSON.stringify(name)
          }: expected a string or null (remove), found ${typeof value}`,
        );
      }
    }
  }
  return await patchContainers(client, ref, what, env, (c) => {
    // A named container's own entries win over "*"'s, per variable.
    const vars = {
      ...(Object.hasOwn(env, "*") ? env["*"] : {}),
      ...(Object.hasOwn(env, c.name) ? env[c.name] : {}),
    };
    // The order kubectl leaves: the variables kept where they were, new
    // ones appended (a value may refer to an earlier variable as $(NAME)).
    // Without it the server's merge puts new ones first.
    const had = (Array.isArray(c.env) ? c.env : []).map((e) =>
      String((e as { name?: unknown }).name)
    );
    const order = [
      ...had.filter((n) => !Object.hasOwn(vars, n) || vars[n] !== null),
      ...Object.keys(vars).filter((n) => !had.includes(n) && vars[n] !== null),
    ];
    return {
      name: c.name,
      "$setElementOrder/env": order.map((name) => ({ name })),
      env: Object.entries(vars).map(([name, value]) =>
        value === null
          ? { name, $patch: "delete" }
          : { name, value, valueFrom: null }
      ),
    };
  }, options);
}

/**
 * Reads the object, checks that every container `wanted` names (other
 * than `"*"`) is in its pod spec, and patches each selected container with
 * what `change` makes of it, in one strategic merge patch; then waits for
 * the rollout when asked. One place for `kubectl set image` and `set env`.
 */
async function patchContainers(
  client: RestClient | DynamicClient,
  ref: ObjectRef,
  what: string,
  wanted: Record<string, unknown>,
  change: (container: { name: string; env?: unknown }) => Obj,
  options: SetImageOptions,
): Promise<KubernetesObject> {
  const dyn = DynamicClient.for(client);
  const current = await dyn.get(ref, { signal: options.signal });
  const path = podSpecPath(ref.kind);
  let podSpec: Obj | undefined = current as unknown as Obj;
  for (const key of path) podSpec = podSpec?.[key] as Obj | undefined;
  if (!podSpec) {
    throw new TypeError(
      `${what}: it has no ${
        path.join(".")
      } (expected a kind with a pod template)`,
    );
  }
  const patchSpec: Obj = {};
  const matched = new Set<string>();
  for (const list of ["initContainers", "containers"]) {
    const containers = (Array.isArray(podSpec[list]) ? podSpec[list] : []) as {
      name: string;
    }[];
    const changes = containers.flatMap((c) => {
      if (!Object.hasOwn(wanted, c.name) && !Object.hasOwn(wanted, "*")) {
        return [];
      }
      matched.add(c.name);
      return [change(c)];
    });
    if (changes.length) patchSpec[list] = changes;
  }
  const missing = Object.keys(wanted).filter((n) =>
    n !== "*" && !matched.has(n)
  );
  if (missing.length || !matched.size) {
    const have = ["initContainers", "containers"].flatMap((l) =>
      (Array.isArray(podSpec![l]) ? podSpec![l] as { name: string }[] : []).map(
        (c) => c.name,
      )
    );
    throw new TypeError(
      `${what}: no container named ${
        missing.map((n) => JSON.stringify(n)).join(", ") || '"*"'
      } (it has ${have.join(", ") || "none"})`,
    );
  }
  let patch: Obj = patchSpec;
  for (const key of [...path].reverse()) patch = { [key]: patch };
  const patched = await dyn.patch(ref, patch, {
    type: "strategic",
    fieldManager: options.fieldManager,
    signal: options.signal,
  });
  if (!options.wait) return patched;
  const waitOpts = typeof options.wait === "object" ? options.wait : {};
  return await waitForRollout(dyn, ref, {
    ...waitOpts,
    before: current,
    signal: options.signal,
  });
}

/** Options for {@link waitForRollout}. */
export interface WaitForRolloutOptions extends WaitForOptions {
  /**
   * The workload as it was before the change waited for (`setImage`
   * passes it). A Deployment's `ProgressDeadlineExceeded` it already
   * carried is the replaced rollout's verdict, which the controller keeps
   * until the new rollout moves: it does not fail this wait.
   * @default {none: every verdict fails the wait, as `kubectl rollout status` does}
   */
  before?: KubernetesObject;
}

/**
 * The rollout condition for a kind, as `kubectl rollout status` has one.
 *
 * @param kind `Deployment`, `StatefulSet` or `DaemonSet`.
 * @param options `before`: the object before the change waited for (see {@link WaitForRolloutOptions}).
 * @returns The condition.
 * @throws {TypeError} For any other kind.
 */
export function rolloutCondition(
  kind: string,
  options: { before?: KubernetesObject } = {},
): WaitCondition {
  switch (kind) {
    case "Deployment":
      return deploymentRolledOut(options);
    case "StatefulSet":
      return statefulSetRolledOut();
    case "DaemonSet":
      return daemonSetRolledOut();
    default:
      throw new TypeError(
        `rollout status: expected a Deployment, StatefulSet or DaemonSet, found ${kind}`,
      );
  }
}

/**
 * Waits until a workload's rollout is complete, as `kubectl rollout status`
 * does: a Deployment's latest generation observed, every replica updated,
 * no old replica left and every updated one available; a StatefulSet's
 * replicas ready at the update revision (or, with a partition, those from
 * the partition up updated); a DaemonSet's pods updated and available on
 * every node that should run one. Fails as soon as the controller reports
 * `ProgressDeadlineExceeded` or `ReplicaFailure` for the generation it
 * observed.
 *
 * @param client Any transport, or a {@link DynamicClient}.
 * @param ref The Deployment, StatefulSet or DaemonSet.
 * @param options Deadline (default 5 minutes), signal, the object before the change.
 * @returns The object as it was when the rollout was complete.
 * @throws {WaitError} `ProgressDeadlineExceeded`, `ReplicaFailure`, `RolloutUnsupported` (the `OnDelete` strategy), or `Timeout` naming what was last seen.
 * @throws {TypeError} For a kind that has no rollout.
 * @throws {KubernetesApiError} When the server refuses the list or watch (403, …).
 */
export async function waitForRollout(
  client: RestClient | DynamicClient,
  ref: ObjectRef,
  options: WaitForRolloutOptions = {},
): Promise<KubernetesObject> {
  const condition = rolloutCondition(ref.kind, { before: options.before });
  return (await waitFor(client, ref, condition, options))!;
}
