/**
 * The shape every Kubernetes object shares, as plain JSON, and the reference
 * (`apiVersion`, `kind`, name, namespace) the dynamic client, `apply` and
 * `waitFor` address objects by.
 *
 * @module
 */

import { partialRefOf } from "./_object_ref.ts";
import type { JSONValue } from "../contract.ts";

/** The metadata fields the helpers read; any others pass through. */
export interface ObjectMeta {
  /** The object's name. */
  name?: string;
  /** A prefix the server completes into a unique name (create only). */
  generateName?: string;
  /** The namespace, for namespaced kinds. */
  namespace?: string;
  /** Set by the server. */
  uid?: string;
  /** Set by the server; changes with every write. */
  resourceVersion?: string;
  /** Set by the server; changes with every spec change. */
  generation?: number;
  /** Labels. */
  labels?: Record<string, string>;
  /** Annotations. */
  annotations?: Record<string, string>;
  /** Set when deletion has begun. */
  deletionTimestamp?: string;
  /** Any other metadata field. */
  [key: string]: JSONValue;
}

/** Any Kubernetes object, as plain JSON. */
export interface KubernetesObject {
  /** Such as `v1` or `apps/v1`. */
  apiVersion: string;
  /** Such as `Deployment`. */
  kind: string;
  /** Name, namespace, labels, …. */
  metadata?: ObjectMeta;
  /** Any other field (`spec`, `status`, `data`, …). */
  [key: string]: JSONValue;
}

/** One object, by type and name. */
export interface ObjectRef {
  /** Such as `v1` or `apps/v1`. */
  apiVersion: string;
  /** Such as `Deployment`. */
  kind: string;
  /** The object's name. */
  name: string;
  /**
   * The namespace, for namespaced kinds (ignored for cluster-scoped ones).
   * @default {the client's `defaultNamespace`, else `default`}
   */
  namespace?: string;
}

/**
 * The reference of an object: its `apiVersion`, `kind`, name and namespace.
 *
 * @param obj An object with `metadata.name`.
 * @returns Its reference.
 * @throws {TypeError} When the object has no `apiVersion`, `kind` or name.
 *
 * @example
 * ```ts
 * import { refOf } from "@denokube/transport/objects";
 *
 * const ref = refOf({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "web" } });
 * console.log(ref.name); // "settings"
 * ```
 */
export function refOf(obj: KubernetesObject): ObjectRef {
  const name = obj.metadata?.name;
  if (typeof obj.apiVersion !== "string" || obj.apiVersion === "") {
    throw new TypeError("object: apiVersion is missing");
  }
  if (typeof obj.kind !== "string" || obj.kind === "") {
    throw new TypeError(
      `object of apiVersion ${obj.apiVersion}: kind is missing`,
    );
  }
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`${obj.kind}: metadata.name is missing`);
  }
  return partialRefOf(obj);
}

/**
 * A short human name for a reference: `Deployment web/site (apps/v1)`. The
 * one way an object is named in messages (waits, applies, scales, the
 * dynamic client's errors).
 *
 * @param ref The reference; a collection's (no name) reads `(unnamed)`.
 * @returns The name, for messages.
 */
export function describeRef(
  ref: Omit<ObjectRef, "name"> & { name?: string },
): string {
  const where = ref.namespace ? `${ref.namespace}/` : "";
  return `${ref.kind} ${where}${ref.name ?? "(unnamed)"} (${ref.apiVersion})`;
}
