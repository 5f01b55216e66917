// The list-then-watch engine for callers that consume a collection's state
// and changes as a stream of events and stop when they have what they need
// (waitFor): kube-rs's `watcher`, with the Reflector's policy. It is an
// explicit state machine — Listing, Watching{resourceVersion},
// Backoff{delayMs, next} — run by one generator:
//
// - Listing: the whole collection through `_list.ts` (paged, client-go's
//   fallback on an expired continue token), yielded as one LISTED event,
//   then Watching from the list's version.
// - Watching: events are yielded as they come. A clean end resumes from the
//   last version seen; a "very short watch" (no event within a second) is
//   backed off first. A 410 or a too-large version (HTTP status or ERROR
//   event) lists again, after a backoff: client-go waits between relists.
// - A failure `retriable` accepts backs off and retries the same state;
//   any other is thrown.
//
// Every iteration yields a turn of the event loop, so a fake whose promises
// resolve at once cannot starve the caller's timers, and every await ends
// when the signal aborts.

import type { WatchEvent } from "../contract.ts";
import { apiErrorFromStatus, type Status } from "../errors/mod.ts";
import { abortable, timerTurns, yieldToTimers } from "../_internal/delay.ts";
import type { Backoff } from "./backoff.ts";
import type { ReflectorClock } from "./clock.ts";
import type { ListOf, ListOpts, WatchOpts } from "./types.ts";
import { listAll } from "./_list.ts";
import {
  isVeryShortWatch,
  needsRelist,
  veryShortWatchError,
} from "./_retry_policy.ts";

/** What the engine yields: a whole state, then the changes to it. */
export type EngineEvent<T> =
  | { type: "LISTED"; items: T[]; resourceVersion: string | undefined }
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: T }
  | { type: "BOOKMARK"; object: { metadata: { resourceVersion: string } } };

/** The engine's states. */
export type EngineState =
  | { kind: "Listing" }
  | { kind: "Watching"; resourceVersion: string | undefined }
  | { kind: "Backoff"; delayMs: number; next: EngineState; cause: unknown };

/** What the engine needs. */
export interface EngineOptions<T> {
  /** Lists one page. */
  lister: (opts: ListOpts) => Promise<ListOf<T>>;
  /** Opens one watch. */
  watcher: (opts: WatchOpts) => Promise<ReadableStream<WatchEvent<T, Status>>>;
  /** Passed to every list and watch. */
  selectors: { labelSelector?: string; fieldSelector?: string };
  /** Items per list page. */
  pageSize: number;
  /** The server-side timeout of each watch, in seconds. */
  watchTimeoutSeconds: number;
  /** Waits after failures, very short watches and before relists. */
  backoff: Backoff;
  /** Time for backoffs and the very-short-watch test. */
  clock: ReflectorClock;
  /** Failures worth retrying after a backoff; others end the iteration. */
  retriable: (err: unknown) => boolean;
  /** Names the collection in errors (method and path only). */
  path: string;
  /** Told of every backoff, with its cause, before it is waited. */
  onBackoff?: (cause: unknown, delayMs: number) => void;
}

/**
 * Lists, then watches, for as long as the caller iterates.
 *
 * @param o The list and watch functions and the policy's pieces.
 * @param signal Ends the iteration (every pending request and wait with it).
 * @returns The events; the iteration ends only by the caller's `return`,
 *   the signal, or a failure `retriable` rejects.
 * @throws A failure `retriable` rejects, or the signal's reason.
 */
export async function* listThenWatch<T>(
  o: EngineOptions<T>,
  signal: AbortSignal,
): AsyncGenerator<EngineEvent<T>, void, undefined> {
  let state: EngineState = { kind: "Listing" };
  const backOff = (cause: unknown, next: EngineState): EngineState => {
    const delayMs = o.backoff.next(o.clock.now());
    o.onBackoff?.(cause, delayMs);
    return { kind: "Backoff", delayMs, next, cause };
  };
  const failed = (err: unknown, next: EngineState): EngineState => {
    signal.throwIfAborted();
    if (needsRelist(err)) return backOff(err, { kind: "Listing" });
    if (!o.retriable(err)) throw err;
    return backOff(err, next);
  };
  for (;;) {
    await yieldToTimers(signal);
    switch (state.kind) {
      case "Backoff":
        await o.clock.sleep(state.delayMs, signal);
        state = state.next;
        break;
      case "Listing": {
        let listed;
        try {
          listed = await listAll({
            lister: o.lister,
            pageSize: o.pageSize,
            selectors: o.selectors,
            clock: o.clock,
          }, signal);
        } catch (err) {
          state = failed(err, state);
          break;
        }
        yield { type: "LISTED", ...listed };
        state = { kind: "Watching", resourceVersion: listed.resourceVersion };
        break;
      }
      case "Watching":
        state = yield* watchOnce(o, state.resourceVersion, signal, {
          failed,
          backOff,
        });
    }
  }
}

/** One watch request, read to its end; returns the next state. */
async function* watchOnce<T>(
  o: EngineOptions<T>,
  from: string | undefined,
  signal: AbortSignal,
  policy: {
    failed: (err: unknown, next: EngineState) => EngineState;
    backOff: (cause: unknown, next: EngineState) => EngineState;
  },
): AsyncGenerator<EngineEvent<T>, EngineState, undefined> {
  let version = from;
  const started = o.clock.now();
  let events = 0;
  let reader: ReadableStreamDefaultReader<WatchEvent<T, Status>> | undefined;
  // A stream whose events are all there already never waits: take a turn
  // of the event loop now and then so the caller's timers still fire.
  const takeTurn = timerTurns();
  try {
    const stream = await abortable(
      o.watcher({
        ...(version ? { resourceVersion: version } : {}),
        ...o.selectors,
        allowWatchBookmarks: true,
        timeoutSeconds: o.watchTimeoutSeconds,
        abortSignal: signal,
      }),
      signal,
    );
    reader = stream.getReader();
    for (;;) {
      const { done, value: ev } = await abortable(reader.read(), signal);
      if (done) break;
      events++;
      const turn = takeTurn(signal);
      if (turn) await turn;
      if (ev.type === "ERROR") {
        throw apiErrorFromStatus(ev.object, { method: "GET", path: o.path });
      }
      const rv = (ev.object as { metadata?: { resourceVersion?: string } })
        .metadata?.resourceVersion;
      if (rv) version = rv;
      yield ev as EngineEvent<T>;
    }
  } catch (err) {
    return policy.failed(err, { kind: "Watching", resourceVersion: version });
  } finally {
    reader?.cancel().catch(() => {});
  }
  const next: EngineState = { kind: "Watching", resourceVersion: version };
  return isVeryShortWatch(started, o.clock.now(), events)
    ? policy.backOff(veryShortWatchError(`watch ${o.path}`), next)
    : next;
}
