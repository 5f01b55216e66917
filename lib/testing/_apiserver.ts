// kube-apiserver for the test control plane: starting it with the flags
// lib/testing/_component_args.ts plans for its release, until /readyz answers.

import { spawnServer, waitFor } from "./_processes.ts";

/**
 * Starts kube-apiserver with `args` and waits until `server`/readyz answers
 * through `client` (an admin). The process goes into `children` before the
 * wait, so the caller stops it when the wait fails.
 */
export async function startApiserver(
  bin: string,
  args: string[],
  dir: string,
  server: string,
  client: Deno.HttpClient,
  children: Deno.ChildProcess[],
): Promise<Deno.ChildProcess> {
  const apiserver = await spawnServer(bin, args, `${dir}/apiserver.log`);
  children.push(apiserver);
  await waitFor(
    "kube-apiserver",
    apiserver,
    `${dir}/apiserver.log`,
    async () => {
      const r = await fetch(`${server}/readyz`, { client });
      await r.body?.cancel();
      return r.ok;
    },
  );
  return apiserver;
}
