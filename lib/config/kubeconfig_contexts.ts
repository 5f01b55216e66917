/**
 * Kubeconfig contexts as `kubectl config` sees and edits them: list the
 * contexts (with their cluster, user, namespace and the file that defines
 * each), read the current one, switch to another, set a context's
 * namespace. Files are merged as kubectl merges `$KUBECONFIG`: the first
 * file that defines a name wins.
 *
 * Changes go where kubectl puts them: a context's namespace into the file
 * that defines the context, `current-context` into the first listed file
 * that exists. A change is made as kubectl makes it: under kubectl's lock
 * (`FILE.lock` beside the path as given, a symlink's own name included; a
 * lock that exists is an error at once, as with kubectl), written in place
 * (the same file: owner, group, mode and a bind mount stay; a symlink's
 * target is written; a read-only, immutable or read-only-mounted file is
 * refused untouched). No temp file or other copy is made: killed in the
 * middle of the write, the file may hold only the start of the new text and
 * the lock file stays until deleted, as with kubectl. Every field it does
 * not change is kept, unknown ones included, with relative paths as they
 * were, and integers digit for digit. The file is written back from its
 * parsed form, so **comments, anchors and formatting are lost** (aliases
 * and `<<` merge keys are written out expanded) and JSON files become YAML,
 * as with `kubectl config`.
 *
 * Permissions: `--allow-env=KUBECONFIG,HOME` for the default files (or pass
 * `paths`), `--allow-read` for the files, and for changes `--allow-write`
 * on the changed file and its lock file (`FILE.lock`, same directory).
 *
 * @module
 */

import { KubeConfigError } from "../errors/mod.ts";
import { isAbsolute, join } from "../_internal/path.ts";
import {
  fileProblem,
  withKubectlLock,
  writeInPlace,
} from "./_kubeconfig_write.ts";
import { kubeConfigPaths } from "./_paths.ts";
import { MAX_KUBECONFIG_CHARS } from "./_parse_yaml.ts";
import {
  dumpYamlDocuments,
  parseYamlDocument,
  YamlError,
} from "../_internal/yaml.ts";

/** One context, as the merged kubeconfig files define it. */
export interface KubeContextInfo {
  /** The context's name. */
  name: string;
  /** The cluster entry it names. */
  cluster?: string;
  /** The user entry it names. */
  user?: string;
  /** Its default namespace. */
  namespace?: string;
  /** The file that defines it (the first one, when several do). */
  file: string;
  /** Whether it is the current context. */
  current: boolean;
}

/** Which kubeconfig files to read. */
export interface KubeConfigFilesOptions {
  /**
   * The files, highest priority first; missing ones are skipped, as kubectl does.
   * @default {the `$KUBECONFIG` list, else `~/.kube/config`}
   */
  paths?: string[];
}

type Doc = Record<string, unknown>;

interface FileDoc {
  path: string;
  /** `undefined` when the file does not exist. */
  doc: Doc | undefined;
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : join(Deno.cwd(), path);
}

function parse(text: string, file: string): Doc {
  let value: unknown;
  try {
    // Exact integers: a 20-digit extension value is written back as it was
    // read (kubectl keeps it), not rounded to a double.
    value = parseYamlDocument(text, {
      maxDocumentChars: MAX_KUBECONFIG_CHARS,
      exactIntegers: true,
    });
  } catch (err) {
    if (err instanceof YamlError) {
      throw new KubeConfigError(`is not valid YAML: ${err.message}`, {
        file,
        cause: err,
      });
    }
    throw err;
  }
  if (value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new KubeConfigError("is not a mapping", { file });
  }
  return value as Doc;
}

async function readDoc(path: string): Promise<Doc | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new KubeConfigError(fileProblem(err, path), {
      file: path,
      cause: err,
    });
  }
  return parse(text, path);
}

async function readAll(opts: KubeConfigFilesOptions): Promise<FileDoc[]> {
  const paths = [...new Set((opts.paths ?? kubeConfigPaths()).map(absolute))];
  const out: FileDoc[] = [];
  for (const path of paths) out.push({ path, doc: await readDoc(path) });
  return out;
}

/** The context entries of one document, checked enough to use them. */
function contextsOf(
  doc: Doc,
  file: string,
): { name: string; context: Doc }[] {
  const list = doc.contexts;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    throw new KubeConfigError("must be a list", { file, field: "contexts" });
  }
  return list.map((entry, i) => {
    const e = entry as Doc | null;
    if (!e || typeof e !== "object" || typeof e.name !== "string") {
      throw new KubeConfigError("needs a name", {
        file,
        field: `contexts[${i}].name`,
      });
    }
    const context = e.context ?? {};
    if (typeof context !== "object" || Array.isArray(context)) {
      throw new KubeConfigError("must be a mapping", {
        file,
        field: `contexts["${e.name}"].context`,
      });
    }
    return { name: e.name, context: context as Doc };
  });
}

function currentOf(files: FileDoc[]): string | undefined {
  for (const f of files) {
    const c = f.doc?.["current-context"];
    if (typeof c === "string" && c !== "") return c;
  }
  return undefined;
}

