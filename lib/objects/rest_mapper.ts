/**
 * From `apiVersion` + `kind` to where objects of that kind live: the
 * resource's plural name, whether it is namespaced, its verbs and
 * subresources, and the paths built from them. Backed by a cached
 * {@link Discovery}, refreshed once when a kind is not found (a CRD created
 * a moment ago), and failing with an {@link UnknownKindError} that names the
 * group-version looked at.
 *
 * Permissions: whatever the transport needs; nothing more.
 *
 * @module
 */

import type { RestClient } from "../contract.ts";
import { apiPath } from "../_wire/api_path.ts";
import { UnknownKindError } from "../errors/unknown_kind_error.ts";
import {
  type ApiSubresource,
  Discovery,
  type DiscoveryOptions,
  splitApiVersion,
} from "./discovery.ts";

/** Where objects of one kind live. */
export interface RestMapping {
  /** The `apiVersion` asked about, such as `apps/v1`. */
  apiVersion: string;
  /** The API group (`""` for core). */
  group: string;
  /** The version. */
  version: string;
  /** The kind. */
  kind: string;
  /** The plural resource name used in paths, such as `deployments`. */
  resource: string;
  /** Whether objects live in a namespace. */
  namespaced: boolean;
  /** The verbs the resource supports. */
  verbs: string[];
  /** Its subresources, such as `status` and `scale`. */
  subresources: ApiSubresource[];
}

/** What a path names: a collection, an object, or one of its subresources. */
export interface ResourcePathOptions {
  /** The namespace; ignored for cluster-scoped kinds. @default {all namespaces, for a collection} */
  namespace?: string;
  /** The object's name. @default {the collection} */
  name?: string;
  /** A subresource such as `status` or `scale` (needs `name`). */
  subresource?: string;
}

/**
 * The API path of a collection, an object or a subresource of a mapping,
 * built by the one path builder: the namespace and name are checked as the
 * apiserver checks names, so `.`, `..` and names with `/` or `%` never
 * reach a request (they would address the collection or the namespace).
 *
 * @param mapping Where the kind lives.
 * @param options Namespace, name and subresource.
 * @returns A path such as `/apis/apps/v1/namespaces/web/deployments/site/scale`.
 * @throws {PathSegmentError} (a `TypeError`) When the name is empty, the
 *   name or (for a namespaced kind) the namespace is `.` or `..` or contains
 *   `/` or `%`, or a subresource is asked for without a name.
 *
 * @example
 * ```ts
 * import { resourcePath, type RestMapping } from "@denokube/transport/objects";
 *
 * function scalePath(deployments: RestMapping, ns: string, name: string): string {
 *   return resourcePath(deployments, { namespace: ns, name, subresource: "scale" });
 * }
 * ```
 */
export function resourcePath(
  mapping: RestMapping,
  options: ResourcePathOptions = {},
): string {
  return apiPath({
    group: mapping.group,
    version: mapping.version,
    resource: mapping.resource,
    namespaced: mapping.namespaced,
    // An empty namespace has always meant all namespaces here.
    namespace: options.namespace || undefined,
    name: options.name,
    subresource: options.subresource,
    context: `${mapping.kind} (${mapping.apiVersion})`,
  });
}

export {
  UnknownKindError,
  type UnknownKindErrorReason,
} from "../errors/unknown_kind_error.ts";

/** Options for a {@link RestMapper}. */
export interface RestMapperOptions extends DiscoveryOptions {
  /** A discovery cache to share. @default {a new one on the client, with these options} */
  discovery?: Discovery;
}

/** How many kinds an {@link UnknownKindError} lists before "…". */
const maxListedKinds = 12;

