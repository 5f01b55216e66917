// The node's image store as a test uses it (lib/testing/cluster_node.ts):
// an image the test builds itself — a docker-archive given as a path, and an
// OCI layout given gzipped as a stream — is imported into the real node's
// containerd, tagged under a short name, and a pod with `imagePullPolicy:
// Never` runs it by that short name and prints the file only that image
// holds. `await using` removes exactly the names the test added: a pod asking
// for one afterwards gets ErrImageNeverPull, and the node's own busybox
// stays. The failures are typed on the real containerd (1.6 here: its ctr
// reads docker-archive and OCI layouts, no gzip): a missing file, bytes
// that are no tar, a tar that is no image archive, a tag of an image the
// node does not have, a name outside the reference grammar, a name already
// taken by other content (and `replace: true`), an aborted import that leaves
// no staging namespace behind. The images are built here from the host's
// static busybox (the same binary the node's own image carries); nothing is
// pulled.

import assert from "node:assert/strict";
import {
  attachCluster,
  type ClusterNode,
  TestingError,
} from "@denokube/testing";
import type { JSONObject, KubeConfigRestClient } from "../../../mod.ts";
import { controlPlane } from "../../harness.ts";
import {
  createNamespace,
  deleteNamespace,
  podManifest,
  type PodView,
  watchPodUntil,
} from "../../_node_pods.ts";
import { withTempDir } from "../../_helpers.ts";
import { writeImageArchive } from "../../../lib/testing/_node_images.ts";
import { containerdSocket } from "../../../lib/testing/_containerd.ts";

const cluster = await controlPlane();
const node: ClusterNode | undefined = cluster.external
  ? undefined
  : cluster.node;
if (!node) {
  console.error(
    `node_images_test: skipped, no node of this harness's own: ${
      cluster.external ? "an external cluster" : cluster.nodeSkipReason
    }`,
  );
}
const id = crypto.randomUUID().slice(0, 8);

/** A one-layer image whose command prints `/greeting`, which holds `text`. */
async function greeter(
  dir: string,
  name: string,
  text: string,
  format: "docker" | "oci",
): Promise<string> {
  const root = `${dir}/rootfs-${format}-${crypto.randomUUID().slice(0, 4)}`;
  await Deno.mkdir(`${root}/bin`, { recursive: true });
  await Deno.copyFile("/bin/busybox", `${root}/bin/busybox`);
  await Deno.chmod(`${root}/bin/busybox`, 0o755);
  await Deno.writeTextFile(`${root}/greeting`, text);
  const tarball = `${dir}/${format}-${crypto.randomUUID().slice(0, 4)}.tar`;
  await writeImageArchive(root, tarball, name, {
    Cmd: ["/bin/busybox", "cat", "/greeting"],
  }, format);
  return tarball;
}

/** Runs a pod on `image` (never pulled) to completion; its phase and log. */
async function runOnce(
  client: KubeConfigRestClient,
  ns: string,
  name: string,
  image: string,
): Promise<{ phase?: string; log: string; states: string[] }> {
  const manifest = podManifest(node!, name, [{ script: "" }], {
    restartPolicy: "Never",
    image,
  });
  // The image's own command, not the harness's `sh -c`.
  const container = (manifest.spec as { containers: JSONObject[] })
    .containers[0];
  delete container.command;
  const { states, pod } = await watchPodUntil(
    client,
    ns,
    name,
    () =>
      client.performRequest({
        method: "POST",
        path: `/api/v1/namespaces/${ns}/pods`,
        bodyJson: manifest,
        expectJson: true,
      }),
    (p) => ["Succeeded", "Failed"].includes(p.status?.phase ?? ""),
    60_000,
  );
  const log = new TextDecoder().decode(
    await client.performRequest({
      method: "GET",
      path: `/api/v1/namespaces/${ns}/pods/${name}/log`,
    }),
  );
  return { phase: pod.status?.phase, log, states };
}

