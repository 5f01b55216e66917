/**
 * Web Streams that turn a watch response into events: bytes → lines → JSON →
 * validated {@link WatchEvent}s. Lines are split on bytes, so chunk
 * boundaries may fall anywhere, including inside a multi-byte character.
 *
 * @module
 */

import type { JSONObject, JSONValue, WatchEvent } from "../contract.ts";
import { StreamDecodeError } from "../errors/mod.ts";
import { LineBuffer, parseJsonLine } from "../_wire/line_buffer.ts";
import { watchEventOf } from "./_watch_event.ts";

/**
 * The byte-level line splitting shared by {@link LineSplitter} and
 * {@link JsonLinesDecoder}: calls `onLine` with each non-empty line, without
 * its `\n` or `\r\n`, including a last line that has no newline. A line
 * inside one chunk is passed as a view, not a copy; only a chunk's last,
 * partial line is copied (into one reused buffer).
 */
function splitLines<O>(
  onLine: (
    line: Uint8Array,
    controller: TransformStreamDefaultController<O>,
  ) => void,
): Transformer<Uint8Array, O> {
  const lines = new LineBuffer();
  return {
    transform(chunk, controller) {
      lines.push(chunk, (line) => onLine(line, controller));
    },
    flush(controller) {
      lines.flush((line) => onLine(line, controller));
    },
  };
}

/**
 * Splits a byte stream into lines, on `\n` or `\r\n`, without decoding.
 * A last line without a newline is still emitted; empty lines are dropped.
 * Each line is the consumer's own copy: a producer may reuse its chunk's
 * buffer as soon as it has been written.
 */
export class LineSplitter extends TransformStream<Uint8Array, Uint8Array> {
  constructor() {
    super(
      splitLines<Uint8Array>((line, controller) =>
        // A line inside one chunk is a view of the producer's buffer: copy it.
        controller.enqueue(
          line.byteOffset === 0 && line.byteLength === line.buffer.byteLength
            ? line
            : line.slice(),
        )
      ),
    );
  }
}

/**
 * Parses one JSON document per line of a byte stream (watch and log-follow
 * responses). A line that is not JSON errors the stream with a
 * {@link StreamDecodeError}.
 */
export class JsonLinesDecoder extends TransformStream<Uint8Array, JSONValue> {
  constructor() {
    const decoder = new TextDecoder();
    let lineNo = 0;
    super(splitLines<JSONValue>((bytes, controller) => {
      controller.enqueue(parseJsonLine(decoder.decode(bytes), ++lineNo));
    }));
  }
}

/**
 * Parses one JSON object per string, 1:1 (kept from v0.7.3).
 *
 * @deprecated Use {@link JsonLinesDecoder}, which splits and parses a byte
 * stream in one step (no text decoding and line splitting of your own), or
 * `performRequest` with `expectStream` and `expectJson`, which applies it.
 */
export class JsonParsingTransformer
  extends TransformStream<string, JSONObject> {
  constructor() {
    let lineNo = 0;
    super({
      transform(line, controller) {
        const value = parseJsonLine(line, ++lineNo);
        if (
          value === null || typeof value !== "object" || Array.isArray(value)
        ) {
          throw new StreamDecodeError("expected a JSON object", lineNo, line);
        }
        controller.enqueue(value as JSONObject);
      },
    });
  }
}

/**
 * Validates watch events: `type` must be ADDED, MODIFIED, DELETED, ERROR or
 * BOOKMARK and `object` an object. Objects go through `objValidator`, ERROR
 * statuses through `errValidator`.
 */
export class WatchEventTransformer<T, U>
  extends TransformStream<JSONValue, WatchEvent<T, U>> {
  /**
   * Builds the transformer with the validators for objects and ERROR statuses.
   *
   * @param objValidator Turns a raw object into `T` (throws when invalid).
   * @param errValidator Turns an ERROR event's Status into `U`.
   */
  constructor(
    objValidator: (val: JSONObject) => T,
    errValidator: (val: JSONObject) => U,
  ) {
    let eventNo = 0;
    super({
      transform(raw, controller) {
        controller.enqueue(
          watchEventOf(raw, ++eventNo, objValidator, errValidator),
        );
      },
    });
  }
}
