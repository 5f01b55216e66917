/**
 * Loading kubeconfig files the way kubectl does: `$KUBECONFIG` lists merged
 * first-wins, paths resolved against the file that defined them, every field
 * type-checked with errors that name the file and the field.
 *
 * @module
 */

import { KubeConfigError } from "./errors.ts";
import {
  MAX_KUBECONFIG_CHARS,
  parseKubeConfigYaml,
} from "./_kubeconfig_yaml.ts";
import {
  dirname,
  hasPathSeparator,
  isAbsolute,
  join,
  resolveAgainst,
} from "./_path.ts";
import { maskUrl, showValue, typeName } from "./_redact.ts";
import { type PemKind, pemProblem } from "./_pem.ts";
import { headerValueProblem } from "./_header_value.ts";
import { kubeConfigPaths } from "./_kubeconfig_paths.ts";

/** A kubeconfig document (`kind: Config`, `apiVersion: v1`). */
export interface RawKubeConfig {
  /** Always `v1`. */
  "apiVersion": "v1";
  /** Always `Config`. */
  "kind": "Config";
  /** Named contexts: a cluster, a user and a namespace. */
  "contexts"?: { name: string; context: ContextConfig }[];
  /** Named clusters: where the API server is and how to trust it. */
  "clusters"?: { name: string; cluster: ClusterConfig }[];
  /** Named users: how to authenticate. */
  "users"?: { name: string; user: UserConfig }[];
  /** The context used when none is named. */
  "current-context"?: string;
  /** kubectl preferences (unused here, kept when merging). */
  "preferences"?: {
    "colors"?: boolean;
    "extensions"?: Array<NamedExtension>;
  };
}

/** A context: which cluster, which user, which namespace. */
export interface ContextConfig {
  /** Name of the cluster entry. */
  "cluster"?: string;
  /** Name of the user entry. */
  "user"?: string;
  /** Default namespace for namespaced requests. */
  "namespace"?: string;
  /** Extensions (unused). */
  "extensions"?: Array<NamedExtension>;
}

/** A cluster: the API server's address and how to verify it. */
export interface ClusterConfig {
  /** The API server URL, such as `https://10.0.0.1:6443`. */
  "server"?: string;
  /** Name to verify the server certificate against, when it differs from the URL's host. */
  "tls-server-name"?: string;
  /** Skip certificate verification. Deno cannot do this per client: see README. */
  "insecure-skip-tls-verify"?: boolean;
  /** Proxy for every request: `http://`, `https://` or `socks5://`. */
  "proxy-url"?: string;
  /** Ask the server not to compress responses. */
  "disable-compression"?: boolean;
  /** Path of the CA bundle; relative paths are relative to the kubeconfig file. */
  "certificate-authority"?: string;
  /** Base64 of the CA bundle (PEM). */
  "certificate-authority-data"?: string;
  /** Extensions; `client.authentication.k8s.io/exec` is passed to exec plugins. */
  "extensions"?: Array<NamedExtension>;
}

/** A user: how to authenticate. */
export interface UserConfig {
  /** A static bearer token. */
  "token"?: string;
  /** Path of a file holding a bearer token; re-read at most once a minute. */
  "tokenFile"?: string;
  /** Basic-auth user name. */
  "username"?: string;
  /** Basic-auth password. */
  "password"?: string;
  /** Path of the client key (PEM). */
  "client-key"?: string;
  /** Base64 of the client key (PEM). */
  "client-key-data"?: string;
  /** Path of the client certificate (PEM). */
  "client-certificate"?: string;
  /** Base64 of the client certificate (PEM). */
  "client-certificate-data"?: string;
  /** User to impersonate (`Impersonate-User`). */
  "as"?: string;
  /** UID to impersonate (`Impersonate-Uid`). */
  "as-uid"?: string;
  /** Groups to impersonate (`Impersonate-Group`). */
  "as-groups"?: string[];
  /** Extra fields to impersonate (`Impersonate-Extra-*`). */
  "as-user-extra"?: Record<string, string[]>;
  /** @deprecated Removed in Kubernetes 1.26 in favour of `exec`; cached tokens are still used while fresh. */
  "auth-provider"?: { name: string; config: UserAuthProviderConfig };
  /** A credential plugin to run. */
  "exec"?: UserExecConfig;
  /** Extensions (unused). */
  "extensions"?: Array<NamedExtension>;
}

