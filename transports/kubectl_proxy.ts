/**
 * The kubectl-proxy transport: a client that starts and owns its own
 * `kubectl proxy` on a Unix socket in a private directory, reached through
 * `Deno.createHttpClient`'s `unix` proxy transport. Any auth kubectl supports,
 * at fetch speed, without a TCP port other local users could reach. (For a
 * proxy you run yourself on TCP, use `KubeConfigRestClient.forKubectlProxy`.)
 *
 * Deno permissions: `--allow-run=kubectl`; `--allow-read` and `--allow-write`
 * for the socket's directory (the system temp dir unless `socketPath` is
 * given); `--allow-net=unix:<socket>,localhost:80`.
 *
 * @module
 */

import type {
  KubernetesTunnel,
  RequestOptions,
  RestClient,
} from "../lib/contract.ts";
import { KubectlError } from "../lib/errors/mod.ts";
import { KubeConfig } from "../lib/config/kube_config.ts";
import {
  KubeConfigRestClient,
  type KubeConfigRestClientOptions,
} from "./kubeconfig.ts";
import { KubectlRawRestClient } from "./kubectl_raw.ts";
import { checkRequestTarget } from "../lib/_wire/request_head.ts";
import { TransportError } from "../lib/errors/transport_error.ts";
import { RequestBase, type RequestTarget } from "./_request_base.ts";
import { tunnelOn } from "./_websocket_tunnel.ts";
import { killQuietly } from "../lib/_internal/close.ts";
import { yieldToTimers } from "../lib/_internal/delay.ts";
import { startProxyProcess } from "./_kubectl_proxy_process.ts";

/** Options for {@link KubectlProxyRestClient.start}. */
export interface KubectlProxyOptions {
  /** The kubeconfig context. @default {the current-context} */
  contextName?: string;
  /** A kubeconfig file for kubectl. @default {kubectl's own choice} */
  kubeconfig?: string;
  /** The kubectl binary. @default {"kubectl"} */
  kubectl?: string;
  /** Where to put the socket. @default {a new private directory under the system temp dir} */
  socketPath?: string;
  /** How long kubectl may take to start serving. @default {10000} */
  startTimeoutMs?: number;
  /** Options for the HTTP side (retries, logging). */
  client?: KubeConfigRestClientOptions;
}

const exitEvents = ["unload", "error", "unhandledrejection"] as const;

/**
 * A {@link RestClient} that owns a `kubectl proxy` child on a Unix socket.
 * Close it (or `using`) to stop the proxy; it is also stopped when the
 * program exits. Requests after the proxy died fail at once, with its exit
 * status and last stderr lines.
 *
 * @example
 * ```ts
 * import { KubectlProxyRestClient } from "@denokube/transport/transports";
 *
 * await using client = await KubectlProxyRestClient.start({ contextName: "prod" });
 * const ns = await client.performRequest({ method: "GET", path: "/api/v1/namespaces", expectJson: true });
 * console.log(ns);
 * ```
 */
