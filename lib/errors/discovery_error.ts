// The error of a discovery answer that is not what the discovery API describes.

import { KubernetesClientError } from "./kubernetes_client_error.ts";

/** Discovery's answer was not what the discovery API describes. */
export class DiscoveryError extends KubernetesClientError {
  /** Always `MalformedDiscovery`. */
  readonly reason: "MalformedDiscovery" = "MalformedDiscovery";
  /** The discovery path whose answer was malformed. */
  readonly path: string;

  /**
   * Builds the error, naming the path.
   *
   * @param path The discovery path, such as `/apis/apps/v1`.
   * @param detail What was expected and what was found.
   * @param cause The underlying error, if any.
   */
  constructor(path: string, detail: string, cause?: unknown) {
    super(
      `discovery ${path}: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "DiscoveryError";
    this.path = path;
  }
}
