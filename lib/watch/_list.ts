// The paged list: every page of the collection (`limit`, following
// `continue`), restarted from the first page when a continue token
// expires, each page under its own answer deadline.

import { KubernetesApiError } from "../errors/mod.ts";
import type { KindIds, KindIdsReq, ListOf, ListOpts } from "./types.ts";
import type { ReflectorClock } from "./clock.ts";
import { abortable, startDeadline } from "./_deadline.ts";
import { keyed, keyOf } from "./_diff.ts";

/** What a list needs of the Reflector's settings. */
export interface ListSettings<T> {
  readonly lister: (opts: ListOpts) => Promise<ListOf<T>>;
  readonly pageSize: number;
  readonly selectors: { labelSelector?: string; fieldSelector?: string };
  readonly clock: ReflectorClock;
  readonly requestTimeoutMs: number;
}

/**
 * Lists the whole collection.
 *
 * @returns The objects `admits` accepts, by key, and the list's version.
 * @throws Whatever the lister throws (but a 410 on a continue token, which
 * restarts the list), the deadline's timeout, or an Error when the list
 * has no resourceVersion.
 */
export async function listAll<T extends KindIds>(
  s: ListSettings<T>,
  admits: (obj: T & KindIdsReq) => boolean,
  signal: AbortSignal,
): Promise<{ fresh: Map<string, T & KindIdsReq>; version: string }> {
  const fresh = new Map<string, T & KindIdsReq>();
  let token: string | undefined;
  let version: string | undefined | null;
  for (;;) {
    let page: ListOf<T>;
    const pageCtl = new AbortController();
    const deadline = startDeadline(
      s.clock,
      s.requestTimeoutMs,
      "list",
      pageCtl,
      signal,
    );
    try {
      const pageSignal = AbortSignal.any([signal, pageCtl.signal]);
      page = await abortable(
        s.lister({
          abortSignal: pageSignal,
          limit: s.pageSize,
          ...(token ? { continue: token } : {}),
          ...s.selectors,
        }),
        pageSignal,
      );
    } catch (err) {
      if (token && err instanceof KubernetesApiError && err.isGone()) {
        // The continue token expired mid-list: start the list over.
        fresh.clear();
        token = undefined;
        continue;
      }
      throw err;
    } finally {
      deadline.cancel();
    }
    for (const item of page.items) {
      const obj = keyed(item);
      if (admits(obj)) fresh.set(keyOf(obj), obj);
    }
    version = page.metadata.resourceVersion;
    token = page.metadata.continue || undefined;
    if (!token) break;
  }
  if (!version) {
    throw new Error("the list response has no metadata.resourceVersion");
  }
  return { fresh, version };
}
