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
 *   unreadable `contains-group-kinds`), or is not a Secret or ConfigMap.
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

/** The parent of an applied set, as named to {@link AppliedSetError}. */
export interface AppliedSetParentRef {
  /** `Secret` or `ConfigMap` (core `v1`). */
  kind: "Secret" | "ConfigMap";
  /** Its name. */
  name: string;
  /** Its namespace. */
  namespace: string;
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
      `applied set ${parent.kind} ${parent.namespace}/${parent.name}: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "AppliedSetError";
    this.reason = reason;
    this.parent = parent;
  }
}
