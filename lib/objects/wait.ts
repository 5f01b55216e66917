/**
 * Waiting for one object to reach a condition, the way client-go's
 * `watchtools.UntilWithSync` does: list it, test the condition, then watch
 * from the list's resourceVersion so no change in between is missed; a 410
 * (Expired) lists again; a clean end of the watch resumes from the last
 * version seen. The loop is the library's one list/watch loop, a
 * `Reflector` on the object's collection (by name), with client-go's
 * policy: backoff with jitter (800 ms doubling to 30 s) after a failure,
 * after a watch that ends within a second with no event, and before every
 * relist, so a server that ends or expires every watch at once is asked
 * about once a second, not thousands of times. Conditions may fail fast
 * with a {@link WaitError} (a pod whose image cannot be pulled will not
 * become Ready by waiting); otherwise the wait ends at its deadline with a
 * `WaitError` of reason `Timeout` that says what was last seen.
 *
 * Permissions: whatever the transport needs; nothing more.
 *
 * @module
 */

import type { JSONValue, RestClient } from "../contract.ts";
import {
  KubernetesApiError,
  type Status,
  TransportError,
} from "../errors/mod.ts";
import { DynamicClient } from "./dynamic_client.ts";
import {
  describeRef,
  type KubernetesObject,
  type ObjectRef,
} from "./kubernetes_object.ts";
import { type WaitCondition, WaitError } from "./wait_error.ts";
import { abortable } from "../_internal/delay.ts";
import { listWatch } from "../watch/list_watch.ts";
import { Reflector } from "../watch/reflector.ts";
import type { KindIdsReq, ReflectorEvent } from "../watch/types.ts";
import type { CollectionRef } from "./dynamic_client_types.ts";
import { isRetriable } from "../watch/_retry_policy.ts";
import { pathSegment } from "../_wire/api_path.ts";

export * from "./wait_error.ts";
export * from "./conditions.ts";

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** How long to wait. @default {300000} (5 minutes) */
  timeoutMs?: number;
  /** Ends the wait early; it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Waits until `target` meets `condition`: list, test, then watch from the
 * list's resourceVersion, testing every change. A 410 relists after a
 * backoff; a watch the server ends is resumed (after a backoff when it
 * lasted under a second with no event); a failed connection, a 429 or a
 * 5xx is retried after a backoff (800 ms doubling to 30 s, with jitter);
 * so is a malformed watch line. Any other answer (401, 403, 404, …) ends
 * the wait with that error. The object need not
 * exist yet.
 *
 * @param client Any transport, or a {@link DynamicClient} to share its discovery.
 * @param target The object, by `apiVersion`/`kind`/name/namespace.
 * @param condition A ready-made condition (`podReady()`, `deploymentAvailable()`, `deleted()`, …) or a predicate.
 * @param options Deadline and signal.
 * @returns The object as it was when the condition held (`undefined` for `deleted()`).
 * @throws {WaitError} `Timeout` at the deadline (naming what was last seen), or the reason the object cannot make it.
 * @throws {KubernetesApiError} When the server refuses the list or watch (403, …).
 * @throws {UnknownKindError} When the kind is not served.
 * @throws {PathSegmentError} When the name or namespace cannot be one path segment (empty name, `.`, `..`, `/`, `%`); nothing is sent.
 *
 * @example Wait until a pod is Ready, failing fast on a bad image
 * ```ts
 * import { podReady, waitFor, WaitError } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function ready(client: RestClient): Promise<void> {
 *   try {
 *     await waitFor(client, { apiVersion: "v1", kind: "Pod", name: "web-0", namespace: "web" }, podReady(), { timeoutMs: 60_000 });
 *   } catch (err) {
 *     if (err instanceof WaitError) console.error(err.reason, err.message); // e.g. ImagePullBackOff
 *     throw err;
 *   }
 * }
 * ```
 */