/**
 * Maps `apiVersion` + `kind` to resources through discovery.
 *
 * @example Where do Deployments live?
 * ```ts
 * import { RestMapper, resourcePath } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function deploymentsIn(client: RestClient, ns: string): Promise<string> {
 *   const mapper = new RestMapper(client);
 *   const mapping = await mapper.mapping("apps/v1", "Deployment");
 *   return resourcePath(mapping, { namespace: ns }); // /apis/apps/v1/namespaces/<ns>/deployments
 * }
 * ```
 */
export class RestMapper {
  /** The discovery cache it reads. */
  readonly discovery: Discovery;

  /**
   * Makes the mapper; does no I/O.
   *
   * @param client Any transport.
   * @param options Discovery options, or a shared {@link Discovery}.
   */
  constructor(client: RestClient, options: RestMapperOptions = {}) {
    this.discovery = options.discovery ?? new Discovery(client, options);
  }

  /**
   * Where objects of `kind` in `apiVersion` live. A miss refreshes discovery
   * once and looks again, so a kind whose CRD was just created is found.
   *
   * @param apiVersion Such as `v1`, `apps/v1` or `example.com/v1alpha1`.
   * @param kind Such as `Deployment`.
   * @returns The mapping.
   * @throws {UnknownKindError} When the kind is not served in that `apiVersion`.
   * @throws {TypeError} When `apiVersion` or `kind` is empty or malformed.
   * @throws {KubernetesApiError} When the server refuses discovery.
   */
  async mapping(apiVersion: string, kind: string): Promise<RestMapping> {
    if (!kind) throw new TypeError(`apiVersion ${apiVersion}: kind is empty`);
    const { group, version } = splitApiVersion(apiVersion);
    if (
      !version || version.includes("/") || (apiVersion.includes("/") && !group)
    ) {
      throw new TypeError(
        `apiVersion ${
          JSON.stringify(apiVersion)
        }: expected "version" or "group/version"`,
      );
    }
    const found = await this.#find(apiVersion, kind);
    if (found) return found;
    this.discovery.refresh();
    const again = await this.#find(apiVersion, kind);
    if (again) return again;
    throw await this.#explain(apiVersion, kind, group, version);
  }

  /**
   * The version the server prefers for a group.
   *
   * @param group The group, `""` for core.
   * @returns The version, or `undefined` when the group is not served.
   * @throws {KubernetesApiError} When the server refuses discovery.
   */
  async preferredVersion(group: string): Promise<string | undefined> {
    return (await this.discovery.group(group))?.preferredVersion;
  }

  async #find(
    apiVersion: string,
    kind: string,
  ): Promise<RestMapping | undefined> {
    const resources = await this.discovery.resources(apiVersion);
    const r = resources?.find((r) => r.kind === kind);
    if (!r) return undefined;
    return {
      apiVersion,
      group: r.group,
      version: r.version,
      kind: r.kind,
      resource: r.resource,
      namespaced: r.namespaced,
      verbs: r.verbs,
      subresources: r.subresources,
    };
  }

  async #explain(
    apiVersion: string,
    kind: string,
    group: string,
    version: string,
  ): Promise<UnknownKindError> {
    const g = await this.discovery.group(group);
    const groupName = group === ""
      ? "the core group"
      : `group ${JSON.stringify(group)}`;
    if (!g) {
      return new UnknownKindError(
        apiVersion,
        kind,
        `the server does not serve ${groupName}`,
      );
    }
    if (!g.versions.includes(version)) {
      return new UnknownKindError(
        apiVersion,
        kind,
        `${groupName} does not serve ${version}; it serves ${
          g.versions.join(", ")
        }`,
        g.versions,
      );
    }
    const kinds = (await this.discovery.resources(apiVersion) ?? []).map((r) =>
      r.kind
    );
    const listed = kinds.length > maxListedKinds
      ? `${
        kinds.slice(0, maxListedKinds).join(", ")
      }, … (${kinds.length} kinds)`
      : kinds.join(", ") || "no kinds";
    return new UnknownKindError(
      apiVersion,
      kind,
      `${apiVersion} serves ${listed}`,
      g.versions,
    );
  }
}
