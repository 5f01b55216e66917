// What a server answered to WatchList, remembered so Reflectors on the same
// client ask it once: `supported` after an initial state with its end
// marker, `unsupported` (for good) after a refusal or an ignored request.

import type { RestClient } from "../contract.ts";

/** What is known of a server's WatchList support. */
export type WatchListVerdict = "unknown" | "supported" | "unsupported";

const byClient = new WeakMap<RestClient, WatchListSupport>();

/**
 * What one server answered to WatchList (`sendInitialEvents=true`), shared
 * by every Reflector that talks to it: the first to learn the answer spares
 * the others the question. `unsupported` is final — once a server refused
 * or ignored the parameters, no Reflector sharing this record asks again.
 *
 * `listWatch(client, path)` attaches {@link WatchListSupport.for}`(client)`
 * to the watcher it returns, so Reflectors built from it share the record
 * with no setup. For a watcher of your own that passes `sendInitialEvents`
 * and `resourceVersionMatch` on, give the record as the Reflector's
 * `watchListSupport` option.
 *
 * @example
 * ```ts
 * import { Reflector, WatchListSupport } from "@denokube/transport/watch";
 * import type { RestClient } from "@denokube/transport/contract";
 * import type { ListOf, ListOpts, WatchOpts } from "@denokube/transport/watch";
 *
 * declare const client: RestClient;
 * declare function listPods(opts: ListOpts): Promise<ListOf<{ metadata: { name: string } }>>;
 * declare function watchPods(opts: WatchOpts): Promise<ReadableStream<never>>;
 *
 * const reflector = new Reflector(listPods, watchPods, {
 *   watchListSupport: WatchListSupport.for(client),
 * });
 * console.log(reflector.usesWatchList);
 * ```
 */
export class WatchListSupport {
  #verdict: WatchListVerdict = "unknown";

  /**
   * The record shared by everything that talks through `client`.
   *
   * @param client The transport (one record per client object).
   * @returns The same record for the same client, every time.
   */
  static for(client: RestClient): WatchListSupport {
    let support = byClient.get(client);
    if (!support) byClient.set(client, support = new WatchListSupport());
    return support;
  }

  /** What is known so far. */
  get verdict(): WatchListVerdict {
    return this.#verdict;
  }

  /** Records that the server sent an initial state and its end marker (unless it already refused). */
  accepted(): void {
    if (this.#verdict === "unknown") this.#verdict = "supported";
  }

  /** Records that the server refused or ignored WatchList: final. */
  refused(): void {
    this.#verdict = "unsupported";
  }
}
