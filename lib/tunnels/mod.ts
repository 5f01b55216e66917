/**
 * Interactive and streaming connections to pods: exec and attach,
 * port-forward to a pod, to a Service or to a Deployment, and pod logs, on any
 * {@link RestClient} whose transport carries tunnels (see "By transport").
 *
 * ```ts
 * import { execCommand, openExec, portForward } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport";
 *
 * declare const client: RestClient;
 *
 * const { stdout, exitCode } = await execCommand(client, {
 *   namespace: "default",
 *   pod: "web-0",
 *   command: ["ls", "/"],
 * });
 *
 * const session = await openExec(client, {
 *   namespace: "default",
 *   pod: "web-0",
 *   command: ["sh"],
 *   stdin: true,
 *   tty: true,
 * });
 * await session.resize(120, 40); // channel 4
 *
 * await using fwd = await portForward(client, {
 *   namespace: "default",
 *   pod: "db-0",
 *   remotePort: 5432,
 * });
 * console.log(`listening on 127.0.0.1:${fwd.localPort}`);
 * ```
 *
 * `performRequest({ expectTunnel: [...] })` on `KubeConfigRestClient` opens a
 * WebSocket with the same TLS and credentials as plain requests (CA, client
 * certificates — also from exec plugins —, tokens, impersonation headers; one
 * retry with refreshed credentials after a 401). Deno's `WebSocket` can neither
 * present client certificates to the apiserver nor show a failed handshake's
 * status, so the client speaks RFC 6455 itself over `Deno.connectTls` (ALPN
 * `http/1.1`): a refused handshake becomes the apiserver's Status as a
 * `KubernetesApiError` (400 "does not have a host assigned", 404, 403, …).
 * `getChannel({ streamIndex, readable, writable })` gives Web Streams with
 * backpressure; `ready()` starts the reader; `stop()` closes everything. Pings are
 * answered.
 *
 * What kubelets speak, verified on the test suite's real node (kubelet 1.20 with
 * containerd's CRI streaming server) and against the kubelet's source:
 *
 * - `openExec`, `openAttach` — subprotocols offered: `v5.channel.k8s.io`,
 *   `v4.channel.k8s.io`; notes: v5 (Kubernetes ≥ 1.30) can close stdin. On v4
 *   writes to stdin work but `stdin.close()` rejects with `TunnelError`
 *   `StdinCloseUnsupported` instead of dropping the EOF. The status channel
 *   becomes an exit code (`exitCodeOf`: `NonZeroExitCode` →
 *   `details.causes[ExitCode]`); a command that does not exist is a 500
 *   `InternalError` Status (exit code -1). A command that exits without
 *   reading what was already sent on stdin (a few hundred KiB or more) gets
 *   no Status from kubelet 1.20 with containerd: the session stays open, as
 *   `kubectl exec -i` does there; `stop()` or the signal ends it at once
 *   (within 1 s even while a stdin write waits on the unread data: that
 *   write then fails with an `AbortError`).
 * - `openExecWorkload`, `execWorkload` — the same in the Running and Ready
 *   pod of a workload (or label selector) Ready the longest; the result
 *   names the pod.
 * - `execCommand` with `stdin` — subprotocols offered: `v5.channel.k8s.io`
 *   only; notes: the input must end, so a v4-only server refuses the handshake
 *   (a bare 403) and the call fails at once with `TunnelError`
 *   `StdinCloseUnsupported`: the command never starts. Without `stdin`, both
 *   are offered.
 * - `portForward` — subprotocols offered: `v4.channel.k8s.io`; notes: kubelets
 *   refuse `portforward.k8s.io` over WebSocket (a bare 403). Ports go in
 *   `ports=`; channel 0 carries data and 1 the pod side's error text, each
 *   opening with the port number (stripped). There is no half-close: a
 *   connection ends when the pod side closes it, the local side closes, or the
 *   forward closes. A port nobody listens on reaches `onError` as
 *   `TunnelError` `PortForwardFailed`.
 *
 * `portForward` checks before it listens that the pod exists (`KubernetesApiError`
 * 404 otherwise) and is Running (`TunnelError` `PodNotRunning`), and opens one
 * tunnel to prove the node is reachable, so a dead target fails the call, not the
 * first connection; `verify: false` skips that. Each accepted loopback connection
 * then gets its own tunnel, like `kubectl port-forward`. Listening needs
 * `--allow-net=127.0.0.1`.
 *
 * By transport: `KubeConfigRestClient` and `InClusterRestClient` carry every
 * tunnel. `KubectlProxyRestClient` carries port-forward over its socket; exec and
 * attach are on `kubectl proxy`'s default `--reject-paths` (403).
 * `KubectlRawRestClient` carries exec through `kubectl exec` (stdin and its end,
 * no TTY), and no port-forward.
 *
 * Not supported: tunnels through `proxy-url`, and tunnels with `tls-server-name`
 * plus a client certificate (Deno's `startTls` cannot present one); both fail with
 * a clear error.
 *
 * ## A terminal for exec and attach
 *
 * ```ts
 * import { execInTerminal } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport";
 *
 * declare const client: RestClient;
 *
 * const r = await execInTerminal(client, {
 *   namespace: "dev",
 *   pod: "app-0",
 *   command: ["sh"],
 * });
 * Deno.exit(r.ended === "Signal" ? 130 : r.exitCode);
 * ```
 *
 * `execInTerminal` and `attachInTerminal` do what `kubectl exec -it` and
 * `kubectl attach -it` do with this process's terminal: a TTY when stdin is a
 * terminal (kubectl's rule; `tty` overrides), stdin in raw mode (Ctrl-C goes
 * to the remote as a byte), the size sent at the start and on every
 * `SIGWINCH`, input and output piped both ways. The result is typed:
 * `ended` is `Remote` (with the remote `exitCode` and `status`),
 * `InputEndUnsent` or `Signal` (`SIGINT`, `SIGTERM` or `SIGHUP` reached this
 * process: the caller decides to exit). On every way out — the remote's exit,
 * a dropped connection, an error thrown writing the output, an abort
 * (`signal`: the call rejects with its reason), a signal, `Deno.exit()`
 * elsewhere — raw mode is off, every listener removed, stdin's reader
 * cancelled and the session stopped before the call settles.
 *
 * Piped input that ends: on v5 (Kubernetes ≥ 1.30) the end is passed on and
 * the remote sees it, as with kubectl. A v4 server cannot be told, and a shell
 * would wait forever; kubectl never meets this (client-go's WebSocket
 * executor offers only v5 and falls back to SPDY, which half-closes) and the
 * old client-node closed the socket at once, losing the rest of the output and
 * the exit code. Here the session lasts while the remote writes and ends once
 * it was silent for `inputEndIdleMs` (default 3000; `0` at once, `Infinity`
 * never) after the input ended, with a warning on stderr (`onWarning`) and
 * `ended: "InputEndUnsent"`; input that says `exit N` still gives `N`. The
 * user's side is a `Terminal` (`denoTerminal()` by default) that tests and
 * embedders can replace. After the session `Deno.stdin.readable` is done
 * (cancelling it is what lets the process exit while a read waits for a key).
 *
 * Deno's raw mode keeps output processing on (kubectl's turns it off): the
 * remote's `\r\n` reaches the screen as `\r\r\n`, which looks the same.
 *
 * Deno flags: the transport's only (`--allow-read` and `--allow-net` for a
 * kubeconfig client); raw mode, the console size and signal listeners need no
 * permission. Windows has no `SIGWINCH`: the size is sent once.
 *
 * ## Port-forward to a Service or Deployment
 *
 * ```ts
 * import { portForwardDeployment, portForwardService } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport";
 *
 * declare const client: RestClient;
 *
 * await using fwd = await portForwardService(client, {
 *   namespace: "shop",
 *   service: "web",
 *   port: "http", // the Service port, by number or name; default: its only port
 *   reconnect: true, // follow a replaced pod
 * });
 * console.log(`127.0.0.1:${fwd.localPort} → pod ${fwd.pod}:${fwd.remotePort}`);
 *
 * await using api = await portForwardDeployment(client, {
 *   namespace: "shop",
 *   deployment: "api",
 *   port: 9229, // a number, or a container port's name
 * });
 * ```
 *
 * `portForwardService`  reads the Service, turns its
 * selector into a label selector and picks, among the pods it matches, one that is
 * Running and Ready and not being deleted (the one Ready the longest). The port is
 * the chosen Service port's `targetPort`; a named `targetPort` is looked up in the
 * pod's container ports, as kubectl does. `portForwardDeployment` does the same
 * with the Deployment's selector (`matchLabels` and `matchExpressions`). Before it
 * listens it opens one tunnel to that pod, so a dead target fails the call:
 * `KubernetesApiError` 404 for a missing Service or Deployment, `TunnelError`
 * `NoReadyPod` (naming the selector and the pods seen), `NoSelector` (a Service
 * without a selector, an ExternalName Service) or `PortNotFound` (a port the
 * Service does not have, a UDP port, a name no container declares).
 *
 * It listens on `hostname` (default `127.0.0.1`) and `localPort` (default 0: the
 * OS picks; `localPort` reports the bound one). Without `reconnect`, every
 * connection goes to the pod resolved at the start, like `kubectl port-forward`;
 * when that pod goes away connections fail and `onError` hears why. With
 * `reconnect: true`, each new connection first checks (one `get`) that the pod is
 * still Running, Ready and not being deleted, and resolves the workload again when
 * it is not or when the last connection to it failed; a connection whose tunnel
 * cannot open is retried once on a freshly resolved pod. Connections already open
 * to a pod that goes away end. `close()` (or `await using`) stops listening and
 * ends every connection.
 *
 * Deno flags: `--allow-net=127.0.0.1` to listen, plus the transport's. RBAC: `get`
 * on the Service or Deployment, `list` and `get` on pods, `create` on
 * `pods/portforward`.
 *
 * ## Pod logs
 *
 * ```ts
 * import { LogError, streamLogs } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport";
 *
 * declare const client: RestClient;
 *
 * const lines = await streamLogs(client, { namespace: "shop", name: "web-0" }, {
 *   container: "httpd", // needed when the pod has several
 *   follow: true,
 *   tailLines: 20,
 *   signal: AbortSignal.timeout(30_000),
 * });
 * for await (const line of lines) console.log(line);
 * ```
 *
 * `streamLogs`  returns a `ReadableStream<string>` of lines without
 * their newline. Lines are split on bytes, so wherever the transport cuts the body
 * (inside a multi-byte character too) the lines are the same; each line is decoded
 * as UTF-8 once whole. A `\r` before the `\n` is dropped (TTY containers write
 * `\r\n`), empty lines are kept, and a last line without a newline is delivered
 * when the log ends. Options: `container`, `follow`, `tailLines`, `sinceSeconds`,
 * `limitBytes`, `timestamps` (each line starts with the kubelet's RFC 3339
 * timestamp and a space), `previous`, `signal` (`abortSignal`, deprecated). An
 * abort before the answer rejects the call; after it, it ends the stream (done),
 * even through a transport slow to honour the signal, dropping a line not yet
 * ended by a newline. Leaving a `for await` cancels the request.
 *
 * The 400s of a log request become a `LogError` with a `reason`, the server's
 * `KubernetesApiError` as `cause`: `ContainerRequired` (a pod with several
 * containers and no `container`; `containers` lists them), `ContainerNotFound`,
 * `ContainerNotStarted`, `ContainerTerminated`, `PreviousNotFound` (`previous` for
 * a container that never restarted), `BadRequest` (any other). A missing pod stays
 * a `KubernetesApiError` 404.
 *
 * When the kubelet cannot find the log file of the container it picked (typically
 * `previous` for a container that crashed again since, whose earlier run was
 * removed) it answers **200** with the single line
 * `unable to retrieve container logs for containerd://…`. `streamLogs` does not
 * pass that off as a log line: a log that consists of exactly that line and
 * nothing else errors the stream with `LogError` `LogsUnavailable`. To tell it
 * from a container that printed those words, such a first line is held back until
 * a second line or the end arrives.
 *
 * ## Copying files
 *
 * `copyToPod(client, { namespace, pod, container? }, localPath, remotePath)`
 * and `copyFromPod(client, target, remotePath, localPath)` do what `kubectl cp`
 * does, with `tar` in the container (the image must have it: `TunnelError`
 * `TarMissing` otherwise) and a tar writer and reader of this library's own:
 * files, directories (empty ones too), symlinks, modes, long names.
 * `onProgress` reports bytes per file and in all. Into the pod, a short
 * `sh` script checks for `tar`, `head` and the directory, says it is ready,
 * and only then gets the archive, reading exactly its length
 * (`head -c LENGTH | tar xmf - -C DIR`, the rest drained if tar stops
 * early): a command that ends with an upload unread leaves the session
 * without a Status for good on the kubelet (see below), and a v4 server
 * (before 1.30) cannot end stdin anyway. Without `sh` or `head`: on a
 * session that can end stdin (v5, the kubectl transport) `tar xmf - -C DIR`
 * alone, as kubectl cp runs it; on v4 `HeadMissing`. Out of the pod, `tar cf - -C DIR BASE`
 * needs no stdin; the archive is not trusted: absolute names, `..`, names
 * outside the copied path, symlinks leading out and writes through symlinks
 * stop the copy with `UnsafeArchivePath` (kubectl's CVE-2018-1002100,
 * CVE-2019-1002101, CVE-2019-11246, CVE-2019-11249). A missing remote path is
 * `RemotePathNotFound`.
 *
 * ```ts
 * import { copyFromPod, copyToPod } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport";
 *
 * declare const client: RestClient;
 * const pod = { namespace: "dev", pod: "app-0" };
 * await copyToPod(client, pod, "./dist", "/srv/dist", {
 *   onProgress: (p) => console.log(p.path, p.bytesDone, p.bytesTotal),
 * });
 * await copyFromPod(client, pod, "/var/log/app", "./logs");
 * ```
 *
 * Deno flags: the transport's; for copying, `--allow-read` on what
 * `copyToPod` sends and `--allow-write` (with `--allow-read`) where
 * `copyFromPod` writes.
 *
 * @module
 */

