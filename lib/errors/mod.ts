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
 * @module
 */

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
  type KubeConfigLocation,
} from "./kubeconfig_error.ts";
export { StreamDecodeError } from "./stream_decode_error.ts";
export { KubectlError } from "./kubectl_error.ts";
export {
  PathSegmentError,
  type PathSegmentField,
} from "./path_segment_error.ts";
