// Kubeconfig writes (useContext, setContextNamespace) side by side with the
// real kubectl (`config use-context`, `config set-context`) on identical
// copies of a file: the owner, group and mode a root process leaves; the
// lock file's name for a symlink (so the two exclude each other) and what a
// held lock does (both refuse at once); a 0444 file for a non-root user, a
// read-only file system, an immutable file (refused untouched, nothing left
// behind, the operating system's reason given rather than Deno-flag advice);
// a bind-mounted file (written, as kubectl writes it); a writer killed
// mid-write (no copy of the file anywhere); and the values kubectl keeps: a
// 20-digit integer and a file built with anchors and `<<` merge keys.
//
// kubectl is the one on PATH (its version is printed); client-go's
// behaviour (tools/clientcmd: ModifyConfig's lockFile is FILE.lock created
// O_EXCL, WriteToFile is os.WriteFile in place) has been the same since
// long before 1.20. Tests that need root (chown, setpriv, mount, chattr)
// skip with a printed reason when not root.
// Needs no cluster.

import assert from "node:assert/strict";
import { KubeConfigError } from "../../../mod.ts";
import { setContextNamespace, useContext } from "../../../lib/config/mod.ts";
import { parseYamlDocument } from "../../../lib/_internal/yaml.ts";

const USER = 1000;
const isRoot = Deno.uid() === 0;

const kubeconfig = (token = "t0ken-never-in-errors") =>
  `apiVersion: v1
kind: Config
current-context: a
clusters:
- name: c
  cluster: {server: "https://example.invalid:6443"}
contexts:
- name: a
  context: {cluster: c, user: u, namespace: one}
- name: b
  context: {cluster: c, user: u}
users:
- name: u
  user: {token: ${token}}
`;

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(
  cmd: string[],
  opts: { user?: number; env?: Record<string, string> } = {},
): Promise<Run> {
  const argv = opts.user === undefined ? cmd : [
    "setpriv",
    `--reuid=${opts.user}`,
    `--regid=${opts.user}`,
    "--clear-groups",
    ...cmd,
  ];
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
    env: opts.env,
    signal: AbortSignal.timeout(60_000),
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    out: dec.decode(out.stdout),
    err: dec.decode(out.stderr),
  };
}

let kubectlVersion: Promise<string> | undefined;
/** The real kubectl's client version, printed once. */
function kubectl(args: string[], user?: number): Promise<Run> {
  kubectlVersion ??= run(["kubectl", "version", "--client"]).then((r) => {
    const v = r.out.match(/Client Version: (\S+)/)?.[1] ?? "unknown";
    console.log(`kubectl ${v}`);
    return v;
  });
  return kubectlVersion.then(() => run(["kubectl", ...args], { user }));
}

let bundle: Promise<string> | undefined;
/**
 * The probe (test/fixtures/kubeconfig_write_probe.ts) bundled into one file
 * any user can run: another user cannot read root's Deno cache.
 */
function probeBundle(): Promise<string> {
  bundle ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "kube-probe-" });
    await Deno.chmod(dir, 0o755);
    const out = `${dir}/probe.js`;
    const r = await run([
      Deno.execPath(),
      "bundle",
      "--quiet",
      new URL("../../fixtures/kubeconfig_write_probe.ts", import.meta.url)
        .pathname,
      "-o",
      out,
    ]);
    assert.equal(r.code, 0, r.err);
    await Deno.chmod(out, 0o644);
    globalThis.addEventListener("unload", () => {
      Deno.removeSync(dir, { recursive: true });
    });
    return out;
  })();
  return bundle;
}

interface ProbeResult {
  ok?: string;
  error?: string;
  message?: string;
}

/** Our write, in a process of its own, as `user`. */
async function probe(
  args: string[],
  user?: number,
  flags = ["--allow-read", "--allow-write"],
): Promise<ProbeResult> {
  const js = await probeBundle();
  const denoDir = await Deno.makeTempDir({ prefix: "kube-denodir-" });
  try {
    if (user !== undefined) await Deno.chown(denoDir, user, user);
    const r = await run([Deno.execPath(), "run", ...flags, js, ...args], {
      user,
      env: { DENO_DIR: denoDir, HOME: denoDir, NO_COLOR: "1" },
    });
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out.trim().split("\n").pop()!);
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
}

