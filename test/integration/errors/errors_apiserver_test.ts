// The error builder against real kube-apiserver answers, fetched with plain
// fetch and the harness's certificates: what users will see from every transport.

import assert from "node:assert/strict";
import type { KubernetesApiError } from "../../../mod.ts";
import { apiErrorFromResponse } from "../../../lib/errors/mod.ts";
import {
  adminHeaders,
  adminHttpClient,
} from "../../../lib/testing/descriptor.ts";
import { controlPlane } from "../../harness.ts";

const cp = await controlPlane();
const ns = `errors-${crypto.randomUUID().slice(0, 8)}`;

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; client?: Deno.HttpClient } = {},
): Promise<
  { ok: true; json: Record<string, unknown> } | {
    ok: false;
    err: KubernetesApiError;
  }
> {
  const client = opts.client ?? adminHttpClient(cp);
  try {
    const resp = await fetch(`${cp.server}${path}`, {
      method,
      client,
      headers: {
        ...(opts.client ? {} : adminHeaders(cp)),
        "content-type": "application/json",
        accept: "application/json",
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    if (resp.ok) return { ok: true, json: await resp.json() };
    return {
      ok: false,
      err: await apiErrorFromResponse(resp, { method, path }),
    };
  } finally {
    if (!opts.client) client.close();
  }
}

async function mustFail(
  method: string,
  path: string,
  opts: { body?: unknown; client?: Deno.HttpClient } = {},
): Promise<KubernetesApiError> {
  const r = await call(method, path, opts);
  if (r.ok) assert.fail(`${method} ${path} succeeded`);
  return r.err;
}

function configMap(
  name: string,
  extra: Record<string, unknown> = {},
  data: Record<string, string> = { a: "1" },
) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, ...extra },
    data,
  };
}

Deno.test("real apiserver errors", async (t) => {
  assert.ok(
    (await call("POST", "/api/v1/namespaces", {
      body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
    })).ok,
  );

  await t.step("404 NotFound names the object", async () => {
    const path = `/api/v1/namespaces/${ns}/configmaps/missing`;
    const err = await mustFail("GET", path);
    assert.equal(err.httpCode, 404);
    assert.ok(err.isNotFound());
    assert.equal(err.status.kind, "Status");
    assert.equal(err.details?.name, "missing");
    assert.equal(err.details?.kind, "configmaps");
    assert.equal(
      err.message,
      `GET ${path}: HTTP 404 NotFound: configmaps "missing" not found`,
    );
  });

  await t.step(
    "409 AlreadyExists on a second create, Conflict on a stale update",
    async () => {
      const path = `/api/v1/namespaces/${ns}/configmaps`;
      const created = await call("POST", path, { body: configMap("dup") });
      assert.ok(created.ok);
      const exists = await mustFail("POST", path, { body: configMap("dup") });
      assert.equal(exists.httpCode, 409);
      assert.ok(exists.isAlreadyExists());
      assert.ok(!exists.isConflict());

      const meta = created.json.metadata as { resourceVersion: string };
      // Each update changes the data: a no-op update keeps the resourceVersion.
      const updated = await call("PUT", `${path}/dup`, {
        body: configMap("dup", { resourceVersion: meta.resourceVersion }, {
          a: "2",
        }),
      });
      assert.ok(updated.ok);
      const stale = await mustFail("PUT", `${path}/dup`, {
        body: configMap("dup", { resourceVersion: meta.resourceVersion }, {
          a: "3",
        }),
      });
      assert.equal(stale.httpCode, 409);
      assert.ok(stale.isConflict());
      assert.equal(stale.reason, "Conflict");
    },
  );

  await t.step(
    "422 Invalid carries details.causes naming the field",
    async () => {
      const err = await mustFail(
        "POST",
        `/api/v1/namespaces/${ns}/configmaps`,
        {
          body: configMap("Not_A_Valid_Name"),
        },
      );
      assert.equal(err.httpCode, 422);
      assert.ok(err.isInvalid());
      const causes = err.details?.causes ?? [];
      assert.ok(causes.length >= 1);
      assert.equal(causes[0].field, "metadata.name");
      assert.equal(causes[0].reason, "FieldValueInvalid");
    },
  );

  await t.step({
    name: "403 Forbidden for the limited user outside its namespace",
    ignore: !cp.users.limited,
    fn: async () => {
      const limited = cp.users.limited!;
      const client = Deno.createHttpClient({
        caCerts: [cp.caPem],
        cert: limited.certPem,
        key: limited.keyPem,
      });
      try {
        const err = await mustFail(
          "GET",
          `/api/v1/namespaces/${ns}/configmaps`,
          {
            client,
          },
        );
        assert.equal(err.httpCode, 403);
        assert.ok(err.isForbidden());
        assert.match(err.status.message ?? "", /kube-test-limited/);
        const ok = await call(
          "GET",
          `/api/v1/namespaces/${cp.limitedNamespace}/configmaps`,
          {
            client,
          },
        );
        assert.ok(ok.ok, "the same user may read its own namespace");
      } finally {
        client.close();
      }
    },
  });

  await t.step({
    name: "410 Expired for a continue token older than an etcd compaction",
    ignore: !cp.etcdUrl,
    fn: async () => {
      const path = `/api/v1/namespaces/${ns}/configmaps`;
      for (const n of ["page-a", "page-b", "page-c"]) {
        assert.ok((await call("POST", path, { body: configMap(n) })).ok);
      }
      const first = await call("GET", `${path}?limit=1`);
      assert.ok(first.ok);
      const token = (first.json.metadata as { continue: string }).continue;
      assert.ok(token);
      // Move etcd past the token's revision, then compact it away.
      assert.ok((await call("POST", path, { body: configMap("page-d") })).ok);
      await cp.compactEtcd();
      const err = await mustFail(
        "GET",
        `${path}?limit=1&continue=${encodeURIComponent(token)}`,
      );
      assert.equal(err.httpCode, 410);
      assert.ok(err.isGone() && err.isExpired());
      assert.equal(err.reason, "Expired");
    },
  });

  assert.ok((await call("DELETE", `/api/v1/namespaces/${ns}`)).ok);
});
