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

import type {
  KubernetesTunnel,
  RequestOptions,
  RestClient,
} from "../lib/contract.ts";
import {
  type AuthState,
  credentialsFor,
  type CredentialsOptions,
} from "../lib/auth/credentials.ts";
import {
  apiErrorFromResponse,
  KubeConfigError,
  KubernetesApiError,
  parseRetryAfter,
  TransportError,
} from "../lib/errors/mod.ts";
import { checkHeaders, checkRequestTarget } from "../lib/_wire/request_head.ts";
import { KubeConfig, type KubeConfigContext } from "../lib/config/mod.ts";
import { withoutMessage } from "../lib/_internal/redact.ts";
import { networkError } from "./fetch/_network_error.ts";
import { warnCaIsAdded } from "./fetch/_trust_warning.ts";
import { proxyFromUrl } from "./fetch/_proxy.ts";
import {
  decodeJson,
  RequestBase,
  type RequestTarget,
} from "./_request_base.ts";
import { resolveLog } from "../lib/_internal/log.ts";
import { abortable, delay } from "../lib/_internal/delay.ts";
import {
  type ConnectForwarder,
  startConnectForwarder,
} from "./_connect_forwarder.ts";
import { ownedBody, ownedJsonLines, readAllOrAbort } from "./_owned_body.ts";
import {
  forwarderPermissions,
  startStrictForwarder,
  type StrictForwarder,
} from "./_strict_forwarder.ts";
import {
  type ByteConn,
  dialStrictTls,
  NodeSocketConn,
  type StrictTlsTarget,
} from "./_strict_tls.ts";
import { getOverConnection } from "./_http1_stream.ts";
import { openWebSocket } from "./_websocket.ts";
import { WebSocketTunnel } from "./_websocket_tunnel.ts";

/** The package version, sent in `User-Agent`. */
const VERSION = "0.8.0";
export { VERBOSE_ENV } from "../lib/_internal/log.ts";
export { RequestBase, type RequestTarget } from "./_request_base.ts";

/** When to retry a throttled request. */
export interface RetryOptions {
  /** Retries after the first attempt. @default {3} */
  maxRetries?: number;
  /** Longest wait honoured from a `Retry-After` header, in seconds; longer waits are capped. @default {30} */
  maxDelaySeconds?: number;
}

/** Options for {@link KubeConfigRestClient}. */
export interface KubeConfigRestClientOptions {
  /**
   * Retry idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE) answered
   * with 429 or 503 and a `Retry-After` header, waiting as the server asks.
   * `false` turns retries off.
   * @default {{ maxRetries: 3, maxDelaySeconds: 30 }}
   */
  retry?: RetryOptions | false;
  /**
   * Log one line per request (method, path, status, duration; never
   * credentials): `true` for stderr, or a function. When unset, the
   * `KUBE_TRANSPORT_VERBOSE` env var turns stderr logging on (read only if
   * env permission for it is already granted).
   * @default {false}
   */
  log?: boolean | ((line: string) => void);
  /** Credential caching knobs (clock, token-file cache window). */
  credentials?: CredentialsOptions;
  /** PEM CA certificates to trust; {@link KubeConfigRestClient.forKubeConfig} fills this from the kubeconfig. @default {[]} (Deno's root store) */
  caCerts?: string[];
  /**
   * Which CAs requests trust when there are `caCerts` (the kubeconfig's
   * `certificate-authority`). Tunnels always trust only `caCerts`.
   *
   * - `"ca-only"`: only `caCerts`, as kubectl. Requests go through an
   *   in-process forwarder on a Unix socket in a private temp directory
   *   that speaks TLS with `node:tls`. It needs `--allow-read` and
   *   `--allow-write` for the temp directory and an unrestricted
   *   `--allow-net` (Deno asks net permission for a Unix socket by its exact
   *   path, which is random); without them, or with `proxy-url`, an
   *   `httpClient` of your own or on Windows, requests fail with a
   *   `TransportError` saying why.
   * - `"ca-and-roots"`: Deno's own TLS, which adds `caCerts` to its root
   *   store (Mozilla's roots, or the system's with `DENO_TLS_CA_STORE`, plus
   *   `DENO_CERT`): any of those CAs can then vouch for the API server. A
   *   warning says so once per process.
   *
   * @default {"ca-only" where it can work (permissions granted, no proxy-url, no httpClient of your own, not Windows), else "ca-and-roots" with the warning naming what stood in the way}
   */
  requestTrust?: "ca-only" | "ca-and-roots";
  /** Waits before a retry; injectable for tests. @default {a timer that the request's abortSignal cancels} */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const idempotentMethods = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/**
 * A {@link RestClient} that sends requests with `fetch`, authenticated as a
 * kubeconfig context says: CA, client certificates, tokens, token files,
 * basic auth, exec plugins, legacy auth-provider tokens and impersonation.
 *
 * @example Using the current kubeconfig context
 * ```ts
 * import { KubeConfigRestClient } from "@denokube/transport/transports/kubeconfig";
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
  implements RestClient, Disposable {
  /** The namespace the context selects, or `default`. */
  defaultNamespace?: string;

