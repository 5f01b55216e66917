// KubernetesTunnel over a WebSocket: the k8s channel protocols.
//
// - v4.channel.k8s.io / v5.channel.k8s.io (exec, attach): each binary message
//   is [channel][data]; 0 stdin, 1 stdout, 2 stderr, 3 status (a Status JSON
//   when the command ends), 4 resize. v5 adds [255][channel] to close a
//   channel, which lets stdin end.
// - port-forward (kubelets accept v4.channel.k8s.io, v4.base64.channel.k8s.io
//   or no subprotocol on .../portforward, with the ports in `ports=`): per
//   requested port i, channel 2i carries data and 2i+1 errors; the server's
//   first message on each channel is the port number (uint16, little-endian),
//   which is stripped here. There is no per-channel close: the server closes
//   the WebSocket when every port's forward has ended.

import type {
  KubernetesTunnel,
  RequestOptions,
  TunnelChannel,
  TunnelChannelOptions,
} from "../lib/contract.ts";
import type { WsConnection } from "./_websocket.ts";
import { openWebSocket, type WsHandshake } from "./_websocket_handshake.ts";
import type { ByteConn } from "./_strict_tls.ts";
import { closeQuietly } from "../lib/_internal/close.ts";

const CLOSE_CHANNEL = 255;
/** Large writes are split so one channel cannot hog the connection. */
const MAX_FRAME_DATA = 32 * 1024;

interface Channel {
  readable?: ReadableStreamDefaultController<Uint8Array>;
  /** Resolves when the consumer wants more (backpressure). */
  pulled?: () => void;
  readableStream?: ReadableStream<Uint8Array>;
  writableStream?: WritableStream<Uint8Array>;
  /** portforward: the port prefix still has to be stripped from the first message. */
  awaitingPortPrefix: boolean;
}

export class WebSocketTunnel implements KubernetesTunnel {
  readonly transportProtocol = "WebSocket" as const;
  readonly subProtocol: string;
  readonly #ws: WsConnection;
  readonly #channels = new Map<number, Channel>();
  readonly #portForward: boolean;
  #reading: Promise<void> | undefined;
  #stopped = false;

  /**
   * @param ws The open WebSocket.
   * @param signal Stops the tunnel when aborted.
   * @param portForward True for a pod's /portforward: the channel protocol is
   * the same, but each channel opens with a port-number prefix.
   */
  constructor(ws: WsConnection, signal?: AbortSignal, portForward = false) {
    this.#ws = ws;
    this.subProtocol = ws.protocol;
    this.#portForward = portForward || ws.protocol.includes("portforward");
    signal?.addEventListener("abort", () => void this.stop(), { once: true });
  }

