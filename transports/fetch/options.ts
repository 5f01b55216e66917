// The options of KubeConfigRestClient (re-exported by transports/kubeconfig.ts).

import type { CredentialsOptions } from "../../lib/auth/credentials.ts";
import type { RetryOptions } from "./_retry.ts";
import type { RateLimitOptions } from "../../lib/_internal/token_bucket.ts";

/** Options for {@link KubeConfigRestClient}. */
export interface KubeConfigRestClientOptions {
  /**
   * Retry requests the server throttled with a `Retry-After` header,
   * waiting as it asks: a 429 (priority and fairness rejects before the
   * request runs) for any method whose body can be sent again, a 503 for
   * idempotent ones (GET, HEAD, OPTIONS, PUT, DELETE). `false` turns
   * retries off.
   * @default {{ maxRetries: 3, maxDelaySeconds: 30 }}
   */
  retry?: RetryOptions | false;
  /**
   * Client-side rate limiting, as client-go's `QPS` and `Burst`: a token
   * bucket per client, taken before every request and every retry, by every
   * helper using the client (watches, tunnels and retries included).
   * Requests wait their turn in call order; an abort ends the wait.
   * @default {none: the server's priority and fairness (429 with Retry-After, retried) is the only limit}
   */
  rateLimit?: RateLimitOptions;
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
}
