// A successful fetch response as the request asked for it: a stream of
// bytes or of JSON lines (whose abort the client owns), or the whole body as
// bytes or parsed JSON.

import type { RequestOptions } from "../../lib/contract.ts";
import { TransportError } from "../../lib/errors/mod.ts";
import { ownedBody, ownedJsonLines, readAllOrAbort } from "../_owned_body.ts";
import type { RequestTarget } from "../_request_base.ts";
import { parseJson } from "../../lib/_internal/json.ts";

/**
 * The body of `resp`, shaped as `opts` asks.
 *
 * @param resp The 2xx response.
 * @param opts The request (`expectStream`, `expectJson`, `abortSignal`).
 * @param request The request, for errors.
 * @param fail Turns a read failure into the error to throw.
 * @returns A stream, the JSON value, or the bytes.
 * @throws {TransportError} When a JSON body does not parse.
 */
export async function readBody(
  resp: Response,
  opts: RequestOptions,
  request: RequestTarget,
  fail: (err: unknown) => unknown,
): Promise<unknown> {
  if (opts.expectStream) {
    return opts.expectJson
      ? ownedJsonLines(resp, opts.abortSignal, fail)
      : ownedBody(resp, opts.abortSignal, fail);
  }
  const bytes = await readAllOrAbort(resp, opts.abortSignal, fail);
  if (!opts.expectJson) return bytes;
  return parseJson(bytes, ({ cause, chars }) =>
    new TransportError(
      `${request.method} ${request.path}: HTTP ${resp.status} response is not JSON (content-type ${
        resp.headers.get("content-type") ?? "none"
      }, ${chars} chars)`,
      { request, reason: "bad-response", cause },
    ));
}
