/**
 * What the API server serves: its groups, their versions (preferred first)
 * and each group-version's resources, read with aggregated discovery when
 * the server answers it (Kubernetes ≥ 1.26: one request each to `/api` and
 * `/apis`) and legacy discovery otherwise (`/api`, `/apis`, then one request
 * per group-version, only for the group-versions asked about). Answers are
 * cached for a TTL; {@link Discovery.refresh} drops them, as a mapper does
 * once on a miss (a CRD created a moment ago).
 *
 * Permissions: whatever the transport needs; nothing more.
 *
 * @module
 */

import type { JSONValue, RestClient } from "../contract.ts";
import { KubernetesApiError } from "../errors/mod.ts";

/** One subresource of a resource, such as `deployments/scale`. */
export interface ApiSubresource {
  /** Its name, such as `scale` or `status`. */
  name: string;
  /** The kind it answers with (`Scale` for `scale`), when the server says. */
  kind?: string;
  /** The verbs it supports. */
  verbs: string[];
}

/** One resource of a group-version, as discovery describes it. */
export interface ApiResource {
  /** The API group; `""` for the core group. */
  group: string;
  /** The version, such as `v1`. */
  version: string;
  /** The plural name used in paths, such as `deployments`. */
  resource: string;
  /** The singular name, such as `deployment` (may be empty on older servers). */
  singular: string;
  /** The kind, such as `Deployment`. */
  kind: string;
  /** Whether objects live in a namespace. */
  namespaced: boolean;
  /** The verbs it supports (`get`, `list`, `watch`, `create`, `patch`, …). */
  verbs: string[];
  /** Short names, such as `deploy`. */
  shortNames: string[];
  /** Its subresources. */
  subresources: ApiSubresource[];
}

/** One API group and the versions it serves. */
export interface ApiGroup {
  /** The group's name; `""` for the core group. */
  name: string;
  /** Served versions, the server's preferred one first. */
  versions: string[];
  /** The version the server prefers. */
  preferredVersion: string;
}

/** Discovery's answer was not what the discovery API describes. */
export class DiscoveryError extends Error {
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

/** Options for a {@link Discovery}. */
export interface DiscoveryOptions {
  /**
   * How long answers are trusted. Kinds rarely change, but a CRD can appear
   * at any time; a mapper refreshes once on a miss anyway.
   * @default {300000} (5 minutes)
   */
  ttlMs?: number;
  /**
   * Ask for aggregated discovery first. Servers before 1.26 ignore the
   * request and answer legacy discovery, which is then used.
   * @default {true}
   */
  aggregated?: boolean;
  /** Milliseconds since the epoch; tests inject a fake. @default {Date.now} */
  now?: () => number;
}

/**
 * What the `Accept` header asks for: aggregated discovery v2, then v2beta1
 * (1.26–1.29), then plain JSON, which every server answers with legacy
 * discovery. client-go sends the same list.
 */
export const AGGREGATED_DISCOVERY_ACCEPT: string =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," +
  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList," +
  "application/json;q=0.9";

interface Root {
  at: number;
  form: "aggregated" | "legacy";
  groups: Map<string, ApiGroup>;
  /** Aggregated only: resources of every group-version whose freshness is Current. */
  resources: Map<string, ApiResource[]>;
}

/**
 * The server's groups and resources, cached. Construction does no I/O; the
 * first question fetches.
 *
 * @example Is a kind served, and where?
 * ```ts
 * import { Discovery } from "@denokube/transport/discovery";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function deploymentsPlural(client: RestClient): Promise<string | undefined> {
 *   const discovery = new Discovery(client);
 *   const resources = await discovery.resources("apps/v1");
 *   return resources?.find((r) => r.kind === "Deployment")?.resource;
 * }
 * ```
 */
export class Discovery {
  readonly #client: RestClient;
  readonly #ttlMs: number;
  readonly #aggregated: boolean;
  readonly #now: () => number;
  #root: Promise<Root> | undefined;
  #rootAt = 0;
  readonly #perGv = new Map<
    string,
    { at: number; value: Promise<ApiResource[] | undefined> }
  >();

