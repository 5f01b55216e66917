/**
 * The clients that implement the {@link RestClient} contract, on one request
 * base, and {@link autoDetectClient}, which picks among them: use
 * `autoDetectClient()` for a script that should work in a pod, on a laptop and
 * in CI; pick a transport yourself to control trust, credentials and flags.
 * Every factory returns a client you can `close()` or hold with `using` /
 * `await using`.
 *
 * ## Getting a client
 *
 * ```ts
 * import { autoDetectClient } from "@denokube/transport/transports";
 *
 * const client = await autoDetectClient(); // in a pod, on a laptop, in CI
 * ```
 *
 * `autoDetectClient(options?)` tries, in order (configurable with `sources`):
 * **InCluster** (the pod's service account), **KubeConfig** (`$KUBECONFIG` or
 * `~/.kube/config`), **KubectlProxy** (a `kubectl proxy` on
 * `http://localhost:8001`) and **KubectlRaw** (your `kubectl`). Each candidate is
 * probed with `GET /api`, which must answer `APIVersions` within 3 s
 * (`probeTimeoutMs`); for KubeConfig the budget also covers getting the
 * credentials, and an exec plugin still running when it ends is killed. It never
 * triggers a permission prompt: every permission is checked with
 * `Deno.permissions.query` first, and a missing one is reported as the flag that
 * would grant it. When nothing works, one `AutoDetectError` lists every source
 * with its reason and fix, and keeps each cause in `attempts` (and `errors`, as an
 * `AggregateError`):
 *
 * ```text
 * autoDetectClient: no way to reach a Kubernetes API server was found:
 *   - InCluster: no permission to read KUBERNETES_SERVICE_HOST (fix: --allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT)
 *   - KubeConfig: no permission to read KUBECONFIG (fix: --allow-env=KUBECONFIG,HOME)
 *   - KubectlProxy: no permission to connect to localhost:8001 (kubectl proxy) (fix: --allow-net=localhost:8001)
 *   - KubectlRaw: no permission to run kubectl (fix: --allow-run=kubectl)
 * ```
 *
 * With `log: true` (or `KUBE_TRANSPORT_VERBOSE=1`, when env permission for it is
 * granted) it says which source won and why the earlier ones did not.
 *
 * ## Requests
 *
 * ```ts
 * import { KubeConfigRestClient } from "@denokube/transport/transports";
 * import { KubernetesApiError } from "@denokube/transport/errors";
 *
 * using client = await KubeConfigRestClient.readKubeConfig(); // current context
 * const pods = await client.performRequest({
 *   method: "GET",
 *   path: `/api/v1/namespaces/${client.defaultNamespace}/pods`,
 *   querystring: new URLSearchParams({ limit: "100" }),
 *   expectJson: true,
 * });
 *
 * try {
 *   await client.performRequest({
 *     method: "DELETE",
 *     path: "/api/v1/namespaces/default/pods/gone",
 *   });
 * } catch (err) {
 *   if (!(err instanceof KubernetesApiError && err.isNotFound())) throw err;
 * }
 * ```
 *
 * `performRequest` overloads (unchanged from kubernetes_client v0.7.3):
 * `expectJson` → `JSONValue`; `expectStream` → `ReadableStream<Uint8Array>`;
 * `expectStream` + `expectJson` → `ReadableStream<JSONValue>` (one value per line:
 * watches); `expectTunnel` → `KubernetesTunnel`; otherwise `Uint8Array`. Bodies:
 * `bodyJson`, `bodyRaw`, `bodyStream`, with `contentType`; `accept`; `querystring`
 * (merged with a `?` already in `path`); `abortSignal` (before the request, during
 * it, and while streaming).
 *
 * ## Transports and the Deno flags they need
 *
 * - `KubeConfigRestClient` — how: `fetch` with the kubeconfig's CA (and only
 *   it), client certificates and tokens through one `Deno.createHttpClient`;
 *   flags: `--allow-net`; `--allow-read` for the kubeconfig and the files it
 *   names; `--allow-env=KUBECONFIG,HOME` for the default kubeconfig;
 *   `--allow-run=<plugin>` for exec plugins; for requests that trust only the
 *   kubeconfig's CA, `--allow-read` and `--allow-write` for the temp dir and
 *   unrestricted `--allow-net` (see "Trust is kubectl's" below)
 * - `InClusterRestClient.create()` (also
 *   `KubeConfigRestClient.forInCluster()`) — how: the pod's service account:
 *   server from `KUBERNETES_SERVICE_HOST`/`_PORT` (IPv6 bracketed;
 *   `https://kubernetes.default.svc` only when unset), CA and namespace from
 *   the mounted files, the token re-read at most every minute so rotated
 *   tokens are used; flags:
 *   `--allow-read=/var/run/secrets/kubernetes.io/serviceaccount
 *   --allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT --allow-net`
 * - `KubeConfigRestClient.forKubectlProxy(url?)` — how: a `kubectl proxy` you
 *   run (default `http://localhost:8001`); flags: `--allow-net=localhost:8001`
 * - `KubectlProxyRestClient.start(options?)` — how: starts and owns `kubectl
 *   proxy --unix-socket` in a private (0700) directory and talks to it through
 *   `createHttpClient`'s `unix` proxy: any auth kubectl supports, at fetch
 *   speed, no TCP port other local users could reach. Stopped by `close()` /
 *   `await using`, or at program exit; a proxy that dies is reported on the
 *   next request; flags: `--allow-run=kubectl`; `--allow-read` and
 *   `--allow-write` for the socket directory (the temp dir, or `socketPath`);
 *   `--allow-net=unix:<socket>,localhost:80`
 * - `KubectlRawRestClient` — how: runs your `kubectl` for every request, so
 *   every auth plugin kubectl has works; flags: `--allow-run=kubectl` (nothing
 *   else: kubectl reads the kubeconfig)
 *
 * ## How long the `kubectl proxy` lives
 *
 * The proxy holds your credentials, so `KubectlProxyRestClient` ties its life to
 * the program's: `close()` / `await using` stops it and removes its socket
 * directory; a program that ends without `close()` — normally, or by an uncaught
 * exception or unhandled rejection — stops it and removes the directory on the way
 * out (`unload`, `error` and `unhandledrejection` listeners; a handler that calls
 * `preventDefault()` keeps it). On Linux, when `setpriv` may be run
 * (`--allow-run=kubectl,/usr/bin/setpriv`, `--allow-read=/usr/bin/setpriv`), the
 * proxy is started under `setpriv --pdeathsig TERM`, so the kernel stops it
 * whenever the program dies, SIGTERM and SIGKILL included. The one case nothing
 * can cover: a program killed by a signal runs no code of its own, so the socket
 * directory (empty but for the dead socket, no credentials) stays in the temp dir;
 * and without `setpriv` (macOS, Windows, or no permission for it), a proxy whose
 * program is killed by a signal keeps running until you stop it.
 *
 * ## What `KubeConfigRestClient` understands
 *
 * It aims to behave like kubectl on every kubeconfig. Loading, validation and
 * credentials are described in the kubeconfig entry point
 * (`@denokube/transport/kubeconfig`); on top of them:
 *
 * - **TLS**: `certificate-authority(-data)`; servers given by IP address;
 *   `tls-server-name`; `proxy-url` (`http`, `https`, `socks5` through
 *   `createHttpClient`'s proxy). **`insecure-skip-tls-verify` is never silent**:
 *   Deno cannot skip verification for one client, so the client warns on stderr
 *   and, when verification fails, the error names the flag that would skip it,
 *   `--unsafely-ignore-certificate-errors=<host>`.
 * - **Trust is kubectl's: only the configured CA.** When the cluster names a
 *   `certificate-authority(-data)` (or you pass `caCerts`), the API server's
 *   certificate must chain to that CA alone, and carry the server's name
 *   (`tls-server-name` if set, else the URL's host name or IP address). Deno's own
 *   TLS cannot do this — `Deno.createHttpClient`, `Deno.connectTls` and
 *   `Deno.startTls` add `caCerts` to the root store (Mozilla's roots, or the
 *   system's with `DENO_TLS_CA_STORE=system`, plus `DENO_CERT` / `--cert`), and no
 *   Deno API shows the peer's certificate — so the client uses `node:tls`, whose
 *   `ca` replaces the roots:
 *   - **Tunnels** (exec, attach, port-forward) dial with `node:tls` directly (only
 *     the configured CA, client certificate, server name, ALPN `http/1.1`).
 *   - **Requests** go from `fetch` over plain HTTP on a Unix socket in a fresh
 *     private directory (mode 0700, under the system temp dir, removed by
 *     `close()` or when the program ends) to an in-process forwarder that opens a
 *     `node:tls` connection per socket and relays bytes once the server's
 *     certificate is verified; HTTP/2 when the server offers it (the apiserver
 *     does), else HTTP/1.1. No TCP port carries anything in clear, and no request
 *     byte leaves the process before verification. This needs `--allow-read` and
 *     `--allow-write` for the temp directory and an unrestricted `--allow-net`
 *     (Deno asks net permission for a Unix socket by its exact path, and this
 *     one's name is random); the client queries them, never prompts. The cost,
 *     measured against the real apiserver on a busy 2-core machine (interleaved
 *     runs, medians): a small GET takes about 0.13 ms (6–11 %) longer, 64
 *     concurrent GETs and a 500-item list at most about 10 % (see test/bench/README.md).
 *     Requests name the server in absolute form (`GET http://host:port/path` over
 *     the TLS connection, `:scheme http` in HTTP/2), which the apiserver accepts;
 *     a front proxy that insists on `https` there needs the opt-out below.
 *   - **Streamed GETs** (watches, followed logs: `expectStream` on a GET) go over
 *     a connection of their own, dialled like a tunnel (strict `node:tls` with a
 *     CA, else Deno's TLS or plain TCP), speaking HTTP/1.1 with
 *     `accept-encoding: identity`. fetch hands a body over one HTTP chunk per
 *     read, and the apiserver flushes one chunk per watch event; a socket read
 *     takes everything that has arrived — tens of events at a time when the client
 *     is the slower side — straight into the line buffer, where the chunk framing
 *     is removed in place. Status, 401 refresh, 429/503 retries and error mapping
 *     are the same as for fetch. Where fetch would take a proxy (a `proxy-url`, or
 *     `HTTP(S)_PROXY`/`ALL_PROXY` in the environment, or no env permission to
 *     tell), with an `httpClient` of your own, or where Deno's TLS would need a
 *     `tls-server-name` and a client certificate together, streamed GETs stay on
 *     fetch.
 *   - A certificate that does not chain to the configured CA, or that names
 *     another host, fails the request or tunnel with a `TransportError` of kind
 *     `tls` naming the request, before any credential is sent.
 *   - **Where the risk remains**, requests use Deno's TLS, where any CA of its
 *     root store can vouch for the API server, and the client says so once per
 *     process on stderr, naming the reason: without those permissions (the warning
 *     lists the flags to add), with a `proxy-url`, with an `httpClient` of your
 *     own, on Windows, and with `requestTrust: "ca-and-roots"` (the explicit
 *     opt-out, for Deno's own TLS). `requestTrust: "ca-only"` demands strict trust
 *     instead: where it cannot be had, requests fail with a `TransportError`
 *     (`invalid-request`) saying why. Tunnels trust only the configured CA in
 *     every case. Without a configured CA, Deno's root store is the trust, as the
 *     system roots are for kubectl.
 * - **Impersonation**: `as`, `as-uid`, `as-groups`, `as-user-extra` →
 *   `Impersonate-*` headers.
 * - **Throttling**: a 429 with `Retry-After` (any method: priority and fairness
 *   rejects before the request runs) and a 503 with `Retry-After` (idempotent
 *   requests only) are retried up to 3 times, waiting as asked (capped at 30 s);
 *   `{ retry: false }` turns this off. `{ rateLimit: { qps, burst } }` (also on
 *   `KubectlRawRestClient`) is client-go's client-side token bucket, opt-in, per
 *   client and shared by every helper using it.
 * - **Logging** is opt-in: the `log` option (`true` or a function), or
 *   `KUBE_TRANSPORT_VERBOSE=1` when env permission for it is granted (never
 *   prompted for). One line per request — method, path, status, duration — never
 *   credentials.
 *
 * Not supported: `tls-server-name` together with `proxy-url`; refreshing oidc
 * tokens (use an exec plugin such as kubelogin). Neither forwarder (the strict TLS
 * one, nor the loopback CONNECT forwarder that gives Deno's fetch a
 * `tls-server-name` under `requestTrust: "ca-and-roots"`) keeps a program alive: a
 * client that is not closed lets it end.
 *
 * ## What `KubectlRawRestClient` does
 *
 * `new KubectlRawRestClient(contextName?, { kubeconfig?, kubectl?, log? })` passes
 * the same behavioural test table as the fetch transport
 * (`test/integration/transports/transport_parity_test.ts`: CRUD, paginated lists
 * with label selectors, the three patch types, server-side apply, replace,
 * watches, 404/409/403/422, abort).
 *
 * - GET (also watches and logs, streamed) — `kubectl get --raw=PATH`
 * - POST / PUT / DELETE — `kubectl create|replace|delete --raw=PATH -f -`,
 *   body on stdin
 * - PATCH (JSON, merge, strategic merge) — `kubectl patch RESOURCE NAME
 *   --type=… --patch-file=/dev/stdin`, with `--namespace`,
 *   `--subresource=status|scale`, and `fieldManager`, `dryRun=All`,
 *   `fieldValidation` as flags
 * - PATCH `application/apply-patch+yaml` — `kubectl apply --server-side -f -`,
 *   with `fieldManager` and `force=true` → `--force-conflicts`
 * - `expectTunnel` on `…/pods/NAME/exec` — `kubectl exec`, presented as
 *   channels stdin (0), stdout (1), stderr (2) and status (3: a Status with
 *   the exit code in `details.causes`); no TTY
 *
 * Requests kubectl cannot express (HEAD, OPTIONS, patches of collections or of
 * other subresources, query parameters kubectl has no flag for) fail at once with
 * a `KubectlError` naming the request. Nothing in a request can become a kubectl
 * flag: paths are checked (they start with `/`, no spaces, control or non-ASCII
 * characters) and passed as `--raw=PATH`; names go after `--`. Patch bodies go
 * through stdin, never the command line.
 *
 * kubectl runs with `-v=6`, which logs each HTTP status and the server's Status
 * JSON on stderr; from those (or from `Error from server (Reason): …` and
 * `The Kind "name" is invalid: …`, rebuilt with `details.causes`) every answer
 * becomes the same `KubernetesApiError` the fetch transport raises. A kubectl that
 * fails without an answer (unreachable server, bad kubeconfig) raises a
 * `KubectlError` with its message and exit code — never just "exit code 1" — and
 * with anything token-shaped redacted, since kubectl relays what credential
 * plugins print. stderr reaches your terminal only with `log: true` (redacted the
 * same way). A stream resolves once the server has answered 2xx — kubectl's status
 * line in either form it has used (`GET … 200 OK in 3 milliseconds` up to 1.32,
 * `"Response" … status="200 OK"` from 1.33), or else its first byte of body — and
 * errors if kubectl dies later; a status line in a form we do not read, with no
 * body after it, fails at once with a `KubectlError` (`bad-response`) naming
 * kubectl's version. `abortSignal` and cancelling the stream kill kubectl. Tested
 * with kubectl 1.20, 1.32 and 1.36; a kubectl before 1.24 cannot patch `status` or
 * `scale` (no `--subresource`), which is refused naming it. `defaultNamespace`
 * comes from `kubectl config view --minify -o json`, read once, asynchronously:
 * `await KubectlRawRestClient.create(contextName?, options?)` reads it before
 * returning; `new KubectlRawRestClient(…)` (kept for v0.7.3 code, deprecated) does no I/O and
 * leaves `defaultNamespace` undefined until `await client.loadDefaultNamespace()`
 * (generated code then falls back to `default`).
 *
 * @module
 */

export {
  KubeConfigRestClient,
  type KubeConfigRestClientOptions,
  type RateLimitOptions,
  type RetryOptions,
  VERBOSE_ENV,
} from "./kubeconfig.ts";
export {
  KubectlRawRestClient,
  type KubectlRawRestClientOptions,
} from "./kubectl_raw.ts";
export {
  type KubectlProxyOptions,
  KubectlProxyRestClient,
} from "./kubectl_proxy.ts";
export { type InClusterOptions, InClusterRestClient } from "./in_cluster.ts";
export {
  type AutoDetectAttempt,
  autoDetectClient,
  AutoDetectError,
  type AutoDetectErrorReason,
  type AutoDetectOptions,
  type AutoDetectSource,
} from "./auto_detect.ts";
export {
  KubectlError,
  TransportError,
  type TransportErrorOptions,
  type TransportFailure,
  type TransportRequest,
} from "../lib/errors/mod.ts";
