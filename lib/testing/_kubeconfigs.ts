// Kubeconfig files for the test cluster: one context, JSON (which every
// YAML reader accepts), and the set the control plane writes for its users.

import type { ControlPlaneCredentials } from "./_control_plane_pki.ts";
import { type ControlPlaneInfo, LIMITED_NAMESPACE } from "./descriptor.ts";

/** A one-context kubeconfig (JSON, which YAML readers accept). */
export function kubeconfigYaml(opts: {
  server: string;
  ca: string;
  user: Record<string, string>;
  namespace?: string;
}): string {
  // JSON is valid YAML; kubectl and our loader both read it.
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{
        name: "kube-test",
        cluster: { server: opts.server, "certificate-authority": opts.ca },
      }],
      users: [{ name: "kube-test-user", user: opts.user }],
      contexts: [{
        name: "kube-test",
        context: {
          cluster: "kube-test",
          user: "kube-test-user",
          ...(opts.namespace ? { namespace: opts.namespace } : {}),
        },
      }],
      "current-context": "kube-test",
    },
    null,
    2,
  ) + "\n";
}

/**
 * Writes a kubeconfig per user and credential kind under `dir/kubeconfigs`:
 * absolute paths, nothing embedded, and one copy whose paths are relative to
 * itself.
 */
export async function writeControlPlaneKubeconfigs(
  dir: string,
  server: string,
  creds: ControlPlaneCredentials,
): Promise<ControlPlaneInfo["kubeconfigs"]> {
  const { ca, admin, limited, tokens } = creds;
  const kc = `${dir}/kubeconfigs`;
  await Deno.mkdir(`${kc}/relative/certs`, { recursive: true });
  const kubeconfigs = {
    admin: `${kc}/admin.yaml`,
    adminRelative: `${kc}/relative/admin.yaml`,
    limited: `${kc}/limited.yaml`,
    adminToken: `${kc}/admin-token.yaml`,
    limitedToken: `${kc}/limited-token.yaml`,
  };
  await Deno.writeTextFile(
    kubeconfigs.admin,
    kubeconfigYaml({
      server,
      ca: ca.certFile,
      user: {
        "client-certificate": admin.certFile,
        "client-key": admin.keyFile,
      },
    }),
  );
  await Deno.copyFile(ca.certFile, `${kc}/relative/certs/ca.crt`);
  await Deno.copyFile(admin.certFile, `${kc}/relative/certs/admin.crt`);
  await Deno.copyFile(admin.keyFile, `${kc}/relative/certs/admin.key`);
  await Deno.writeTextFile(
    kubeconfigs.adminRelative,
    kubeconfigYaml({
      server,
      ca: "certs/ca.crt",
      user: {
        "client-certificate": "certs/admin.crt",
        "client-key": "./certs/admin.key",
      },
    }),
  );
  await Deno.writeTextFile(
    kubeconfigs.limited,
    kubeconfigYaml({
      server,
      ca: ca.certFile,
      user: {
        "client-certificate": limited.certFile,
        "client-key": limited.keyFile,
      },
      namespace: LIMITED_NAMESPACE,
    }),
  );
  await Deno.writeTextFile(
    kubeconfigs.adminToken,
    kubeconfigYaml({
      server,
      ca: ca.certFile,
      user: { token: tokens.admin },
    }),
  );
  await Deno.writeTextFile(
    kubeconfigs.limitedToken,
    kubeconfigYaml({
      server,
      ca: ca.certFile,
      user: { token: tokens.limited },
      namespace: LIMITED_NAMESPACE,
    }),
  );
  return kubeconfigs;
}
