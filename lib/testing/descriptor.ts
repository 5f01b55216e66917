// The control plane as data: the JSON-serialisable description every suite
// and process shares (the descriptor file KUBE_TEST_CONTROL_PLANE names),
// the env vars that choose a cluster, and how to reach it as the admin.

import type { Binaries } from "./binaries.ts";

/** A client-certificate user. */
export interface CertUser {
  /** The certificate's common name: the user name Kubernetes sees. */
  name: string;
  /** The client certificate (PEM file). */
  certFile: string;
  /** Its private key (PEM file). */
  keyFile: string;
  /** The client certificate's PEM text. */
  certPem: string;
  /** The private key's PEM text. */
  keyPem: string;
}

/** The admin user: a client certificate, or a bearer token on an external cluster. */
export type AdminUser = CertUser | { name: string; token: string };

/** Everything a test needs to reach the control plane; JSON-serialisable. */
export interface ControlPlaneInfo {
  /** https://127.0.0.1:PORT */
  server: string;
  /** The CA that signed the serving and client certificates (PEM file). */
  caFile: string;
  /** The same CA's PEM text. */
  caPem: string;
  /** http://127.0.0.1:PORT, for compaction; absent for an external cluster. */
  etcdUrl?: string;
  /** Scratch directory owned by this control plane. */
  dir: string;
  /** Users: `admin` is in system:masters; `limited` may only read in `limitedNamespace`. */
  users: { admin: AdminUser; limited?: CertUser };
  /** Static bearer tokens (`--token-auth-file`) for the same two roles. */
  tokens: { admin?: string; limited?: string };
  /** A kubeconfig per user; `adminRelative` uses paths relative to its own file. */
  kubeconfigs: {
    /** The admin's client certificate. */
    admin: string;
    /** The same, with file paths relative to the kubeconfig. */
    adminRelative?: string;
    /** The limited user's client certificate, namespace `limitedNamespace`. */
    limited?: string;
    /** The admin's static bearer token. */
    adminToken?: string;
    /** The limited user's static bearer token. */
    limitedToken?: string;
  };
  /** The namespace the limited user may read (`kube-test-limited`). */
  limitedNamespace: string;
  /** The binaries the control plane runs. */
  binaries: Binaries;
  /** Process ids of etcd and kube-apiserver (absent for an external cluster). */
  pids?: { etcd: number; apiserver: number };
  /** True when the suite runs against a cluster it did not start. */
  external: boolean;
  /** The node pods run on, when there is one (see lib/testing/node.ts). */
  node?: NodeInfo;
  /** Why there is no node: node tests report themselves skipped with it. */
  nodeSkipReason?: string;
}

/** What suites learn about the node (JSON-serialisable, in the descriptor). */
export interface NodeInfo {
  /** The Node object's name. */
  name: string;
  /** The node's InternalIP (the CNI bridge's gateway address); absent for an external cluster. */
  ip?: string;
  /** A busybox-like image pods can run (`sh`, `httpd`, `nc`, `sleep`, `cat`), and how to get it. */
  images: { busybox: string };
  /** `Never` for the harness's node (images are imported, no registry); `IfNotPresent` elsewhere. */
  imagePullPolicy: "Never" | "IfNotPresent";
  /** Scratch directory (containerd, kubelet, logs); absent for an external cluster. */
  dir?: string;
  /** Milliseconds from start to a Ready node. */
  readyAfterMs?: number;
}

/** The env var through which test/run.ts hands its control plane to the suites. */
export const DESCRIPTOR_ENV = "KUBE_TEST_CONTROL_PLANE";
/** The env var naming an existing cluster's kubeconfig to test against instead. */
export const EXTERNAL_KUBECONFIG_ENV = "KUBE_TEST_KUBECONFIG";

/** For an external cluster: a busybox-like image its nodes can run, which turns the node tests on. */
export const EXTERNAL_NODE_IMAGE_ENV = "KUBE_TEST_NODE_IMAGE";

/** The namespace the limited user may read. */
export const LIMITED_NAMESPACE = "kube-test-limited";

/** Serialisable view of a control plane, for the descriptor file. */
export function describe(cp: ControlPlaneInfo): ControlPlaneInfo {
  const { stop: _stop, stopSync: _stopSync, ...info } = cp as
    & ControlPlaneInfo
    & { stop?: unknown; stopSync?: unknown };
  return info;
}

/** An HttpClient that authenticates as the admin user (close it when done). */
export function adminHttpClient(cp: ControlPlaneInfo): Deno.HttpClient {
  const admin = cp.users.admin;
  const caCerts = cp.caPem ? [cp.caPem] : [];
  return "certPem" in admin
    ? Deno.createHttpClient({ caCerts, cert: admin.certPem, key: admin.keyPem })
    : Deno.createHttpClient({ caCerts });
}

/** Headers that authenticate as the admin user (empty for certificate auth). */
export function adminHeaders(cp: ControlPlaneInfo): Record<string, string> {
  const admin = cp.users.admin;
  return "token" in admin ? { authorization: `Bearer ${admin.token}` } : {};
}