async function rejectsWith(
  call: () => Promise<unknown>,
  reason: string,
  message: RegExp,
): Promise<void> {
  await assert.rejects(call, (err: unknown) => {
    assert.ok(err instanceof TestingError, String(err));
    assert.equal(err.reason, reason, err.message);
    assert.match(err.message, message);
    assert.ok(!err.message.includes("containerd.sock"), err.message);
    return true;
  });
}

Deno.test({
  name:
    "an imported docker-archive and a gzipped OCI layout run as pods under the names given, and disposal removes only the names added",
  ignore: !node,
  fn: async () => {
    using client = await cluster.adminClient();
    const ns = await createNamespace(client, "node-images");
    try {
      await withTempDir(async (dir) => {
        const dockerName = `node-images-test.local/docker-greeter:${id}`;
        const ociName = `node-images-test.local/oci-greeter:${id}`;
        const docker = await greeter(
          dir,
          dockerName,
          `docker ${id}\n`,
          "docker",
        );
        const oci = await greeter(dir, ociName, `oci ${id}\n`, "oci");
        const started = performance.now();
        const before = await node!.listImages();
        assert.ok(
          before.some((i) => i.ref === node!.images.busybox),
          before.map((i) => i.ref).join(", "),
        );
        {
          await using fromDocker = await node!.importImage(docker);
          assert.deepEqual(fromDocker.refs, [dockerName]);
          assert.deepEqual(fromDocker.added, [dockerName]);
          const gz = (await Deno.open(oci)).readable.pipeThrough(
            new CompressionStream("gzip"),
          );
          await using fromOci = await node!.importImage(gz);
          assert.deepEqual(fromOci.refs, [ociName]);
          // A short name: the pod's `greeter-…:v2` is docker.io/library/greeter-…:v2.
          await using alias = await node!.tagImage(
            dockerName,
            `greeter-${id}:v2`,
          );
          assert.deepEqual(alias.refs, [`docker.io/library/greeter-${id}:v2`]);
          console.error(
            `node_images_test: two imports and a tag in ${
              Math.round(performance.now() - started)
            } ms`,
          );
          const listed = await node!.listImages();
          const digest = (ref: string) =>
            listed.find((i) => i.ref === ref)?.digest;
          assert.ok(digest(dockerName)?.startsWith("sha256:"));
          // importImage returned after the CRI plugin took both images in:
          // containerd 1.6's names each by its ID (`sha256:<config digest>`).
          for (const name of [dockerName, ociName]) {
            assert.ok(
              listed.some((i) =>
                /^sha256:[0-9a-f]{64}$/.test(i.ref) &&
                i.digest === digest(name)
              ),
              `no image ID for ${name}: ${listed.map((i) => i.ref).join(", ")}`,
            );
          }
          assert.equal(
            digest(`docker.io/library/greeter-${id}:v2`),
            digest(dockerName),
          );

          // Importing the same archive again adds nothing, so its disposal removes nothing.
          await using again = await node!.importImage(docker);
          assert.deepEqual(again.refs, [dockerName]);
          assert.deepEqual(again.added, []);

          const [short, ociRun] = await Promise.all([
            runOnce(client, ns, "short-name", `greeter-${id}:v2`),
            runOnce(client, ns, "oci", ociName),
          ]);
          assert.equal(short.phase, "Succeeded", short.states.join(" → "));
          assert.equal(short.log, `docker ${id}\n`);
          assert.equal(ociRun.phase, "Succeeded", ociRun.states.join(" → "));
          assert.equal(ociRun.log, `oci ${id}\n`);
        }
        const after = (await node!.listImages()).map((i) => i.ref);
        assert.deepEqual(
          after.filter((r) => r.includes(id)),
          [],
          "every name the test added is gone",
        );
        assert.deepEqual(after.sort(), before.map((i) => i.ref).sort());
        // …so the kubelet no longer finds it.
        const manifest = podManifest(node!, "removed", [{ script: "true" }], {
          image: `greeter-${id}:v2`,
        });
        const { states } = await watchPodUntil(
          client,
          ns,
          "removed",
          () =>
            client.performRequest({
              method: "POST",
              path: `/api/v1/namespaces/${ns}/pods`,
              bodyJson: manifest,
              expectJson: true,
            }),
          (p: PodView) =>
            p.status?.containerStatuses?.[0]?.state?.waiting?.reason ===
              "ErrImageNeverPull",
          60_000,
        );
        assert.equal(states.at(-1), "Pending/waiting:ErrImageNeverPull");
      });
    } finally {
      await deleteNamespace(client, ns);
    }
  },
});

