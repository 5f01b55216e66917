// Version gate for `deno task check`: the version the fetch transport sends
// in User-Agent, and the version of the workspace member @denokube/testing
// (published with the library, and importing it), must be deno.json's, so a
// release bump cannot leave either behind.
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
const testingFile = new URL("../lib/testing/deno.json", import.meta.url);
const testing = JSON.parse(await Deno.readTextFile(testingFile)) as {
  version?: unknown;
};
if (testing.version !== version) {
  console.error(
    `lib/testing/deno.json has version ${
      JSON.stringify(testing.version)
    }, expected deno.json's version ${JSON.stringify(version)}`,
  );
  Deno.exit(1);
}
console.log(
  `User-Agent and @denokube/testing versions ${VERSION} match deno.json: ok`,
);
