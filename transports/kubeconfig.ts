/**
 * The fetch transport: talks to the API server directly, with the TLS and
 * credentials a kubeconfig describes, through one `Deno.HttpClient` per
 * client so connections are reused.
 *
 * Deno permissions: `--allow-net` for the server; `--allow-read` for the
 * kubeconfig and any certificate, key or token files it names; when the
 * kubeconfig names a certificate-authority, `--allow-read`, `--allow-write`
 * for the temp directory and `--allow-net` for the private Unix socket made
 * there (requests trust only that CA through it; see `requestTrust`);
 * `--allow-env=KUBECONFIG,HOME` to find the default kubeconfig; `--allow-run`
 * for exec credential plugins.
 *
 * @module
 */

import type { RequestOptions, RestClient } from "../lib/contract.ts";
import { credentialsFor } from "../lib/auth/credentials.ts";
import { apiErrorFromResponse } from "../lib/errors/mod.ts";
import { checkHeaders, checkRequestTarget } from "../lib/_wire/request_head.ts";
import { KubeConfig } from "../lib/config/kube_config.ts";
import type { KubeConfigContext } from "../lib/config/context.ts";
import { resolveLog } from "../lib/_internal/log.ts";
import { delay } from "../lib/_internal/delay.ts";
import { networkError } from "./fetch/_network_error.ts";
import { warnCaIsAdded } from "./fetch/_trust_warning.ts";
import { type ConnectionPlan, connectionPlan } from "./fetch/_plan.ts";
import { ClientPool, closedError } from "./fetch/_client_pool.ts";
import { openTunnel } from "./fetch/_tunnel.ts";
import type { DialContext } from "./fetch/_dial.ts";
import { streamGet, streamsOnOwnConnection } from "./fetch/_stream_get.ts";
import { readBody } from "./fetch/_read_body.ts";
import { retryDelayMs, type RetryPolicy, retryPolicy } from "./fetch/_retry.ts";
import type { TokenBucket } from "../lib/_internal/token_bucket.ts";
import { limitRate, RequestBase, type RequestTarget } from "./_request_base.ts";
import { retrySleepOf } from "./fetch/_retry_sleep.ts";
import type { KubeConfigRestClientOptions } from "./fetch/options.ts";
import { forwarderPermissions } from "./_strict_forwarder.ts";

export { VERBOSE_ENV } from "../lib/_internal/log.ts";
export type { RetryOptions } from "./fetch/_retry.ts";
export type { RateLimitOptions } from "../lib/_internal/token_bucket.ts";
export type { KubeConfigRestClientOptions } from "./fetch/options.ts";

/**
 * A {@link RestClient} that sends requests with `fetch`, authenticated as a
 * kubeconfig context says: CA, client certificates, tokens, token files,
 * basic auth, exec plugins, legacy auth-provider tokens and impersonation.
 *
 * @example Using the current kubeconfig context
 * ```ts
 * import { KubeConfigRestClient } from "@denokube/transport/transports";
 *
 * using client = await KubeConfigRestClient.readKubeConfig();
 * const nsList = await client.performRequest({
 *   method: "GET",
 *   path: "/api/v1/namespaces",
 *   expectJson: true,
 * });
 * console.log(nsList);
 * ```
 */
