/**
 * Applied sets: kubectl's ApplySet (KEP-3659) for `apply`. A parent object
 * (a Secret or ConfigMap, or a custom resource whose CRD carries the label
 * `applyset.kubernetes.io/is-parent-type`) records which group-kinds and
 * namespaces the set spans; every member carries the label `applyset.kubernetes.io/part-of`
 * with the parent's id. After an apply, members that left the manifest are
 * pruned. {@link listAppliedSet} reads the set back with a status line per
 * object, {@link deleteAppliedSet} deletes it in reverse apply order and
 * then the parent.
 *
 * The labels, annotations, id and the order of writes follow kubectl
 * (staging/src/k8s.io/kubectl/pkg/cmd/apply/applyset.go, v1.27–v1.32):
 * the parent is updated to the union of the previous and the new set
 * before anything is applied (so an interrupted apply leaks nothing), the
 * objects are applied, what left the set is deleted (propagation
 * `Background`), and the parent shrinks to the new set.
 *
 * A custom resource parent is checked as kubectl checks it (`Validate`):
 * its kind must be served, its CRD (`<plural>.<group>`) must carry the
 * label `applyset.kubernetes.io/is-parent-type` (any value: kubectl
 * selects on the key), a namespaced one needs a namespace, and it must
 * exist already ("custom resource ApplySet parents cannot be created
 * automatically"). A cluster-scoped parent records every namespace of the
 * set in `additional-namespaces`; its id hashes an empty namespace.
 *
 * Permissions: whatever the transport needs; nothing more.
 *
 * @module
 */

import { errorText } from "../_internal/error_text.ts";
import type { RestClient } from "../contract.ts";
import {
  AppliedSetError,
  type AppliedSetParentRef,
  KubernetesApiError,
} from "../errors/mod.ts";
import { DynamicClient } from "./dynamic_client.ts";
import type { KubernetesObject, ObjectRef } from "./kubernetes_object.ts";
import { UnknownKindError } from "./rest_mapper.ts";
import { summarize } from "./wait.ts";
import type { AppliedObject } from "./apply_error.ts";
import {
  deleteApplied,
  type DeleteAppliedOptions,
  type DeletedObject,
} from "./delete_applied.ts";
import { pathSegment } from "../_wire/api_path.ts";

export type { AppliedSetParentRef } from "../errors/mod.ts";

// Label and annotation keys of the ApplySet specification
// (https://git.k8s.io/enhancements/keps/sig-cli/3659-kubectl-apply-prune).
const ID_LABEL = "applyset.kubernetes.io/id";
const PART_OF_LABEL = "applyset.kubernetes.io/part-of";
const TOOLING = "applyset.kubernetes.io/tooling";
const GROUP_KINDS = "applyset.kubernetes.io/contains-group-kinds";
const NAMESPACES = "applyset.kubernetes.io/additional-namespaces";
const IS_PARENT_TYPE = "applyset.kubernetes.io/is-parent-type";

/**
 * The tooling this library writes: `name/version`, as the specification
 * asks (kubectl writes `kubectl/v1.32.0`). Kept equal to deno.json's
 * version by test/unit/objects/applyset_test.ts.
 */
export const APPLIED_SET_TOOLING = "denokube/v0.9.0";

/** The applied-set option of `apply`. */
export interface AppliedSetOptions {
  /** The parent object; created when missing. */
  parent: AppliedSetParentRef;
  /**
   * The `applyset.kubernetes.io/tooling` value, `name/version`. A parent
   * whose tooling names another tool is refused; the parent's field
   * manager is `<name>-applyset`, as kubectl's.
   * @default {APPLIED_SET_TOOLING ("denokube/v0.9.0")}
   */
  tooling?: string;
  /** Called with each object pruned (deleted because it left the set). */
  onPrune?: (ref: ObjectRef) => void;
}

/**
 * The id of a set with this parent, as kubectl computes it:
 * `applyset-` + base64url(sha256(`<name>.<namespace>.<kind>.<group>`)) +
 * `-v1`, no padding (applyset.go `ApplySet.ID`). The group of Secret and
 * ConfigMap is core, `""`; a custom resource's is its `apiVersion`'s; a
 * cluster-scoped parent's namespace is `""`.
 *
 * @param parent The parent, or its group given outright.
 * @returns The value of the parent's `applyset.kubernetes.io/id` label and of each member's `part-of` label.
 */
