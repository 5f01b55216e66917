/**
 * `autoDetectClient()`: finds a working way to the Kubernetes API wherever the
 * program runs — in a pod, on a laptop, in CI — without ever triggering a
 * permission prompt, and when nothing works says, for every source, what
 * failed and which Deno flag or file would fix it.
 *
 * @module
 */

import type { RestClient } from "../lib/contract.ts";
import { KubeConfig } from "../lib/kubeconfig.ts";
import { join } from "../lib/_internal/path.ts";
import { maskUrl } from "../lib/_internal/redact.ts";
import { withScheme } from "../lib/_internal/url.ts";
import { credentialsFor } from "../lib/credentials.ts";
import { InClusterRestClient, SERVICE_ACCOUNT_DIR } from "./in_cluster.ts";
import { KubeConfigRestClient } from "./kubeconfig.ts";
import { resolveLog } from "../lib/_internal/log.ts";
import { KubectlRawRestClient } from "./kubectl_raw.ts";

/** The sources `autoDetectClient` can try. */
export type AutoDetectSource =
  | "InCluster"
  | "KubeConfig"
  | "KubectlProxy"
  | "KubectlRaw";

/** Options for {@link autoDetectClient}. */
export interface AutoDetectOptions {
  /** The sources to try, in order. @default {["InCluster", "KubeConfig", "KubectlProxy", "KubectlRaw"]} */
  sources?: AutoDetectSource[];
  /** How long each candidate's `GET /api` probe may take, in ms. @default {3000} */
  probeTimeoutMs?: number;
  /** The service-account directory for InCluster. @default {"/var/run/secrets/kubernetes.io/serviceaccount"} */
  secretsPath?: string;
  /** Where to look for a running `kubectl proxy`. @default {"http://localhost:8001"} */
  kubectlProxyUrl?: string;
  /** The kubectl binary for KubectlRaw. @default {"kubectl"} */
  kubectl?: string;
  /**
   * Report which source won and why the earlier ones did not: `true` for
   * stderr, or a function. When unset, `KUBE_TRANSPORT_VERBOSE=1` turns it on
   * (read only if env permission for it is already granted).
   * @default {false}
   */
  log?: boolean | ((line: string) => void);
}

/** Why one source could not be used. */
export interface AutoDetectAttempt {
  /** The source tried. */
  source: AutoDetectSource;
  /** What failed. */
  reason: string;
  /** What would fix it: a Deno flag, or a file or command to provide. */
  fix?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * No source worked. The message has one line per source; `attempts` (and
 * `errors`, as for any `AggregateError`) keep each one as a value.
 */
export class AutoDetectError extends AggregateError {
  /** One entry per source tried, in order. */
  readonly attempts: AutoDetectAttempt[];

