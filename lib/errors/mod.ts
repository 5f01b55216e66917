/**
 * The one error every transport raises for a non-2xx answer from the
 * Kubernetes API, and the function that builds it from any failed response;
 * the errors of the other layers (kubeconfig, credentials, stream decoding,
 * kubectl) and, re-exported, the {@link TransportError} for requests that
 * got no answer.
 *
 * The code lives in `lib/errors/`: `status.ts` (the `Status` and reason
 * codes), `api_error.ts` (the API error), `api_error_from.ts` (building it
 * from a failed answer), `transport_error.ts`, `kubeconfig_error.ts`,
 * `stream_decode_error.ts`, `kubectl_error.ts` and `path_segment_error.ts`
 * (a name or namespace that cannot be one path segment).
 *
 * Every error class of the library extends (or, for the two that must
 * extend a built-in, is branded as) {@link KubernetesClientError}: one
 * `instanceof` catches anything the library threw, and every class says
 * what kind of failure it is in `reason`. The other layers' errors live
 * here too (`tunnel_error.ts`, `log_error.ts`, `wait_error.ts`,
 * `apply_error.ts`, `metrics_error.ts`, `manifest_error.ts`, `discovery_error.ts`,
 * `unknown_kind_error.ts`, `auto_detect_error.ts`, `testing_error.ts`,
 * `reflector_error.ts`), and
 * are re-exported by the modules that throw them.
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