export async function appliedSetId(
  parent: AppliedSetParentRef | {
    kind: string;
    name: string;
    namespace: string;
    group: string;
  },
): Promise<string> {
  const group = "group" in parent
    ? parent.group
    : groupOf(parent.apiVersion ?? "v1");
  const text = [parent.name, parent.namespace ?? "", parent.kind, group].join(
    ".",
  );
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  const b64 = btoa(String.fromCharCode(...hash)).replaceAll("+", "-")
    .replaceAll("/", "_").replace(/=+$/, "");
  return `applyset-${b64}-v1`;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** A group-kind as the annotation writes it: `Kind.group`, `Kind` for core. */
function groupKind(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? kind : `${kind}.${apiVersion.slice(0, slash)}`;
}

function splitList(value: string | undefined): string[] {
  return value ? value.split(",").filter((s) => s !== "") : [];
}

function toolName(tooling: string): string {
  // kubectl's toolingBaseName: everything before the last `/`.
  const i = tooling.lastIndexOf("/");
  return i < 0 ? tooling : tooling.slice(0, i);
}

/** A parent checked and resolved: what its id, reads and writes need. */
interface Parent {
  /** As the caller named it (errors name it so). */
  ref: AppliedSetParentRef;
  /** The parent as an object reference (`v1` for a Secret or ConfigMap). */
  object: ObjectRef;
  /** A Secret or ConfigMap: created when missing. A custom resource is not. */
  builtin: boolean;
}

/** What the parent records. */
interface Recorded {
  groupKinds: Set<string>;
  /** Including the parent's own namespace, when it has one. */
  namespaces: Set<string>;
}

/** The checks that need no request: names, and the namespace of a Secret or ConfigMap. */
function checkParentRef(parent: AppliedSetParentRef): void {
  const invalid = (detail: string, cause?: unknown) =>
    new AppliedSetError("InvalidParent", parent, detail, cause);
  try {
    pathSegment("name", parent.name);
    if (parent.namespace !== undefined) {
      pathSegment("namespace", parent.namespace);
    }
  } catch (err) {
    throw invalid(errorText(err), err);
  }
  const apiVersion = parent.apiVersion ?? "v1";
  if (!/^([^/]+\/)?[^/]+$/.test(apiVersion)) {
    throw invalid(
      `expected apiVersion as group/version, found ${
        JSON.stringify(apiVersion)
      }`,
    );
  }
  if (groupOf(apiVersion) !== "") return;
  if (parent.kind !== "Secret" && parent.kind !== "ConfigMap") {
    throw invalid(
      `expected a Secret, a ConfigMap or a custom resource (apiVersion group/version) whose CustomResourceDefinition carries the label ${IS_PARENT_TYPE}, found ${
        JSON.stringify(parent.kind)
      } of ${JSON.stringify(apiVersion)}`,
    );
  }
  if (!parent.namespace) {
    // kubectl: "namespace is required to use namespace-scoped ApplySet".
    throw invalid(
      `expected a namespace for a ${parent.kind} parent, found none`,
    );
  }
}

/**
 * Checks the parent as kubectl's `ApplySet.Validate` does and resolves it:
 * a Secret or ConfigMap as it is; a custom resource's kind must be served,
 * its scope must match the namespace given, and its CRD must carry the
 * label `applyset.kubernetes.io/is-parent-type` (kubectl lists CRDs with
 * that key and compares `<plural>.<group>`).
 */
async function resolveParent(
  dyn: DynamicClient,
  parent: AppliedSetParentRef,
  signal: AbortSignal | undefined,
): Promise<Parent> {
  checkParentRef(parent);
  const apiVersion = parent.apiVersion ?? "v1";
  const object: ObjectRef = {
    apiVersion,
    kind: parent.kind,
    name: parent.name,
    ...(parent.namespace ? { namespace: parent.namespace } : {}),
  };
  if (groupOf(apiVersion) === "") return { ref: parent, object, builtin: true };
  const invalid = (detail: string, cause?: unknown) =>
    new AppliedSetError("InvalidParent", parent, detail, cause);
  let mapping;
  let permitted: Set<string>;
  try {
    mapping = await dyn.mapping(apiVersion, parent.kind);
    const crds = await dyn.list({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
    }, { labelSelector: IS_PARENT_TYPE, metadataOnly: true, signal });
    permitted = new Set(crds.items.map((c) => c.metadata?.name ?? ""));
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (err instanceof UnknownKindError) {
      throw invalid(
        `the server serves no ${parent.kind} in ${apiVersion}`,
        err,
      );
    }
    throw new AppliedSetError(
      "ParentUpdateFailed",
      parent,
      `checking the parent's type failed: ${errorText(err)}`,
      err,
    );
  }
  if (mapping.namespaced && !parent.namespace) {
    throw invalid(
      `expected a namespace for the namespaced ${parent.kind}, found none`,
    );
  }
  if (!mapping.namespaced && parent.namespace) {
    throw invalid(
      `expected no namespace for the cluster-scoped ${parent.kind}, found ${
        JSON.stringify(parent.namespace)
      }`,
    );
  }
  const crd = `${mapping.resource}.${mapping.group}`;
  if (!permitted.has(crd)) {
    throw invalid(
      `expected the CustomResourceDefinition ${crd} to carry the label ${IS_PARENT_TYPE}, found none (kubectl: not permitted as an ApplySet parent)`,
    );
  }
  return { ref: parent, object, builtin: false };
}

/**
 * Reads the parent and what it records: `"missing"` when it does not
 * exist, `"unused"` (only with `adopt`) for a custom resource no set has
 * used yet. Checks the
 * id label and, when `tooling` is given, that it is ours.
 */
async function readParent(
  dyn: DynamicClient,
  resolved: Parent,
  id: string,
  tooling: string | undefined,
  signal: AbortSignal | undefined,
  adopt = false,
): Promise<Recorded | "missing" | "unused"> {
  const parent = resolved.ref;
  let live: KubernetesObject;
  try {
    live = await dyn.get(resolved.object, { signal });
  } catch (err) {
    if (err instanceof KubernetesApiError && err.isNotFound()) return "missing";
    if (signal?.aborted) throw signal.reason;
    throw new AppliedSetError(
      "ParentUpdateFailed",
      parent,
      `reading the parent failed: ${errorText(err)}`,
      err,
    );
  }
  const annotations = live.metadata?.annotations ?? {};
  const labels = live.metadata?.labels ?? {};
  const tool = annotations[TOOLING];
  if (
    adopt && !resolved.builtin && tool === undefined &&
    labels[ID_LABEL] === undefined && annotations[GROUP_KINDS] === undefined
  ) {
    // A custom resource of a parent type that no set has used yet: being a
    // parent is what it is for, so it becomes this set's (as a Secret or
    // ConfigMap is created). kubectl 1.27-1.36 refuses it instead until
    // someone writes the id label, the tooling and contains-group-kinds on
    // it by hand (kubernetes/kubernetes#125474).
    return "unused";
  }
  if (tool === undefined) {
    throw new AppliedSetError(
      "InvalidParent",
      parent,
      `expected the annotation ${TOOLING} on an existing parent, found none`,
    );
  }
  if (tooling !== undefined && toolName(tool) !== toolName(tooling)) {
    throw new AppliedSetError(
      "ForeignTooling",
      parent,
      `the parent is managed by tooling ${
        JSON.stringify(toolName(tool))
      } instead of ${JSON.stringify(toolName(tooling))}`,
    );
  }
  if (labels[ID_LABEL] !== id) {
    throw new AppliedSetError(
      "InvalidParent",
      parent,
      `expected the label ${ID_LABEL}=${id}, found ${
        labels[ID_LABEL] === undefined
          ? "none"
          : JSON.stringify(labels[ID_LABEL])
      }`,
    );
  }
  if (annotations[GROUP_KINDS] === undefined) {
    // kubectl requires it too ("'missing' means 'perform discovery'", which
    // it does not do): without it the set's members cannot be found.
    throw new AppliedSetError(
      "InvalidParent",
      parent,
      `expected the annotation ${GROUP_KINDS}, found none`,
    );
  }
  return {
    groupKinds: new Set(splitList(annotations[GROUP_KINDS])),
    namespaces: new Set([
      ...(parent.namespace ? [parent.namespace] : []),
      ...splitList(annotations[NAMESPACES]),
    ]),
  };
}

/** Server-side applies the parent's label and annotations, as kubectl's `updateParent`. */
async function writeParent(
  dyn: DynamicClient,
  resolved: Parent,
  id: string,
  tooling: string,
  recorded: Recorded,
  options: { dryRun?: boolean; signal?: AbortSignal },
): Promise<void> {
  const parent = resolved.ref;
  const patch: KubernetesObject = {
    apiVersion: resolved.object.apiVersion,
    kind: parent.kind,
    metadata: {
      name: parent.name,
      ...(parent.namespace ? { namespace: parent.namespace } : {}),
      labels: { [ID_LABEL]: id },
      annotations: {
        [TOOLING]: tooling,
        [GROUP_KINDS]: [...recorded.groupKinds].sort().join(","),
        [NAMESPACES]: [...recorded.namespaces].filter((n) =>
          n !== parent.namespace
        ).sort().join(","),
      },
    },
  };
  const fieldManager = `${toolName(tooling)}-applyset`;
  try {
    try {
      await dyn.apply(patch, { fieldManager, ...options });
    } catch (err) {
      // kubectl retries a conflict with force: the set's field manager
      // should own these fields.
      if (!(err instanceof KubernetesApiError && err.isConflict())) throw err;
      await dyn.apply(patch, { fieldManager, force: true, ...options });
    }
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new AppliedSetError(
      "ParentUpdateFailed",
      parent,
      `updating the parent failed: ${errorText(err)}`,
      err,
    );
  }
}

/** What `apply` keeps between {@link beginAppliedSet} and {@link finishAppliedSet}. */
export interface AppliedSetRun {
  /** The set's id. */
  id: string;
  /** The objects to apply, each labelled as a member. */
  objects: KubernetesObject[];
  /** What the parent recorded before (empty for a new parent). */
  previous: Recorded;
  /** The option as given. */
  options: AppliedSetOptions;
  /** The parent, checked. */
  parent: Parent;
}

/**
 * Before `apply` writes anything: checks the parent (ours, this set's id)
 * and the objects (no `part-of` label of another set), records the union
 * of the previous and the new group-kinds and namespaces on the parent,
 * and labels the objects.
 *
 * @param dyn The client.
 * @param objects The objects to apply.
 * @param defaultNs The namespace of namespaced objects that name none.
 * @param set The applied-set option.
 * @param options Dry run, a signal.
 * @returns The labelled objects and what the next step needs.
 * @throws {AppliedSetError} `ForeignTooling`, `InvalidParent`, `ForeignMember` (in the manifest or on the live object), `ParentUpdateFailed`.
 * @throws {KubernetesApiError} When listing a collection to find members of other sets fails.
 */
export async function beginAppliedSet(
  dyn: DynamicClient,
  objects: KubernetesObject[],
  defaultNs: string,
  set: AppliedSetOptions,
  options: { dryRun?: boolean; signal?: AbortSignal },
): Promise<AppliedSetRun> {
  const parent = set.parent;
  checkParentRef(parent);
  const tooling = set.tooling ?? APPLIED_SET_TOOLING;
  if (!/^[^/]+(\/[^/]+)*\/[^/]+$/.test(tooling)) {
    throw new AppliedSetError(
      "InvalidParent",
      parent,
      `expected tooling as name/version, found ${JSON.stringify(tooling)}`,
    );
  }
  const id = await appliedSetId(parent);
  for (const obj of objects) {
    const label = obj.metadata?.labels?.[PART_OF_LABEL];
    if (label !== undefined && label !== id) {
      throw new AppliedSetError(
        "ForeignMember",
        parent,
        `${obj.kind} ${obj.metadata?.name}: expected no ${PART_OF_LABEL} label or ${id}, found ${
          JSON.stringify(label)
        } (the object belongs to another set)`,
      );
    }
  }
  const resolved = await resolveParent(dyn, parent, options.signal);
  const previous = await readParent(
    dyn,
    resolved,
    id,
    tooling,
    options.signal,
    true,
  );
  if (previous === "missing" && !resolved.builtin) {
    throw new AppliedSetError(
      "InvalidParent",
      parent,
      "expected the custom resource parent to exist, found none (it is not created for you, as kubectl does not: create it first)",
    );
  }
  const recorded = typeof previous === "object" ? previous : {
    groupKinds: new Set<string>(),
    namespaces: new Set(parent.namespace ? [parent.namespace] : []),
  };
  const union: Recorded = {
    groupKinds: new Set(recorded.groupKinds),
    namespaces: new Set(recorded.namespaces),
  };
  // Names per collection, to find live objects that belong to another set.
  const collections = new Map<
    string,
    { apiVersion: string; kind: string; namespace?: string; names: Set<string> }
  >();
  for (const obj of objects) {
    union.groupKinds.add(groupKind(obj.apiVersion, obj.kind));
    let namespaced = true;
    try {
      namespaced = (await dyn.mapping(obj.apiVersion, obj.kind)).namespaced;
    } catch (err) {
      // A custom resource whose CRD is in this batch: assume namespaced (a
      // namespace too many is harmless; the parent shrinks after the apply).
      // None of its objects exists yet, so none can belong to another set.
      if (!(err instanceof UnknownKindError)) throw err;
      union.namespaces.add(obj.metadata?.namespace || defaultNs);
      continue;
    }
    const namespace = namespaced
      ? obj.metadata?.namespace || defaultNs
      : undefined;
    if (namespace) union.namespaces.add(namespace);
    const key = `${obj.apiVersion} ${obj.kind} ${namespace ?? ""}`;
    const c = collections.get(key) ??
      {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        namespace,
        names: new Set(),
      };
    c.names.add(obj.metadata!.name!);
    collections.set(key, c);
  }
  await refuseMembersOfOtherSets(
    dyn,
    parent,
    id,
    [...collections.values()],
    options.signal,
  );
  await writeParent(dyn, resolved, id, tooling, union, options);
  const labelled = objects.map((obj) => ({
    ...obj,
    metadata: {
      ...obj.metadata,
      labels: { ...obj.metadata?.labels, [PART_OF_LABEL]: id },
    },
  }));
  return {
    id,
    objects: labelled,
    previous: recorded,
    options: set,
    parent: resolved,
  };
}

/**
 * Refuses live objects of the manifest that another set's label claims:
 * applying would move them silently (with the same field manager) into
 * this set, and the other set would lose track of them. One list per
 * collection, selecting objects with a `part-of` label other than ours.
 */
async function refuseMembersOfOtherSets(
  dyn: DynamicClient,
  parent: AppliedSetParentRef,
  id: string,
  collections: {
    apiVersion: string;
    kind: string;
    namespace?: string;
    names: Set<string>;
  }[],
  signal: AbortSignal | undefined,
): Promise<void> {
  for (const c of collections) {
    const list = await dyn.list({
      apiVersion: c.apiVersion,
      kind: c.kind,
      namespace: c.namespace,
    }, {
      labelSelector: `${PART_OF_LABEL},${PART_OF_LABEL}!=${id}`,
      metadataOnly: true,
      signal,
    });
    for (const item of list.items) {
      const name = item.metadata?.name;
      if (name === undefined || !c.names.has(name)) continue;
      throw new AppliedSetError(
        "ForeignMember",
        parent,
        `${c.kind} ${
          c.namespace ? `${c.namespace}/` : ""
        }${name}: expected no ${PART_OF_LABEL} label or ${id} on the live object, found ${
          JSON.stringify(item.metadata?.labels?.[PART_OF_LABEL])
        } (the object belongs to another set)`,
      );
    }
  }
}

/** Lists every member the parent records, as kubectl's pruner finds them. */
async function listMembers(
  dyn: DynamicClient,
  parent: AppliedSetParentRef,
  id: string,
  recorded: Recorded,
  signal: AbortSignal | undefined,
): Promise<KubernetesObject[]> {
  const out: KubernetesObject[] = [];
  const labelSelector = `${PART_OF_LABEL}=${id}`;
  for (const gk of [...recorded.groupKinds].sort()) {
    const dot = gk.indexOf(".");
    const kind = dot < 0 ? gk : gk.slice(0, dot);
    const group = dot < 0 ? "" : gk.slice(dot + 1);
    try {
      const version = await dyn.mapper.preferredVersion(group);
      // A group no longer served (its CRD deleted) has no objects left.
      if (version === undefined) continue;
      const apiVersion = group ? `${group}/${version}` : version;
      const mapping = await dyn.mapping(apiVersion, kind);
      const namespaces = mapping.namespaced
        ? [...recorded.namespaces].sort()
        : [undefined];
      for (const namespace of namespaces) {
        const list = await dyn.list({ apiVersion, kind, namespace }, {
          labelSelector,
          signal,
        });
        out.push(...list.items); // each carries apiVersion and kind
      }
    } catch (err) {
      if (err instanceof UnknownKindError) continue;
      if (signal?.aborted) throw signal.reason;
      throw new AppliedSetError(
        "PruneFailed",
        parent,
        `listing the set's ${gk} objects failed: ${errorText(err)}`,
        err,
      );
    }
  }
  return out;
}

/**
 * After `apply` wrote every object: deletes the members the previous set
 * had that this apply did not write (propagation `Background`, as
 * kubectl), then records exactly the new set on the parent.
 *
 * @param dyn The client.
 * @param run What {@link beginAppliedSet} returned.
 * @param applied What `apply` wrote.
 * @param options Dry run, a signal.
 * @returns The pruned objects.
 * @throws {AppliedSetError} `PruneFailed`, `ParentUpdateFailed`.
 */
export async function finishAppliedSet(
  dyn: DynamicClient,
  run: AppliedSetRun,
  applied: AppliedObject[],
  options: { dryRun?: boolean; signal?: AbortSignal },
): Promise<ObjectRef[]> {
  const parent = run.options.parent;
  const kept = new Set(
    applied.map((a) =>
      `${groupKind(a.ref.apiVersion, a.ref.kind)}/${
        a.ref.namespace ?? ""
      }/${a.ref.name}`
    ),
  );
  const pruned: ObjectRef[] = [];
  for (
    const obj of await listMembers(
      dyn,
      parent,
      run.id,
      run.previous,
      options.signal,
    )
  ) {
    const ns = obj.metadata?.namespace;
    const key = `${groupKind(obj.apiVersion, obj.kind)}/${
      ns ?? ""
    }/${obj.metadata?.name}`;
    if (kept.has(key)) continue;
    const ref: ObjectRef = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.metadata!.name!,
      ...(ns ? { namespace: ns } : {}),
    };
    try {
      await dyn.delete(ref, {
        propagationPolicy: "Background",
        dryRun: options.dryRun,
        signal: options.signal,
      });
    } catch (err) {
      if (err instanceof KubernetesApiError && err.isNotFound()) continue;
      if (options.signal?.aborted) throw options.signal.reason;
      throw new AppliedSetError(
        "PruneFailed",
        parent,
        `pruning ${obj.kind} ${ns ? `${ns}/` : ""}${ref.name} failed: ${
          errorText(err)
        }`,
        err,
      );
    }
    pruned.push(ref);
    run.options.onPrune?.(ref);
  }
  const latest: Recorded = {
    groupKinds: new Set(
      applied.map((a) => groupKind(a.ref.apiVersion, a.ref.kind)),
    ),
    namespaces: new Set([
      ...(parent.namespace ? [parent.namespace] : []),
      ...applied.flatMap((a) => a.ref.namespace ? [a.ref.namespace] : []),
    ]),
  };
  await writeParent(
    dyn,
    run.parent,
    run.id,
    run.options.tooling ?? APPLIED_SET_TOOLING,
    latest,
    options,
  );
  return pruned;
}

