// A full garbage collection on demand, without `--v8-flags=--expose-gc` on
// the command line: node:v8 sets the flag at run time and node:vm hands out
// the `gc` function it exposes.

import v8 from "node:v8";
import vm from "node:vm";

let gc: (() => void) | undefined;

/** Runs a full garbage collection, twice, with a turn of the event loop between. */
export async function forceGc(): Promise<void> {
  if (!gc) {
    v8.setFlagsFromString("--expose-gc");
    gc = vm.runInNewContext("gc") as () => void;
  }
  gc();
  await new Promise((r) => setTimeout(r, 10));
  gc();
}