/** @deprecated Legacy auth-provider settings (gcp, oidc). */
export interface UserAuthProviderConfig {
  /** gcp: cached access token. */
  "access-token"?: string;
  /** gcp: when the access token expires. */
  "expiry"?: string;
  /** oidc: cached ID token (a JWT; its `exp` claim is checked). */
  "id-token"?: string;
  /** Other provider-specific keys. */
  [key: string]: string | undefined;
}

/** An exec credential plugin (`client.authentication.k8s.io`). */
export interface UserExecConfig {
  /** The ExecCredential version the plugin speaks. */
  "apiVersion":
    | "client.authentication.k8s.io/v1alpha1"
    | "client.authentication.k8s.io/v1beta1"
    | "client.authentication.k8s.io/v1";
  /** The program; a path with a separator is relative to the kubeconfig file. */
  "command": string;
  /** Arguments. */
  "args"?: string[];
  /** Extra environment variables. */
  "env"?: Array<{ "name": string; "value": string }>;
  /** Shown when the command is not installed. */
  "installHint"?: string;
  /** Pass the cluster's details in `KUBERNETES_EXEC_INFO`. */
  "provideClusterInfo"?: boolean;
  /** Whether the plugin may use stdin. Required for v1. @default {"IfAvailable"} */
  "interactiveMode"?: "Never" | "IfAvailable" | "Always";
}

/** A named extension. */
export interface NamedExtension {
  /** The extension's name. */
  "name": string;
  /** Its content. */
  "extension"?: unknown;
}

/** The cluster extension whose content is passed to exec plugins as `spec.cluster.config`. */
export const ExecAuthExtensionName = "client.authentication.k8s.io/exec";

/** Where each named entry of a (possibly merged) kubeconfig came from. */
export interface KubeConfigOrigins {
  /** Files in merge order. */
  files: string[];
  /** `context/NAME`, `cluster/NAME`, `user/NAME`, `current-context` → file. */
  entries: Map<string, string>;
}

/**
 * A kubeconfig: one file, or several merged the way kubectl merges
 * `$KUBECONFIG`. `data` is the merged document; relative paths in it have
 * already been resolved against the file that defined them.
 *
 * @example
 * ```ts
 * import { KubeConfig } from "@denokube/transport/kubeconfig";
 *
 * const config = await KubeConfig.getDefaultConfig();
 * const ctx = config.fetchContext();
 * console.log(ctx.cluster.server, ctx.defaultNamespace);
 * ```
 */
export class KubeConfig {
  readonly #origins: KubeConfigOrigins;

  /**
   * Wraps a parsed kubeconfig document.
   *
   * @param data The kubeconfig document.
   * @param origins Where its entries came from (for error messages).
   */
  constructor(
    public readonly data: RawKubeConfig,
    origins?: KubeConfigOrigins,
  ) {
    this.#origins = origins ?? { files: [], entries: new Map() };
  }

  /** The files this configuration was read from, in merge order. */
  get files(): readonly string[] {
    return this.#origins.files;
  }