  getChannel<R extends boolean, W extends boolean>(
    opts: TunnelChannelOptions<R, W>,
  ): Promise<TunnelChannel<R, W>> {
    const index = opts.streamIndex;
    if (index === undefined || index < 0 || index > 254) {
      return Promise.reject(
        new TypeError(
          `a WebSocket tunnel needs a streamIndex from 0 to 254, got ${index}`,
        ),
      );
    }
    if (this.#reading) {
      return Promise.reject(
        new Error("getChannel() must be called before ready()"),
      );
    }
    const channel: Channel = { awaitingPortPrefix: this.#portForward };
    if (opts.readable) {
      channel.readableStream = new ReadableStream<Uint8Array>({
        start: (c) => void (channel.readable = c),
        pull: () => channel.pulled?.(),
        cancel: () => {
          channel.readable = undefined;
          channel.pulled?.();
        },
      }, { highWaterMark: 16 });
    }
    if (opts.writable) {
      channel.writableStream = new WritableStream<Uint8Array>({
        write: async (chunk) => {
          for (
            let at = 0;
            at < chunk.length || at === 0;
            at += MAX_FRAME_DATA
          ) {
            const part = chunk.subarray(at, at + MAX_FRAME_DATA);
            const frame = new Uint8Array(part.length + 1);
            frame[0] = index;
            frame.set(part, 1);
            try {
              await this.#ws.send(frame);
            } catch (err) {
              // Said as the channels' readables say it, once stop() was called.
              if (this.#stopped) throw stoppedError();
              throw err;
            }
            if (chunk.length === 0) break;
          }
        },
        close: async () => {
          // Only v5 can say "this channel is done"; v4 servers would take it as data.
          if (this.subProtocol.startsWith("v5.")) {
            await this.#ws.send(new Uint8Array([CLOSE_CHANNEL, index])).catch(
              () => {},
            );
          }
        },
      });
    }
    this.#channels.set(index, channel);
    return Promise.resolve({
      readable: (channel.readableStream ?? null) as TunnelChannel<
        R,
        W
      >["readable"],
      writable: (channel.writableStream ?? null) as TunnelChannel<
        R,
        W
      >["writable"],
    });
  }

  ready(): Promise<void> {
    this.#reading ??= this.#readLoop();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#ws.close();
    for (const c of this.#channels.values()) c.pulled?.();
    await this.#reading;
    this.#endAll();
  }

  async #readLoop(): Promise<void> {
    try {
      for (;;) {
        const msg = await this.#ws.read();
        if (!msg) break;
        if (msg.data.length === 0) continue;
        const index = msg.data[0];
        if (index === CLOSE_CHANNEL) {
          const closed = this.#channels.get(msg.data[1]);
          this.#close(closed);
          continue;
        }
        const channel = this.#channels.get(index);
        if (!channel) continue; // a channel nobody asked for
        let data = msg.data.subarray(1);
        if (channel.awaitingPortPrefix) {
          if (data.length < 2) continue;
          channel.awaitingPortPrefix = false;
          data = data.subarray(2);
        }
        if (!data.length || !channel.readable) continue;
        channel.readable.enqueue(data);
        // A slow reader holds the whole connection, as a kubelet stream would: memory stays bounded.
        if ((channel.readable.desiredSize ?? 1) <= 0) {
          await new Promise<void>((resolve) => channel.pulled = resolve);
          channel.pulled = undefined;
        }
      }
      this.#endAll();
    } catch (err) {
      for (const c of this.#channels.values()) {
        try {
          c.readable?.error(this.#stopped ? stoppedError() : err);
        } catch {
          // already closed
        }
        c.readable = undefined;
      }
      await this.#ws.close().catch(() => {});
    }
  }

  #close(channel: Channel | undefined): void {
    closeQuietly(channel?.readable);
    if (channel) channel.readable = undefined;
  }

  #endAll(): void {
    for (const c of this.#channels.values()) this.#close(c);
  }
}

/** What a channel's stream fails with once the tunnel was stopped. */
function stoppedError(): DOMException {
  return new DOMException("the tunnel was stopped", "AbortError");
}

/**
 * Opens a tunnel on `conn`: the WebSocket handshake, then the channel
 * protocol (with port prefixes for a pod's /portforward). An abort closes the
 * connection and rejects with the signal's reason; any failure closes it.
 *
 * @param conn The connection, TLS already set up where needed.
 * @param handshake What the handshake sends.
 * @param opts The request (its path and abort signal).
 * @returns The tunnel, once the server agreed on a subprotocol.
 * @throws What {@link openWebSocket} throws, or the abort reason.
 */
export async function tunnelOn(
  conn: ByteConn,
  handshake: Omit<WsHandshake, "conn">,
  opts: RequestOptions,
): Promise<WebSocketTunnel> {
  const signal = opts.abortSignal;
  const onAbort = () => closeQuietly(conn);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const ws = await openWebSocket({ conn, ...handshake });
    return new WebSocketTunnel(
      ws,
      signal,
      (opts.path ?? "").split("?")[0].endsWith("/portforward"),
    );
  } catch (err) {
    closeQuietly(conn);
    if (signal?.aborted) throw signal.reason;
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
