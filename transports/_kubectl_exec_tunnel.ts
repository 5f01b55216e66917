// `expectTunnel` on the kubectl transport: a pod exec carried by
// `kubectl exec`, presented as the v4 channel protocol — stdin (0), stdout
// (1), stderr (2) and a status channel (3) that carries a Status when the
// command ends, with the exit code in `details.causes` as the apiserver sends
// it. kubectl starts at ready(); errors before the command ran (no such pod,
// no node) also arrive as the status channel's Status.

import type {
  KubernetesTunnel,
  TunnelChannel,
  TunnelChannelOptions,
} from "../lib/contract.ts";
import {
  httpCodeForReason,
  KubectlError,
  type Status,
} from "../lib/errors/mod.ts";
import type { ExecPlan } from "./_kubectl_args.ts";
import { killQuietly } from "../lib/_internal/close.ts";

type Spawn = (args: string[], stdin: boolean) => Deno.ChildProcess;

/**
 * kubectl's own lines on stderr: the server's refusal ("Error from server
 * (Reason): message"), the same refusal without its Status ("error: unable
 * to upgrade connection: message", client-go's SPDY upgrade when the body it
 * got back did not decode as a Status: kubectl 1.36.4 against a 1.20
 * apiserver, after its WebSocket attempt fell back), a server-side failure
 * relayed from the WebSocket or SPDY stream ("error: Internal error
 * occurred: ..." — e.g. a command that does not exist), or the remote
 * command's exit code.
 */
const KUBECTL_OWN =
  /^(?:Error from server(?: \((?<reason>[A-Za-z]+)\))?: (?<message>.*)|error: unable to upgrade connection: (?<refused>.*)|error: (?<internal>Internal error occurred: .*)|command terminated with exit code (?<exit>\d+))$/;

export class KubectlExecTunnel implements KubernetesTunnel {
  readonly transportProtocol = "Opaque" as const;
  /** v5 when offered (kubectl closes stdin like v5's close frame), else v4. */
  readonly subProtocol: string;
  readonly #spawn: Spawn;
  readonly #args: string[];
  readonly #plan: ExecPlan;
  readonly #request: { method: string; path: string };
  readonly #channels = new Map<
    number,
    TransformStream<Uint8Array, Uint8Array>
  >();
  #child: Deno.ChildProcess | undefined;

  constructor(
    spawn: Spawn,
    args: string[],
    plan: ExecPlan,
    request: { method: string; path: string },
    offered: string[] = [],
  ) {
    this.subProtocol = offered.includes("v5.channel.k8s.io")
      ? "v5.channel.k8s.io"
      : "v4.channel.k8s.io";
    this.#spawn = spawn;
    this.#args = args;
    this.#plan = plan;
    this.#request = request;
  }

  getChannel<R extends boolean, W extends boolean>(
    opts: TunnelChannelOptions<R, W>,
  ): Promise<TunnelChannel<R, W>> {
    const fail = (why: string) =>
      Promise.reject(
        new KubectlError(
          `${this.#request.method} ${this.#request.path}: ${why}`,
        ),
      );
    if (this.#child) return fail("getChannel() must be called before ready()");
    const index = opts.streamIndex;
    const allowed: Record<number, "r" | "w"> = {
      0: "w",
      1: "r",
      2: "r",
      3: "r",
    };
    if (index === undefined || !(index in allowed)) {
      return fail(
        index === 4
          ? "the resize channel needs a TTY, which kubectl exec cannot carry here"
          : `no channel ${index} on an exec tunnel (0 stdin, 1 stdout, 2 stderr, 3 status)`,
      );
    }
    if (
      (allowed[index] === "w") !== Boolean(opts.writable) ||
      (allowed[index] === "r") !== Boolean(opts.readable)
    ) {
      return fail(
        `channel ${index} is ${allowed[index] === "w" ? "write" : "read"}-only`,
      );
    }
    if (index === 0 && !this.#plan.stdin) {
      return fail("stdin was not requested (stdin=true)");
    }
    const ts = new TransformStream<Uint8Array, Uint8Array>();
    this.#channels.set(index, ts);
    return Promise.resolve({
      readable: (opts.readable ? ts.readable : null) as TunnelChannel<
        R,
        W
      >["readable"],
      writable: (opts.writable ? ts.writable : null) as TunnelChannel<
        R,
        W
      >["writable"],
    });
  }

  ready(): Promise<void> {
    if (this.#child) return Promise.resolve();
    const child = this.#spawn(this.#args, this.#plan.stdin);
    this.#child = child;
    const stdin = this.#channels.get(0);
    if (this.#plan.stdin) {
      if (stdin) stdin.readable.pipeTo(child.stdin).catch(() => {});
      else child.stdin.close().catch(() => {});
    }
    const out = this.#channels.get(1);
    const stdout = out
      ? child.stdout.pipeTo(out.writable).catch(() => {})
      : child.stdout.cancel();
    const stderr = this.#forwardStderr(child.stderr, this.#channels.get(2));
    (async () => {
      const [status, own] = await Promise.all([child.status, stderr, stdout]);
      this.#sendStatus(this.#statusFor(status, own));
    })();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (!this.#child) {
      for (const ts of this.#channels.values()) {
        await ts.writable.abort().catch(() => {});
      }
      return;
    }
    killQuietly(this.#child);
    // Not #done: a channel nobody reads could hold it forever.
    await this.#child.status;
  }

  /** Forwards the command's stderr, keeping back kubectl's own diagnostic lines. */
  async #forwardStderr(
    stream: ReadableStream<Uint8Array>,
    channel: TransformStream<Uint8Array, Uint8Array> | undefined,
  ): Promise<string[]> {
    const own: string[] = [];
    const writer = channel?.writable.getWriter();
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    let pending = "";
    const emit = async (text: string) => {
      if (writer && text) {
        await writer.write(encoder.encode(text)).catch(() => {});
      }
    };
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (KUBECTL_OWN.test(line)) own.push(line);
        else await emit(`${line}\n`);
      }
    }
    if (KUBECTL_OWN.test(pending)) own.push(pending);
    else await emit(pending);
    await writer?.close().catch(() => {});
    return own;
  }

  #statusFor(status: Deno.CommandStatus, own: string[]): Status {
    if (status.success) return { metadata: {}, status: "Success" } as Status;
    for (const line of own) {
      const g = line.match(KUBECTL_OWN)!.groups!;
      if (g.refused !== undefined) {
        // The server refused, but kubectl did not print its reason or code:
        // none is made up.
        return { status: "Failure", message: g.refused };
      }
      const message = g.message ?? g.internal;
      if (message !== undefined) {
        const reason = g.reason ?? "InternalError";
        return {
          status: "Failure",
          reason,
          message,
          code: httpCodeForReason(reason) ?? 500,
        };
      }
    }
    const exit = own.map((l) => l.match(KUBECTL_OWN)?.groups?.exit).find(
      Boolean,
    ) ?? String(status.code);
    return {
      status: "Failure",
      reason: "NonZeroExitCode",
      message: `command terminated with non-zero exit code: exit code ${exit}`,
      details: { causes: [{ reason: "ExitCode", message: exit }] },
    };
  }

  #sendStatus(status: Status): void {
    const channel = this.#channels.get(3);
    if (!channel) return;
    // Not awaited: nobody may be reading the status channel.
    const writer = channel.writable.getWriter();
    writer.write(new TextEncoder().encode(JSON.stringify(status))).catch(
      () => {},
    );
    writer.close().catch(() => {});
  }
}