  /**
   * Which file defined an entry (after merging, the one that won).
   *
   * @param kind The kind of entry.
   * @param name The entry's name (not for `current-context`).
   * @returns The file, or `undefined` when built in memory.
   */
  sourceOf(
    kind: "context" | "cluster" | "user" | "current-context",
    name?: string,
  ): string | undefined {
    return this.#origins.entries.get(
      kind === "current-context" ? kind : `${kind}/${name}`,
    );
  }

  /**
   * Reads and validates one kubeconfig file, resolving its relative paths
   * against the file's directory.
   *
   * @param path The file to read.
   * @returns The configuration.
   * @throws {KubeConfigError} When the file is missing, unreadable, not YAML, or malformed.
   */
  static async readFromPath(path: string): Promise<KubeConfig> {
    const absolute = absolutePath(path);
    let text: string;
    try {
      // Checked before reading: a huge file is refused without loading it.
      const { size } = await Deno.stat(absolute);
      if (size > MAX_KUBECONFIG_CHARS * 4) {
        throw new KubeConfigError(
          `is ${size} bytes long, more than a kubeconfig may have`,
          { file: absolute },
        );
      }
      text = await Deno.readTextFile(absolute);
    } catch (err) {
      if (err instanceof KubeConfigError) throw err;
      throw fileError(absolute, err);
    }
    return KubeConfig.parse(text, absolute);
  }

  /**
   * Parses kubeconfig text as if read from `path`.
   *
   * @param text YAML or JSON.
   * @param path The file it came from: names it in errors and anchors relative paths.
   * @returns The configuration.
   * @throws {KubeConfigError} When the text is not YAML or the document is malformed.
   */
  static parse(text: string, path: string): KubeConfig {
    const doc = parseKubeConfigYaml(text, path);
    const data = validateKubeConfig(doc, path);
    resolvePaths(data, dirname(path));
    const entries = new Map<string, string>();
    for (const c of data.contexts ?? []) entries.set(`context/${c.name}`, path);
    for (const c of data.clusters ?? []) entries.set(`cluster/${c.name}`, path);
    for (const u of data.users ?? []) entries.set(`user/${u.name}`, path);
    if (data["current-context"]) entries.set("current-context", path);
    return new KubeConfig(data, { files: [path], entries });
  }

  /**
   * Loads the configuration kubectl would use: the files listed in
   * `$KUBECONFIG` (`:`-separated; `;` on Windows), merged so that the first
   * file defining a name wins and missing files are skipped; otherwise
   * `~/.kube/config` (`$HOME`, then `$USERPROFILE`), or an empty
   * configuration when that does not exist either.
   *
   * @returns The merged configuration.
   * @throws {KubeConfigError} When a listed file exists but is malformed or unreadable.
   */
  static async getDefaultConfig(): Promise<KubeConfig> {
    const configs: KubeConfig[] = [];
    for (const path of kubeConfigPaths()) {
      try {
        configs.push(await KubeConfig.readFromPath(path));
      } catch (err) {
        if (
          err instanceof KubeConfigError &&
          err.cause instanceof Deno.errors.NotFound
        ) {
          continue; // kubectl skips listed files that do not exist
        }
        throw err;
      }
    }
    return mergeConfigs(configs);
  }

  /**
   * The configuration of a pod's service account: the API server from
   * `KUBERNETES_SERVICE_HOST`/`_PORT` (falling back to
   * `https://kubernetes.default.svc`), the mounted CA, namespace and token.
   * The token is referenced as a `tokenFile`, so rotated tokens are picked up.
   * Never prompts: permissions are queried first.
   *
   * @param opts `baseUrl` overrides the server; `secretsPath` the mount directory.
   * @returns The configuration.
   * @throws {KubeConfigError} When read permission is missing or the files are absent.
   */
  static async getInClusterConfig({
    baseUrl,
    secretsPath = "/var/run/secrets/kubernetes.io/serviceaccount",
  }: { baseUrl?: string; secretsPath?: string } = {}): Promise<KubeConfig> {
    const read = await Deno.permissions.query({
      name: "read",
      path: secretsPath,
    });
    if (read.state !== "granted") {
      throw new KubeConfigError(
        `no read permission for the service-account files (run with --allow-read=${secretsPath})`,
        { file: secretsPath },
      );
    }
    const server = baseUrl ?? await inClusterServer();
    let namespace: string;
    try {
      namespace = (await Deno.readTextFile(join(secretsPath, "namespace")))
        .trim();
      await Deno.stat(join(secretsPath, "token"));
      await Deno.stat(join(secretsPath, "ca.crt"));
    } catch (err) {
      throw fileError(secretsPath, err);
    }
    return new KubeConfig({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "in-cluster",
      contexts: [{
        name: "in-cluster",
        context: { cluster: "in-cluster", user: "service-account", namespace },
      }],
      clusters: [{
        name: "in-cluster",
        cluster: {
          server,
          "certificate-authority": join(secretsPath, "ca.crt"),
        },
      }],
      users: [{
        name: "service-account",
        user: { tokenFile: join(secretsPath, "token") },
      }],
    }, { files: [secretsPath], entries: new Map() });
  }

  /**
   * A configuration that talks plainly to one URL, such as `kubectl proxy`.
   *
   * @param opts `baseUrl`, the server.
   * @returns The configuration.
   */
  static getSimpleUrlConfig({
    baseUrl = "http://localhost:8080",
  }: { baseUrl?: string } = {}): KubeConfig {
    return new KubeConfig({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "simple-url",
      contexts: [{ name: "simple-url", context: { cluster: "url" } }],
      clusters: [{ name: "url", cluster: { server: baseUrl } }],
    });
  }

  /**
   * Looks up a context entry by name.
   *
   * @param name A context name.
   * @returns The named context entry, or `null`.
   */
  getContext(name?: string): { name: string; context: ContextConfig } | null {
    return (name && this.data.contexts?.find((x) => x.name === name)) || null;
  }
  /**
   * Looks up a cluster entry by name.
   *
   * @param name A cluster name.
   * @returns The named cluster entry, or `null`.
   */
  getCluster(name?: string): { name: string; cluster: ClusterConfig } | null {
    return (name && this.data.clusters?.find((x) => x.name === name)) || null;
  }
  /**
   * Looks up a user entry by name.
   *
   * @param name A user name.
   * @returns The named user entry, or `null`.
   */
  getUser(name?: string): { name: string; user: UserConfig } | null {
    return (name && this.data.users?.find((x) => x.name === name)) || null;
  }

  /**
   * Resolves a context (the current one by default) to its cluster and user.
   *
   * @param contextName The context to use. @default {the current-context}
   * @param options Credential caching knobs, mostly for tests.
   * @returns The resolved context.
   * @throws {KubeConfigError} When no context is selected, or the context, its cluster or its user is not defined.
   */
  fetchContext(
    contextName?: string,
    options: CredentialsOptions = {},
  ): KubeConfigContext {
    const files =
      this.#origins.files.join(Deno.build.os === "windows" ? ";" : ":") ||
      undefined;
    const name = contextName || this.data["current-context"];
    if (!name) {
      throw new KubeConfigError(
        this.#origins.files.length
          ? "no context named and no current-context set"
          : "no configuration found (no kubeconfig file, and no context named)",
        { file: files },
      );
    }
    const current = this.getContext(name);
    if (!current) {
      const how = contextName ? "requested" : `current-context`;
      throw new KubeConfigError(`context "${name}" (${how}) is not defined`, {
        file: contextName
          ? files
          : this.#origins.entries.get("current-context") ?? files,
        field: contextName ? undefined : "current-context",
      });
    }
    const ctxFile = this.#origins.entries.get(`context/${name}`) ?? files;
    const clusterName = current.context.cluster;
    const cluster = this.getCluster(clusterName);
    if (!clusterName || !cluster) {
      throw new KubeConfigError(
        clusterName
          ? `context "${name}" names cluster "${clusterName}" which is not defined`
          : `context "${name}" names no cluster`,
        { file: ctxFile, field: `contexts["${name}"].context.cluster` },
      );
    }
    const userName = current.context.user;
    const user = userName ? this.getUser(userName) : null;
    if (userName && !user) {
      throw new KubeConfigError(
        `context "${name}" names user "${userName}" which is not defined`,
        { file: ctxFile, field: `contexts["${name}"].context.user` },
      );
    }
    return new KubeConfigContext(
      current.context,
      cluster.cluster,
      user?.user ?? {},
      {
        contextName: name,
        clusterName,
        userName,
        clusterFile: this.#origins.entries.get(`cluster/${clusterName}`) ??
          files,
        userFile: userName
          ? this.#origins.entries.get(`user/${userName}`) ?? files
          : files,
        credentials: options,
      },
    );
  }
}

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
 * layer, lib/credentials.ts; the config only carries them).
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
 * (`credentialsFor(context)` in lib/credentials.ts), which the transports use.
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
    const obj = (entry === "cluster" ? this.cluster : this.user) as Record<
      string,
      unknown
    >;
    const field = (k: string) =>
      entry === "cluster" ? this.clusterField(k) : this.userField(k);
    const file = entry === "cluster"
      ? this.source.clusterFile
      : this.source.userFile;
    const kind: PemKind = dataKey === "client-key-data" ? "key" : "certificate";
    const data = obj[dataKey];
    if (typeof data === "string" && data !== "") {
      const where = { file, field: field(dataKey) };
      return checkPem(decodePem(data, where), kind, where);
    }
    const path = obj[fileKey];
    if (typeof path === "string" && path !== "") {
      let text: string;
      try {
        text = await Deno.readTextFile(path);
      } catch (err) {
        throw new KubeConfigError(
          `cannot read ${path}: ${describeFsError(err, path)}`,
          {
            file,
            field: field(fileKey),
            cause: err,
          },
        );
      }
      if (!text.includes("-----BEGIN ")) {
        throw new KubeConfigError(`${path} does not contain PEM data`, {
          file,
          field: field(fileKey),
        });
      }
      return checkPem(text, kind, { file, field: field(fileKey) }, `${path} `);
    }
    return null;
  }
}