  /**
   * Makes the cache; does no I/O.
   *
   * @param client Any transport.
   * @param options TTL, aggregated discovery, clock.
   */
  constructor(client: RestClient, options: DiscoveryOptions = {}) {
    this.#client = client;
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#aggregated = options.aggregated ?? true;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Which form of discovery the server answered (fetching if not cached).
   *
   * @returns `aggregated` when both `/api` and `/apis` answered an
   * `APIGroupDiscoveryList`, `legacy` otherwise.
   * @throws {KubernetesApiError} When the server refuses discovery.
   */
  async form(): Promise<"aggregated" | "legacy"> {
    return (await this.#loadRoot()).form;
  }

  /**
   * Every API group the server serves, in the server's priority order.
   *
   * @returns The groups, the core group (`""`) first.
   * @throws {KubernetesApiError} When the server refuses discovery.
   * @throws {DiscoveryError} When an answer is malformed.
   */
  async groups(): Promise<ApiGroup[]> {
    return [...(await this.#loadRoot()).groups.values()];
  }

  /**
   * One group, or `undefined` when the server does not serve it.
   *
   * @param name The group, `""` for core.
   * @returns The group with its versions.
   * @throws {KubernetesApiError} When the server refuses discovery.
   */
  async group(name: string): Promise<ApiGroup | undefined> {
    return (await this.#loadRoot()).groups.get(name);
  }

  /**
   * The resources of one group-version, or `undefined` when it is not served.
   *
   * @param groupVersion An `apiVersion`, such as `v1` or `apps/v1`.
   * @returns Its resources (subresources folded into their parents).
   * @throws {KubernetesApiError} When the server refuses discovery.
   * @throws {DiscoveryError} When an answer is malformed.
   */
  async resources(groupVersion: string): Promise<ApiResource[] | undefined> {
    const { group, version } = splitApiVersion(groupVersion);
    const root = await this.#loadRoot();
    const served = root.groups.get(group)?.versions.includes(version);
    if (!served) return undefined;
    const aggregated = root.resources.get(groupVersion);
    if (aggregated) return aggregated;
    // Legacy discovery, or an aggregated entry marked Stale: ask the group-version itself.
    const cached = this.#perGv.get(groupVersion);
    if (cached && this.#now() - cached.at < this.#ttlMs) return cached.value;
    const value = this.#fetchGroupVersion(group, version);
    this.#perGv.set(groupVersion, { at: this.#now(), value });
    value.catch(() => this.#perGv.delete(groupVersion));
    return value;
  }

  /**
   * Drops every cached answer, so the next question fetches again.
   */
  refresh(): void {
    this.#root = undefined;
    this.#perGv.clear();
  }

  #loadRoot(): Promise<Root> {
    if (this.#root && this.#now() - this.#rootAt < this.#ttlMs) {
      return this.#root;
    }
    this.#perGv.clear();
    this.#rootAt = this.#now();
    const root = this.#fetchRoot();
    this.#root = root;
    root.catch(() => {
      if (this.#root === root) this.#root = undefined;
    });
    return root;
  }

  async #fetchRoot(): Promise<Root> {
    const [core, named] = await Promise.all([
      this.#get("/api"),
      this.#get("/apis"),
    ]);
    const groups = new Map<string, ApiGroup>();
    const resources = new Map<string, ApiResource[]>();
    let aggregatedAnswers = 0;
    for (const [path, doc] of [["/api", core], ["/apis", named]] as const) {
      if (isObject(doc) && doc.kind === "APIGroupDiscoveryList") {
        aggregatedAnswers++;
        readAggregated(path, doc, groups, resources);
      } else if (path === "/api") {
        readApiVersions(path, doc, groups);
      } else {
        readApiGroupList(path, doc, groups);
      }
    }
    return {
      at: this.#now(),
      form: aggregatedAnswers === 2 ? "aggregated" : "legacy",
      groups,
      resources,
    };
  }

  async #fetchGroupVersion(
    group: string,
    version: string,
  ): Promise<ApiResource[] | undefined> {
    const path = group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
    let doc: JSONValue;
    try {
      doc = await this.#client.performRequest({
        method: "GET",
        path,
        accept: "application/json",
        expectJson: true,
      });
    } catch (err) {
      // Unserved between the group list and now (a CRD version removed).
      if (err instanceof KubernetesApiError && err.isNotFound()) {
        return undefined;
      }
      throw err;
    }
    return readApiResourceList(path, doc, group, version);
  }

  #get(path: string): Promise<JSONValue> {
    return this.#client.performRequest({
      method: "GET",
      path,
      accept: this.#aggregated
        ? AGGREGATED_DISCOVERY_ACCEPT
        : "application/json",
      expectJson: true,
    });
  }
}

/**
 * Splits an `apiVersion` into group and version: `v1` is the core group.
 *
 * @param apiVersion Such as `v1` or `apps/v1`.
 * @returns The group (`""` for core) and the version.
 */
export function splitApiVersion(
  apiVersion: string,
): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : {
    group: apiVersion.slice(0, slash),
    version: apiVersion.slice(slash + 1),
  };
}

