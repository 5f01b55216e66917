// copyToPod / copyFromPod on real pods: the harness's kubelet (1.20,
// containerd's CRI streaming server, busybox image with busybox's own tar,
// sh and head). Uploads run a framing script (`head -c LENGTH | tar x`,
// started only once the script's checks passed, the rest drained if tar
// stops): on this kubelet a command that ends with an upload unread leaves
// the session without a Status for good, whichever transport (WebSocket v4,
// or kubectl's SPDY, which closes stdin itself). Both directions, a 3 MiB
// file and a tree (empty directory, long names, a symlink, modes), must
// come back byte- and mode-identical. A pod whose image lost its tar
// (removed at start-up: a real image without tar) and one that lost head
// give typed errors (on a session that can close stdin, an image without
// head gets tar alone, as kubectl cp runs it), as do a remote path that does
// not exist and a tar that fails half-way, each with 3 MiB to send and
// within a bound.

import assert from "node:assert/strict";
import { execCommand, TunnelError } from "../../../mod.ts";
import {
  copyFromPod,
  type CopyProgress,
  copyToPod,
} from "../../../lib/tunnels/mod.ts";
import { controlPlane, serverVersion } from "../../harness.ts";
import { within } from "../../_helpers.ts";
import {
  nodeOf,
  nodeSuite,
  nodeTransports,
  podManifest,
  runPod,
} from "../../_node_pods.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "node_copy_test");
// WebSocket exec gets v5.channel.k8s.io from 1.30; before, v4 only.
const v5 = (await serverVersion()).minor >= 30;
const dec = new TextDecoder();

const suite = nodeSuite(cp, "node-copy", async (admin, ns) => {
  await Promise.all([
    runPod(admin, ns, podManifest(node!, "box", [{ script: "sleep 3600" }])),
    runPod(
      admin,
      ns,
      podManifest(node!, "notar", [{ script: "rm /bin/tar; sleep 3600" }]),
    ),
    runPod(
      admin,
      ns,
      podManifest(node!, "nohead", [{ script: "rm /bin/head; sleep 3600" }]),
    ),
  ]);
});
let ns = "";
async function setUp(): Promise<void> {
  ns = (await suite.ready()).ns;
}

const MiB3 = 3 * 1024 * 1024;
const longName = "n".repeat(80) + "/" + "m".repeat(110) + ".txt";

/** A local tree: a 3 MiB executable, a long name, an empty 0700 dir, a 0640 file, a symlink. */
async function makeTree(root: string): Promise<Uint8Array<ArrayBuffer>> {
  const big = new Uint8Array(MiB3);
  for (let at = 0; at < big.length; at += 65536) {
    crypto.getRandomValues(big.subarray(at, at + 65536));
  }
  await Deno.mkdir(`${root}/sub/empty`, { recursive: true });
  await Deno.mkdir(`${root}/${longName.split("/")[0]}`);
  await Deno.writeFile(`${root}/big.bin`, big);
  await Deno.chmod(`${root}/big.bin`, 0o755);
  await Deno.writeTextFile(`${root}/sub/secret.txt`, "s\n");
  await Deno.chmod(`${root}/sub/secret.txt`, 0o640);
  await Deno.chmod(`${root}/sub/empty`, 0o700);
  await Deno.writeTextFile(`${root}/${longName}`, "long\n");
  await Deno.symlink("big.bin", `${root}/link`);
  return big;
}

/** Path → "type mode size" (and the link target), for comparing trees. */
async function describe(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (dir: string, rel: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = `${dir}/${e.name}`;
      const r = rel ? `${rel}/${e.name}` : e.name;
      const st = await Deno.lstat(p);
      const mode = (st.mode! & 0o7777).toString(8);
      if (st.isSymlink) out[r] = `link ${await Deno.readLink(p)}`;
      else if (st.isDirectory) {
        out[r] = `dir ${mode}`;
        await visit(p, r);
      } else out[r] = `file ${mode} ${st.size}`;
    }
  };
  await visit(root, "");
  return out;
}

/** A 3 MiB file of zeros. */
async function bigFile(path: string): Promise<void> {
  await Deno.writeFile(path, new Uint8Array(MiB3));
}