/**
 * Merges kubeconfigs the way kubectl merges `$KUBECONFIG`: for every named
 * cluster, user and context, and for `current-context`, the first
 * configuration that defines it wins.
 *
 * @param configs The configurations, highest priority first.
 * @returns The merged document.
 */
export function mergeKubeConfigs(
  configs: (RawKubeConfig | KubeConfig)[],
): RawKubeConfig {
  return mergeConfigs(
    configs.map((c) => c instanceof KubeConfig ? c : new KubeConfig(c)),
  ).data;
}

function mergeConfigs(configs: KubeConfig[]): KubeConfig {
  const contexts = new Map<string, { name: string; context: ContextConfig }>();
  const clusters = new Map<string, { name: string; cluster: ClusterConfig }>();
  const users = new Map<string, { name: string; user: UserConfig }>();
  const preferences: Record<string, unknown> = {};
  const entries = new Map<string, string>();
  let currentContext: string | undefined;
  const files: string[] = [];
  for (const config of configs) {
    files.push(...config.files);
    const data = config.data;
    const origin = (
      kind: "context" | "cluster" | "user" | "current-context",
      name?: string,
    ) => config.sourceOf(kind, name) ?? config.files[0];
    if (!currentContext && data["current-context"]) {
      currentContext = data["current-context"];
      const file = origin("current-context");
      if (file) entries.set("current-context", file);
    }
    const take = <T extends { name: string }>(
      map: Map<string, T>,
      kind: "context" | "cluster" | "user",
      list: T[] | undefined,
    ) => {
      for (const item of list ?? []) {
        if (map.has(item.name)) continue;
        map.set(item.name, item);
        const file = origin(kind, item.name);
        if (file) entries.set(`${kind}/${item.name}`, file);
      }
    };
    take(contexts, "context", data.contexts);
    take(clusters, "cluster", data.clusters);
    take(users, "user", data.users);
    for (const [key, value] of Object.entries(data.preferences ?? {})) {
      if (!(key in preferences)) preferences[key] = value;
    }
  }
  return new KubeConfig({
    apiVersion: "v1",
    kind: "Config",
    ...(currentContext ? { "current-context": currentContext } : {}),
    contexts: [...contexts.values()],
    clusters: [...clusters.values()],
    users: [...users.values()],
    preferences,
  }, { files, entries });
}

