// The one YAML module, and the one place the library imports js-yaml, by
// its full npm specifier so a script outside this repository (no deno.json,
// so no import map) can import the library. Everything that reads or writes
// YAML goes through here; errors are scrubbed by ./yaml_reasons.ts.
//
// Two reading profiles, chosen by `profile`:
// - "manifest" (the default; manifests, and kubeconfigs read to be edited
//   and written back): described below.
// - "kubeconfig" (loading a kubeconfig to use it): YAML 1.2 core scalars
//   with `<<` merge keys, exactly one document, at most 16 Mi characters
//   and 1 Mi values once aliases are expanded, nesting at most 100 deep;
//   a syntax error also names the field path of its line
//   (./yaml_field_path.ts).
//
// Manifest documents are read the way kubectl reads them (go-yaml v2 under
// sigs.k8s.io/yaml): YAML 1.2 core scalars plus YAML 1.1's booleans
// (yes/no/on/off/y/n) and leading-zero octals (`defaultMode: 0644` is 420),
// no timestamps turned into Dates, and `<<` merge keys (a plain `<<` key
// only: a quoted one is an ordinary key, as in go-yaml). Each document is bounded:
// its length, how many aliases it uses and how large it grows once aliases
// are expanded (an alias bomb is a few hundred bytes that expand to
// gigabytes). Errors name the document, line and column, never a value.

// @ts-types="npm:@types/js-yaml@4"
import {
  CORE_SCHEMA,
  dump,
  load,
  loadAll,
  type Schema,
  type State,
  Type,
  YAMLException,
} from "npm:js-yaml@4";

import { describeYamlReason, MAX_YAML_DEPTH } from "./yaml_reasons.ts";
import { fieldPathAt } from "./yaml_field_path.ts";

/** The largest kubeconfig the kubeconfig profile reads, in UTF-16 code units (about bytes). */
export const MAX_KUBECONFIG_CHARS = 16 * 1024 * 1024;
/** The most values a kubeconfig may hold once aliases are expanded. */
export const MAX_KUBECONFIG_VALUES = 1_000_000;

/** Bounds on one YAML document. */
export interface YamlLimits {
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

/** How values are read, beyond the bounds. */
export interface YamlReadOptions extends YamlLimits {
  /**
   * Read an integer that a double cannot hold exactly (a 20-digit
   * extension value) as a `bigint`, so it is written back digit for digit;
   * for a document that is only edited and written back (a kubeconfig), not
   * for one sent as JSON (`JSON.stringify` refuses a `bigint`).
   * @default {false} (a number, rounded as `JSON.parse` would)
   */
  exactIntegers?: boolean;
  /**
   * How the text is read (see the module's header): `"manifest"`, kubectl's
   * scalars over a stream of documents, bounded by the limits above; or
   * `"kubeconfig"`, one document of YAML 1.2 core scalars with merge keys,
   * bounded by the kubeconfig caps (the limits above and `exactIntegers`
   * do not apply), whose syntax errors name the field path.
   * @default {"manifest"} (the reading every document but a kubeconfig being loaded gets)
   */
  profile?: "manifest" | "kubeconfig";
}

/** A YAML stream or document that could not be read. */
export class YamlError extends Error {
  /** 0-based index of the document in the stream. */
  readonly document: number;
  /** 1-based line in the whole text, when known. */
  readonly line: number | undefined;
  /** 1-based column, when known. */
  readonly column: number | undefined;
  /** What is wrong, without the location; never quotes a value. */
  readonly reason: string;
  /** The parser's scrubbed reason, when this is a syntax error. */
  readonly syntax: string | undefined;
  /** The field path of the line (kubeconfig profile), when known. */
  readonly field: string | undefined;

