// The kubeconfig object: loading files and `$KUBECONFIG`, the in-cluster and
// simple-URL configurations, merging, and resolving a context.

import { KubeConfigError } from "../errors/mod.ts";
import { describeFsError } from "../_internal/fs_error.ts";
import { dirname, join } from "../_internal/path.ts";
import { MAX_KUBECONFIG_CHARS, parseKubeConfigYaml } from "./_parse_yaml.ts";
import { kubeConfigPaths } from "./_paths.ts";
import { validateKubeConfig } from "./_validate.ts";
import { absolutePath, resolvePaths } from "./_resolve_paths.ts";
import { mergeSourced } from "./_merge.ts";
import { inClusterServer, SERVICE_ACCOUNT_DIR } from "./_in_cluster.ts";
import { type CredentialsOptions, KubeConfigContext } from "./context.ts";
import type {
  ClusterConfig,
  ContextConfig,
  KubeConfigOrigins,
  RawKubeConfig,
  UserConfig,
} from "./types.ts";

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
    secretsPath = SERVICE_ACCOUNT_DIR,
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
  const { data, origins } = mergeSourced(configs);
  return new KubeConfig(data, origins);
}

function fileError(path: string, err: unknown): KubeConfigError {
  return new KubeConfigError(describeFsError(err, path), {
    file: path,
    cause: err,
  });
}
