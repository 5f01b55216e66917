// KubectlRawRestClient's per-call overhead against running `kubectl get
// --raw` directly (and parsing its JSON), same run, same apiserver. Target:
// ratio ≥ 0.95. The fetch transport is listed alongside for scale.

import { KubeConfigRestClient, KubectlRawRestClient } from "../../mod.ts";
import { controlPlane } from "../harness.ts";

const cp = await controlPlane();
const kubeconfig = cp.kubeconfigs.admin;
const path = "/api/v1/namespaces/default/serviceaccounts/default";
const kubectl = new KubectlRawRestClient(undefined, {
  kubeconfig,
  kubectl: cp.binaries.kubectl,
});
const fetchClient = await KubeConfigRestClient.readKubeConfig(kubeconfig);

async function direct(): Promise<void> {
  const out = await new Deno.Command(cp.binaries.kubectl, {
    args: [`--kubeconfig=${kubeconfig}`, "get", `--raw=${path}`],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error("kubectl failed");
  JSON.parse(new TextDecoder().decode(out.stdout));
}
async function viaClient(): Promise<void> {
  await kubectl.performRequest({ method: "GET", path, expectJson: true });
}

// A process spawn costs tens of milliseconds and varies with whatever else
// the two cores do, so besides deno bench's sequential groups, alternate the
// two calls and compare medians: noise then hits both sides alike.
// (deno bench swallows console.log at module level; stderr gets through.)
{
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < 40; i++) {
    for (const [k, fn] of [[0, direct], [1, viaClient]] as const) {
      const t = performance.now();
      await fn();
      times[k].push(performance.now() - t);
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const [d, c] = times.map(median);
  console.error(
    `kubectl transport, 40 alternating pairs: direct ${
      d.toFixed(1)
    } ms, KubectlRawRestClient ${c.toFixed(1)} ms, ` +
      `throughput ratio ${(d / c).toFixed(3)} (target >= 0.95)`,
  );
}

Deno.bench({
  name: "kubectl get --raw, run directly",
  group: "GET one object through kubectl",
  baseline: true,
  fn: direct,
});
Deno.bench({
  name: "KubectlRawRestClient",
  group: "GET one object through kubectl",
  fn: viaClient,
});
Deno.bench({
  name: "KubeConfigRestClient (fetch), for scale",
  group: "GET one object, per transport",
  fn: async () =>
    void await fetchClient.performRequest({
      method: "GET",
      path,
      expectJson: true,
    }),
});

globalThis.addEventListener("unload", () => fetchClient.close());