  /**
   * @param reason What is wrong.
   * @param document 0-based document index.
   * @param line 1-based line.
   * @param column 1-based column.
   * @param facts For a syntax error, the parser's scrubbed reason and the field path.
   */
  constructor(
    reason: string,
    document: number,
    line?: number,
    column?: number,
    facts: { syntax?: string; field?: string } = {},
  ) {
    const at = line === undefined
      ? ""
      : ` at line ${line}${column === undefined ? "" : `, column ${column}`}`;
    super(`document[${document}]${at}: ${reason}`);
    this.name = "YamlError";
    this.document = document;
    this.line = line;
    this.column = column;
    this.reason = reason;
    this.syntax = facts.syntax;
    this.field = facts.field;
  }
}

/** One document of a stream. */
export interface YamlDocument {
  /** 0-based index in the stream (empty documents count). */
  index: number;
  /** 1-based line where the document's text starts. */
  line: number;
  /** The parsed value: `null` for an empty document. */
  value: unknown;
}

const yaml11Bools: Record<string, boolean> = {};
for (const s of ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON"]) {
  yaml11Bools[s] = true;
}
for (const s of ["n", "N", "no", "No", "NO", "off", "Off", "OFF"]) {
  yaml11Bools[s] = false;
}
for (const s of ["true", "True", "TRUE"]) yaml11Bools[s] = true;
for (const s of ["false", "False", "FALSE"]) yaml11Bools[s] = false;

const bool = new Type("tag:yaml.org,2002:bool", {
  kind: "scalar",
  resolve: (data: string | null) =>
    data !== null && Object.hasOwn(yaml11Bools, data),
  construct: (data: string) => yaml11Bools[data],
  predicate: (v: unknown) => typeof v === "boolean",
  represent: (v: object) => (v as unknown as boolean) ? "true" : "false",
});

// What strconv.ParseInt(s, 0, 64) accepts after go-yaml drops underscores:
// 0b, 0o, 0x prefixes (either case, as Go's base 0 takes them), a leading 0
// for octal, and decimal. go-yaml drops every underscore first, so `1_` is
// 1; only a leading one (`_1`) keeps a string a string.
const intPattern =
  /^[-+]?(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]+|0|[1-9][0-9]*)$/;

/** The sign, radix and digits of an integer literal `intPattern` accepts. */
function intParts(
  data: string,
): { negative: boolean; prefix: string; digits: string } {
  let s = data.replaceAll("_", "");
  const negative = s.startsWith("-");
  if (s[0] === "-" || s[0] === "+") s = s.slice(1);
  if (/^0[boxBOX]/.test(s)) {
    return {
      negative,
      prefix: s.slice(0, 2).toLowerCase(),
      digits: s.slice(2),
    };
  }
  if (s.length > 1 && s.startsWith("0")) {
    return { negative, prefix: "0o", digits: s.slice(1) };
  }
  return { negative, prefix: "", digits: s };
}

const RADIX: Record<string, number> = { "": 10, "0b": 2, "0o": 8, "0x": 16 };

function intType(exact: boolean): Type {
  return new Type("tag:yaml.org,2002:int", {
    kind: "scalar",
    resolve: (data: string | null) =>
      data !== null && !data.startsWith("_") &&
      intPattern.test(data.replaceAll("_", "")),
    construct: (data: string) => {
      const { negative, prefix, digits } = intParts(data);
      const n = parseInt(digits, RADIX[prefix]);
      if (n === 0) return 0;
      if (exact && !Number.isSafeInteger(n)) {
        const big = BigInt(prefix + digits);
        return negative ? -big : big;
      }
      return negative ? -n : n;
    },
    predicate: (v: unknown) =>
      typeof v === "bigint" ||
      (typeof v === "number" && Number.isInteger(v) && !Object.is(v, -0)),
    represent: (v: object) => (v as unknown as number | bigint).toString(10),
  });
}

// A plain `<<` key merges the mapping(s) it names into its own (js-yaml
// does the merging for a key of this tag; go-yaml v2 does the same).
const merge = new Type("tag:yaml.org,2002:merge", {
  kind: "scalar",
  resolve: (data: string | null) => data === "<<",
});

/**
 * YAML 1.2 core scalars and `<<` merge keys: the kubeconfig profile's schema
 * (kubectl reads a kubeconfig that merges a shared mapping into contexts).
 */
const kubeconfigSchema: Schema = CORE_SCHEMA.extend({
  implicit: [merge],
});

// Floats go-yaml reads (its yamlStyleFloat, underscores dropped) that the
// core schema's pattern misses: a sign before a leading dot (`-.5`). A tag of
// our own, so the core float type stays the one that writes numbers; this
// one only reads them, and makes the writer quote such strings.
const signedDotFloat = new Type("tag:denokube,2026:go-float", {
  kind: "scalar",
  resolve: (data: string | null) =>
    data !== null && !data.startsWith("_") &&
    /^[-+]\.[0-9]+(?:[eE][-+]?[0-9]+)?$/.test(data.replaceAll("_", "")),
  construct: (data: string) => parseFloat(data.replaceAll("_", "")),
});

/** kubectl's reading of scalars (see the header). */
const kubectlSchema = CORE_SCHEMA.extend({
  implicit: [bool, intType(false), merge, signedDotFloat],
});
/** The same, integers a double cannot hold kept as `bigint`. */
const kubectlExactSchema = CORE_SCHEMA.extend({
  implicit: [bool, intType(true), merge, signedDotFloat],
});

