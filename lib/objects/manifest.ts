/**
 * Manifests: multi-document YAML or JSON, `List` kinds unpacked, into plain
 * Kubernetes objects, each remembering where it came from (document index,
 * list item, line) for the errors of whatever uses it later; and back.
 *
 * YAML is read the way kubectl reads it (YAML 1.1 booleans and octals,
 * timestamps kept as strings) and bounded per document: length, aliases
 * and size once aliases are expanded. Errors name the document, line and
 * column and never quote a value (manifests hold Secrets).
 *
 * Permissions: none (reading the file is the caller's).
 *
 * @module
 */

import { tryParseJson } from "../_internal/json.ts";
import type { JSONValue } from "../contract.ts";
import type { KubernetesObject } from "./kubernetes_object.ts";
import {
  ManifestError,
  type ManifestSource,
} from "../errors/manifest_error.ts";
import {
  dumpYamlDocuments,
  parseYamlDocuments,
  YamlError,
  type YamlLimits,
} from "../_internal/yaml.ts";

export {
  ManifestError,
  type ManifestErrorReason,
  type ManifestSource,
} from "../errors/manifest_error.ts";

/** Options for {@link parseManifests}. */
export interface ParseManifestsOptions {
  /** A name for the text, such as its file path, used in errors. */
  source?: string;
  // The YAML reader's bounds (YamlLimits, lib/_internal/yaml.ts), stated here
  // because an internal module's type is no part of the public API; the
  // assertion below keeps the two in step.
  /**
   * Longest document, in UTF-16 code units (about bytes for ASCII).
   * @default {3145728} (3 MiB, the API server's largest request body)
   */
  maxDocumentChars?: number;
  /** Most alias uses (`*name`) in one document. @default {1000} */
  maxAliases?: number;
  /**
   * Largest a document may grow with its aliases expanded, counted as the
   * characters of its keys and strings plus one per other value.
   * @default {33554432} (32 Mi)
   */
  maxExpandedChars?: number;
}

// Every bound of the YAML reader is a manifest option, and nothing more
// (a type error here when the two drift apart; nothing runs).
type _Bounds = Required<Omit<ParseManifestsOptions, "source">>;
type _SameBounds<T extends true> = T;
type _BoundsInStep = _SameBounds<
  [_Bounds] extends [Required<YamlLimits>]
    ? [Required<YamlLimits>] extends [_Bounds] ? true : false
    : false
>;

const sources = new WeakMap<object, ManifestSource>();

/**
 * Where an object returned by {@link parseManifests} came from.
 *
 * @param obj An object from `parseManifests` (copies are not tracked).
 * @returns Its source, or `undefined` for any other object.
 */
export function manifestSource(obj: object): ManifestSource | undefined {
  return sources.get(obj);
}

/**
 * A short "where" for messages: `deploy.yaml document[2] (line 14)`, or
 * `undefined` for objects that did not come from a manifest.
 *
 * @param obj Any object.
 * @returns The location, or `undefined`.
 */
export function describeManifestSource(obj: object): string | undefined {
  const s = sources.get(obj);
  if (!s) return undefined;
  const item = s.item === undefined ? "" : `.items[${s.item}]`;
  return `${
    s.source ? `${s.source} ` : ""
  }document[${s.document}]${item} (line ${s.line})`;
}

function typeOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`;
}

function toObject(
  value: unknown,
  where: ManifestSource,
): KubernetesObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ManifestError(
      `expected an object with apiVersion and kind, found ${typeOf(value)}`,
      where,
    );
  }
  const obj = value as Record<string, unknown>;
  for (const key of ["apiVersion", "kind"] as const) {
    if (typeof obj[key] !== "string" || obj[key] === "") {
      throw new ManifestError(
        obj[key] === undefined
          ? `${key} is missing`
          : `${key}: expected a non-empty string, found ${typeOf(obj[key])}`,
        where,
      );
    }
  }
  if (
    obj.metadata !== undefined &&
    (obj.metadata === null || typeof obj.metadata !== "object" ||
      Array.isArray(obj.metadata))
  ) {
    throw new ManifestError(
      `metadata: expected an object, found ${typeOf(obj.metadata)}`,
      where,
    );
  }
  for (const key of ["name", "namespace", "generateName"]) {
    const v = (obj.metadata as Record<string, unknown> | undefined)?.[key];
    if (v !== undefined && typeof v !== "string") {
      throw new ManifestError(
        `metadata.${key}: expected a string, found ${typeOf(v)}`,
        where,
      );
    }
  }
  return obj as KubernetesObject;
}

function isList(obj: KubernetesObject): boolean {
  return obj.kind.endsWith("List") && Array.isArray(obj.items);
}

/**
 * Reads a manifest: YAML with any number of `---`-separated documents, or
 * JSON objects one after another (`jq -c` output: each is a document, as
 * `kubectl apply -f` reads them); `List` documents (`kind: List`, `PodList`, …) become their items.
 * Empty documents are skipped but counted, so indices match the file.
 *
 * @param text The manifest.
 * @param options A name for errors, and bounds on each document.
 * @returns The objects in order; {@link manifestSource} tells where each came from.
 * @throws {ManifestError} Naming the document (and line, column) of malformed YAML or JSON, a document that is not an object, or one without `apiVersion` or `kind`.
 *
 * @example
 * ```ts
 * import { manifestSource, parseManifests } from "@denokube/transport/objects";
 *
 * const objects = parseManifests(
 *   "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n---\n" +
 *     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: web}\ndata: {mode: fast}\n",
 *   { source: "web.yaml" },
 * );
 * console.log(objects.map((o) => o.kind), manifestSource(objects[1])?.document); // ["Namespace", "ConfigMap"] 1
 * ```
 */
export function parseManifests(
  text: string,
  options: ParseManifestsOptions = {},
): KubernetesObject[] {
  const source = options.source;
  let docs: { index: number; line: number; value: unknown }[];
  const trimmed = text.trimStart();
  const json = trimmed.startsWith("{") ? jsonStream(text, options) : undefined;
  if (json !== undefined) {
    docs = json;
  } else {
    try {
      docs = parseYamlDocuments(text, options);
    } catch (err) {
      if (err instanceof YamlError) {
        throw new ManifestError(err.reason, {
          source,
          document: err.document,
          line: err.line,
          column: err.column,
        }, err);
      }
      throw err;
    }
  }
  const out: KubernetesObject[] = [];
  for (const doc of docs) {
    if (doc.value === null) continue;
    const where: ManifestSource = {
      ...(source ? { source } : {}),
      document: doc.index,
      line: doc.line,
    };
    const obj = toObject(doc.value, where);
    if (!isList(obj)) {
      sources.set(obj, where);
      out.push(obj);
      continue;
    }
    const items = obj.items as JSONValue[];
    const itemKind = obj.kind === "List" ? undefined : obj.kind.slice(0, -4);
    items.forEach((raw, i) => {
      const itemWhere = { ...where, item: i };
      // Typed lists (`PodList`) may leave apiVersion and kind to the list.
      const filled = itemKind && raw !== null && typeof raw === "object" &&
          !Array.isArray(raw)
        ? { apiVersion: obj.apiVersion, kind: itemKind, ...raw }
        : raw;
      const item = toObject(filled, itemWhere);
      sources.set(item, itemWhere);
      out.push(item);
    });
  }
  return out;
}

/**
 * A stream of JSON objects, as kubectl reads a manifest whose first
 * non-space character is `{`: apimachinery's YAMLOrJSONDecoder hands it to
 * encoding/json's Decoder, which reads values one after another with or
 * without whitespace between them (`jq -c` output is one object per line).
 * `undefined` when the text is not such a stream: then the whole text is
 * read as YAML, as kubectl 1.33+ does (kubernetes#130666: YAML that starts
 * with `{`, such as `{kind: Pod}`, which 1.32 and older refuse as bad JSON).
 */
function jsonStream(
  text: string,
  options: ParseManifestsOptions,
): { index: number; line: number; value: unknown }[] | undefined {
  const max = options.maxDocumentChars ?? 3 * 1024 * 1024;
  const docs: { index: number; line: number; value: unknown }[] = [];
  let line = 1;
  let at = 0;
  for (;;) {
    for (; at < text.length && " \t\r\n".includes(text[at]); at++) {
      if (text[at] === "\n") line++;
    }
    if (at === text.length) return docs;
    if (text[at] !== "{") return undefined;
    const end = endOfJsonObject(text, at, max);
    if (end === "too long") {
      throw new ManifestError(
        `the document is more than the ${max} characters allowed`,
        { source: options.source, document: docs.length, line },
      );
    }
    if (end === undefined) return undefined;
    const parsed = tryParseJson(text.slice(at, end));
    if (!parsed.ok) return undefined;
    const value = parsed.value;
    docs.push({ index: docs.length, line, value });
    for (; at < end; at++) if (text[at] === "\n") line++;
  }
}

/**
 * The offset just past the `}` that closes the object opened at `start`
 * (strings and escapes skipped), `undefined` when it is not closed, or
 * `"too long"` past `max` characters.
 */
function endOfJsonObject(
  text: string,
  start: number,
  max: number,
): number | "too long" | undefined {
  let depth = 0;
  const limit = Math.min(text.length, start + max + 1);
  for (let i = start; i < limit; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < limit && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      if (--depth === 0) return i + 1;
    }
  }
  return limit < text.length ? "too long" : undefined;
}

/** Options for {@link serializeManifests}. */
export interface SerializeManifestsOptions {
  /**
   * `yaml`: one document per object, `---` between them. `json`: one
   * `v1` `List` holding every object.
   * @default {"yaml"}
   */
  format?: "yaml" | "json";
}

/**
 * Writes objects as a manifest that {@link parseManifests} (and kubectl)
 * read back to the same objects.
 *
 * @param objects The objects.
 * @param options The format.
 * @returns The manifest text.
 *
 * @example
 * ```ts
 * import { parseManifests, serializeManifests } from "@denokube/transport/objects";
 *
 * const text = serializeManifests([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { on: "yes" } }]);
 * console.log(parseManifests(text)[0].data); // { on: "yes" }: quoted, so YAML 1.1 readers keep it a string
 * ```
 */
export function serializeManifests(
  objects: KubernetesObject[],
  options: SerializeManifestsOptions = {},
): string {
  if (options.format === "json") {
    return JSON.stringify(
      { apiVersion: "v1", kind: "List", items: objects },
      null,
      2,
    ) + "\n";
  }
  return dumpYamlDocuments(objects);
}
