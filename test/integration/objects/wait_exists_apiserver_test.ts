// exists() on the real apiserver, no node: waitFor with exists() returns
// an object that already exists at once, and waits for one created after
// the wait started (as a ServiceAccount appears in a new namespace when the
// controller manager makes it: here the test creates it, since without a
// node no controller manager runs); a condition evaluated once on a fetched
// object answers without waiting.

import assert from "node:assert/strict";
import { KubeConfigRestClient } from "../../../mod.ts";
import { exists, WaitError, waitFor } from "../../../lib/objects/wait.ts";
import { controlPlane } from "../../harness.ts";
import { rejection } from "../../_helpers.ts";

const cp = await controlPlane();
const ns = `exists-${crypto.randomUUID().slice(0, 6)}`;

Deno.test("waitFor(exists()) returns a ServiceAccount created after the wait started, and an existing one at once", async () => {
  const client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
  );
  try {
    await client.performRequest({
      method: "POST",
      path: "/api/v1/namespaces",
      bodyJson: { metadata: { name: ns } },
      expectJson: true,
    });
    const ref = {
      apiVersion: "v1",
      kind: "ServiceAccount",
      name: "builder",
      namespace: ns,
    };
    const waiting = waitFor(client, ref, exists(), { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 500));
    await client.performRequest({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/serviceaccounts`,
      bodyJson: { metadata: { name: "builder" } },
      expectJson: true,
    });
    const sa = await waiting;
    assert.equal(sa?.metadata?.name, "builder");

    const t = performance.now();
    const again = await waitFor(client, ref, exists(), { timeoutMs: 20_000 });
    assert.equal(again?.metadata?.uid, sa?.metadata?.uid);
    assert.ok(performance.now() - t < 5_000);

    // Absent for the whole deadline: a Timeout that says so.
    const err = await rejection(
      waitFor(client, { ...ref, name: "never" }, exists(), {
        timeoutMs: 1_500,
      }),
      WaitError,
    );
    assert.equal(err.reason, "Timeout");
    assert.match(
      err.message,
      /exists not reached within 1500 ms; last seen: absent/,
    );
  } finally {
    await client.performRequest({
      method: "DELETE",
      path: `/api/v1/namespaces/${ns}`,
      expectJson: true,
    }).catch(() => {});
    client.close();
  }
});
