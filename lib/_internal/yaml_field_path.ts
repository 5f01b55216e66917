// The field path of a line of block YAML (`users[0].user.token`), from
// indentation alone, for errors of the kubeconfig reading profile
// (lib/_internal/yaml.ts): an error names where it is without quoting the
// text there, and keys that are not kubeconfig field names show as `?`.

/** One open block collection on the way to a line. */
interface Frame {
  indent: number;
  /** A mapping key, or `undefined` for a sequence. */
  key?: string;
  /** The current item's index, for a sequence. */
  index: number;
}

/**
 * The block-style field path (`users[0].user.token`) of the entry a line
 * belongs to, from indentation alone; `undefined` at the top level. Keys
 * that are not kubeconfig field names show as `?`, so a secret typed where a
 * key belongs is not repeated.
 *
 * @param text The YAML text.
 * @param line The 0-based line.
 * @returns The path, or `undefined` at the top level.
 */
export function fieldPathAt(text: string, line: number): string | undefined {
  const lines = text.split("\n", line + 1);
  const stack: Frame[] = [];
  for (const raw of lines) {
    const l = raw.replace(/\r$/, "");
    let rest = l.trimStart();
    if (
      rest === "" || rest.startsWith("#") || /^(---|\.\.\.)(\s|$)/.test(rest)
    ) {
      continue;
    }
    let indent = l.length - rest.length;
    for (;;) {
      if (rest === "-" || rest.startsWith("- ")) {
        while (stack.length && stack[stack.length - 1].indent > indent) {
          stack.pop();
        }
        const top = stack[stack.length - 1];
        if (top && top.key === undefined && top.indent === indent) {
          top.index++;
        } else {
          while (
            stack.length && stack[stack.length - 1].indent === indent &&
            stack[stack.length - 1].key === undefined
          ) stack.pop();
          stack.push({ indent, index: 0 });
        }
        const after = rest.slice(1);
        const item = after.trimStart();
        indent += 1 + (after.length - item.length);
        rest = item;
        if (rest === "") break;
        continue;
      }
      while (stack.length && stack[stack.length - 1].indent >= indent) {
        stack.pop();
      }
      const key = rest.match(
        /^("[^"]*"|'[^']*'|[^\s#:{}[\],&*!|>'"%@`][^#]*?)\s*:(\s|$)/,
      );
      if (key) stack.push({ indent, key: showKey(key[1]), index: 0 });
      break;
    }
  }
  let path = "";
  for (const f of stack) {
    path += f.key === undefined
      ? `[${f.index}]`
      : path === ""
      ? f.key
      : `.${f.key}`;
  }
  return path === "" ? undefined : path;
}

/** The keys a kubeconfig is made of; any other key shows as `?`. */
const KNOWN_KEYS = new Set([
  "apiVersion",
  "kind",
  "preferences",
  "colors",
  "clusters",
  "contexts",
  "users",
  "current-context",
  "name",
  "cluster",
  "context",
  "user",
  "namespace",
  "extensions",
  "extension",
  "server",
  "tls-server-name",
  "insecure-skip-tls-verify",
  "proxy-url",
  "disable-compression",
  "certificate-authority",
  "certificate-authority-data",
  "token",
  "tokenFile",
  "username",
  "password",
  "client-key",
  "client-key-data",
  "client-certificate",
  "client-certificate-data",
  "as",
  "as-uid",
  "as-groups",
  "as-user-extra",
  "auth-provider",
  "config",
  "access-token",
  "expiry",
  "id-token",
  "refresh-token",
  "exec",
  "command",
  "args",
  "env",
  "value",
  "installHint",
  "provideClusterInfo",
  "interactiveMode",
]);

function showKey(raw: string): string {
  const key = /^["']/.test(raw) ? raw.slice(1, -1) : raw;
  return KNOWN_KEYS.has(key) ? key : "?";
}