/** One member of an applied set, as {@link listAppliedSet} returns it. */
export interface AppliedSetMember {
  /** The object. */
  ref: ObjectRef;
  /** The object as the server has it. */
  object: KubernetesObject;
  /** One line: its phase and conditions (`phase Running, Ready=True`), or `no status yet`. */
  status: string;
}

/** Options for {@link listAppliedSet} and {@link deleteAppliedSet}. */
export interface AppliedSetReadOptions {
  /** Cancels the requests. */
  signal?: AbortSignal;
}

/**
 * The objects of an applied set, found as kubectl finds them: every
 * group-kind and namespace the parent records, listed with the
 * `applyset.kubernetes.io/part-of` selector. Reads only: a parent of any
 * tooling (kubectl's too) can be listed.
 *
 * @param client Any transport, or a {@link DynamicClient}.
 * @param parent The set's parent.
 * @param options A signal.
 * @returns Each member with a one-line status, by group-kind then namespace.
 * @throws {AppliedSetError} `InvalidParent` when the parent does not exist or is not this set's parent; `PruneFailed` when a listing fails.
 *
 * @example Report on a set
 * ```ts
 * import { listAppliedSet } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function status(client: RestClient): Promise<void> {
 *   const parent = { kind: "ConfigMap", name: "web", namespace: "web" } as const;
 *   for (const m of await listAppliedSet(client, parent)) {
 *     console.log(`${m.ref.kind} ${m.ref.name}: ${m.status}`);
 *   }
 * }
 * ```
 */
