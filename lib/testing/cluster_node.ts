/**
 * The test node as tests use it: what {@link NodeInfo} describes, plus its
 * image store — import an image tarball, tag an image, list images — so a
 * test runs pods on images of its own with `imagePullPolicy: Never` and no
 * registry. Images go into containerd's `k8s.io` namespace, the one the
 * kubelet's CRI plugin uses, through the `ctr` the node already runs; the
 * socket and the node's directories stay the harness's business.
 *
 * ## Archives
 *
 * What `ctr images import` of the node's containerd reads (1.6 on Debian
 * bookworm): a docker-archive (`docker save`: `manifest.json` with
 * `RepoTags`) or an OCI image layout in a tar (`oci-layout`, `index.json`,
 * `blobs/`), given as a path, bytes or a stream; gzip-compressed ones are
 * decompressed first (ctr 1.6 reads no gzip). An OCI layout names its images
 * through the `io.containerd.image.name` annotation or, with
 * {@link ImportImageOptions.baseName}, through tag-only
 * `org.opencontainers.image.ref.name` annotations (`"1.0"` under
 * `baseName: "my/app"` becomes `docker.io/my/app:1.0`). Every name is stored
 * normalised as the kubelet looks it up (`app:1` is
 * `docker.io/library/app:1`), so a pod's `image: app:1` finds it; an
 * import returns once the CRI plugin has taken its images in. `docker save`
 * and `podman save` write such archives.
 *
 * ## Tests sharing one node
 *
 * One node serves every test file of a run (and every process attached
 * through the descriptor), so a name one test adds is visible to the next.
 * Each call returns the names it added as an `AsyncDisposable`: `await
 * using` removes them when the test ends (with the image IDs the CRI plugin
 * added for them, so the content goes), and only those — a name that
 * already pointed at the same image belongs to whoever put it there and
 * stays. A name that points at a *different* image is a
 * {@link TestingError} `ImageExists` unless `replace: true` (then the
 * replacement is removed on disposal and the old image is not restored).
 * Give images names of your test's own (`my-test.local/app:1`) when tests
 * run in parallel.
 *
 * ## Failures
 *
 * A {@link TestingError} with a `reason`: `ImageArchiveInvalid` (no such
 * file, not a tar, not an image archive, no image name containerd keeps),
 * `ImageNotFound` (the source of a tag is not on the node, the message
 * lists what is), `ImageExists`, `InvalidOption` (not an image reference),
 * `NodeUnavailable` (the node is an external cluster's, or its containerd
 * refused), `NotReady` (an import outlasted `timeoutMs`, a tag or listing
 * 30 s: containerd is stuck).
 *
 * Deno permissions: `--allow-run=ctr`, `--allow-read` (the archive),
 * `--allow-write` (a temp file for bytes, streams and gzip); root, as the
 * node itself.
 *
 * @example Run a pod on an image the test brings
 * ```ts
 * import { sharedCluster } from "@denokube/testing";
 *
 * Deno.test({
 *   name: "the app's image answers",
 *   ignore: true, // needs a node: root on Linux, see this package's module doc
 *   fn: async () => {
 *     const cluster = await sharedCluster({ node: true });
 *     const node = cluster.node!;
 *     await using app = await node.importImage("build/app.tar");
 *     await using _alias = await node.tagImage(app.refs[0], "my-test.local/app:dev");
 *     // a pod with image "my-test.local/app:dev", imagePullPolicy "Never"
 *     console.log((await node.listImages()).map((i) => i.ref));
 *   },
 * });
 * ```
 *
 * @module
 */

import { containerdSocket } from "./_containerd.ts";
import { parseImageReference } from "./_image_reference.ts";
import {
  CRI_NAMESPACE,
  type CtrFailure,
  importArchive,
  listStored,
  removeNamespace,
  removeStored,
  type Store,
  type StoredImage,
  tagStored,
} from "./_image_store.ts";
import { sleep } from "./_leaf_helpers.ts";
import { type ImageArchive, spoolArchive } from "./_image_archive.ts";
import type { NodeInfo } from "./descriptor.ts";
import { TestingError } from "./testing_error.ts";

/** How long an import waits for the CRI plugin to take its images in (milliseconds). */
const CRI_SETTLE_MS = 2_000;
/** How long a tag or a listing may take: ctr answers in milliseconds, so this means containerd is stuck. */
const CTR_TIMEOUT_MS = 30_000;

/** A name in the node's image store. */
export interface NodeImage {
  /** The name, normalised as the kubelet looks it up (`docker.io/library/app:1`). */
  ref: string;
  /** The digest of the manifest or index it names (`sha256:…`). */
  digest: string;
}

