/**
 * `kubectl cp` for code: files and directories into and out of a container,
 * through `tar` in the container over an exec tunnel, modes kept.
 *
 * @module
 */

import type { RestClient } from "../contract.ts";
import { type ExecSession, type ExecStatus, openExec } from "./exec.ts";
import { TunnelError, type TunnelTarget } from "./tunnel_error.ts";
import {
  archiveSize,
  contentPadding,
  encodeHeader,
  END_OF_ARCHIVE,
  readTar,
  TarFormatError,
  type TarHeader,
} from "./_tar.ts";

/** The container to copy to or from. */
export interface CopyTarget {
  /** The pod's namespace. */
  namespace: string;
  /** The pod. */
  pod: string;
  /** The container. @default {the pod's only or default container} */
  container?: string;
}

/** How far a copy is. */
export interface CopyProgress {
  /** The file being copied, as named in the archive (`base/dir/file`). */
  path: string;
  /** Bytes of this file copied so far. */
  fileBytesDone: number;
  /** This file's size. */
  fileBytesTotal: number;
  /** Bytes of file content copied so far, every file counted. */
  bytesDone: number;
  /** Bytes of file content in the whole copy; known before the start for {@link copyToPod} only. */
  bytesTotal?: number;
}

/** Options of {@link copyToPod} and {@link copyFromPod}. */
export interface CopyOptions {
  /**
   * Called as content moves (after each chunk of a file, and once at each
   * file's end, so a 0-byte file is reported too).
   * @default {none}
   */
  onProgress?: (p: CopyProgress) => void;
  /** Cancels the copy and closes the tunnel. @default {none: it runs until done} */
  signal?: AbortSignal;
}

/** The command's end, with stderr, as both directions judge it. */
interface Outcome {
  status: ExecStatus;
  stderr: string;
}

const dec = new TextDecoder();
/** The marker the framing script writes when a tool is missing. */
const MISSING = "denokube-missing: ";
/** What a framing script says when the target directory is missing. */
const NO_DIR = "denokube: No such file or directory";
/**
 * What a framing script prints on stdout once its checks passed; the archive
 * is sent only after it. On a v4 session a command that ends with stdin
 * unread never ends the session: the kubelet (containerd's CRI streaming,
 * Kubernetes 1.20 here; kubectl exec -i hangs the same way) sends no Status
 * while the upload it already took cannot be delivered. So nothing is sent
 * before the script is ready to read all of it, and once it is, every byte
 * is read even when tar fails half-way.
 */
const READY = "denokube-ready";

/** `/a/b/` → `["/a", "b"]`; the remote side is always POSIX. */
function splitRemote(
  remotePath: string,
  target: TunnelTarget,
): [string, string] {
  const trimmed = remotePath.replace(/\/+$/, "");
  const i = trimmed.lastIndexOf("/");
  const dir = i < 0 ? "." : i === 0 ? "/" : trimmed.slice(0, i);
  const base = trimmed.slice(i + 1);
  if (base === "" || base === "." || base === "..") {
    throw new TunnelError(
      "CopyFailed",
      target,
      `expected a remote path naming a file or directory, found ${
        JSON.stringify(remotePath)
      }`,
    );
  }
  return [dir, base];
}

