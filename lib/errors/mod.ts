/**
 * The library's one error family. Every error class extends (or, for the
 * two that must extend a built-in, is branded as) {@link KubernetesClientError}:
 * one `instanceof` catches anything the library threw, and every class says
 * what kind of failure it is in `reason`. Every class is exported here; the
 * area entry points re-export the ones their helpers throw, and the root the
 * ones almost every script catches.
 *
 * Use it to catch and tell failures apart; to build a {@link KubernetesApiError}
 * from a failed answer of your own (a transport of your own), use
 * {@link apiErrorFromResponse} and its siblings. Deno permissions: none.
 *
 * ```ts
 * import { KubernetesApiError, KubernetesClientError, TransportError } from "@denokube/transport/errors";
 * import type { RestClient } from "@denokube/transport";
 *
 * declare const client: RestClient;
 * try {
 *   await client.performRequest({ method: "GET", path: "/api/v1/namespaces/default/pods/web-0", expectJson: true });
 * } catch (err) {
 *   if (err instanceof KubernetesApiError && err.isNotFound()) console.log("no such pod");
 *   else if (err instanceof TransportError && err.isRetriable()) console.log("try again later");
 *   else if (err instanceof KubernetesClientError) console.log(err.reason, err.message);
 *   else throw err;
 * }
 * ```
 *
 * ## The errors
 *
 * Every non-2xx answer, on every transport and for every overload (JSON, bytes,
 * streams; chunked or not), rejects with **`KubernetesApiError`**. It carries:
 * `httpCode`; `status` — the Kubernetes `Status` (`code`, `reason`, `message`,
 * `details` with `causes`), rebuilt from the HTTP code and a short prefix of the
 * body when the server did not send one; `request` (method and path only, never
 * headers, bodies or credentials); `retryAfterSeconds`; and the predicates
 * `isNotFound`, `isAlreadyExists`, `isConflict`, `isForbidden`, `isUnauthorized`,
 * `isGone`/`isExpired`, `isTooManyRequests`, `isInvalid`, `isBadRequest`,
 * `isServerError`. `httpCode` and `status` are the fields v0.7.3's `HttpError`
 * had.
 *
 * Every error class, all exported from this entry point, extends
 * `KubernetesClientError`: one `instanceof` catches
 * anything the library threw (`PathSegmentError` stays a `TypeError` and
 * `AutoDetectError` an `AggregateError`; they carry a brand), and each says what
 * happened in `reason`:
 *
 * - `KubernetesApiError` — the server answered non-2xx (above)
 * - `TransportError` — the request got no answer, on every transport and
 *   tunnel: `reason` (`kind`, deprecated) is `connection-refused`,
 *   `connection-reset`, `timeout`, `dns`, `tls`, `closed` (the client or its
 *   kubectl proxy), `bad-response` (a body that is not JSON, a broken tunnel
 *   handshake), `invalid-request` (a control character in the path, query or a
 *   header, a `.`/`..` path segment: refused unsent), `kubectl` or `network`;
 *   `request` (method and path, never the query); `cause`; `isRetriable()`,
 *   `isTimeout()`, `isConnectionRefused()`, `isConnectionReset()`,
 *   `isTlsError()`, `isClosed()`
 * - `KubectlError` — a `TransportError` from the kubectl transports: kubectl
 *   failed without an answer from the server (its `exitCode`; `reason` read
 *   from its message)
 * - `KubeConfigError` — file, field: malformed or incomplete kubeconfig,
 *   missing files, bad base64 or PEM, values that cannot be sent in a header
 * - `CredentialError` — a `KubeConfigError`: an exec plugin failed, is missing
 *   or printed no ExecCredential; a stale auth-provider token; a vanished
 *   token file
 * - `StreamDecodeError` — a watch line that is not JSON; only a short prefix
 *   is quoted, since objects may be Secrets
 * - `AutoDetectError` — `autoDetectClient` found no way to reach a server;
 *   every attempt kept
 * - `UnknownKindError` — the server does not serve a kind in the `apiVersion`
 *   asked for, even after discovery was refreshed; names the group-version and
 *   what it serves
 * - `DiscoveryError` — a discovery answer is malformed; names the path and
 *   field
 * - `ManifestError` — a manifest cannot be read; names the file, document
 *   index, line and column, never a value
 * - `PathSegmentError` — a name or namespace that cannot be one path segment
 *   (empty name, `.`, `..`, `/`, `%`), refused before any request in kubectl's
 *   words (`invalid resource name ".": [may not be '.']`); a `TypeError`
 * - `ApplyError` — `apply`/`deleteApplied` failed on one object; names it and
 *   its document, keeps the cause and what was applied before
 * - `WaitError` — `waitFor` cannot succeed: `Timeout` (with what was last
 *   seen) or why the object cannot make it (`ImagePullBackOff`,
 *   `CrashLoopBackOff`, `Unschedulable`, …)
 * - `TunnelError` — a tunnel helper failed (`reason`: `PodNotRunning`,
 *   `PortForwardFailed`, `StdinCloseUnsupported`, …)
 * - `LogError` — a pod log request was refused or the log is gone (`reason`:
 *   `ContainerRequired`, `LogsUnavailable`, …)
 * - `MetricsError` — `podMetrics`/`nodeMetrics`: the cluster serves no
 *   `metrics.k8s.io` (no metrics-server; `reason` `MetricsUnavailable`)
 * - `ReflectorError` — what a Reflector's `onError` is given: the stage that
 *   failed in `reason`, the failure as `cause`
 * - `TestingError` — a test cluster could not be started (`reason`:
 *   `BinariesMissing`, `NotReady`, …)
 *
 * A stream that breaks mid-way errors; it never ends as if complete. An abort
 * rejects (or errors the stream) with the signal's own `reason` — a `TimeoutError`
 * `DOMException` for `AbortSignal.timeout`, or whatever was passed to
 * `abort(reason)` — as `fetch` does, and it ends a body read even after the
 * `Response` object has been garbage-collected (the transport holds the link).
 *
 * **No secret in errors or logs.** Messages are written by this library, never
 * passed on from a third party that may quote its input: YAML errors give line,
 * column and the field path (`users[0].user.password`, keys that are not
 * kubeconfig fields shown as `?`), never js-yaml's text; a parser's error kept as
 * `cause` keeps its class but not its message; values are described
 * (`found a
 * mapping`), not printed; every URL printed goes through one masker that
 * removes the userinfo up to the last `@`. An exec plugin's stderr is never put
 * into an error: as with client-go it goes to your stderr
 * (`credentials: { execStderr:
 * "discard" }` drops it, a function receives it).
 * kubectl relays what plugins print, so `KubectlError` messages and kubectl's log
 * lines have anything token-shaped (after `token:`/`password=`/`Bearer`, JWTs,
 * long base64 or hex runs) replaced by `[redacted]`. `test/unit/secrets_test.ts`
 * puts a marker in every credential field and checks message, stack, causes,
 * `JSON.stringify`, `Deno.inspect`, logs and a verbose subprocess's output.
 *
 * ## Where each class lives
 *
 * The code lives in `lib/errors/`: `kubernetes_client_error.ts` (the base),
 * `status.ts` (the `Status` and reason codes), `api_error.ts`,
 * `api_error_from.ts` (building the API error from a failed answer),
 * `transport_error.ts`, `kubeconfig_error.ts`, `stream_decode_error.ts`,
 * `kubectl_error.ts`, `path_segment_error.ts`, and one file per higher layer's
 * error (`tunnel_error.ts`, `log_error.ts`, `wait_error.ts`, `apply_error.ts`,
 * `manifest_error.ts`, `discovery_error.ts`, `unknown_kind_error.ts`,
 * `auto_detect_error.ts`, `testing_error.ts`, `reflector_error.ts`).
 *
 * @module
 */

