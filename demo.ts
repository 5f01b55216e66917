// A short tour of the library against a real cluster.
//
//   deno task demo [--kubeconfig=FILE] [--context=NAME] [--namespace=NS] [--pod=NAME] [--local] [--verbose]
//
// It finds a cluster the way an operator would, with autoDetectClient()
// (in a pod, a kubeconfig, a running `kubectl proxy`, or kubectl itself).
// With --local, or when nothing is found, it starts a throwaway etcd +
// kube-apiserver on loopback (the test suite's harness) and tours that.

import {
  autoDetectClient,
  AutoDetectError,
  KubeConfig,
  KubeConfigRestClient,
  KubernetesApiError,
  listWatch,
  readAllPages,
  Reflector,
  type RestClient,
} from "./mod.ts";

const args = Object.fromEntries(
  Deno.args.map((a) =>
    a.replace(/^--/, "").split("=", 2) as [string, string | undefined]
  ),
);

function say(text: string) {
  console.log(text);
}

type Closable = RestClient & { close?(): void | Promise<void> };

async function openClient(): Promise<
  { client: Closable; stop?: () => Promise<void> }
> {
  if (args.kubeconfig || args.context) {
    const config = args.kubeconfig
      ? await KubeConfig.readFromPath(args.kubeconfig)
      : await KubeConfig.getDefaultConfig();
    say(
      `Using kubeconfig ${config.files.join(", ")}, context ${
        args.context ?? config.data["current-context"]
      }.`,
    );
    return {
      client: await KubeConfigRestClient.forKubeConfig(config, args.context),
    };
  }
  if (!("local" in args)) {
    say("Looking for a cluster with autoDetectClient() ...");
    try {
      const client = await autoDetectClient();
      say(
        `Found one: ${client.constructor.name}, default namespace "${client.defaultNamespace}".`,
      );
      return { client };
    } catch (err) {
      if (!(err instanceof AutoDetectError)) throw err;
      say(err.message);
    }
  }
  say(
    "\nStarting a throwaway control plane (etcd + kube-apiserver on loopback) to tour instead.",
  );
  say(
    "The first run installs etcd and builds kube-apiserver from Debian's source: a few minutes, once.",
  );
  // The same public module users test with (@denokube/transport/testing).
  const { startCluster } = await import("./lib/testing/mod.ts");
  const cp = await startCluster({ install: true, log: (m) => say(`  ${m}`) });
  const client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
    undefined,
    {
      log: "verbose" in args,
    },
  );
  return { client, stop: cp.stop };
}

