// Checking PEM text before Deno's TLS stack sees it: garbage between valid
// markers otherwise passes load and fails at the first request with an
// untyped error. Like Go's pem.Decode + a DER check, never quoting content.

/** The kind of PEM a field must hold. */
export type PemKind = "certificate" | "key";

/**
 * What is wrong with PEM text, or `undefined` when every block is sound:
 * markers paired, base64 bodies, each decoding to one DER structure, and at
 * least one block of the expected kind. Text outside the blocks (such as
 * `openssl x509 -text` output) is allowed, as Go allows it.
 *
 * @param text The PEM text.
 * @param kind Certificates (`CERTIFICATE`) or a private key (`… PRIVATE KEY`).
 * @returns A description that never quotes the text, or `undefined`.
 */
export function pemProblem(text: string, kind: PemKind): string | undefined {
  const lines = text.split(/\r?\n/);
  let blocks = 0;
  let wanted = 0;
  for (let i = 0; i < lines.length; i++) {
    const begin = lines[i].trim().match(/^-----BEGIN ([A-Z0-9 ]+)-----$/);
    if (!begin) continue;
    blocks++;
    const label = begin[1];
    const body: string[] = [];
    let end = -1;
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j].trim();
      if (line.startsWith("-----END ")) {
        end = j;
        if (line !== `-----END ${label}-----`) {
          return `PEM block ${blocks} (${label}) ends with a different marker`;
        }
        break;
      }
      body.push(line);
    }
    if (end === -1) return `PEM block ${blocks} (${label}) has no END marker`;
    i = end;
    // RFC 1421 headers (legacy encrypted keys) come before a blank line.
    const blank = body.indexOf("");
    const data = body.slice(
      blank !== -1 && body.slice(0, blank).every((l) => l.includes(":"))
        ? blank + 1
        : 0,
    ).join("");
    const der = decodeStrictBase64(data);
    if (!der) return `PEM block ${blocks} (${label}) is not valid base64`;
    if (!isOneDerValue(der)) {
      return `PEM block ${blocks} (${label}) does not hold DER data`;
    }
    if (
      kind === "certificate"
        ? label === "CERTIFICATE"
        : /PRIVATE KEY$/.test(label)
    ) {
      wanted++;
    }
  }
  if (blocks === 0) return "holds no PEM block";
  if (wanted === 0) {
    return kind === "certificate"
      ? "holds no CERTIFICATE block"
      : "holds no PRIVATE KEY block";
  }
  return undefined;
}

/** Standard base64 with padding, nothing else; `undefined` when not. */
function decodeStrictBase64(data: string): Uint8Array | undefined {
  if (
    data === "" || data.length % 4 !== 0 ||
    !/^[A-Za-z0-9+/]*={0,2}$/.test(data)
  ) return undefined;
  try {
    return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** One DER SEQUENCE whose length field covers exactly the rest. */
function isOneDerValue(der: Uint8Array): boolean {
  if (der.length < 2 || der[0] !== 0x30) return false;
  let len = der[1];
  let at = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || der.length < 2 + n) return false;
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + der[at++];
  }
  return at + len === der.length;
}