export {
  type AttachOptions,
  execCommand,
  type ExecOptions,
  type ExecResult,
  type ExecSession,
  type ExecStatus,
  exitCodeOf,
  openAttach,
  openExec,
} from "./exec.ts";
export {
  attachInTerminal,
  type AttachInTerminalOptions,
  denoTerminal,
  execInTerminal,
  type ExecInTerminalOptions,
  type Terminal,
  type TerminalEnd,
  type TerminalOptions,
  type TerminalResult,
} from "./terminal.ts";
export {
  type PortForward,
  portForward,
  type PortForwardOptions,
} from "./port_forward.ts";
export {
  type DeploymentForwardOptions,
  portForwardDeployment,
  portForwardService,
  type ServiceForwardOptions,
  type WorkloadForwardOptions,
  type WorkloadPortForward,
} from "./port_forward_service.ts";
export { type PodName, streamLogs, type StreamLogsOptions } from "./logs.ts";
export {
  copyFromPod,
  type CopyOptions,
  type CopyProgress,
  type CopyTarget,
  copyToPod,
} from "./copy.ts";
export {
  execWorkload,
  openExecWorkload,
  type WorkloadExecOptions,
  type WorkloadKind,
  workloadLogs,
  type WorkloadLogsOptions,
  type WorkloadOpenExecOptions,
  type WorkloadRef,
} from "./workload.ts";
export {
  LogError,
  type LogErrorReason,
  type LogTarget,
  TunnelError,
  type TunnelErrorReason,
  type TunnelTarget,
} from "../errors/mod.ts";
