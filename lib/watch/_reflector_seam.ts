// The seam tests drive a Reflector through: one transition of its state
// machine at a time, and its current state. Not part of the public API (no
// entry point exports this file); the Reflector opens the seam when its
// module loads, handing over functions that reach its private members.

import type { ReflectorState } from "./types.ts";

interface Seam {
  step(
    reflector: object,
    state: ReflectorState,
    signal: AbortSignal,
  ): Promise<ReflectorState>;
  state(reflector: object): ReflectorState;
}

let seam: Seam | undefined;

/** Called once by the Reflector's class body. */
export function openReflectorSeam(s: Seam): void {
  seam = s;
}

function opened(): Seam {
  if (!seam) throw new Error("the Reflector module is not loaded");
  return seam;
}

/**
 * One transition of a Reflector's state machine (what `run` does in a loop).
 *
 * @param reflector A Reflector.
 * @param state The state to step from.
 * @param signal Aborts the step.
 * @returns The next state.
 */
export function stepReflector(
  reflector: object,
  state: ReflectorState,
  signal: AbortSignal,
): Promise<ReflectorState> {
  return opened().step(reflector, state, signal);
}

/**
 * A Reflector's current state.
 *
 * @param reflector A Reflector.
 * @returns Its state.
 */
export function reflectorState(reflector: object): ReflectorState {
  return opened().state(reflector);
}
