// The acceptance of the consumer helpers, part three: a k3d-style dev loop
// with an out-of-cluster gateway, each step a few lines, on the real
// apiserver and node, through the public entry points only (mod.ts and
// /objects, /tunnels, /watch). It applies the gateway (a Deployment running
// busybox httpd and a Service) as an applied set, waits for its rollout,
// watches sandbox pods through a shared watch (sees both become Ready, sees
// one deleted), syncs a "rebuilt binary" (384 KiB, mode 0755) and an assets
// directory into a running sandbox and copies them back byte- and
// mode-identical, reads the gateway's logs by workload (every pod,
// prefixed), execs on a ready pod of it, rolls out a new image and a new
// environment and waits for each rollout, port-forwards to the Service and
// fetches through it, then deletes the applied set and the namespace.
// Skipped without a node.
//
// "A new image" is a real new build: busybox with the gateway's applets and
// a file naming the build, written as an image archive (`newBuild` below,
// a stand-in for `docker build` + `docker save`: there is no registry
// here), imported into the node through the testing package's node handle
// (`cluster.node.importImage`) and tagged per build (`tagImage`: a unique
// tag makes a new pod template, as Tilt's content tags do); the new pod
// runs it, shown by the build's file. This needs the harness's own node
// (an external cluster's node has no image store of ours: skipped).
//
// Lines per step, as deno fmt lays them out, between one step comment and
// the next (blank lines, comments, asserts and `// Check:` statements — the
// test's own verification — excluded); where issue #23 measured the
// hand-written version, that count follows:
//   the namespace and its default ServiceAccount (exists())     16
//   apply the gateway as an applied set, wait for the rollout  11  (74 by hand across apply, status, delete)
//   watch sandboxes: both Ready, one deleted                   25
//   sync a binary and a directory into the pod, copy back       4  (25 for one direction, `head -c` framing)
//   logs of every gateway pod, prefixed                          7  (plus a pods-by-selector helper)
//   exec on a ready gateway pod                                  4  (plus a pods-by-selector helper)
//   new image imported and tagged, then new env, each rolled out  9  (+16: the image build, newBuild)
//   port-forward to the Service and fetch                        7  (~30)
//   delete the applied set                                       4
// The sandbox step is a consumer's own loop over watch events (the shared
// watch is one call on the path `DynamicClient.collectionPathOf` builds
// from apiVersion/kind + namespace; readiness is `podReady().test`). The
// rollout step is `setImage` and `setEnv` (`kubectl set image`/`set env`),
// each waiting for its rollout.

import assert from "node:assert/strict";
import {
  DynamicClient,
  KubeConfigRestClient,
  type KubernetesObject,
  waitFor,
} from "../../mod.ts";
import {
  apply,
  deleteAppliedSet,
  deleted,
  exists,
  listAppliedSet,
  parseManifests,
  podReady,
  setEnv,
  setImage,
  waitForRollout,
} from "../../lib/objects/mod.ts";
import {
  copyFromPod,
  copyToPod,
  execWorkload,
  portForwardService,
  workloadLogs,
} from "../../lib/tunnels/mod.ts";
import { SharedWatches } from "../../lib/watch/mod.ts";
import { controlPlane } from "../harness.ts";
import { nodeOf } from "../_node_pods.ts";
// The consumer's own image build (a stand-in for `docker build` + `docker save`).
import { writeImageArchive } from "../../lib/testing/_node_images.ts";

const cp = await controlPlane();
// The new image goes into the node's image store: the harness's own node only.
const node = !cp.external && nodeOf(cp, "consumer_dev_loop_test")
  ? cp.node
  : undefined;
if (cp.external) {
  console.error("consumer_dev_loop_test: skipped, an external cluster's node");
}
const ns = `devloop-${crypto.randomUUID().slice(0, 6)}`;
const dec = new TextDecoder();
const buildId = `build-${crypto.randomUUID().slice(0, 8)}`;

function gateway(image: string, pullPolicy: string): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: gateway}
spec:
  replicas: 1
  progressDeadlineSeconds: 60
  selector: {matchLabels: {app: gateway}}
  template:
    metadata: {labels: {app: gateway}}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: 0
      containers:
      - name: httpd
        image: ${image}
        imagePullPolicy: ${pullPolicy}
        env: [{name: GREETING, value: hello-dev}]
        command: [sh, -c, "mkdir -p /www && echo $GREETING > /www/index.html && echo gateway up && exec httpd -f -p 8080 -h /www"]
        ports: [{containerPort: 8080, name: http, protocol: TCP}]
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: gateway}
spec:
  selector: {app: gateway}
  ports: [{port: 80, targetPort: http, protocol: TCP}]
