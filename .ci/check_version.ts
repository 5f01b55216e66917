// Version gate for `deno task check`: the version the fetch transport sends
// in User-Agent must be deno.json's, so a release bump cannot leave it behind.
// Usage: deno run --allow-read .ci/check_version.ts

import { VERSION } from "../transports/fetch/_plan.ts";

const file = new URL("../deno.json", import.meta.url);
const { version } = JSON.parse(await Deno.readTextFile(file)) as {
  version?: unknown;
};
if (version !== VERSION) {
  console.error(
    `transports/fetch/_plan.ts sends User-Agent version ${
      JSON.stringify(VERSION)
    }, expected deno.json's version ${JSON.stringify(version)}`,
  );
  Deno.exit(1);
}
console.log(`User-Agent version ${VERSION} matches deno.json: ok`);