/** What {@link ClusterNode.importImage} and {@link ClusterNode.tagImage} added; `await using` removes it. */
export interface NodeImages extends AsyncDisposable {
  /** Every name the call leaves on the node, normalised (a pod may use each, or its short form). */
  readonly refs: readonly string[];
  /** The names among `refs` that this call created or replaced: what {@link NodeImages.remove} removes. */
  readonly added: readonly string[];
  /**
   * Removes the names this call added, and the CRI's image-ID name
   * (`sha256:…`) of an image no other name keeps, so its content goes; the
   * rest of `refs` was there before and stays. Safe to call twice.
   *
   * @throws {TestingError} `NodeUnavailable` when containerd refuses.
   */
  remove(): Promise<void>;
}

/** Options for {@link ClusterNode.importImage}. */
export interface ImportImageOptions {
  /**
   * The repository for an OCI layout's tag-only names (`"1.0"` becomes
   * `<baseName>:1.0`); images the archive names in full outside it are then
   * skipped (ctr's `--base-name`).
   * @default {none: tag-only names become containerd's `import-<date>:<tag>`}
   */
  baseName?: string;
  /**
   * Let the archive's names replace images of other content under the same
   * names. Off, because another test on the shared node may be using them.
   * @default {false}
   */
  replace?: boolean;
  /** How long the import may take (a large archive on a busy machine). @default {120000} */
  timeoutMs?: number;
  /** Ends the import early; nothing it imported stays. @default {none} */
  signal?: AbortSignal;
}

/** Options for {@link ClusterNode.tagImage}. */
export interface TagImageOptions {
  /** Let `target` replace a name that points at another image. @default {false} */
  replace?: boolean;
  /** Ends the call early. @default {none} */
  signal?: AbortSignal;
}

/** The node pods run on, as tests use it: its description and its image store. */
export interface ClusterNode extends NodeInfo {
  /**
   * Imports a docker-archive or OCI-layout tarball (optionally gzipped)
   * into the node's image store, where pods with `imagePullPolicy: Never`
   * find it by the names it carries.
   *
   * @param tarball A file path, the archive's bytes, or a stream of them.
   * @param opts Base name, replacing, timeout, signal.
   * @returns The names it left on the node; `await using` removes those it added.
   * @throws {TestingError} `ImageArchiveInvalid`, `ImageExists`, `InvalidOption` (a bad `baseName`), `NodeUnavailable`, `NotReady` (timed out).
   */
  importImage(
    tarball: string | Uint8Array | ReadableStream<Uint8Array>,
    opts?: ImportImageOptions,
  ): Promise<NodeImages>;
  /**
   * Gives an image on the node another name, as `docker tag` does.
   *
   * @param source An image on the node (`app:1`, `docker.io/library/app:1`).
   * @param target The new name (a tag, not a digest).
   * @param opts Replacing, signal.
   * @returns The new name; `await using` removes it (unless it was there before).
   * @throws {TestingError} `ImageNotFound`, `ImageExists`, `InvalidOption`, `NodeUnavailable`, `NotReady` (no answer within 30 s).
   */
  tagImage(
    source: string,
    target: string,
    opts?: TagImageOptions,
  ): Promise<NodeImages>;
  /**
   * The names in the node's image store: the harness's own busybox and
   * pause images among them, and the image IDs (`sha256:…`) the CRI plugin
   * adds for each image it has run.
   *
   * @param opts A signal that ends the call early.
   * @returns Each name and the digest it points at.
   * @throws {TestingError} `NodeUnavailable`, `NotReady` (no answer within 30 s).
   */
  listImages(opts?: { signal?: AbortSignal }): Promise<NodeImage[]>;
}

/**
 * The handle for a described node: its image methods reach the node's
 * containerd when this package started the node (the description has its
 * `dir`), and throw `NodeUnavailable` for an external cluster's node.
 *
 * @param info The node's description.
 * @returns The node with its image store.
 */
export function attachNode(info: NodeInfo): ClusterNode {
  const store = (what: string): Store => {
    if (!info.dir) {
      throw new TestingError(
        "NodeUnavailable",
        `${what}: node ${info.name} belongs to an external cluster, whose image store this package cannot reach: load images with that cluster's own tools`,
      );
    }
    return { sock: containerdSocket(info.dir), namespace: CRI_NAMESPACE };
  };
  return {
    ...info,
    importImage: async (tarball, opts = {}) => {
      const cri = store("importImage");
      const baseName = opts.baseName === undefined
        ? undefined
        : repositoryOnly(opts.baseName, "importImage baseName");
      return await bounded(
        "importImage",
        opts.timeoutMs ?? 120_000,
        opts.signal,
        async (signal) => {
          await using archive = await spoolArchive(tarball, signal);
          return await importInto(cri, info.name, archive, {
            baseName,
            replace: opts.replace ?? false,
            signal,
          });
        },
      );
    },
    tagImage: async (source, target, opts = {}) => {
      const cri = store("tagImage");
      const src = parseImageReference(source, "tagImage source");
      const tgt = parseImageReference(target, "tagImage target");
      if (tgt.digest) {
        throw new TestingError(
          "InvalidOption",
          `tagImage target: expected a name with a tag, found the digest reference ${
            JSON.stringify(target)
          }`,
        );
      }
      return await bounded(
        "tagImage",
        CTR_TIMEOUT_MS,
        opts.signal,
        (signal) =>
          tag(cri, info.name, source, src.full, tgt.full, opts.replace, signal),
      );
    },
    listImages: async (opts = {}) => {
      const cri = store("listImages");
      return (await bounded(
        "listImages",
        CTR_TIMEOUT_MS,
        opts.signal,
        (signal) => listStored(cri, signal),
      )).map((i) => ({ ref: i.ref, digest: i.digest }));
    },
  };
}

