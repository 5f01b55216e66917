// The error of a kind the server does not serve.

import { KubernetesClientError } from "./kubernetes_client_error.ts";

/**
 * What the server does not serve: the `apiVersion`'s group, its version, or
 * the kind in a version it serves.
 */
export type UnknownKindErrorReason =
  | "GroupNotServed"
  | "VersionNotServed"
  | "KindNotServed";

/**
 * The server does not serve a kind in the `apiVersion` asked for, even
 * after discovery was refreshed.
 */
export class UnknownKindError extends KubernetesClientError {
  /** Whether the group, the version or only the kind is missing. */
  readonly reason: UnknownKindErrorReason;
  /** The `apiVersion` looked at. */
  readonly apiVersion: string;
  /** The kind looked for. */
  readonly kind: string;
  /** The versions the group serves (empty when the group is not served at all). */
  readonly servedVersions: string[];

  /**
   * Builds the error, naming the `apiVersion` and kind.
   *
   * @param apiVersion The `apiVersion` looked at.
   * @param kind The kind looked for.
   * @param detail What the server serves instead.
   * @param servedVersions The versions the group serves.
   */
  constructor(
    apiVersion: string,
    kind: string,
    detail: string,
    servedVersions: string[] = [],
  ) {
    super(
      `no kind ${JSON.stringify(kind)} in apiVersion ${
        JSON.stringify(apiVersion)
      }: ${detail}`,
    );
    this.name = "UnknownKindError";
    this.apiVersion = apiVersion;
    this.kind = kind;
    this.servedVersions = servedVersions;
    const version = apiVersion.slice(apiVersion.indexOf("/") + 1);
    this.reason = servedVersions.length === 0
      ? "GroupNotServed"
      : servedVersions.includes(version)
      ? "KindNotServed"
      : "VersionNotServed";
  }
}
