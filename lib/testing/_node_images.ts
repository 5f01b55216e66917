// Container images for the test node, made without a registry: a busybox
// image from Debian's busybox-static (one static binary plus its applet
// links: sh, httpd, nc, sleep, cat, ...) and a pause image from the static
// `pause` binary built from the Kubernetes source tree. Each is written as a
// docker-archive tarball (manifest.json + config + one layer), a format
// `ctr images import` reads; the node's image tests write OCI layouts too.

import { runCommand } from "./_processes.ts";

/** Image names as pods use them (with `imagePullPolicy: Never`). */
export const IMAGES = {
  busybox: "kube-test.local/busybox:1",
  pause: "kube-test.local/pause:3.4",
} as const;

async function sha256(bytes: Uint8Array): Promise<string> {
  // A copy typed as backed by an ArrayBuffer, for every TypeScript version we support.
  const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(bytes));
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/**
 * Writes a one-layer image of `rootfs` to `tarball`: a docker-archive
 * (manifest.json with RepoTags, as `docker save` writes) or an OCI image
 * layout (oci-layout, index.json naming the image through the
 * `io.containerd.image.name` annotation, blobs/sha256/…), the two formats
 * `ctr images import` reads.
 *
 * @param rootfs The layer's files.
 * @param tarball Where the archive goes.
 * @param tag The image's name.
 * @param config The image config's `config` (Env, Cmd, Entrypoint, …).
 * @param format Which archive.
 */
export async function writeImageArchive(
  rootfs: string,
  tarball: string,
  tag: string,
  config: Record<string, unknown>,
  format: "docker" | "oci" = "docker",
): Promise<void> {
  const work = `${tarball}.d`;
  await Deno.mkdir(work, { recursive: true });
  await runCommand("tar", [
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--mtime=@0",
    "--sort=name",
    "-C",
    rootfs,
    "-cf",
    `${work}/layer.tar`,
    ".",
  ]);
  const layer = await Deno.readFile(`${work}/layer.tar`);
  const diffId = await sha256(layer);
  const configBytes = new TextEncoder().encode(JSON.stringify({
    architecture: "amd64",
    os: "linux",
    created: "1970-01-01T00:00:00Z",
    config,
    rootfs: { type: "layers", diff_ids: [`sha256:${diffId}`] },
    history: [{ created: "1970-01-01T00:00:00Z", created_by: "kube-test" }],
  }));
  const configDigest = await sha256(configBytes);
  let members: string[];
  if (format === "docker") {
    const configName = `${configDigest}.json`;
    await Deno.writeFile(`${work}/${configName}`, configBytes);
    await Deno.writeTextFile(
      `${work}/manifest.json`,
      JSON.stringify([{
        Config: configName,
        RepoTags: [tag],
        Layers: ["layer.tar"],
      }]),
    );
    members = ["manifest.json", configName, "layer.tar"];
  } else {
    const blobs = `${work}/blobs/sha256`;
    await Deno.mkdir(blobs, { recursive: true });
    await Deno.rename(`${work}/layer.tar`, `${blobs}/${diffId}`);
    await Deno.writeFile(`${blobs}/${configDigest}`, configBytes);
    const manifest = new TextEncoder().encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: `sha256:${configDigest}`,
        size: configBytes.byteLength,
      },
      layers: [{
        mediaType: "application/vnd.oci.image.layer.v1.tar",
        digest: `sha256:${diffId}`,
        size: layer.byteLength,
      }],
    }));
    const manifestDigest = await sha256(manifest);
    await Deno.writeFile(`${blobs}/${manifestDigest}`, manifest);
    await Deno.writeTextFile(
      `${work}/oci-layout`,
      JSON.stringify({ imageLayoutVersion: "1.0.0" }),
    );
    await Deno.writeTextFile(
      `${work}/index.json`,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [{
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: `sha256:${manifestDigest}`,
          size: manifest.byteLength,
          platform: { architecture: "amd64", os: "linux" },
          annotations: { "io.containerd.image.name": tag },
        }],
      }),
    );
    members = ["oci-layout", "index.json", "blobs"];
  }
  await runCommand("tar", ["-C", work, "-cf", tarball, ...members]);
  await Deno.remove(work, { recursive: true });
}

/** The busybox image: applets linked into /bin, a root user, /tmp, /www. */
export async function buildBusyboxImage(
  dir: string,
  busybox = "/bin/busybox",
): Promise<string> {
  const root = `${dir}/busybox-rootfs`;
  for (const d of ["bin", "etc", "tmp", "www", "proc", "sys", "dev"]) {
    await Deno.mkdir(`${root}/${d}`, { recursive: true });
  }
  await Deno.copyFile(busybox, `${root}/bin/busybox`);
  await Deno.chmod(`${root}/bin/busybox`, 0o755);
  const list = await new Deno.Command(busybox, {
    args: ["--list"],
    stdout: "piped",
    stderr: "null",
  }).output();
  for (const applet of new TextDecoder().decode(list.stdout).split("\n")) {
    if (!applet || applet === "busybox" || applet.includes("/")) continue;
    await Deno.symlink("busybox", `${root}/bin/${applet}`);
  }
  await Deno.writeTextFile(
    `${root}/etc/passwd`,
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
  );
  await Deno.writeTextFile(
    `${root}/etc/group`,
    "root:x:0:\nnogroup:x:65534:\n",
  );
  await Deno.writeTextFile(`${root}/www/index.html`, "kube-test busybox\n");
  await Deno.chmod(`${root}/tmp`, 0o1777);
  const tarball = `${dir}/busybox.tar`;
  await writeImageArchive(root, tarball, IMAGES.busybox, {
    Env: ["PATH=/bin"],
    Cmd: ["sh"],
    WorkingDir: "/",
  });
  await Deno.remove(root, { recursive: true });
  return tarball;
}

/** The sandbox (pause) image. */
export async function buildPauseImage(
  dir: string,
  pause: string,
): Promise<string> {
  const root = `${dir}/pause-rootfs`;
  await Deno.mkdir(root, { recursive: true });
  await Deno.copyFile(pause, `${root}/pause`);
  await Deno.chmod(`${root}/pause`, 0o755);
  const tarball = `${dir}/pause.tar`;
  await writeImageArchive(root, tarball, IMAGES.pause, {
    Entrypoint: ["/pause"],
    User: "65535:65535",
  });
  await Deno.remove(root, { recursive: true });
  return tarball;
}