/** Points `target` at `source`'s image, unless it already names it or (without `replace`) another. */
async function tag(
  cri: Store,
  node: string,
  source: string,
  sourceRef: string,
  target: string,
  replace: boolean | undefined,
  signal: AbortSignal,
): Promise<NodeImages> {
  const images = await listStored(cri, signal);
  const found = images.find((i) => i.ref === sourceRef) ??
    images.find((i) => i.ref === source);
  if (!found) {
    throw new TestingError(
      "ImageNotFound",
      `tagImage: expected image ${
        JSON.stringify(source)
      } (${sourceRef}) on node ${node}, found only ${
        listed(images.map((i) => i.ref))
      }`,
    );
  }
  const existing = images.find((i) => i.ref === target);
  if (existing?.digest === found.digest) {
    return added(cri, [target], []);
  }
  if (existing && !replace) {
    throw exists("tagImage", node, [target]);
  }
  await tagStored(
    cri,
    found.ref,
    target,
    existing !== undefined,
    signal,
  );
  return added(cri, [target], [{
    ref: target,
    digest: found.digest,
  }]);
}

/**
 * Imports in two steps: first into a namespace of its own without
 * unpacking, to learn the names and digests containerd gives the archive's
 * images (ctr's naming rules, not ours), then — when none would replace
 * another image — into the CRI namespace.
 */
async function importInto(
  cri: Store,
  node: string,
  archive: ImageArchive,
  opts: { baseName?: string; replace: boolean; signal: AbortSignal },
): Promise<NodeImages> {
  const failure = archiveFailure(archive);
  const staging: Store = {
    sock: cri.sock,
    namespace: `kube-test-import-${crypto.randomUUID().slice(0, 8)}`,
  };
  let incoming: { ref: string; digest: string }[] = [];
  try {
    await importArchive(staging, archive.path, {
      baseName: opts.baseName,
      unpack: false,
      signal: opts.signal,
      failure,
    });
    incoming = await listStored(staging, opts.signal);
  } finally {
    // Its own deadline: the caller's signal may be why we are here.
    const tidy = AbortSignal.timeout(30_000);
    await removeStored(staging, incoming.map((i) => i.ref), tidy).catch(() =>
      undefined
    );
    await removeNamespace(staging, tidy);
  }
  if (incoming.length === 0) {
    throw new TestingError(
      "ImageArchiveInvalid",
      `importImage ${archive.label}: expected an image with a name (a docker-archive's RepoTags, an OCI index's "io.containerd.image.name" annotation, or a tag-only "org.opencontainers.image.ref.name" with baseName), found none that containerd keeps`,
    );
  }
  const plan = incoming.map((i) => ({
    stored: i.ref,
    ref: parseImageReference(i.ref, `importImage ${archive.label}: image name`)
      .full,
    digest: i.digest,
  }));
  const before = new Map(
    (await listStored(cri, opts.signal)).map((i) => [i.ref, i.digest]),
  );
  const taken = plan.filter((p) =>
    before.has(p.ref) && before.get(p.ref) !== p.digest
  ).map((p) => p.ref);
  if (taken.length && !opts.replace) throw exists("importImage", node, taken);
  const created = plan.filter((p) => before.get(p.ref) !== p.digest);
  try {
    await importArchive(cri, archive.path, {
      baseName: opts.baseName,
      signal: opts.signal,
      failure,
    });
    // An OCI annotation may name an image as `app:1`: the kubelet asks for
    // `docker.io/library/app:1`, so that is the name it gets.
    for (const p of plan.filter((p) => p.stored !== p.ref)) {
      await tagStored(cri, p.stored, p.ref, true, opts.signal);
      if (!before.has(p.stored)) {
        await removeStored(cri, [p.stored], opts.signal);
      }
    }
  } catch (err) {
    // A half-done import leaves nothing this call named.
    await removeStored(
      cri,
      [...new Set([...created, ...plan].flatMap((p) => [p.ref, p.stored]))]
        .filter((r) => !before.has(r)),
      AbortSignal.timeout(30_000),
    ).catch(() => undefined);
    throw err;
  }
  await criHasSeen(cri, plan.map((p) => p.digest), opts.signal);
  return added(cri, plan.map((p) => p.ref), created);
}