/** Splits a stream at `---` lines, keeping each part's first line number. */
function splitDocuments(text: string): { text: string; line: number }[] {
  const parts: { text: string; line: number }[] = [];
  let start = 0;
  let startLine = 0;
  let line = 0;
  let at = 0;
  while (at <= text.length) {
    const nl = text.indexOf("\n", at);
    const end = nl < 0 ? text.length : nl;
    if (at > start && /^---(?:[ \t\r]|$)/.test(text.slice(at, end))) {
      parts.push({ text: text.slice(start, at), line: startLine });
      start = at;
      startLine = line;
    }
    if (nl < 0) break;
    at = nl + 1;
    line++;
  }
  parts.push({ text: text.slice(start), line: startLine });
  // Directives (`%YAML 1.2`) belong to the document after them.
  const merged: { text: string; line: number }[] = [];
  let carry: { text: string; line: number } | undefined;
  for (const p of parts) {
    const joined = carry ? { text: carry.text + p.text, line: carry.line } : p;
    carry = undefined;
    const lines = joined.text.split("\n").map((l) => l.trim());
    const onlyPreamble = lines.every((l) =>
      l === "" || l.startsWith("#") || l.startsWith("%")
    );
    if (onlyPreamble && lines.some((l) => l.startsWith("%"))) {
      carry = joined;
    } else {
      merged.push(joined);
    }
  }
  if (carry) merged.push(carry);
  return merged;
}

/**
 * The 0-based line and column of an offset in a text.
 *
 * @param text The text.
 * @param offset A UTF-16 offset into it.
 * @returns Its 0-based line and column.
 */
function lineColumnOf(
  text: string,
  offset: number,
): { line: number; column: number } {
  let line = 0;
  let lineStart = 0;
  for (
    let i = text.indexOf("\n");
    i >= 0 && i < offset;
    i = text.indexOf("\n", i + 1)
  ) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart };
}

/** The offset of the first character of a node opened at `from`, past spaces and comments. */
function nodeStart(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") i++;
    else if (c === "#") {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? text.length : nl;
    } else break;
  }
  return i;
}

/**
 * Where js-yaml stopped, 0-based, counted from its offset: its own line
 * number is wrong for the checks it makes before reading (a NUL byte
 * anywhere is reported on the document's first line, at a "column" that is
 * the offset).
 *
 * @param err js-yaml's error.
 * @param text The text it read.
 * @returns The line and column, or `undefined` when js-yaml gave no position.
 */
function markOf(
  err: YAMLException,
  text: string,
): { line: number; column: number } | undefined {
  const position = err.mark?.position;
  if (typeof position !== "number" || position < 0) return undefined;
  // js-yaml drops a leading byte-order mark before counting.
  return lineColumnOf(text, position + (text.startsWith("\uFEFF") ? 1 : 0));
}

/** Expanded size of a value, each shared (aliased) node counted every time it is used. */
function checkExpanded(
  value: unknown,
  limit: number,
  fail: (reason: string) => never,
): void {
  const memo = new Map<object, number>();
  const onPath = new Set<object>();
  const size = (v: unknown): number => {
    if (typeof v === "string") return v.length + 1;
    if (v === null || typeof v !== "object") return 1;
    const known = memo.get(v);
    if (known !== undefined) return known;
    if (onPath.has(v)) fail("a recursive alias (a node that contains itself)");
    onPath.add(v);
    let total = 1;
    if (Array.isArray(v)) {
      for (const item of v) total += size(item);
    } else {
      for (const [k, item] of Object.entries(v)) {
        total += k.length + 1 + size(item);
      }
    }
    onPath.delete(v);
    if (total > limit) {
      fail(
        `expands to more than ${limit} characters once aliases are expanded`,
      );
    }
    memo.set(v, total);
    return total;
  };
  size(value);
}

/**
 * Reads every document of a YAML (or JSON) stream, the way kubectl reads
 * manifests.
 *
 * @param text The stream.
 * @param limits Bounds on each document.
 * @returns The documents in order, empty ones included (value `null`).
 * @throws {YamlError} When a document is malformed or over a bound.
 */
