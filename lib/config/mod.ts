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

export type {
  ClusterConfig,
  ContextConfig,
  KubeConfigOrigins,
  NamedExtension,
  RawKubeConfig,
  UserAuthProviderConfig,
  UserConfig,
  UserExecConfig,
} from "./types.ts";
export { ExecAuthExtensionName } from "./types.ts";
export { KubeConfig, mergeKubeConfigs } from "./kube_config.ts";
export {
  type CredentialsOptions,
  KubeConfigContext,
  type KubeConfigContextSource,
} from "./context.ts";
export { decodePem } from "./pem.ts";
