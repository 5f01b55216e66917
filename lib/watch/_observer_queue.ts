// One observer's backlog, bounded: an observer that falls too far behind is
// told so (its queue overflows) instead of holding events without limit.

import type { ReflectorEvent } from "./types.ts";

type Entry<T, S> = ReflectorEvent<T, S> | readonly ReflectorEvent<T, S>[];

/**
 * One observer's backlog. A sync's events (the difference, then SYNCED)
 * arrive as one batch that takes one slot, shared by every observer, so a
 * sync of any size cannot overflow an observer. Taking from the front is
 * O(1): a read index, the consumed prefix dropped once it is half the
 * array (`Array.shift` copies the whole backlog each time).
 */
export class ObserverQueue<T, S> {
  #events: (Entry<T, S> | undefined)[] = [];
  #head = 0;
  overflowed = false;
  done = false;
  wake: (() => void) | undefined;
  constructor(readonly limit: number) {}
  /** Events waiting. */
  get length(): number {
    return this.#events.length - this.#head;
  }
  push(evt: Entry<T, S>): void {
    if (this.done) return;
    if (this.overflowed) return;
    if (this.length >= this.limit) {
      this.#events = [];
      this.#head = 0;
      this.overflowed = true;
    } else {
      this.#events.push(evt);
    }
    this.wake?.();
  }
  /** The oldest waiting entry, if any. */
  take(): Entry<T, S> | undefined {
    if (this.#head === this.#events.length) return undefined;
    const evt = this.#events[this.#head];
    this.#events[this.#head++] = undefined;
    if (this.#head === this.#events.length) {
      this.#events.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#events.length) {
      this.#events.splice(0, this.#head);
      this.#head = 0;
    }
    return evt;
  }
  finish(): void {
    this.done = true;
    this.wake?.();
  }
}
