// One resolved context: the context entry with the cluster and user it
// names, and where each came from. It holds data; the auth layer
// (lib/auth/credentials.ts) turns it into credentials.

import type { ClusterConfig, ContextConfig, UserConfig } from "./types.ts";
import { readPemValue } from "./pem.ts";

/** Names and files behind a {@link KubeConfigContext}, for error messages. */
export interface KubeConfigContextSource {
  /** The context's name. */
  contextName?: string;
  /** The cluster entry's name. */
  clusterName?: string;
  /** The user entry's name. */
  userName?: string;
  /** The file that defined the cluster. */
  clusterFile?: string;
  /** The file that defined the user. */
  userFile?: string;
  /** Credential caching knobs. */
  credentials?: CredentialsOptions;
}

/**
 * How a context's credentials are produced and cached (read by the auth
 * layer, lib/auth/credentials.ts; the config only carries them).
 */
export interface CredentialsOptions {
  /** The clock, in milliseconds since the epoch. @default {Date.now} */
  now?: () => number;
  /** How long a `tokenFile`'s content is reused before re-reading (client-go's figure). @default {60000} */
  tokenFileCacheMs?: number;
  /** How long before an exec credential's `expirationTimestamp` it is replaced. @default {10000} */
  execExpiryMarginMs?: number;
  /** Whether stdin is a terminal, for exec plugins' `interactiveMode`. @default {Deno.stdin.isTerminal()} */
  isTerminal?: () => boolean;
  /**
   * Where an exec plugin's stderr goes. As with client-go it is shown on
   * this process's stderr and never put into an error, since plugins may
   * print secrets there; `"discard"` drops it, and a function receives it
   * (an explicit opt-in to handle it yourself).
   * @default {"inherit"}
   */
  execStderr?: "inherit" | "discard" | ((text: string) => void);
}

/**
 * One resolved context: its cluster, its user and its namespace. It holds
 * data; credentials are produced by the auth layer
 * (`credentialsFor(context)` in lib/auth/credentials.ts), which the transports use.
 */
export class KubeConfigContext {
  /**
   * A resolved context: the context with the cluster and user it names.
   *
   * @param context The context entry.
   * @param cluster The cluster entry it names.
   * @param user The user entry it names (empty for none).
   * @param source Names and files, for error messages.
   */
  constructor(
    public readonly context: ContextConfig,
    public readonly cluster: ClusterConfig,
    public readonly user: UserConfig,
    public readonly source: KubeConfigContextSource = {},
  ) {}

  /** The context's namespace, or `null` when it sets none. */
  get defaultNamespace(): string | null {
    return this.context.namespace ?? null;
  }

  /**
   * The field path of a cluster key, for errors: `clusters["prod"].cluster.server`.
   * @param key The key.
   * @returns The field path.
   */
  clusterField(key: string): string {
    return `clusters["${this.source.clusterName ?? ""}"].cluster.${key}`;
  }

  /**
   * The field path of a user key, for errors: `users["ops"].user.token`.
   * @param key The key.
   * @returns The field path.
   */
  userField(key: string): string {
    return `users["${this.source.userName ?? ""}"].user.${key}`;
  }

  /**
   * The CA bundle to trust, from `certificate-authority-data` or the
   * `certificate-authority` file.
   *
   * @returns The PEM text, or `null` to use the system roots.
   * @throws {KubeConfigError} When the file is missing or the data is not PEM.
   */
  async getServerTls(): Promise<{ serverCert: string } | null> {
    const serverCert = await this.readPem(
      "cluster",
      "certificate-authority-data",
      "certificate-authority",
    );
    return serverCert ? { serverCert } : null;
  }

  /**
   * The client certificate and key, from the kubeconfig or an exec plugin.
   *
   * @returns The PEM pair, or `null` when the user has none.
   * @throws {KubeConfigError} When only one half is given, a file is missing, or the data is not PEM.
   */
  async getClientTls(): Promise<{ userKey: string; userCert: string } | null> {
    const state = await (await authFor(this)).get();
    return state.clientCert
      ? { userCert: state.clientCert.cert, userKey: state.clientCert.key }
      : null;
  }

  /**
   * The `Authorization` header value, from a token, token file, basic auth,
   * exec plugin or auth-provider.
   *
   * @returns The header value, or `null` when the user has none.
   * @throws {KubeConfigError} When the credential cannot be obtained.
   */
  async getAuthHeader(): Promise<string | null> {
    return (await (await authFor(this)).get()).authorization ?? null;
  }

  /**
   * Reads a PEM value given either inline (base64) or as a file path.
   *
   * @param entry Which entry the keys belong to.
   * @param dataKey The base64 key, such as `client-key-data`.
   * @param fileKey The path key, such as `client-key`.
   * @returns The PEM text, or `null` when neither is set.
   * @throws {KubeConfigError} When the file cannot be read or does not hold PEM.
   */
  async readPem(
    entry: "cluster" | "user",
    dataKey: string,
    fileKey: string,
  ): Promise<string | null> {
    return await readPemValue(
      {
        obj: (entry === "cluster" ? this.cluster : this.user) as Record<
          string,
          unknown
        >,
        file: entry === "cluster"
          ? this.source.clusterFile
          : this.source.userFile,
        field: (k) =>
          entry === "cluster" ? this.clusterField(k) : this.userField(k),
      },
      dataKey,
      fileKey,
    );
  }
}

/**
 * The auth layer's credentials for a context, for the two v0.7.3 methods
 * above: loaded lazily, so the config layer has no static import of the
 * layer above it.
 */
async function authFor(
  ctx: KubeConfigContext,
): Promise<{ get(): Promise<import("../auth/credentials.ts").AuthState> }> {
  const { credentialsFor } = await import("../auth/credentials.ts");
  return credentialsFor(ctx);
}
