// What may go into an HTTP header value. Checked where credentials and
// impersonation settings are read, so a bad value is reported by field,
// instead of Deno's `Invalid header value: "Bearer <the token>"` later.

/**
 * What makes a string unusable as an HTTP header value, or `undefined` when
 * it is fine: HTAB, visible ASCII, space and Latin-1 only (what `Headers`
 * accepts), no line breaks or other control characters.
 *
 * @param value The would-be header value.
 * @returns A description that never quotes the value, or `undefined`.
 */
export function headerValueProblem(value: string): string | undefined {
  let problem: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 10 || c === 13) {
      return "holds a line break, which cannot be sent in an HTTP header";
    }
    if ((c < 32 && c !== 9) || c === 127) {
      problem ??=
        "holds a control character, which cannot be sent in an HTTP header";
    } else if (c > 255) {
      problem ??=
        "holds a character beyond Latin-1, which cannot be sent in an HTTP header";
    }
  }
  return problem;
}
