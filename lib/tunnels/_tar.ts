/**
 * A tar writer and a streaming tar reader, just enough for `copyToPod` and
 * `copyFromPod`: ustar headers, GNU long names (`././@LongLink`, types `L`
 * and `K`) for paths over 100 bytes — what busybox and GNU tar both read —,
 * PAX `x` records (`path`, `linkpath`, `size`) and the ustar prefix field on
 * reading, base-256 sizes above 8 GiB both ways.
 *
 * @module
 */

import { concatBytes } from "../_internal/bytes.ts";

/** What an entry is. */
export type TarEntryType = "file" | "directory" | "symlink" | "hardlink";

/** One archive member's header. */
export interface TarHeader {
  /** The path inside the archive, `/`-separated, without a trailing slash. */
  name: string;
  type: TarEntryType;
  /** Permission bits (07777). */
  mode: number;
  /** Bytes of content (files only). */
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** The link target (symlinks and hardlinks). */
  linkname?: string;
}

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder();

const TYPE_FLAG: Record<TarEntryType, string> = {
  file: "0",
  directory: "5",
  symlink: "2",
  hardlink: "1",
};

/** Writes `value` as a NUL-terminated octal field, or base-256 when it does not fit. */
function putNumber(
  block: Uint8Array,
  offset: number,
  width: number,
  value: number,
): void {
  const octal = Math.floor(value).toString(8);
  if (octal.length <= width - 1) {
    block.set(enc.encode(octal.padStart(width - 1, "0")), offset);
    return;
  }
  // GNU base-256: high bit of the first byte set, big-endian after.
  let v = BigInt(Math.floor(value));
  for (let i = width - 1; i > 0; i--) {
    block[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  block[offset] = 0x80;
}

function putString(
  block: Uint8Array,
  offset: number,
  width: number,
  value: Uint8Array,
): void {
  block.set(value.subarray(0, width), offset);
}

function headerBlock(
  name: Uint8Array,
  flag: string,
  mode: number,
  size: number,
  mtime: number,
  linkname: Uint8Array,
): Uint8Array {
  const b = new Uint8Array(BLOCK);
  putString(b, 0, 100, name);
  putNumber(b, 100, 8, mode & 0o7777);
  putNumber(b, 108, 8, 0);
  putNumber(b, 116, 8, 0);
  putNumber(b, 124, 12, size);
  putNumber(b, 136, 12, mtime);
  b.fill(0x20, 148, 156); // checksum counted as spaces
  b[156] = flag.charCodeAt(0);
  putString(b, 157, 100, linkname);
  b.set(enc.encode("ustar\x0000"), 257);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.set(enc.encode(sum.toString(8).padStart(6, "0") + "\x00 "), 148);
  return b;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** A GNU `././@LongLink` member holding a name too long for its field. */
function longLink(flag: "L" | "K", value: Uint8Array): Uint8Array {
  const data = new Uint8Array(value.length + 1); // NUL-terminated, as GNU tar writes it
  data.set(value);
  const out = new Uint8Array(BLOCK + data.length + padding(data.length));
  out.set(
    headerBlock(
      enc.encode("././@LongLink"),
      flag,
      0o644,
      data.length,
      0,
      new Uint8Array(),
    ),
  );
  out.set(data, BLOCK);
  return out;
}

/**
 * The header blocks of one entry (long-name members first when needed); the
 * content, padded to a block, follows them in the archive.
 *
 * @param h The entry.
 * @returns The bytes that precede the content.
 */
export function encodeHeader(h: TarHeader): Uint8Array {
  const name = enc.encode(h.type === "directory" ? `${h.name}/` : h.name);
  const link = enc.encode(h.linkname ?? "");
  const parts: Uint8Array[] = [];
  if (name.length > 100) parts.push(longLink("L", name));
  if (link.length > 100) parts.push(longLink("K", link));
  parts.push(
    headerBlock(
      name,
      TYPE_FLAG[h.type],
      h.mode,
      h.type === "file" ? h.size : 0,
      h.mtime,
      link,
    ),
  );
  return concatBytes(...parts);
}

/** Zero bytes that pad content of `size` bytes to a block. */
export function contentPadding(size: number): Uint8Array {
  return new Uint8Array(padding(size));
}

/** The two zero blocks that end an archive. */
export const END_OF_ARCHIVE: Uint8Array = new Uint8Array(2 * BLOCK);

/**
 * The archive's exact length before writing it, so a server that cannot
 * close stdin can be told how many bytes to read.
 *
 * @param headers Every entry, in order.
 * @returns Bytes, end-of-archive blocks included.
 */
export function archiveSize(headers: TarHeader[]): number {
  let n = END_OF_ARCHIVE.length;
  for (const h of headers) {
    n += encodeHeader(h).length;
    if (h.type === "file") n += h.size + padding(h.size);
  }
  return n;
}

/** The archive does not parse; `offset` is where it went wrong. */
export class TarFormatError extends Error {
  /**
   * @param detail What was expected and what was found.
   * @param offset The byte offset in the archive.
   */
  constructor(detail: string, readonly offset: number) {
    super(`${detail} (at byte ${offset} of the archive)`);
    this.name = "TarFormatError";
  }
}

/** Reads exact byte counts from a stream. */
class ByteReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buf: Uint8Array = new Uint8Array(0);
  offset = 0;
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }
  /** Up to `max` bytes (fewer only at the end), or null at the end. */
  async some(max: number): Promise<Uint8Array | null> {
    if (this.#buf.length === 0) {
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#buf = value;
    }
    const n = Math.min(max, this.#buf.length);
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    this.offset += n;
    return out;
  }
  /** Exactly `n` bytes, or null when the stream ended before any; throws when it ends midway. */
  async exactly(n: number): Promise<Uint8Array | null> {
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < n) {
      const chunk = await this.some(n - got);
      if (!chunk) {
        if (got === 0) return null;
        throw new TarFormatError(
          `the archive ended inside a ${n}-byte read after ${got} bytes`,
          this.offset,
        );
      }
      parts.push(chunk.slice());
      got += chunk.length;
    }
    return concatBytes(...parts);
  }
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const chunk = await this.some(left);
      if (!chunk) {
        throw new TarFormatError(
          `the archive ended with ${left} bytes of content missing`,
          this.offset,
        );
      }
      left -= chunk.length;
    }
  }
  cancel(): Promise<void> {
    return this.#reader.cancel().catch(() => {});
  }
}

