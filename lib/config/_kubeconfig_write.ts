// Changing a kubeconfig file the way kubectl does, so the two exclude each
// other and leave the same file behind (client-go tools/clientcmd, read in
// loader.go and config.go):
//
// - ModifyConfig takes `lockFile(filename)`: it creates `filename + ".lock"`
//   with O_CREATE|O_EXCL for the path as it was given (a symlink's own name,
//   not its target's) and removes it afterwards. A lock that exists is an
//   error at once ("open FILE.lock: file exists"): kubectl neither waits nor
//   retries, and neither do we.
// - WriteToFile is `os.WriteFile(filename, data, 0600)`: open the path
//   (following a symlink) and write it. In place, so the inode stays and
//   with it the owner, group, mode, ACLs and a bind mount on the file (a
//   rename over a bind-mounted file fails with EBUSY); a read-only, immutable
//   or read-only-mounted file is refused by the open, before anything is
//   changed. A file that does not exist is created 0600 (less the umask).
//
// One difference, for crashes: os.WriteFile truncates first, then writes;
// we write over the old text from the start and truncate after, so a
// process killed in between leaves the whole new text when it is at least
// as long as the old (setting a namespace), instead of an empty file.
//
// No copy of the file's content is ever written anywhere else, so nothing
// holding credentials can be left behind. What a crash (SIGKILL, power loss)
// in the middle of the write can leave, as with kubectl: the file holding
// part of the new text (followed by the end of the old one), and the empty
// lock file, which makes every later writer (ours and kubectl's) refuse
// until someone deletes it.

import { KubeConfigError } from "../errors/mod.ts";
import { dirname } from "../_internal/path.ts";
import { describeFsError } from "../_internal/fs_error.ts";

/** kubectl's lock file for a kubeconfig path (client-go `lockName`). */
export function lockName(path: string): string {
  return `${path}.lock`;
}

/**
 * Why a kubeconfig file could not be read or written: the operating
 * system's reason, or the Deno flags to add.
 *
 * @param err What was thrown.
 * @param path The file.
 * @returns A short phrase.
 */
export function fileProblem(err: unknown, path: string): string {
  return describeFsError(
    err,
    path,
    `permission (run with --allow-read=${path} --allow-write=${dirname(path)})`,
  );
}

/**
 * Runs `fn` holding kubectl's lock on `path`.
 *
 * @param path The kubeconfig, as the user named it (not resolved through symlinks).
 * @param fn The change.
 * @returns What `fn` returns.
 * @throws {KubeConfigError} When the lock exists or cannot be created; `fn`'s errors pass through.
 */
export async function withKubectlLock<T>(
  path: string,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = lockName(path);
  try {
    (await Deno.open(lock, { write: true, createNew: true, mode: 0o600 }))
      .close();
  } catch (err) {
    throw new KubeConfigError(
      err instanceof Deno.errors.AlreadyExists
        ? `is being changed by another program (${lock} exists; kubectl refuses at once too, without waiting: delete it if no kubectl is running)`
        : `cannot be written: cannot create the lock file ${lock}: ${
          fileProblem(err, lock)
        }`,
      { file: path, cause: err },
    );
  }
  try {
    return await fn();
  } finally {
    await Deno.remove(lock).catch(() => {});
  }
}

/**
 * Replaces the content of `path` in place, as kubectl's `WriteToFile` does
 * (the same inode), so its owner, group, mode and mount stay; creates it
 * 0600 when missing. Writes first and truncates after (see the header).
 *
 * @param path The kubeconfig (a symlink is followed).
 * @param text The new content.
 * @throws {KubeConfigError} Naming the file and the operating system's reason (read-only file, file system or immutable file), or the Deno flag when Deno's permission is missing.
 */
export async function writeInPlace(path: string, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, create: true, mode: 0o600 });
  } catch (err) {
    throw new KubeConfigError(`cannot be written: ${fileProblem(err, path)}`, {
      file: path,
      cause: err,
    });
  }
  try {
    for (let at = 0; at < bytes.length;) {
      at += await file.write(bytes.subarray(at));
    }
    await file.truncate(bytes.length);
  } catch (err) {
    throw new KubeConfigError(
      `could not be written in full (it may hold part of the new text): ${
        fileProblem(err, path)
      }`,
      { file: path, cause: err },
    );
  } finally {
    file.close();
  }
}