Deno.test({
  name:
    "a missing, broken or non-image archive, an unknown source, a bad name and a taken name are typed errors, and nothing is left behind",
  ignore: !node,
  fn: async () => {
    await withTempDir(async (dir) => {
      const before = (await node!.listImages()).map((i) => i.ref).sort();
      await rejectsWith(
        () => node!.importImage(`${dir}/missing.tar`),
        "ImageArchiveInvalid",
        /missing\.tar": expected a docker-archive or OCI-layout tar .*found no such file/,
      );
      await rejectsWith(
        () => node!.importImage(crypto.getRandomValues(new Uint8Array(4096))),
        "ImageArchiveInvalid",
        /^importImage \(4096 bytes\): expected a docker-archive or OCI-layout tar, found one containerd cannot import: /,
      );
      await Deno.writeTextFile(`${dir}/notes.txt`, "not an image\n");
      const out = await new Deno.Command("tar", {
        args: ["-C", dir, "-cf", `${dir}/notes.tar`, "notes.txt"],
      }).output();
      assert.ok(out.success);
      await rejectsWith(
        () => node!.importImage(`${dir}/notes.tar`),
        "ImageArchiveInvalid",
        /notes\.tar": expected .*found one containerd cannot import: unrecognized image format/,
      );
      await rejectsWith(
        () => node!.tagImage(`absent-${id}:1`, `copy-${id}:1`),
        "ImageNotFound",
        new RegExp(
          `^tagImage: expected image "absent-${id}:1" \\(docker\\.io/library/absent-${id}:1\\) on node ${
            node!.name
          }, found only .*${node!.images.busybox.replaceAll(".", "\\.")}`,
        ),
      );
      await rejectsWith(
        () => node!.tagImage(node!.images.busybox, "Greeter:1"),
        "InvalidOption",
        /^tagImage target: expected an image reference .*found "Greeter:1" \(the repository must be lowercase\)/,
      );
      await rejectsWith(
        () =>
          node!.tagImage(
            node!.images.busybox,
            `x-${id}@sha256:${"a".repeat(64)}`,
          ),
        "InvalidOption",
        /^tagImage target: expected a name with a tag, found the digest reference/,
      );

      // A name taken by other content: refused, unless replace.
      const name = `node-images-test.local/taken:${id}`;
      const first = await greeter(dir, name, "first\n", "docker");
      const second = await greeter(dir, name, "second\n", "oci");
      await using one = await node!.importImage(first);
      const digestOf = async () =>
        (await node!.listImages()).find((i) => i.ref === name)?.digest;
      const firstDigest = await digestOf();
      await rejectsWith(
        () => node!.importImage(second),
        "ImageExists",
        new RegExp(
          `^importImage: ${name.replaceAll(".", "\\.")} already on node ${
            node!.name
          } with other content`,
        ),
      );
      assert.equal(
        await digestOf(),
        firstDigest,
        "the refused import changed nothing",
      );
      await rejectsWith(
        () => node!.tagImage(node!.images.busybox, name),
        "ImageExists",
        /^tagImage: .* already on node .*expected a new name, or replace: true/,
      );
      {
        await using replaced = await node!.importImage(second, {
          replace: true,
        });
        assert.deepEqual(replaced.added, [name]);
        assert.notEqual(await digestOf(), firstDigest);
      }
      assert.equal(
        await digestOf(),
        undefined,
        "the replacement is removed on disposal",
      );
      await one.remove();

      // An import aborted by its caller leaves no staging namespace…
      const aborted = new AbortController();
      aborted.abort(new Error("test aborted"));
      await assert.rejects(
        () => node!.importImage(first, { signal: aborted.signal }),
        /test aborted/,
      );
      // …and neither does one that outlasts its deadline (NotReady).
      await rejectsWith(
        () => node!.importImage(first, { timeoutMs: 1 }),
        "NotReady",
        /^importImage: expected the node's containerd to finish within 1 ms, it did not$/,
      );
      const namespaces = new TextDecoder().decode(
        (await new Deno.Command("ctr", {
          args: [
            "--address",
            containerdSocket(node!.dir!),
            "namespaces",
            "ls",
            "-q",
          ],
        }).output()).stdout,
      );
      assert.deepEqual(
        namespaces.split("\n").filter((n) => n.startsWith("kube-test-import-")),
        [],
      );
      assert.deepEqual(
        (await node!.listImages()).map((i) => i.ref).sort(),
        before,
      );
    });
  },
});

