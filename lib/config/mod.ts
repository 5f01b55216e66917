/**
 * Loading kubeconfig files the way kubectl does: `$KUBECONFIG` lists merged
 * first-wins, paths resolved against the file that defined them, every field
 * type-checked with errors that name the file and the field.
 *
 * The code lives in `lib/config/`: `types.ts` (the document), `kube_config.ts`
 * (loading and merging), `context.ts` (a resolved context), `pem.ts` (PEM
 * values), and internal `_validate.ts`, `_merge.ts`, `_resolve_paths.ts`,
 * `_paths.ts`, `_parse_yaml.ts`, `_in_cluster.ts`.
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