/** The typed error a failed `tar` run stands for, or undefined when it succeeded. */
function failureOf(
  o: Outcome,
  target: TunnelTarget,
  remotePath: string,
): TunnelError | undefined {
  const { exitCode, status } = o.status;
  if (exitCode === 0) return undefined;
  const message = status.message ?? "";
  const err = o.stderr;
  if (
    err.includes(`${MISSING}tar`) || /(^|\s)tar: not found/.test(err) ||
    (exitCode === -1 &&
      /executable file not found|"tar": .*no such file/i.test(message))
  ) {
    return new TunnelError(
      "TarMissing",
      target,
      "the container has no tar on its PATH; copying needs tar in the image, as kubectl cp does",
    );
  }
  if (err.includes(MISSING)) {
    const tool = err.slice(err.indexOf(MISSING) + MISSING.length).split(
      /\s/,
    )[0];
    return new TunnelError(
      "HeadMissing",
      target,
      `the container has no ${tool} on its PATH; on a server without v5.channel.k8s.io (Kubernetes < 1.30) stdin cannot be closed, so the upload is framed with sh and head -c, which the image must have`,
    );
  }
  if (exitCode === -1 && /"sh"|exec: "?sh"?:/.test(message)) {
    return new TunnelError(
      "HeadMissing",
      target,
      "the container has no sh on its PATH; on a server without v5.channel.k8s.io (Kubernetes < 1.30) stdin cannot be closed, so the upload is framed with sh and head -c, which the image must have",
    );
  }
  if (exitCode === -1) {
    return new TunnelError(
      "CopyFailed",
      target,
      `tar did not run: ${message || "no status message"}`,
    );
  }
  // Only tar's own complaints about paths are quoted, shortened.
  const said = err.trim().slice(0, 300);
  if (/no such file or directory|can't change directory/i.test(err)) {
    return new TunnelError(
      "RemotePathNotFound",
      target,
      `expected ${
        JSON.stringify(remotePath)
      } to exist in the container, tar said: ${said}`,
    );
  }
  return new TunnelError(
    "CopyFailed",
    target,
    `tar exited with ${exitCode}: ${said || "nothing on stderr"}`,
  );
}

/** Collects a stream's text (stderr), never rejecting. */
async function textOf(s: ReadableStream<Uint8Array>): Promise<string> {
  try {
    return dec.decode(await new Response(s).bytes());
  } catch {
    return "";
  }
}

/** One local entry to archive: its header and where its bytes are. */
interface LocalEntry {
  header: TarHeader;
  source: string;
}

async function walkLocal(
  localPath: string,
  archiveName: string,
  target: TunnelTarget,
): Promise<LocalEntry[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(localPath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new TunnelError(
        "LocalPathNotFound",
        target,
        `expected a local file or directory at ${localPath}, found nothing`,
        err,
      );
    }
    throw err;
  }
  const out: LocalEntry[] = [];
  const visit = async (path: string, name: string, info: Deno.FileInfo) => {
    const mode = (info.mode ?? 0o644) & 0o7777;
    const mtime = Math.floor((info.mtime?.getTime() ?? 0) / 1000);
    if (info.isSymlink) {
      out.push({
        header: {
          name,
          type: "symlink",
          mode,
          size: 0,
          mtime,
          linkname: await Deno.readLink(path),
        },
        source: path,
      });
    } else if (info.isFile) {
      out.push({
        header: { name, type: "file", mode, size: info.size, mtime },
        source: path,
      });
    } else if (info.isDirectory) {
      out.push({
        header: { name, type: "directory", mode, size: 0, mtime },
        source: path,
      });
      const children: string[] = [];
      for await (const e of Deno.readDir(path)) children.push(e.name);
      children.sort();
      for (const child of children) {
        const p = `${path}/${child}`;
        await visit(p, `${name}/${child}`, await Deno.lstat(p));
      }
    } else {
      throw new TunnelError(
        "CopyFailed",
        target,
        `expected files, directories and symlinks under ${localPath}, found ${path}, which is none of them (a socket, FIFO or device)`,
      );
    }
  };
  await visit(localPath.replace(/\/+$/, "") || "/", archiveName, info);
  return out;
}

/** The archive as a stream, reporting progress as file content leaves. */
function archiveStream(
  entries: LocalEntry[],
  onProgress: CopyOptions["onProgress"],
): ReadableStream<Uint8Array> {
  const bytesTotal = entries.reduce((n, e) => n + e.header.size, 0);
  let bytesDone = 0;
  const parts = (async function* () {
    for (const { header, source } of entries) {
      yield encodeHeader(header);
      if (header.type !== "file") continue;
      let fileBytesDone = 0;
      using file = await Deno.open(source, { read: true });
      const buf = new Uint8Array(64 * 1024);
      while (fileBytesDone < header.size) {
        const n = await file.read(
          buf.subarray(0, Math.min(buf.length, header.size - fileBytesDone)),
        );
        if (n === null) break;
        fileBytesDone += n;
        bytesDone += n;
        yield buf.slice(0, n);
        onProgress?.({
          path: header.name,
          fileBytesDone,
          fileBytesTotal: header.size,
          bytesDone,
          bytesTotal,
        });
      }
      if (fileBytesDone !== header.size) {
        // The header already promised the size: the archive would be corrupt.
        throw new Error(
          `${source} changed size while being copied: expected ${header.size} bytes, read ${fileBytesDone}`,
        );
      }
      if (header.size === 0) {
        onProgress?.({
          path: header.name,
          fileBytesDone: 0,
          fileBytesTotal: 0,
          bytesDone,
          bytesTotal,
        });
      }
      yield contentPadding(header.size);
    }
    yield END_OF_ARCHIVE;
  })();
  return ReadableStream.from(parts);
}

