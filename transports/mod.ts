/**
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
