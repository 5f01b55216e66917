// The import gate (.ci/check_imports.ts) fails on what it is there to catch:
// its rule, run on small planted graphs, reports an upward import, a sideways
// one between sibling layers (watch and tunnels), a cycle and a module in no
// layer, and passes the imports the layers allow; an import from the testing
// package (a workspace member) into the transport package by a relative path
// or into a file it does not export fails too. And every module of the
// library on disk belongs to a layer, so `ls lib` shows the layers the gate
// knows.
// Needs no cluster: it reads lib/ and transports/.

import assert from "node:assert/strict";
import {
  importProblems,
  type Layer,
  layerOf,
  LAYERS,
  packageProblems,
  reachableLayers,
  type WorkspacePackage,
} from "../../../.ci/_layers.ts";
import { plantedGraph } from "./_planted_graph.ts";

const graph = plantedGraph;

Deno.test("imports down the layers pass the gate", () => {
  assert.deepEqual(
    importProblems(graph([
      ["lib/errors/mod.ts", "lib/_internal/redact.ts"],
      ["lib/errors/mod.ts", "lib/contract.ts"],
      ["lib/auth/credentials.ts", "lib/config/context.ts"],
      ["lib/objects/wait.ts", "lib/watch/list_watch.ts"],
      ["lib/objects/wait.ts", "lib/errors/mod.ts"],
      ["lib/watch/stream_transformers.ts", "lib/_wire/line_buffer.ts"],
      ["transports/kubeconfig.ts", "lib/auth/credentials.ts"],
      ["transports/auto_detect.ts", "transports/kubeconfig.ts"],
      ["mod.ts", "transports/auto_detect.ts"],
      ["lib/testing/cluster.ts", "mod.ts"],
    ])),
    [],
  );
});

Deno.test("a planted upward import fails the gate, naming both modules and layers", () => {
  assert.deepEqual(
    importProblems(graph([
      ["lib/config/context.ts", "lib/auth/credentials.ts"],
      ["lib/_internal/redact.ts", "lib/errors/mod.ts"],
      ["transports/kubeconfig.ts", "transports/auto_detect.ts"],
    ])),
    [
      "upward import: lib/config/context.ts (config) imports lib/auth/credentials.ts (auth), which config does not build on",
      "upward import: lib/_internal/redact.ts (internal helpers) imports lib/errors/mod.ts (errors), which internal helpers does not build on",
      "upward import: transports/kubeconfig.ts (transports) imports transports/auto_detect.ts (auto-detect), which transports does not build on",
    ],
  );
});

Deno.test("watch, tunnels and objects work on the contract: reaching into config or a sibling is a sideways import, into tunnels from watch an upward one", () => {
  assert.deepEqual(
    importProblems(graph([
      ["lib/watch/reflector.ts", "lib/tunnels/exec.ts"],
      ["lib/tunnels/logs.ts", "lib/config/context.ts"],
      ["lib/objects/apply.ts", "lib/tunnels/exec.ts"],
    ])),
    [
      // Tunnels build on watch (a workload's logs follow its pods with the Reflector), so this one points up.
      "upward import: lib/watch/reflector.ts (watch) imports lib/tunnels/exec.ts (tunnels), which watch does not build on",
      "sideways import: lib/tunnels/logs.ts (tunnels) imports lib/config/context.ts (config), which tunnels does not build on",
      "sideways import: lib/objects/apply.ts (objects) imports lib/tunnels/exec.ts (tunnels), which objects does not build on",
    ],
  );
});

Deno.test("an import cycle inside one layer and a module in no layer fail the gate", () => {
  assert.deepEqual(
    importProblems(graph([
      ["lib/objects/a.ts", "lib/objects/b.ts"],
      ["lib/objects/b.ts", "lib/objects/a.ts"],
      ["mod.ts", "lib/stray.ts"],
    ])),
    [
      "import cycle: lib/objects/a.ts → lib/objects/b.ts",
      "lib/stray.ts is in no layer: move it into a layer's folder or give it a rule in .ci/_layers.ts",
    ],
  );
});

const packages: WorkspacePackage[] = [
  {
    name: "@denokube/transport",
    dir: "",
    exports: { ".": "mod.ts", "./errors": "lib/errors/mod.ts" },
  },
  {
    name: "@denokube/testing",
    dir: "lib/testing/",
    exports: { ".": "lib/testing/mod.ts" },
  },
];

Deno.test("the testing package reaches the transport package by its name and exports only", () => {
  const specs = (edges: [string, string, string][]) => {
    const m = new Map<string, Map<string, string>>();
    for (const [from, to, s] of edges) {
      m.set(from, (m.get(from) ?? new Map()).set(to, s));
    }
    return m;
  };
  assert.deepEqual(
    packageProblems(
      specs([
        ["lib/testing/cluster.ts", "mod.ts", "@denokube/transport"],
        ["lib/testing/cluster.ts", "lib/testing/_etcd.ts", "./_etcd.ts"],
        [
          "lib/testing/testing_error.ts",
          "lib/errors/mod.ts",
          "@denokube/transport/errors",
        ],
        [
          "transports/kubeconfig.ts",
          "lib/errors/mod.ts",
          "../lib/errors/mod.ts",
        ],
      ]),
      packages,
    ),
    [],
  );
  assert.deepEqual(
    packageProblems(
      specs([
        ["lib/testing/cluster.ts", "mod.ts", "../../mod.ts"],
        [
          "lib/testing/_processes.ts",
          "lib/_internal/delay.ts",
          "../_internal/delay.ts",
        ],
      ]),
      packages,
    ),
    [
      'cross-package import: lib/testing/cluster.ts (@denokube/testing) imports mod.ts as "../../mod.ts"; expected the package specifier "@denokube/transport"',
      "cross-package import: lib/testing/_processes.ts (@denokube/testing) imports lib/_internal/delay.ts, which @denokube/transport does not export; import one of its exports by name",
    ],
  );
});

Deno.test("the transport package importing the testing package is an upward import", () => {
  assert.deepEqual(
    importProblems(
      graph([["lib/config/kube_config.ts", "lib/testing/mod.ts"]]),
    ),
    [
      "upward import: lib/config/kube_config.ts (config) imports lib/testing/mod.ts (testing), which config does not build on",
    ],
  );
});

Deno.test("a layer may only build on layers listed before it, so the rule cannot go in circles", () => {
  const layers: Layer[] = [
    { name: "low", paths: ["lib/low/"], uses: ["high"] },
    { name: "high", paths: ["lib/high/"], uses: ["low"] },
  ];
  assert.throws(
    () => reachableLayers(layers),
    new Error(
      'layer "low" uses "high", which is not a layer listed before it',
    ),
  );
  assert.doesNotThrow(() => reachableLayers(LAYERS));
});

Deno.test("every library module on disk belongs to a layer", () => {
  const root = new URL("../../../", import.meta.url);
  const unlayered: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(new URL(dir, root))) {
      const path = dir + e.name;
      if (e.isDirectory) walk(path + "/");
      else if (path.endsWith(".ts") && !path.endsWith("_test.ts")) {
        if (!layerOf(path)) unlayered.push(path);
      }
    }
  };
  walk("lib/");
  walk("transports/");
  assert.deepEqual(unlayered, []);
  assert.equal(layerOf("transports/auto_detect.ts")?.name, "auto-detect");
  assert.equal(layerOf("transports/kubectl_raw.ts")?.name, "transports");
});
