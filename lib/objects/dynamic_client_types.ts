// What a DynamicClient takes and answers: collection references, the
// options of each verb, patch types and their content types, list results.

import type { KubernetesObject, ObjectRef } from "./kubernetes_object.ts";
import type { RestMapper, RestMapperOptions } from "./rest_mapper.ts";

/**
 * A collection: every object of a kind in a namespace, or in all of them.
 * An {@link ObjectRef} without the name (one reference type: its
 * `apiVersion`, `kind` and `namespace` are the same fields).
 */
export interface CollectionRef extends Omit<ObjectRef, "name"> {
  /** Every namespace instead of one (`namespace` is then ignored). @default {false} */
  allNamespaces?: boolean;
}

/** Options for {@link DynamicClient.list}. */
export interface ListOptions {
  /** Such as `app=web,tier!=cache`. */
  labelSelector?: string;
  /** Such as `metadata.name=web` or `status.phase=Running`. */
  fieldSelector?: string;
  /** Objects per page; every page is fetched. @default {500} */
  limit?: number;
  /**
   * Ask for `PartialObjectMetadata` (`{ kind, apiVersion: "meta.k8s.io/v1",
   * metadata }` per object) instead of whole objects; full objects from a
   * server that cannot serve the partial form are cut down to it (see
   * `listWatch` in `lib/watch/list_watch.ts`).
   * @default {false: whole objects}
   */
  metadataOnly?: boolean;
  /** Cancels the list. */
  signal?: AbortSignal;
}

/** Every object of a collection, at one resourceVersion. */
export interface ObjectList<T = KubernetesObject> {
  /** Such as `apps/v1`. */
  apiVersion: string;
  /** Such as `DeploymentList`. */
  kind: string;
  /** The snapshot's `resourceVersion`: watch from here to miss nothing. */
  metadata: { resourceVersion?: string };
  /** The objects, from every page. */
  items: T[];
}

/** Options shared by every write. */
export interface WriteOptions {
  /** Validate and answer as if written, writing nothing (`dryRun=All`). @default {false} */
  dryRun?: boolean;
  /** Who owns the fields written (server-side field management). @default {the client's `fieldManager`} */
  fieldManager?: string;
  /** Write a subresource such as `status` or `scale` instead of the object. */
  subresource?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** How a patch is interpreted. */
export type PatchType = "merge" | "json" | "strategic" | "apply";

/** The `Content-Type` of each patch type. */
export const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
};

/** Options for {@link DynamicClient.patch}. */
export interface PatchOptions extends WriteOptions {
  /**
   * `merge` (RFC 7386), `json` (RFC 6902, a list of operations),
   * `strategic` (built-in kinds only: lists merged by key) or `apply`
   * (server-side apply: needs a field manager).
   * @default {"merge"}
   */
  type?: PatchType;
  /** With `apply`: take over fields other managers own instead of failing with 409. @default {false} */
  force?: boolean;
}

/** Options for {@link DynamicClient.apply}. */
export interface ApplyObjectOptions extends WriteOptions {
  /** Take over fields other managers own instead of failing with 409 Conflict. @default {false} */
  force?: boolean;
}

/** Options for {@link DynamicClient.delete}. */
export interface DeleteOptions {
  /**
   * What happens to dependents (a Deployment's ReplicaSets and pods):
   * `Background` deletes them after the object, `Foreground` before it
   * is gone, `Orphan` keeps them.
   * @default {the kind's server default: Background for most}
   */
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  /** Seconds a pod gets to stop; 0 is immediate. @default {the object's own} */
  gracePeriodSeconds?: number;
  /** Validate only (`dryRun=All`). @default {false} */
  dryRun?: boolean;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** Options for {@link DynamicClient.watch}. */
export interface WatchOptions {
  /** Start after this version (from a list); omitted: synthetic ADDED events for what exists first. */
  resourceVersion?: string;
  /** Such as `app=web`. */
  labelSelector?: string;
  /** Such as `metadata.name=web`. */
  fieldSelector?: string;
  /** Ask the server for BOOKMARK events. @default {true} */
  allowWatchBookmarks?: boolean;
  /** The server ends the watch after this long. @default {the server's: 30–60 minutes} */
  timeoutSeconds?: number;
  /**
   * Ask for `PartialObjectMetadata` (`{ kind, apiVersion: "meta.k8s.io/v1",
   * metadata }` per object) instead of whole objects; full objects from a
   * server that cannot serve the partial form are cut down to it (see
   * `listWatch` in `lib/watch/list_watch.ts`).
   * @default {false: whole objects}
   */
  metadataOnly?: boolean;
  /** Ends the watch (the stream errors with the signal's reason). */
  signal?: AbortSignal;
}

/** Options for a {@link DynamicClient}. */
export interface DynamicClientOptions extends RestMapperOptions {
  /** A mapper (and its discovery cache) to share. @default {a new one on the client} */
  mapper?: RestMapper;
  /**
   * The field manager of writes that do not name one. Server-side apply
   * needs one; the others record it in `managedFields`.
   * @default {"denokube"}
   */
  fieldManager?: string;
}
