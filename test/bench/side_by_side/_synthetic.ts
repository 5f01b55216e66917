// Synthetic Pod collections of the side-by-side bench, named by their
// namespace so the replay server, the orchestrator and the contenders agree
// on what a path serves without sharing state: `replay-l<L>-e<E>` (and
// `replay-l<L>-e<E>-w<i>` for the i-th of many watches) lists L realistic
// Pods (paged when asked: limit/continue, remainingItemCount), then watches
// E events from the list's resourceVersion: E − 1 MODIFIED events cycling
// over the listed Pods, then one ADDED of a Pod not listed (the sentinel,
// so a contender can tell the last event arrived by looking one key up),
// after which the watch stays open with nothing new, as an apiserver's does.
// It also holds the one body every other replay sends (replayEvent).

import { fakePod } from "../../_pods.ts";

/** What a synthetic namespace serves. */
export interface Synthetic {
  /** Pods in the list. */
  list: number;
  /** Watch events after the list; the last ADDs the sentinel. */
  events: number;
}

/** The list's resourceVersion; items and events are numbered around it. */
export const LIST_RV = 10_000_000;

const NAME = /^replay-l(\d+)-e(\d+)(?:-w\d+)?$/;

/**
 * The namespace that serves `s`.
 * @param s List and event counts.
 * @param watch The index of one of many watches of the same shape.
 * @returns Its name.
 */
export function syntheticNamespace(s: Synthetic, watch?: number): string {
  return `replay-l${s.list}-e${s.events}${
    watch === undefined ? "" : `-w${watch}`
  }`;
}

/**
 * What a namespace serves, or undefined if it is not synthetic.
 * @param namespace A namespace name.
 * @returns Its counts.
 */
export function parseSyntheticNamespace(
  namespace: string,
): Synthetic | undefined {
  const m = NAME.exec(namespace);
  return m ? { list: Number(m[1]), events: Number(m[2]) } : undefined;
}

/**
 * The i-th Pod of a synthetic namespace (i === list: the sentinel).
 * @param namespace Where it lives.
 * @param i Its index.
 * @param rv Its resourceVersion.
 * @returns The Pod.
 */
export function syntheticPod(
  namespace: string,
  i: number,
  rv: number,
): Record<string, unknown> {
  const pod = fakePod(i, rv) as { metadata: Record<string, unknown> };
  pod.metadata.namespace = namespace;
  return pod;
}

/**
 * The name of the Pod the last watch event adds.
 * @param s The collection.
 * @returns The sentinel's name.
 */
export function sentinelName(s: Synthetic): string {
  return (fakePod(s.list, 0) as { metadata: { name: string } }).metadata.name;
}

/**
 * The j-th watch event of a synthetic namespace.
 * @param namespace The namespace.
 * @param s Its counts (list >= 1 when events > 1).
 * @param j 0 … events − 1.
 * @returns The event.
 */
export function syntheticEvent(
  namespace: string,
  s: Synthetic,
  j: number,
): { type: string; object: Record<string, unknown> } {
  const rv = LIST_RV + 1 + j;
  return j === s.events - 1
    ? { type: "ADDED", object: syntheticPod(namespace, s.list, rv) }
    : { type: "MODIFIED", object: syntheticPod(namespace, j % s.list, rv) };
}

/**
 * The i-th event of the replayed watch body (the decode and cache jobs),
 * which follows an empty list at resourceVersion "999".
 * @param i 0 … events − 1.
 * @returns The event.
 */
export function replayEvent(
  i: number,
): { type: string; object: Record<string, unknown> } {
  return {
    type: i % 5 ? "MODIFIED" : "ADDED",
    object: fakePod(i % 3000, 1000 + i),
  };
}
