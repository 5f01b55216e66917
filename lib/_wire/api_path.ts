// The one place an API path is built from its parts (group, version,
// resource, namespace, name, subresource). Every part is checked as the
// apiserver checks names (apimachinery `path.IsValidPathSegmentName`) before
// it becomes a segment: a name `.` or `..` would otherwise be resolved away
// (by fetch's URL parser; by `kubectl --raw`, which cleans paths with Go's
// path.Join in recent releases), and `DELETE …/configmaps/.` deletes every
// ConfigMap of the namespace, `…/configmaps/..` the namespace itself.

import {
  PathSegmentError,
  type PathSegmentField,
} from "../errors/path_segment_error.ts";

/** Names that would be resolved away as path segments (apimachinery `NameMayNotBe`). */
const MAY_NOT_BE = [".", ".."];
/** Characters that would split or re-encode a path segment (apimachinery `NameMayNotContain`). */
const MAY_NOT_CONTAIN = ["/", "%"];

/**
 * What is wrong with `value` as one path segment, in apimachinery's words
 * (`path.IsValidPathSegmentName`): empty when nothing is.
 *
 * @param value A name, namespace, resource or subresource.
 * @returns Such as `["may not be '.'"]` or `["may not contain '/'", "may not contain '%'"]`.
 */
export function pathSegmentProblems(value: string): string[] {
  if (MAY_NOT_BE.includes(value)) return [`may not be '${value}'`];
  return MAY_NOT_CONTAIN.filter((c) => value.includes(c)).map((c) =>
    `may not contain '${c}'`
  );
}

/**
 * Checks one part of a path and returns it encoded as a segment.
 *
 * @param field Which part it is, for the error.
 * @param value The part.
 * @param context What is being addressed, for the error (`ConfigMap (v1)`).
 * @returns The segment, percent-encoded.
 * @throws {PathSegmentError} When it is empty, `.` or `..`, or contains `/` or `%`.
 */
export function pathSegment(
  field: PathSegmentField,
  value: string,
  context?: string,
): string {
  if (typeof value !== "string" || value === "") {
    throw new PathSegmentError(
      field,
      typeof value === "string" ? value : String(value),
      ["may not be empty"],
      context,
    );
  }
  const problems = pathSegmentProblems(value);
  if (problems.length) {
    throw new PathSegmentError(field, value, problems, context);
  }
  return encodeURIComponent(value);
}

/**
 * The path of a group-version: `/api/v1` for the core group, else
 * `/apis/GROUP/VERSION` (discovery reads it; object paths start with it).
 *
 * @param group The API group, `""` for core.
 * @param version The version.
 * @param context What is addressed, for errors.
 * @returns Such as `/apis/apps/v1`.
 * @throws {PathSegmentError} When the version is empty, or either is `.`
 *   or `..` or contains `/` or `%`.
 */
export function groupVersionPath(
  group: string,
  version: string,
  context?: string,
): string {
  const v = pathSegment("version", version, context);
  return group
    ? `/apis/${pathSegment("group", group, context)}/${v}`
    : `/api/${v}`;
}

/** The parts of an API path. */
export interface ApiPathParts {
  /** `version` or `group/version`, such as `v1` or `apps/v1`; or give `group` and `version`. */
  apiVersion?: string;
  /** The API group (`""` for core). @default {read from `apiVersion`} */
  group?: string;
  /** The version. @default {read from `apiVersion`} */
  version?: string;
  /** The plural resource, such as `pods` or `deployments`. */
  resource: string;
  /** Whether the resource lives in namespaces; a cluster-scoped one ignores `namespace`. @default {true} */
  namespaced?: boolean;
  /** The namespace; leave it out for a collection across all namespaces. @default {none} */
  namespace?: string;
  /** The object's name; leave it out for the collection. @default {none} */
  name?: string;
  /** A subresource such as `status`, `scale`, `log` or `exec` (needs `name`). @default {none} */
  subresource?: string;
  /** What is addressed, for errors. @default {`RESOURCE (APIVERSION)`} */
  context?: string;
}

/**
 * The API path of a collection, an object or a subresource, each part
 * checked as the apiserver checks names before anything is sent.
 *
 * @param parts Group and version (or `apiVersion`), resource, scope, namespace, name, subresource.
 * @returns Such as `/api/v1/namespaces/web/pods/site-0/log` or `/apis/apps/v1/deployments`.
 * @throws {PathSegmentError} When a part is `.` or `..`, contains `/` or `%`,
 *   is empty (the name, a namespace given as `""`, the resource, the
 *   version), or a subresource is asked for without a name.
 */
export function apiPath(parts: ApiPathParts): string {
  let { group, version } = parts;
  if (parts.apiVersion !== undefined) {
    const slash = parts.apiVersion.indexOf("/");
    group = slash === -1 ? "" : parts.apiVersion.slice(0, slash);
    version = slash === -1
      ? parts.apiVersion
      : parts.apiVersion.slice(slash + 1);
  }
  group ??= "";
  const apiVersion = group ? `${group}/${version}` : version;
  const context = parts.context ?? `${parts.resource} (${apiVersion})`;
  let path = groupVersionPath(group, version ?? "", context);
  if ((parts.namespaced ?? true) && parts.namespace !== undefined) {
    path += `/namespaces/${pathSegment("namespace", parts.namespace, context)}`;
  }
  path += `/${pathSegment("resource", parts.resource, context)}`;
  if (parts.name !== undefined) {
    path += `/${pathSegment("name", parts.name, context)}`;
  }
  if (parts.subresource !== undefined) {
    if (parts.name === undefined) {
      throw new PathSegmentError(
        "name",
        "",
        ["may not be empty"],
        `${context} ${parts.subresource}`,
      );
    }
    path += `/${pathSegment("subresource", parts.subresource, context)}`;
  }
  return path;
}
