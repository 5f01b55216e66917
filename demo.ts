// A short tour of the library against a real cluster.
//
//   deno task demo [--kubeconfig=FILE] [--context=NAME] [--namespace=NS] [--pod=NAME]
//                  [--local] [--no-node] [--consumer-flow] [--image=IMAGE] [--verbose]
//
// It finds a cluster the way an operator would, with autoDetectClient()
// (in a pod, a kubeconfig, a running `kubectl proxy`, or kubectl itself).
// With --local, or when nothing is found, it starts a throwaway etcd +
// kube-apiserver on loopback (the test suite's harness) and tours that,
// with a node (kubelet + containerd) where this machine can run one
// (--no-node: never).
//
// Then the consumer flow a deploy tool runs: apply a Deployment + Service in
// a fresh namespace, wait until available, port-forward to the Service and
// fetch its page, stream a few log lines, scale to 0, delete everything.
// It needs a node to run pods: on the throwaway cluster it runs when the
// node started; on your own cluster only with --consumer-flow (it pulls
// --image, default busybox:1.36, and creates and deletes a namespace).

import {
  apply,
  autoDetectClient,
  AutoDetectError,
  KubeConfig,
  KubeConfigRestClient,
  KubernetesApiError,
  listWatch,
  parseManifests,
  readAllPages,
  Reflector,
  type RestClient,
  streamLogs,
  waitFor,
} from "./mod.ts";
import {
  deleteApplied,
  deploymentAvailable,
  deploymentRolledOut,
  scale,
} from "./lib/objects/mod.ts";
import { portForwardService } from "./lib/tunnels/mod.ts";

const args = Object.fromEntries(
  Deno.args.map((a) =>
    a.replace(/^--/, "").split("=", 2) as [string, string | undefined]
  ),
);

function say(text: string) {
  console.log(text);
}

type Closable = RestClient & { close?(): void | Promise<void> };

/** Where pods can run: the image to use, or why the consumer flow is skipped. */
type PodSupport = { image: string; pullPolicy: string } | { skip: string };

async function openClient(): Promise<
  { client: Closable; stop?: () => Promise<void>; pods: PodSupport }
> {
  const yours: PodSupport = "consumer-flow" in args
    ? { image: args.image ?? "busybox:1.36", pullPolicy: "IfNotPresent" }
    : {
      skip:
        "on your own cluster it runs only with --consumer-flow (it creates a namespace and pulls an image)",
    };
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
      pods: yours,
    };
  }
  if (!("local" in args)) {
    say("Looking for a cluster with autoDetectClient() ...");
    try {
      const client = await autoDetectClient();
      say(
        `Found one: ${client.constructor.name}, default namespace "${client.defaultNamespace}".`,
      );
      return { client, pods: yours };
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
  // The same public package users test with (@denokube/testing).
  const { startCluster } = await import("@denokube/testing");
  const wantNode = !("no-node" in args);
  if (wantNode) {
    say(
      "With a node (kubelet + containerd) if this machine can run one: root on Linux, one per machine.",
    );
  }
  const cp = await startCluster({
    install: true,
    node: wantNode ? "if-possible" : false,
    log: (m) => say(`  ${m}`),
  });
  const client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
    undefined,
    {
      log: "verbose" in args,
    },
  );
  return {
    client,
    stop: cp.stop,
    pods: cp.node
      ? { image: cp.node.images.busybox, pullPolicy: cp.node.imagePullPolicy }
      : { skip: `the throwaway cluster has no node: ${cp.nodeSkipReason}` },
  };
}

/** A Deployment running busybox httpd and a Service in front of it, in a namespace of its own. */
function consumerManifest(ns: string, image: string, pullPolicy: string) {
  return `
apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 0
      containers:
      - name: httpd
        image: ${image}
        imagePullPolicy: ${pullPolicy}
        command: [sh, -c, "mkdir -p /www && echo hello from $HOSTNAME > /www/index.html && echo serving /www on 8080 && exec httpd -f -v -p 8080 -h /www"]
        # protocol: server-side apply before Kubernetes 1.21 needs it spelled out
        ports: [{name: http, containerPort: 8080, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http, protocol: TCP}]
`;
}

/** The consumer flow: apply, wait, port-forward, logs, scale to 0, delete. */
async function consumerFlow(
  client: RestClient,
  image: string,
  pullPolicy: string,
): Promise<void> {
  const ns = `demo-flow-${crypto.randomUUID().slice(0, 6)}`;
  const web = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: "web",
    namespace: ns,
  };
  say(
    `   applying a Namespace "${ns}", a Deployment (${image}) and a Service (server-side apply) ...`,
  );
  let applied: Awaited<ReturnType<typeof apply>> = [];
  try {
    applied = await apply(
      client,
      parseManifests(consumerManifest(ns, image, pullPolicy), {
        source: "demo.yaml",
      }),
      { fieldManager: "denokube-demo" },
    ).catch((err) => {
      applied = err.applied ?? [];
      throw err;
    });
    say(
      `   applied ${
        applied.map((a) => a.ref.kind).join(", ")
      }; waiting until the Deployment is available ...`,
    );
    await waitFor(client, web, deploymentAvailable(), { timeoutMs: 120_000 });

    {
      await using fwd = await portForwardService(client, {
        namespace: ns,
        service: "web",
      });
      say(
        `   port-forward: 127.0.0.1:${fwd.localPort} → service/web → pod ${fwd.pod}:${fwd.remotePort}`,
      );
      const res = await fetch(`http://127.0.0.1:${fwd.localPort}/`);
      say(`   GET / through it: ${res.status} "${(await res.text()).trim()}"`);
    }

    const pod = (await client.performRequest({
      method: "GET",
      path: `/api/v1/namespaces/${ns}/pods`,
      querystring: new URLSearchParams({ labelSelector: "app=web" }),
      expectJson: true,
    }) as { items: { metadata: { name: string } }[] }).items[0].metadata.name;
    say(`   the last lines of pod ${pod}'s log (streamLogs):`);
    for await (
      const line of await streamLogs(client, { namespace: ns, name: pod }, {
        tailLines: 5,
      })
    ) {
      say(`     | ${line}`);
    }

    say("   scaling to 0 and waiting for the pods to go ...");
    await scale(client, web, 0);
    await waitFor(client, web, deploymentRolledOut(), { timeoutMs: 60_000 });
  } finally {
    say(
      `   deleting what was applied, in reverse order, and waiting until it is gone ...`,
    );
    await deleteApplied(client, applied, { wait: true, timeoutMs: 120_000 });
  }
  say("   done: nothing of the flow is left on the cluster.");
}

const { client, stop, pods } = await openClient();
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

  say(
    `\n${
      args.pod ? 7 : 6
    }. The consumer flow: apply a Deployment + Service, wait, port-forward, logs, scale to 0, delete.`,
  );
  if ("skip" in pods) say(`   skipped: ${pods.skip}`);
  else await consumerFlow(client, pods.image, pods.pullPolicy);

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