/**
 * What `p` rejected with, a TunnelError, within 30 s: every failure here
 * must end the copy, whatever the remote side left unread.
 */
async function rejection(p: Promise<unknown>): Promise<TunnelError> {
  const err = await within(
    p.then(() => undefined, (e) => e),
    30_000,
    "the failing copy",
  );
  assert.ok(err instanceof TunnelError, `expected a TunnelError, got ${err}`);
  return err;
}

for (const t of nodeTransports(cp).filter((t) => t.exec)) {
  const framing = t.websocket && !v5 ? "v4: head -c framing" : "stdin closed";
  Deno.test({
    name:
      `${t.name}: a 3 MiB file and a tree go into a pod and back identical (${framing})`,
    ignore: !node,
    sanitizeResources: false,
    fn: async () => {
      await setUp();
      const client = await t.open();
      const tmp = await Deno.makeTempDir();
      const pod = { namespace: ns, pod: "box" };
      const where = `/tmp/${crypto.randomUUID().slice(0, 8)}`;
      try {
        await Deno.mkdir(`${tmp}/src`);
        const big = await makeTree(`${tmp}/src`);
        await execCommand(client, { ...pod, command: ["mkdir", where] });

        const progress: CopyProgress[] = [];
        await copyToPod(client, pod, `${tmp}/src/big.bin`, `${where}/one.bin`, {
          onProgress: (p) => progress.push(p),
        });
        assert.equal(progress.at(-1)?.bytesDone, MiB3);
        assert.equal(progress.at(-1)?.bytesTotal, MiB3);
        assert.ok(progress.length > 10, "progress while the file moves");
        const sum = await execCommand(client, {
          ...pod,
          command: [
            "sh",
            "-c",
            `stat -c '%a %s' ${where}/one.bin; sha256sum < ${where}/one.bin`,
          ],
        });
        const local = Array.from(
          new Uint8Array(await crypto.subtle.digest("SHA-256", big)),
          (b) => b.toString(16).padStart(2, "0"),
        ).join("");
        assert.equal(dec.decode(sum.stdout), `755 ${MiB3}\n${local}  -\n`);

        await copyToPod(client, pod, `${tmp}/src`, `${where}/tree`);
        const ls = await execCommand(client, {
          ...pod,
          command: [
            "sh",
            "-c",
            `cd ${where}/tree && stat -c '%a %n' sub/empty sub/secret.txt && readlink link`,
          ],
        });
        assert.equal(
          dec.decode(ls.stdout),
          "700 sub/empty\n640 sub/secret.txt\nbig.bin\n",
        );

        const fromProgress: CopyProgress[] = [];
        await copyFromPod(client, pod, `${where}/tree`, `${tmp}/back`, {
          onProgress: (p) => fromProgress.push(p),
        });
        assert.deepEqual(
          await describe(`${tmp}/back`),
          await describe(`${tmp}/src`),
        );
        assert.deepEqual(await Deno.readFile(`${tmp}/back/big.bin`), big);
        assert.equal(
          await Deno.readTextFile(`${tmp}/back/${longName}`),
          "long\n",
        );
        assert.ok(
          fromProgress.some((p) =>
            p.path === "tree/big.bin" && p.fileBytesDone === MiB3
          ),
        );

        await copyFromPod(client, pod, `${where}/one.bin`, `${tmp}/one.bin`);
        assert.deepEqual(await Deno.readFile(`${tmp}/one.bin`), big);
        assert.equal((await Deno.stat(`${tmp}/one.bin`)).mode! & 0o777, 0o755);
      } finally {
        await execCommand(client, { ...pod, command: ["rm", "-rf", where] })
          .catch(() => {});
        await Deno.remove(tmp, { recursive: true });
        client.close?.();
      }
    },
  });

  Deno.test({
    name: `${t.name}: a missing remote path is RemotePathNotFound both ways`,
    ignore: !node,
    fn: async () => {
      await setUp();
      const client = await t.open();
      const tmp = await Deno.makeTempDir();
      const pod = { namespace: ns, pod: "box" };
      try {
        const from = await rejection(
          copyFromPod(client, pod, "/no/such/path", `${tmp}/x`),
        );
        assert.equal(from.reason, "RemotePathNotFound");
        assert.match(from.message, /\/no\/such\/path/);
        // 3 MiB, more than the socket buffers take: on v4 an upload left
        // unread would keep the kubelet from ever sending the Status.
        await bigFile(`${tmp}/f`);
        const to = await rejection(
          copyToPod(client, pod, `${tmp}/f`, "/no/such/dir/f"),
        );
        assert.equal(to.reason, "RemotePathNotFound");
        const local = await rejection(
          copyToPod(client, pod, `${tmp}/absent`, "/tmp/absent"),
        );
        assert.equal(local.reason, "LocalPathNotFound");
      } finally {
        await Deno.remove(tmp, { recursive: true });
        client.close?.();
      }
    },
  });

  Deno.test({
    name: `${t.name}: an image without tar is TarMissing both ways`,
    ignore: !node,
    fn: async () => {
      await setUp();
      const client = await t.open();
      const tmp = await Deno.makeTempDir();
      const pod = { namespace: ns, pod: "notar" };
      try {
        const from = await rejection(
          copyFromPod(client, pod, "/etc/hostname", `${tmp}/h`),
        );
        assert.equal(from.reason, "TarMissing");
        assert.match(from.message, /no tar/);
        await bigFile(`${tmp}/f`);
        const to = await rejection(
          copyToPod(client, pod, `${tmp}/f`, "/tmp/f"),
        );
        assert.equal(to.reason, "TarMissing");
      } finally {
        await Deno.remove(tmp, { recursive: true });
        client.close?.();
      }
    },
  });

  Deno.test({
    name:
      `${t.name}: a tar that fails half-way through 3 MiB (a read-only file system) is CopyFailed, and the copy ends`,
    ignore: !node,
    fn: async () => {
      await setUp();
      const client = await t.open();
      const tmp = await Deno.makeTempDir();
      try {
        await bigFile(`${tmp}/f`);
        const err = await rejection(
          copyToPod(
            client,
            { namespace: ns, pod: "box" },
            `${tmp}/f`,
            "/sys/f",
          ),
        );
        assert.equal(err.reason, "CopyFailed");
        assert.match(
          err.message,
          /tar exited with [1-9].*Read-only file system/,
        );
      } finally {
        await Deno.remove(tmp, { recursive: true });
        client.close?.();
      }
    },
  });

  if (!(t.websocket && !v5)) {
    Deno.test({
      name:
        `${t.name}: an image without head gets tar alone when stdin can be closed`,
      ignore: !node,
      fn: async () => {
        await setUp();
        const client = await t.open();
        const tmp = await Deno.makeTempDir();
        const pod = { namespace: ns, pod: "nohead" };
        try {
          await bigFile(`${tmp}/f`);
          const name = `/tmp/${crypto.randomUUID().slice(0, 8)}`;
          await within(
            copyToPod(client, pod, `${tmp}/f`, name),
            30_000,
            "the copy",
          );
          const size = await execCommand(client, {
            ...pod,
            command: ["stat", "-c", "%s", name],
          });
          assert.equal(dec.decode(size.stdout), `${MiB3}\n`);
        } finally {
          await Deno.remove(tmp, { recursive: true });
          client.close?.();
        }
      },
    });
  }

  if (t.websocket && !v5) {
    Deno.test({
      name: `${t.name}: on v4 an image without head is HeadMissing`,
      ignore: !node,
      fn: async () => {
        await setUp();
        const client = await t.open();
        const tmp = await Deno.makeTempDir();
        try {
          await bigFile(`${tmp}/f`);
          const err = await rejection(
            copyToPod(
              client,
              { namespace: ns, pod: "nohead" },
              `${tmp}/f`,
              "/tmp/f",
            ),
          );
          assert.equal(err.reason, "HeadMissing");
          assert.match(err.message, /no head/);
        } finally {
          await Deno.remove(tmp, { recursive: true });
          client.close?.();
        }
      },
    });
  }
}

Deno.test({
  name: "node copy suite: tear down its namespace",
  ignore: !node,
  fn: () => suite.teardown(),
});
