// One observer's backlog, bounded: an observer that falls too far behind is
// told so (its queue overflows) instead of holding events without limit.

import type { ReflectorEvent } from "./types.ts";

/**
 * One observer's backlog. A sync's events (the difference, then SYNCED)
 * arrive as one batch that takes one slot, shared by every observer, so a
 * sync of any size cannot overflow an observer.
 */
export class ObserverQueue<T, S> {
  events: (ReflectorEvent<T, S> | readonly ReflectorEvent<T, S>[])[] = [];
  overflowed = false;
  done = false;
  wake: (() => void) | undefined;
  constructor(readonly limit: number) {}
  push(evt: ReflectorEvent<T, S> | readonly ReflectorEvent<T, S>[]): void {
    if (this.done) return;
    if (this.overflowed) return;
    if (this.events.length >= this.limit) {
      this.events = [];
      this.overflowed = true;
    } else {
      this.events.push(evt);
    }
    this.wake?.();
  }
  finish(): void {
    this.done = true;
    this.wake?.();
  }
}
