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
} from "./config/types.ts";
export { ExecAuthExtensionName } from "./config/types.ts";
export { KubeConfig, mergeKubeConfigs } from "./config/kube_config.ts";
export {
  type CredentialsOptions,
  KubeConfigContext,
  type KubeConfigContextSource,
} from "./config/context.ts";
export { decodePem } from "./config/pem.ts";
