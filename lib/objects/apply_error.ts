// The error of an apply or a delete of applied objects, what an apply
// returns per object, and how both name an object.

import type { KubernetesObject, ObjectRef } from "./kubernetes_object.ts";

export {
  type AppliedObject,
  ApplyError,
  type ApplyErrorReason,
} from "../errors/apply_error.ts";

/** The object's reference as far as it names itself (name `""` when missing). */
export function refOfObj(obj: KubernetesObject): ObjectRef {
  const ns = obj.metadata?.namespace;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata?.name ?? "",
    ...(ns ? { namespace: ns } : {}),
  };
}

/** An error's message, or the thrown value as text. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
