// Merging kubeconfigs the way kubectl merges `$KUBECONFIG`: for every named
// cluster, user and context, and for `current-context`, the first
// configuration that defines it wins. Works on documents and their origins.

import type {
  ClusterConfig,
  ContextConfig,
  KubeConfigOrigins,
  RawKubeConfig,
  UserConfig,
} from "./types.ts";

/** A document with where its entries came from. */
export interface SourcedConfig {
  /** The document. */
  data: RawKubeConfig;
  /** The files it was read from, in merge order. */
  files: readonly string[];
  /** Which file defined an entry. */
  sourceOf(
    kind: "context" | "cluster" | "user" | "current-context",
    name?: string,
  ): string | undefined;
}

/**
 * Merges documents, highest priority first.
 *
 * @param configs The documents.
 * @returns The merged document and its origins.
 */
export function mergeSourced(
  configs: SourcedConfig[],
): { data: RawKubeConfig; origins: KubeConfigOrigins } {
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
  return {
    data: {
      apiVersion: "v1",
      kind: "Config",
      ...(currentContext ? { "current-context": currentContext } : {}),
      contexts: [...contexts.values()],
      clusters: [...clusters.values()],
      users: [...users.values()],
      preferences,
    },
    origins: { files, entries },
  };
}