function cString(b: Uint8Array, offset: number, width: number): string {
  const field = b.subarray(offset, offset + width);
  const end = field.indexOf(0);
  return dec.decode(end < 0 ? field : field.subarray(0, end));
}

function readNumber(
  b: Uint8Array,
  offset: number,
  width: number,
  at: number,
): number {
  if (b[offset] & 0x80) {
    let v = BigInt(b[offset] & 0x7f);
    for (let i = 1; i < width; i++) v = (v << 8n) | BigInt(b[offset + i]);
    return Number(v);
  }
  const text = cString(b, offset, width).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) {
    throw new TarFormatError(
      `expected an octal number in a header field, found ${
        JSON.stringify(text.slice(0, 12))
      }`,
      at + offset,
    );
  }
  return parseInt(text, 8);
}

function parsePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const text = dec.decode(data);
  let at = 0;
  while (at < text.length) {
    const space = text.indexOf(" ", at);
    if (space < 0) break;
    const len = Number(text.slice(at, space));
    if (!Number.isInteger(len) || len <= 0) break;
    // The length counts bytes; records here are ASCII-safe in practice, but count bytes to be exact.
    const recordBytes = enc.encode(text.slice(at)).subarray(0, len);
    const record = dec.decode(recordBytes);
    const body = record.slice(space - at + 1, record.length - 1);
    const eq = body.indexOf("=");
    if (eq > 0) out[body.slice(0, eq)] = body.slice(eq + 1);
    at += record.length;
  }
  return out;
}

/** One entry while reading: its header and a reader of its content. */
export interface TarEntry {
  header: TarHeader;
  /** Chunks of the content, in order; must be drained before the next entry (or it is skipped). */
  content(): AsyncGenerator<Uint8Array>;
}

/**
 * Reads an archive entry by entry without holding it in memory. Long-name
 * members and PAX records apply to the entry that follows; character and
 * block devices and FIFOs are refused (nothing a copy should create).
 *
 * @param stream The archive.
 * @returns The entries, in order.
 * @throws {TarFormatError} On a header whose checksum is wrong, an unknown type or a cut-off archive.
 */
export async function* readTar(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<TarEntry> {
  const r = new ByteReader(stream);
  try {
    let longName: string | undefined;
    let longLinkName: string | undefined;
    let pax: Record<string, string> = {};
    while (true) {
      const at = r.offset;
      const block = await r.exactly(BLOCK);
      if (!block || block.every((x) => x === 0)) return;
      const stored = readNumber(block, 148, 8, at);
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) {
        sum += i >= 148 && i < 156 ? 0x20 : block[i];
      }
      if (sum !== stored) {
        throw new TarFormatError(
          `expected a tar header with checksum ${stored}, found bytes summing to ${sum}`,
          at,
        );
      }
      const flag = String.fromCharCode(block[156] || 0x30);
      let size = readNumber(block, 124, 12, at);
      if (flag === "L" || flag === "K" || flag === "x" || flag === "g") {
        const data = (await r.exactly(size)) ?? new Uint8Array();
        await r.skip(padding(size));
        if (flag === "L") longName = cString(data, 0, data.length);
        if (flag === "K") longLinkName = cString(data, 0, data.length);
        if (flag === "x") pax = parsePax(data);
        continue;
      }
      const prefix = cString(block, 345, 155);
      let name = longName ?? pax.path ??
        (prefix
          ? `${prefix}/${cString(block, 0, 100)}`
          : cString(block, 0, 100));
      const linkname = longLinkName ?? pax.linkpath ?? cString(block, 157, 100);
      if (pax.size !== undefined) size = Number(pax.size);
      longName = longLinkName = undefined;
      pax = {};
      let type: TarEntryType;
      if (flag === "0" || flag === "7") type = "file";
      else if (flag === "5") type = "directory";
      else if (flag === "2") type = "symlink";
      else if (flag === "1") type = "hardlink";
      else {
        throw new TarFormatError(
          `expected a file, directory or link entry, found type ${
            JSON.stringify(flag)
          } for ${JSON.stringify(name)}`,
          at,
        );
      }
      if (type === "file" && name.endsWith("/")) type = "directory";
      while (name.length > 1 && name.endsWith("/")) name = name.slice(0, -1);
      const header: TarHeader = {
        name,
        type,
        mode: readNumber(block, 100, 8, at) & 0o7777,
        size: type === "file" ? size : 0,
        mtime: readNumber(block, 136, 12, at),
        ...(type === "symlink" || type === "hardlink" ? { linkname } : {}),
      };
      const dataSize = type === "file" ? size : 0;
      let left = dataSize;
      yield {
        header,
        async *content() {
          while (left > 0) {
            const chunk = await r.some(left);
            if (!chunk) {
              throw new TarFormatError(
                `the archive ended with ${left} bytes of ${
                  JSON.stringify(name)
                } missing`,
                r.offset,
              );
            }
            left -= chunk.length;
            yield chunk;
          }
        },
      };
      await r.skip(left);
      await r.skip(padding(dataSize));
    }
  } finally {
    await r.cancel();
  }
}
