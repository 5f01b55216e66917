// KubernetesApiError and the builders that turn any failed answer into it:
// unit cases, odd bodies from a local server, and real apiserver answers.

import assert from "node:assert/strict";
import { KubernetesApiError } from "../../../mod.ts";
import {
  apiErrorFromBody,
  apiErrorFromResponse,
  apiErrorFromStatus,
  httpCodeForReason,
  parseRetryAfter,
} from "../../../lib/errors/mod.ts";

const req = { method: "GET", path: "/api/v1/namespaces/default/pods/web-0" };

Deno.test("a Status body is carried whole, with v0.7.3's httpCode and status", () => {
  const body = JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: 'pods "web-0" not found',
    reason: "NotFound",
    details: { name: "web-0", kind: "pods" },
    code: 404,
  });
  const err = apiErrorFromBody(404, body, req);
  assert.ok(err instanceof KubernetesApiError);
  assert.ok(err instanceof Error);
  assert.equal(err.name, "KubernetesApiError");
  assert.equal(err.httpCode, 404);
  assert.equal(err.status.reason, "NotFound");
  assert.equal(err.status.details?.name, "web-0");
  assert.equal(err.code, 404);
  assert.equal(err.reason, "NotFound");
  assert.deepEqual(err.request, req);
  assert.equal(
    err.message,
    'GET /api/v1/namespaces/default/pods/web-0: HTTP 404 NotFound: pods "web-0" not found',
  );
  assert.ok(err.isNotFound());
  assert.ok(!err.isConflict() && !err.isGone() && !err.isForbidden());
});

Deno.test("each predicate matches its reason, and its code when the reason is unknown", () => {
  const cases: [number, string | undefined, keyof KubernetesApiError][] = [
    [404, "NotFound", "isNotFound"],
    [409, "Conflict", "isConflict"],
    [409, "AlreadyExists", "isAlreadyExists"],
    [403, "Forbidden", "isForbidden"],
    [401, "Unauthorized", "isUnauthorized"],
    [410, "Expired", "isGone"],
    [410, "Gone", "isExpired"],
    [429, "TooManyRequests", "isTooManyRequests"],
    [422, "Invalid", "isInvalid"],
    [400, "BadRequest", "isBadRequest"],
    [503, "ServiceUnavailable", "isServerError"],
    [404, undefined, "isNotFound"],
    [422, undefined, "isInvalid"],
    [410, undefined, "isGone"],
  ];
  const predicates = [
    "isNotFound",
    "isConflict",
    "isAlreadyExists",
    "isForbidden",
    "isUnauthorized",
    "isGone",
    "isExpired",
    "isTooManyRequests",
    "isInvalid",
    "isBadRequest",
    "isServerError",
  ] as const;
  for (const [code, reason, expected] of cases) {
    const err = new KubernetesApiError(code, reason ? { reason } : {}, req);
    for (const p of predicates) {
      const want = p === expected ||
        (expected === "isGone" && p === "isExpired") ||
        (expected === "isExpired" && p === "isGone");
      assert.equal(err[p](), want, `${code} ${reason}: ${p}`);
    }
  }
  // AlreadyExists is a 409 but not a Conflict, as in client-go.
  const exists = new KubernetesApiError(409, { reason: "AlreadyExists" }, req);
  assert.ok(!exists.isConflict());
});

Deno.test("non-Status bodies still give a Status with a reason from the code", () => {
  const json = apiErrorFromBody(502, '{"error":"upstream connect error"}', req);
  assert.equal(json.reason, "Unknown");
  assert.equal(json.status.message, "upstream connect error");
  assert.equal(json.status.code, 502);

  const text = apiErrorFromBody(403, "Forbidden: no access\n", req);
  assert.equal(text.reason, "Forbidden");
  assert.equal(text.status.message, "Forbidden: no access");
  assert.ok(text.isForbidden());

  const empty = apiErrorFromBody(404, new Uint8Array(), req);
  assert.equal(empty.reason, "NotFound");
  assert.equal(empty.status.message, undefined);
  assert.equal(
    empty.message,
    "GET /api/v1/namespaces/default/pods/web-0: HTTP 404 NotFound",
  );

  const truncated = apiErrorFromBody(500, '{"kind":"Status","mess', req);
  assert.equal(truncated.reason, "InternalError");
  assert.equal(truncated.status.message, '{"kind":"Status","mess');

  const huge = apiErrorFromBody(500, "<html>" + "x".repeat(10_000), req);
  assert.ok(huge.message.length < 400, "a long body is quoted only in part");
  assert.match(huge.message, /… \(10006 chars\)$/);
});

