// A kubeconfig `proxy-url` as Deno's `createHttpClient` takes it: the
// credentials moved out of the URL into `basicAuth`.

/**
 * The Deno proxy for a `proxy-url`.
 *
 * @param raw The URL (http, https or socks5).
 * @returns The proxy.
 */
export function proxyFromUrl(raw: string): Deno.Proxy {
  const url = new URL(raw);
  const basicAuth = url.username
    ? {
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    }
    : undefined;
  url.username = "";
  url.password = "";
  const transport = url.protocol === "https:"
    ? "https"
    : url.protocol.startsWith("socks5")
    ? "socks5"
    : "http";
  return {
    transport,
    url: url.toString().replace(/\/$/, ""),
    ...(basicAuth ? { basicAuth } : {}),
  };
}
