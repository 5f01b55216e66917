// How the node's image store names images (lib/testing/_image_reference.ts,
// lib/testing/_image_store.ts, lib/testing/_image_archive.ts): references
// are normalised exactly as the kubelet looks them up (distribution's
// ParseDockerRef: `app` is `docker.io/library/app:latest`), a reference
// outside the grammar is an InvalidOption naming what was given, `ctr images
// ls` output is read by its columns, and an archive argument that cannot be
// an image archive (missing, a directory, empty, broken gzip) is an
// ImageArchiveInvalid before ctr is run, while a gzipped one is unpacked to
// a temp file that goes away. Needs no cluster and no containerd.

import assert from "node:assert/strict";
import { parseImageReference } from "../../../lib/testing/_image_reference.ts";
import { parseImageList } from "../../../lib/testing/_image_store.ts";
import { spoolArchive } from "../../../lib/testing/_image_archive.ts";
import { attachNode } from "../../../lib/testing/cluster_node.ts";
import { TestingError } from "../../../lib/testing/testing_error.ts";
import { withTempDir } from "../../_helpers.ts";

Deno.test("image references are normalised the way the kubelet looks them up", () => {
  const cases: [string, string][] = [
    ["app", "docker.io/library/app:latest"],
    ["app:1", "docker.io/library/app:1"],
    ["me/app:1", "docker.io/me/app:1"],
    ["docker.io/app:1", "docker.io/library/app:1"],
    ["index.docker.io/app:1", "docker.io/library/app:1"],
    ["kube-test.local/busybox:1", "kube-test.local/busybox:1"],
    ["localhost/app", "localhost/app:latest"],
    ["localhost:5000/a/b:v1.2-rc_3", "localhost:5000/a/b:v1.2-rc_3"],
    ["Registry/app:1", "Registry/app:1"],
    [
      `app@sha256:${"a".repeat(64)}`,
      `docker.io/library/app@sha256:${"a".repeat(64)}`,
    ],
    [
      `app:1@sha256:${"b".repeat(64)}`,
      `docker.io/library/app:1@sha256:${"b".repeat(64)}`,
    ],
  ];
  for (const [given, full] of cases) {
    assert.equal(parseImageReference(given, "test").full, full, given);
  }
  assert.deepEqual(parseImageReference("me/app", "test"), {
    repository: "docker.io/me/app",
    tag: "latest",
    digest: undefined,
    full: "docker.io/me/app:latest",
  });
});

Deno.test("a string outside the reference grammar is an InvalidOption that quotes it and says why", () => {
  const cases: [string, RegExp][] = [
    ["", /empty/],
    ["App:1", /must be lowercase/],
    ["me/App", /must be lowercase/],
    ["app:", /not the reference grammar/],
    ["app:-1", /not the reference grammar/],
    ["app::1", /not the reference grammar/],
    ["-app", /not the reference grammar/],
    ["app 1", /not the reference grammar/],
    ["a".repeat(64), /image ID/],
    [`app:${"t".repeat(129)}`, /not the reference grammar/],
    [`reg.local/${"a".repeat(250)}`, /longer than 255/],
  ];
  for (const [given, why] of cases) {
    assert.throws(
      () => parseImageReference(given, "tagImage target"),
      (err: unknown) => {
        assert.ok(err instanceof TestingError, given);
        assert.equal(err.reason, "InvalidOption");
        assert.match(
          err.message,
          /^tagImage target: expected an image reference/,
        );
        assert.ok(err.message.includes(JSON.stringify(given)), err.message);
        assert.match(err.message, why);
        return true;
      },
    );
  }
});

Deno.test("ctr images ls output is read by its first and third columns", () => {
  const out =
    "REF                       TYPE                                                 DIGEST                                                                  SIZE    PLATFORMS   LABELS \n" +
    "docker.io/library/app:1   application/vnd.oci.image.manifest.v1+json           sha256:" +
    "1".repeat(64) + " 2.0 MiB linux/amd64 -      \n" +
    "kube-test.local/busybox:1 application/vnd.docker.distribution.manifest.v2+json sha256:" +
    "2".repeat(64) + " 2.0 MiB linux/amd64 io.cri-containerd.image=managed\n";
  assert.deepEqual(parseImageList(out), [
    { ref: "docker.io/library/app:1", digest: `sha256:${"1".repeat(64)}` },
    { ref: "kube-test.local/busybox:1", digest: `sha256:${"2".repeat(64)}` },
  ]);
  assert.deepEqual(
    parseImageList("REF TYPE DIGEST SIZE PLATFORMS LABELS \n"),
    [],
  );
  assert.deepEqual(parseImageList("something else\n"), []);
});

async function rejectsArchive(
  input: Parameters<typeof spoolArchive>[0],
  found: RegExp,
): Promise<void> {
  await assert.rejects(() => spoolArchive(input), (err: unknown) => {
    assert.ok(err instanceof TestingError);
    assert.equal(err.reason, "ImageArchiveInvalid");
    assert.match(
      err.message,
      /^importImage .*: expected a docker-archive or OCI-layout tar/,
    );
    assert.match(err.message, found);
    return true;
  });
}

