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
import type { KubeConfigRestClientOptions } from "../../mod.ts";
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
