// setEnv (`kubectl set env` for code) on the real apiserver, no node (the
// patch is the server's strategic merge; the rollout wait it shares with
// setImage is tested with a node in node_rollout_test.ts and the dev loop):
// a variable is added, one changed, one removed, one that had `valueFrom`
// becomes a plain value, and everything else (other variables in order,
// other containers, the image) is left alone; "*" reaches init containers
// too, a named container's value winning over "*"'s; new variables go
// after the existing ones (1.20's merge alone would put them first); bad input and an
// unknown container fail before anything is written, naming what the
// object has; a missing object is the server's 404.

import assert from "node:assert/strict";
import {
  DynamicClient,
  KubeConfigRestClient,
  KubernetesApiError,
} from "../../../mod.ts";
import { setEnv } from "../../../lib/objects/mod.ts";
import { controlPlane } from "../../harness.ts";
import { rejection } from "../../_helpers.ts";

const cp = await controlPlane();
const ns = `setenv-${crypto.randomUUID().slice(0, 6)}`;

type Container = {
  name: string;
  image: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
};
type PodSpec = { initContainers: Container[]; containers: Container[] };

Deno.test("setEnv adds, changes and removes variables in one patch and leaves everything else alone", async () => {
  using client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
  );
  const dyn = DynamicClient.for(client);
  const web = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: "web",
    namespace: ns,
  };
  await dyn.create({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ns },
  });
  try {
    await dyn.create({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: ns },
      spec: {
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            initContainers: [{ name: "init", image: "busybox:1" }],
            containers: [{
              name: "httpd",
              image: "httpd:2.4",
              env: [
                { name: "KEEP", value: "1" },
                { name: "CHANGE", value: "old" },
                { name: "DROP", value: "x" },
                {
                  name: "FROM",
                  valueFrom: { fieldRef: { fieldPath: "metadata.name" } },
                },
              ],
            }, { name: "sidecar", image: "busybox:1" }],
          },
        },
      },
    });
    const spec = async () =>
      ((await dyn.get(web)).spec as { template: { spec: PodSpec } }).template
        .spec;

    const patched = await setEnv(client, web, {
      httpd: {
        CHANGE: "new",
        DROP: null,
        FROM: "plain",
        ADDED: "yes",
        GONE: null,
      },
    });
    assert.equal(patched.metadata?.name, "web");
    const after = await spec();
    assert.deepEqual(after.containers[0].env, [
      { name: "KEEP", value: "1" },
      { name: "CHANGE", value: "new" },
      { name: "FROM", value: "plain" },
      { name: "ADDED", value: "yes" },
    ]);
    assert.equal(after.containers[0].image, "httpd:2.4");
    assert.equal(
      after.containers[1].env,
      undefined,
      "the sidecar is untouched",
    );
    assert.equal(after.initContainers[0].env, undefined);

    // "*": every container, init containers too; a named container's value wins.
    await setEnv(client, web, {
      "*": { MODE: "all" },
      sidecar: { MODE: "side" },
    });
    const all = await spec();
    assert.deepEqual(all.initContainers[0].env, [{
      name: "MODE",
      value: "all",
    }]);
    assert.deepEqual(all.containers[1].env, [{ name: "MODE", value: "side" }]);
    assert.deepEqual(all.containers[0].env?.at(-1), {
      name: "MODE",
      value: "all",
    });

    // Bad input and unknown containers: TypeError, nothing written.
    // The generation, not the resourceVersion: with a node, the deployment
    // controller writes the status meanwhile; only a spec change moves it.
    const before = (await dyn.get(web)).metadata?.generation;
    const unknown = await rejection(
      setEnv(client, web, { nginx: { A: "1" } }),
      TypeError,
    );
    assert.equal(
      unknown.message,
      `set env of Deployment ${ns}/web (apps/v1): no container named "nginx" (it has init, httpd, sidecar)`,
    );
    await rejection(setEnv(client, web, {}), TypeError);
    await rejection(setEnv(client, web, { httpd: {} }), TypeError);
    await rejection(setEnv(client, web, { httpd: { "": "x" } }), TypeError);
    const notString = await rejection(
      setEnv(client, web, { httpd: { N: 1 as unknown as string } }),
      TypeError,
    );
    assert.match(
      notString.message,
      /variable "N": expected a string or null \(remove\), found number$/,
    );
    assert.equal((await dyn.get(web)).metadata?.generation, before);

    // A variable name the server refuses: its 422.
    const invalid = await rejection(
      setEnv(client, web, { httpd: { "1=bad": "x" } }),
      KubernetesApiError,
    );
    assert.equal(invalid.httpCode, 422);

    // A missing object: the server's 404.
    const missing = await rejection(
      setEnv(client, { ...web, name: "nope" }, { httpd: { A: "1" } }),
      KubernetesApiError,
    );
    assert.ok(missing.isNotFound());
  } finally {
    await dyn.delete({ apiVersion: "v1", kind: "Namespace", name: ns })
      .catch(() => {});
  }
});
