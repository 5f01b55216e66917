// What a YAML error may say. js-yaml's own messages quote the offending
// text (tag names, aliases, whole lines), which may be a password, so only
// its reasons known to quote nothing are kept; those that name something
// are rewritten without the name; any other reads `invalid YAML`. The one
// scrub of YAML errors, for every reading profile of lib/_internal/yaml.ts.

/** The deepest nesting accepted (js-yaml's own default, said explicitly). */
export const MAX_YAML_DEPTH = 100;

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
  [
    "nesting exceeded maxDepth",
    `nested more than ${MAX_YAML_DEPTH} levels deep`,
  ],
  ["merge keys exceeded", "too many merge keys"],
  ["expected the node content", "expected a value, found a comma"],
];

/**
 * js-yaml's reason for an error, as this library may show it: a reason
 * that quotes nothing as it is, one that quotes a name or value by its
 * fixed start with the name left out, anything else as `invalid YAML`.
 *
 * @param reason js-yaml's `reason`.
 * @returns The text to show.
 */
export function describeYamlReason(reason: string | undefined): string {
  if (reason === undefined) return "invalid YAML";
  if (SAFE_REASONS.has(reason)) return reason;
  for (const [start, text] of NAMING_REASONS) {
    if (reason.startsWith(start)) return text;
  }
  return "invalid YAML";
}