export async function listAppliedSet(
  client: RestClient | DynamicClient,
  parent: AppliedSetParentRef,
  options: AppliedSetReadOptions = {},
): Promise<AppliedSetMember[]> {
  const dyn = DynamicClient.for(client);
  const resolved = await resolveParent(dyn, parent, options.signal);
  const id = await appliedSetId(parent);
  const recorded = await readParent(
    dyn,
    resolved,
    id,
    undefined,
    options.signal,
  );
  if (typeof recorded !== "object") {
    throw new AppliedSetError(
      "InvalidParent",
      parent,
      "expected the parent to exist, found none",
    );
  }
  return (await listMembers(dyn, parent, id, recorded, options.signal)).map(
    (object) => {
      const ns = object.metadata?.namespace;
      return {
        ref: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata!.name!,
          ...(ns ? { namespace: ns } : {}),
        },
        object,
        status: summarize(object),
      };
    },
  );
}

/**
 * Deletes an applied set: its members in reverse apply order (as
 * `deleteApplied`), then the parent. A parent of another tool is refused,
 * as for `apply`.
 *
 * @param client Any transport, or a {@link DynamicClient}.
 * @param parent The set's parent.
 * @param options Propagation, wait and its deadline, a signal; `tooling` as for `apply`.
 * @returns Each object deleted, the parent last.
 * @throws {AppliedSetError} `ForeignTooling`, `InvalidParent` (no such parent), `PruneFailed`.
 * @throws {ApplyError} Naming a member whose deletion failed.
 *
 * @example
 * ```ts
 * import { deleteAppliedSet } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function teardown(client: RestClient): Promise<void> {
 *   await deleteAppliedSet(client, { kind: "Secret", name: "web", namespace: "web" }, { wait: true });
 * }
 * ```
 */
