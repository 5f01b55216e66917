// URLs as kubeconfigs write them: a server may leave out its scheme
// (`host:port`), and every place that parses or masks one must agree on what
// counts as a scheme.

/** `scheme://` at the start of a URL (RFC 3986 scheme characters). */
export const URL_SCHEME: RegExp = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Whether `url` starts with `scheme://`.
 *
 * @param url A URL, or text meant to be one.
 * @returns Whether it names a scheme.
 */
export function hasScheme(url: string): boolean {
  return URL_SCHEME.test(url);
}

/**
 * `url` with `scheme://` put in front when it names none (a kubeconfig's
 * `host:port` server means `https://host:port`).
 *
 * @param url A URL, or `host[:port][/path]`.
 * @param scheme The scheme to assume, without `://`.
 * @returns The URL with a scheme.
 */
export function withScheme(url: string, scheme: string): string {
  return hasScheme(url) ? url : `${scheme}://${url}`;
}