export async function waitFor<T = KubernetesObject>(
  client: RestClient | DynamicClient,
  target: ObjectRef,
  condition: WaitCondition<T> | ((obj: T | undefined) => boolean),
  options: WaitForOptions = {},
): Promise<T | undefined> {
  const cond: WaitCondition<T> = typeof condition === "function"
    ? { description: "the condition", test: (o) => condition(o) }
    : condition;
  const dyn = DynamicClient.for(client);
  // A name that cannot be a path segment fails before any request.
  pathSegment("name", target.name, describeRef(target));
  const timeoutMs = options.timeoutMs ?? 300_000;
  const own = new AbortController();
  const timer = setTimeout(
    () => own.abort(new WaitError("Timeout", target, "")),
    timeoutMs,
  );
  const signal = options.signal
    ? AbortSignal.any([options.signal, own.signal])
    : own.signal;
  let current: T | undefined;
  try {
    const mapping = await abortable(
      dyn.mapping(target.apiVersion, target.kind),
      signal,
    );
    // The object's path, by the one builder: checks the namespace too.
    await dyn.pathOf(target);
    const collection = {
      apiVersion: target.apiVersion,
      kind: target.kind,
      namespace: dyn.namespaceFor(mapping, target.namespace),
    };
    const path = await abortable(dyn.collectionPathOf(collection), signal);
    return await reflectUntil(
      dyn.client,
      path,
      { fieldSelector: `metadata.name=${target.name}` },
      signal,
      (evt, { synced }) => {
        if (evt.type === "ADDED" || evt.type === "MODIFIED") {
          current = evt.object as unknown as T;
        } else if (evt.type === "DELETED") current = undefined;
        else if (evt.type !== "SYNCED") return undefined;
        // Before the first SYNCED the state is not known yet (an absent
        // object is only absent once the list says so).
        return synced && cond.test(current, target)
          ? { value: current }
          : undefined;
      },
    );
  } catch (err) {
    if (own.signal.aborted && signal.reason === own.signal.reason) {
      throw new WaitError(
        "Timeout",
        target,
        `${cond.description} not reached within ${timeoutMs} ms; last seen: ${
          summarize(current)
        }`,
        { cause: err instanceof WaitError ? undefined : err },
      );
    }
    if (signal.aborted && !(err instanceof WaitError)) throw signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
    own.abort(); // ends a watch still open
  }
}

/** Which objects of a collection {@link waitForNone} waits on. */
export interface WaitForNoneOptions extends WaitForOptions {
  /** Such as `app=web`; both selectors together narrow further. @default {every object of the collection} */
  labelSelector?: string;
  /** Such as `status.phase=Running`. @default {none} */
  fieldSelector?: string;
}

/**
 * Waits until no object of a collection matches the selectors, as
 * `kubectl wait --for=delete -l app=web` waits for the pods of a workload
 * scaled to zero, on the same list/watch loop as {@link waitFor}: list,
 * then watch from the list's version, until the collection, as the server
 * reports it, holds none. Unlike `kubectl`, which waits for the objects it
 * found at the start, an object created meanwhile that matches is waited
 * for too: the wait is for "none", not for "these gone".
 *
 * @param client Any transport, or a {@link DynamicClient} to share its discovery.
 * @param collection The kind, and the namespace (ignored for cluster-scoped kinds; `allNamespaces` for every one).
 * @param options Selectors, deadline and signal.
 * @returns When none matches (at once when none did to begin with).
 * @throws {WaitError} `Timeout` at the deadline, naming the objects still there (its `target` is the collection, with the name `*`).
 * @throws {KubernetesApiError} When the server refuses the list or watch (403, a malformed selector's 400, …).
 * @throws {UnknownKindError} When the kind is not served.
 * @throws {PathSegmentError} When the namespace cannot be one path segment; nothing is sent.
 *
 * @example Scale to zero and wait until every pod is gone
 * ```ts
 * import { scale, waitForNone } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function stop(client: RestClient): Promise<void> {
 *   await scale(client, { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "shop" }, 0);
 *   await waitForNone(client, { apiVersion: "v1", kind: "Pod", namespace: "shop" }, {
 *     labelSelector: "app=web",
 *     timeoutMs: 60_000,
 *   });
 * }
 * ```
 */