type Obj = { [key: string]: JSONValue };

function isObject(v: JSONValue | undefined): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function field<T extends "string" | "array" | "object" | "boolean">(
  path: string,
  obj: Obj,
  key: string,
  type: T,
  where: string,
  optional = false,
):
  | (T extends "string" ? string
    : T extends "array" ? JSONValue[]
    : T extends "boolean" ? boolean
    : Obj)
  | undefined {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (optional) return undefined;
    throw new DiscoveryError(path, `${where}.${key}: missing`);
  }
  const ok = type === "array"
    ? Array.isArray(v)
    : type === "object"
    ? isObject(v)
    : (typeof v as string) === type;
  if (!ok) {
    throw new DiscoveryError(
      path,
      `${where}.${key}: expected ${type}, found ${
        Array.isArray(v) ? "array" : typeof v
      }`,
    );
  }
  // deno-lint-ignore no-explicit-any
  return v as any;
}

function strings(path: string, obj: Obj, key: string, where: string): string[] {
  const list = field(path, obj, key, "array", where, true) ?? [];
  return list.map((v, i) => {
    if (typeof v !== "string") {
      throw new DiscoveryError(
        path,
        `${where}.${key}[${i}]: expected string, found ${typeof v}`,
      );
    }
    return v;
  });
}

function readApiVersions(
  path: string,
  doc: JSONValue,
  groups: Map<string, ApiGroup>,
): void {
  if (!isObject(doc)) {
    throw new DiscoveryError(path, "expected an APIVersions object");
  }
  const versions = strings(path, doc, "versions", "APIVersions");
  if (versions.length === 0) {
    throw new DiscoveryError(path, "APIVersions.versions: empty");
  }
  groups.set("", { name: "", versions, preferredVersion: versions[0] });
}

function readApiGroupList(
  path: string,
  doc: JSONValue,
  groups: Map<string, ApiGroup>,
): void {
  if (!isObject(doc)) {
    throw new DiscoveryError(path, "expected an APIGroupList object");
  }
  const list = field(path, doc, "groups", "array", "APIGroupList", true) ?? [];
  list.forEach((g, i) => {
    const where = `groups[${i}]`;
    if (!isObject(g)) throw new DiscoveryError(path, `${where}: not an object`);
    const name = field(path, g, "name", "string", where)!;
    const versions = (field(path, g, "versions", "array", where) ?? []).map(
      (v, j) => {
        if (!isObject(v)) {
          throw new DiscoveryError(
            path,
            `${where}.versions[${j}]: not an object`,
          );
        }
        return field(path, v, "version", "string", `${where}.versions[${j}]`)!;
      },
    );
    const pref = field(path, g, "preferredVersion", "object", where, true);
    const preferred = pref
      ? field(path, pref, "version", "string", `${where}.preferredVersion`)!
      : versions[0];
    if (preferred === undefined) return; // a group with no version serves nothing
    // Preferred first, then the server's order.
    const ordered = [preferred, ...versions.filter((v) => v !== preferred)];
    groups.set(name, {
      name,
      versions: ordered,
      preferredVersion: preferred,
    });
  });
}

