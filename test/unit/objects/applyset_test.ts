// Applied sets without a cluster: the id is kubectl's (the value kubectl's
// own test pins for Secret test/my-set, and an independent computation with
// node:crypto for a custom parent with a group); the tooling written is
// deno.json's version; a bad parent, a bad tooling value and an object
// labelled as a member of another set are refused before any request; a
// parent the server will not show stops the apply before any write.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { RequestOptions, RestClient } from "../../../mod.ts";
import {
  APPLIED_SET_TOOLING,
  AppliedSetError,
  appliedSetId,
  apply,
  listAppliedSet,
} from "../../../lib/objects/mod.ts";
import { apiErrorFromBody } from "../../../lib/errors/mod.ts";
import { rejection } from "../../_helpers.ts";

/** A client that fails the test on any request. */
function silent(): RestClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    defaultNamespace: "default",
    performRequest(opts: RequestOptions): Promise<never> {
      calls.push(`${opts.method} ${opts.path}`);
      return Promise.reject(new Error(`unexpected request ${opts.path}`));
    },
  } as RestClient & { calls: string[] };
}

Deno.test("appliedSetId matches the id kubectl's own apply test pins for Secret test/my-set", async () => {
  // staging/src/k8s.io/kubectl/pkg/cmd/apply/apply_test.go
  // (TestApplySetParentManagement): parent Secret my-set in namespace test.
  assert.equal(
    await appliedSetId({ kind: "Secret", name: "my-set", namespace: "test" }),
    "applyset-0eFHV8ySqp7XoShsGvyWFQD3s96yqwHmzc4e0HR1dsY-v1",
  );
});

Deno.test("appliedSetId hashes name.namespace.kind.group with base64url and no padding", async () => {
  for (
    const p of [
      { kind: "ConfigMap", name: "web", namespace: "prod", group: "" },
      { kind: "Widget", name: "w", namespace: "ns", group: "example.com" },
      // A cluster-scoped parent hashes an empty namespace.
      { kind: "Widget", name: "w", namespace: "", group: "example.com" },
    ]
  ) {
    const b64 = createHash("sha256").update(
      `${p.name}.${p.namespace}.${p.kind}.${p.group}`,
    ).digest("base64url");
    const id = await appliedSetId(p);
    assert.equal(id, `applyset-${b64}-v1`);
    assert.doesNotMatch(id, /[=+/]/);
    // A label value: at most 63 characters, alphanumeric at both ends.
    assert.ok(id.length <= 63, id);
    // The same parent named by its apiVersion: the group, not the version.
    assert.equal(
      await appliedSetId({
        apiVersion: p.group ? `${p.group}/v1beta2` : "v1",
        kind: p.kind,
        name: p.name,
        ...(p.namespace ? { namespace: p.namespace } : {}),
      }),
      id,
    );
  }
});

Deno.test("the tooling written on the parent is name/version with deno.json's version", async () => {
  const { version } = JSON.parse(
    await Deno.readTextFile(new URL("../../../deno.json", import.meta.url)),
  );
  assert.equal(APPLIED_SET_TOOLING, `denokube/v${version}`);
});

Deno.test("apply refuses an object labelled as a member of another set before any request", async () => {
  const client = silent();
  const err = await rejection(
    apply(client, [{
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "a",
        labels: { "applyset.kubernetes.io/part-of": "applyset-other-v1" },
      },
    }], {
      appliedSet: { parent: { kind: "ConfigMap", name: "s", namespace: "d" } },
    }),
    AppliedSetError,
  );
  assert.equal(err.reason, "ForeignMember");
  assert.match(err.message, /ConfigMap a: .*applyset-other-v1/);
  assert.deepEqual(client.calls, []);
});

Deno.test("a core parent that is not a Secret or ConfigMap, one without a namespace, a bad apiVersion, or a tooling without a version, is refused before any request", async () => {
  const client = silent();
  for (
    const [parent, message] of [
      [
        { kind: "Deployment", name: "s", namespace: "d" },
        /^applied set Deployment d\/s: expected a Secret, a ConfigMap or a custom resource \(apiVersion group\/version\) whose CustomResourceDefinition carries the label applyset.kubernetes.io\/is-parent-type, found "Deployment" of "v1"$/,
      ],
      [
        { kind: "Service", apiVersion: "v1", name: "s", namespace: "d" },
        /found "Service" of "v1"/,
      ],
      [
        { kind: "Secret", name: "s" },
        /^applied set Secret s: expected a namespace for a Secret parent, found none$/,
      ],
      [
        { kind: "Widget", apiVersion: "a/b/c", name: "s" },
        /expected apiVersion as group\/version, found "a\/b\/c"/,
      ],
    ] as const
  ) {
    const bad = await rejection(
      listAppliedSet(client, parent),
      AppliedSetError,
    );
    assert.equal(bad.reason, "InvalidParent");
    assert.match(bad.message, message);
  }
  const dots = await rejection(
    listAppliedSet(client, { kind: "Secret", name: "..", namespace: "d" }),
    AppliedSetError,
  );
  assert.equal(dots.reason, "InvalidParent");
  const tooling = await rejection(
    apply(client, [], {
      appliedSet: {
        parent: { kind: "Secret", name: "s", namespace: "d" },
        tooling: "mytool",
      },
    }),
    AppliedSetError,
  );
  assert.match(
    tooling.message,
    /expected tooling as name\/version, found "mytool"/,
  );
  assert.deepEqual(client.calls, []);
});

/** Serves core discovery for ConfigMaps; every other request answers 403. */
function forbidding(): RestClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    defaultNamespace: "default",
    performRequest(opts: RequestOptions): Promise<unknown> {
      if (opts.path === "/api") {
        return Promise.resolve({ kind: "APIVersions", versions: ["v1"] });
      }
      if (opts.path === "/apis") {
        return Promise.resolve({ kind: "APIGroupList", groups: [] });
      }
      if (opts.path === "/api/v1") {
        return Promise.resolve({
          kind: "APIResourceList",
          groupVersion: "v1",
          resources: [{
            name: "configmaps",
            kind: "ConfigMap",
            namespaced: true,
            verbs: ["get", "list", "patch", "delete"],
          }],
        });
      }
      calls.push(`${opts.method} ${opts.path}`);
      return Promise.reject(
        apiErrorFromBody(403, "", { method: opts.method, path: opts.path }),
      );
    },
  } as RestClient & { calls: string[] };
}

Deno.test("a parent the server will not show stops the apply before any write, as ParentUpdateFailed with the 403", async () => {
  const client = forbidding();
  const err = await rejection(
    apply(client, [{
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "a" },
    }], {
      appliedSet: { parent: { kind: "ConfigMap", name: "s", namespace: "d" } },
    }),
    AppliedSetError,
  );
  assert.equal(err.reason, "ParentUpdateFailed");
  assert.match(
    err.message,
    /^applied set ConfigMap d\/s: reading the parent failed: /,
  );
  assert.equal((err.cause as { code?: number }).code, 403);
  assert.deepEqual(client.calls, ["GET /api/v1/namespaces/d/configmaps/s"]);
});
