// Runs a Reflector test twice: once with the default cache of parsed
// objects, once with `compact: true` (issue #22), so the compact Reflector
// is held to exactly what the default one gives on the same scripted
// streams. A test reads `mode.compact` (set before its body runs; tests
// of one file run one at a time) to build its Reflector and its fakes.

import { attachRaw } from "../../../lib/watch/_raw.ts";
import type { ListOf, ListOpts, WatchOpts } from "../../../lib/watch/mod.ts";
import type { WatchEvent } from "../../../mod.ts";

/** The mode the running test is in. */
export const mode = { compact: false };

/**
 * Registers `fn` as two tests: `name` (default cache) and `name [compact]`.
 *
 * @param name The behaviour pinned.
 * @param fn The test body; reads {@link mode}.
 */
export function bothModes(name: string, fn: () => Promise<void> | void): void {
  for (const compact of [false, true]) {
    Deno.test(compact ? `${name} [compact]` : name, async () => {
      mode.compact = compact;
      try {
        await fn();
      } finally {
        mode.compact = false;
      }
    });
  }
}

const encoder = new TextEncoder();

/**
 * Gives a scripted lister and watcher (parsed objects) raw variants, as
 * `listWatch()` does, so a compact Reflector reads their answers as bytes:
 * each page serialized, each watch event a JSON line in a chunk of its own
 * (as the apiserver flushes them; an error of the scripted stream then
 * still ends the byte stream after the lines sent before it).
 *
 * @param lister Lists one page.
 * @param watcher Opens a watch of parsed events.
 */
export function withRawVariants<T, S>(
  lister: (opts: ListOpts) => Promise<ListOf<T>>,
  watcher: (opts: WatchOpts) => Promise<ReadableStream<WatchEvent<T, S>>>,
): void {
  attachRaw(lister, watcher, {
    list: async (opts) => ({
      path: "/scripted",
      body: encoder.encode(JSON.stringify(await lister(opts))),
      partial: false,
    }),
    watch: async (opts) => ({
      body: (await watcher(opts)).pipeThrough(
        new TransformStream<WatchEvent<T, S>, Uint8Array>({
          transform(evt, c) {
            c.enqueue(encoder.encode(JSON.stringify(evt) + "\n"));
          },
        }),
      ),
      partial: false,
    }),
  });
}
