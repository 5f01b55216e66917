// Figures one contender process reports: wall time, client CPU
// (process.cpuUsage, which is getrusage), peak RSS (VmHWM) and, for syncs,
// steady heap per cached object.

import process from "node:process";

/** What a contender prints, as one JSON line. */
export interface Figures {
  /** Items handled: events, requests or objects. */
  count: number;
  /** Wall time of the job, ms. */
  ms: number;
  /** User + system CPU of this process during the job, ms. */
  cpuMs: number;
  /** Peak resident set of this process, bytes. */
  peakRss: number;
  /** Heap held per cached object once the job is done, bytes. */
  heapPerObject?: number;
}

/** A running measurement. */
export interface Measuring {
  start: number;
  cpu: { user: number; system: number };
}

/** Starts measuring now. */
export function startMeasuring(): Measuring {
  return { start: performance.now(), cpu: process.cpuUsage() };
}

/** Peak RSS of this process from /proc (Linux), else the current RSS. */
export function peakRss(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const m = status.match(/VmHWM:\s+(\d+) kB/);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return Deno.memoryUsage().rss;
}

/** The figures since `m` for `count` items. */
export function finish(m: Measuring, count: number): Figures {
  const ms = performance.now() - m.start;
  const cpu = process.cpuUsage(m.cpu);
  return {
    count,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRss: peakRss(),
  };
}
