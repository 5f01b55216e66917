// Bytes on the wire: joining chunks, finding the end of an HTTP head, and
// writing a whole buffer to a connection whose `write` may take only part.

/** `\r\n\r\n`, the end of an HTTP head. */
export const CRLFCRLF: Uint8Array = new Uint8Array([13, 10, 13, 10]);

/**
 * The chunks joined into one array (the only chunk itself when there is one).
 *
 * @param parts The chunks, in order.
 * @returns Their bytes, in one array.
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const filled = parts.filter((p) => p.length);
  if (filled.length <= 1) return filled[0] ?? new Uint8Array(0);
  const out = new Uint8Array(filled.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of filled) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Where `needle` first occurs in `hay`.
 *
 * @param hay The bytes to search.
 * @param needle The bytes to find (not empty).
 * @returns Its index, or -1.
 */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (hay[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/**
 * Writes all of `data` (text as UTF-8), calling `write` until it took every byte.
 *
 * @param conn Anything with a `Deno.Conn`-like `write`.
 * @param data The bytes, or text.
 * @throws What `write` throws.
 */
export async function writeAll(
  conn: { write(p: Uint8Array): Promise<number> },
  data: Uint8Array | string,
): Promise<void> {
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}
