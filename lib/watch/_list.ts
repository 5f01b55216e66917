// The one paged list of the library: every page of a collection (`limit`,
// following `continue`), each page under an optional answer deadline, and
// client-go's answer to a continue token that expires mid-list. The
// Reflector (and so waitFor, which runs one), DynamicClient.list and
// readAllPages all page through here.

import type { ListOf, ListOpts } from "./types.ts";
import type { ReflectorClock } from "./clock.ts";
import { startDeadline } from "./_deadline.ts";
import { abortable } from "../_internal/delay.ts";
import { isExpired } from "./_retry_policy.ts";

/**
 * Fetches pages until one has no `continue` token, yielding each whole.
 * Nothing is retried here: pages already handed out cannot be taken back,
 * so what `fetchPage` throws (a 410 on an expired token included) ends the
 * iteration.
 *
 * @param fetchPage Fetches one page; gets the continue token (none for the first page).
 * @returns The pages, in order.
 */
export async function* pagesOf<
  P extends { metadata: { continue?: string | null } },
>(
  fetchPage: (token: string | undefined) => Promise<P>,
): AsyncGenerator<P, void, undefined> {
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    yield page;
    token = page.metadata.continue || undefined;
  } while (token);
}

/** What a whole-collection list needs. */
export interface ListSettings<T> {
  /** Lists one page. */
  readonly lister: (opts: ListOpts) => Promise<ListOf<T>>;
  /** Items per page (`limit`); 0 asks for everything at once. */
  readonly pageSize: number;
  /** Passed on to every page. */
  readonly selectors: { labelSelector?: string; fieldSelector?: string };
  /** Time for the page deadlines. */
  readonly clock: ReflectorClock;
  /** The longest wait for one page; none when undefined. */
  readonly requestTimeoutMs?: number;
}

/** A whole collection at one resourceVersion. */
export interface Listed<T> {
  /** Every item of every page, in order. */
  items: T[];
  /** The list's resourceVersion (the first page's; later pages repeat it). */
  resourceVersion: string | undefined;
}

/**
 * Lists the whole collection, page by page.
 *
 * A continue token that expires (410) between pages is client-go's
 * `ListPager.List` with `FullListIfExpired` (k8s.io/client-go/tools/pager
 * /pager.go): the list falls back, once, to a full list — no `limit`, no
 * `continue`, "as a last resort" — and the pages read so far are dropped.
 * Should the server paginate that one anyway, its pages are followed; a
 * second expiry ends the list with the server's 410, so a server that
 * expires every token costs at most four requests, never a loop. (The
 * Reflector and waitFor then back off before listing again, as client-go's
 * Reflector does after a failed list.) A 410 on the first page — no token —
 * is the server's answer and is thrown as is.
 *
 * @param s The lister, page size, selectors and page deadline.
 * @param signal Aborts the list.
 * @returns Every item and the list's resourceVersion.
 * @throws Whatever the lister throws (a second expired token included), a
 *   timeout `TransportError` past a page's deadline, or the signal's reason.
 */
export async function listAll<T>(
  s: ListSettings<T>,
  signal: AbortSignal,
): Promise<Listed<T>> {
  try {
    return await collect(s, s.pageSize, signal);
  } catch (err) {
    if (!(err instanceof ExpiredToken)) throw err;
    try {
      return await collect(s, 0, signal);
    } catch (again) {
      throw again instanceof ExpiredToken ? again.cause : again;
    }
  }
}

/** A 410 on a continue token (not on the first page): carries the server's error. */
class ExpiredToken extends Error {
  constructor(override readonly cause: unknown) {
    super("the continue token expired");
  }
}

async function collect<T>(
  s: ListSettings<T>,
  limit: number,
  signal: AbortSignal,
): Promise<Listed<T>> {
  const items: T[] = [];
  let resourceVersion: string | undefined;
  for await (
    const page of pagesOf((token) =>
      onePage(s, {
        ...(limit > 0 ? { limit } : {}),
        ...(token ? { continue: token } : {}),
        ...s.selectors,
      }, signal).catch((err) => {
        throw token && isExpired(err) ? new ExpiredToken(err) : err;
      })
    )
  ) {
    resourceVersion ??= page.metadata.resourceVersion || undefined;
    for (const item of page.items ?? []) items.push(withKind(item, page));
  }
  return { items, resourceVersion };
}

/**
 * The apiserver leaves `apiVersion` and `kind` out of a typed list's items
 * (a PodList's pods); client-go's unstructured decoding sets them from the
 * list (apimachinery unstructured/helpers.go `decodeToList`: `kind` without
 * `List`, the list's `apiVersion`), so a listed object reads as a watched
 * one does (watch events carry both). An item with either field keeps its
 * own. (A compact Reflector's packed items apply it when they are built:
 * `_packed.ts`.)
 */
export function withKind<T>(item: T, page: unknown): T {
  const obj = item as { apiVersion?: unknown; kind?: unknown } | null;
  const list = page as { apiVersion?: unknown; kind?: unknown };
  if (
    obj === null || typeof obj !== "object" ||
    obj.apiVersion !== undefined || obj.kind !== undefined ||
    typeof list.apiVersion !== "string" || typeof list.kind !== "string" ||
    !list.kind.endsWith("List")
  ) return item;
  obj.apiVersion = list.apiVersion;
  obj.kind = list.kind.slice(0, -"List".length);
  return item;
}

/** One page, under its deadline; a lister that ignores the signal cannot hold the list. */
async function onePage<T>(
  s: ListSettings<T>,
  opts: ListOpts,
  signal: AbortSignal,
): Promise<ListOf<T>> {
  if (s.requestTimeoutMs === undefined) {
    return await abortable(s.lister({ ...opts, abortSignal: signal }), signal);
  }
  const ctl = new AbortController();
  const deadline = startDeadline(
    s.clock,
    s.requestTimeoutMs,
    "list",
    ctl,
    signal,
  );
  try {
    const pageSignal = AbortSignal.any([signal, ctl.signal]);
    return await abortable(
      s.lister({ ...opts, abortSignal: pageSignal }),
      pageSignal,
    );
  } finally {
    deadline.cancel();
  }
}
