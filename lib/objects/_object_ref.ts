// The one builder of an object's reference from the object itself. The
// public `refOf` (which insists on every field), the dynamic client (which
// insists on a name) and `apply`'s errors (which name the object as far as
// it names itself) all take the fields here, so the reference has one shape
// everywhere: a namespace only when the object has a non-empty one.

// Shapes written out rather than imported: kubernetes_object.ts builds
// `refOf` on this, and the import gate allows no cycle, types included.

/** The fields of an object a reference is taken from. */
interface Named {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string };
}

/** An `ObjectRef` (kubernetes_object.ts), structurally. */
interface Ref {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/**
 * The object's reference as far as it names itself: no check, name `""`
 * when missing.
 *
 * @param obj The object.
 * @returns Its reference (`namespace` only when set and not empty).
 */
export function partialRefOf(obj: Named): Ref {
  const namespace = obj.metadata?.namespace;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata?.name ?? "",
    ...(namespace ? { namespace } : {}),
  };
}
