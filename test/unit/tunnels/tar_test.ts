// The tar writer and reader behind copyToPod/copyFromPod, and the extractor's
// path traversal defences, without a cluster. Round trips go through our
// writer and reader and, both ways, through the host's GNU tar (a real
// reader/writer of the format, checked independently of our code): long
// names (GNU `L`/`K` and PAX), modes, empty directories, symlinks, hard
// links, a file crossing many read chunks. The traversal tests feed
// crafted archives — what a hostile container could send — and assert
// that extraction stops with UnsafeArchivePath and nothing lands outside
// the target (kubectl's CVE-2018-1002100, CVE-2019-1002101,
// CVE-2019-11246, CVE-2019-11249).

import assert from "node:assert/strict";
import {
  archiveSize,
  contentPadding,
  encodeHeader,
  END_OF_ARCHIVE,
  readTar,
  type TarHeader,
} from "../../../lib/tunnels/_tar.ts";
import { extractArchive } from "../../../lib/tunnels/copy.ts";
import { TunnelError } from "../../../lib/tunnels/mod.ts";
import { concatBytes } from "../../../lib/_internal/bytes.ts";

const target = { namespace: "ns", pod: "p" };
const enc = new TextEncoder();

/** An archive of headers with their content, as our writer lays it out. */
function archive(entries: [TarHeader, Uint8Array?][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [h, data] of entries) {
    parts.push(encodeHeader(h));
    if (h.type === "file") {
      parts.push(data ?? new Uint8Array(h.size), contentPadding(h.size));
    }
  }
  parts.push(END_OF_ARCHIVE);
  return concatBytes(...parts);
}

/** A stream that hands the bytes over in `size`-byte chunks. */
function chunked(bytes: Uint8Array, size = 777): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

const file = (name: string, data: string, mode = 0o644) =>
  [
    { name, type: "file", mode, size: enc.encode(data).length, mtime: 1 },
    enc.encode(data),
  ] as [TarHeader, Uint8Array];
const dir = (name: string, mode = 0o755): [TarHeader] => [
  { name, type: "directory", mode, size: 0, mtime: 1 },
];
const symlink = (name: string, linkname: string): [TarHeader] => [
  { name, type: "symlink", mode: 0o777, size: 0, mtime: 1, linkname },
];

const longDir = "d".repeat(60) + "/" + "e".repeat(60);
const longName = `top/${longDir}/` + "f".repeat(120) + ".txt";
const big = new Uint8Array(200_003).map((_, i) => (i * 31) % 251);

Deno.test("tar: our writer and reader round-trip names, modes, types and content", async () => {
  const entries: [TarHeader, Uint8Array?][] = [
    ...[dir("top"), dir("top/empty", 0o700), dir(`top/${longDir}`)],
    file(longName, "long"),
    [{
      name: "top/big.bin",
      type: "file",
      mode: 0o755,
      size: big.length,
      mtime: 2,
    }, big],
    file("top/zero", "", 0o600),
    symlink("top/link", "big.bin"),
    symlink("top/longlink", "../top/" + "x".repeat(150)),
    [{
      name: "top/hard",
      type: "hardlink",
      mode: 0o644,
      size: 0,
      mtime: 1,
      linkname: "top/big.bin",
    }],
  ];
  const bytes = archive(entries);
  assert.equal(
    bytes.length,
    archiveSize(entries.map(([h]) => h)),
    "archiveSize is exact",
  );
  const seen: [TarHeader, Uint8Array][] = [];
  for await (const e of readTar(chunked(bytes))) {
    const parts: Uint8Array[] = [];
    for await (const c of e.content()) parts.push(c.slice());
    seen.push([e.header, concatBytes(...parts)]);
  }
  assert.deepEqual(
    seen.map(([h]) => h),
    entries.map(([h]) => h),
  );
  assert.deepEqual(seen[4][1], big);
  assert.equal(new TextDecoder().decode(seen[3][1]), "long");
});

