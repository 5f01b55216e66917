// The one place YAML is parsed, and the limits that keep a hostile file from
// costing more than a bad one: a size cap, a nesting cap, a cap on the size
// of the document once aliases are expanded (a 400-byte "billion laughs"
// file is a billion nodes to anything that walks it), and errors written by
// us, from js-yaml's position only: its own messages quote the offending
// text (tag names, aliases, whole lines), which may be a password.

// CORE_MERGE_SCHEMA: YAML 1.2 scalars, no timestamps turned into Dates,
// `<<` merge keys as kubectl reads them.
import {
  CORE_MERGE_SCHEMA,
  load as loadYaml,
  markOf,
  YAMLException,
} from "../_internal/yaml.ts";
import { KubeConfigError } from "../errors/mod.ts";

/** The largest kubeconfig accepted, in UTF-16 code units (about bytes). */
export const MAX_KUBECONFIG_CHARS = 16 * 1024 * 1024;
/** The most values a document may hold once aliases are expanded. */
export const MAX_EXPANDED_NODES = 1_000_000;
/** The deepest nesting accepted (js-yaml's own default). */
const MAX_DEPTH = 100;

/**
 * Parses kubeconfig text, bounded in size, depth and alias expansion.
 *
 * @param text The file's text.
 * @param file The file, for errors.
 * @returns The document.
 * @throws {KubeConfigError} Naming the line, column and (when known) the field, never quoting the text.
 */
export function parseKubeConfigYaml(text: string, file: string): unknown {
  if (text.length > MAX_KUBECONFIG_CHARS) {
    throw new KubeConfigError(
      `is ${text.length} characters long, more than the ${MAX_KUBECONFIG_CHARS} a kubeconfig may have`,
      { file },
    );
  }
  let doc: unknown;
  try {
    // maxDepth is newer than the type definitions.
    const options = { schema: CORE_MERGE_SCHEMA, maxDepth: MAX_DEPTH };
    doc = loadYaml(text, options);
  } catch (err) {
    throw yamlError(err, text, file);
  }
  checkExpandedSize(doc, file);
  return doc;
}

/**
 * Counts the document's values as a walker sees them (a shared, aliased
 * node once per reference) and stops at the cap, so the count itself is
 * cheap whatever the file.
 */
function checkExpandedSize(doc: unknown, file: string): void {
  let budget = MAX_EXPANDED_NODES;
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (--budget < 0) {
      throw new KubeConfigError(
        `expands to more than ${MAX_EXPANDED_NODES} values (YAML aliases used as a "billion laughs" bomb?)`,
        { file },
      );
    }
    if (v !== null && typeof v === "object") {
      for (const child of Object.values(v)) stack.push(child);
    }
  }
}

/** js-yaml reasons that quote nothing, kept as they are. */
const SAFE_REASONS = new Set([
  "TAG directive accepts exactly two arguments",
  "YAML directive accepts exactly one argument",
  "a line break is expected",
  "a whitespace character is expected after the key-value separator within a block mapping",
  "abnormal merge sequence size",
  "alias node should not have any properties",
  "bad indentation of a mapping entry",
  "bad indentation of a sequence entry",
  "directive name must not be less than one character in length",
  "directives end mark is expected",
  "duplicated mapping key",
  "duplication of %YAML directive",
  "duplication of a tag property",
  "duplication of an anchor property",
  "end of the stream or a document separator is expected",
  "expected a single document in the stream, but found more",
  "expected hexadecimal character",
  "expected valid JSON character",
  "ill-formed argument of the YAML directive",
  "ill-formed tag handle (first argument) of the TAG directive",
  "ill-formed tag prefix (second argument) of the TAG directive",
  "missed comma between flow collection entries",
  "missing indentation for block scalar",
  "name of an alias node must contain at least one character",
  "name of an anchor node must contain at least one character",
  "named tag handle cannot contain such characters",
  "nested arrays are not supported inside keys",
  "null byte is not allowed in input",
  "repeat of a chomping mode identifier",
  "repeat of an indentation width identifier",
  "tab characters must not be used in indentation",
  "tag suffix cannot contain exclamation marks",
  "tag suffix cannot contain flow indicator characters",
  "the stream contains non-printable characters",
  "unacceptable YAML version of the document",
  "unexpected end of the document within a double quoted scalar",
  "unexpected end of the document within a single quoted scalar",
  "unexpected end of the stream within a double quoted scalar",
  "unexpected end of the stream within a flow collection",
  "unexpected end of the stream within a single quoted scalar",
  "unexpected end of the stream within a verbatim tag",
  "unknown escape sequence",
]);

