/**
 * The kubectl transport: every request runs the user's own `kubectl`, so
 * every auth plugin kubectl supports works. Reads become `kubectl get --raw`,
 * writes `create|replace|delete --raw`, patches `kubectl patch` and
 * server-side apply `kubectl apply --server-side`. Failures become the same
 * typed errors as on the fetch transport.
 *
 * Deno permissions: `--allow-run=kubectl` (or the binary you configure).
 *
 * @module
 */

import type { RateLimitOptions } from "../lib/_internal/token_bucket.ts";
import type { RequestOptions, RestClient } from "../lib/contract.ts";
import { KubectlError } from "../lib/errors/mod.ts";
import { redactSecrets } from "../lib/_internal/redact.ts";
import { describeSpawnError } from "../lib/_internal/fs_error.ts";
import { resolveLog } from "../lib/_internal/log.ts";
import {
  attachSource,
  type ByteSource,
  byteSource,
  bytesStep,
  eagerSource,
  jsonLinesStep,
  pulledStream,
  type Step,
} from "../lib/_wire/line_buffer.ts";
import {
  type KubectlFeatures,
  planExec,
  planKubectl,
} from "./_kubectl_args.ts";
import { limitRate, RequestBase, type RequestTarget } from "./_request_base.ts";
import { parseJson, parseJsonOrUndefined } from "../lib/_internal/json.ts";
import {
  type KubectlDiagnostics,
  kubectlFailure,
  lastRoundTripIn,
  parseStderr,
  unreadableStatus,
} from "./_kubectl_diagnostics.ts";
import { kubectlMinor, kubectlVersion } from "./_kubectl_version.ts";
import { KubectlExecTunnel } from "./_kubectl_exec_tunnel.ts";
import { killQuietly } from "../lib/_internal/close.ts";

/**
 * How long a stream waits for a body or kubectl's exit after kubectl logged
 * the response status in a form we cannot read, before failing typed.
 */
const UNREADABLE_GRACE_MS = 1_000;

export type { RateLimitOptions } from "../lib/_internal/token_bucket.ts";

/** Options for {@link KubectlRawRestClient}. */
export interface KubectlRawRestClientOptions {
  /** A kubeconfig file for kubectl (`--kubeconfig`). @default {kubectl's own choice: $KUBECONFIG or ~/.kube/config} */
  kubeconfig?: string;
  /** The kubectl binary. @default {"kubectl"} (looked up on PATH) */
  kubectl?: string;
  /**
   * Log each command and pass kubectl's stderr through: `true` for stderr,
   * or a function. Otherwise stderr is only used to build errors. When
   * unset, `KUBE_TRANSPORT_VERBOSE=1` turns it on (read only if env
   * permission for it is already granted).
   * @default {false}
   */
  log?: boolean | ((line: string) => void);
  /**
   * Client-side rate limiting, as client-go's `QPS` and `Burst`: one token
   * per request (each starts one kubectl), shared by every helper using the
   * client. kubectl's own client-side limit applies within each command.
   * @default {none}
   */
  rateLimit?: RateLimitOptions;
}

/**
 * A {@link RestClient} that runs `kubectl` for every request.
 *
 * Build it with {@link KubectlRawRestClient.create}, which also reads the
 * context's namespace; `new` (kept for v0.7.3 code) does no I/O and leaves
 * {@link defaultNamespace} unset until {@link loadDefaultNamespace} is
 * awaited.
 *
 * @example
 * ```ts
 * import { KubectlRawRestClient } from "@denokube/transport/transports";
 *
 * const client = await KubectlRawRestClient.create("my-context");
 * const ns = await client.performRequest({ method: "GET", path: "/api/v1/namespaces", expectJson: true });
 * console.log(ns);
 * ```
 */
