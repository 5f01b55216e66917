// One watch request, from a resourceVersion or as a WatchList stream, read
// to its end: events go to the cache, and how the watch ended decides the
// loop's next state. The stream is the watcher's parsed events, one per
// read, or — for a compact Reflector over `listWatch()` — its raw bytes,
// every line of a read handled in turn (`_raw.ts`).

import type { WatchEvent } from "../contract.ts";
import {
  apiErrorFromStatus,
  KubernetesApiError,
  type Status,
} from "../errors/mod.ts";
import type { ReflectorErrorReason } from "../errors/reflector_error.ts";
import type { ApiStatus, KindIds, ReflectorState, WatchOpts } from "./types.ts";
import type { ReflectorClock } from "./clock.ts";
import type { Cache } from "./_cache.ts";
import type { Intake } from "./_arrival.ts";
import {
  type Deadline,
  type Liveness,
  startDeadline,
  startWatchdog,
} from "./_deadline.ts";
import { abortable, timerTurns } from "../_internal/delay.ts";
import {
  isVeryShortWatch,
  needsRelist,
  veryShortWatchError,
} from "./_retry_policy.ts";
import {
  type Incoming,
  InitialEvents,
  isRefusal,
  watchListParams,
} from "./_initial_events.ts";
import { RawLines, type RawListWatch } from "./_raw.ts";
import { type ByteSource, sourceOf } from "../_wire/line_buffer.ts";

/** How a WatchList attempt failed to deliver the initial state. */
export type WatchListFailure =
  | "refused"
  | "ignored"
  | "no end marker"
  | "unauthorized";

/** What a watch needs of the Reflector: settings, the cache, and its reactions. */
export interface WatchContext<T extends KindIds, S extends ApiStatus, E> {
  readonly watcher: (
    opts: WatchOpts,
  ) => Promise<ReadableStream<WatchEvent<T, S>>>;
  /** The watcher's raw variant, read instead when given (a compact Reflector). */
  readonly raw: RawListWatch["watch"] | undefined;
  readonly selectors: { labelSelector?: string; fieldSelector?: string };
  readonly clock: ReflectorClock;
  readonly requestTimeoutMs: number;
  readonly inactivityMs: number;
  readonly watchTimeout: () => number;
  readonly cache: Cache<T, S, E>;
  /** A failure in `stage`: report it, then back off towards `next`. */
  failed(
    err: unknown,
    next: RetryState,
    stage: ReflectorErrorReason,
  ): ReflectorState;
  /** Back off towards `next` (the failure was already reported). */
  backOff(next: RetryState): ReflectorState;
  /** An ERROR event the loop handles itself: tell the `onError` hook. */
  onError(err: unknown, stage: ReflectorErrorReason): void;
  /** The cache no longer reflects the server (a 410): DESYNCED, then relist. */
  desync(): ReflectorState;
  /** The server sent the initial state and its end marker. */
  watchListAccepted(): void;
  /**
   * The server refused or ignored WatchList, sent no end marker in time, or
   * answered 401/403 (the user may list without being allowed to watch).
   */
  watchListFailed(how: WatchListFailure, err?: unknown): ReflectorState;
}

/** A parsed watch event as the cache takes it. */
function incoming<T extends KindIds, S, E>(
  evt: WatchEvent<T, S>,
  intake: Intake<T, E>,
): Incoming<E, S> {
  if (evt.type === "BOOKMARK" || evt.type === "ERROR") return evt;
  return { type: evt.type, arrival: intake.object(evt.object) };
}

/**
 * Opens the watch: the watcher's parsed events, or — given its raw
 * variant — its bytes and the decoder of their lines.
 */
async function open<T extends KindIds, S extends ApiStatus, E>(
  c: WatchContext<T, S, E>,
  opts: WatchOpts,
  signal: AbortSignal,
): Promise<
  | { stream: ReadableStream<WatchEvent<T, S>>; raw: undefined }
  | { stream: undefined; raw: { source: ByteSource; lines: RawLines<T, E, S> } }