/**
 * Reads stdout to its end, saying whether `marker` came (the framing
 * script's go-ahead); a stream that fails counts as its end.
 */
function markerIn(
  stdout: ReadableStream<Uint8Array>,
  marker: string,
): { seen: Promise<boolean>; done: Promise<void> } {
  const { promise: seen, resolve } = Promise.withResolvers<boolean>();
  const done = (async () => {
    const utf8 = new TextDecoder();
    let text = "";
    try {
      for await (const chunk of stdout) {
        // Only the first line matters; keep no more than the marker's length.
        text = (text + utf8.decode(chunk, { stream: true })).slice(0, 64);
        if (text.includes(marker)) resolve(true);
      }
    } catch {
      // the session ended; its status says how
    }
    resolve(false);
  })();
  return { seen, done };
}

/** Runs a session to its end while `feed` writes stdin; the status decides, not a write that failed after the command ended. */
async function finish(
  session: ExecSession,
  feed: (stdin: WritableStream<Uint8Array>) => Promise<void>,
  stdoutDone: Promise<unknown> = textOf(session.stdout),
): Promise<Outcome & { feedError?: unknown }> {
  let feedError: unknown;
  const feeding = feed(session.stdin!).catch((err) => {
    feedError = err;
    // The command cannot get the rest: end the session so the status arrives.
    void session.stop();
  });
  const [, stderr, status] = await Promise.all([
    stdoutDone,
    textOf(session.stderr),
    session.status,
  ]);
  // The command has ended: what is still being written has no reader
  // (tar that failed early on a v5 session); stopping fails that write at
  // once instead of leaving it to wait on backpressure.
  await session.stop();
  await feeding;
  return { status, stderr, feedError };
}

/**
 * Copies a local file or directory into a container, like
 * `kubectl cp LOCAL POD:REMOTE`: `remotePath` becomes the copy (a file's new
 * name, or the directory whose contents are the local directory's), its
 * parent must exist. Modes are kept; symlinks are copied as symlinks;
 * modification times are the time of the copy (`tar xm`, as kubectl does).
 *
 * The container runs a short `sh` script that checks for `tar` and `head`
 * and the target directory, says it is ready, and reads exactly the
 * archive's length (`head -c LENGTH | tar xmf - -C DIR`, the rest drained
 * if tar stops early): a command that ended with part of the upload unread
 * would keep the kubelet from ever ending the session (no Status comes;
 * `kubectl cp` hangs there too), so nothing is sent before the script is
 * ready to read all of it. That needs no end of stdin, so it works on
 * servers without `v5.channel.k8s.io` (Kubernetes < 1.30) too. On a
 * session that can close stdin (v5, or the kubectl transport), an image
 * without `sh` or `head` gets `tar xmf - -C DIR` alone instead, as
 * `kubectl cp` runs it.
 *
 * Deno flags: `--allow-read` on `localPath`, and the transport's.
 *
 * @param client Any transport that supports exec.
 * @param target The container.
 * @param localPath The file or directory to copy.
 * @param remotePath Where it goes in the container.
 * @param options Progress and cancellation.
 * @returns When the container's tar has finished.
 * @throws {TunnelError} `LocalPathNotFound`; `TarMissing`; `HeadMissing` (without v5 only);
 *   `RemotePathNotFound` when the parent directory does not exist; `CopyFailed` when tar fails otherwise.
 * @throws {KubernetesApiError} When the server refuses the exec (404 pod, 403).
 *
 * @example
 * ```ts
 * import { copyToPod } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function ship(client: RestClient): Promise<void> {
 *   await copyToPod(client, { namespace: "dev", pod: "app-0" }, "./build/server", "/app/server", {
 *     onProgress: (p) => console.log(`${p.bytesDone}/${p.bytesTotal}`),
 *   });
 * }
 * ```
 */
