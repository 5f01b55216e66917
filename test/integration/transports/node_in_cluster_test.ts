// The in-cluster transport from inside a real pod. The pod runs this
// machine's Deno binary and this repository through read-only hostPath
// mounts (the busybox image has no libc, so Deno starts through the host's
// dynamic loader), uses host networking to reach the loopback apiserver
// (no kube-proxy runs here, so the `kubernetes` Service's ClusterIP would
// lead nowhere: KUBERNETES_SERVICE_HOST/PORT are set explicitly, which is
// what they are for), and gets a projected, audience-bound service-account
// token with the CA and namespace, as kubelets mount them. autoDetectClient()
// must pick the in-cluster transport, authenticate as the service account
// and get RBAC's answers for it.

import assert from "node:assert/strict";
import { KubeConfigRestClient } from "../../../mod.ts";
import { controlPlane } from "../../harness.ts";
import {
  createNamespace,
  deleteNamespace,
  nodeOf,
  watchPodUntil,
} from "../../_node_pods.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "node_in_cluster_test");
const repo = new URL("../../..", import.meta.url).pathname.replace(/\/$/, "");
// The Deno running this test, wherever it is: under /usr from a package,
// or in npm's cache when started through `npx deno` as the README says.
const denoBinary = await Deno.realPath(Deno.execPath());
const denoDir = Deno.env.get("DENO_DIR") ??
  `${Deno.env.get("HOME")}/.cache/deno`;
// Deno starts through the host's loader and libc, mounted with /usr
// (merged-/usr systems such as Debian 12) or from the loader's own directory.
const loader = await Deno.realPath("/lib64/ld-linux-x86-64.so.2").catch(() =>
  ""
);
const libDir = loader.replace(/\/[^/]+$/, "");
const skipReason = !loader
  ? "no /lib64/ld-linux-x86-64.so.2 to start the host's Deno with in a pod"
  : undefined;
if (skipReason) console.error(`node_in_cluster_test: skipped: ${skipReason}`);

Deno.test({
  name:
    "inside a real pod, autoDetectClient() picks the in-cluster transport and acts as the pod's service account",
  ignore: !node || cp.external || Boolean(skipReason),
  fn: async () => {
    using admin = await KubeConfigRestClient.readKubeConfig(
      cp.kubeconfigs.admin,
    );
    const ns = await createNamespace(admin, "node-in-cluster");
    try {
      const post = (path: string, body: unknown) =>
        admin.performRequest({
          method: "POST",
          path,
          bodyJson: body as Record<string, never>,
          expectJson: true,
        });
      await post(`/api/v1/namespaces/${ns}/configmaps`, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "cluster-ca" },
        data: { "ca.crt": cp.caPem },
      });
      await post(
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "Role",
          metadata: { name: "read-pods" },
          rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }],
        },
      );
      await post(
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: "read-pods" },
          roleRef: {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "Role",
            name: "read-pods",
          },
          subjects: [{
            kind: "ServiceAccount",
            name: "default",
            namespace: ns,
          }],
        },
      );
      const apiPort = new URL(cp.server).port;
      const hostPath = (
        name: string,
        path: string,
        type: "Directory" | "File" = "Directory",
      ) => ({ name, hostPath: { path, type } });
      // Paths outside /usr (Deno from npx's cache, a loader elsewhere) are
      // mounted where they are on the host.
      const extra = [
        ...(denoBinary.startsWith("/usr/")
          ? []
          : [{ name: "deno", path: denoBinary, type: "File" as const }]),
        ...(libDir.startsWith("/usr/")
          ? []
          : [{ name: "libs", path: libDir, type: "Directory" as const }]),
      ];
      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "operator" },
        spec: {
          restartPolicy: "Never",
          hostNetwork: true,
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 0,
          containers: [{
            name: "main",
            image: node!.images.busybox,
            imagePullPolicy: node!.imagePullPolicy,
            command: [
              loader,
              "--library-path",
              libDir,
              denoBinary,
              "run",
              "--cached-only",
              "--allow-env",
              "--allow-read",
              "--allow-net",
              `${repo}/test/fixtures/in_pod_probe.ts`,
            ],
            env: [
              { name: "KUBERNETES_SERVICE_HOST", value: "127.0.0.1" },
              { name: "KUBERNETES_SERVICE_PORT", value: apiPort },
              { name: "DENO_DIR", value: "/deno-dir" },
              { name: "HOME", value: "/tmp" },
              { name: "NO_COLOR", value: "1" },
              {
                name: "POD_NAME",
                valueFrom: { fieldRef: { fieldPath: "metadata.name" } },
              },
            ],
            volumeMounts: [
              { name: "usr", mountPath: "/usr", readOnly: true },
              { name: "repo", mountPath: repo, readOnly: true },
              { name: "deno-dir", mountPath: "/deno-dir" },
              ...extra.map((m) => ({
                name: m.name,
                mountPath: m.path,
                readOnly: true,
              })),
              {
                name: "sa",
                mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
                readOnly: true,
              },
            ],
          }],
          volumes: [
            hostPath("usr", "/usr"),
            hostPath("repo", repo),
            hostPath("deno-dir", denoDir),
            ...extra.map((m) => hostPath(m.name, m.path, m.type)),
            {
              name: "sa",
              projected: {
                sources: [
                  {
                    serviceAccountToken: {
                      path: "token",
                      expirationSeconds: 3600,
                    },
                  },
                  {
                    configMap: {
                      name: "cluster-ca",
                      items: [{ key: "ca.crt", path: "ca.crt" }],
                    },
                  },
                  {
                    downwardAPI: {
                      items: [{
                        path: "namespace",
                        fieldRef: { fieldPath: "metadata.namespace" },
                      }],
                    },
                  },
                ],
              },
            },
          ],
        },
      };
      const { pod: done, states } = await watchPodUntil(
        admin,
        ns,
        "operator",
        () => post(`/api/v1/namespaces/${ns}/pods`, pod),
        (p) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed",
        90_000,
      );
      const log = new TextDecoder().decode(
        await admin.performRequest({
          method: "GET",
          path: `/api/v1/namespaces/${ns}/pods/operator/log`,
        }),
      );
      assert.equal(
        done.status?.phase,
        "Succeeded",
        `${states.join(" → ")}\n${log}`,
      );
      const report = JSON.parse(log.trim().split("\n").at(-1)!);
      assert.deepEqual(report, {
        transport: "InClusterRestClient",
        namespace: ns,
        pod: "operator",
        node: node!.name,
        otherNamespace: "403 Forbidden",
      });
    } finally {
      await deleteNamespace(admin, ns);
    }
  },
});