export class KubeConfigRestClient extends RequestBase
  implements RestClient, Disposable, AsyncDisposable {
  /** The namespace the context selects, or `default`. */
  defaultNamespace?: string;

  readonly #ctx: KubeConfigContext;
  readonly #plan: ConnectionPlan;
  readonly #pool: ClientPool;
  /** Whether the caller passed an HttpClient of its own. */
  readonly #ownClient: boolean;
  readonly #log: ((line: string) => void) | undefined;
  readonly #retry: RetryPolicy;
  readonly #limiter: TokenBucket | undefined;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #warned = false;
  #closed = false;

  /**
   * Prefer the static constructors, which read CA files and check
   * credentials first. Starts nothing and prints nothing: connections and
   * forwarders start with the first request, and the warnings the
   * kubeconfig calls for are printed by the static constructors or, for a
   * client built here, by its first request.
   *
   * @param ctx The resolved kubeconfig context.
   * @param httpClient A client to use for every request instead of building one (client certificates from the context are then not used).
   * @param options Retries, logging, credential caching, CA certificates.
   * @throws {KubeConfigError} When the cluster has no usable server URL or conflicting TLS settings.
   */
  constructor(
    ctx: KubeConfigContext,
    httpClient: Deno.HttpClient | null = null,
    options: KubeConfigRestClientOptions = {},
  ) {
    super();
    this.#ctx = ctx;
    this.defaultNamespace = ctx.defaultNamespace || "default";
    this.#log = resolveLog(options.log, "[kubernetes] ");
    this.#retry = retryPolicy(options.retry);
    this.#limiter = limitRate(this, options.rateLimit);
    this.#sleep = retrySleepOf(options) ?? delay;
    this.#plan = connectionPlan(ctx, {
      ownClient: httpClient !== null,
      caCerts: options.caCerts ?? [],
      requestTrust: options.requestTrust,
      permissions: forwarderPermissions(),
      os: Deno.build.os,
    });
    this.#ownClient = httpClient !== null;
    this.#pool = new ClientPool(
      this.#plan,
      httpClient,
      (err, request, signal) => this.#networkError(err, request, signal),
    );
  }

  /**
   * A client for the pod's service account (see `KubeConfig.getInClusterConfig`).
   *
   * @param opts Server and secrets-directory overrides.
   * @returns The client.
   * @throws {KubeConfigError} When not in a pod or permissions are missing.
   */
  static async forInCluster(
    opts:
      & { baseUrl?: string; secretsPath?: string }
      & KubeConfigRestClientOptions = {},
  ): Promise<KubeConfigRestClient> {
    const { baseUrl, secretsPath, ...options } = opts;
    return await this.forKubeConfig(
      await KubeConfig.getInClusterConfig({ baseUrl, secretsPath }),
      undefined,
      options,
    );
  }

  /**
   * A client for a running `kubectl proxy`.
   *
   * @param baseUrl The proxy's address. @default {"http://localhost:8001"}
   * @returns The client.
   */
  static async forKubectlProxy(
    baseUrl = "http://localhost:8001",
  ): Promise<KubeConfigRestClient> {
    return await this.forKubeConfig(KubeConfig.getSimpleUrlConfig({ baseUrl }));
  }

  /**
   * A client from a kubeconfig file, or from the default configuration
   * (`$KUBECONFIG` or `~/.kube/config`).
   *
   * @param path A kubeconfig file. @default {the default configuration}
   * @param contextName A context. @default {the current-context}
   * @param options Client options.
   * @returns The client.
   * @throws {KubeConfigError} When the configuration is missing, malformed or incomplete.
   */
  static async readKubeConfig(
    path?: string,
    contextName?: string,
    options: KubeConfigRestClientOptions = {},
  ): Promise<KubeConfigRestClient> {
    const config = path
      ? await KubeConfig.readFromPath(path)
      : await KubeConfig.getDefaultConfig();
    return await this.forKubeConfig(config, contextName, options);
  }

  /**
   * A client for one context of a loaded configuration. Reads the CA and
   * obtains credentials (running an exec plugin if there is one) before
   * returning, so configuration mistakes surface here.
   *
   * @param config The configuration.
   * @param contextName A context. @default {the current-context}
   * @param options Client options.
   * @returns The client.
   * @throws {KubeConfigError} When the context is incomplete or a file, plugin or credential fails.
   */
  static async forKubeConfig(
    config: KubeConfig,
    contextName?: string,
    options: KubeConfigRestClientOptions = {},
  ): Promise<KubeConfigRestClient> {
    const ctx = config.fetchContext(contextName, options.credentials);
    const serverTls = await ctx.getServerTls();
    await credentialsFor(ctx).get();
    const client = new this(ctx, null, {
      ...options,
      caCerts: [
        ...(options.caCerts ?? []),
        ...(serverTls ? [serverTls.serverCert] : []),
      ],
    });
    client.#warnOnce();
    return client;
  }

  /** The API server base URL requests go to (with `tls-server-name`, that name). */
  get baseUrl(): string {
    return this.#plan.base;
  }

  /**
   * Sends one request (see {@link RestClient.performRequest}): retries,
   * credential refresh, tunnels.
   *
   * @param opts The request.
   * @param request Its method and path.
   * @returns What the overload for `opts` promises.
   *
   * @internal
   */
  protected override async sendRequest(
    opts: RequestOptions,
    request: RequestTarget,
  ): Promise<unknown> {
    const { method, path } = request;
    if (this.#closed) throw closedError(request);
    this.#warnOnce();
    checkRequestTarget(request);
    const own: DialContext = {
      ctx: this.#ctx,
      plan: this.#plan,
      log: this.#log,
      fail: (err, request) => this.#networkError(err, request),
    };
    if (opts.expectTunnel) return await openTunnel(opts, path, own);
    opts.abortSignal?.throwIfAborted();

    // Through the strict forwarder, fetch speaks plain HTTP on a private
    // Unix socket; the forwarder adds the TLS.
    const url =
      (this.#plan.strictRequests
        ? this.#plan.base.replace(/^https:/, "http:")
        : this.#plan.base) + path;
    // (Uint8Array<ArrayBufferLike> is not BodyInit in TypeScript 6; fetch copies it anyway.)
    const body = (opts.bodyStream ?? opts.bodyRaw ??
      (opts.bodyJson !== undefined
        ? JSON.stringify(opts.bodyJson)
        : undefined)) as
        | BodyInit
        | undefined;
    const accept = opts.accept ??
      (opts.expectJson ? "application/json" : undefined);
    const contentType = opts.contentType ??
      (opts.bodyJson !== undefined ? "application/json" : undefined);
    const replayable = !opts.bodyStream;
    let retries = 0;
    let refreshed = false;

    for (;;) {
      const auth = await credentialsFor(this.#ctx).get();
      const headers = this.#plan.staticHeaders.slice();
      if (accept) headers.push(["accept", accept]);
      if (contentType) headers.push(["content-type", contentType]);
      if (auth.authorization) {
        headers.push(["authorization", auth.authorization]);
      }
      checkHeaders(request, headers);

      const started = this.#log ? performance.now() : 0;
      const ownConnection = opts.expectStream && method === "GET" && !body &&
        streamsOnOwnConnection(own, auth, this.#ownClient);
      const { client, forwarder } = ownConnection
        ? { client: undefined, forwarder: undefined }
        : await this.#pool.clientFor(auth, request, opts.abortSignal);
      const dialFailures = forwarder?.failures ?? 0;
      let resp: Response;
      try {
        resp = ownConnection
          ? await streamGet(request, headers, auth, opts.abortSignal, own)
          : await fetch(url, {
            method,
            headers,
            body,
            client,
            signal: opts.abortSignal,
            redirect: "error",
          });
      } catch (err) {
        this.#log?.(
          `${method} ${path} failed after ${
            Math.round(performance.now() - started)
          }ms`,
        );
        // fetch only sees the forwarder hang up; the reason is the TLS dial's.
        const dialError = forwarder && forwarder.failures > dialFailures
          ? forwarder.lastFailure
          : undefined;
        throw this.#networkError(dialError ?? err, request, opts.abortSignal);
      }
      this.#log?.(
        `${method} ${path} ${resp.status} ${
          Math.round(performance.now() - started)
        }ms`,
      );

      if (resp.ok) {
        return await readBody(
          resp,
          opts,
          request,
          (err) => this.#networkError(err, request),
        );
      }

      if (
        resp.status === 401 && replayable && !refreshed &&
        credentialsFor(this.#ctx).invalidate(auth)
      ) {
        // Dynamic credentials (exec plugin, token file) may have rotated: refresh once.
        refreshed = true;
        await resp.body?.cancel();
        continue;
      }
      const wait = retryDelayMs(this.#retry, resp, method, replayable, retries);
      if (wait) {
        retries++;
        await resp.body?.cancel();
        this.#log?.(
          `${method} ${path} retry ${retries} in ${wait.afterSeconds}s`,
        );
        await this.#sleep(wait.waitMs, opts.abortSignal);
        await this.#limiter?.take(opts.abortSignal);
        continue;
      }
      throw await apiErrorFromResponse(resp, request);
    }
  }

  /** Closes every HTTP client and forwarder. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.close();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Same as {@link close}, for `await using`.
   *
   * @returns Once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /**
   * Prints the warnings the kubeconfig calls for, once per client (the
   * wider-trust one once per process): TLS is never weakened silently.
   */
  #warnOnce(): void {
    if (this.#warned) return;
    this.#warned = true;
    if (this.#plan.caAddedBecause) warnCaIsAdded(this.#plan.caAddedBecause);
    if (this.#plan.insecureWarning) console.warn(this.#plan.insecureWarning);
  }

  #networkError(
    err: unknown,
    request: RequestTarget,
    signal?: AbortSignal,
  ): unknown {
    return networkError(err, request, {
      signal,
      closed: this.#closed,
      insecureHost: this.#plan.insecureHost,
      base: this.#plan.base,
    });
  }
}