export async function deleteAppliedSet(
  client: RestClient | DynamicClient,
  parent: AppliedSetParentRef,
  options: DeleteAppliedOptions & { tooling?: string } = {},
): Promise<DeletedObject[]> {
  const dyn = DynamicClient.for(client);
  const resolved = await resolveParent(dyn, parent, options.signal);
  const id = await appliedSetId(parent);
  const recorded = await readParent(
    dyn,
    resolved,
    id,
    options.tooling ?? APPLIED_SET_TOOLING,
    options.signal,
  );
  if (typeof recorded !== "object") {
    throw new AppliedSetError(
      "InvalidParent",
      parent,
      "expected the parent to exist, found none",
    );
  }
  const members = await listMembers(dyn, parent, id, recorded, options.signal);
  const { tooling: _, ...rest } = options;
  const out = await deleteApplied(dyn, members, {
    propagationPolicy: "Background",
    ...rest,
  });
  const ref = resolved.object;
  try {
    await dyn.delete(ref, { signal: options.signal });
    out.push({ ref, existed: true });
  } catch (err) {
    if (!(err instanceof KubernetesApiError && err.isNotFound())) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw new AppliedSetError(
        "ParentUpdateFailed",
        parent,
        `deleting the parent failed: ${errorText(err)}`,
        err,
      );
    }
    out.push({ ref, existed: false });
  }
  return out;
}