> {
  if (c.raw) {
    const raw = await abortable(
      c.raw(opts),
      signal,
      (late) => void late.body.cancel().catch(() => {}),
    );
    // The transport's own source when it attached one (the bytes read
    // straight into the line buffer), else a BYOB reader of the body.
    return {
      stream: undefined,
      raw: {
        source: sourceOf(raw.body),
        lines: new RawLines(c.cache.intake, raw.partial),
      },
    };
  }
  const stream = await abortable(
    c.watcher(opts),
    signal,
    (late) => void late.cancel().catch(() => {}),
  );
  return { stream, raw: undefined };
}

/** Where the loop goes after a backoff. */
export type RetryState = { kind: "Empty" } | {
  kind: "Watching";
  resourceVersion: string;
};

/** A failure observers hear of as an ERROR event (401/403). */
export const isReportable = (err: unknown): err is KubernetesApiError =>
  err instanceof KubernetesApiError &&
  (err.isForbidden() || err.isUnauthorized());

/** An ERROR event's Status as the error it stands for. */
const statusError = (s: ApiStatus): KubernetesApiError =>
  apiErrorFromStatus(s as Status, { method: "GET", path: "(watch)" });

/** A 410 as a Status: the version is gone from the server's history. */
const isGoneStatus = (
  s: { code?: number | null; reason?: string | null },
): boolean => s.code === 410 || s.reason === "Expired" || s.reason === "Gone";

/**
 * Watches from `fromVersion`, or — without one — a WatchList stream whose
 * initial events fill a fresh map until the end marker replaces the cache
 * and the same stream goes on as a watch.
 *
 * @returns The loop's next state.
 */