Deno.test("tar: GNU tar extracts what we write, modes and long names kept", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const bytes = archive([
      ...[dir("top"), dir("top/empty", 0o700), dir(`top/${longDir}`)],
      file(longName, "long", 0o640),
      file("top/run.sh", "#!/bin/sh\n", 0o755),
      symlink("top/link", "run.sh"),
    ]);
    const p = new Deno.Command("tar", {
      args: ["xf", "-", "-C", tmp],
      stdin: "piped",
      stderr: "piped",
    }).spawn();
    const w = p.stdin.getWriter();
    await w.write(bytes);
    await w.close();
    const out = await p.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(await Deno.readTextFile(`${tmp}/${longName}`), "long");
    assert.equal((await Deno.stat(`${tmp}/${longName}`)).mode! & 0o777, 0o640);
    assert.equal((await Deno.stat(`${tmp}/top/run.sh`)).mode! & 0o777, 0o755);
    assert.equal((await Deno.stat(`${tmp}/top/empty`)).mode! & 0o777, 0o700);
    assert.equal(await Deno.readLink(`${tmp}/top/link`), "run.sh");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

for (const format of ["gnu", "pax", "ustar"]) {
  Deno.test(`tar: we read GNU tar's ${format} archives and extract them with modes`, async () => {
    const src = await Deno.makeTempDir();
    const dst = await Deno.makeTempDir();
    try {
      // ustar has no long names beyond its 155+100 split; keep those within it.
      const deep = format === "ustar"
        ? "a".repeat(90) + "/" + "b".repeat(90)
        : longDir + "/" + "g".repeat(130);
      await Deno.mkdir(`${src}/top/${deep}`, { recursive: true });
      await Deno.mkdir(`${src}/top/empty`);
      await Deno.writeFile(`${src}/top/${deep}/leaf`, enc.encode("leaf"));
      await Deno.writeFile(`${src}/top/big.bin`, big);
      await Deno.chmod(`${src}/top/big.bin`, 0o751);
      await Deno.chmod(`${src}/top/empty`, 0o711);
      await Deno.symlink("big.bin", `${src}/top/link`);
      const out = await new Deno.Command("tar", {
        args: [`--format=${format}`, "-cf", "-", "-C", src, "top"],
        stdout: "piped",
      }).output();
      assert.equal(out.code, 0);
      await extractArchive(
        chunked(out.stdout, 1000),
        "top",
        `${dst}/copy`,
        target,
      );
      assert.equal(await Deno.readTextFile(`${dst}/copy/${deep}/leaf`), "leaf");
      assert.deepEqual(await Deno.readFile(`${dst}/copy/big.bin`), big);
      assert.equal(
        (await Deno.stat(`${dst}/copy/big.bin`)).mode! & 0o7777,
        0o751,
      );
      assert.equal(
        (await Deno.stat(`${dst}/copy/empty`)).mode! & 0o7777,
        0o711,
      );
      assert.equal(await Deno.readLink(`${dst}/copy/link`), "big.bin");
    } finally {
      await Deno.remove(src, { recursive: true });
      await Deno.remove(dst, { recursive: true });
    }
  });
}

Deno.test("tar: a corrupt header or a cut archive is ArchiveInvalid", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const good = archive([dir("top"), file("top/a", "x".repeat(2000))]);
    const flipped = good.slice();
    flipped[512 + 10] ^= 0xff; // inside the second header's name
    for (const bytes of [flipped, good.slice(0, 1024 + 700)]) {
      const err = await extractArchive(
        chunked(bytes),
        "top",
        `${tmp}/out`,
        target,
      ).then(
        () => undefined,
        (e) => e,
      );
      assert.ok(err instanceof TunnelError, String(err));
      assert.equal(err.reason, "ArchiveInvalid");
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("tar: progress reports every chunk of a file and the running total", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const seen: number[] = [];
    await extractArchive(
      chunked(
        archive([dir("top"), [{
          name: "top/big",
          type: "file",
          mode: 0o644,
          size: big.length,
          mtime: 0,
        }, big], file("top/e", "")]),
      ),
      "top",
      `${tmp}/out`,
      target,
      (p) => seen.push(p.bytesDone),
    );
    assert.ok(seen.length > 10, `progress came ${seen.length} times`);
    assert.equal(seen.at(-1), big.length);
    assert.ok(seen.every((n, i) => i === 0 || n >= seen[i - 1]));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

// Each case: what a hostile pod sends, and the file outside that must not appear.
const hostile: [string, [TarHeader, Uint8Array?][]][] = [
  ["an absolute path (CVE-2018-1002100)", [
    dir("top"),
    file("/tmp/OUTSIDE", "x"),
  ]],
  ["a .. component (CVE-2018-1002100)", [
    dir("top"),
    file("top/../OUTSIDE", "x"),
  ]],
  ["a name outside the copied path", [dir("top"), file("other/OUTSIDE", "x")]],
  ["a symlink to an absolute path (CVE-2019-1002101)", [
    dir("top"),
    symlink("top/l", "/tmp"),
  ]],
  ["a symlink climbing out with .. (CVE-2019-11246)", [
    dir("top"),
    symlink("top/l", "../../.."),
  ]],
  ["a symlink to the parent of the root (CVE-2019-11249)", [
    dir("top"),
    dir("top/d"),
    symlink("top/d/l", "../.."),
  ]],
  ["a file written through a symlink (CVE-2019-1002101)", [
    dir("top"),
    symlink("top/l", "."),
    file("top/l/OUTSIDE", "x"),
  ]],
  ["a hard link to a name outside", [dir("top"), [{
    name: "top/h",
    type: "hardlink",
    mode: 0o644,
    size: 0,
    mtime: 0,
    linkname: "/etc/passwd",
  }]]],
];

for (const [what, entries] of hostile) {
  Deno.test(`tar: extraction refuses ${what}`, async () => {
    const tmp = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${tmp}/dest`);
      const err = await extractArchive(
        chunked(archive(entries)),
        "top",
        `${tmp}/dest/copy`,
        target,
      ).then(
        () => undefined,
        (e) => e,
      );
      assert.ok(
        err instanceof TunnelError,
        `expected a TunnelError, got ${err}`,
      );
      assert.equal(err.reason, "UnsafeArchivePath");
      assert.match(err.message, /refused/);
      for (
        const p of [`${tmp}/OUTSIDE`, `${tmp}/dest/OUTSIDE`, "/tmp/OUTSIDE"]
      ) {
        assert.equal(
          await Deno.lstat(p).then(() => true, () => false),
          false,
          `${p} was written`,
        );
      }
      // Nothing but the root directory itself (and entries before the bad one) exists.
      const listed: string[] = [];
      for await (const e of Deno.readDir(`${tmp}`)) listed.push(e.name);
      assert.deepEqual(listed, ["dest"]);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  });
}

Deno.test("tar: a file through a symlink that was already in the target is refused", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${tmp}/copy`);
    await Deno.symlink(tmp, `${tmp}/copy/up`);
    const err = await extractArchive(
      chunked(archive([dir("top"), file("top/up/OUTSIDE", "x")])),
      "top",
      `${tmp}/copy`,
      target,
    ).then(() => undefined, (e) => e);
    assert.ok(err instanceof TunnelError);
    assert.equal(err.reason, "UnsafeArchivePath");
    assert.equal(
      await Deno.lstat(`${tmp}/OUTSIDE`).then(() => true, () => false),
      false,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("tar: symlinks that stay inside are recreated", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await extractArchive(
      chunked(
        archive([
          dir("top"),
          dir("top/d"),
          file("top/f", "x"),
          symlink("top/d/l", "../f"),
          symlink("top/s", "d"),
        ]),
      ),
      "top",
      `${tmp}/copy`,
      target,
    );
    assert.equal(await Deno.readTextFile(`${tmp}/copy/d/l`), "x");
    assert.equal(await Deno.readLink(`${tmp}/copy/s`), "d");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