function readApiResourceList(
  path: string,
  doc: JSONValue,
  group: string,
  version: string,
): ApiResource[] {
  if (!isObject(doc)) {
    throw new DiscoveryError(path, "expected an APIResourceList object");
  }
  const list =
    field(path, doc, "resources", "array", "APIResourceList", true) ??
      [];
  const byName = new Map<string, ApiResource>();
  const subs: { parent: string; sub: ApiSubresource }[] = [];
  list.forEach((r, i) => {
    const where = `resources[${i}]`;
    if (!isObject(r)) throw new DiscoveryError(path, `${where}: not an object`);
    const name = field(path, r, "name", "string", where)!;
    const kind = field(path, r, "kind", "string", where)!;
    const verbs = strings(path, r, "verbs", where);
    const slash = name.indexOf("/");
    if (slash >= 0) {
      subs.push({
        parent: name.slice(0, slash),
        sub: { name: name.slice(slash + 1), kind, verbs },
      });
      return;
    }
    byName.set(name, {
      group,
      version,
      resource: name,
      singular: field(path, r, "singularName", "string", where, true) ?? "",
      kind,
      namespaced: field(path, r, "namespaced", "boolean", where)!,
      verbs,
      shortNames: strings(path, r, "shortNames", where),
      subresources: [],
    });
  });
  for (const { parent, sub } of subs) {
    byName.get(parent)?.subresources.push(sub);
  }
  return [...byName.values()];
}

function readAggregated(
  path: string,
  doc: Obj,
  groups: Map<string, ApiGroup>,
  resources: Map<string, ApiResource[]>,
): void {
  const items =
    field(path, doc, "items", "array", "APIGroupDiscoveryList", true) ??
      [];
  items.forEach((g, i) => {
    const where = `items[${i}]`;
    if (!isObject(g)) throw new DiscoveryError(path, `${where}: not an object`);
    const meta = field(path, g, "metadata", "object", where, true) ?? {};
    const name =
      field(path, meta, "name", "string", `${where}.metadata`, true) ??
        "";
    const versions: string[] = [];
    (field(path, g, "versions", "array", where, true) ?? []).forEach((v, j) => {
      const vw = `${where}.versions[${j}]`;
      if (!isObject(v)) throw new DiscoveryError(path, `${vw}: not an object`);
      const version = field(path, v, "version", "string", vw)!;
      versions.push(version);
      // A Stale entry may be far out of date: leave it to per-version discovery.
      if (v.freshness === "Stale") return;
      const list = (field(path, v, "resources", "array", vw, true) ?? []).map(
        (r, k) =>
          readAggregatedResource(
            path,
            r,
            `${vw}.resources[${k}]`,
            name,
            version,
          ),
      );
      resources.set(name === "" ? version : `${name}/${version}`, list);
    });
    if (versions.length === 0) return;
    groups.set(name, { name, versions, preferredVersion: versions[0] });
  });
}

function readAggregatedResource(
  path: string,
  r: JSONValue,
  where: string,
  group: string,
  version: string,
): ApiResource {
  if (!isObject(r)) throw new DiscoveryError(path, `${where}: not an object`);
  const responseKind = field(path, r, "responseKind", "object", where, true);
  const scope = field(path, r, "scope", "string", where)!;
  if (scope !== "Namespaced" && scope !== "Cluster") {
    throw new DiscoveryError(
      path,
      `${where}.scope: expected Namespaced or Cluster, found ${
        JSON.stringify(scope.slice(0, 40))
      }`,
    );
  }
  return {
    group,
    version,
    resource: field(path, r, "resource", "string", where)!,
    singular: field(path, r, "singularResource", "string", where, true) ?? "",
    kind: (responseKind &&
      field(
        path,
        responseKind,
        "kind",
        "string",
        `${where}.responseKind`,
        true,
      )) ??
      "",
    namespaced: scope === "Namespaced",
    verbs: strings(path, r, "verbs", where),
    shortNames: strings(path, r, "shortNames", where),
    subresources: (field(path, r, "subresources", "array", where, true) ?? [])
      .map((s, i) => {
        const sw = `${where}.subresources[${i}]`;
        if (!isObject(s)) {
          throw new DiscoveryError(path, `${sw}: not an object`);
        }
        const rk = field(path, s, "responseKind", "object", sw, true);
        const kind = rk
          ? field(path, rk, "kind", "string", `${sw}.responseKind`, true)
          : undefined;
        return {
          name: field(path, s, "subresource", "string", sw)!,
          ...(kind ? { kind } : {}),
          verbs: strings(path, s, "verbs", sw),
        };
      }),
  };
}
