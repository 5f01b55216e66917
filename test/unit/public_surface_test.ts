// Nothing made for tests is part of the public API: the Reflector has no
// public `step()` or `state` (tests step it through lib/watch/_reflector_seam.ts),
// KubeConfigRestClientOptions has no `sleep` (tests use
// transports/fetch/_retry_sleep.ts), and no entry point exports the
// transports' abstract `RequestBase`, the YAML reader's `YamlLimits` or
// `SERVICE_ACCOUNT_DIR`. The type-level half fails to compile when one comes
// back (`@ts-expect-error` then has nothing to expect). Unit tier.

import assert from "node:assert/strict";
import * as root from "../../mod.ts";
import * as inCluster from "../../transports/in_cluster.ts";
import * as kubeconfigTransport from "../../transports/kubeconfig.ts";
import * as manifest from "../../lib/objects/manifest.ts";
import * as errorsEntry from "../../lib/errors/mod.ts";
import * as kubeconfigEntry from "../../lib/config/mod.ts";
import * as transportsEntry from "../../transports/mod.ts";
import * as watchEntry from "../../lib/watch/mod.ts";
import * as tunnelsEntry from "../../lib/tunnels/mod.ts";
import * as objectsEntry from "../../lib/objects/mod.ts";
// The contract's names stay in the root, as kubernetes_client v0.7.3 had them.
import type {
  ApiKind as _ApiKind,
  JSONValue as _JSONValue,
  KubernetesTunnel as _KubernetesTunnel,
  RequestOptions as _RequestOptions,
  RestClient as _RestClient,
  WatchEvent as _WatchEvent,
} from "../../mod.ts";
import type { KubeConfigRestClientOptions } from "../../transports/mod.ts";
// @ts-expect-error: the YAML reader's bounds are ParseManifestsOptions' fields, not an export
import type { YamlLimits as _YamlLimits } from "../../mod.ts";
// @ts-expect-error: the transports' base class is not exported
import type { RequestBase as _RequestBase } from "../../mod.ts";

Deno.test("the Reflector has no public step() or state", () => {
  const proto = root.Reflector.prototype as unknown as Record<string, unknown>;
  assert.equal("step" in proto, false);
  assert.equal("state" in proto, false);
});

Deno.test("no entry point exports RequestBase or SERVICE_ACCOUNT_DIR", () => {
  for (
    const [name, mod] of Object.entries({
      root,
      inCluster,
      kubeconfigTransport,
      manifest,
      errorsEntry,
      kubeconfigEntry,
      transportsEntry,
      watchEntry,
      tunnelsEntry,
      objectsEntry,
    })
  ) {
    const exported = Object.keys(mod);
    for (const hidden of ["RequestBase", "SERVICE_ACCOUNT_DIR"]) {
      assert.ok(!exported.includes(hidden), `${name} exports ${hidden}`);
    }
  }
});

Deno.test("KubeConfigRestClientOptions has no sleep", () => {
  const options: KubeConfigRestClientOptions = {
    // @ts-expect-error: the wait between retries is injected through an internal seam
    sleep: () => Promise.resolve(),
  };
  assert.ok(options);
});

Deno.test("the root keeps every value kubernetes_client v0.7.3's root exported", () => {
  for (
    const name of [
      "KubeConfig",
      "KubeConfigContext",
      "Reflector",
      "JsonParsingTransformer",
      "WatchEventTransformer",
      "readAllPages",
      "readAllItems",
      "autoDetectClient",
      "InClusterRestClient",
      "KubectlRawRestClient",
      "KubeConfigRestClient",
    ]
  ) assert.ok(name in root, `the root no longer exports ${name}`);
});

Deno.test("the public surface is one subpath per area and a small root", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  ) as { exports: Record<string, string> };
  assert.deepEqual(Object.keys(config.exports).sort(), [
    ".",
    "./contract",
    "./errors",
    "./kubeconfig",
    "./objects",
    "./stream-transformers",
    "./transports",
    "./tunnels",
    "./watch",
  ]);
  // The testing module is a package of its own, not a subpath.
  const testing = JSON.parse(
    await Deno.readTextFile(
      new URL("../../lib/testing/deno.json", import.meta.url),
    ),
  ) as { name: string; exports: string };
  assert.equal(testing.name, "@denokube/testing");
  // Values only (types leave no trace at run time): well under the 60 names
  // the root may hold with its types.
  const values = Object.keys(root).length;
  assert.ok(values < 40, `the root exports ${values} values`);
});
