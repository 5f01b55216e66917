// A pod's view of its API server: KUBERNETES_SERVICE_HOST/_PORT, falling
// back to the cluster DNS name, and where the service-account files are
// mounted. Env is read only when permission is already granted.

/** The default mount of a pod's service-account files. */
export const SERVICE_ACCOUNT_DIR =
  "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * The API server URL seen from inside a pod.
 *
 * @returns `https://HOST:PORT` from the environment, else `https://kubernetes.default.svc`.
 */
export async function inClusterServer(): Promise<string> {
  const env = await Deno.permissions.query({
    name: "env",
    variable: "KUBERNETES_SERVICE_HOST",
  });
  const host = env.state === "granted"
    ? Deno.env.get("KUBERNETES_SERVICE_HOST")
    : undefined;
  if (!host) return "https://kubernetes.default.svc";
  const portPerm = await Deno.permissions.query({
    name: "env",
    variable: "KUBERNETES_SERVICE_PORT",
  });
  const port =
    (portPerm.state === "granted" && Deno.env.get("KUBERNETES_SERVICE_PORT")) ||
    "443";
  return `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
