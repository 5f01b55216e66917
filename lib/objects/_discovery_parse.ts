// Reading discovery documents — legacy (APIVersions, APIGroupList,
// APIResourceList) and aggregated (APIGroupDiscoveryList) — into groups and
// resources, checking every field and naming the path and field that is wrong.

import type { JSONValue } from "../contract.ts";
import {
  type ApiGroup,
  type ApiResource,
  type ApiSubresource,
  DiscoveryError,
} from "./discovery_types.ts";

/** A JSON object. */
export type Obj = { [key: string]: JSONValue };

/** Whether a JSON value is an object (not null, not an array). */
export function isObject(v: JSONValue | undefined): v is Obj {
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

/** Reads the core group from `/api`'s APIVersions into `groups`. */
export function readApiVersions(
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

/** Reads `/apis`' APIGroupList into `groups`, preferred version first. */
export function readApiGroupList(
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

/** Reads one group-version's APIResourceList, subresources folded into their parents. */
export function readApiResourceList(
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

/** Reads an APIGroupDiscoveryList into `groups` and (for group-versions not marked Stale) `resources`. */
export function readAggregated(
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
