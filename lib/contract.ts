/**
 * The request contract that generated API layers (typed `CoreV1Api`-style
 * classes) are written against. Every transport implements {@link RestClient};
 * the names and shapes here match kubernetes_client v0.7.3 so generated code
 * compiles and runs unchanged.
 *
 * @module
 */

/** HTTP methods the Kubernetes API uses. */
export type HttpMethods =
  | "GET"
  | "POST"
  | "DELETE"
  | "PUT"
  | "PATCH"
  | "OPTIONS"
  | "HEAD";

/** One request to the Kubernetes API, as generated code describes it. */
export interface RequestOptions {
  /** HTTP method. */
  method: HttpMethods;
  /**
   * Absolute API path such as `/api/v1/namespaces/default/pods`; may carry
   * its own `?query`. This package's transports refuse a path with a `.` or
   * `..` segment (percent-encoded or not) or an empty one inside it.
   */
  path: string;
  /** Query parameters, merged with any already present in `path`. */
  querystring?: URLSearchParams;
  /** Cancels the request, and the response stream once it has started. */
  abortSignal?: AbortSignal;

  /** Content type of the body. @default {"application/json"} when `bodyJson` is given */
  contentType?: string;
  /** A request body sent as is. */
  bodyRaw?: Uint8Array;
  /** A request body serialised with `JSON.stringify`. */
  bodyJson?: JSONValue;
  /** A request body streamed to the server. */
  bodyStream?: ReadableStream<Uint8Array>;

  /** The `Accept` header. @default {"application/json"} when `expectJson` is set */
  accept?: string;
  /** Open a bidirectional tunnel (exec, attach, port-forward) offering these subprotocols. */
  expectTunnel?: string[];
  /** Return the response body as a stream instead of buffering it. */
  expectStream?: boolean;
  /** Parse the response as JSON (with `expectStream`: as one JSON document per line). */
  expectJson?: boolean;
}

/** Options for {@link KubernetesTunnel.getChannel}. */
export interface TunnelChannelOptions<
  Treadable extends boolean,
  Twritable extends boolean,
> {
  /** SPDY transports identify a stream by its headers. */
  spdyHeaders?: Record<string, string | number>;
  /** WebSocket transports identify a stream by its channel index. */
  streamIndex?: number;
  /** Whether to receive data on this channel. */
  readable: Treadable;
  /** Whether to send data on this channel. */
  writable: Twritable;
}

/** The streams of one tunnel channel, present as requested. */
export interface TunnelChannel<
  Treadable extends boolean,
  Twritable extends boolean,
> {
  /** Data the server sends on this channel. */
  readable: Treadable extends true ? ReadableStream<Uint8Array> : null;
  /** Data to send to the server on this channel. */
  writable: Twritable extends true ? WritableStream<Uint8Array> : null;
}

/** A bidirectional, multiplexed connection such as `exec` or `port-forward`. */
export interface KubernetesTunnel {
  /** The network protocol carrying the channels; semantics differ slightly between them. */
  readonly transportProtocol: "SPDY" | "WebSocket" | "Opaque";
  /** The subprotocol the server accepted, such as `v5.channel.k8s.io`. */
  readonly subProtocol: string;
  /** Sets up one channel. Call for every channel before {@link ready}. */
  getChannel<Treadable extends boolean, Twritable extends boolean>(
    opts: TunnelChannelOptions<Treadable, Twritable>,
  ): Promise<TunnelChannel<Treadable, Twritable>>;
  /** Resolves once the server has accepted the tunnel and the channels are live. */
  ready(): Promise<void>;
  /** Closes the tunnel and every channel. */
  stop(): Promise<void>;
}

/**
 * The one method every transport implements. The overloads pick the result
 * type from the `expect*` flags, exactly as generated code relies on.
 *
 * Every non-2xx answer rejects with a `KubernetesApiError`.
 *
 * @example Reading one object
 * ```ts
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function readPod(client: RestClient): Promise<unknown> {
 *   return await client.performRequest({
 *     method: "GET",
 *     path: "/api/v1/namespaces/default/pods/web-0",
 *     expectJson: true,
 *   });
 * }
 * ```
 */
export interface RestClient {
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
  /** The namespace the configuration selects, if any. */
  defaultNamespace?: string;
  /**
   * Releases what the client holds (HTTP connections, a kubectl proxy, the
   * kubectl processes still running); requests fail afterwards. Optional, so
   * v0.7.3's clients and other implementers of this interface still are
   * `RestClient`s; every client this package builds has it (see
   * {@link ClosableRestClient}). Safe to call twice; await it when it
   * returns a promise.
   */
  close?(): void | Promise<void>;
  /** Same as `close`, for `await using`; optional as `close` is. */
  [Symbol.asyncDispose]?(): PromiseLike<void>;
}

/**
 * A {@link RestClient} that can be closed: what every factory of this
 * package returns (`autoDetectClient()`, the transports' constructors and
 * `create`s), so `close()` and `await using` need no cast.
 *
 * @example Closing whatever autoDetectClient found
 * ```ts
 * import type { ClosableRestClient } from "@denokube/transport/contract";
 *
 * async function listNamespaces(open: () => Promise<ClosableRestClient>): Promise<unknown> {
 *   await using client = await open();
 *   return await client.performRequest({ method: "GET", path: "/api/v1/namespaces", expectJson: true });
 * }
 * ```
 */
export interface ClosableRestClient extends RestClient, AsyncDisposable {
  /**
   * Releases what the client holds; requests fail afterwards. Safe to call
   * twice.
   *
   * @returns Nothing, or a promise that settles once closed (a kubectl proxy
   *   has exited).
   */
  close(): void | Promise<void>;
  /**
   * Same as {@link ClosableRestClient.close}, for `await using`.
   *
   * @returns Once closed.
   */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A value JSON can encode directly (`undefined` stands for an absent field). */
export type JSONPrimitive = string | number | boolean | null | undefined;
/** Any JSON value. */
export type JSONValue = JSONPrimitive | JSONObject | JSONArray;
/** A JSON object. */
export type JSONObject = { [key: string]: JSONValue };
/** A JSON array. */
export type JSONArray = JSONValue[];

/** The two fields every Kubernetes object carries. */
export type ApiKind = {
  /** Group and version, such as `apps/v1`. */
  apiVersion: string;
  /** Kind, such as `Deployment`. */
  kind: string;
};

/** One event of a watch stream. */
export type WatchEvent<T, U> =
  | WatchEventObject<T>
  | WatchEventError<U>
  | WatchEventBookmark;

/** An object was added, modified or deleted. */
export type WatchEventObject<T> = {
  /** What happened to the object. */
  "type": "ADDED" | "MODIFIED" | "DELETED";
  /** The object as it is after the event (for DELETED: its last state). */
  "object": T;
};

/** The server reports a problem with the watch, usually a `Status` (410 Expired). */
export type WatchEventError<U> = {
  /** Always `ERROR`. */
  "type": "ERROR";
  /** The `Status` object describing the problem. */
  "object": U;
};

/** A progress marker: the collection is current up to `resourceVersion`. */
export type WatchEventBookmark = {
  /** Always `BOOKMARK`. */
  "type": "BOOKMARK";
  /**
   * `metadata.resourceVersion`, and the annotations when there are any:
   * `k8s.io/initial-events-end: "true"` ends a WatchList's initial state.
   */
  "object": {
    metadata: {
      resourceVersion: string;
      annotations?: Record<string, string> | null;
    };
  };
};
