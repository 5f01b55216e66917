// The objects every suite may rely on, created once the apiserver is ready:
// the namespaces, their `default` ServiceAccounts, and the limited user's
// read-only Role and RoleBinding.

import { LIMITED_NAMESPACE } from "./descriptor.ts";

/** Namespaces, RBAC and service accounts every suite may rely on. */
export async function bootstrap(
  server: string,
  client: Deno.HttpClient,
): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${server}${path}`, {
      method: "POST",
      client,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok && r.status !== 409) {
      throw new Error(`bootstrap POST ${path}: HTTP ${r.status}: ${text}`);
    }
  };
  // The apiserver creates `default` itself, but only some time after /readyz.
  for (const name of ["default", LIMITED_NAMESPACE]) {
    await post("/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name },
    });
  }
  for (const ns of ["default", LIMITED_NAMESPACE]) {
    await post(`/api/v1/namespaces/${ns}/serviceaccounts`, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "default" },
      automountServiceAccountToken: false,
    });
  }
  // No controller-manager runs, so the aggregated `view` role is empty: bind an explicit Role.
  await post(
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${LIMITED_NAMESPACE}/roles`,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "kube-test-read-only" },
      rules: [{
        apiGroups: ["", "apps", "batch"],
        resources: ["*"],
        verbs: ["get", "list", "watch"],
      }],
    },
  );
  await post(
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${LIMITED_NAMESPACE}/rolebindings`,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "kube-test-read-only" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: "kube-test-read-only",
      },
      subjects: [{
        apiGroup: "rbac.authorization.k8s.io",
        kind: "User",
        name: "kube-test-limited",
      }],
    },
  );
}