`;
}

/**
 * The consumer's image build: busybox with the applets the gateway runs and
 * a file naming the build, as an image archive under the dev loop's
 * repository (`:dev`), the way `docker save` would hand it over.
 */
async function newBuild(dir: string): Promise<string> {
  const root = `${dir}/image`;
  await Deno.mkdir(`${root}/bin`, { recursive: true });
  await Deno.mkdir(`${root}/etc`, { recursive: true });
  await Deno.copyFile("/bin/busybox", `${root}/bin/busybox`);
  await Deno.chmod(`${root}/bin/busybox`, 0o755);
  for (const applet of ["sh", "mkdir", "echo", "httpd", "cat", "wget"]) {
    await Deno.symlink("busybox", `${root}/bin/${applet}`);
  }
  await Deno.writeTextFile(`${root}/etc/build`, `${buildId}\n`);
  const tarball = `${dir}/gateway.tar`;
  await writeImageArchive(root, tarball, `devloop.local/gateway:dev`, {
    Env: ["PATH=/bin"],
  });
  return tarball;
}

/** A sandbox pod: busybox sleeping, Ready once it runs (no probe). */
function sandbox(name: string): KubernetesObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels: { role: "sandbox" } },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 0,
      containers: [{
        name: "sandbox",
        image: node!.images.busybox,
        imagePullPolicy: node!.imagePullPolicy,
        command: ["sleep", "3600"],
      }],
    },
  };
}

/** A 384 KiB "binary" of random bytes, mode 0755, and a small assets tree. */
async function build(dir: string): Promise<void> {
  const bin = new Uint8Array(384 * 1024);
  for (let i = 0; i < bin.length; i += 65536) {
    crypto.getRandomValues(bin.subarray(i, i + 65536));
  }
  await Deno.mkdir(`${dir}/out/assets/css`, { recursive: true });
  await Deno.writeFile(`${dir}/out/server`, bin, { mode: 0o755 });
  await Deno.chmod(`${dir}/out/server`, 0o755);
  await Deno.writeTextFile(`${dir}/out/assets/index.html`, "<h1>dev</h1>\n");
  await Deno.writeTextFile(`${dir}/out/assets/css/site.css`, "h1{}\n");
  await Deno.chmod(`${dir}/out/assets/index.html`, 0o640);
}

/** Every file under `root`, relative path → [bytes, mode]. */
async function snapshot(
  root: string,
  rel = "",
): Promise<Map<string, [string, number]>> {
  const out = new Map<string, [string, number]>();
  for await (const e of Deno.readDir(`${root}/${rel}`)) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    const info = await Deno.stat(`${root}/${path}`);
    if (e.isDirectory) {
      out.set(`${path}/`, ["", info.mode! & 0o7777]);
      for (const [k, v] of await snapshot(root, path)) out.set(k, v);
    } else {
      const bytes = await Deno.readFile(`${root}/${path}`);
      const digest = await crypto.subtle.digest("SHA-256", bytes);
      out.set(path, [
        `${bytes.length}:${
          btoa(String.fromCharCode(...new Uint8Array(digest)))
        }`,
        info.mode! & 0o7777,
      ]);
    }
  }
  return out;
}

Deno.test({
  name:
    "a dev loop applies its gateway as a set, watches sandboxes, syncs a binary, reads logs, execs, rolls out, port-forwards and tears down, each in a few lines",
  ignore: !node,
  fn: async () => {
    using client = await KubeConfigRestClient.readKubeConfig(
      cp.kubeconfigs.admin,
    );
    const dyn = DynamicClient.for(client);
    const tmp = await Deno.makeTempDir({ prefix: "devloop-" });
    const nsRef = { apiVersion: "v1", kind: "Namespace", name: ns };
    const parent = {
      kind: "ConfigMap",
      name: "devloop",
      namespace: ns,
    } as const;
    const gw = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "gateway",
      namespace: ns,
    };
    const workload = { kind: "Deployment", name: "gateway" } as const;
    const allPods = { apiVersion: "v1", kind: "Pod", namespace: ns };
    const podRef = (name: string) => ({
      apiVersion: "v1",
      kind: "Pod",
      name,
      namespace: ns,
    });
    try {
      // The namespace, and its default ServiceAccount (sandbox pods need it).
      await dyn.create({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns },
      });
      await waitFor(
        client,
        {
          apiVersion: "v1",
          kind: "ServiceAccount",
          name: "default",
          namespace: ns,
        },
        exists(),
        { timeoutMs: 60_000 },
      );

      // Apply the gateway as an applied set and wait for its rollout.
      const objects = parseManifests(
        gateway(node!.images.busybox, node!.imagePullPolicy),
        { source: "gateway.yaml" },
      );
      await apply(client, objects, {
        fieldManager: "devloop",
        namespace: ns,
        appliedSet: { parent },
      });
      await waitForRollout(client, gw, { timeoutMs: 120_000 });
      const members = await listAppliedSet(client, parent);
      assert.deepEqual(members.map((m) => m.ref.kind).sort(), [
        "Deployment",
        "Service",
      ]);

      // Watch sandbox pods: create two, see both Ready, delete one, see it go.
      {
        const path = await dyn.collectionPathOf(allPods);
        await using pods = SharedWatches.for(client).reflector<
          KubernetesObject
        >(path, {
          labelSelector: "role=sandbox",
          signal: AbortSignal.timeout(120_000),
        });
        await Promise.all(["sb-a", "sb-b"].map((n) => dyn.create(sandbox(n))));
        const ready = new Set<string>();
        let gone = "";
        for await (const evt of pods.observeAll()) {
          if (evt.type === "DELETED") gone = evt.object.metadata.name;
          if (gone) break;
          if (evt.type !== "ADDED" && evt.type !== "MODIFIED") continue;
          const { name } = evt.object.metadata;
          if (ready.has(name) || !podReady().test(evt.object, podRef(name))) {
            continue;
          }
          ready.add(name);
          if (ready.size === 2) {
            await dyn.delete(podRef("sb-b"), { gracePeriodSeconds: 0 });
          }
        }
        assert.deepEqual([...ready].sort(), ["sb-a", "sb-b"]);
        assert.equal(gone, "sb-b");
        assert.deepEqual(pods.listCached().map((p) => p.metadata.name), [
          "sb-a",
        ]);
      }

      // Sync the rebuilt binary and its assets into the running sandbox, and copy them back.
      await build(tmp);
      const sb = { namespace: ns, pod: "sb-a" };
      await copyToPod(client, sb, `${tmp}/out`, "/tmp/app");
      await copyFromPod(client, sb, "/tmp/app", `${tmp}/back`);
      assert.deepEqual(
        await snapshot(`${tmp}/back`),
        await snapshot(`${tmp}/out`),
      );
      // Check: in the pod it is executable and whole.
      const size = await execWorkload(client, { selector: "role=sandbox" }, {
        namespace: ns,
        command: [
          "sh",
          "-c",
          "test -x /tmp/app/server && wc -c < /tmp/app/server",
        ],
      });
      assert.equal(
        dec.decode(size.stdout).trim(),
        String(384 * 1024),
        "executable, whole",
      );

      // The gateway's logs: every pod, each line prefixed with its pod and container.
      const lines = await Array.fromAsync(
        await workloadLogs(client, workload, {
          namespace: ns,
          allPods: true,
          prefix: true,
        }),
      );
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(
        lines[0],
        /^\[pod\/gateway-[a-z0-9]+-[a-z0-9]+\/httpd\] gateway up$/,
      );

      // Exec on a ready pod of the gateway.
      const page = await execWorkload(client, workload, {
        namespace: ns,
        command: ["wget", "-qO-", "http://127.0.0.1:8080/"],
      });
      assert.equal(page.exitCode, 0);
      assert.equal(dec.decode(page.stdout), "hello-dev\n");
      assert.match(page.pod, /^gateway-/);

      // A new image: build it, import it into the node, tag it per build, roll it out; then a new env.
      await using built = await node!.importImage(await newBuild(tmp));
      const tagged = `${built.refs[0].replace(/:dev$/, "")}:${buildId}`;
      await using _tag = await node!.tagImage(built.refs[0], tagged);
      await setImage(client, gw, { httpd: tagged }, {
        wait: { timeoutMs: 120_000 },
      });
      await setEnv(client, gw, { httpd: { GREETING: "hello-again" } }, {
        wait: { timeoutMs: 120_000 },
      });
      // Check: a new pod serves the new environment.
      const after = await execWorkload(client, workload, {
        namespace: ns,
        command: ["cat", "/www/index.html", "/etc/build"],
      });
      assert.equal(dec.decode(after.stdout), `hello-again\n${buildId}\n`);
      const running = await dyn.get(podRef(after.pod)) as {
        spec?: { containers?: { image?: string }[] };
      };
      assert.equal(running.spec?.containers?.[0]?.image, tagged);
      assert.notEqual(after.pod, page.pod, "the rollout made a new pod");

      // Port-forward to the Service from outside the cluster and fetch through it.
      {
        await using fwd = await portForwardService(client, {
          namespace: ns,
          service: "gateway",
        });
        const res = await fetch(`http://127.0.0.1:${fwd.localPort}/`);
        assert.equal(await res.text(), "hello-again\n");
      }

      // Delete the applied set (members in reverse, then the parent) and wait until it is gone.
      const removed = await deleteAppliedSet(client, parent, {
        wait: true,
        timeoutMs: 120_000,
      });
      assert.deepEqual(removed.map((d) => d.ref.kind), [
        "Deployment",
        "Service",
        "ConfigMap",
      ]);
      assert.ok(removed.every((d) => d.existed));
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      await dyn.delete(nsRef).catch(() => {});
      await waitFor(client, nsRef, deleted(), { timeoutMs: 120_000 });
    }
  },
});