export class KubectlProxyRestClient extends RequestBase
  implements RestClient, AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #http: KubeConfigRestClient;
  readonly #httpClient: Deno.HttpClient;
  readonly #ownedDir: string | undefined;
  readonly #stderr: string[];
  readonly #onUnload: (e?: Event) => void;
  readonly #namespaceSource: KubectlRawRestClient;
  #exited: Deno.CommandStatus | undefined;
  #closed = false;

  private constructor(
    child: Deno.ChildProcess,
    httpClient: Deno.HttpClient,
    http: KubeConfigRestClient,
    readonly socketPath: string,
    ownedDir: string | undefined,
    stderr: string[],
    namespaceSource: KubectlRawRestClient,
  ) {
    super();
    this.#child = child;
    this.#httpClient = httpClient;
    this.#http = http;
    this.#ownedDir = ownedDir;
    this.#stderr = stderr;
    this.#namespaceSource = namespaceSource;
    child.status.then((s) => this.#exited = s);
    // The program ends without close(): normally (unload) or on an uncaught
    // error (the process exits right after these events, so nothing
    // asynchronous would run). The proxy holds the user's credentials.
    this.#onUnload = (e?: Event) => {
      if (e?.defaultPrevented) return; // the program handles it and goes on
      killQuietly(child);
      if (ownedDir) {
        try {
          Deno.removeSync(ownedDir, { recursive: true });
        } catch {
          // already removed
        }
      }
    };
    for (const type of exitEvents) {
      globalThis.addEventListener(type, this.#onUnload);
    }
  }

  /**
   * Starts `kubectl proxy --unix-socket` and waits until it serves.
   *
   * @param opts Context, kubeconfig, kubectl binary, socket path.
   * @returns The client.
   * @throws {KubectlError} When kubectl cannot start, exits, or does not serve in time.
   */
  static async start(
    opts: KubectlProxyOptions = {},
  ): Promise<KubectlProxyRestClient> {
    const kubectl = opts.kubectl ?? "kubectl";
    const { child, socketPath, ownedDir, stderr } = await startProxyProcess({
      ...opts,
      kubectl,
    });
    const httpClient = Deno.createHttpClient({
      proxy: { transport: "unix", path: socketPath },
    });
    const http = new KubeConfigRestClient(
      KubeConfig.getSimpleUrlConfig({ baseUrl: "http://localhost" })
        .fetchContext(),
      httpClient,
      opts.client,
    );
    const namespaceSource = await KubectlRawRestClient.create(
      opts.contextName,
      { kubeconfig: opts.kubeconfig, kubectl },
    );
    return new KubectlProxyRestClient(
      child,
      httpClient,
      http,
      socketPath,
      ownedDir,
      stderr,
      namespaceSource,
    );
  }

  /** The namespace of the selected context, read once with kubectl at {@link start} (`default` when unset). */
  get defaultNamespace(): string | undefined {
    return this.#namespaceSource.defaultNamespace;
  }
  set defaultNamespace(value: string | undefined) {
    this.#namespaceSource.defaultNamespace = value;
  }

  /** The kubectl proxy's process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Whether the proxy process is still running. */
  get running(): boolean {
    return !this.#exited && !this.#closed;
  }

  /**
   * Sends a request through the proxy; see {@link RestClient.performRequest}.
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
    this.#throwIfDead(opts);
    try {
      if (opts.expectTunnel) return await this.#openTunnel(opts, request);
      return await this.#http.performRequest(opts);
    } catch (err) {
      // A request that failed because the proxy died says so.
      await yieldToTimers();
      this.#throwIfDead(opts, err);
      throw err;
    }
  }

  /**
   * A WebSocket tunnel through the proxy's socket: kubectl proxy relays
   * upgrades (port-forward; exec and attach are on its default
   * `--reject-paths` and answer 403).
   */
  async #openTunnel(
    opts: RequestOptions,
    request: RequestTarget,
  ): Promise<KubernetesTunnel> {
    const path = request.path;
    checkRequestTarget(request);
    opts.abortSignal?.throwIfAborted();
    let conn: Deno.Conn;
    try {
      conn = await Deno.connect({ transport: "unix", path: this.socketPath });
    } catch (err) {
      throw new TransportError(
        `${opts.method} ${path}: cannot reach kubectl proxy's socket`,
        { request, reason: "connection-refused", cause: err },
      );
    }
    return await tunnelOn(conn, {
      host: "localhost",
      path,
      protocols: opts.expectTunnel!,
      headers: [],
      request,
    }, opts);
  }

  /** Stops the proxy and removes its socket directory. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const type of exitEvents) {
      globalThis.removeEventListener(type, this.#onUnload);
    }
    this.#http.close();
    this.#httpClient.close();
    killQuietly(this.#child);
    this.#child.ref(); // unref'd while running; waiting for its exit must keep the loop alive
    await this.#child.status;
    if (this.#ownedDir) {
      await Deno.remove(this.#ownedDir, { recursive: true }).catch(() => {});
    }
  }

  /** Same as {@link close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #throwIfDead(opts: RequestOptions, cause?: unknown): void {
    if (this.#closed) {
      throw new KubectlError(
        `${opts.method} ${opts.path}: this KubectlProxyRestClient is closed`,
        undefined,
        undefined,
        "closed",
      );
    }
    const s = this.#exited;
    if (!s) return;
    const how = s.signal
      ? `was killed by ${s.signal}`
      : `exited with code ${s.code}`;
    const tail = this.#stderr.length ? `: ${this.#stderr.join(" | ")}` : "";
    throw new KubectlError(
      `${opts.method} ${opts.path}: kubectl proxy ${how}${tail}`,
      s.code,
      cause,
      "closed",
    );
  }
}
