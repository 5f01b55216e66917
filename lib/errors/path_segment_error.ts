// The error of a name, namespace or other part of an API path that cannot be
// one path segment: the rules are apimachinery's (`path.IsValidPathSegmentName`),
// the wording client-go's, so the message reads as kubectl's does.

import { brandClientError } from "./kubernetes_client_error.ts";

/**
 * Why a value cannot be a path segment: `EmptySegment` where one is
 * needed, `InvalidSegment` for `.`, `..` or a `/` or `%` in it.
 */
export type PathSegmentErrorReason = "EmptySegment" | "InvalidSegment";

/** The part of an API path a {@link PathSegmentError} is about. */
export type PathSegmentField =
  | "group"
  | "version"
  | "resource"
  | "namespace"
  | "name"
  | "subresource";

/** How client-go names each part in its errors (`invalid resource name "."`). */
const LABELS: Record<PathSegmentField, string> = {
  group: "group",
  version: "version",
  resource: "resource",
  namespace: "namespace",
  name: "resource name",
  subresource: "subresource",
};

/**
 * A name, namespace, resource or subresource that cannot be one segment of
 * an API path: empty where one is needed, `.` or `..` (which URLs resolve
 * to another object's path: the collection, or the namespace itself), or
 * containing `/` or `%` (apimachinery's `path.IsValidPathSegmentName`, which
 * the apiserver and kubectl apply). Thrown before any request is sent.
 * A `TypeError`, as a bad argument is, and (by its brand) a
 * `KubernetesClientError`.
 *
 * @example
 * ```ts
 * import { PathSegmentError } from "@denokube/transport/errors";
 * import { DynamicClient } from "@denokube/transport/objects";
 *
 * async function remove(dyn: DynamicClient, name: string): Promise<void> {
 *   try {
 *     await dyn.delete({ apiVersion: "v1", kind: "ConfigMap", name, namespace: "web" });
 *   } catch (err) {
 *     if (err instanceof PathSegmentError) console.error(err.field, err.value, err.problems);
 *     throw err;
 *   }
 * }
 * ```
 */
export class PathSegmentError extends TypeError {
  /** `EmptySegment` or `InvalidSegment`. */
  readonly reason: PathSegmentErrorReason;
  /** Which part of the path is wrong. */
  readonly field: PathSegmentField;
  /** The value given (not a secret: names travel in paths and logs). */
  readonly value: string;
  /** What is wrong with it, in apimachinery's words (`may not be '.'`, `may not contain '/'`, `may not be empty`). */
  readonly problems: readonly string[];

  /**
   * Builds the error: `CONTEXT: invalid resource name ".": [may not be '.']`.
   *
   * @param field Which part of the path is wrong.
   * @param value The value given.
   * @param problems What is wrong with it.
   * @param context What was being addressed, such as `ConfigMap (v1)`.
   */
  constructor(
    field: PathSegmentField,
    value: string,
    problems: readonly string[],
    context?: string,
  ) {
    const what = value === ""
      ? `${LABELS[field]} may not be empty`
      : `invalid ${LABELS[field]} ${JSON.stringify(value)}: [${
        problems.join(", ")
      }]`;
    super(context ? `${context}: ${what}` : what);
    brandClientError(this);
    this.name = "PathSegmentError";
    this.reason = value === "" ? "EmptySegment" : "InvalidSegment";
    this.field = field;
    this.value = value;
    this.problems = problems;
  }
}