export function parseYamlDocuments(
  text: string,
  limits: YamlReadOptions = {},
): YamlDocument[] {
  if (limits.profile === "kubeconfig") {
    return [{ index: 0, line: 1, value: readKubeconfig(text) }];
  }
  const maxChars = limits.maxDocumentChars ?? 3 * 1024 * 1024;
  const maxAliases = limits.maxAliases ?? 1000;
  const maxExpanded = limits.maxExpandedChars ?? 32 * 1024 * 1024;
  const out: YamlDocument[] = [];
  for (const part of splitDocuments(text)) {
    const index = out.length;
    const fail = (reason: string, line?: number, column?: number): never => {
      throw new YamlError(reason, index, line, column);
    };
    if (part.text.length > maxChars) {
      fail(
        `the document is ${part.text.length} characters long, more than the ${maxChars} allowed`,
        part.line + 1,
      );
    }
    let aliases = 0;
    const opened: number[] = [];
    const listener = (event: "open" | "close", state: State) => {
      if (event === "open") {
        opened.push(state.position);
        return;
      }
      const from = opened.pop() ?? 0;
      // An alias leaves no kind behind (every other node sets one).
      if (state.kind !== null || state.result === null) return;
      const start = nodeStart(state.input, from);
      if (state.input[start] !== "*") return;
      if (++aliases > maxAliases) {
        const { line, column } = lineColumnOf(state.input, start);
        fail(
          `more than ${maxAliases} aliases in one document`,
          part.line + line + 1,
          column + 1,
        );
      }
    };
    let values: unknown[];
    try {
      values = loadAll(part.text, undefined, {
        schema: limits.exactIntegers ? kubectlExactSchema : kubectlSchema,
        listener,
        // maxDepth is newer than the type definitions.
        ...{ maxDepth: MAX_YAML_DEPTH },
      });
    } catch (err) {
      if (err instanceof YamlError) throw err;
      if (err instanceof YAMLException) {
        const at = markOf(err, part.text);
        fail(
          `YAML syntax error: ${describeYamlReason(err.reason)}`,
          at ? part.line + at.line + 1 : part.line + 1,
          at ? at.column + 1 : undefined,
        );
      }
      throw err;
    }
    for (const value of values) {
      if (aliases > 0 || value !== null) {
        checkExpanded(
          value,
          maxExpanded,
          (reason) => fail(reason, part.line + 1),
        );
      }
      out.push({ index: out.length, line: part.line + 1, value });
    }
  }
  return out;
}

/**
 * The kubeconfig profile: one document, bounded in size, depth and values
 * once aliases are expanded.
 */
function readKubeconfig(text: string): unknown {
  if (text.length > MAX_KUBECONFIG_CHARS) {
    throw new YamlError(
      `is ${text.length} characters long, more than the ${MAX_KUBECONFIG_CHARS} a kubeconfig may have`,
      0,
    );
  }
  let doc: unknown;
  try {
    // maxDepth is newer than the type definitions.
    doc = load(text, {
      schema: kubeconfigSchema,
      ...{ maxDepth: MAX_YAML_DEPTH },
    });
  } catch (err) {
    if (!(err instanceof YAMLException)) {
      // Never pass a third-party message on: keep only the class.
      throw new YamlError(
        `cannot parse (${err instanceof Error ? err.name : typeof err})`,
        0,
      );
    }
    const mark = markOf(err, text);
    const syntax = describeYamlReason(err.reason);
    throw new YamlError(
      `YAML syntax error: ${syntax}`,
      0,
      mark && mark.line + 1,
      mark && mark.column + 1,
      { syntax, field: mark ? fieldPathAt(text, mark.line) : undefined },
    );
  }
  checkValueCount(doc);
  return doc;
}

/**
 * Counts the document's values as a walker sees them (a shared, aliased
 * node once per reference) and stops at the cap, so the count itself is
 * cheap whatever the file.
 */
function checkValueCount(doc: unknown): void {
  let budget = MAX_KUBECONFIG_VALUES;
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (--budget < 0) {
      throw new YamlError(
        `expands to more than ${MAX_KUBECONFIG_VALUES} values (YAML aliases used as a "billion laughs" bomb?)`,
        0,
      );
    }
    if (v !== null && typeof v === "object") {
      for (const child of Object.values(v)) stack.push(child);
    }
  }
}

/**
 * Reads one YAML (or JSON) document, as kubectl would.
 *
 * @param text The document.
 * @param limits Bounds on it.
 * @returns The value (`null` for an empty text).
 * @throws {YamlError} When it is malformed, over a bound, or more than one document.
 */
export function parseYamlDocument(
  text: string,
  limits: YamlReadOptions = {},
): unknown {
  const docs = parseYamlDocuments(text, limits);
  if (docs.length > 1) {
    throw new YamlError(
      `expected one document, found ${docs.length}`,
      1,
      docs[1].line,
    );
  }
  return docs[0]?.value ?? null;
}

/**
 * Writes values as a YAML stream, one document each, that kubectl reads
 * back to the same values: strings YAML 1.1 would misread are quoted, keys
 * included (`"<<"`, `"on"`, `"0644"`), and a `bigint` is written digit for
 * digit.
 *
 * @param values The documents.
 * @returns The stream; documents separated by `---` lines.
 */
export function dumpYamlDocuments(values: unknown[]): string {
  return values.map((v) =>
    dump(v, {
      schema: kubectlSchema,
      noRefs: true,
      lineWidth: -1,
      quotingType: '"',
    })
  ).join("---\n");
}