  /**
   * Builds the error from every source's failure.
   *
   * @param attempts Every source's failure, in order.
   */
  constructor(attempts: AutoDetectAttempt[]) {
    super(
      attempts.map((a) => a.cause ?? new Error(a.reason)),
      "autoDetectClient: no way to reach a Kubernetes API server was found:\n" +
        attempts.map((a) => `  - ${describeAttempt(a)}`).join("\n"),
    );
    this.name = "AutoDetectError";
    this.attempts = attempts;
  }
}

function describeAttempt(a: AutoDetectAttempt): string {
  return `${a.source}: ${a.reason}${a.fix ? ` (fix: ${a.fix})` : ""}`;
}

/** A source that cannot be used, as a value. */
class Unusable {
  constructor(
    readonly reason: string,
    readonly fix?: string,
    readonly cause?: unknown,
  ) {}
}

type Probe = () => Promise<(RestClient & { close?(): void }) | Unusable>;

/**
 * Finds a working client: tries each source in turn (by default InCluster,
 * then KubeConfig, then a running `kubectl proxy`, then `kubectl` itself),
 * checks Deno permissions with `Deno.permissions.query` before touching
 * anything, and probes each candidate with `GET /api` under a short timeout.
 *
 * @param opts Sources, timeouts and overrides.
 * @returns The first client whose probe answered `APIVersions`.
 * @throws {AutoDetectError} Listing every source with its reason and fix.
 *
 * @example
 * ```ts
 * import { autoDetectClient } from "@denokube/transport/auto-detect";
 *
 * const client = await autoDetectClient();
 * const nodes = await client.performRequest({ method: "GET", path: "/api/v1/nodes", expectJson: true });
 * console.log(nodes);
 * ```
 */
export async function autoDetectClient(
  opts: AutoDetectOptions = {},
): Promise<RestClient> {
  const log = resolveLog(opts.log);
  const sources = opts.sources ??
    ["InCluster", "KubeConfig", "KubectlProxy", "KubectlRaw"];
  const timeout = opts.probeTimeoutMs ?? 3000;
  const probes: Record<AutoDetectSource, Probe> = {
    InCluster: () =>
      tryInCluster(opts.secretsPath ?? SERVICE_ACCOUNT_DIR, timeout),
    KubeConfig: () => tryKubeConfig(timeout),
    KubectlProxy: () =>
      tryKubectlProxy(opts.kubectlProxyUrl ?? "http://localhost:8001", timeout),
    KubectlRaw: () => tryKubectlRaw(opts.kubectl ?? "kubectl", timeout),
  };
  const attempts: AutoDetectAttempt[] = [];
  for (const source of sources) {
    let result: Awaited<ReturnType<Probe>>;
    try {
      result = await probes[source]();
    } catch (err) {
      result = new Unusable(
        err instanceof Error ? err.message : String(err),
        undefined,
        err,
      );
    }
    if (result instanceof Unusable) {
      const attempt = {
        source,
        reason: result.reason,
        fix: result.fix,
        cause: result.cause,
      };
      attempts.push(attempt);
      log?.(`autoDetectClient: ${describeAttempt(attempt)}`);
      continue;
    }
    log?.(`autoDetectClient: using ${source}`);
    return result;
  }
  throw new AutoDetectError(attempts);
}

async function granted(desc: Deno.PermissionDescriptor): Promise<boolean> {
  return (await Deno.permissions.query(desc)).state === "granted";
}

async function readEnv(name: string): Promise<string | undefined | Unusable> {
  return await granted({ name: "env", variable: name })
    ? Deno.env.get(name)
    : new Unusable(
      `no permission to read ${name}`,
      `--allow-env=${name}`,
    );
}

/**
 * `GET /api` must answer APIVersions within the timeout (or before
 * `deadline`, a budget that started earlier); closes the client when not.
 */
async function probe(
  client: RestClient & { close?(): void },
  timeoutMs: number,
  describeFailure: (err: unknown) => string,
  deadline: AbortSignal = AbortSignal.timeout(timeoutMs),
): Promise<(RestClient & { close?(): void }) | Unusable> {
  try {
    const api = await client.performRequest({
      method: "GET",
      path: "/api",
      expectJson: true,
      abortSignal: deadline,
    }) as { kind?: string };
    if (api?.kind === "APIVersions") return client;
    client.close?.();
    return new Unusable(
      `GET /api answered ${JSON.stringify(api?.kind)}, not APIVersions`,
    );
  } catch (err) {
    client.close?.();
    if (
      err instanceof DOMException &&
      (err.name === "TimeoutError" || err.name === "AbortError")
    ) {
      return new Unusable(
        `GET /api got no answer within ${timeoutMs} ms`,
        undefined,
        err,
      );
    }
    return new Unusable(describeFailure(err), undefined, err);
  }
}

function netTarget(server: string): string {
  const url = new URL(withScheme(server, "https"));
  const port = url.port || (url.protocol === "http:" ? "80" : "443");
  return `${url.hostname}:${port}`;
}

async function needNet(
  server: string,
  context: string,
): Promise<Unusable | undefined> {
  const target = netTarget(server);
  const [hostname, port] = [
    target.slice(0, target.lastIndexOf(":")),
    target.slice(target.lastIndexOf(":") + 1),
  ];
  if (
    await granted({
      name: "net",
      host: `${hostname.replace(/^\[|\]$/g, "")}:${port}`,
    })
  ) return undefined;
  return new Unusable(
    `no permission to connect to ${target} (${context})`,
    `--allow-net=${target}`,
  );
}

async function needRead(
  path: string,
  what: string,
): Promise<Unusable | undefined> {
  if (await granted({ name: "read", path })) return undefined;
  return new Unusable(
    `no permission to read ${what} ${path}`,
    `--allow-read=${path}`,
  );
}

async function tryInCluster(
  secretsPath: string,
  timeout: number,
): ReturnType<Probe> {
  const host = await readEnv("KUBERNETES_SERVICE_HOST");
  if (host instanceof Unusable) {
    return new Unusable(
      host.reason,
      "--allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT",
    );
  }
  if (!host) {
    return new Unusable("not in a pod (KUBERNETES_SERVICE_HOST is unset)");
  }
  const port = await readEnv("KUBERNETES_SERVICE_PORT");
  if (port instanceof Unusable) {
    return new Unusable(port.reason, "--allow-env=KUBERNETES_SERVICE_PORT");
  }
  const missingRead = await needRead(
    secretsPath,
    "the service-account directory",
  );
  if (missingRead) return missingRead;
  try {
    await Deno.stat(join(secretsPath, "token"));
  } catch {
    return new Unusable(
      `no service-account token at ${
        join(secretsPath, "token")
      } (is automountServiceAccountToken off?)`,
    );
  }
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${
    port || "443"
  }`;
  const missingNet = await needNet(server, "the in-cluster API server");
  if (missingNet) return missingNet;
  const client = await InClusterRestClient.create({
    secretsPath,
    retry: false,
  });
  return await probe(
    client,
    timeout,
    (err) => `${maskUrl(server)} did not answer: ${errorText(err)}`,
  );
}

async function tryKubeConfig(timeout: number): ReturnType<Probe> {
  const list = await readEnv("KUBECONFIG");
  if (list instanceof Unusable) {
    return new Unusable(list.reason, "--allow-env=KUBECONFIG,HOME");
  }
  let paths: string[];
  if (list) {
    paths = list.split(Deno.build.os === "windows" ? ";" : ":").filter(Boolean);
  } else {
    const home = await readEnv("HOME");
    if (home instanceof Unusable) {
      return new Unusable(home.reason, "--allow-env=KUBECONFIG,HOME");
    }
    if (!home) {
      return new Unusable(
        "neither KUBECONFIG nor HOME is set",
        "set KUBECONFIG",
      );
    }
    paths = [join(join(home, ".kube"), "config")];
  }
  for (const path of paths) {
    const missing = await needRead(path, "the kubeconfig");
    if (missing) return missing;
  }
  const existing: string[] = [];
  for (const path of paths) {
    try {
      await Deno.stat(path);
      existing.push(path);
    } catch {
      // kubectl skips missing files too
    }
  }
  if (existing.length === 0) {
    return new Unusable(
      `no kubeconfig: ${paths.join(", ")} ${
        paths.length > 1 ? "do" : "does"
      } not exist`,
      "set KUBECONFIG or create ~/.kube/config",
    );
  }
  const config = await KubeConfig.getDefaultConfig();
  const ctx = config.fetchContext();
  const server = ctx.cluster.server;
  if (!server) {
    return new Unusable(
      `the cluster of context ${ctx.source.contextName} has no server`,
    );
  }
  const missingNet = await needNet(
    server,
    `the server of context ${ctx.source.contextName}`,
  );
  if (missingNet) return missingNet;
  for (
    const [key, path] of [
      ["certificate authority", ctx.cluster["certificate-authority"]],
      ["client certificate", ctx.user["client-certificate"]],
      ["client key", ctx.user["client-key"]],
      ["token file", ctx.user.tokenFile],
    ] as const
  ) {
    if (!path) continue;
    const missing = await needRead(path, `the ${key}`);
    if (missing) return missing;
  }
  if (
    ctx.user.exec &&
    !await granted({ name: "run", command: ctx.user.exec.command })
  ) {
    return new Unusable(
      `no permission to run the exec credential plugin ${ctx.user.exec.command}`,
      `--allow-run=${ctx.user.exec.command}`,
    );
  }
  // One budget for the CA, the credentials (an exec plugin may hang: it is
  // killed when the budget runs out) and the probe.
  const deadline = AbortSignal.timeout(timeout);
  const serverTls = await ctx.getServerTls();
  try {
    await credentialsFor(ctx).get(deadline);
  } catch (err) {
    if (deadline.aborted && err === deadline.reason) {
      return new Unusable(
        `getting credentials for context ${ctx.source.contextName} took more than ${timeout} ms${
          ctx.user.exec ? " (the exec plugin was stopped)" : ""
        }`,
        undefined,
        err,
      );
    }
    throw err;
  }
  const client = new KubeConfigRestClient(ctx, null, {
    retry: false,
    caCerts: serverTls ? [serverTls.serverCert] : [],
  });
  return await probe(
    client,
    timeout,
    (err) =>
      `context ${ctx.source.contextName} (${maskUrl(server)}) did not answer: ${
        errorText(err)
      }`,
    deadline,
  );
}

async function tryKubectlProxy(
  url: string,
  timeout: number,
): ReturnType<Probe> {
  const missingNet = await needNet(url, "kubectl proxy");
  if (missingNet) return missingNet;
  const client = await KubeConfigRestClient.forKubectlProxy(url);
  return await probe(
    client,
    timeout,
    (err) =>
      /connection refused/i.test(errorText(err))
        ? `nothing is listening at ${
          maskUrl(url)
        } (connection refused); start \`kubectl proxy\` to use it`
        : `${maskUrl(url)} did not answer: ${errorText(err)}`,
  );
}

async function tryKubectlRaw(
  kubectl: string,
  timeout: number,
): ReturnType<Probe> {
  if (!await granted({ name: "run", command: kubectl })) {
    return new Unusable(
      `no permission to run ${kubectl}`,
      `--allow-run=${kubectl}`,
    );
  }
  const client = new KubectlRawRestClient(undefined, { kubectl });
  const probed = await probe(client, timeout, (err) => errorText(err));
  if (!(probed instanceof Unusable)) await client.loadDefaultNamespace();
  return probed;
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // Deno's fetch keeps the reason in `cause`.
  const cause = err.cause instanceof Error ? err.cause.message : "";
  return cause && !err.message.includes(cause)
    ? `${err.message}: ${cause}`
    : err.message;
}