export async function copyToPod(
  client: RestClient,
  target: CopyTarget,
  localPath: string,
  remotePath: string,
  options: CopyOptions = {},
): Promise<void> {
  const where: TunnelTarget = { namespace: target.namespace, pod: target.pod };
  const [dir, base] = splitRemote(remotePath, where);
  const entries = await walkLocal(localPath, base, where);
  const common = {
    namespace: target.namespace,
    pod: target.pod,
    container: target.container,
    stdin: true,
    signal: options.signal,
  };
  const length = archiveSize(entries.map((e) => e.header));
  const framed = ["sh", "-c", framingScript(length), dir];
  let session: ExecSession;
  let canClose = true;
  try {
    session = await openExec(client, {
      ...common,
      command: framed,
      protocols: ["v5.channel.k8s.io"],
    });
  } catch (err) {
    if (
      !(err instanceof TunnelError && err.reason === "StdinCloseUnsupported")
    ) {
      throw err;
    }
    canClose = false;
    session = await openExec(client, {
      ...common,
      command: framed,
      protocols: ["v4.channel.k8s.io"],
    });
  }
  // Exit 0 means tar read a whole archive, so a write that failed after it
  // (the session was stopped) lost nothing; otherwise it is the cause.
  const judge = (o: Outcome & { feedError?: unknown }) => {
    const failure = failureOf(o, where, remotePath);
    if (failure && o.feedError !== undefined) failure.cause ??= o.feedError;
    return failure;
  };
  let failure = judge(
    await upload(session, entries, options, canClose, true),
  );
  if (failure?.reason === "HeadMissing" && canClose) {
    // An image without sh or head, on a session that can end stdin: tar
    // alone, kubectl cp's own command. A tar that fails before reading
    // its input can then leave the session waiting (see READY).
    session = await openExec(client, {
      ...common,
      command: ["tar", "xmf", "-", "-C", dir],
      protocols: ["v5.channel.k8s.io"],
    });
    failure = judge(await upload(session, entries, options, true, false));
  }
  if (failure) throw failure;
}

/**
 * The script that receives an upload of `length` bytes into the directory
 * given as `$0` (so user paths need no quoting): it checks `head` and `tar`
 * as files on PATH, not with `command -v` (busybox's sh runs its own
 * applets even when the image lacks the tool, and a direct exec would not),
 * and the directory, all before reading; then prints the go-ahead
 * ({@link READY}) and reads exactly `length` bytes, a second head draining
 * what tar leaves should it stop early. Needs no end of stdin, so it serves
 * v4 sessions as well.
 */
function framingScript(length: number): string {
  return `for c in head tar; do ( IFS=:; for d in $PATH; do [ -x "$d/$c" ] && exit 0; done; exit 1 ) || { echo "${MISSING}$c" >&2; exit 127; }; done; [ -d "$0" ] || { echo "${NO_DIR}" >&2; exit 1; }; echo ${READY}; head -c ${length} | { tar xmf - -C "$0"; s=$?; head -c ${length} >/dev/null; exit $s; }`;
}

/**
 * Sends the archive on `session` and waits for its end; with `gated`, only
 * once the framing script said {@link READY}. Stops the session whatever
 * happens.
 */
async function upload(
  session: ExecSession,
  entries: LocalEntry[],
  options: CopyOptions,
  closeStdin: boolean,
  gated: boolean,
): Promise<Outcome & { feedError?: unknown }> {
  try {
    const stdout = gated ? markerIn(session.stdout, READY) : undefined;
    const outcome = await finish(session, async (stdin) => {
      // A framing script that failed its checks gets nothing to leave unread.
      if (stdout && !await stdout.seen) return;
      await archiveStream(entries, options.onProgress).pipeTo(stdin, {
        preventClose: !closeStdin,
      });
    }, stdout?.done);
    return outcome;
  } finally {
    await session.stop();
  }
}