async function tempImageFiles(): Promise<string[]> {
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const names: string[] = [];
  for await (const e of Deno.readDir(tmp)) {
    if (e.name.startsWith("kube-test-image-")) names.push(e.name);
  }
  return names.sort();
}

Deno.test("an archive that is missing, a directory, empty or broken gzip is ImageArchiveInvalid before ctr runs, and leaves no temp file", async () => {
  await withTempDir(async (dir) => {
    const before = await tempImageFiles();
    await rejectsArchive(
      `${dir}/none.tar`,
      /"[^"]*none\.tar": .*found no such file/,
    );
    await rejectsArchive(dir, /found a directory \(tar an OCI layout first/);
    await Deno.writeFile(`${dir}/empty.tar`, new Uint8Array());
    await rejectsArchive(`${dir}/empty.tar`, /found an empty file/);
    await rejectsArchive(new Uint8Array(), /\(0 bytes\): .*found empty input/);
    await rejectsArchive(
      ReadableStream.from([]),
      /\(a stream\): .*found empty input/,
    );
    await rejectsArchive(
      new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5]),
      /found a broken gzip stream/,
    );
    assert.deepEqual(await tempImageFiles(), before);
  });
});

Deno.test("a tar path is used as it is; bytes, streams and gzip are spooled to a temp file removed on disposal", async () => {
  await withTempDir(async (dir) => {
    const tar = new TextEncoder().encode("not really a tar, but not gzip");
    await Deno.writeFile(`${dir}/plain.tar`, tar);
    {
      await using plain = await spoolArchive(`${dir}/plain.tar`);
      assert.equal(plain.path, `${dir}/plain.tar`);
      assert.equal(plain.label, JSON.stringify(`${dir}/plain.tar`));
    }
    assert.ok(await Deno.stat(`${dir}/plain.tar`), "the caller's file stays");

    const gz = new Uint8Array(
      await new Response(
        ReadableStream.from([tar]).pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    await Deno.writeFile(`${dir}/packed.tar.gz`, gz);
    // Chunks of one byte: the gzip magic spans two reads.
    const oneByteChunks = ReadableStream.from(
      Array.from(gz, (b) => Uint8Array.of(b)),
    );
    for (const input of [`${dir}/packed.tar.gz`, gz, tar, oneByteChunks]) {
      let path: string;
      {
        await using spooled = await spoolArchive(input);
        path = spooled.path;
        assert.notEqual(path, `${dir}/packed.tar.gz`);
        assert.deepEqual(await Deno.readFile(path), tar);
      }
      await assert.rejects(() => Deno.stat(path), Deno.errors.NotFound);
    }
  });
});

Deno.test("a stream that never yields ends at the import's deadline as NotReady, promptly, leaving no temp file", async () => {
  const before = await tempImageFiles();
  const node = attachNode({
    name: "unit",
    dir: "/nonexistent-node-dir",
    images: { busybox: "busybox:1" },
    imagePullPolicy: "Never",
  });
  const started = performance.now();
  let cancelled = false;
  const silent = new ReadableStream<Uint8Array>({
    cancel() {
      cancelled = true;
    },
  });
  await assert.rejects(
    () => node.importImage(silent, { timeoutMs: 200 }),
    (err: unknown) => {
      assert.ok(err instanceof TestingError);
      assert.equal(err.reason, "NotReady");
      assert.equal(
        err.message,
        "importImage: expected the node's containerd to finish within 200 ms, it did not",
      );
      return true;
    },
  );
  const took = performance.now() - started;
  assert.ok(took < 2_000, `took ${took} ms`);
  assert.ok(cancelled, "the caller's stream is cancelled");
  assert.deepEqual(await tempImageFiles(), before);

  // The caller's own abort is its own reason, not NotReady.
  const abort = new AbortController();
  setTimeout(() => abort.abort(new Error("caller gave up")), 50);
  await assert.rejects(
    () =>
      node.importImage(new ReadableStream<Uint8Array>(), {
        signal: abort.signal,
      }),
    /caller gave up/,
  );
});

Deno.test("a node without a directory of this package's (an external cluster's) refuses image calls as NodeUnavailable, before running anything", async () => {
  const node = attachNode({
    name: "elsewhere",
    images: { busybox: "busybox:1" },
    imagePullPolicy: "IfNotPresent",
  });
  for (
    const [what, call] of [
      ["importImage", () => node.importImage("x.tar")],
      ["tagImage", () => node.tagImage("a:1", "b:1")],
      ["listImages", () => node.listImages()],
    ] as const
  ) {
    await assert.rejects(call, (err: unknown) => {
      assert.ok(err instanceof TestingError);
      assert.equal(err.reason, "NodeUnavailable");
      assert.match(
        err.message,
        new RegExp(`^${what}: node elsewhere belongs to an external cluster`),
      );
      return true;
    });
  }
});