/** Runs tar; fails the test when it fails. */
async function tar(...args: string[]): Promise<void> {
  const out = await new Deno.Command("tar", { args, stderr: "piped" })
    .output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

Deno.test({
  name:
    "an OCI layout that names its image by tag alone, or by a short name, gets a normalised name under baseName",
  ignore: !node,
  fn: async () => {
    await withTempDir(async (dir) => {
      const oci = await greeter(dir, `unused-${id}:1`, "tag only\n", "oci");
      await Deno.mkdir(`${dir}/layout`);
      await tar("-C", `${dir}/layout`, "-xf", oci);
      const relabel = async (refName: string, to: string) => {
        const index = JSON.parse(
          await Deno.readTextFile(`${dir}/layout/index.json`),
        );
        index.manifests[0].annotations = {
          "org.opencontainers.image.ref.name": refName,
        };
        await Deno.writeTextFile(
          `${dir}/layout/index.json`,
          JSON.stringify(index),
        );
        await tar(
          "-C",
          `${dir}/layout`,
          "-cf",
          to,
          "oci-layout",
          "index.json",
          "blobs",
        );
      };
      await relabel("1.0", `${dir}/tag-only.tar`);
      {
        await using tagOnly = await node!.importImage(`${dir}/tag-only.tar`, {
          baseName: `tag-only-${id}/app`,
        });
        assert.deepEqual(tagOnly.refs, [`docker.io/tag-only-${id}/app:1.0`]);
      }
      await relabel(`short-${id}:2`, `${dir}/short.tar`);
      {
        await using short = await node!.importImage(`${dir}/short.tar`, {
          baseName: `short-${id}`,
        });
        assert.deepEqual(short.refs, [`docker.io/library/short-${id}:2`]);
      }
      await rejectsWith(
        () =>
          node!.importImage(`${dir}/short.tar`, { baseName: `other-${id}` }),
        "ImageArchiveInvalid",
        /short\.tar": expected an image with a name .*found none that containerd keeps$/,
      );
      await rejectsWith(
        () => node!.importImage(`${dir}/short.tar`, { baseName: "my/app:1" }),
        "InvalidOption",
        /^importImage baseName: expected a repository without a tag or digest/,
      );
      const left = (await node!.listImages()).filter((i) => i.ref.includes(id));
      assert.deepEqual(left, []);
    });
  },
});

Deno.test({
  name: "the node of an external cluster says its image store is out of reach",
  fn: async () => {
    const external = attachCluster({
      ...cluster,
      node: {
        name: "elsewhere",
        images: { busybox: "busybox:1" },
        imagePullPolicy: "IfNotPresent",
      },
    });
    await rejectsWith(
      () => external.node!.importImage(new Uint8Array(10)),
      "NodeUnavailable",
      /^importImage: node elsewhere belongs to an external cluster, whose image store this package cannot reach/,
    );
    await rejectsWith(
      () => external.node!.listImages(),
      "NodeUnavailable",
      /^listImages: node elsewhere/,
    );
  },
});