function added(
  cri: Store,
  refs: string[],
  created: StoredImage[],
): NodeImages {
  let removed = false;
  const remove = async () => {
    if (removed || created.length === 0) return;
    removed = true;
    const signal = AbortSignal.timeout(30_000);
    const images = await listStored(cri, signal);
    // A name someone has since pointed elsewhere (replace: true) is theirs now.
    const ours = images.filter((i) =>
      created.some((c) => c.ref === i.ref && c.digest === i.digest)
    );
    await removeStored(cri, ours.map((i) => i.ref), signal);
    // The CRI plugin also names each image by its ID (`sha256:<config
    // digest>`); once no other name points at an image this call named,
    // that name goes too, or the image would stay on the node.
    const rest = images.filter((i) => !ours.includes(i));
    const named = new Set(
      rest.filter((i) => !isImageId(i.ref)).map((i) => i.digest),
    );
    const orphans = rest.filter((i) =>
      isImageId(i.ref) && created.some((c) => c.digest === i.digest) &&
      !named.has(i.digest)
    );
    await removeStored(cri, orphans.map((i) => i.ref), signal);
  };
  return {
    refs,
    added: created.map((c) => c.ref),
    remove,
    [Symbol.asyncDispose]: remove,
  };
}

/**
 * Waits (briefly) until the CRI plugin has taken in each digest — it names
 * every image in its namespace by its ID once it has handled the image's
 * create event — so a pod created right after the import finds the image,
 * and disposal finds the ID name to remove. A containerd whose CRI plugin
 * adds no such names costs the wait once per import.
 */
async function criHasSeen(
  cri: Store,
  digests: string[],
  signal: AbortSignal,
): Promise<void> {
  const deadline = performance.now() + CRI_SETTLE_MS;
  for (let pause = 20;; pause = Math.min(pause * 2, 400)) {
    const ids = new Set(
      (await listStored(cri, signal)).filter((i) => isImageId(i.ref)).map((
        i,
      ) => i.digest),
    );
    if (digests.every((d) => ids.has(d))) return;
    if (performance.now() > deadline) return;
    await sleep(pause);
  }
}

/** Names for a message: the first 20, then how many more. */
function listed(refs: string[]): string {
  if (refs.length === 0) return "no images";
  const more = refs.length > 20 ? ` and ${refs.length - 20} more` : "";
  return refs.slice(0, 20).join(", ") + more;
}

function isImageId(ref: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(ref);
}

/** What ctr says about an archive it cannot read, as `ImageArchiveInvalid`. */
function archiveFailure(archive: ImageArchive): CtrFailure {
  return (message) =>
    /tar|unrecognized image format|unexpected EOF|invalid|not found|digest|manifest|index/i
        .test(message)
      ? new TestingError(
        "ImageArchiveInvalid",
        `importImage ${archive.label}: expected a docker-archive or OCI-layout tar, found one containerd cannot import: ${
          message.replaceAll(archive.path, "the archive")
        }`,
      )
      : undefined;
}

function exists(what: string, node: string, refs: string[]): TestingError {
  return new TestingError(
    "ImageExists",
    `${what}: ${
      refs.join(", ")
    } already on node ${node} with other content (another test's?): expected a new name, or replace: true`,
  );
}

/**
 * A repository name, checked, as given: ctr keeps an archive's full names
 * only when they start with it (`app` keeps `app:1`, which
 * `docker.io/library/app` would not), and what it keeps is normalised after.
 */
function repositoryOnly(name: string, what: string): string {
  const ref = parseImageReference(name, what);
  if (ref.digest || name.slice(name.lastIndexOf("/") + 1).includes(":")) {
    throw new TestingError(
      "InvalidOption",
      `${what}: expected a repository without a tag or digest ("my/app"), found ${
        JSON.stringify(name)
      }`,
    );
  }
  return name;
}

/**
 * Runs `fn` under a deadline: the caller's own abort is thrown as it is,
 * our deadline becomes `NotReady`.
 */
async function bounded<T>(
  what: string,
  ms: number,
  callers: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(ms);
  const signal = callers ? AbortSignal.any([callers, timeout]) : timeout;
  try {
    return await fn(signal);
  } catch (err) {
    if (!timeout.aborted || callers?.aborted || err instanceof TestingError) {
      throw err;
    }
    throw new TestingError(
      "NotReady",
      `${what}: expected the node's containerd to finish within ${ms} ms, it did not`,
      err,
    );
  }
}
