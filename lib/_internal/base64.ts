// Base64 of any text or bytes: `btoa` alone fails on text beyond Latin-1,
// and spreading a large array into `String.fromCharCode` overflows the stack.

/**
 * Standard base64 of bytes, or of a string's UTF-8 encoding.
 *
 * @param data Bytes, or text to encode as UTF-8 first.
 * @returns The base64 text.
 */
export function encodeBase64(data: Uint8Array | string): string {
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  let binary = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(binary);
}
