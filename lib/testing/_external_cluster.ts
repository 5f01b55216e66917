// An existing cluster (KUBE_TEST_KUBECONFIG) as a test cluster: described
// from its kubeconfig through kubectl. Only an admin is known there, so the
// suites that need the limited user, static tokens or etcd skip themselves.

import { parseJsonQuietly } from "./_leaf_helpers.ts";
import { runCommand } from "./_processes.ts";
import { type Binaries, findBinaries } from "./binaries.ts";
import { attachCluster, type Cluster } from "./cluster.ts";
import {
  type AdminUser,
  type ControlPlaneInfo,
  EXTERNAL_KUBECONFIG_ENV,
  EXTERNAL_NODE_IMAGE_ENV,
  LIMITED_NAMESPACE,
} from "./descriptor.ts";
import type { ClusterOptions } from "./start_cluster.ts";
import { TestingError } from "./testing_error.ts";

/**
 * Describes an existing cluster from the current context of a kubeconfig,
 * flattened by kubectl. Only an admin user is known there: suites that need
 * the limited user, static tokens or etcd skip themselves.
 */
export async function describeExternal(
  kubeconfig: string,
  binaries: Binaries,
): Promise<ControlPlaneInfo> {
  const where = `${EXTERNAL_KUBECONFIG_ENV}=${kubeconfig}`;
  const stdout = await runCommand(binaries.kubectl, [
    "config",
    "view",
    "--raw",
    "--minify",
    "--flatten",
    "-o",
    "json",
    `--kubeconfig=${kubeconfig}`,
  ], {
    failure: (stderr) => `${where}: kubectl config view failed: ${stderr}`,
  });
  // The flattened kubeconfig holds keys and tokens: a parse error quotes none.
  const fail = (chars: number) =>
    new Error(
      `${where}: kubectl config view printed no JSON (${chars} chars)`,
    );
  // deno-lint-ignore no-explicit-any
  const cfg: any = parseJsonQuietly(stdout, fail);
  const cluster = cfg.clusters?.[0]?.cluster ?? {};
  const user = cfg.users?.[0]?.user ?? {};
  const b64 = (s: string) =>
    new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
  const dir = await Deno.makeTempDir({ prefix: "kube-test-external-" });
  const caPem = cluster["certificate-authority-data"]
    ? b64(cluster["certificate-authority-data"])
    : "";
  await Deno.writeTextFile(`${dir}/ca.crt`, caPem);
  let admin: AdminUser;
  if (user["client-certificate-data"] && user["client-key-data"]) {
    const certPem = b64(user["client-certificate-data"]);
    const keyPem = b64(user["client-key-data"]);
    await Deno.writeTextFile(`${dir}/admin.crt`, certPem);
    await Deno.writeTextFile(`${dir}/admin.key`, keyPem);
    admin = {
      name: "external-admin",
      certPem,
      keyPem,
      certFile: `${dir}/admin.crt`,
      keyFile: `${dir}/admin.key`,
    };
  } else if (user.token) {
    admin = { name: "external-admin", token: user.token };
  } else {
    throw new Error(
      `${EXTERNAL_KUBECONFIG_ENV}=${kubeconfig}: the current user has neither a client certificate nor a token; the suite needs one of them`,
    );
  }
  return {
    server: cluster.server,
    caFile: `${dir}/ca.crt`,
    caPem,
    dir,
    users: { admin },
    tokens: {},
    kubeconfigs: { admin: kubeconfig },
    limitedNamespace: LIMITED_NAMESPACE,
    binaries,
    external: true,
  };
}

/** A cluster KUBE_TEST_KUBECONFIG names: only an admin is known there. */
export async function describeExisting(
  kubeconfig: string,
  opts: ClusterOptions,
): Promise<Cluster> {
  const { found } = await findBinaries();
  const kubectl = opts.binaries?.kubectl ?? found.kubectl;
  if (!kubectl) {
    throw new TestingError(
      "BinariesMissing",
      `${EXTERNAL_KUBECONFIG_ENV} needs kubectl on PATH (or KUBECTL_BIN)`,
    );
  }
  const info = await describeExternal(kubeconfig, {
    etcd: found.etcd ?? "",
    kubeApiserver: found.kubeApiserver ?? "",
    kubectl,
  });
  const image = Deno.env.get(EXTERNAL_NODE_IMAGE_ENV);
  if (image) {
    info.node = {
      name: "(any schedulable node)",
      images: { busybox: image },
      imagePullPolicy: "IfNotPresent",
    };
  } else {
    info.nodeSkipReason =
      `an existing cluster runs node tests only with ${EXTERNAL_NODE_IMAGE_ENV}=<a busybox image its nodes can pull>`;
  }
  return attachCluster(info, {
    stop: () => Deno.remove(info.dir, { recursive: true }),
    stopSync: () => Deno.removeSync(info.dir, { recursive: true }),
  });
}
