// The control plane's credentials: a CA, the apiserver's serving
// certificate, the admin and limited users' client certificates, the
// service-account signing keys, the certificate the apiserver shows
// kubelets, the front proxy's CA and client certificate (what the
// aggregation layer shows the aggregated API servers it proxies to), and
// static bearer tokens for the two users.

import { createCa, createServiceAccountKeys, issueCert } from "./_pki.ts";
import type { IssuedCert } from "./_pki.ts";

/** Everything {@link issueControlPlaneCredentials} wrote under its directory. */
export interface ControlPlaneCredentials {
  /** The CA that signs every other certificate. */
  ca: IssuedCert;
  /** kube-apiserver's serving certificate (loopback and in-cluster names). */
  serving: IssuedCert;
  /** `kube-test-admin`, in system:masters. */
  admin: IssuedCert;
  /** `kube-test-limited`, bound to a read-only Role by the bootstrap. */
  limited: IssuedCert;
  /** The service-account token signing key pair. */
  sa: { privateKeyFile: string; publicKeyFile: string };
  /** How the apiserver authenticates to a kubelet (logs, exec, port-forward). */
  kubeletClient: IssuedCert;
  /**
   * The front proxy's own CA (`--requestheader-client-ca-file`), apart
   * from `ca` as kubeadm keeps it: a client certificate of `ca` cannot
   * assert a user in `X-Remote-User` headers.
   */
  frontProxyCa: IssuedCert;
  /**
   * `front-proxy-client`, signed by `frontProxyCa`: what the aggregator
   * shows an aggregated API server (`--proxy-client-cert-file`).
   */
  frontProxyClient: IssuedCert;
  /** Static bearer tokens for the same two users. */
  tokens: { admin: string; limited: string };
  /** The `--token-auth-file` that holds them. */
  tokensFile: string;
}

/** The front proxy client's common name, the one `--requestheader-allowed-names` allows. */
export const FRONT_PROXY_CLIENT = "front-proxy-client";

/** Issues the control plane's certificates, keys and tokens into `pki`. */
export async function issueControlPlaneCredentials(
  pki: string,
): Promise<ControlPlaneCredentials> {
  const [ca, frontProxyCa] = await Promise.all([
    createCa(pki, "ca", "kube-test-ca"),
    createCa(pki, "front-proxy-ca", "kube-test-front-proxy-ca"),
  ]);
  const [serving, admin, limited, sa, kubeletClient, frontProxyClient] =
    await Promise.all([
      issueCert(pki, ca, {
        name: "apiserver",
        commonName: "kube-apiserver",
        dnsNames: [
          "localhost",
          "kubernetes",
          "kubernetes.default",
          "kubernetes.default.svc",
          "kubernetes.default.svc.cluster.local",
        ],
        ipAddresses: ["127.0.0.1", "::1"],
        usage: "server",
      }),
      issueCert(pki, ca, {
        name: "admin",
        commonName: "kube-test-admin",
        organizations: ["system:masters"],
        usage: "client",
      }),
      issueCert(pki, ca, {
        name: "limited",
        commonName: "kube-test-limited",
        usage: "client",
      }),
      createServiceAccountKeys(pki),
      // How the apiserver authenticates to a kubelet (logs, exec, port-forward).
      issueCert(pki, ca, {
        name: "apiserver-kubelet-client",
        commonName: "kube-apiserver-kubelet-client",
        organizations: ["system:masters"],
        usage: "client",
      }),
      issueCert(pki, frontProxyCa, {
        name: "front-proxy-client",
        commonName: FRONT_PROXY_CLIENT,
        usage: "client",
      }),
    ]);

  const tokens = {
    admin: `admin-${crypto.randomUUID()}`,
    limited: `limited-${crypto.randomUUID()}`,
  };
  const tokensFile = `${pki}/tokens.csv`;
  await Deno.writeTextFile(
    tokensFile,
    `${tokens.admin},kube-test-token-admin,uid-token-admin,"system:masters"\n` +
      `${tokens.limited},kube-test-limited,uid-token-limited\n`,
  );
  return {
    ca,
    serving,
    admin,
    limited,
    sa,
    kubeletClient,
    frontProxyCa,
    frontProxyClient,
    tokens,
    tokensFile,
  };
}