/** js-yaml reasons that quote a name or value, by their fixed start. */
const NAMING_REASONS: [string, string][] = [
  ["unidentified alias", "unidentified alias (name omitted)"],
  ["unknown tag", "unknown tag (name omitted)"],
  ["tag name cannot contain", "invalid tag (name omitted)"],
  ["tag name is malformed", "invalid tag (name omitted)"],
  ["tag prefix is malformed", "invalid tag prefix (omitted)"],
  ["undeclared tag handle", "undeclared tag handle (name omitted)"],
  ["there is a previously declared suffix", "tag handle declared twice"],
  ["cannot resolve a node", "unresolvable tag (name omitted)"],
  ["unacceptable node kind", "tag applied to the wrong kind of node"],
  ["can not read a block mapping entry", "cannot read a block mapping entry"],
  [
    "can not read an implicit mapping pair",
    "cannot read an implicit mapping pair",
  ],
  ["cannot merge mappings", "cannot merge (only mappings can be merged)"],
  ["incomplete explicit mapping pair", "incomplete explicit mapping pair"],
  ["bad explicit indentation width", "bad indentation width of block scalar"],
  ["nesting exceeded maxDepth", `nested more than ${MAX_DEPTH} levels deep`],
  ["merge keys exceeded", "too many merge keys"],
  ["expected the node content", "expected a value, found a comma"],
];

function describeReason(reason: string | undefined): string {
  if (reason === undefined) return "invalid YAML";
  if (SAFE_REASONS.has(reason)) return reason;
  for (const [start, text] of NAMING_REASONS) {
    if (reason.startsWith(start)) return text;
  }
  return "invalid YAML";
}

function yamlError(err: unknown, text: string, file: string): KubeConfigError {
  if (!(err instanceof YAMLException)) {
    // Never pass a third-party message on: keep only the class.
    return new KubeConfigError(
      `cannot parse (${err instanceof Error ? err.name : typeof err})`,
      { file },
    );
  }
  const mark = markOf(err, text);
  const at = mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : "";
  const field = mark ? fieldPathAt(text, mark.line) : undefined;
  return new KubeConfigError(
    `YAML syntax error${at}: ${describeReason(err.reason)}`,
    { file, field },
  );
}

/** One open block collection on the way to a line. */
interface Frame {
  indent: number;
  /** A mapping key, or `undefined` for a sequence. */
  key?: string;
  /** The current item's index, for a sequence. */
  index: number;
}

/**
 * The block-style field path (`users[0].user.token`) of the entry a line
 * belongs to, from indentation alone; `undefined` at the top level. Keys
 * that are not kubeconfig field names show as `?`, so a secret typed where a
 * key belongs is not repeated.
 */
export function fieldPathAt(text: string, line: number): string | undefined {
  const lines = text.split("\n", line + 1);
  const stack: Frame[] = [];
  for (const raw of lines) {
    const l = raw.replace(/\r$/, "");
    let rest = l.trimStart();
    if (
      rest === "" || rest.startsWith("#") || /^(---|\.\.\.)(\s|$)/.test(rest)
    ) {
      continue;
    }
    let indent = l.length - rest.length;
    for (;;) {
      if (rest === "-" || rest.startsWith("- ")) {
        while (stack.length && stack[stack.length - 1].indent > indent) {
          stack.pop();
        }
        const top = stack[stack.length - 1];
        if (top && top.key === undefined && top.indent === indent) {
          top.index++;
        } else {
          while (
            stack.length && stack[stack.length - 1].indent === indent &&
            stack[stack.length - 1].key === undefined
          ) stack.pop();
          stack.push({ indent, index: 0 });
        }
        const after = rest.slice(1);
        const item = after.trimStart();
        indent += 1 + (after.length - item.length);
        rest = item;
        if (rest === "") break;
        continue;
      }
      while (stack.length && stack[stack.length - 1].indent >= indent) {
        stack.pop();
      }
      const key = rest.match(
        /^("[^"]*"|'[^']*'|[^\s#:{}[\],&*!|>'"%@`][^#]*?)\s*:(\s|$)/,
      );
      if (key) stack.push({ indent, key: showKey(key[1]), index: 0 });
      break;
    }
  }
  let path = "";
  for (const f of stack) {
    path += f.key === undefined
      ? `[${f.index}]`
      : path === ""
      ? f.key
      : `.${f.key}`;
  }
  return path === "" ? undefined : path;
}

/** The keys a kubeconfig is made of; any other key shows as `?`. */
const KNOWN_KEYS = new Set([
  "apiVersion",
  "kind",
  "preferences",
  "colors",
  "clusters",
  "contexts",
  "users",
  "current-context",
  "name",
  "cluster",
  "context",
  "user",
  "namespace",
  "extensions",
  "extension",
  "server",
  "tls-server-name",
  "insecure-skip-tls-verify",
  "proxy-url",
  "disable-compression",
  "certificate-authority",
  "certificate-authority-data",
  "token",
  "tokenFile",
  "username",
  "password",
  "client-key",
  "client-key-data",
  "client-certificate",
  "client-certificate-data",
  "as",
  "as-uid",
  "as-groups",
  "as-user-extra",
  "auth-provider",
  "config",
  "access-token",
  "expiry",
  "id-token",
  "refresh-token",
  "exec",
  "command",
  "args",
  "env",
  "value",
  "installHint",
  "provideClusterInfo",
  "interactiveMode",
]);

function showKey(raw: string): string {
  const key = /^["']/.test(raw) ? raw.slice(1, -1) : raw;
  return KNOWN_KEYS.has(key) ? key : "?";
}