const { client, stop } = await openClient();
try {
  const version = await client.performRequest({
    method: "GET",
    path: "/version",
    expectJson: true,
  }) as {
    gitVersion: string;
  };
  say(`\n1. The API server runs Kubernetes ${version.gitVersion}.`);

  const ns = args.namespace ?? client.defaultNamespace ?? "default";
  const base = `/api/v1/namespaces/${ns}/configmaps`;
  const prefix = `demo-${crypto.randomUUID().slice(0, 6)}`;

  say(
    `\n2. Creating three ConfigMaps in namespace "${ns}", then listing them two per page:`,
  );
  for (const i of [1, 2, 3]) {
    await client.performRequest({
      method: "POST",
      path: base,
      bodyJson: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${prefix}-${i}`, labels: { demo: prefix } },
        data: { n: String(i) },
      },
    });
  }
  type List = {
    metadata: { continue?: string; resourceVersion: string };
    items: { metadata: { name: string } }[];
  };
  let pageNo = 0;
  let listVersion = "";
  for await (
    const page of readAllPages((token) =>
      client.performRequest({
        method: "GET",
        path: base,
        querystring: new URLSearchParams({
          labelSelector: `demo=${prefix}`,
          limit: "2",
          ...(token ? { continue: token } : {}),
        }),
        expectJson: true,
      }) as Promise<List>
    )
  ) {
    listVersion ||= page.metadata.resourceVersion;
    say(
      `   page ${++pageNo}: ${
        page.items.map((i) => i.metadata.name).join(", ")
      }`,
    );
  }

  say(
    `\n3. Watching for 3 seconds (timeoutSeconds=3) while one ConfigMap changes and another is deleted:`,
  );
  const watch = await client.performRequest({
    method: "GET",
    path: base,
    querystring: new URLSearchParams({
      watch: "1",
      labelSelector: `demo=${prefix}`,
      resourceVersion: listVersion,
      timeoutSeconds: "3",
    }),
    expectStream: true,
    expectJson: true,
  });
  await client.performRequest({
    method: "PATCH",
    path: `${base}/${prefix}-1`,
    contentType: "application/merge-patch+json",
    bodyJson: { data: { n: "one" } },
  });
  await client.performRequest({
    method: "DELETE",
    path: `${base}/${prefix}-2`,
  });
  for await (
    const ev of watch as ReadableStream<
      { type: string; object: { metadata: { name: string } } }
    >
  ) {
    say(`   ${ev.type.padEnd(8)} ${ev.object.metadata.name}`);
  }
  say("   (the server ended the watch after timeoutSeconds)");

  say("\n4. Errors are typed: reading the deleted ConfigMap again gives");
  try {
    await client.performRequest({
      method: "GET",
      path: `${base}/${prefix}-2`,
      expectJson: true,
    });
  } catch (err) {
    if (!(err instanceof KubernetesApiError)) throw err;
    say(
      `   KubernetesApiError: isNotFound()=${err.isNotFound()}, httpCode=${err.httpCode}, reason=${err.reason}`,
    );
    say(`   "${err.message}"`);
  }

  say(
    `\n5. A Reflector keeps a cache of the demo's ConfigMaps through list + watch:`,
  );
  {
    type CM = {
      metadata: {
        name: string;
        namespace: string;
        uid: string;
        resourceVersion: string;
      };
    };
    const { lister, watcher } = listWatch<CM>(client, base);
    const reflector = new Reflector<CM>(lister, watcher, {
      labelSelector: `demo=${prefix}`,
    });
    const stopReflector = new AbortController();
    const started = performance.now();
    const running = reflector.run(stopReflector.signal);
    for await (const evt of reflector.observeAll()) {
      if (evt.type === "SYNCED") {
        const names = [...reflector.listCached()].map((o) => o.metadata.name)
          .sort();
        say(
          `   synced ${names.length} objects at resourceVersion ${evt.object.metadata.resourceVersion} in ${
            Math.round(performance.now() - started)
          } ms: ${names.join(", ")}`,
        );
        await client.performRequest({
          method: "DELETE",
          path: `${base}/${prefix}-3`,
        });
      } else if (evt.type === "DELETED") {
        say(
          `   saw ${evt.object.metadata.name} deleted; the cache now holds ${
            [...reflector.listCached()].length
          }`,
        );
        break;
      }
    }
    stopReflector.abort();
    await running;
  }

  if (args.pod) {
    say(
      `\n6. Following pod ${args.pod}'s log for 5 seconds (the last 10 lines first):`,
    );
    try {
      const log = await client.performRequest({
        method: "GET",
        path: `/api/v1/namespaces/${ns}/pods/${args.pod}/log`,
        querystring: new URLSearchParams({ tailLines: "10", follow: "true" }),
        expectStream: true,
        abortSignal: AbortSignal.timeout(5000),
      });
      let bytes = 0;
      for await (const chunk of log) bytes += await Deno.stdout.write(chunk);
      if (bytes === 0) {
        say(
          "   (no log lines: the pod has not started, or has not printed anything)",
        );
      }
    } catch (err) {
      if (err instanceof KubernetesApiError) {
        say(`   the server said: ${err.message}`);
      } else if (err instanceof DOMException && err.name === "TimeoutError") {
        say("   (stopped after 5 seconds)");
      } else throw err;
    }
  }

  say(`\nCleaning up the demo's ConfigMaps.`);
  await client.performRequest({
    method: "DELETE",
    path: base,
    querystring: new URLSearchParams({ labelSelector: `demo=${prefix}` }),
  });
} finally {
  await client.close?.();
  await stop?.();
}
say("Done.");