/** A directory `user` may write, with two identical copies of `text`. */
async function twoCopies(
  text: string,
  fn: (dir: string, ours: string, theirs: string) => Promise<void>,
  opts: { user?: number; mode?: number } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kube-write-" });
  try {
    await Deno.chmod(dir, 0o755);
    const ours = `${dir}/ours.yaml`;
    const theirs = `${dir}/theirs.yaml`;
    for (const f of [ours, theirs]) {
      await Deno.writeTextFile(f, text);
      await Deno.chmod(f, opts.mode ?? 0o600);
      if (opts.user !== undefined) await Deno.chown(f, opts.user, opts.user);
    }
    if (opts.user !== undefined) await Deno.chown(dir, opts.user, opts.user);
    await fn(dir, ours, theirs);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

function skip(reason: string): void {
  console.log(`skipped: ${reason}`);
}

/** An OS refusal, worded as one: the file, "cannot be written", the OS reason, no Deno flag. */
function assertOsRefusal(r: ProbeResult, file: string, code: RegExp): void {
  assert.equal(r.error, "KubeConfigError", JSON.stringify(r));
  assert.ok(r.message!.includes(file), r.message);
  assert.match(r.message!, /cannot be written/);
  assert.match(r.message!, code);
  assert.doesNotMatch(r.message!, /--allow/);
  assert.doesNotMatch(r.message!, /t0ken/);
}

Deno.test("a root process changing a user's 0600 kubeconfig keeps its owner, group and mode, as kubectl does", async () => {
  if (!isRoot) return skip("needs root to chown the file to another user");
  await twoCopies(kubeconfig(), async (_dir, ours, theirs) => {
    const k = await kubectl([
      "--kubeconfig",
      theirs,
      "config",
      "use-context",
      "b",
    ]);
    assert.equal(k.code, 0, k.err);
    assert.equal(await useContext("b", { paths: [ours] }), ours);
    await setContextNamespace("b", "two", { paths: [ours] });
    const k2 = await kubectl([
      "--kubeconfig",
      theirs,
      "config",
      "set-context",
      "--current",
      "--namespace=two",
    ]);
    assert.equal(k2.code, 0, k2.err);
    for (const f of [theirs, ours]) {
      const st = await Deno.stat(f);
      assert.deepEqual([st.uid, st.gid, st.mode! & 0o7777], [
        USER,
        USER,
        0o600,
      ], f);
    }
    const read = async (f: string) =>
      parseYamlDocument(await Deno.readTextFile(f)) as Record<string, unknown>;
    const [o, t] = [await read(ours), await read(theirs)];
    assert.equal(o["current-context"], t["current-context"]);
    assert.deepEqual(o.contexts, t.contexts);
  }, { user: USER });
});

Deno.test("the lock is kubectl's: FILE.lock for the path as given (a symlink's own name); a held lock is refused at once by both", async () => {
  await twoCopies(kubeconfig(), async (dir, ours, theirs) => {
    await Deno.symlink("ours.yaml", `${dir}/ours-link`);
    await Deno.symlink("theirs.yaml", `${dir}/theirs-link`);
    // kubectl's lock for the link is LINK.lock, not the target's.
    await Deno.writeTextFile(`${dir}/theirs-link.lock`, "");
    await Deno.writeTextFile(`${dir}/ours-link.lock`, "");
    const k = await kubectl([
      "--kubeconfig",
      `${dir}/theirs-link`,
      "config",
      "use-context",
      "b",
    ]);
    assert.notEqual(k.code, 0);
    assert.match(k.err, /theirs-link\.lock: file exists/);
    const held = await useContext("b", { paths: [`${dir}/ours-link`] }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(held instanceof KubeConfigError, String(held));
    assert.match(
      held.message,
      /ours-link\.lock exists; kubectl refuses at once too, without waiting/,
    );
    assert.match(await Deno.readTextFile(ours), /current-context: a/);
    await Deno.remove(`${dir}/theirs-link.lock`);
    await Deno.remove(`${dir}/ours-link.lock`);
    // A lock on the target's name does not stop a write through the link.
    await Deno.writeTextFile(`${dir}/theirs.yaml.lock`, "");
    await Deno.writeTextFile(`${dir}/ours.yaml.lock`, "");
    const k2 = await kubectl([
      "--kubeconfig",
      `${dir}/theirs-link`,
      "config",
      "use-context",
      "b",
    ]);
    assert.equal(k2.code, 0, k2.err);
    await useContext("b", { paths: [`${dir}/ours-link`] });
    assert.match(await Deno.readTextFile(ours), /current-context: b/);
    assert.match(await Deno.readTextFile(theirs), /current-context: b/);
    assert.ok((await Deno.lstat(`${dir}/ours-link`)).isSymlink);
    assert.deepEqual(await names(dir), [
      "ours-link",
      "ours.yaml",
      "ours.yaml.lock",
      "theirs-link",
      "theirs.yaml",
      "theirs.yaml.lock",
    ], "our lock released, nothing else left");
  });
});

Deno.test("a 0444 kubeconfig is not replaced for a non-root user in a writable directory: refused untouched, as kubectl refuses it", async () => {
  if (!isRoot) return skip("needs root to run as another user (setpriv)");
  await twoCopies(kubeconfig(), async (dir, ours, theirs) => {
    const before = await Deno.readTextFile(ours);
    const k = await kubectl(
      ["--kubeconfig", theirs, "config", "use-context", "b"],
      USER,
    );
    assert.notEqual(k.code, 0);
    assert.match(k.err, /permission denied/);
    const r = await probe(["use", ours, "b"], USER);
    assertOsRefusal(r, ours, /EACCES/);
    assert.equal(await Deno.readTextFile(ours), before);
    assert.equal(await Deno.readTextFile(theirs), before);
    assert.equal((await Deno.stat(ours)).mode! & 0o777, 0o444);
    assert.deepEqual(await names(dir), ["ours.yaml", "theirs.yaml"]);
  }, { user: USER, mode: 0o444 });
});

Deno.test("a kubeconfig on a read-only file system is refused untouched with the OS reason, as kubectl refuses it", async () => {
  if (!isRoot) return skip("needs root to mount a tmpfs read-only");
  const dir = await Deno.makeTempDir({ prefix: "kube-rofs-" });
  let mounted = false;
  try {
    const m = await run([
      "mount",
      "-t",
      "tmpfs",
      "-o",
      "size=1m",
      "tmpfs",
      dir,
    ]);
    if (m.code !== 0) return skip(`cannot mount a tmpfs: ${m.err.trim()}`);
    mounted = true;
    const ours = `${dir}/ours.yaml`;
    const theirs = `${dir}/theirs.yaml`;
    await Deno.writeTextFile(ours, kubeconfig(), { mode: 0o600 });
    await Deno.writeTextFile(theirs, kubeconfig(), { mode: 0o600 });
    const ro = await run(["mount", "-o", "remount,ro", dir]);
    assert.equal(ro.code, 0, ro.err);
    const k = await kubectl([
      "--kubeconfig",
      theirs,
      "config",
      "use-context",
      "b",
    ]);
    assert.notEqual(k.code, 0);
    assert.match(k.err, /read-only file system/);
    const err = await useContext("b", { paths: [ours] }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(err instanceof KubeConfigError, String(err));
    assertOsRefusal(
      { error: err.name, message: err.message },
      ours,
      /read-only file system \(EROFS\)/,
    );
    assert.equal(await Deno.readTextFile(ours), kubeconfig());
    assert.deepEqual(await names(dir), ["ours.yaml", "theirs.yaml"]);
  } finally {
    if (mounted) await run(["umount", dir]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an immutable kubeconfig (chattr +i) is refused untouched with the OS reason, as kubectl refuses it", async () => {
  if (!isRoot) return skip("needs root to set the immutable attribute");
  await twoCopies(kubeconfig(), async (dir, ours, theirs) => {
    const set = await run(["chattr", "+i", ours, theirs]);
    if (set.code !== 0) {
      return skip(
        `the file system has no immutable attribute: ${set.err.trim()}`,
      );
    }
    try {
      const k = await kubectl([
        "--kubeconfig",
        theirs,
        "config",
        "use-context",
        "b",
      ]);
      assert.notEqual(k.code, 0);
      assert.match(k.err, /operation not permitted/);
      const err = await useContext("b", { paths: [ours] }).then(
        () => undefined,
        (e) => e,
      );
      assert.ok(err instanceof KubeConfigError, String(err));
      assertOsRefusal(
        { error: err.name, message: err.message },
        ours,
        /EPERM/,
      );
      assert.equal(await Deno.readTextFile(ours), kubeconfig());
      assert.deepEqual(await names(dir), ["ours.yaml", "theirs.yaml"]);
    } finally {
      await run(["chattr", "-i", ours, theirs]);
    }
  });
});

Deno.test("a bind-mounted kubeconfig (docker run -v ~/.kube/config:…) is written in place, as kubectl writes it", async () => {
  if (!isRoot) return skip("needs root to bind-mount a file");
  await twoCopies(kubeconfig(), async (dir, ours, theirs) => {
    const hostOurs = `${dir}/host-ours`;
    const hostTheirs = `${dir}/host-theirs`;
    await Deno.writeTextFile(hostOurs, kubeconfig(), { mode: 0o600 });
    await Deno.writeTextFile(hostTheirs, kubeconfig(), { mode: 0o600 });
    const mounted: string[] = [];
    try {
      for (const [src, dst] of [[hostOurs, ours], [hostTheirs, theirs]]) {
        const m = await run(["mount", "--bind", src, dst]);
        if (m.code !== 0) return skip(`cannot bind-mount: ${m.err.trim()}`);
        mounted.push(dst);
      }
      const k = await kubectl([
        "--kubeconfig",
        theirs,
        "config",
        "use-context",
        "b",
      ]);
      assert.equal(k.code, 0, k.err);
      assert.equal(await useContext("b", { paths: [ours] }), ours);
      await setContextNamespace("b", "two", { paths: [ours] });
      assert.match(await Deno.readTextFile(hostTheirs), /current-context: b/);
      const host = parseYamlDocument(await Deno.readTextFile(hostOurs)) as {
        "current-context": string;
        contexts: { name: string; context: { namespace?: string } }[];
      };
      assert.equal(host["current-context"], "b");
      assert.equal(host.contexts[1].context.namespace, "two");
    } finally {
      for (const m of mounted) await run(["umount", m]);
    }
    assert.deepEqual(await names(dir), [
      "host-ours",
      "host-theirs",
      "ours.yaml",
      "theirs.yaml",
    ]);
  });
});

Deno.test("a writer killed mid-write leaves no copy of the kubeconfig: only the file itself and kubectl's empty lock, which then stops every writer", async () => {
  const token = "k".repeat(12 * 1024 * 1024);
  await twoCopies(kubeconfig(token), async (dir, ours, theirs) => {
    await Deno.remove(theirs);
    const before = (await Deno.stat(ours)).size;
    const js = await probeBundle();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        js,
        "ns",
        ours,
        "a",
        "two",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Kill it as soon as the write starts: a new entry in the directory
    // besides the lock (a temp file), or the file itself changing.
    const deadline = Date.now() + 30_000;
    let killedAt = "deadline";
    while (Date.now() < deadline) {
      const seen = await names(dir);
      const size = (await Deno.stat(ours)).size;
      if (seen.some((n) => n !== "ours.yaml" && n !== "ours.yaml.lock")) {
        killedAt = "a temp file appeared";
        break;
      }
      if (size !== before) {
        killedAt = "the file started changing";
        break;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    console.log(`killed when ${killedAt}`);
    assert.notEqual(killedAt, "deadline", "the writer never started writing");
    const left = await names(dir);
    assert.deepEqual(
      left.filter((n) => n !== "ours.yaml" && n !== "ours.yaml.lock"),
      [],
      "no temp file or other copy",
    );
    if (left.includes("ours.yaml.lock")) {
      assert.equal((await Deno.stat(`${dir}/ours.yaml.lock`)).size, 0);
      // The file may hold part of the new text (as with kubectl). Once it
      // is repaired, the stale lock still stops the next writer, ours as
      // kubectl's, until deleted.
      await Deno.writeTextFile(ours, kubeconfig());
      const err = await useContext("b", { paths: [ours] }).then(
        () => undefined,
        (e) => e,
      );
      assert.ok(err instanceof KubeConfigError, String(err));
      assert.match(err.message, /ours\.yaml\.lock exists/);
      const k = await kubectl([
        "--kubeconfig",
        ours,
        "config",
        "use-context",
        "b",
      ]);
      assert.match(k.err, /ours\.yaml\.lock: file exists/);
    }
  });
});

/** The file as kubectl reads it (`config view --raw`: sorted, normalised). */
async function kubectlView(file: string): Promise<string> {
  const r = await kubectl(["--kubeconfig", file, "config", "view", "--raw"]);
  assert.equal(r.code, 0, r.err);
  return r.out;
}

Deno.test("values kubectl keeps are kept: a 20-digit integer digit for digit, strings go-yaml would misread quoted; kubectl reads our file as its own", async () => {
  const text = kubeconfig().replace(
    "context: {cluster: c, user: u, namespace: one}",
    'context: {cluster: c, user: u, namespace: one, extensions: [{name: x, extension: {id: 12345678901234567890, hex: 0xFFFFFFFFFFFFFFFF, small: 7, f: -.5, s1: "-.5", s2: "0X1F", s3: "1_", s4: "<<", s5: "y", d: 2001-12-14}}]}',
  );
  await twoCopies(text, async (_dir, ours, theirs) => {
    const k = await kubectl([
      "--kubeconfig",
      theirs,
      "config",
      "use-context",
      "b",
    ]);
    assert.equal(k.code, 0, k.err);
    await useContext("b", { paths: [ours] });
    const mine = await Deno.readTextFile(ours);
    const kubectls = await Deno.readTextFile(theirs);
    assert.match(kubectls, /\b12345678901234567890\b/);
    assert.match(mine, /\bid: 12345678901234567890\b/);
    assert.match(mine, /\bhex: 18446744073709551615\b/);
    assert.match(kubectls, /\b18446744073709551615\b/);
    assert.match(mine, /\bsmall: 7\b/);
    assert.equal(await kubectlView(ours), await kubectlView(theirs));
  });
});

Deno.test("a kubeconfig built with anchors and << merge keys is switched as kubectl switches it, every value kept and written out expanded", async () => {
  const text = `apiVersion: v1
kind: Config
current-context: a
clusters:
- name: c
  cluster: {server: "https://example.invalid:6443"}
contexts:
- name: a
  context: &base
    cluster: c
    user: u
- name: b
  context:
    <<: *base
    namespace: two
- name: d
  context:
    <<: [*base, {namespace: three, user: other}]
    user: mine
users:
- name: u
  user: &cred {token: t0ken-never-in-errors}
- name: other
  user: *cred
`;
  await twoCopies(text, async (_dir, ours, theirs) => {
    const k = await kubectl([
      "--kubeconfig",
      theirs,
      "config",
      "use-context",
      "d",
    ]);
    assert.equal(k.code, 0, k.err);
    await useContext("d", { paths: [ours] });
    const k2 = await kubectl([
      "--kubeconfig",
      theirs,
      "config",
      "set-context",
      "b",
      "--namespace=four",
    ]);
    assert.equal(k2.code, 0, k2.err);
    await setContextNamespace("b", "four", { paths: [ours] });
    const read = async (f: string) =>
      parseYamlDocument(await Deno.readTextFile(f)) as Record<string, unknown>;
    const [o, t] = [await read(ours), await read(theirs)];
    assert.equal(o["current-context"], "d");
    assert.equal(t["current-context"], "d");
    // kubectl writes each list sorted by name.
    const byName = (v: unknown) =>
      [...v as { name: string }[]].sort((x, y) =>
        x.name < y.name ? -1 : x.name > y.name ? 1 : 0
      );
    for (const key of ["clusters", "contexts", "users"]) {
      assert.deepEqual(byName(o[key]), byName(t[key]), key);
    }
    assert.deepEqual(
      (o.contexts as { context: unknown }[]).map((c) => c.context),
      [
        { cluster: "c", user: "u" },
        { cluster: "c", user: "u", namespace: "four" },
        { cluster: "c", user: "mine", namespace: "three" },
      ],
    );
    const mine = await Deno.readTextFile(ours);
    assert.doesNotMatch(mine, /<<|&base|\*base|&cred/);
    assert.equal(await kubectlView(ours), await kubectlView(theirs));
  });
});

Deno.test("Deno's own missing write permission still names the flag; the OS's refusals do not", async () => {
  await twoCopies(kubeconfig(), async (_dir, ours) => {
    const r = await probe(["use", ours, "b"], undefined, ["--allow-read"]);
    assert.equal(r.error, "KubeConfigError", JSON.stringify(r));
    assert.match(r.message!, /--allow-write=/);
    assert.equal(await Deno.readTextFile(ours), kubeconfig());
  });
});
