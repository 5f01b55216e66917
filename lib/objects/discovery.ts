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
 * The cache and its requests are here; `discovery_types.ts` holds what it
 * answers and internal `_discovery_parse.ts` reads the documents.
 *
 * @module
 */

import type { JSONValue, RestClient } from "../contract.ts";
import { KubernetesApiError } from "../errors/mod.ts";
import { groupVersionPath } from "../_wire/api_path.ts";
import {
  isObject,
  readAggregated,
  readApiGroupList,
  readApiResourceList,
  readApiVersions,
} from "./_discovery_parse.ts";
import {
  type ApiGroup,
  type ApiResource,
  splitApiVersion,
} from "./discovery_types.ts";

export {
  type ApiGroup,
  type ApiResource,
  type ApiSubresource,
  DiscoveryError,
  splitApiVersion,
} from "./discovery_types.ts";

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
 * import { Discovery } from "@denokube/transport/objects";
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
    const path = groupVersionPath(group, version);
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