Deno.test("httpCodeForReason maps kubectl's reasons", () => {
  assert.equal(httpCodeForReason("NotFound"), 404);
  assert.equal(httpCodeForReason("AlreadyExists"), 409);
  assert.equal(httpCodeForReason("Invalid"), 422);
  assert.equal(httpCodeForReason("Expired"), 410);
  assert.equal(httpCodeForReason("NoSuchReason"), undefined);
});

Deno.test("apiErrorFromStatus takes the code of a watch ERROR event", () => {
  const err = apiErrorFromStatus({
    kind: "Status",
    status: "Failure",
    message: "too old resource version: 1 (5)",
    reason: "Expired",
    code: 410,
  }, { method: "GET", path: "/api/v1/configmaps?watch=1" });
  assert.equal(err.httpCode, 410);
  assert.ok(err.isGone());
  const noCode = apiErrorFromStatus({ reason: "Expired" }, req);
  assert.equal(noCode.httpCode, 410);
  const nothing = apiErrorFromStatus({}, req);
  assert.equal(nothing.httpCode, 500);
});

Deno.test("parseRetryAfter reads seconds and HTTP dates", () => {
  const now = Date.parse("2026-11-20T12:00:00Z");
  assert.equal(parseRetryAfter("7", now), 7);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("Fri, 20 Nov 2026 12:00:30 GMT", now), 30);
  assert.equal(parseRetryAfter("Fri, 20 Nov 2026 11:00:00 GMT", now), 0);
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});

/** A local server that answers with whatever body shape a test names. */
async function withOddServer(
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const enc = new TextEncoder();
  const status = JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    message: "slow down",
    reason: "TooManyRequests",
    details: { retryAfterSeconds: 3 },
    code: 429,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (r) => {
      const kind = new URL(r.url).pathname.slice(1);
      switch (kind) {
        case "chunked-status":
          // A streamed body has no Content-Length: sent chunked, split mid-token.
          return new Response(
            ReadableStream.from([
              enc.encode(status.slice(0, 17)),
              enc.encode(status.slice(17)),
            ]),
            {
              status: 429,
              headers: {
                "content-type": "application/json",
                "retry-after": "5",
              },
            },
          );
        case "text":
          return new Response("upstream timed out", { status: 504 });
        case "empty":
          return new Response(null, { status: 401 });
        case "big":
          return new Response("y".repeat(1024 * 1024), { status: 500 });
        default:
          return new Response("?", { status: 400 });
      }
    },
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("apiErrorFromResponse reads chunked, text, empty and oversized bodies", async () => {
  await withOddServer(async (base) => {
    const get = async (p: string) =>
      await apiErrorFromResponse(await fetch(`${base}/${p}`), {
        method: "GET",
        path: `/${p}`,
      });

    const chunked = await get("chunked-status");
    assert.equal(chunked.httpCode, 429);
    assert.equal(chunked.reason, "TooManyRequests");
    assert.equal(chunked.status.message, "slow down");
    assert.equal(chunked.retryAfterSeconds, 5, "the header wins over details");
    assert.ok(chunked.isTooManyRequests());

    const text = await get("text");
    assert.equal(text.httpCode, 504);
    assert.equal(text.status.message, "upstream timed out");
    assert.equal(text.reason, "Timeout");

    const empty = await get("empty");
    assert.ok(empty.isUnauthorized());
    assert.equal(empty.message, "GET /empty: HTTP 401 Unauthorized");

    const big = await get("big");
    assert.equal(big.httpCode, 500);
    assert.match(big.message, /\(65536 chars\)$/, "reads at most 64 KiB");
  });
});
