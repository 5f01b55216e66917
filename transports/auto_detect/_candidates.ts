// The sources auto-detect tries, each checking the permissions it needs
// before touching anything: a pod's service account, the default
// kubeconfig, a running `kubectl proxy`, and `kubectl` itself.

import { errorText } from "../../lib/_internal/error_text.ts";
import { KubeConfig } from "../../lib/config/kube_config.ts";
import { credentialsFor } from "../../lib/auth/credentials.ts";
import { join } from "../../lib/_internal/path.ts";
import { maskUrl } from "../../lib/_internal/redact.ts";
import { InClusterRestClient } from "../in_cluster.ts";
import { KubeConfigRestClient } from "../kubeconfig.ts";
import { KubectlRawRestClient } from "../kubectl_raw.ts";
import {
  granted,
  needNet,
  needRead,
  type Probe,
  probe,
  readEnv,
  Unusable,
} from "./_probe.ts";

/** The pod's service account, when KUBERNETES_SERVICE_HOST is set and the token is mounted. */
export async function tryInCluster(
  secretsPath: string,
  timeout: number,
): ReturnType<Probe> {
  const host = await readEnv("KUBERNETES_SERVICE_HOST");
  if (host instanceof Unusable) {
    return new Unusable(
      host.reason,
      "--allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT",
    );
  }
  if (!host) {
    return new Unusable("not in a pod (KUBERNETES_SERVICE_HOST is unset)");
  }
  const port = await readEnv("KUBERNETES_SERVICE_PORT");
  if (port instanceof Unusable) {
    return new Unusable(port.reason, "--allow-env=KUBERNETES_SERVICE_PORT");
  }
  const missingRead = await needRead(
    secretsPath,
    "the service-account directory",
  );
  if (missingRead) return missingRead;
  try {
    await Deno.stat(join(secretsPath, "token"));
  } catch {
    return new Unusable(
      `no service-account token at ${
        join(secretsPath, "token")
      } (is automountServiceAccountToken off?)`,
    );
  }
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${
    port || "443"
  }`;
  const missingNet = await needNet(server, "the in-cluster API server");
  if (missingNet) return missingNet;
  const client = await InClusterRestClient.create({
    secretsPath,
    retry: false,
  });
  return await probe(
    client,
    timeout,
    (err) => `${maskUrl(server)} did not answer: ${errorText(err)}`,
  );
}

/** The default kubeconfig's current context, with one time budget for credentials and the probe. */
export async function tryKubeConfig(timeout: number): ReturnType<Probe> {
  const list = await readEnv("KUBECONFIG");
  if (list instanceof Unusable) {
    return new Unusable(list.reason, "--allow-env=KUBECONFIG,HOME");
  }
  let paths: string[];
  if (list) {
    paths = list.split(Deno.build.os === "windows" ? ";" : ":").filter(Boolean);
  } else {
    const home = await readEnv("HOME");
    if (home instanceof Unusable) {
      return new Unusable(home.reason, "--allow-env=KUBECONFIG,HOME");
    }
    if (!home) {
      return new Unusable(
        "neither KUBECONFIG nor HOME is set",
        "set KUBECONFIG",
      );
    }
    paths = [join(join(home, ".kube"), "config")];
  }
  for (const path of paths) {
    const missing = await needRead(path, "the kubeconfig");
    if (missing) return missing;
  }
  const existing: string[] = [];
  for (const path of paths) {
    try {
      await Deno.stat(path);
      existing.push(path);
    } catch {
      // kubectl skips missing files too
    }
  }
  if (existing.length === 0) {
    return new Unusable(
      `no kubeconfig: ${paths.join(", ")} ${
        paths.length > 1 ? "do" : "does"
      } not exist`,
      "set KUBECONFIG or create ~/.kube/config",
    );
  }
  const config = await KubeConfig.getDefaultConfig();
  const ctx = config.fetchContext();
  const server = ctx.cluster.server;
  if (!server) {
    return new Unusable(
      `the cluster of context ${ctx.source.contextName} has no server`,
    );
  }
  const missingNet = await needNet(
    server,
    `the server of context ${ctx.source.contextName}`,
  );
  if (missingNet) return missingNet;
  for (
    const [key, path] of [
      ["certificate authority", ctx.cluster["certificate-authority"]],
      ["client certificate", ctx.user["client-certificate"]],
      ["client key", ctx.user["client-key"]],
      ["token file", ctx.user.tokenFile],
    ] as const
  ) {
    if (!path) continue;
    const missing = await needRead(path, `the ${key}`);
    if (missing) return missing;
  }
  if (
    ctx.user.exec &&
    !await granted({ name: "run", command: ctx.user.exec.command })
  ) {
    return new Unusable(
      `no permission to run the exec credential plugin ${ctx.user.exec.command}`,
      `--allow-run=${ctx.user.exec.command}`,
    );
  }
  // One budget for the CA, the credentials (an exec plugin may hang: it is
  // killed when the budget runs out) and the probe.
  const deadline = AbortSignal.timeout(timeout);
  const serverTls = await ctx.getServerTls();
  try {
    await credentialsFor(ctx).get(deadline);
  } catch (err) {
    if (deadline.aborted && err === deadline.reason) {
      return new Unusable(
        `getting credentials for context ${ctx.source.contextName} took more than ${timeout} ms${
          ctx.user.exec ? " (the exec plugin was stopped)" : ""
        }`,
        undefined,
        err,
      );
    }
    throw err;
  }
  const client = new KubeConfigRestClient(ctx, null, {
    retry: false,
    caCerts: serverTls ? [serverTls.serverCert] : [],
  });
  return await probe(
    client,
    timeout,
    (err) =>
      `context ${ctx.source.contextName} (${maskUrl(server)}) did not answer: ${
        errorText(err)
      }`,
    deadline,
  );
}

/** A `kubectl proxy` already running at `url`. */
export async function tryKubectlProxy(
  url: string,
  timeout: number,
): ReturnType<Probe> {
  const missingNet = await needNet(url, "kubectl proxy");
  if (missingNet) return missingNet;
  const client = await KubeConfigRestClient.forKubectlProxy(url);
  return await probe(
    client,
    timeout,
    (err) =>
      /connection refused/i.test(errorText(err))
        ? `nothing is listening at ${
          maskUrl(url)
        } (connection refused); start \`kubectl proxy\` to use it`
        : `${maskUrl(url)} did not answer: ${errorText(err)}`,
  );
}

/** `kubectl` itself, run per request. */
export async function tryKubectlRaw(
  kubectl: string,
  timeout: number,
): ReturnType<Probe> {
  if (!await granted({ name: "run", command: kubectl })) {
    return new Unusable(
      `no permission to run ${kubectl}`,
      `--allow-run=${kubectl}`,
    );
  }
  const client = new KubectlRawRestClient(undefined, { kubectl });
  const probed = await probe(client, timeout, (err) => errorText(err));
  if (!(probed instanceof Unusable)) await client.loadDefaultNamespace();
  return probed;
}
