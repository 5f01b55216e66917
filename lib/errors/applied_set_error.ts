// The error of an applied set (kubectl's ApplySet, KEP-3659): a parent that
// is not ours to change, an object that belongs to another set, a prune or
// parent update that failed.

import { KubernetesClientError } from "./kubernetes_client_error.ts";

/**
 * Why an applied set could not be applied, listed, pruned or deleted.
 *
 * - `ForeignTooling`: the parent's `applyset.kubernetes.io/tooling`
 *   annotation names another tool (kubectl refuses such a parent too:
 *   "Tooling should refuse to mutate ApplySets belonging to other tools").
 * - `InvalidParent`: the parent exists but is not this set's parent (no
 *   tooling annotation, no or another `applyset.kubernetes.io/id` label, an
 *   unreadable `contains-group-kinds`), or cannot be a parent: not a
 *   Secret or ConfigMap, nor a custom resource whose CRD carries the label
 *   `applyset.kubernetes.io/is-parent-type`; a namespaced parent without a
 *   namespace, a cluster-scoped one with one; a custom resource parent
 *   that does not exist (it is not created for you, as kubectl does not).
 * - `ForeignMember`: an object to apply carries an
 *   `applyset.kubernetes.io/part-of` label naming another set.
 * - `PruneFailed`: an object that left the set could not be listed or deleted.
 * - `ParentUpdateFailed`: the parent could not be read or written.
 */
export type AppliedSetErrorReason =
  | "ForeignTooling"
  | "InvalidParent"
  | "ForeignMember"
  | "PruneFailed"
  | "ParentUpdateFailed";

/**
 * The parent of an applied set: a Secret or ConfigMap (core `v1`), or a
 * custom resource whose CustomResourceDefinition carries the label
 * `applyset.kubernetes.io/is-parent-type` (KEP-3659), namespaced or
 * cluster-scoped.
 */
export interface AppliedSetParentRef {
  /**
   * `group/version` of a custom resource parent, such as
   * `example.com/v1`; the version is only for reading and writing it (the
   * set's id names the group, not the version).
   * @default {"v1": a Secret or ConfigMap}
   */
  apiVersion?: string;
  /** `Secret`, `ConfigMap`, or a custom resource's kind. */
  kind: string;
  /** Its name. */
  name: string;
  /** Its namespace; none for a cluster-scoped custom resource. */
  namespace?: string;
}

/** `Kind ns/name`, `Kind.group name` for a custom resource: the parent as messages name it. */
function describeParent(parent: AppliedSetParentRef): string {
  const slash = parent.apiVersion?.indexOf("/") ?? -1;
  const group = slash > 0 ? `.${parent.apiVersion!.slice(0, slash)}` : "";
  const where = parent.namespace ? `${parent.namespace}/` : "";
  return `${parent.kind}${group} ${where}${parent.name}`;
}

/** An applied set cannot be used as asked; `reason` says why. */
export class AppliedSetError extends KubernetesClientError {
  /** What kind of failure this is. */
  readonly reason: AppliedSetErrorReason;
  /** The set's parent. */
  readonly parent: AppliedSetParentRef;

  /**
   * Builds the error, naming the parent.
   *
   * @param reason Why.
   * @param parent The parent object.
   * @param detail What was expected and what was found.
   * @param cause The underlying error, if any.
   */
  constructor(
    reason: AppliedSetErrorReason,
    parent: AppliedSetParentRef,
    detail: string,
    cause?: unknown,
  ) {
    super(
      `applied set ${describeParent(parent)}: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "AppliedSetError";
    this.reason = reason;
    this.parent = parent;
  }
}
