// What discovery answers: groups, their resources and subresources, the
// error for a malformed answer, and how an apiVersion splits.

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

export { DiscoveryError } from "../errors/discovery_error.ts";

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