/** The target directory's path for an archive name, or the reason it is unsafe. */
function localPathOf(
  name: string,
  base: string,
  localRoot: string,
): string {
  if (name.startsWith("/")) throw `an absolute path`;
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw `a ".." component`;
  if (parts[0] !== base) throw `a path outside ${JSON.stringify(base)}`;
  return [localRoot, ...parts.slice(1)].join("/");
}

/** Whether a symlink at archive path `name` pointing at `link` stays under the copy's root. */
function linkStaysInside(name: string, link: string): boolean {
  if (link.startsWith("/")) return false;
  const stack = name.split("/").filter((p) => p !== "" && p !== ".");
  stack.pop(); // the link's own name
  const rootDepth = 1; // parts[0] is the copied base
  for (const part of link.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (stack.length <= rootDepth) return false;
      stack.pop();
    } else stack.push(part);
  }
  return true;
}

/** Throws when a path between the root and `path` (inclusive) is an existing symlink. */
async function assertNoSymlinkOnTheWay(
  localRoot: string,
  path: string,
): Promise<void> {
  const rest = path.slice(localRoot.length).split("/").filter(Boolean);
  let at = localRoot;
  for (const part of ["", ...rest]) {
    if (part) at = `${at}/${part}`;
    try {
      if ((await Deno.lstat(at)).isSymlink) {
        throw `a path through the symlink ${at}`;
      }
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw err;
    }
  }
}

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  let at = 0;
  while (at < chunk.length) at += await file.write(chunk.subarray(at));
}

/**
 * Extracts an archive into `localRoot` with `kubectl cp`'s defences against
 * a hostile container (CVE-2018-1002100, CVE-2019-1002101, CVE-2019-11246,
 * CVE-2019-11249): absolute names, `..` components, names outside the copied
 * base, symlinks whose target leaves the root, and writes through a symlink
 * (one the archive made earlier, or one already there) are refused before
 * anything is written for that entry.
 *
 * @param archive The tar stream.
 * @param base The archive's top-level name (the remote path's last part).
 * @param localRoot Where `base` lands.
 * @param target For errors.
 * @param onProgress Progress callback.
 * @returns When every entry is written.
 * @throws {TunnelError} `UnsafeArchivePath` or `ArchiveInvalid`.
 */
export async function extractArchive(
  archive: ReadableStream<Uint8Array>,
  base: string,
  localRoot: string,
  target: TunnelTarget,
  onProgress?: CopyOptions["onProgress"],
): Promise<void> {
  const root = localRoot.replace(/\/+$/, "") || "/";
  const dirModes: [string, number][] = [];
  let bytesDone = 0;
  try {
    for await (const entry of readTar(archive)) {
      const h = entry.header;
      let dest: string;
      try {
        dest = localPathOf(h.name, base, root);
        if (h.type === "symlink" && !linkStaysInside(h.name, h.linkname!)) {
          throw `a symlink to ${JSON.stringify(h.linkname)}, outside the copy`;
        }
        await assertNoSymlinkOnTheWay(root, dest);
      } catch (why) {
        if (typeof why !== "string") throw why;
        throw new TunnelError(
          "UnsafeArchivePath",
          target,
          `expected archive entries under ${JSON.stringify(base)}, found ${
            JSON.stringify(h.name)
          }: ${why}; refused, nothing was written for it`,
        );
      }
      if (h.type === "directory") {
        await Deno.mkdir(dest, { recursive: true });
        dirModes.push([dest, h.mode]);
      } else if (h.type === "symlink") {
        await Deno.remove(dest).catch(() => {});
        await Deno.symlink(h.linkname!, dest);
      } else if (h.type === "hardlink") {
        let from: string;
        try {
          from = localPathOf(h.linkname!, base, root);
          await assertNoSymlinkOnTheWay(root, from);
        } catch (why) {
          if (typeof why !== "string") throw why;
          throw new TunnelError(
            "UnsafeArchivePath",
            target,
            `expected a hard link to an entry under ${
              JSON.stringify(base)
            }, found ${JSON.stringify(h.name)} linking to ${
              JSON.stringify(h.linkname)
            }: ${why}; refused`,
          );
        }
        await Deno.remove(dest).catch(() => {});
        await Deno.link(from, dest);
      } else {
        using file = await Deno.open(dest, {
          write: true,
          create: true,
          truncate: true,
          mode: h.mode,
        });
        let fileBytesDone = 0;
        for await (const chunk of entry.content()) {
          await writeAll(file, chunk);
          fileBytesDone += chunk.length;
          bytesDone += chunk.length;
          if (fileBytesDone < h.size) {
            onProgress?.({
              path: h.name,
              fileBytesDone,
              fileBytesTotal: h.size,
              bytesDone,
            });
          }
        }
        onProgress?.({
          path: h.name,
          fileBytesDone,
          fileBytesTotal: h.size,
          bytesDone,
        });
        // The umask trimmed the mode at creation; an existing file kept its old one.
        if (Deno.build.os !== "windows") await Deno.chmod(dest, h.mode);
      }
    }
  } catch (err) {
    if (err instanceof TarFormatError) {
      throw new TunnelError(
        "ArchiveInvalid",
        target,
        `the pod's tar output is not a tar archive: ${err.message}`,
        err,
      );
    }
    throw err;
  }
  // Deepest first, after their contents: a read-only directory must be filled before it is locked.
  if (Deno.build.os !== "windows") {
    for (const [dir, mode] of dirModes.reverse()) await Deno.chmod(dir, mode);
  }
}