async function inClusterServer(): Promise<string> {
  const env = await Deno.permissions.query({
    name: "env",
    variable: "KUBERNETES_SERVICE_HOST",
  });
  const host = env.state === "granted"
    ? Deno.env.get("KUBERNETES_SERVICE_HOST")
    : undefined;
  if (!host) return "https://kubernetes.default.svc";
  const portPerm = await Deno.permissions.query({
    name: "env",
    variable: "KUBERNETES_SERVICE_PORT",
  });
  const port =
    (portPerm.state === "granted" && Deno.env.get("KUBERNETES_SERVICE_PORT")) ||
    "443";
  return `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

function absolutePath(path: string): string {
  if (isAbsolute(path)) return path;
  // Deno.cwd() needs read permission; query first so nothing prompts.
  if (
    Deno.permissions.querySync({ name: "read", path: "." }).state !== "granted"
  ) return path;
  return join(Deno.cwd(), path);
}

function describeFsError(err: unknown, path: string): string {
  if (err instanceof Deno.errors.NotFound) return "no such file";
  if (
    err instanceof Deno.errors.NotCapable ||
    err instanceof Deno.errors.PermissionDenied
  ) {
    return `no read permission (run with --allow-read=${path})`;
  }
  if (err instanceof Deno.errors.IsADirectory) return "is a directory";
  return String(err);
}

function fileError(path: string, err: unknown): KubeConfigError {
  return new KubeConfigError(describeFsError(err, path), {
    file: path,
    cause: err,
  });
}

/**
 * Decodes a base64 PEM value from a kubeconfig.
 * @throws {KubeConfigError} Naming the field when it is not base64 or not PEM.
 */
export function decodePem(
  data: string,
  where: { file?: string; field?: string },
): string {
  let text: string;
  try {
    const bin = atob(data.replace(/\s+/g, ""));
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(bin, (c) => c.charCodeAt(0)),
    );
  } catch (err) {
    throw new KubeConfigError("is not valid base64", { ...where, cause: err });
  }
  if (!text.includes("-----BEGIN ")) {
    throw new KubeConfigError("does not decode to PEM data", where);
  }
  return text;
}

// ---------------------------------------------------------------------------
// Validation: every field the library reads is type-checked once, at load.

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

class Checker {
  constructor(readonly file: string) {}

  fail(field: string, detail: string): never {
    throw new KubeConfigError(detail, { file: this.file, field });
  }

  str(obj: Obj, key: string, field: string): void {
    const v = obj[key];
    if (v !== undefined && v !== null && typeof v !== "string") {
      this.fail(`${field}.${key}`, `must be a string, found ${typeName(v)}`);
    }
  }

  bool(obj: Obj, key: string, field: string): void {
    const v = obj[key];
    if (v !== undefined && v !== null && typeof v !== "boolean") {
      this.fail(
        `${field}.${key}`,
        `must be true or false, found ${typeName(v)}`,
      );
    }
  }

  strList(obj: Obj, key: string, field: string): void {
    const v = obj[key];
    if (v === undefined || v === null) return;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      this.fail(`${field}.${key}`, `must be a list of strings`);
    }
  }

  base64Pem(obj: Obj, key: string, field: string, kind: PemKind): void {
    this.str(obj, key, field);
    const v = obj[key];
    if (typeof v === "string" && v !== "") {
      const where = { file: this.file, field: `${field}.${key}` };
      checkPem(decodePem(v, where), kind, where);
    }
  }

  /** A string that becomes (part of) an HTTP header value. */
  headerValue(obj: Obj, key: string, field: string): void {
    this.str(obj, key, field);
    const v = obj[key];
    const problem = typeof v === "string" ? headerValueProblem(v) : undefined;
    if (problem) this.fail(`${field}.${key}`, problem);
  }

  /** A list of header values; `null` becomes an empty list. */
  headerValueList(obj: Obj, key: string, field: string): void {
    this.strList(obj, key, field);
    const list = obj[key];
    if (list === null) obj[key] = [];
    if (!Array.isArray(list)) return;
    list.forEach((v, i) => {
      const problem = headerValueProblem(v);
      if (problem) this.fail(`${field}.${key}[${i}]`, problem);
    });
  }

  /** `extensions`: a list of `{name, extension}`. */
  extensions(obj: Obj, field: string): void {
    const v = obj.extensions;
    if (v === undefined || v === null) return;
    if (!Array.isArray(v)) {
      this.fail(`${field}.extensions`, `must be a list, found ${typeName(v)}`);
    }
    v.forEach((e, i) => {
      if (!isObj(e) || typeof e.name !== "string" || e.name === "") {
        this.fail(
          `${field}.extensions[${i}]`,
          "must be a mapping with a non-empty string name",
        );
      }
    });
  }

  mapping(v: unknown, field: string): Obj {
    if (v === undefined || v === null) return {};
    if (!isObj(v)) this.fail(field, `must be a mapping, found ${typeName(v)}`);
    return v;
  }

  /** A list of `{name, <key>: {...}}` entries with unique names. */
  namedList(doc: Obj, list: string, key: string): [string, Obj][] {
    const v = doc[list];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.fail(list, `must be a list, found ${typeName(v)}`);
    }
    const seen = new Set<string>();
    return v.map((item, i) => {
      if (!isObj(item)) {
        this.fail(
          `${list}[${i}]`,
          `must be a mapping, found ${typeName(item)}`,
        );
      }
      const name = item.name;
      if (typeof name !== "string" || name === "") {
        this.fail(`${list}[${i}].name`, "must be a non-empty string");
      }
      if (seen.has(name)) {
        this.fail(`${list}[${i}]`, `duplicate name "${name}"`);
      }
      seen.add(name);
      const field = `${list}["${name}"].${key}`;
      const body = this.mapping(item[key], field);
      item[key] = body; // a null entry body becomes {}
      return [field, body];
    });
  }
}

function validateKubeConfig(doc: unknown, file: string): RawKubeConfig {
  const c: Checker = new Checker(file);
  if (doc === undefined || doc === null) {
    return { apiVersion: "v1", kind: "Config" }; // an empty file is an empty config, as for kubectl
  }
  if (!isObj(doc)) {
    c.fail("(document)", `must be a mapping, found ${typeName(doc)}`);
  }
  if (doc.kind !== undefined && doc.kind !== "Config") {
    c.fail("kind", `must be "Config", found ${showValue(doc.kind)}`);
  }
  if (doc.apiVersion !== undefined && doc.apiVersion !== "v1") {
    c.fail(
      "apiVersion",
      `must be "v1", found ${showValue(doc.apiVersion)}`,
    );
  }
  if (
    doc["current-context"] !== undefined && doc["current-context"] !== null &&
    typeof doc["current-context"] !== "string"
  ) {
    c.fail(
      "current-context",
      `must be a string, found ${typeName(doc["current-context"])}`,
    );
  }
  if (typeof doc["current-context"] !== "string") delete doc["current-context"];

  c.extensions(c.mapping(doc.preferences, "preferences"), "preferences");

  for (const [field, cluster] of c.namedList(doc, "clusters", "cluster")) {
    for (
      const k of [
        "server",
        "tls-server-name",
        "proxy-url",
        "certificate-authority",
      ]
    ) {
      c.str(cluster, k, field);
    }
    for (const k of ["insecure-skip-tls-verify", "disable-compression"]) {
      c.bool(cluster, k, field);
    }
    c.base64Pem(cluster, "certificate-authority-data", field, "certificate");
    c.extensions(cluster, field);
    const tlsName = cluster["tls-server-name"];
    if (typeof tlsName === "string" && tlsName !== "" && !isHostName(tlsName)) {
      c.fail(`${field}.tls-server-name`, "is not a host name");
    }
    if (typeof cluster.server === "string" && cluster.server !== "") {
      checkUrl(c, cluster.server, `${field}.server`, ["http:", "https:"], true);
    }
    if (
      typeof cluster["proxy-url"] === "string" && cluster["proxy-url"] !== ""
    ) {
      checkUrl(c, cluster["proxy-url"], `${field}.proxy-url`, [
        "http:",
        "https:",
        "socks5:",
        "socks5h:",
      ]);
    }
  }

  for (const [field, user] of c.namedList(doc, "users", "user")) {
    for (
      const k of [
        "token",
        "tokenFile",
        "username",
        "password",
        "client-key",
        "client-certificate",
        "as",
        "as-uid",
      ]
    ) c.str(user, k, field);
    for (const k of ["token", "as", "as-uid"]) c.headerValue(user, k, field);
    c.base64Pem(user, "client-certificate-data", field, "certificate");
    c.base64Pem(user, "client-key-data", field, "key");
    c.headerValueList(user, "as-groups", field);
    const extra = c.mapping(user["as-user-extra"], `${field}.as-user-extra`);
    if (user["as-user-extra"] !== undefined) user["as-user-extra"] = extra;
    for (const k of Object.keys(extra)) {
      c.headerValueList(extra, k, `${field}.as-user-extra`);
    }
    c.extensions(user, field);
    const hasCert = Boolean(
      user["client-certificate"] || user["client-certificate-data"],
    );
    const hasKey = Boolean(user["client-key"] || user["client-key-data"]);
    if (hasKey !== hasCert) {
      c.fail(
        field,
        hasKey
          ? "has a client key but no client-certificate(-data)"
          : "has a client certificate but no client-key(-data)",
      );
    }
    if (user["auth-provider"] !== undefined && user["auth-provider"] !== null) {
      const ap = c.mapping(user["auth-provider"], `${field}.auth-provider`);
      if (typeof ap.name !== "string" || ap.name === "") {
        c.fail(`${field}.auth-provider.name`, "must be a non-empty string");
      }
      const cfg = c.mapping(ap.config, `${field}.auth-provider.config`);
      for (const k of Object.keys(cfg)) {
        c.str(cfg, k, `${field}.auth-provider.config`);
      }
      for (const k of ["access-token", "id-token"]) {
        c.headerValue(cfg, k, `${field}.auth-provider.config`);
      }
      ap.config = cfg;
    }
    if (user.exec !== undefined && user.exec !== null) {
      validateExec(c, c.mapping(user.exec, `${field}.exec`), `${field}.exec`);
    }
  }

  for (const [field, context] of c.namedList(doc, "contexts", "context")) {
    for (const k of ["cluster", "user", "namespace"]) c.str(context, k, field);
    c.extensions(context, field);
  }
  return doc as unknown as RawKubeConfig;
}

const execApiVersions = [
  "client.authentication.k8s.io/v1alpha1",
  "client.authentication.k8s.io/v1beta1",
  "client.authentication.k8s.io/v1",
];

function validateExec(c: Checker, exec: Obj, field: string): void {
  if (typeof exec.command !== "string" || exec.command === "") {
    c.fail(`${field}.command`, "must be a non-empty string");
  }
  if (exec.apiVersion === undefined || exec.apiVersion === null) {
    c.fail(
      `${field}.apiVersion`,
      `is required (one of ${execApiVersions.join(", ")})`,
    );
  }
  if (!execApiVersions.includes(exec.apiVersion as string)) {
    c.fail(
      `${field}.apiVersion`,
      `must be one of ${execApiVersions.join(", ")}, found ${
        showValue(exec.apiVersion)
      }`,
    );
  }
  c.strList(exec, "args", field);
  c.str(exec, "installHint", field);
  c.bool(exec, "provideClusterInfo", field);
  const mode = exec.interactiveMode;
  if (
    mode !== undefined &&
    !["Never", "IfAvailable", "Always"].includes(mode as string)
  ) {
    c.fail(
      `${field}.interactiveMode`,
      `must be Never, IfAvailable or Always, found ${showValue(mode)}`,
    );
  }
  if (
    mode === undefined && exec.apiVersion === "client.authentication.k8s.io/v1"
  ) {
    c.fail(
      `${field}.interactiveMode`,
      "must be set for client.authentication.k8s.io/v1",
    );
  }
  const env = exec.env;
  if (env !== undefined && env !== null) {
    if (!Array.isArray(env)) {
      c.fail(`${field}.env`, `must be a list, found ${typeName(env)}`);
    }
    env.forEach((e, i) => {
      if (
        !isObj(e) || typeof e.name !== "string" || typeof e.value !== "string"
      ) {
        c.fail(`${field}.env[${i}]`, "must have a string name and value");
      }
    });
  }
}

/** A DNS name (labels of letters, digits, `-` and `_`), an IPv4 or a bracketless IPv6 address. */
function isHostName(name: string): boolean {
  if (name.length > 253) return false;
  if (name.includes(":")) {
    try {
      return new URL(`https://[${name}]/`).hostname !== "";
    } catch {
      return false;
    }
  }
  return /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/
    .test(name);
}