  readonly #ctx: KubeConfigContext;
  readonly #base: string;
  readonly #staticHeaders: [string, string][];
  readonly #ownClient: Deno.HttpClient | null;
  readonly #caCerts: string[];
  /** Whether requests go through the strict-TLS forwarder. */
  readonly #strictRequests: boolean;
  /** Where the forwarder's directory goes, or why it cannot work. */
  readonly #forwarderDir: { dir: string } | { obstacle: string };
  readonly #proxy: Deno.Proxy | undefined;
  readonly #forwarder: ConnectForwarder | undefined;
  readonly #log: ((line: string) => void) | undefined;
  readonly #retry: Required<RetryOptions> | false;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #insecureHost: string | undefined;
  /** Where tunnels dial, and the name their TLS verifies. */
  readonly #dial: {
    hostname: string;
    port: number;
    tls: boolean;
    serverName?: string;
    basePath: string;
    viaProxy: boolean;
  };
  /** HttpClients by client certificate; a rotated certificate gets a new one. */
  readonly #clients = new Map<string, Deno.HttpClient>();
  /** Strict-TLS forwarders and their HttpClients, by client certificate. */
  readonly #forwarders = new Map<
    string,
    Promise<{ client: Deno.HttpClient; forwarder: StrictForwarder }>
  >();
  #closed = false;
  /** Abandons forwarder starts still dialling when the client is closed. */
  readonly #closing = new AbortController();

  /**
   * Prefer the static constructors, which read CA files and check
   * credentials first.
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
    this.#ownClient = httpClient;
    this.#caCerts = options.caCerts ?? [];
    this.#log = resolveLog(options.log, "[kubernetes] ");
    this.#retry = options.retry === false ? false : {
      maxRetries: options.retry?.maxRetries ?? 3,
      maxDelaySeconds: options.retry?.maxDelaySeconds ?? 30,
    };
    this.#sleep = options.sleep ?? delay;

    const cluster = ctx.cluster;
    const where = { file: ctx.source.clusterFile };
    const server = cluster.server;
    if (!server) {
      throw new KubeConfigError("has no server", {
        ...where,
        field: ctx.clusterField("server"),
      });
    }
    const url = new URL(
      /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `https://${server}`,
    );
    const basePath = url.pathname.replace(/\/+$/, "");

    const tlsName = cluster["tls-server-name"];
    const proxyUrl = cluster["proxy-url"];
    const perms = forwarderPermissions();
    const obstacle = httpClient
      ? "an httpClient of your own"
      : proxyUrl
      ? "proxy-url"
      : Deno.build.os === "windows"
      ? "Windows (no private Unix socket)"
      : "missing" in perms
      ? `no Deno permission for the private Unix socket (it needs ${
        perms.missing.join(" ")
      })`
      : undefined;
    this.#forwarderDir = "dir" in perms && !obstacle
      ? perms
      : { obstacle: obstacle! };
    const choice = options.requestTrust;
    if (url.protocol !== "https:" || !this.#caCerts.length) {
      // No CA of its own: Deno's roots are the trust, as the system's are for kubectl.
      this.#strictRequests = false;
    } else if (choice === "ca-and-roots") {
      this.#strictRequests = false;
      warnCaIsAdded('requestTrust: "ca-and-roots"');
    } else if (obstacle && choice !== "ca-only") {
      this.#strictRequests = false;
      warnCaIsAdded(obstacle);
    } else {
      this.#strictRequests = true; // requests fail if an obstacle remains
    }
    this.#dial = {
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
      tls: url.protocol === "https:",
      ...(tlsName && url.protocol === "https:" ? { serverName: tlsName } : {}),
      basePath,
      viaProxy: Boolean(proxyUrl),
    };
    if (tlsName && url.protocol === "https:") {
      if (proxyUrl) {
        throw new KubeConfigError(
          "tls-server-name cannot be combined with proxy-url here",
          {
            ...where,
            field: ctx.clusterField("tls-server-name"),
          },
        );
      }
      // The URL carries the TLS name; a forwarder dials the real address
      // (the strict one has a server-name option of its own).
      const port = Number(url.port || 443);
      if (!this.#strictRequests) {
        this.#forwarder = startConnectForwarder({
          hostname: url.hostname.replace(/^\[|\]$/g, ""),
          port,
        });
        this.#proxy = { url: this.#forwarder.proxyUrl };
      }
      this.#base = `https://${tlsName}:${port}${basePath}`;
    } else {
      this.#base = `${url.origin}${basePath}`;
      if (proxyUrl) this.#proxy = proxyFromUrl(proxyUrl);
    }

    if (cluster["insecure-skip-tls-verify"]) {
      if (
        cluster["certificate-authority"] ||
        cluster["certificate-authority-data"]
      ) {
        throw new KubeConfigError(
          "insecure-skip-tls-verify cannot be combined with a certificate authority",
          { ...where, field: ctx.clusterField("insecure-skip-tls-verify") },
        );
      }
      this.#insecureHost = url.hostname;
      console.warn(
        `Warning: ${
          ctx.clusterField("insecure-skip-tls-verify")
        } asks to skip TLS verification, which Deno cannot do for one client: ${url.hostname}'s certificate is still verified. To skip it, run Deno with --unsafely-ignore-certificate-errors=${url.hostname}`,
      );
    }

    const headers: [string, string][] = [[
      "user-agent",
      `deno-kubernetes-transport/${VERSION} (Deno/${Deno.version.deno})`,
    ]];
    const user = ctx.user;
    if (user.as) headers.push(["impersonate-user", user.as]);
    if (user["as-uid"]) headers.push(["impersonate-uid", user["as-uid"]]);
    for (const g of user["as-groups"] ?? []) {
      headers.push(["impersonate-group", g]);
    }
    for (const [key, values] of Object.entries(user["as-user-extra"] ?? {})) {
      for (const v of values) {
        headers.push([`impersonate-extra-${encodeURIComponent(key)}`, v]);
      }
    }
    if (cluster["disable-compression"]) {
      headers.push(["accept-encoding", "identity"]);
    }
    this.#staticHeaders = headers;
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
    return new this(ctx, null, {
      ...options,
      caCerts: [
        ...(options.caCerts ?? []),
        ...(serverTls ? [serverTls.serverCert] : []),
      ],
    });
  }

  /** The API server base URL requests go to (with `tls-server-name`, that name). */
  get baseUrl(): string {
    return this.#base;
  }

  /**
   * Sends one request (see {@link RestClient.performRequest}): retries,
   * credential refresh, tunnels.
   *
   * @param opts The request.
   * @param request Its method and path.
   * @returns What the overload for `opts` promises.
   */
  protected override async sendRequest(
    opts: RequestOptions,
    request: RequestTarget,
  ): Promise<unknown> {
    const { method, path } = request;
    if (this.#closed) {
      throw new TransportError(
        `${method} ${path}: this KubeConfigRestClient is closed`,
        { request, kind: "closed" },
      );
    }
    checkRequestTarget(request);
    if (opts.expectTunnel) return await this.#openTunnel(opts, path);
    opts.abortSignal?.throwIfAborted();

    // Through the strict forwarder, fetch speaks plain HTTP on a private
    // Unix socket; the forwarder adds the TLS.
    const url =
      (this.#strictRequests
        ? this.#base.replace(/^https:/, "http:")
        : this.#base) + path;
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
      const headers = this.#staticHeaders.slice();
      if (accept) headers.push(["accept", accept]);
      if (contentType) headers.push(["content-type", contentType]);
      if (auth.authorization) {
        headers.push(["authorization", auth.authorization]);
      }
      checkHeaders(request, headers);

      const started = this.#log ? performance.now() : 0;
      const { client, forwarder } = await this.#clientFor(
        auth,
        request,
        opts.abortSignal,
      );
      const dialFailures = forwarder?.failures ?? 0;
      let resp: Response;
      try {
        resp = opts.expectStream && method === "GET" && body === undefined &&
            this.#streamsOnOwnConnection(auth)
          ? await this.#streamGet(auth, headers, request, opts.abortSignal)
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

      if (resp.ok) return await this.#readBody(resp, opts, request);

      if (
        resp.status === 401 && replayable && !refreshed &&
        credentialsFor(this.#ctx).invalidate(auth)
      ) {
        // Dynamic credentials (exec plugin, token file) may have rotated: refresh once.
        refreshed = true;
        await resp.body?.cancel();
        continue;
      }
      if (
        this.#retry && (resp.status === 429 || resp.status === 503) &&
        replayable &&
        idempotentMethods.has(method) && retries < this.#retry.maxRetries
      ) {
        const after = parseRetryAfter(resp.headers.get("retry-after"));
        if (after !== undefined) {
          retries++;
          await resp.body?.cancel();
          this.#log?.(`${method} ${path} retry ${retries} in ${after}s`);
          await this.#sleep(
            Math.min(after, this.#retry.maxDelaySeconds) * 1000,
            opts.abortSignal,
          );
          continue;
        }
      }
      throw await apiErrorFromResponse(resp, request);
    }
  }

  /** Closes every HTTP client and forwarder. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
    this.#forwarder?.close();
    this.#closing.abort();
    for (const started of this.#forwarders.values()) {
      started.then(({ client, forwarder }) => {
        client.close();
        forwarder.close();
      }, () => {});
    }
    this.#forwarders.clear();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Opens a WebSocket tunnel with the same TLS and credentials as plain
   * requests, over a connection of our own (Deno's WebSocket cannot present
   * client certificates, nor show a failed handshake's Status).
   */
  async #openTunnel(
    opts: RequestOptions,
    path: string,
  ): Promise<KubernetesTunnel> {
    const request = { method: opts.method, path };
    const d = this.#dial;
    if (d.viaProxy) {
      throw new TransportError(
        `${opts.method} ${path}: tunnels through a proxy-url are not supported`,
        { request, kind: "invalid-request" },
      );
    }
    let refreshed = false;
    for (;;) {
      opts.abortSignal?.throwIfAborted();
      const auth = await credentialsFor(this.#ctx).get();
      const conn = await this.#dialTunnel(auth, request);
      const onAbort = () => conn.close();
      opts.abortSignal?.addEventListener("abort", onAbort, { once: true });
      const headers: [string, string][] = this.#staticHeaders.filter(([k]) =>
        k !== "accept-encoding"
      );
      if (auth.authorization) {
        headers.push(["authorization", auth.authorization]);
      }
      const started = this.#log ? performance.now() : 0;
      try {
        checkHeaders(request, [
          ...headers,
          ["sec-websocket-protocol", opts.expectTunnel!.join(", ")],
        ]);
        const ws = await openWebSocket({
          conn,
          host: this.#hostHeader(),
          // Non-ASCII is percent-encoded, as fetch's URL parser would.
          path: d.basePath + path.replace(/[\u0080-\u{10ffff}]+/gu, encodeURI),
          protocols: opts.expectTunnel!,
          headers,
          request,
        });
        this.#log?.(
          `${opts.method} ${path} 101 ${ws.protocol} ${
            Math.round(performance.now() - started)
          }ms`,
        );
        return new WebSocketTunnel(
          ws,
          opts.abortSignal,
          (opts.path ?? "").split("?")[0].endsWith("/portforward"),
        );
      } catch (err) {
        this.#log?.(
          `${opts.method} ${path} tunnel failed: ${
            err instanceof KubernetesApiError ? err.httpCode : "error"
          }`,
        );
        if (opts.abortSignal?.aborted) throw opts.abortSignal.reason;
        if (
          err instanceof KubernetesApiError && err.isUnauthorized() &&
          !refreshed && credentialsFor(this.#ctx).invalidate(auth)
        ) {
          refreshed = true;
          continue;
        }
        throw err;
      } finally {
        opts.abortSignal?.removeEventListener("abort", onAbort);
      }
    }
  }

  /**
   * Whether a streamed GET goes over a connection of our own: everywhere a
   * tunnel can be dialled, except where fetch would take a proxy.
   */
  #streamsOnOwnConnection(auth: AuthState): boolean {
    const d = this.#dial;
    if (this.#ownClient || d.viaProxy || proxyFromEnv()) return false;
    // Deno's TLS cannot verify another name and present a certificate at once.
    return !(d.tls && !this.#caCerts.length && d.serverName &&
      auth.clientCert);
  }

  /**
   * A streamed GET (a watch, followed logs) over a connection of our own:
   * fetch hands over one HTTP chunk per read, one per event from the
   * apiserver; a socket read takes everything that has arrived.
   */
  async #streamGet(
    auth: AuthState,
    headers: [string, string][],
    request: { method: string; path: string },
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const d = this.#dial;
    const dialing = this.#dialTunnel(auth, request);
    // A dial the abort overtook is closed when it completes.
    dialing.then((c) => signal?.aborted && c.close(), () => {});
    const conn = await abortable(dialing, signal);
    // An abort before the head is read closes the connection; afterwards
    // the body's owner (ownedBody) does.
    const onAbort = () => conn.close();
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await getOverConnection(conn, {
        target: d.basePath +
          request.path.replace(/[\u0080-\u{10ffff}]+/gu, encodeURI),
        host: this.#hostHeader(),
        // A body we read ourselves is never compressed.
        headers: [
          ...headers.filter(([k]) => k !== "accept-encoding"),
          ["accept-encoding", "identity"],
        ],
        request,
      });
    } catch (err) {
      throw signal?.aborted ? signal.reason : err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** The Host header for connections of our own. */
  #hostHeader(): string {
    const d = this.#dial;
    return d.serverName
      ? `${d.serverName}:${d.port}`
      : `${
        d.hostname.includes(":") ? `[${d.hostname}]` : d.hostname
      }:${d.port}`;
  }

  async #dialTunnel(
    auth: AuthState,
    request: { method: string; path: string },
  ): Promise<ByteConn> {
    const d = this.#dial;
    try {
      if (!d.tls) {
        return await Deno.connect({ hostname: d.hostname, port: d.port });
      }
      if (this.#caCerts.length) {
        // Only the configured CA, as kubectl (Deno's TLS would add it to its roots).
        return new NodeSocketConn(
          await dialStrictTls(this.#strictTarget(auth, ["http/1.1"])),
        );
      }
      if (d.serverName) {
        // Deno.startTls verifies any name but cannot present a client certificate.
        if (auth.clientCert) {
          throw new Error(
            "tunnels with tls-server-name and a client certificate are not supported by Deno's TLS API without a certificate-authority",
          );
        }
        const tcp = await Deno.connect({ hostname: d.hostname, port: d.port });
        return await Deno.startTls(tcp, {
          hostname: d.serverName,
          alpnProtocols: ["http/1.1"],
        });
      }
      const base = {
        hostname: d.hostname,
        port: d.port,
        alpnProtocols: ["http/1.1"],
      };
      return auth.clientCert
        ? await Deno.connectTls({
          ...base,
          cert: auth.clientCert.cert,
          key: auth.clientCert.key,
        })
        : await Deno.connectTls(base);
    } catch (err) {
      throw this.#networkError(err, request);
    }
  }

  #strictTarget(auth: AuthState, alpnProtocols: string[]): StrictTlsTarget {
    const d = this.#dial;
    return {
      hostname: d.hostname,
      port: d.port,
      ...(d.serverName ? { serverName: d.serverName } : {}),
      caCerts: this.#caCerts,
      ...(auth.clientCert
        ? {
          clientCert: { cert: auth.clientCert.cert, key: auth.clientCert.key },
        }
        : {}),
      alpnProtocols,
    };
  }

  /** The HttpClient for these credentials, and the strict forwarder behind it if requests use one. */
  async #clientFor(
    auth: AuthState,
    request: { method: string; path: string },
    signal: AbortSignal | undefined,
  ): Promise<{ client: Deno.HttpClient; forwarder?: StrictForwarder }> {
    if (this.#ownClient) return { client: this.#ownClient };
    const key = auth.clientCert?.cert ?? "";
    if (!this.#strictRequests) return { client: this.#denoClientFor(auth) };
    if ("obstacle" in this.#forwarderDir) {
      throw new TransportError(
        `${request.method} ${request.path}: requestTrust "ca-only" cannot be met: ${this.#forwarderDir.obstacle}`,
        { request, kind: "invalid-request" },
      );
    }
    const parent = this.#forwarderDir.dir;
    let started = this.#forwarders.get(key);
    if (!started) {
      const starting = this.#startForwarder(auth, parent);
      // A failed start is tried again by the next request.
      starting.catch(() => {
        if (this.#forwarders.get(key) === starting) {
          this.#forwarders.delete(key);
        }
      });
      this.#forwarders.set(key, starting);
      started = starting;
    }
    try {
      const got = await abortable(started, signal);
      if (this.#closed) {
        got.client.close();
        got.forwarder.close();
        throw new TransportError(
          `${request.method} ${request.path}: this KubeConfigRestClient is closed`,
          { request, kind: "closed" },
        );
      }
      return got;
    } catch (err) {
      if (this.#closed && !signal?.aborted) {
        throw new TransportError(
          `${request.method} ${request.path}: this KubeConfigRestClient is closed`,
          { request, kind: "closed", cause: err },
        );
      }
      if (!(err instanceof StartFailure)) {
        throw this.#networkError(err, request, signal);
      }
      const cause = err.cause;
      throw new TransportError(
        `${request.method} ${request.path}: cannot start the private Unix socket that makes requests trust only the configured certificate-authority: ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
        { request, kind: "network", cause },
      );
    }
  }

  /**
   * Dials once to learn whether the server speaks HTTP/2 (as the apiserver
   * does), then starts the forwarder with that connection as its first and
   * an HttpClient speaking the same protocol on the Unix socket.
   *
   * @throws {Error} node:tls's error when the dial fails (certificate, refused).
   * @throws {StartFailure} When the Unix socket cannot be created.
   */
  async #startForwarder(
    auth: AuthState,
    parent: string,
  ): Promise<{ client: Deno.HttpClient; forwarder: StrictForwarder }> {
    const first = await dialStrictTls(
      this.#strictTarget(auth, ["h2", "http/1.1"]),
      this.#closing.signal,
    );
    const h2 = first.alpnProtocol === "h2";
    const target = this.#strictTarget(auth, [h2 ? "h2" : "http/1.1"]);
    let forwarder: StrictForwarder;
    try {
      forwarder = await startStrictForwarder(
        parent,
        (signal) => dialStrictTls(target, signal),
        first,
      );
    } catch (err) {
      first.destroy();
      throw new StartFailure(err);
    }
    return {
      forwarder,
      client: Deno.createHttpClient({
        proxy: { transport: "unix", path: forwarder.socketPath },
        http1: !h2,
        http2: h2,
      }),
    };
  }

  #denoClientFor(auth: AuthState): Deno.HttpClient {
    const key = auth.clientCert?.cert ?? "";
    let client = this.#clients.get(key);
    if (!client) {
      const base = { caCerts: this.#caCerts, proxy: this.#proxy };
      client = auth.clientCert
        ? Deno.createHttpClient({
          ...base,
          cert: auth.clientCert.cert,
          key: auth.clientCert.key,
        })
        : Deno.createHttpClient(base);
      this.#clients.set(key, client);
    }
    return client;
  }

  async #readBody(
    resp: Response,
    opts: RequestOptions,
    request: { method: string; path: string },
  ): Promise<unknown> {
    const fail = (err: unknown) => this.#networkError(err, request);
    if (opts.expectStream) {
      return opts.expectJson
        ? ownedJsonLines(resp, opts.abortSignal, fail)
        : ownedBody(resp, opts.abortSignal, fail);
    }
    const bytes = await readAllOrAbort(resp, opts.abortSignal, fail);
    if (opts.expectJson) {
      return decodeJson(bytes, (err, chars) =>
        // The parser's message quotes the body, which may hold a Secret: keep only its class.
        new TransportError(
          `${request.method} ${request.path}: HTTP ${resp.status} response is not JSON (content-type ${
            resp.headers.get("content-type") ?? "none"
          }, ${chars} chars)`,
          { request, kind: "bad-response", cause: withoutMessage(err) },
        ));
    }
    return bytes;
  }

  #networkError(
    err: unknown,
    request: { method: string; path: string },
    signal?: AbortSignal,
  ): unknown {
    return networkError(err, request, {
      signal,
      closed: this.#closed,
      insecureHost: this.#insecureHost,
      base: this.#base,
    });
  }
}

/** Whether fetch would send requests through a proxy from the environment. */
function proxyFromEnv(): boolean {
  for (const name of ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"]) {
    for (const key of [name, name.toLowerCase()]) {
      try {
        if (Deno.env.get(key)) return true;
      } catch {
        return true; // cannot tell without env permission: let fetch decide
      }
    }
  }
  return false;
}

/** The strict forwarder's socket could not be created. */
class StartFailure extends Error {
  constructor(cause: unknown) {
    super("cannot start the forwarder", { cause });
  }
}
