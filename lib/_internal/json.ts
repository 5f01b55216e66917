// The one place a JSON text is parsed: whole bodies (every transport's
// `expectJson`, a failed answer's Status), each line of a JSON-lines stream
// (watches), the Status kubectl logs, exec plugins' and kubectl's own JSON.
// What it read may be a Secret or a token, and `JSON.parse`'s message quotes
// the text around the failure, so a failure is told here, once, without the
// text: the parser's error keeps its class and loses its message, and only
// the text's length and where the parser stopped are passed on.
//
// It sits with the leaf helpers, not in lib/_wire/, because the errors layer
// (lib/errors/api_error_from.ts) decodes a failed answer's body too and the
// wire layer builds on errors.

import { withoutMessage } from "./redact.ts";

/** Why a text is not JSON, told without quoting it. */
export interface JsonFailure {
  /** The parser's error: its class kept, its message withheld. */
  readonly cause: unknown;
  /** The text's length in characters. */
  readonly chars: number;
  /** The 0-based offset where the parser stopped, when it said. */
  readonly position?: number;
}

/** What {@link tryParseJson} found: the value, or why there is none. */
export type JsonResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly failure: JsonFailure };

const decoder = new TextDecoder();

/**
 * Parses `input` as JSON, never throwing.
 *
 * @param input The text, or bytes read as UTF-8.
 * @returns The value, or the failure (which quotes nothing of `input`).
 */
export function tryParseJson(input: string | Uint8Array): JsonResult {
  const text = typeof input === "string" ? input : decoder.decode(input);
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const at = err instanceof Error
      ? err.message.match(/\bat position (\d+)/)?.[1]
      : undefined;
    return {
      ok: false,
      failure: {
        cause: withoutMessage(err),
        chars: text.length,
        ...(at === undefined ? {} : { position: Number(at) }),
      },
    };
  }
}

/**
 * Parses `input` as JSON, throwing the caller's error when it is not.
 *
 * @param input The text, or bytes read as UTF-8.
 * @param notJson Builds the error from the failure (which quotes nothing).
 * @returns The value.
 * @throws What `notJson` returns, when `input` is not JSON.
 */
export function parseJson(
  input: string | Uint8Array,
  notJson: (failure: JsonFailure) => Error,
): unknown {
  const result = tryParseJson(input);
  if (!result.ok) throw notJson(result.failure);
  return result.value;
}

/**
 * Parses `input` as JSON, or gives `undefined` when it is not: for readers
 * that fall back to something else (a message kubectl printed, a Status
 * rebuilt from text) and so need no reason.
 *
 * @param input The text, or bytes read as UTF-8.
 * @returns The value, or `undefined`.
 */
export function parseJsonOrUndefined(input: string | Uint8Array): unknown {
  const result = tryParseJson(input);
  return result.ok ? result.value : undefined;
}
