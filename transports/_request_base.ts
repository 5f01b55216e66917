// What every transport shares about one request: the `performRequest`
// overloads generated code relies on (declared once, inherited by every
// transport class), the request target (path with the query merged in), the
// refusal of paths whose segments would be resolved away, and the client's
// rate limit. A transport supplies only
// how the request is sent: `sendRequest`.

import type {
  JSONValue,
  KubernetesTunnel,
  RequestOptions,
  RestClient,
} from "../lib/contract.ts";
import { checkPathSegments } from "../lib/_wire/request_head.ts";
import {
  type RateLimitOptions,
  TokenBucket,
} from "../lib/_internal/token_bucket.ts";

/** Each client's token bucket (its `rateLimit` option); none: unlimited. */
const limiters = new WeakMap<RequestBase, TokenBucket>();

/**
 * Gives a client the rate limit its options ask for: a token bucket taken
 * before every request it sends.
 *
 * @param client The client.
 * @param options Its `rateLimit` option.
 * @returns The bucket, for retries to take from too.
 * @throws {RangeError} When the rate or burst is not valid.
 */
export function limitRate(
  client: RequestBase,
  options: RateLimitOptions | undefined,
): TokenBucket | undefined {
  if (!options) return undefined;
  const bucket = new TokenBucket(options);
  limiters.set(client, bucket);
  return bucket;
}

/**
 * The method and path of a request, as errors name it.
 *
 * @internal
 */
export interface RequestTarget {
  /** The HTTP method. */
  method: string;
  /** The path with the query string merged in. */
  path: string;
}

/**
 * The request's method and path, with `querystring` appended to any query
 * the path already has.
 *
 * @param opts The request.
 * @returns The target.
 */
export function requestTarget(opts: RequestOptions): RequestTarget {
  let path = opts.path || "/";
  if (opts.querystring && opts.querystring.size !== 0) {
    path += (path.includes("?") ? "&" : "?") + opts.querystring.toString();
  }
  return { method: opts.method, path };
}

/**
 * The base of this package's transports: {@link RestClient.performRequest}
 * with the overloads generated code relies on, sending through
 * {@link RequestBase.sendRequest}, the one method a transport writes.
 *
 * Not part of the public API: no entry point exports it, and `@internal`
 * keeps it (and {@link RequestTarget}) out of the documentation of the
 * transports that extend it.
 *
 * @internal
 */
export abstract class RequestBase implements RestClient {
  /** Opens a tunnel; resolves once the server has agreed on a subprotocol. */
  performRequest(
    opts: RequestOptions & { expectTunnel: string[] },
  ): Promise<KubernetesTunnel>;
  /** Streams one JSON value per line (watches). */
  performRequest(
    opts: RequestOptions & { expectStream: true; expectJson: true },
  ): Promise<ReadableStream<JSONValue>>;
  /** Streams the raw response body (logs). */
  performRequest(
    opts: RequestOptions & { expectStream: true },
  ): Promise<ReadableStream<Uint8Array>>;
  /** Parses the response body as JSON. */
  performRequest(
    opts: RequestOptions & { expectJson: true },
  ): Promise<JSONValue>;
  /** Returns the response body as bytes. */
  performRequest(opts: RequestOptions): Promise<Uint8Array>;
  /**
   * Sends one request; see {@link RestClient.performRequest}. A path with
   * a `.` or `..` segment (percent-encoded or not) or an empty one inside
   * it is refused before anything is sent: it would address another object.
   *
   * @param opts The request.
   * @returns What the overload for `opts` promises; rejects with a
   *   `TransportError` of kind `invalid-request` for such a path.
   */
  performRequest(opts: RequestOptions): Promise<unknown> {
    const target = requestTarget(opts);
    // Here, not in each transport: fetch resolves `…/configmaps/..` to the
    // namespace's path, and so does `kubectl --raw` (1.36; 1.20 sends it as
    // given), so every transport refuses it the same way.
    try {
      checkPathSegments(target);
    } catch (err) {
      return Promise.reject(err);
    }
    // One bucket per client, so every helper using it shares the rate.
    const limiter = limiters.get(this);
    if (!limiter) return this.sendRequest(opts, target);
    return limiter.take(opts.abortSignal).then(() =>
      this.sendRequest(opts, target)
    );
  }

  /**
   * How this transport sends a request (the one part each transport writes).
   *
   * @param opts The request.
   * @param target Its method and path (query merged in).
   * @returns What the overload for `opts` promises.
   */
  protected abstract sendRequest(
    opts: RequestOptions,
    target: RequestTarget,
  ): Promise<unknown>;
}
