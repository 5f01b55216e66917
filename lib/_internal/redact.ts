// Keeping secrets out of what we print: one URL masker used wherever a URL
// goes into a message or a log line, and one redactor for text we relay but
// do not write (kubectl's stderr, which may repeat what a credential plugin
// printed).

import { URL_SCHEME } from "./url.ts";

/**
 * A URL with its userinfo replaced by `…`: everything between `://` (or the
 * start, for `host:port` forms) and the last `@`, as WHATWG URL parsing takes
 * the last `@` of the authority. Works on text that does not parse as a URL,
 * and masks too much rather than too little (an `@` later in a path hides
 * the host as well).
 *
 * @param url A URL, or text meant to be one.
 * @returns The text safe to print.
 */
export function maskUrl(url: string): string {
  const scheme = url.match(URL_SCHEME);
  const start = scheme ? scheme[0].length : 0;
  const at = url.lastIndexOf("@");
  if (at < start) return url;
  return `${url.slice(0, start)}…${url.slice(at)}`;
}

const REDACTED = "[redacted]";

/** Words after which the next value is a credential. */
const KEYWORD_VALUE =
  /\b(token|id-token|access-token|refresh-token|password|passwd|secret|api[-_]?key|authorization|client-key-data|client-certificate-data)(["']?\s*[:=]\s*["']?)([^\s"',;}\]]+)/gi;
/** An HTTP authorization scheme and its credential. */
const AUTH_SCHEME = /\b(bearer|basic)(\s+)([A-Za-z0-9+/=_.~-]{6,})/gi;
/** A JWT: three base64url parts, the first one a JSON object (`eyJ`). */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** Runs of characters tokens are made of. */
const TOKEN_RUN = /[A-Za-z0-9+/=_.~-]{20,}/g;

/**
 * Removes anything token-shaped from text we relay but did not write:
 * values after credential words (`token: …`, `Bearer …`, `password=…`),
 * JWTs, long hex runs, and long runs mixing upper case, lower case and
 * digits (base64 keys and tokens). Paths, resource names, UIDs and numbers
 * are kept.
 *
 * @param text The text to relay.
 * @returns The text with every such value replaced by `[redacted]`.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(JWT, REDACTED)
    .replace(
      AUTH_SCHEME,
      (_m, word: string, sep: string) => `${word}${sep}${REDACTED}`,
    )
    .replace(
      KEYWORD_VALUE,
      (_m, word: string, sep: string) => `${word}${sep}${REDACTED}`,
    )
    .replace(TOKEN_RUN, (run) => looksLikeToken(run) ? REDACTED : run);
}

function looksLikeToken(run: string): boolean {
  if (run === REDACTED) return false;
  // Hex tokens (UIDs have hyphens every few characters, so never match).
  if (/[0-9a-f]{32,}/i.test(run) && /\d/.test(run)) return true;
  // Path-like runs (`/api/v1/namespaces`) are not tokens unless they also
  // mix cases and digits in one long segment.
  return run.split("/").some((seg) =>
    seg.length >= 20 && /[A-Z]/.test(seg) && /[a-z]/.test(seg) &&
    /\d/.test(seg)
  );
}

/**
 * What a value is, for an error message: `a string`, `a list`, `null`…
 *
 * @param v Any value.
 * @returns Its kind, never its content.
 */
export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `a ${typeof v}`;
}

/**
 * A value for an error message: short identifier-like strings that are not
 * token-shaped quoted, anything else only described, so no message ever holds a whole value (it
 * may be a secret, or an alias bomb a billion nodes long).
 *
 * @param v Any value.
 * @returns `"v1"`, or `a mapping`, `a string`…
 */
export function showValue(v: unknown): string {
  if (
    typeof v === "string" && /^[A-Za-z0-9._/-]{0,64}$/.test(v) &&
    redactSecrets(v) === v
  ) {
    return JSON.stringify(v);
  }
  return typeName(v);
}

/**
 * The same kind of error without its message, for a parser's error kept as
 * a `cause`: `JSON.parse` quotes the text around the failure, which may be
 * a Secret's data or a token.
 *
 * @param err The parser's error.
 * @returns A new error of the same class (name kept) whose message says it was withheld.
 */
export function withoutMessage(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const Ctor = err.constructor as new (message: string) => Error;
  let copy: Error;
  try {
    copy = new Ctor("message withheld: it may quote the data");
  } catch {
    copy = new Error("message withheld: it may quote the data");
  }
  if (copy.name !== err.name) copy.name = err.name;
  return copy;
}
