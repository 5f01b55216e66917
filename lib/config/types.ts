// The kubeconfig document's types, as kubectl writes them (clientcmd's
// api/v1 types): data only, no behaviour.

/** A kubeconfig document (`kind: Config`, `apiVersion: v1`). */
export interface RawKubeConfig {
  /** Always `v1`. */
  "apiVersion": "v1";
  /** Always `Config`. */
  "kind": "Config";
  /** Named contexts: a cluster, a user and a namespace. */
  "contexts"?: { name: string; context: ContextConfig }[];
  /** Named clusters: where the API server is and how to trust it. */
  "clusters"?: { name: string; cluster: ClusterConfig }[];
  /** Named users: how to authenticate. */
  "users"?: { name: string; user: UserConfig }[];
  /** The context used when none is named. */
  "current-context"?: string;
  /** kubectl preferences (unused here, kept when merging). */
  "preferences"?: {
    "colors"?: boolean;
    "extensions"?: Array<NamedExtension>;
  };
}

/** A context: which cluster, which user, which namespace. */
export interface ContextConfig {
  /** Name of the cluster entry. */
  "cluster"?: string;
  /** Name of the user entry. */
  "user"?: string;
  /** Default namespace for namespaced requests. */
  "namespace"?: string;
  /** Extensions (unused). */
  "extensions"?: Array<NamedExtension>;
}

/** A cluster: the API server's address and how to verify it. */
export interface ClusterConfig {
  /** The API server URL, such as `https://10.0.0.1:6443`. */
  "server"?: string;
  /** Name to verify the server certificate against, when it differs from the URL's host. */
  "tls-server-name"?: string;
  /** Skip certificate verification. Deno cannot do this per client: see the transports entry point (TLS). */
  "insecure-skip-tls-verify"?: boolean;
  /** Proxy for every request: `http://`, `https://` or `socks5://`. */
  "proxy-url"?: string;
  /** Ask the server not to compress responses. */
  "disable-compression"?: boolean;
  /** Path of the CA bundle; relative paths are relative to the kubeconfig file. */
  "certificate-authority"?: string;
  /** Base64 of the CA bundle (PEM). */
  "certificate-authority-data"?: string;
  /** Extensions; `client.authentication.k8s.io/exec` is passed to exec plugins. */
  "extensions"?: Array<NamedExtension>;
}

/** A user: how to authenticate. */
export interface UserConfig {
  /** A static bearer token. */
  "token"?: string;
  /** Path of a file holding a bearer token; re-read at most once a minute. */
  "tokenFile"?: string;
  /** Basic-auth user name. */
  "username"?: string;
  /** Basic-auth password. */
  "password"?: string;
  /** Path of the client key (PEM). */
  "client-key"?: string;
  /** Base64 of the client key (PEM). */
  "client-key-data"?: string;
  /** Path of the client certificate (PEM). */
  "client-certificate"?: string;
  /** Base64 of the client certificate (PEM). */
  "client-certificate-data"?: string;
  /** User to impersonate (`Impersonate-User`). */
  "as"?: string;
  /** UID to impersonate (`Impersonate-Uid`). */
  "as-uid"?: string;
  /** Groups to impersonate (`Impersonate-Group`). */
  "as-groups"?: string[];
  /** Extra fields to impersonate (`Impersonate-Extra-*`). */
  "as-user-extra"?: Record<string, string[]>;
  /** @deprecated Removed in Kubernetes 1.26 in favour of `exec`; cached tokens are still used while fresh. */
  "auth-provider"?: { name: string; config: UserAuthProviderConfig };
  /** A credential plugin to run. */
  "exec"?: UserExecConfig;
  /** Extensions (unused). */
  "extensions"?: Array<NamedExtension>;
}

/** @deprecated Legacy auth-provider settings (gcp, oidc). */
export interface UserAuthProviderConfig {
  /** gcp: cached access token. */
  "access-token"?: string;
  /** gcp: when the access token expires. */
  "expiry"?: string;
  /** oidc: cached ID token (a JWT; its `exp` claim is checked). */
  "id-token"?: string;
  /** Other provider-specific keys. */
  [key: string]: string | undefined;
}

/** An exec credential plugin (`client.authentication.k8s.io`). */
export interface UserExecConfig {
  /** The ExecCredential version the plugin speaks. */
  "apiVersion":
    | "client.authentication.k8s.io/v1alpha1"
    | "client.authentication.k8s.io/v1beta1"
    | "client.authentication.k8s.io/v1";
  /** The program; a path with a separator is relative to the kubeconfig file. */
  "command": string;
  /** Arguments. */
  "args"?: string[];
  /** Extra environment variables. */
  "env"?: Array<{ "name": string; "value": string }>;
  /** Shown when the command is not installed. */
  "installHint"?: string;
  /** Pass the cluster's details in `KUBERNETES_EXEC_INFO`. */
  "provideClusterInfo"?: boolean;
  /** Whether the plugin may use stdin. Required for v1. @default {"IfAvailable"} */
  "interactiveMode"?: "Never" | "IfAvailable" | "Always";
}

/** A named extension. */
export interface NamedExtension {
  /** The extension's name. */
  "name": string;
  /** Its content. */
  "extension"?: unknown;
}

/** The cluster extension whose content is passed to exec plugins as `spec.cluster.config`. */
export const ExecAuthExtensionName = "client.authentication.k8s.io/exec";

/** Where each named entry of a (possibly merged) kubeconfig came from. */
export interface KubeConfigOrigins {
  /** Files in merge order. */
  files: string[];
  /** `context/NAME`, `cluster/NAME`, `user/NAME`, `current-context` → file. */
  entries: Map<string, string>;
}
