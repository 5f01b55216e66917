// Figures one contender process reports: wall time, client CPU
// (process.cpuUsage, which is getrusage), peak RSS (VmHWM) and, for syncs,
// steady heap and RSS per cached object; for many watches, the sockets they
// hold. (_nodejs_contender.mjs reads /proc the same way: Node cannot import
// this file.)

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
  /** Resident set per cached object once the job is done and GC ran:
   *  (RSS after − RSS before the sync) / objects, bytes. */
  rssPerObject?: number;
  /** Sockets this process holds once every watch has its last event,
   *  less those it held before starting them. */
  sockets?: number;
  /** Connections the replay server accepted during the run (the
   *  orchestrator fills it in from the server's counts). */
  connections?: number;
  /** For a contender that asked for the compact store: whether the
   *  Reflector honoured it (false: the option is unknown to this edition,
   *  and the figures are the default Reflector's). */
  compact?: boolean;
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

/** Resident set of this process now, bytes (VmRSS; Linux), else Deno's. */
export function currentRss(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const m = status.match(/VmRSS:\s+(\d+) kB/);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return Deno.memoryUsage().rss;
}

/** Sockets this process holds (/proc/self/fd; Linux), else NaN. */
export function openSockets(): number {
  try {
    let n = 0;
    for (const fd of Deno.readDirSync("/proc/self/fd")) {
      try {
        if (
          Deno.readLinkSync(`/proc/self/fd/${fd.name}`).startsWith("socket:")
        ) n++;
      } catch {
        // closed while listing
      }
    }
    return n;
  } catch {
    return NaN;
  }
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
