// containerd for the test node: Debian's, started with its own config,
// root, state and socket under the node's directory; the CNI bridge config
// its CRI plugin uses; and the images pods run, imported (no registry).

import { CRI_NAMESPACE, importArchive } from "./_image_store.ts";
import { buildBusyboxImage, buildPauseImage, IMAGES } from "./_node_images.ts";
import { BRIDGE, CNI_DIR, SUBNET } from "./_node_host.ts";
import { runCommand, spawnServer, waitFor } from "./_processes.ts";

/**
 * The node's containerd socket: the one place its path is made (the node
 * starts containerd on it, the image store reaches it from the node's
 * description).
 *
 * @param dir The node's directory.
 * @returns The socket's path.
 */
export function containerdSocket(dir: string): string {
  return `${dir}/run/containerd.sock`;
}

/**
 * Writes the CNI config (a bridge with host-local IPAM in the node's /24,
 * gateway `ip`) and containerd's config, starts containerd, records its pid
 * under `state` for the cleanup, and waits until `ctr version` answers.
 */
export async function startContainerd(
  dir: string,
  state: string,
  sock: string,
  runcRoot: string,
  ip: string,
): Promise<Deno.ChildProcess> {
  // containerd, with the CRI plugin set up for this VM (see README: the node).
  await Deno.mkdir(`${dir}/run`);
  await Deno.mkdir(`${dir}/cni`);
  await Deno.writeTextFile(
    `${dir}/cni/10-kube-test.conflist`,
    JSON.stringify({
      cniVersion: "0.4.0",
      name: "kube-test",
      plugins: [{
        type: "bridge",
        bridge: BRIDGE,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: `${SUBNET}.0/24`, gateway: ip }]],
          dataDir: `${dir}/cni-ipam`,
        },
      }],
    }),
  );
  await Deno.writeTextFile(
    `${dir}/containerd.toml`,
    containerdConfig(dir, sock, runcRoot),
  );
  const containerd = await spawnServer("containerd", [
    "--config",
    `${dir}/containerd.toml`,
  ], `${dir}/containerd.log`);
  await Deno.writeTextFile(
    `${state}/pids/containerd`,
    String(containerd.pid),
  );
  await waitFor(
    "containerd",
    containerd,
    `${dir}/containerd.log`,
    async () => {
      await runCommand("ctr", ["--address", sock, "version"]);
      return true;
    },
    30_000,
  );
  return containerd;
}

/** Builds the pause and busybox images and imports them into containerd's `k8s.io` namespace. */
export async function importImages(
  dir: string,
  sock: string,
  pauseBin: string,
): Promise<void> {
  const images = `${dir}/images`;
  await Deno.mkdir(images);
  for (
    const tarball of [
      await buildPauseImage(images, pauseBin),
      await buildBusyboxImage(images),
    ]
  ) {
    await importArchive({ sock, namespace: CRI_NAMESPACE }, tarball);
  }
}

function containerdConfig(dir: string, sock: string, runcRoot: string): string {
  const q = JSON.stringify;
  return `version = 2
root = ${q(`${dir}/containerd/root`)}
state = ${q(`${dir}/containerd/state`)}
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = ${q(sock)}

[ttrpc]
  address = ${q(`${sock}.ttrpc`)}

[debug]
  level = "warn"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(`${dir}/containerd/opt`)}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${q(IMAGES.pause)}
  # This VM denies root CAP_SYS_RESOURCE: without this runc fails every sandbox.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  enable_selinux = false

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = ${q(runcRoot)}
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ${q(CNI_DIR)}
    conf_dir = ${q(`${dir}/cni`)}
    max_conf_num = 1
`;
}
