// Turning a failed fetch into a TransportError: the abort reason as is, a
// request cut by close() as "closed", otherwise the cause chain's messages
// with a hint where the certificate did not chain to the configured CA (or
// the kubeconfig asked to skip verification, which Deno cannot do per client).

import { TransportError } from "../../lib/errors/mod.ts";

/** node:tls's codes for a chain that does not lead to a trusted CA. */
const untrustedCodes = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
]);

/**
 * The error a failed request rejects with.
 *
 * @param err What fetch or the forwarder threw.
 * @param request The request.
 * @param client The signal, whether the client was closed, the host asking
 *   to skip verification, and the base URL.
 * @returns The signal's reason, or a {@link TransportError}.
 */
export function networkError(
  err: unknown,
  request: { method: string; path: string },
  client: {
    signal?: AbortSignal;
    closed: boolean;
    insecureHost: string | undefined;
    base: string;
  },
): unknown {
  const signal = client.signal;
  // An abort rejects with the signal's own reason (a TimeoutError for
  // AbortSignal.timeout, or whatever the caller passed), as fetch does.
  if (signal?.aborted) return signal.reason;
  if (err instanceof TransportError) return err;
  if (client.closed) {
    // close() tore down the forwarder (or client) under this request.
    return new TransportError(
      `${request.method} ${request.path}: this KubeConfigRestClient was closed during the request`,
      { request, reason: "closed", cause: err },
    );
  }
  // Deno's fetch says "fetch failed" and keeps the reason in `cause`.
  const parts: string[] = [];
  for (
    let e: unknown = err;
    e !== undefined && parts.length < 4;
    e = (e as Error).cause
  ) {
    parts.push(e instanceof Error ? e.message : String(e));
    if (!(e instanceof Error)) break;
  }
  const text = parts.join(": ");
  let hint = "";
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && untrustedCodes.has(code)) {
    hint =
      " (the server's certificate does not chain to the configured certificate-authority, the only CA trusted)";
  }
  if (
    client.insecureHost &&
    /certificate|UnknownIssuer|InvalidCertificate/i.test(text)
  ) {
    hint =
      ` (the kubeconfig asks to skip TLS verification: run Deno with --unsafely-ignore-certificate-errors=${client.insecureHost})`;
  }
  return new TransportError(
    `${request.method} ${request.path}: request to ${client.base} failed: ${text}${hint}`,
    {
      request,
      cause: err,
      // node:tls says what failed in `code`; its messages vary.
      ...(typeof code === "string" && /CERT|^ERR_(TLS|SSL)_/.test(code)
        ? { reason: "tls" as const }
        : {}),
    },
  );
}
