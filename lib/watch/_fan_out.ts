// Fan-out: every observer gets every event through its own bounded queue,
// starting from a snapshot, and an observer that fell behind is caught up
// exactly from the cache instead of being sent what it missed.

import type { KindIdsReq, ReflectorEvent } from "./types.ts";
import { ObserverQueue } from "./_observer_queue.ts";
import { difference } from "./_diff.ts";
import type { EntryForm } from "./_entry_form.ts";

/** What the fan-out reads of the cache to start and to catch up an observer. */
export interface CacheView<T, E> {
  /** Every cache entry. */
  entries(): Iterable<E>;
  /** How entries are read, and the events they become. */
  readonly form: EntryForm<T, E>;
  /** The version the cache is a complete picture at, if it is one. */
  readonly syncedVersion: string | undefined;
}

/** The observers of one Reflector. */
export class FanOut<T, S> {
  readonly #observers = new Set<ObserverQueue<T, S>>();
  #finished = false;

  constructor(readonly bufferSize: number) {}

  /** One event to every observer. */
  emit(evt: ReflectorEvent<T, S>): void {
    for (const obs of this.#observers) obs.push(evt);
  }

  /** A sync's events, as one slot shared by every observer. */
  emitBatch(batch: readonly ReflectorEvent<T, S>[]): void {
    for (const obs of this.#observers) obs.push(batch);
  }

  /** Ends every observer's iterator (once its queue is drained). */
  finish(): void {
    this.#finished = true;
    for (const obs of this.#observers) obs.finish();
  }

  /**
   * Every event from now on, starting with a snapshot of `cache`: ADDED for
   * each object, then SYNCED if it is synced. After an overflow: DESYNCED,
   * the difference between what this observer was told and the cache, then
   * SYNCED if synced. Ends when the fan-out finishes, or at once when
   * `signal` aborts (what is still queued for this observer is dropped).
   */
  async *observe<E>(
    cache: CacheView<T & KindIdsReq, E>,
    signal?: AbortSignal,
  ): AsyncGenerator<ReflectorEvent<T, S>, void, undefined> {
    if (signal?.aborted) return;
    const queue = new ObserverQueue<T, S>(this.bufferSize);
    let stopped = false;
    const stop = () => {
      stopped = true;
      queue.finish();
    };
    signal?.addEventListener("abort", stop, { once: true });
    // What this observer has been told, to catch it up exactly after an
    // overflow: entries, so an event's object is not built to be tracked.
    const { form } = cache;
    const told = new Map<string, E>();
    const track = (evt: ReflectorEvent<T, S>) => {
      if (evt.type === "ADDED" || evt.type === "MODIFIED") {
        const entry = form.entryOf(evt);
        told.set(form.key(entry), entry);
      } else if (evt.type === "DELETED") {
        told.delete(form.key(form.entryOf(evt)));
      }
      return evt;
    };
    // Snapshot and registration in one synchronous step: no event falls between them.
    const snapshot = this.#snapshot(cache);
    if (!this.#finished) this.#observers.add(queue);
    else queue.done = true;
    try {
      for (const evt of snapshot) {
        if (stopped) return;
        yield track(evt);
      }
      for (;;) {
        if (stopped) return;
        if (queue.overflowed) {
          queue.overflowed = false;
          yield { type: "DESYNCED", object: { metadata: {} } };
          const current = new Map<string, E>();
          for (const entry of cache.entries()) {
            current.set(form.key(entry), entry);
          }
          for (
            const evt of difference<T & KindIdsReq, S, E>(form, told, current)
          ) {
            yield track(evt as ReflectorEvent<T, S>);
          }
          if (cache.syncedVersion !== undefined) {
            yield {
              type: "SYNCED",
              object: { metadata: { resourceVersion: cache.syncedVersion } },
            };
          }
          continue;
        }
        const evt = queue.take();
        if (Array.isArray(evt)) {
          for (const e of evt) {
            if (stopped) return;
            yield track(e);
          }
          continue;
        }
        if (evt) {
          yield track(evt as ReflectorEvent<T, S>);
          continue;
        }
        if (queue.done) return;
        await new Promise<void>((resolve) => queue.wake = resolve);
        queue.wake = undefined;
      }
    } finally {
      signal?.removeEventListener("abort", stop);
      this.#observers.delete(queue);
    }
  }

  #snapshot<E>(cache: CacheView<T & KindIdsReq, E>): ReflectorEvent<T, S>[] {
    const events: ReflectorEvent<T, S>[] = [];
    for (const entry of cache.entries()) {
      events.push(cache.form.event("ADDED", entry));
    }
    if (cache.syncedVersion !== undefined) {
      events.push({
        type: "SYNCED",
        object: { metadata: { resourceVersion: cache.syncedVersion } },
      });
    }
    return events;
  }
}
