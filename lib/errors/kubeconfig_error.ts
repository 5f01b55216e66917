// The kubeconfig layer's error, and the auth layer's, which extends it.

import { KubernetesClientError } from "./kubernetes_client_error.ts";

/**
 * Why a kubeconfig could not be used.
 *
 * - `InvalidKubeConfig`: unreadable, malformed, of the wrong kind, naming
 *   something it does not define, or pointing at missing files.
 * - `CredentialUnavailable`: the credentials it names could not be obtained
 *   (a {@link CredentialError}).
 */
export type KubeConfigErrorReason =
  | "InvalidKubeConfig"
  | "CredentialUnavailable";

/** Where in a kubeconfig a problem lies. */
export interface KubeConfigLocation {
  /** The kubeconfig file (or files, joined with the path-list separator). */
  file?: string;
  /** The field, such as `users["ops"].user.client-key-data`. */
  field?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A kubeconfig that cannot be used: unreadable, malformed, of the wrong kind,
 * naming something it does not define, or pointing at files that are missing.
 * The message names the file and the field, never a secret's value.
 *
 * @example
 * ```ts
 * import { KubeConfigError } from "@denokube/transport/errors";
 * import { KubeConfig } from "@denokube/transport/kubeconfig";
 *
 * try {
 *   await KubeConfig.readFromPath("./kubeconfig.yaml");
 * } catch (err) {
 *   if (err instanceof KubeConfigError) console.error(err.file, err.field, err.message);
 * }
 * ```
 */
export class KubeConfigError extends KubernetesClientError {
  /** What kind of failure this is. */
  readonly reason: KubeConfigErrorReason = "InvalidKubeConfig";
  /** The kubeconfig file(s) at fault, if known. */
  readonly file: string | undefined;
  /** The field at fault, if known. */
  readonly field: string | undefined;

  /**
   * Builds the error; the message starts with the file and field.
   *
   * @param detail What is wrong, without the location (it is prefixed).
   * @param where The file, field and cause.
   */
  constructor(detail: string, where: KubeConfigLocation = {}) {
    const prefix = [
      where.file ? `KubeConfig ${where.file}` : "KubeConfig",
      where.field,
    ].filter(Boolean).join(": ");
    super(
      `${prefix}: ${detail}`,
      where.cause === undefined ? undefined : { cause: where.cause },
    );
    this.name = "KubeConfigError";
    this.file = where.file;
    this.field = where.field;
  }
}

/**
 * Credentials named by a kubeconfig could not be obtained: an exec plugin
 * failed, is not installed or printed no ExecCredential; an auth-provider
 * token expired; a token file vanished.
 */
export class CredentialError extends KubeConfigError {
  /** Always `CredentialUnavailable`. */
  override readonly reason: KubeConfigErrorReason;
  /**
   * Builds the error; the message starts with the file and field.
   *
   * @param detail What went wrong, without the location.
   * @param where The file, field and cause.
   */
  constructor(detail: string, where: KubeConfigLocation = {}) {
    super(detail, where);
    this.name = "CredentialError";
    this.reason = "CredentialUnavailable";
  }
}
