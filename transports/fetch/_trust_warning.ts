// The one warning about trust wider than kubectl's, said once per process.

let caWarned = false;

/**
 * Says once per process where trust stays wider than kubectl's: requests
 * that go through Deno's own TLS (for `why`), which adds `caCerts` to the
 * root store instead of replacing it and shows no peer certificate to check.
 */
export function warnCaIsAdded(why: string): void {
  if (caWarned) return;
  caWarned = true;
  console.warn(
    `Warning: with ${why}, requests use Deno's TLS, which trusts the kubeconfig's certificate-authority in addition to its root store (Mozilla's roots, or the system's with DENO_TLS_CA_STORE, plus DENO_CERT / --cert), not instead of it: a certificate for the API server's name from any of those CAs is accepted, where kubectl trusts only the configured CA (tunnels trust only the configured CA)`,
  );
}
