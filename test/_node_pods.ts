// Pods on the test node, for the suites that need real containers: a
// namespace per suite, pod specs on the node's busybox image, and watching a
// pod until a condition holds (recording every state it passed through).

import assert from "node:assert/strict";
import {
  type JSONObject,
  KubeConfigRestClient,
  KubectlProxyRestClient,
  KubectlRawRestClient,
  listWatch,
  type RestClient,
} from "../mod.ts";
import type { ControlPlaneInfo, NodeInfo } from "@denokube/testing";
import { until } from "./_helpers.ts";
import { kubectlsUnderTest } from "./_kubectls.ts";

/** A container as tests write it; the image and pull policy come from the node. */
export interface TestContainer {
  name?: string;
  /** Run through `sh -c`. */
  script: string;
  stdin?: boolean;
  tty?: boolean;
  ports?: number[];
  /** An emptyDir mounted here (it outlives container restarts). */
  scratch?: string;
}

/** The minimum of a Pod the tests read. */
export interface PodView {
  metadata: {
    name: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
  };
  status?: {
    phase?: string;
    reason?: string;
    containerStatuses?: {
      name: string;
      restartCount: number;
      ready: boolean;
      state?: {
        waiting?: { reason?: string; message?: string };
        running?: { startedAt?: string };
        terminated?: { exitCode: number; reason?: string; message?: string };
      };
      lastState?: {
        terminated?: { exitCode: number; reason?: string; message?: string };
      };
    }[];
  };
}

/** A pod manifest for the node: no service-account token, grace 0, the node's image. */
export function podManifest(
  node: NodeInfo,
  name: string,
  containers: TestContainer[],
  extra: { restartPolicy?: string; image?: string } = {},
): JSONObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: name } },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      enableServiceLinks: false,
      dnsPolicy: "Default",
      restartPolicy: extra.restartPolicy ?? "Always",
      containers: containers.map((c, i) => ({
        name: c.name ?? (i === 0 ? "main" : `c${i}`),
        image: extra.image ?? node.images.busybox,
        imagePullPolicy: node.imagePullPolicy,
        command: ["sh", "-c", c.script],
        ...(c.stdin ? { stdin: true } : {}),
        ...(c.tty ? { tty: true } : {}),
        ...(c.ports
          ? { ports: c.ports.map((p) => ({ containerPort: p })) }
          : {}),
        ...(c.scratch
          ? { volumeMounts: [{ name: "scratch", mountPath: c.scratch }] }
          : {}),
      })),
      ...(containers.some((c) => c.scratch)
        ? { volumes: [{ name: "scratch", emptyDir: {} }] }
        : {}),
    },
  };
}

/** Creates a namespace whose `default` ServiceAccount exists, so pods are admitted. */
export async function createNamespace(
  client: RestClient,
  prefix: string,
): Promise<string> {
  const name = `${prefix}-${crypto.randomUUID().slice(0, 6)}`;
  await client.performRequest({
    method: "POST",
    path: "/api/v1/namespaces",
    bodyJson: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
  });
  // The ServiceAccount admission plugin rejects pods until the controller made `default`.
  await until(
    async () => {
      try {
        await client.performRequest({
          method: "GET",
          path: `/api/v1/namespaces/${name}/serviceaccounts/default`,
          expectJson: true,
        });
        return true;
      } catch {
        return false;
      }
    },
    30_000,
    `ServiceAccount ${name}/default`,
  );
  return name;
}

/** Deletes a namespace (the namespace controller removes its pods). */
export async function deleteNamespace(
  client: RestClient,
  name: string,
): Promise<void> {
  await client.performRequest({
    method: "DELETE",
    path: `/api/v1/namespaces/${name}`,
    expectJson: true,
  }).catch(() => {});
}

/** A short summary of a pod's state: phase plus the first container's state. */
export function podState(pod: PodView): string {
  const cs = pod.status?.containerStatuses?.[0];
  const c = cs?.state?.waiting
    ? `waiting:${cs.state.waiting.reason}`
    : cs?.state?.running
    ? "running"
    : cs?.state?.terminated
    ? `terminated:${cs.state.terminated.reason}`
    : "";
  return `${pod.status?.phase ?? "?"}${c ? `/${c}` : ""}`;
}

/**
 * Watches pods in `namespace` named `name` from before `start()` runs, until
 * `done(pod)` holds; returns every distinct state seen, in order. The watch
 * is the library's own listWatch (list, then watch from its resourceVersion).
 */