function merged(files: FileDoc[]): KubeContextInfo[] {
  const current = currentOf(files);
  const seen = new Map<string, KubeContextInfo>();
  for (const f of files) {
    if (!f.doc) continue;
    for (const { name, context } of contextsOf(f.doc, f.path)) {
      if (seen.has(name)) continue;
      const text = (k: string) =>
        typeof context[k] === "string" && context[k] !== ""
          ? context[k] as string
          : undefined;
      seen.set(name, {
        name,
        ...(text("cluster") ? { cluster: text("cluster") } : {}),
        ...(text("user") ? { user: text("user") } : {}),
        ...(text("namespace") ? { namespace: text("namespace") } : {}),
        file: f.path,
        current: name === current,
      });
    }
  }
  return [...seen.values()];
}

function notDefined(name: string, files: FileDoc[]): KubeConfigError {
  return new KubeConfigError(`context "${name}" is not defined`, {
    file: files.map((f) => f.path).join(
      Deno.build.os === "windows" ? ";" : ":",
    ) || undefined,
  });
}

/**
 * Lists the contexts of the merged kubeconfig files.
 *
 * @param opts The files. @default {`$KUBECONFIG`, else `~/.kube/config`}
 * @returns Every context, in the order the files define them.
 * @throws {KubeConfigError} When a file is unreadable, not YAML, or its `contexts` malformed.
 *
 * @example
 * ```ts
 * import { listContexts } from "@denokube/transport/kubeconfig";
 *
 * for (const c of await listContexts()) {
 *   console.log(`${c.current ? "*" : " "} ${c.name}\t${c.cluster}\t${c.namespace ?? ""}\t${c.file}`);
 * }
 * ```
 */
export async function listContexts(
  opts: KubeConfigFilesOptions = {},
): Promise<KubeContextInfo[]> {
  return merged(await readAll(opts));
}

/**
 * The current context (`current-context` of the first file that sets one).
 *
 * @param opts The files. @default {`$KUBECONFIG`, else `~/.kube/config`}
 * @returns The context, or `undefined` when none is set.
 * @throws {KubeConfigError} When a file is unreadable or malformed, or the current context is not defined.
 */
export async function currentContext(
  opts: KubeConfigFilesOptions = {},
): Promise<KubeContextInfo | undefined> {
  const files = await readAll(opts);
  const name = currentOf(files);
  if (name === undefined) return undefined;
  const found = merged(files).find((c) => c.name === name);
  if (!found) throw notDefined(name, files);
  return found;
}

/**
 * Makes a context the current one (`kubectl config use-context`): writes
 * `current-context` into the first listed file that exists.
 *
 * @param name The context.
 * @param opts The files. @default {`$KUBECONFIG`, else `~/.kube/config`}
 * @returns The file written.
 * @throws {KubeConfigError} When the context is not defined, a file is malformed, locked or cannot be written.
 *
 * @example
 * ```ts
 * import { setContextNamespace, useContext } from "@denokube/transport/kubeconfig";
 *
 * await useContext("staging");
 * await setContextNamespace("staging", "payments");
 * ```
 */
export async function useContext(
  name: string,
  opts: KubeConfigFilesOptions = {},
): Promise<string> {
  const files = await readAll(opts);
  if (!merged(files).some((c) => c.name === name)) {
    throw notDefined(name, files);
  }
  const target = files.length === 1
    ? files[0]
    : files.find((f) => f.doc) ?? files[files.length - 1];
  await rewrite(target.path, (doc) => {
    doc["current-context"] = name;
  });
  return target.path;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Sets (or, with `undefined`, removes) a context's default namespace
 * (`kubectl config set-context NAME --namespace=NS`), in the file that
 * defines the context.
 *
 * @param name The context.
 * @param namespace The namespace (a DNS label), or `undefined` to remove it.
 * @param opts The files. @default {`$KUBECONFIG`, else `~/.kube/config`}
 * @returns The file written.
 * @throws {KubeConfigError} When the context is not defined, a file is malformed, locked or cannot be written.
 * @throws {RangeError} When `namespace` is not a valid namespace name.
 */
export async function setContextNamespace(
  name: string,
  namespace: string | undefined,
  opts: KubeConfigFilesOptions = {},
): Promise<string> {
  if (namespace !== undefined && !DNS_LABEL.test(namespace)) {
    throw new RangeError(
      `context "${name}": a namespace must be a DNS label (lowercase letters, digits and '-', at most 63), got ${
        JSON.stringify(namespace.slice(0, 80))
      }`,
    );
  }
  const files = await readAll(opts);
  const found = merged(files).find((c) => c.name === name);
  if (!found) throw notDefined(name, files);
  await rewrite(found.file, (doc, file) => {
    const entry = contextsOf(doc, file).find((c) => c.name === name);
    if (!entry) throw notDefined(name, [{ path: file, doc }]);
    if (namespace === undefined) delete entry.context.namespace;
    else entry.context.namespace = namespace;
    const list = doc.contexts as Doc[];
    const raw = list.find((e) => e.name === name)!;
    raw.context = entry.context;
  });
  return found.file;
}

/**
 * Re-reads `path` under kubectl's lock (`path.lock`, for the path as given),
 * applies `change` and writes the result in place, as kubectl does (see
 * `_kubeconfig_write.ts` for why in place and what a crash leaves).
 */
async function rewrite(
  path: string,
  change: (doc: Doc, file: string) => void,
): Promise<void> {
  await withKubectlLock(path, async () => {
    const doc = (await readDoc(path)) ?? { apiVersion: "v1", kind: "Config" };
    change(doc, path);
    await writeInPlace(path, dumpYamlDocuments([doc]));
  });
}