export async function waitForNone(
  client: RestClient | DynamicClient,
  collection: CollectionRef,
  options: WaitForNoneOptions = {},
): Promise<void> {
  const dyn = DynamicClient.for(client);
  const timeoutMs = options.timeoutMs ?? 300_000;
  // The error's target is the collection: `*` for its name, as in "every match".
  const where = { ...collection, name: "*" };
  const selectors = [options.labelSelector, options.fieldSelector]
    .filter(Boolean).join(", ");
  const what = `no ${collection.kind}${
    selectors ? ` matching ${JSON.stringify(selectors)}` : ""
  }`;
  const own = new AbortController();
  const timer = setTimeout(
    () => own.abort(new WaitError("Timeout", where, "")),
    timeoutMs,
  );
  const signal = options.signal
    ? AbortSignal.any([options.signal, own.signal])
    : own.signal;
  let left: string[] = [];
  try {
    const path = await abortable(dyn.collectionPathOf(collection), signal);
    await reflectUntil(
      dyn.client,
      path,
      {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
      },
      signal,
      (_evt, { synced, cached }) => {
        if (!synced) return undefined;
        left = cached().map((o) =>
          `${
            o.metadata.namespace ? `${o.metadata.namespace}/` : ""
          }${o.metadata.name}`
        );
        return left.length === 0 ? { value: undefined } : undefined;
      },
    );
  } catch (err) {
    if (own.signal.aborted && signal.reason === own.signal.reason) {
      throw new WaitError(
        "Timeout",
        where,
        `${what} not reached within ${timeoutMs} ms; still there: ${
          left.join(", ") || "(not listed yet)"
        }`,
        { cause: err instanceof WaitError ? undefined : err },
      );
    }
    if (signal.aborted && !(err instanceof WaitError)) throw signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
    own.abort(); // ends a watch still open
  }
}

/**
 * Runs the library's one list/watch loop (a `Reflector`) on a collection
 * until `check`, called with every event, returns a value: the Reflector lists, watches from the list's version, resumes,
 * relists after a 410 and backs off with client-go's policy; the waits only
 * test what it reports, and give up on a failure that waiting cannot cure.
 */
async function reflectUntil<R>(
  client: RestClient,
  path: string,
  selectors: { labelSelector?: string; fieldSelector?: string },
  signal: AbortSignal,
  check: (
    evt: ReflectorEvent<KubernetesObject>,
    state: {
      /** Whether the cache holds what the server has (between SYNCED and DESYNCED). */
      synced: boolean;
      cached: () => (KubernetesObject & KindIdsReq)[];
    },
  ) => { value: R } | undefined,
): Promise<R> {
  const { lister, watcher } = listWatch<KubernetesObject, Status>(
    client,
    path,
  );
  let fatal: { err: unknown } | undefined;
  const reflector = new Reflector<KubernetesObject, Status>(lister, watcher, {
    ...selectors,
    initialList: "list",
    onError: (err) => {
      if (fatal || !endsWait(err.cause)) return;
      fatal = { err: err.cause };
      reflector.stop();
    },
  });
  const running = reflector.run(signal);
  try {
    for await (const evt of reflector.observeAll()) {
      const done = check(evt, {
        synced: reflector.isSynced(),
        cached: () => reflector.listCached(),
      });
      if (done) return done.value;
    }
  } finally {
    reflector.stop();
    await running;
  }
  if (fatal) throw fatal.err;
  signal.throwIfAborted();
  throw new Error("the Reflector stopped on its own");
}

/**
 * Whether a failure the Reflector reports ends the wait: an answer that
 * waiting will not change (401, 403, 404, 400, …) or a request that cannot
 * be sent. Dropped connections, timeouts, 429, 5xx and very short watches
 * are backed off and retried until the deadline.
 */
function endsWait(err: unknown): boolean {
  return (err instanceof KubernetesApiError ||
    err instanceof TransportError) && !isRetriable(err);
}

/**
 * A one-line summary of an object's state for messages: its phase and
 * conditions, or `absent`.
 *
 * @param obj The object, or `undefined`.
 * @returns Such as `phase Pending; PodScheduled=True, Ready=False`.
 */
export function summarize(obj: unknown): string {
  if (obj === undefined || obj === null) return "absent";
  const status = (obj as { status?: Record<string, JSONValue> }).status;
  if (!status) return "no status yet";
  const parts: string[] = [];
  if (typeof status.phase === "string") parts.push(`phase ${status.phase}`);
  const conds = Array.isArray(status.conditions) ? status.conditions : [];
  const list = conds.map((c) => {
    const { type, status: s, reason } = c as Record<string, JSONValue>;
    return `${type}=${s}${reason ? ` (${reason})` : ""}`;
  });
  if (list.length) parts.push(list.join(", "));
  for (
    const key of [
      "replicas",
      "updatedReplicas",
      "readyReplicas",
      "availableReplicas",
    ]
  ) {
    if (typeof status[key] === "number") parts.push(`${key} ${status[key]}`);
  }
  return parts.join("; ") || "status without phase or conditions";
}