export async function watchPodUntil(
  client: RestClient,
  namespace: string,
  name: string,
  start: () => Promise<unknown>,
  done: (pod: PodView) => boolean,
  timeoutMs = 60_000,
): Promise<{ states: string[]; pod: PodView }> {
  const lw = listWatch<PodView, JSONObject>(
    client,
    `/api/v1/namespaces/${namespace}/pods`,
  );
  const fieldSelector = `metadata.name=${name}`;
  const list = await lw.lister({ fieldSelector });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const states: string[] = [];
  try {
    const events = await lw.watcher({
      fieldSelector,
      resourceVersion: list.metadata.resourceVersion ?? undefined,
      abortSignal: abort.signal,
    });
    await start();
    for await (const ev of events) {
      if (ev.type === "ERROR" || ev.type === "BOOKMARK") continue;
      const pod = ev.object as PodView;
      const state = podState(pod);
      if (states.at(-1) !== state) states.push(state);
      if (done(pod)) return { states, pod };
    }
    throw new Error("the watch ended");
  } catch (err) {
    if (abort.signal.aborted) {
      assert.fail(
        `pod ${namespace}/${name}: condition not met within ${timeoutMs} ms; states seen: ${
          states.join(" → ")
        }`,
      );
    }
    throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/**
 * Creates a pod and waits until it is Running with every container ready
 * and restarted at least `restarts` times: a container that fails once
 * must be waited for in its second run, since a kubelet may report its
 * first run Running and Ready for the instant before it exits (1.36 does).
 */
export async function runPod(
  client: RestClient,
  namespace: string,
  manifest: JSONObject,
  timeoutMs = 60_000,
  restarts = 0,
): Promise<PodView> {
  const name = (manifest.metadata as { name: string }).name;
  const { pod } = await watchPodUntil(
    client,
    namespace,
    name,
    () =>
      client.performRequest({
        method: "POST",
        path: `/api/v1/namespaces/${namespace}/pods`,
        bodyJson: manifest,
        expectJson: true,
      }),
    (p) =>
      p.status?.phase === "Running" &&
      (p.status.containerStatuses ?? []).every((c) =>
        c.ready && c.restartCount >= restarts
      ),
    timeoutMs,
  );
  return pod;
}

/** The node, or undefined with the skip reason printed once. */
export function nodeOf(
  cp: ControlPlaneInfo,
  suite: string,
): NodeInfo | undefined {
  if (!cp.node) {
    console.error(`${suite}: skipped, no node: ${cp.nodeSkipReason}`);
  }
  return cp.node;
}

/** A transport as the node suites drive it, with what it can carry. */
export interface NodeTransport {
  name: string;
  open: () => Promise<RestClient & { close?(): unknown }>;
  /** exec and attach (kubectl proxy rejects them by default). */
  exec: boolean;
  /** exec over WebSocket: speaks what the kubelet speaks (kubectl exec closes stdin itself). */
  websocket: boolean;
  portForward: boolean;
}

/** Every transport, for the node suites to pick from. */
export function nodeTransports(cp: ControlPlaneInfo): NodeTransport[] {
  return [
    {
      name: "KubeConfigRestClient with a client certificate",
      open: () => KubeConfigRestClient.readKubeConfig(cp.kubeconfigs.admin),
      exec: true,
      websocket: true,
      portForward: true,
    },
    ...(cp.kubeconfigs.adminToken
      ? [{
        name: "KubeConfigRestClient with a bearer token",
        open: () =>
          KubeConfigRestClient.readKubeConfig(cp.kubeconfigs.adminToken!),
        exec: true,
        websocket: true,
        portForward: true,
      }]
      : []),
    // Once per kubectl release under test (test/_kubectls.ts).
    ...kubectlsUnderTest(cp.binaries.kubectl).map((k) => ({
      name: `KubectlRawRestClient (${k.label})`,
      open: () =>
        Promise.resolve(
          new KubectlRawRestClient(undefined, {
            kubeconfig: cp.kubeconfigs.admin,
            kubectl: k.path,
          }),
        ),
      exec: true,
      websocket: false,
      portForward: false,
    })),
    {
      name: "KubectlProxyRestClient",
      open: () =>
        KubectlProxyRestClient.start({
          kubeconfig: cp.kubeconfigs.admin,
          kubectl: cp.binaries.kubectl,
        }),
      exec: false,
      websocket: true,
      portForward: true,
    },
  ];
}

/** A suite's namespace and admin client, made once on first use. */
export interface NodeSuite {
  /** Creates the namespace and runs `prepare` the first time; later calls wait for that. */
  ready(): Promise<{ admin: KubeConfigRestClient; ns: string }>;
  /** Deletes the namespace and closes the client (register it as the suite's last test). */
  teardown(): Promise<void>;
}

/** Sets up a namespace for a node suite lazily, so skipped suites do nothing. */
export function nodeSuite(
  cp: ControlPlaneInfo,
  prefix: string,
  prepare: (admin: KubeConfigRestClient, ns: string) => Promise<void> = () =>
    Promise.resolve(),
): NodeSuite {
  let made: Promise<{ admin: KubeConfigRestClient; ns: string }> | undefined;
  return {
    ready: () =>
      made ??= (async () => {
        const admin = await KubeConfigRestClient.readKubeConfig(
          cp.kubeconfigs.admin,
        );
        const ns = await createNamespace(admin, prefix);
        await prepare(admin, ns);
        return { admin, ns };
      })(),
    teardown: async () => {
      if (!made) return;
      const { admin, ns } = await made;
      await deleteNamespace(admin, ns);
      admin.close();
    },
  };
}
