// The seam a compact Reflector reaches an IndexedStore's entries through:
// the store switches to holding packed entries (its public methods then
// build objects on access) and hands back the face the cache writes to.
// Not part of the public API; indexed_store.ts opens it when it loads.

import type { ReflectorStore } from "./store.ts";
import type { Packed } from "./_packed.ts";

let seam: ((store: object) => ReflectorStore<Packed>) | undefined;

/** Called once by IndexedStore's class body. */
export function openStoreSeam(
  packedFace: (store: object) => ReflectorStore<Packed>,
): void {
  seam = packedFace;
}

/**
 * Switches an IndexedStore to packed entries.
 *
 * @param store An empty IndexedStore.
 * @returns The face the cache reads and writes packed entries through.
 * @throws {TypeError} When the store already holds objects, or keeps them in an inner store of its own.
 */
export function packedFaceOf(store: object): ReflectorStore<Packed> {
  if (!seam) throw new Error("the IndexedStore module is not loaded");
  return seam(store);
}
