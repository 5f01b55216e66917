// The node harness itself: the node registered Ready with the images pods
// use, and the teardown leaves the host as it was. The teardown is one
// script (lib/testing/node_cleanup.sh) used by stop() and by the janitor that
// watches the runner; here it is driven on a node-shaped state directory
// with real kernel objects (a process, a bridge, a network namespace, a
// mount, a changed sysctl, a host path) while the suite's own node keeps
// running, both directly and through the janitor after a SIGKILL.

import assert from "node:assert/strict";
import { KubeConfigRestClient } from "../../../mod.ts";
import { controlPlane } from "../../harness.ts";
import { nodeOf } from "../../_node_pods.ts";
import { alive, until } from "../../_helpers.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "node_harness_test");
const cleanup =
  new URL("../../../lib/testing/node_cleanup.sh", import.meta.url).pathname;
const canTearDown = Deno.build.os === "linux" && Deno.uid() === 0;

Deno.test({
  name: "the node is registered Ready and schedulable, with the busybox image",
  ignore: !node || cp.external,
  fn: async () => {
    using client = await KubeConfigRestClient.readKubeConfig(
      cp.kubeconfigs.admin,
    );
    const n = await client.performRequest({
      method: "GET",
      path: `/api/v1/nodes/${node!.name}`,
      expectJson: true,
    }) as {
      spec?: { taints?: unknown[]; unschedulable?: boolean };
      status: {
        conditions: { type: string; status: string }[];
        addresses: { type: string; address: string }[];
        images: { names: string[] }[];
      };
    };
    assert.ok(
      n.status.conditions.some((c) =>
        c.type === "Ready" && c.status === "True"
      ),
    );
    assert.equal(n.spec?.unschedulable ?? false, false);
    assert.deepEqual(n.spec?.taints ?? [], []);
    assert.deepEqual(
      n.status.addresses.find((a) => a.type === "InternalIP")?.address,
      node!.ip,
    );
    const names = n.status.images.flatMap((i) => i.names);
    assert.ok(
      names.some((x) => x.endsWith(node!.images.busybox)),
      names.join(", "),
    );
  },
});

async function sh(...argv: string[]): Promise<string> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(
    out.success,
    `${argv.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
  );
  return new TextDecoder().decode(out.stdout);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/** A state directory shaped like a node's, with real things for the script to undo. */
async function fakeNode() {
  const id = crypto.randomUUID().slice(0, 6);
  const dir = await Deno.makeTempDir({ prefix: "kube-test-node-fake-" });
  const state = `${dir}/state`;
  await Deno.mkdir(`${state}/pids`, { recursive: true });
  const sleeper = new Deno.Command("sleep", { args: ["600"] }).spawn();
  await Deno.writeTextFile(`${state}/pids/sleeper`, String(sleeper.pid));
  const bridge = `ktfake${id}`.slice(0, 15);
  await Deno.writeTextFile(`${state}/bridge`, bridge);
  await sh("ip", "link", "add", bridge, "type", "bridge");
  const netns = `cni-kube-test-fake-${id}`;
  const before = await Deno.readDir("/var/run/netns")[Symbol.asyncIterator]()
    .next().then(() => true, () => false);
  const existing: string[] = [];
  if (before) {
    for await (const e of Deno.readDir("/var/run/netns")) {
      existing.push(e.name);
    }
  }
  await Deno.writeTextFile(`${state}/netns.before`, existing.join("\n") + "\n");
  // Only this one: the suite's real node may add namespaces meanwhile.
  await Deno.writeTextFile(`${state}/netns.prefix`, netns);
  await sh("ip", "netns", "add", netns);
  await Deno.mkdir(`${dir}/mnt`);
  await sh("mount", "-t", "tmpfs", "tmpfs", `${dir}/mnt`);
  const sysctl = "/proc/sys/kernel/keys/root_maxkeys";
  const original = (await Deno.readTextFile(sysctl)).trim();
  await Deno.writeTextFile(
    `${state}/sysctl.saved`,
    `kernel.keys.root_maxkeys=${original}\n`,
  );
  await Deno.writeTextFile(sysctl, String(Number(original) + 1));
  const hostPath = `/tmp/kube-test-fake-host-${id}`;
  await Deno.writeTextFile(`${state}/host-paths.absent`, `${hostPath}\n`);
  await Deno.mkdir(`${hostPath}/sub`, { recursive: true });
  return {
    dir,
    check: async () => {
      await sleeper.status;
      assert.ok(!alive(sleeper.pid), "the node's process is gone");
      assert.ok(
        !(await sh("ip", "-br", "link")).includes(bridge),
        "bridge gone",
      );
      assert.ok(!await exists(`/var/run/netns/${netns}`), "netns gone");
      assert.ok(
        !(await Deno.readTextFile("/proc/self/mountinfo")).includes(dir),
        "mount gone",
      );
      assert.equal((await Deno.readTextFile(sysctl)).trim(), original);
      assert.ok(!await exists(hostPath), "host path gone");
      assert.ok(!await exists(dir), "state directory gone");
    },
    forceClean: async () => {
      try {
        sleeper.kill("SIGKILL");
      } catch {
        // gone
      }
      await new Deno.Command("bash", { args: [cleanup, dir] }).output();
      await Deno.writeTextFile(sysctl, original);
    },
  };
}

Deno.test({
  name:
    "the node teardown undoes processes, bridge, network namespace, mounts, sysctls and host paths",
  ignore: !canTearDown || !node,
  fn: async () => {
    const fake = await fakeNode();
    try {
      await sh("bash", cleanup, fake.dir);
      await fake.check();
    } finally {
      await fake.forceClean();
    }
  },
});

Deno.test({
  name:
    "the janitor tears a node down when the process that started it is SIGKILLed",
  ignore: !canTearDown || !node,
  fn: async () => {
    const fake = await fakeNode();
    const runner = new Deno.Command("sleep", { args: ["600"] }).spawn();
    const janitor = new Deno.Command("setsid", {
      args: ["bash", cleanup, "--watch", String(runner.pid), fake.dir],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(
        await exists(fake.dir),
        "nothing is torn down while the runner lives",
      );
      runner.kill("SIGKILL");
      await runner.status;
      await until(async () => !await exists(fake.dir), 15_000, "torn down");
      await janitor.status;
      await fake.check();
    } finally {
      try {
        runner.kill("SIGKILL");
      } catch {
        // gone
      }
      await fake.forceClean();
    }
  },
});
