/**
 * Loading kubeconfig files the way kubectl does, the credentials they name
 * (tokens, token files, client certificates, exec plugins, legacy auth
 * providers), and reading and switching contexts as `kubectl config` does. Use
 * it to inspect or edit kubeconfigs, or to get a {@link KubeConfigContext} for a
 * client of your own; to send requests, hand a kubeconfig to
 * `KubeConfigRestClient` (`@denokube/transport/transports`).
 *
 * ```ts
 * import { KubeConfig } from "@denokube/transport/kubeconfig";
 *
 * const config = await KubeConfig.getDefaultConfig(); // $KUBECONFIG, else ~/.kube/config
 * const context = config.fetchContext(); // the current context
 * console.log(context.cluster.server, context.defaultNamespace);
 * ```
 *
 * Deno permissions: `--allow-env=KUBECONFIG,HOME` for the default files,
 * `--allow-read` on the files (and the files they name), `--allow-run=<plugin>`
 * for exec plugins, and to change a file `--allow-write` on it and its lock.
 *
 * ## What is understood
 *
 * - **Loading**: `$KUBECONFIG` lists (`:`; `;` on Windows) merged the kubectl way
 *   — the first file defining a cluster, user, context or `current-context` wins;
 *   listed files that do not exist are skipped; default `~/.kube/config` (`HOME`,
 *   then `USERPROFILE`). Relative `certificate-authority`, `client-certificate`,
 *   `client-key`, `tokenFile` and exec `command`s containing a path separator
 *   resolve against the file that defined them. `config.sourceOf(kind, name)`
 *   tells which file won.
 * - **Validation**: every field is type-checked at load; errors name the file and
 *   the field
 *   (`KubeConfig /home/me/.kube/config: users["ops"].user.client-key-data: is not valid base64`)
 *   and never quote a secret (YAML errors give line, column and field path).
 *   Duplicate keys and names are errors, as for kubectl. What would only fail at
 *   the first request fails at load instead: PEM data (inline or, when first read,
 *   from files) must be well-formed blocks of base64 DER, certificates where
 *   certificates belong and a private key for `client-key`; `token`, `as`,
 *   `as-uid`, `as-groups`, `as-user-extra` values and cached auth-provider tokens
 *   must be valid header values (no CR, LF or other control characters; Latin-1);
 *   `tls-server-name` must be a host name; `server` and `proxy-url` need a host;
 *   `extensions` must be lists of named entries. `as-user-extra` keys set to null
 *   are empty lists, as for kubectl. Token files and exec credentials are checked
 *   the same way when read, so a token with a line break is a `CredentialError`
 *   naming the field, never Deno's `Invalid header value: "Bearer …"`. Hostile
 *   files are bounded: at most 16 MiB, 100 levels of nesting and 1,000,000 values
 *   once YAML aliases are expanded (a 400-byte "billion laughs" file fails in
 *   milliseconds). A fuzz test (every field given every other type, and random
 *   YAML edits) holds every outcome to "works, or a located `KubeConfigError`".
 * - **Auth**: `token`; `tokenFile` (re-read at most once a minute, like client-go,
 *   and at once after a 401); basic auth; client certificate and key as data or
 *   files; `exec` plugins (`client.authentication.k8s.io` v1, v1beta1, v1alpha1;
 *   `KUBERNETES_EXEC_INFO`; `args`; `env`; `interactiveMode`; `provideClusterInfo`
 *   with the exec cluster extension; `installHint`; token or client-certificate
 *   credentials; cached until 10 s before `expirationTimestamp`; concurrent
 *   requests share one run; re-run after a 401 once per stale credential, however
 *   many requests were refused with it; `credentials.get(signal)` lets a caller
 *   give up, and the plugin is killed once every waiting caller has); legacy
 *   `auth-provider` `gcp` and `oidc` cached tokens while fresh, otherwise an error
 *   saying how to refresh.
 * - **Impersonation**: `as`, `as-uid`, `as-groups`, `as-user-extra` →
 *   `Impersonate-*` headers.
 *
 * ## Contexts
 *
 * ```ts
 * import {
 *   currentContext,
 *   listContexts,
 *   setContextNamespace,
 *   useContext,
 * } from "@denokube/transport/kubeconfig";
 *
 * for (const c of await listContexts()) {
 *   console.log(
 *     c.current ? "*" : " ",
 *     c.name,
 *     c.cluster,
 *     c.user,
 *     c.namespace,
 *     c.file,
 *   );
 * }
 * console.log((await currentContext())?.name);
 * await useContext("staging"); // kubectl config use-context staging
 * await setContextNamespace("staging", "payments"); // kubectl config set-context staging --namespace=payments
 * ```
 *
 * This entry reads the files kubectl reads (the `$KUBECONFIG` list,
 * else `~/.kube/config`, or `{ paths }`), merged first-wins: each context comes
 * with its cluster, user, namespace and the file that defines it. Changes go where
 * kubectl puts them: `useContext` writes `current-context` into the first listed
 * file that exists; `setContextNamespace` writes into the file that defines the
 * context (`undefined` removes the namespace; a name that is not a DNS label is a
 * `RangeError`). A write is kubectl's: it takes kubectl's lock (`FILE.lock` beside
 * the path as given, a symlink's own name; a held lock is a `KubeConfigError` at
 * once, as kubectl refuses at once), re-reads the file and writes it **in place**:
 * owner, group, mode and a bind mount stay, a symlink's target is written, a
 * read-only, immutable or read-only-mounted file is refused untouched (the error
 * gives the OS's reason, `EACCES`/`EPERM`/`EROFS`; only Deno's own missing
 * permission names a flag). No temp file or other copy of the file is ever made.
 * **What a crash leaves**: killed mid-write, the file may hold part of the new
 * text (we write over the old text, then truncate, so a longer new text is whole),
 * and the empty `FILE.lock` stays and stops every writer, ours and kubectl's,
 * until you delete it — as with kubectl. Every field it does not change is kept,
 * unknown ones included, with relative paths as they were, integers digit for
 * digit and scalars as kubectl reads them (YAML 1.1 look-alikes quoted). The file
 * is written back from its parsed form, so **comments, anchors and formatting are
 * lost** (aliases and `<<` merges written out expanded), and a JSON file becomes
 * YAML — as with `kubectl config`. Errors are `KubeConfigError`s naming the file
 * and field, never quoting a value.
 *
 * Deno flags: `--allow-env=KUBECONFIG,HOME` for the default files (or pass
 * `paths`), `--allow-read` on the files, and to change one `--allow-write` on it
 * and its lock file (its directory).
 *
 * ## Where the code lives
 *
 * `lib/config/`: `types.ts` (the document), `kube_config.ts` (loading and
 * merging), `context.ts` (a resolved context), `pem.ts` (PEM values),
 * `kubeconfig_contexts.ts` (contexts), internal `_validate.ts`, `_merge.ts`,
 * `_resolve_paths.ts`, `_paths.ts`, `_parse_yaml.ts`, `_kubeconfig_write.ts`,
 * `_in_cluster.ts`; `lib/auth/`: `credentials.ts` (credentials from a
 * context), `exec_credential.ts` (exec plugins).
 *
 * @module
 */

export {
  type ClusterConfig,
  type ContextConfig,
  ExecAuthExtensionName,
  type KubeConfigOrigins,
  type NamedExtension,
  type RawKubeConfig,
  type UserAuthProviderConfig,
  type UserConfig,
  type UserExecConfig,
} from "./types.ts";
export { KubeConfig, mergeKubeConfigs } from "./kube_config.ts";
export {
  type CredentialsOptions,
  KubeConfigContext,
  type KubeConfigContextSource,
} from "./context.ts";
export { decodePem } from "./pem.ts";
export {
  currentContext,
  type KubeConfigFilesOptions,
  type KubeContextInfo,
  listContexts,
  setContextNamespace,
  useContext,
} from "./kubeconfig_contexts.ts";
export {
  type AuthState,
  type Credentials,
  credentialsFor,
} from "../auth/credentials.ts";
export {
  type ExecCredentialStatus,
  type ExecPluginOptions,
  runExecPlugin,
} from "../auth/exec_credential.ts";
export {
  CredentialError,
  KubeConfigError,
  type KubeConfigErrorReason,
  type KubeConfigLocation,
} from "../errors/mod.ts";
