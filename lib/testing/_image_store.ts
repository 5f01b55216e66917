// The node's image store, driven through `ctr` on the node's containerd
// socket: listing, importing an archive, tagging and removing names. The
// kubelet's images live in containerd's `k8s.io` namespace, where the CRI
// plugin watches image events, so a name written there is one a pod can use
// at once. ctr's messages may quote the socket's path: it is replaced by
// "the node's containerd" before a message reaches an error.

import { runCommand } from "./_processes.ts";
import { TestingError } from "./testing_error.ts";

/** The containerd namespace the CRI plugin (and so the kubelet) uses. */
export const CRI_NAMESPACE = "k8s.io";

/** One name in the image store and the manifest (or index) it points at. */
export interface StoredImage {
  /** The name, as stored (the CRI plugin stores normalised ones: `docker.io/library/app:1`). */
  ref: string;
  /** The digest of the manifest or index it points at (`sha256:…`). */
  digest: string;
}

/** A containerd socket and the namespace to work in. */
export interface Store {
  sock: string;
  namespace: string;
}

/** What a failed ctr command means, from its (scrubbed) message; NodeUnavailable by default. */
export type CtrFailure = (message: string) => TestingError | undefined;

/**
 * Runs `ctr` against `store`.
 *
 * @param store The socket and namespace.
 * @param args The ctr subcommand and its arguments.
 * @param signal Ends it early (its reason is thrown).
 * @param failure Turns ctr's message into the error to throw; unmatched
 *   messages become `NodeUnavailable`.
 * @returns ctr's stdout.
 */
export function ctr(
  store: Store,
  args: string[],
  signal?: AbortSignal,
  failure: CtrFailure = () => undefined,
): Promise<string> {
  return runCommand(
    "ctr",
    ["--address", store.sock, "--namespace", store.namespace, ...args],
    {
      signal,
      failure: (stderr) => {
        const message = stderr.replace(/^ctr: /, "").replaceAll(
          store.sock,
          "the node's containerd",
        ) || "no message";
        return failure(message) ?? new TestingError(
          "NodeUnavailable",
          `the node's containerd refused "ctr ${
            args.slice(0, 2).join(" ")
          }": ${message}`,
        );
      },
    },
  );
}

/**
 * The names in the store, from `ctr images ls` (columns REF TYPE DIGEST
 * SIZE PLATFORMS LABELS; none of the first three holds a space).
 *
 * @param output `ctr images ls`'s output.
 * @returns Each name with its digest.
 */
export function parseImageList(output: string): StoredImage[] {
  const [header, ...rows] = output.split("\n");
  if (!/^REF\s+TYPE\s+DIGEST\b/.test(header ?? "")) return [];
  return rows.filter((r) => r.trim()).map((row) => {
    const [ref, _type, digest] = row.trim().split(/\s+/);
    return { ref, digest };
  });
}

/** Lists the store's names. */
export async function listStored(
  store: Store,
  signal?: AbortSignal,
): Promise<StoredImage[]> {
  return parseImageList(await ctr(store, ["images", "ls"], signal));
}

/**
 * Imports a docker-archive or OCI-layout tar into the store; what ctr
 * cannot read is `failure`'s to name.
 *
 * @param store Where to.
 * @param tarball The archive (uncompressed: ctr 1.6 reads no gzip).
 * @param opts `baseName` as ctr's `--base-name`; `unpack: false` stores the
 *   content only (for a look at the names it would get).
 */
export async function importArchive(
  store: Store,
  tarball: string,
  opts: {
    baseName?: string;
    unpack?: boolean;
    signal?: AbortSignal;
    failure?: CtrFailure;
  } = {},
): Promise<void> {
  await ctr(
    store,
    [
      "images",
      "import",
      ...(opts.unpack === false ? ["--no-unpack"] : []),
      ...(opts.baseName ? ["--base-name", opts.baseName] : []),
      tarball,
    ],
    opts.signal,
    opts.failure,
  );
}

/** Points `target` at `source`'s image (replacing what `target` named when `force`). */
export async function tagStored(
  store: Store,
  source: string,
  target: string,
  force: boolean,
  signal?: AbortSignal,
): Promise<void> {
  await ctr(
    store,
    ["images", "tag", ...(force ? ["--force"] : []), source, target],
    signal,
  );
}

/** Removes names (their content goes with the last name, by containerd's GC). */
export async function removeStored(
  store: Store,
  refs: readonly string[],
  signal?: AbortSignal,
): Promise<void> {
  if (refs.length === 0) return;
  await ctr(store, ["images", "rm", "--sync", ...refs], signal);
}

/**
 * Removes a namespace of our own, emptied first: a failed import may have
 * stored blobs (a tar's other files) with no image to own them, which
 * containerd's GC would only collect after some later deletion. What still
 * lingers is the node's to clean up when it stops.
 */
export async function removeNamespace(
  store: Store,
  signal?: AbortSignal,
): Promise<void> {
  const blobs =
    (await ctr(store, ["content", "ls", "-q"], signal).catch(() => "")).split(
      "\n",
    ).filter((d) => d.startsWith("sha256:"));
  if (blobs.length) {
    await ctr(store, ["content", "rm", ...blobs], signal).catch(() =>
      undefined
    );
  }
  await ctr(
    { ...store, namespace: CRI_NAMESPACE },
    ["namespaces", "rm", store.namespace],
    signal,
  ).catch(() => undefined);
}