/** Throws the located error when PEM text is unusable. */
function checkPem(
  text: string,
  kind: PemKind,
  where: { file?: string; field?: string },
  what = "",
): string {
  const problem = pemProblem(text, kind);
  if (problem) throw new KubeConfigError(`${what}${problem}`, where);
  return text;
}

function checkUrl(
  c: Checker,
  value: string,
  field: string,
  schemes: string[],
  defaultHttps = false,
): void {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
  if (!hasScheme && !defaultHttps) {
    c.fail(
      field,
      `is missing a scheme (${schemes.map((s) => `${s}//`).join(", ")})`,
    );
  }
  // Never echo credentials embedded in a URL, nor all of a huge value.
  const masked = maskUrl(value);
  const shown = JSON.stringify(
    masked.length > 200 ? `${masked.slice(0, 200)}…` : masked,
  );
  let url: URL;
  try {
    // kubectl accepts "host:port" for a server and assumes https.
    url = new URL(hasScheme ? value : `https://${value}`);
  } catch {
    c.fail(field, `is not a valid URL: ${shown}`);
  }
  if (!schemes.includes(url.protocol)) {
    c.fail(field, `must use ${schemes.join(" or ")}, found ${url.protocol}`);
  }
  if (url.hostname === "") c.fail(field, `has no host: ${shown}`);
}

function resolvePaths(data: RawKubeConfig, dir: string): void {
  for (const { cluster } of data.clusters ?? []) {
    if (cluster["certificate-authority"]) {
      cluster["certificate-authority"] = resolveAgainst(
        dir,
        cluster["certificate-authority"],
      );
    }
  }
  for (const { user } of data.users ?? []) {
    for (
      const key of ["client-certificate", "client-key", "tokenFile"] as const
    ) {
      const v = user[key];
      if (v) user[key] = resolveAgainst(dir, v);
    }
    if (user.exec?.command && hasPathSeparator(user.exec.command)) {
      user.exec.command = resolveAgainst(dir, user.exec.command);
    }
  }
}

/**
 * The auth layer's credentials for a context, for the two v0.7.3 methods
 * above: loaded lazily, so the config layer has no static import of the
 * layer above it.
 */
async function authFor(
  ctx: KubeConfigContext,
): Promise<{ get(): Promise<import("./credentials.ts").AuthState> }> {
  const { credentialsFor } = await import("./credentials.ts");
  return credentialsFor(ctx);
}