export async function watchOnce<T extends KindIds, S extends ApiStatus, E>(
  c: WatchContext<T, S, E>,
  fromVersion: string | undefined,
  outer: AbortSignal,
): Promise<ReflectorState> {
  const { clock, cache } = c;
  const ctl = new AbortController();
  const signal = AbortSignal.any([outer, ctl.signal]);
  const started = clock.now();
  let version = fromVersion ?? "";
  let initial: InitialEvents<E> | undefined = fromVersion === undefined
    ? new InitialEvents<E>()
    : undefined;
  let markerDue: Deadline | undefined;
  // What a failure is reported as: until the watch answers, it did not start.
  let stage: ReflectorErrorReason = "WatchStartFailed";
  let events = 0;
  let reader: ReadableStreamDefaultReader<WatchEvent<T, S>> | undefined;
  let raw: { source: ByteSource; lines: RawLines<T, E, S> } | undefined;
  // A stream whose events are all there already (an in-process fake) never
  // waits: take a turn of the event loop now and then so timers still fire.
  const takeTurn = timerTurns();
  // One deadline for the whole watch, re-armed from the last event's time:
  // an event costs one clock read, not a timer.
  const liveness: Liveness = { lastEvent: started, stalled: undefined };
  startWatchdog(
    clock,
    c.inactivityMs,
    liveness,
    ctl,
    signal,
    () => raw?.source ?? reader,
  );
  try {
    const answered = startDeadline(
      clock,
      c.requestTimeoutMs,
      "watch",
      ctl,
      signal,
    );
    let stream: ReadableStream<WatchEvent<T, S>> | undefined;
    try {
      const opts: WatchOpts = {
        abortSignal: signal,
        ...(initial ? watchListParams : { resourceVersion: version }),
        timeoutSeconds: c.watchTimeout(),
        allowWatchBookmarks: true,
        ...c.selectors,
      };
      ({ stream, raw } = await open(c, opts, signal));
    } finally {
      answered.cancel();
    }
    if (initial) {
      markerDue = startDeadline(
        clock,
        c.requestTimeoutMs,
        "initial events",
        ctl,
        signal,
      );
    }
    liveness.lastEvent = clock.now();
    stage = "WatchFailed";
    reader = stream?.getReader();
    // A stream that ignores the abort signal must not hold a pending read.
    const held = raw?.source ?? reader!;
    signal.addEventListener(
      "abort",
      () => void held.cancel(signal.reason).catch(() => {}),
      { once: true },
    );
    /** One event; a state ends the watch. */
    const onEvent = (evt: Incoming<E, S>): ReflectorState | undefined => {
      events++;
      if (initial) {
        const step = initial.take(evt);
        if (step === undefined) return undefined;
        if (step === "ignored") return c.watchListFailed("ignored");
        if ("end" in step) {
          markerDue?.cancel();
          version = step.end;
          cache.replace(initial.fresh, version);
          initial = undefined;
          c.watchListAccepted();
          return undefined;
        }
        // An ERROR before the state is complete (a 410 included: the server
        // took the parameters, so this says nothing about its support):
        // start over after a backoff, the cache untouched. Observers hear of
        // anything but a 410, as during a watch.
        if (!isGoneStatus(step.error)) {
          cache.fanOut.emit({ type: "ERROR", object: step.error });
          c.onError(statusError(step.error), "WatchEventError");
        }
        return c.backOff({ kind: "Empty" });
      }
      if (evt.type === "ERROR") {
        const err = statusError(evt.object);
        if (needsRelist(err)) return c.desync();
        // Observers hear about it; the loop backs off and resumes.
        cache.fanOut.emit(evt);
        c.onError(err, "WatchEventError");
        return c.backOff({ kind: "Watching", resourceVersion: version });
      }
      if (evt.type === "BOOKMARK") {
        version = cache.bookmark(evt);
        return undefined;
      }
      version = cache.apply(evt.type, evt.arrival);
      return undefined;
    };
    const { intake } = cache;
    for (;;) {
      // Raw: one read into the line buffer, every event it completes
      // handled synchronously; parsed: one event.
      let next: ReflectorState | undefined;
      if (raw) {
        const { done, view } = await raw.source.read(raw.lines.room());
        if (liveness.stalled) throw liveness.stalled;
        if (done) {
          if (signal.aborted) throw signal.reason;
          raw.lines.filled(view, onEvent); // keeps the buffer (no lines: no newline)
          next = raw.lines.flush(onEvent);
          if (next) return next;
          break;
        }
        liveness.lastEvent = clock.now();
        const turn = takeTurn();
        if (turn) await turn;
        next = raw.lines.filled(view, onEvent);
      } else {
        const result = await reader!.read();
        if (liveness.stalled) throw liveness.stalled;
        if (result.done) {
          // Cancelled by an abort (a stream that ignores its signal): not a clean end.
          if (signal.aborted) throw signal.reason;
          break;
        }
        liveness.lastEvent = clock.now();
        const turn = takeTurn();
        if (turn) await turn;
        next = onEvent(incoming(result.value, intake));
      }
      if (next) return next;
    }
  } catch (err) {
    if (outer.aborted) return { kind: "Stopped" };
    if (initial) {
      if (isRefusal(err)) return c.watchListFailed("refused", err);
      if (isReportable(err)) return c.watchListFailed("unauthorized", err);
      if (markerDue && ctl.signal.reason === markerDue.error) {
        return c.watchListFailed("no end marker", err);
      }
      // A cut or a failure before the state was complete: start over.
      return c.failed(err, { kind: "Empty" }, stage);
    }
    if (needsRelist(err)) return c.desync();
    return c.failed(
      err,
      { kind: "Watching", resourceVersion: version },
      stage,
    );
  } finally {
    markerDue?.cancel();
    ctl.abort();
    await (raw?.source ?? reader)?.cancel().catch(() => {});
  }
  // A clean end before the end marker: the server ignored sendInitialEvents.
  if (initial) return c.watchListFailed("ignored");
  if (isVeryShortWatch(started, clock.now(), events)) {
    // A watch that ends at once with nothing would spin: a failure, as in client-go.
    return c.failed(veryShortWatchError("Reflector"), {
      kind: "Watching",
      resourceVersion: version,
    }, "WatchFailed");
  }
  return { kind: "Watching", resourceVersion: version };
}
