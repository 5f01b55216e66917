// Pure steps of resolving a Service or Deployment to a pod and a port, the
// way `kubectl port-forward svc/NAME` does: the workload's selector as a
// label selector, the Running and Ready pod to use, the Service port asked
// for, and a (named) port looked up in the pod's containers. No I/O here.

import { TunnelError, type TunnelTarget } from "./tunnel_error.ts";

type Obj = Record<string, unknown>;

/** The minimum of a pod these steps read. */
export interface PodLike {
  metadata?: { name?: string; deletionTimestamp?: string };
  spec?: {
    containers?: { name?: string; ports?: ContainerPortLike[] }[];
  };
  status?: {
    phase?: string;
    conditions?: {
      type?: string;
      status?: string;
      lastTransitionTime?: string;
    }[];
  };
}

/** A container's declared port. */
export interface ContainerPortLike {
  name?: string;
  containerPort?: number;
  protocol?: string;
}

/** A Service port. */
export interface ServicePortLike {
  name?: string;
  port?: number;
  targetPort?: number | string;
  protocol?: string;
}

/** A `matchLabels` / `matchExpressions` selector (Deployment) or a plain map (Service). */
export interface LabelSelectorLike {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A label selector's query-string form, or undefined when it selects nothing (empty). */
export function selectorString(
  selector: LabelSelectorLike | Record<string, string> | undefined,
  where: TunnelTarget,
): string | undefined {
  if (!selector || typeof selector !== "object") return undefined;
  const isStructured = "matchLabels" in selector ||
    "matchExpressions" in selector;
  const labels =
    (isStructured ? (selector as LabelSelectorLike).matchLabels : selector) as
      | Record<string, string>
      | undefined;
  const parts = Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
  const exprs = isStructured
    ? (selector as LabelSelectorLike).matchExpressions ?? []
    : [];
  for (const e of exprs) {
    const values = (e.values ?? []).join(",");
    switch (e.operator) {
      case "In":
        parts.push(`${e.key} in (${values})`);
        break;
      case "NotIn":
        parts.push(`${e.key} notin (${values})`);
        break;
      case "Exists":
        parts.push(e.key);
        break;
      case "DoesNotExist":
        parts.push(`!${e.key}`);
        break;
      default:
        throw new TunnelError(
          "NoSelector",
          where,
          `the selector has an unknown operator ${JSON.stringify(e.operator)}`,
        );
    }
  }
  return parts.length ? parts.join(",") : undefined;
}

function readySince(pod: PodLike): string | undefined {
  const c = pod.status?.conditions?.find((c) => c.type === "Ready");
  return c?.status === "True" ? c.lastTransitionTime ?? "" : undefined;
}

/** Whether a pod can take connections: Running, Ready, not being deleted. */
export function podUsable(pod: PodLike): boolean {
  return pod.status?.phase === "Running" && !pod.metadata?.deletionTimestamp &&
    readySince(pod) !== undefined;
}

/**
 * The pod to forward to: among the Running and Ready pods not being
 * deleted, the one Ready the longest (then by name, so the choice is stable).
 *
 * @throws {TunnelError} `NoReadyPod`, naming the selector and the pods seen.
 */
export function pickPod(
  pods: PodLike[],
  selector: string,
  where: TunnelTarget,
): PodLike {
  const usable = pods.filter(podUsable).sort((a, b) =>
    (readySince(a)! < readySince(b)!
      ? -1
      : readySince(a)! > readySince(b)!
      ? 1
      : 0) ||
    (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "")
  );
  if (usable.length) return usable[0];
  const seen = pods.slice(0, 5).map((p) =>
    `${p.metadata?.name} ${
      p.metadata?.deletionTimestamp
        ? "being deleted"
        : p.status?.phase !== "Running"
        ? p.status?.phase ?? "Unknown"
        : "Running, not Ready"
    }`
  );
  throw new TunnelError(
    "NoReadyPod",
    where,
    `no Running and Ready pod matches ${selector}${
      pods.length
        ? ` (${pods.length} pods: ${seen.join(", ")}${
          pods.length > 5 ? ", …" : ""
        })`
        : " (no pods)"
    }`,
  );
}

function describePorts(ports: ServicePortLike[]): string {
  return ports.map((p) => `${p.port}${p.name ? `/${p.name}` : ""}`).join(
    ", ",
  ) || "none";
}

/**
 * The Service port asked for: by number or name, or the only one.
 *
 * @throws {TunnelError} `PortNotFound` when no port matches, several could, or it is not TCP.
 */
export function servicePort(
  ports: ServicePortLike[],
  want: number | string | undefined,
  where: TunnelTarget,
): ServicePortLike {
  let port: ServicePortLike | undefined;
  if (want === undefined) {
    if (ports.length !== 1) {
      throw new TunnelError(
        "PortNotFound",
        where,
        `the service has ${ports.length} ports (${
          describePorts(ports)
        }): name one with \`port\``,
      );
    }
    port = ports[0];
  } else {
    port = ports.find((p) =>
      typeof want === "number" ? p.port === want : p.name === want
    );
    if (!port) {
      throw new TunnelError(
        "PortNotFound",
        where,
        `the service has no port ${JSON.stringify(want)} (ports: ${
          describePorts(ports)
        })`,
      );
    }
  }
  if ((port.protocol ?? "TCP") !== "TCP") {
    throw new TunnelError(
      "PortNotFound",
      where,
      `service port ${port.port} is ${port.protocol}: port-forward carries TCP only`,
    );
  }
  return port;
}

/**
 * A port in the pod: a number as is, a name looked up among the
 * containers' declared ports.
 *
 * @throws {TunnelError} `PortNotFound` when no container declares the name.
 */
export function podPort(
  pod: PodLike,
  want: number | string,
  where: TunnelTarget,
): number {
  if (typeof want === "number") return want;
  if (/^\d+$/.test(want)) return Number(want);
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === want && typeof p.containerPort === "number") {
        return p.containerPort;
      }
    }
  }
  throw new TunnelError(
    "PortNotFound",
    where,
    `no container of the pod declares a port named ${JSON.stringify(want)}`,
  );
}

/** Narrows an unknown JSON value to an object. */
export function asObj(v: unknown): Obj {
  return v && typeof v === "object" && !Array.isArray(v) ? v as Obj : {};
}