/**
 * Copies a file or directory out of a container, like
 * `kubectl cp POD:REMOTE LOCAL`: the container runs
 * `tar cf - -C DIR BASE` (no stdin, so v4 and v5 servers alike) and the
 * archive is extracted so that `remotePath` becomes `localPath`, modes kept.
 * The container is not trusted: an archive entry that would land outside
 * `localPath` (absolute, `..`, through or to a symlink leading out) stops the
 * copy with `UnsafeArchivePath`, as `kubectl cp` refuses them since
 * CVE-2018-1002100 and its sequels.
 *
 * Deno flags: `--allow-write` (and `--allow-read`) on `localPath`, and the transport's.
 *
 * @param client Any transport that supports exec.
 * @param target The container.
 * @param remotePath The file or directory in the container.
 * @param localPath Where it goes; its parent must exist.
 * @param options Progress (the total is not known in advance) and cancellation.
 * @returns When every file is written.
 * @throws {TunnelError} `TarMissing`, `RemotePathNotFound`, `UnsafeArchivePath`, `ArchiveInvalid`, `CopyFailed`.
 * @throws {KubernetesApiError} When the server refuses the exec (404 pod, 403).
 *
 * @example
 * ```ts
 * import { copyFromPod } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function fetchLogs(client: RestClient): Promise<void> {
 *   await copyFromPod(client, { namespace: "dev", pod: "app-0" }, "/var/log/app", "./app-logs");
 * }
 * ```
 */
export async function copyFromPod(
  client: RestClient,
  target: CopyTarget,
  remotePath: string,
  localPath: string,
  options: CopyOptions = {},
): Promise<void> {
  const where: TunnelTarget = { namespace: target.namespace, pod: target.pod };
  const [dir, base] = splitRemote(remotePath, where);
  const session = await openExec(client, {
    namespace: target.namespace,
    pod: target.pod,
    container: target.container,
    command: ["tar", "cf", "-", "-C", dir, base],
    signal: options.signal,
  });
  try {
    const stderr = textOf(session.stderr);
    let extractError: unknown;
    try {
      await extractArchive(
        session.stdout,
        base,
        localPath,
        where,
        options.onProgress,
      );
    } catch (err) {
      extractError = err;
      await session.stop();
    }
    const outcome: Outcome = {
      status: await session.status,
      stderr: await stderr,
    };
    if (
      extractError instanceof TunnelError &&
      extractError.reason === "UnsafeArchivePath"
    ) throw extractError;
    // A failed tar explains an empty or cut archive better than the reader
    // can; a status lost because we stopped the session explains nothing.
    const failure = extractError !== undefined && outcome.status.exitCode === -1
      ? undefined
      : failureOf(outcome, where, remotePath);
    if (failure) throw failure;
    if (extractError !== undefined) throw extractError;
  } finally {
    await session.stop();
  }
}