export class KubectlRawRestClient extends RequestBase
  implements RestClient, Disposable, AsyncDisposable {
  readonly #kubectl: string;
  // Aborted by close(): every kubectl this client runs gets its signal, so
  // closing kills what still runs.
  readonly #closer = new AbortController();
  readonly #globalArgs: string[];
  readonly #log: ((line: string) => void) | undefined;
  #defaultNamespace: string | undefined;
  #namespaceLoading: Promise<string> | undefined;

  /**
   * Builds the client without running kubectl, so `defaultNamespace` stays
   * undefined until {@link KubectlRawRestClient.loadDefaultNamespace} (kept for
   * v0.7.3 code).
   *
   * @deprecated Use `await KubectlRawRestClient.create(contextName, options)`,
   * which also reads the context's default namespace before returning.
   *
   * @param contextName The kubeconfig context (`--context`). @default {the current-context}
   * @param options kubeconfig file, kubectl binary, logging.
   * @throws {TypeError} When a context or kubeconfig value looks like a flag or holds a line break.
   */
  constructor(
    public readonly contextName?: string,
    options: KubectlRawRestClientOptions = {},
  ) {
    super();
    this.#kubectl = options.kubectl ?? "kubectl";
    this.#globalArgs = [];
    for (
      const [flag, value] of [["--kubeconfig", options.kubeconfig], [
        "--context",
        contextName,
      ]] as const
    ) {
      if (value === undefined) continue;
      if (value === "" || /[\r\n\0]/.test(value)) {
        throw new TypeError(
          `KubectlRawRestClient: ${flag} must be a non-empty single line`,
        );
      }
      this.#globalArgs.push(`${flag}=${value}`);
    }
    this.#log = resolveLog(options.log, "[kubectl] ");
    limitRate(this, options.rateLimit);
  }

  /**
   * A client whose {@link defaultNamespace} has been read from the context.
   *
   * @param contextName The kubeconfig context (`--context`). @default {the current-context}
   * @param options kubeconfig file, kubectl binary, logging.
   * @returns The client.
   * @throws {TypeError} When a context or kubeconfig value looks like a flag or holds a line break.
   */
  static async create(
    contextName?: string,
    options: KubectlRawRestClientOptions = {},
  ): Promise<KubectlRawRestClient> {
    const client = new KubectlRawRestClient(contextName, options);
    await client.loadDefaultNamespace();
    return client;
  }

  /**
   * The namespace of the selected context: set by {@link create} or
   * {@link loadDefaultNamespace}, `undefined` before (a getter never runs
   * kubectl: that would freeze the event loop).
   */
  get defaultNamespace(): string | undefined {
    return this.#defaultNamespace;
  }
  set defaultNamespace(value: string | undefined) {
    this.#defaultNamespace = value;
    this.#namespaceLoading = Promise.resolve(value ?? "default");
  }

  /**
   * Reads the context's namespace once, asynchronously, from
   * `kubectl config view --minify -o json` (`default` when it sets none or
   * kubectl fails) and sets {@link defaultNamespace}. Later calls share the
   * first.
   *
   * @returns The namespace.
   */
  loadDefaultNamespace(): Promise<string> {
    this.#namespaceLoading ??= this.#readNamespace().then((ns) => {
      this.#defaultNamespace ??= ns;
      return this.#defaultNamespace;
    });
    return this.#namespaceLoading;
  }

  /**
   * Runs kubectl for one request; see {@link RestClient.performRequest}.
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
    this.#throwIfClosed(request);
    opts.abortSignal?.throwIfAborted();
    const signal = opts.abortSignal
      ? AbortSignal.any([opts.abortSignal, this.#closer.signal])
      : this.#closer.signal;
    if (opts.expectTunnel) {
      const plan = planExec(opts);
      return new KubectlExecTunnel(
        (args, stdin) => this.#spawn(args, stdin, signal),
        [...this.#globalArgs, ...plan.args],
        plan,
        request,
        opts.expectTunnel,
      );
    }
    const plan = planKubectl(opts, await this.#features(opts));
    this.#throwIfClosed(request);
    opts.abortSignal?.throwIfAborted();
    const args = [...this.#globalArgs, "-v=6", ...plan.args];
    const child = this.#spawn(args, plan.stdin, signal);
    const feeding = plan.stdin ? this.#feed(child, opts) : Promise.resolve();

    if (opts.expectStream) {
      const stream = await this.#streamOnceAnswered(
        child,
        request,
        signal,
        (opts.expectJson ? jsonLinesStep : bytesStep) as (
          source: ByteSource,
        ) => Step<unknown>,
      );
      feeding.catch(() => {}); // a body that failed to send shows up as kubectl's error
      return stream;
    }

    const [out] = await Promise.all([child.output(), feeding.catch(() => {})]);
    const stderr = new TextDecoder().decode(out.stderr);
    this.#passThrough(stderr);
    this.#throwIfClosed(request);
    if (opts.abortSignal?.aborted) throw opts.abortSignal.reason;
    if (!out.success) {
      throw await this.#failure(parseStderr(stderr), out.code, request);
    }
    if (opts.expectJson) {
      return parseJson(out.stdout, ({ cause, chars }) =>
        new KubectlError(
          `${request.method} ${request.path}: kubectl printed no JSON (${chars} chars)`,
          out.code,
          cause,
          "bad-response",
        ));
    }
    return out.stdout;
  }

  /**
   * Closes the client: kills every kubectl it still runs (their requests
   * and streams fail with a `KubectlError` of reason `closed`), and refuses
   * requests from then on. Safe to call twice.
   */
  close(): void {
    if (this.#closer.signal.aborted) return;
    this.#closer.abort(
      new KubectlError(
        "KubectlRawRestClient: the client was closed",
        undefined,
        undefined,
        "closed",
      ),
    );
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

  #throwIfClosed(request: RequestTarget): void {
    if (!this.#closer.signal.aborted) return;
    throw new KubectlError(
      `${request.method} ${request.path}: this KubectlRawRestClient is closed`,
      undefined,
      undefined,
      "closed",
    );
  }

  /** What the plan needs to know of this kubectl: only patches ask (its version, read once). */
  async #features(opts: RequestOptions): Promise<KubectlFeatures> {
    if (opts.method !== "PATCH") return {};
    const version = await kubectlVersion(this.#kubectl);
    const minor = kubectlMinor(version);
    return {
      kubectl: `kubectl ${version}`,
      showManagedFields: minor === undefined || minor >= 21,
      subresource: minor === undefined || minor >= 24,
    };
  }

  #spawn(
    args: string[],
    stdin: boolean,
    signal?: AbortSignal,
  ): Deno.ChildProcess {
    this.#log?.(`${this.#kubectl} ${args.join(" ")}`);
    try {
      return new Deno.Command(this.#kubectl, {
        args,
        stdin: stdin ? "piped" : "null",
        stdout: "piped",
        stderr: "piped",
        signal,
      }).spawn();
    } catch (err) {
      const why = describeSpawnError(err, this.#kubectl);
      throw new KubectlError(`cannot run kubectl: ${why}`, undefined, err);
    }
  }

  async #feed(child: Deno.ChildProcess, opts: RequestOptions): Promise<void> {
    if (opts.bodyStream) {
      await opts.bodyStream.pipeTo(child.stdin);
      return;
    }
    const writer = child.stdin.getWriter();
    try {
      const body = opts.bodyRaw ??
        (opts.bodyJson !== undefined
          ? new TextEncoder().encode(JSON.stringify(opts.bodyJson))
          : undefined);
      if (body) await writer.write(body);
    } finally {
      await writer.close().catch(() => {});
    }
  }

  /**
   * Resolves with kubectl's stdout as a stream once the server has answered
   * 2xx, or rejects with the typed error if kubectl fails first. The stream
   * errors if kubectl fails later, and cancelling it kills kubectl.
   *
   * Answered means either of two signs, whichever comes first: kubectl's
   * -v=6 line for the round trip says 2xx (logged as soon as headers
   * arrive, so a quiet watch starts at once), or a first byte of body on
   * stdout. The second needs no log format: `get --raw` copies the body to
   * stdout only after client-go's Request.Stream accepted a 2xx; any other
   * status becomes an error on stderr and no body (kubectl's rawhttp, over
   * client-go's rest/request.go). A round-trip line in a form we cannot
   * read, followed within {@link UNREADABLE_GRACE_MS} by neither sign nor
   * kubectl's exit, fails the request, naming the kubectl version.
   */
  #streamOnceAnswered<T>(
    child: Deno.ChildProcess,
    request: { method: string; path: string },
    signal: AbortSignal | undefined,
    makeStep: (source: ByteSource) => Step<T>,
  ): Promise<ReadableStream<T>> {
    let stderr = "";
    let answered!: () => void;
    let unreadable!: (location: string) => void;
    const answer = new Promise<void>((resolve) => answered = resolve);
    const unreadableLine = new Promise<string>((resolve) =>
      unreadable = resolve
    );
    const stderrDone = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        const text = decoder.decode(chunk, { stream: true });
        stderr += text;
        this.#passThrough(text);
        // Checked on everything so far: a status line may straddle chunks.
        const rt = lastRoundTripIn(stderr);
        if (rt?.status !== undefined && rt.status < 400) answered();
        if (rt?.unreadable) unreadable(rt.unreadable);
      }
    })();
    const failure = async (status: Deno.CommandStatus): Promise<unknown> => {
      await stderrDone.catch(() => {});
      if (signal?.aborted) return signal.reason;
      return await this.#failure(parseStderr(stderr), status.code, request);
    };
    // stdout is read with a BYOB reader into one reused buffer; the first
    // read starts now, so that its bytes can say the server answered.
    const stdout = eagerSource(byteSource(child.stdout));
    stdout.started.then((started) => started && answered());
    const source: ByteSource = {
      async read(into) {
        const read = await stdout.source.read(into);
        if (!read.done) return read;
        const status = await child.status;
        if (!status.success) throw await failure(status);
        return read;
      },
      async cancel(reason) {
        killQuietly(child);
        await stdout.source.cancel(reason).catch(() => {});
        await child.status;
        await stderrDone.catch(() => {});
      },
    };
    const stream = pulledStream(source, makeStep(source));
    // A reader of ours reads stdout without the stream's copy of each read.
    if (makeStep === (bytesStep as unknown)) {
      attachSource(stream as ReadableStream<Uint8Array>, source);
    }
    // Waiting until one of: answered (the stream), kubectl's exit (the
    // stream, or its failure), or an unreadable status line with neither
    // sign within a grace period (a typed failure).
    return new Promise((resolve, reject) => {
      let waiting = true;
      let grace: ReturnType<typeof setTimeout> | undefined;
      const settle = (): boolean => {
        if (!waiting) return false;
        waiting = false;
        clearTimeout(grace);
        return true;
      };
      answer.then(() => settle() && resolve(stream));
      unreadableLine.then((location) => {
        if (!waiting) return;
        // A body that follows at once (a plain GET) still wins; a quiet
        // watch would otherwise keep the caller waiting for its first event.
        grace = setTimeout(async () => {
          if (!settle()) return;
          await source.cancel().catch(() => {});
          reject(unreadableStatus(
            request,
            location,
            await kubectlVersion(this.#kubectl),
          ));
        }, UNREADABLE_GRACE_MS);
      });
      child.status.then(async (status) => {
        if (!settle()) return;
        if (status.success) return resolve(stream);
        await stdout.source.cancel().catch(() => {});
        reject(await failure(status));
      });
    });
  }

  /** The typed error for a failed kubectl run; names kubectl's version when its log was unreadable. */
  async #failure(
    diag: KubectlDiagnostics,
    exitCode: number,
    request: { method: string; path: string },
  ): Promise<Error> {
    const version =
      diag.unreadableRoundTrip && diag.lastHttpStatus === undefined
        ? await kubectlVersion(this.#kubectl)
        : undefined;
    return kubectlFailure(diag, exitCode, request, version);
  }

  #passThrough(stderr: string): void {
    if (!this.#log) return;
    for (const line of stderr.split("\n")) {
      if (line.trim()) this.#log(redactSecrets(line));
    }
  }

  async #readNamespace(): Promise<string> {
    try {
      const out = await new Deno.Command(this.#kubectl, {
        args: [...this.#globalArgs, "config", "view", "--minify", "-o", "json"],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!out.success) return "default";
      // deno-lint-ignore no-explicit-any
      const cfg = parseJsonOrUndefined(out.stdout) as any;
      const ns = cfg?.contexts?.[0]?.context?.namespace;
      return typeof ns === "string" && ns ? ns : "default";
    } catch {
      return "default";
    }
  }
}
