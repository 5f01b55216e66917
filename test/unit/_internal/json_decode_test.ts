// The one JSON decoder (lib/_internal/json.ts) that every whole body, every
// line of a stream, the Status kubectl logs and exec plugins' output go
// through: a text that is not JSON is told without quoting it (the parser's
// class kept, its message withheld, only the length and the position where
// it stopped passed on), and both the whole-body and the per-line paths
// carry that through to their errors.

import assert from "node:assert/strict";
import {
  parseJson,
  parseJsonOrUndefined,
  tryParseJson,
} from "../../../lib/_internal/json.ts";
import { parseJsonLine } from "../../../lib/_wire/line_buffer.ts";
import { apiErrorFromBody } from "../../../lib/errors/api_error_from.ts";
import { parseStderr } from "../../../transports/_kubectl_diagnostics.ts";
import { StreamDecodeError } from "../../../mod.ts";

const SECRET = "c2VjcmV0LXRva2VuLXZhbHVl";
const notJson = `{"kind":"Secret","data":{"token":"${SECRET}"} oops`;

Deno.test("tryParseJson gives the value of JSON text and of UTF-8 bytes", () => {
  assert.deepEqual(tryParseJson('{"a":[1,"é"]}'), {
    ok: true,
    value: { a: [1, "é"] },
  });
  assert.deepEqual(
    tryParseJson(new TextEncoder().encode('{"a":[1,"é"]}')),
    { ok: true, value: { a: [1, "é"] } },
  );
  assert.deepEqual(tryParseJson("null"), { ok: true, value: null });
});

Deno.test("a text that is not JSON fails with the parser's class, no quoted text, its length and where the parser stopped", () => {
  const r = tryParseJson(notJson);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.ok(r.failure.cause instanceof SyntaxError);
  assert.equal(r.failure.chars, notJson.length);
  assert.equal(r.failure.position, notJson.indexOf(" oops") + 1);
  assert.ok(!String((r.failure.cause as Error).message).includes(SECRET));
  assert.ok(!JSON.stringify(r).includes(SECRET));
});

Deno.test("parseJson throws the caller's error built from the failure; parseJsonOrUndefined gives undefined", () => {
  assert.throws(
    () =>
      parseJson(
        notJson,
        ({ chars, cause }) =>
          new Error(`body is not JSON (${chars} chars)`, { cause }),
      ),
    (err: Error) =>
      err.message === `body is not JSON (${notJson.length} chars)` &&
      err.cause instanceof SyntaxError &&
      !(err.cause as Error).message.includes(SECRET),
  );
  assert.equal(parseJsonOrUndefined(notJson), undefined);
  assert.deepEqual(parseJsonOrUndefined("[1]"), [1]);
});

Deno.test("a malformed stream line names its column through the one decoder and quotes nothing", () => {
  assert.throws(
    () => parseJsonLine(notJson, 4),
    (err: unknown) => {
      assert.ok(err instanceof StreamDecodeError);
      assert.equal(err.line, 4);
      assert.match(
        err.message,
        new RegExp(`stopped at column ${notJson.indexOf(" oops") + 2}\\)`),
      );
      assert.ok(err.cause instanceof SyntaxError);
      assert.ok(!err.message.includes(SECRET));
      assert.ok(!(err.cause as Error).message.includes(SECRET));
      return true;
    },
  );
});

Deno.test("a failed answer's body and kubectl's logged Status are read by the same decoder", () => {
  const api = apiErrorFromBody(
    404,
    '{"kind":"Status","reason":"NotFound","message":"gone","code":404}',
    { method: "GET", path: "/api/v1/x" },
  );
  assert.equal(api.status.reason, "NotFound");
  const diag = parseStderr(
    'I1203 16:45:26.727428   22465 helpers.go:216] server response object: [{"kind":"Status","code":404,"reason":"NotFound","message":"gone"}]\n',
  );
  assert.equal(diag.status?.reason, "NotFound");
  const broken = parseStderr(
    `I1203 16:45:26.727428   22465 helpers.go:216] server response object: [{"kind":"Status","message":"${SECRET}"}]\n`
      .replace(
        '"kind"',
        "kind",
      ),
  );
  assert.equal(broken.status, undefined);
});