export { KubernetesClientError } from "./kubernetes_client_error.ts";
export * from "./transport_error.ts";
export {
  type FailedRequest,
  httpCodeForReason,
  type Status,
  type StatusCause,
  type StatusDetails,
} from "./status.ts";
export { KubernetesApiError } from "./api_error.ts";
export {
  apiErrorFromBody,
  apiErrorFromResponse,
  apiErrorFromStatus,
  parseRetryAfter,
} from "./api_error_from.ts";
export {
  CredentialError,
  KubeConfigError,
  type KubeConfigErrorReason,
  type KubeConfigLocation,
} from "./kubeconfig_error.ts";
export {
  StreamDecodeError,
  type StreamDecodeErrorReason,
} from "./stream_decode_error.ts";
export { KubectlError } from "./kubectl_error.ts";
export {
  PathSegmentError,
  type PathSegmentErrorReason,
  type PathSegmentField,
} from "./path_segment_error.ts";
export {
  TunnelError,
  type TunnelErrorReason,
  type TunnelTarget,
} from "./tunnel_error.ts";
export { LogError, type LogErrorReason, type LogTarget } from "./log_error.ts";
export { MetricsError, type MetricsErrorReason } from "./metrics_error.ts";
export {
  type WaitCondition,
  WaitError,
  type WaitFailure,
} from "./wait_error.ts";
export {
  type AppliedObject,
  ApplyError,
  type ApplyErrorReason,
} from "./apply_error.ts";
export {
  AppliedSetError,
  type AppliedSetErrorReason,
  type AppliedSetParentRef,
} from "./applied_set_error.ts";
export {
  ManifestError,
  type ManifestErrorReason,
  type ManifestSource,
} from "./manifest_error.ts";
export { DiscoveryError } from "./discovery_error.ts";
export {
  UnknownKindError,
  type UnknownKindErrorReason,
} from "./unknown_kind_error.ts";
export {
  type AutoDetectAttempt,
  AutoDetectError,
  type AutoDetectErrorReason,
  type AutoDetectSource,
} from "./auto_detect_error.ts";
export { TestingError, type TestingErrorReason } from "./testing_error.ts";
export {
  ReflectorError,
  type ReflectorErrorReason,
} from "./reflector_error.ts";
