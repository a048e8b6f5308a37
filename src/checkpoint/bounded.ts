/**
 * Reading untrusted files within bounds (checkpoints, safetensors files: people share models, so a file may be
 * hostile). Two parts:
 * - `readBoundedFile`: only a regular file is read (a device such as /dev/zero, a FIFO or a socket is refused by its
 *   type before a byte is read, and a FIFO is opened without blocking), and only up to a ceiling: 2 GiB by default,
 *   `CHARNN_MAX_FILE_BYTES` raises (or lowers) it. The file is read to the size fstat gave, never to exhaustion.
 * - `parseJsonBounded`: before JSON.parse builds a single object, one pass over the text checks nesting depth, the
 *   number of values and string lengths (object-heavy JSON costs 10-45x its size once parsed; deep nesting
 *   overflows the stack of every recursive reader). A failure names the top-level field it happened in.
 * Documented in docs/reliability.md.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { quote } from '../errors.js';
import { CheckpointError } from './errors.js';

/** The default ceiling on a checkpoint or safetensors file (bytes): 2 GiB. */
const DEFAULT_MAX_FILE_BYTES = 2 * 1024 ** 3;
const MAX_FILE_ENV = 'CHARNN_MAX_FILE_BYTES';

/** The ceiling in force: CHARNN_MAX_FILE_BYTES when it is a positive integer (a suffix k, M or G allowed), else 2 GiB. */
function maxFileBytes(env: Record<string, string | undefined> = process.env): number {
  const m = /^\s*(\d+)\s*([kKmMgG]?)[bB]?\s*$/.exec(env[MAX_FILE_ENV] ?? '');
  if (!m) return DEFAULT_MAX_FILE_BYTES;
  const n = Number(m[1]) * ({ k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()] ?? 1);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_MAX_FILE_BYTES;
}

const gib = (n: number) => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : n >= 1024 ** 2 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${n} bytes`);

/**
 * The bytes of a regular file no larger than `limit`. Throws CheckpointError (no "what": the caller adds which
 * file) for a device, FIFO, socket or folder, or a file past the limit; fs errors (ENOENT, EACCES) are rethrown as
 * they are, for the caller's own messages.
 */
export function readBoundedFile(path: string, limit = maxFileBytes()): Buffer {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)); // a FIFO without a writer does not block
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error('it is a folder'), { code: 'EISDIR' });
    if (!st.isFile()) {
      const kind = st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
      throw new CheckpointError(`it is ${kind}, not a regular file`, 'pass a model file saved on disk');
    }
    if (st.size > limit) {
      throw new CheckpointError(
        `the file is ${gib(st.size)}, more than the ${gib(limit)} charnn reads`,
        `set ${MAX_FILE_ENV} to a larger number of bytes if the file is trusted`,
      );
    }
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break; // shrank while reading: what was there
      off += n;
    }
    return off === buf.length ? buf : buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

export interface JsonLimits {
  /** deepest nesting of objects and arrays */
  depth: number;
  /** most values (objects, arrays, and the items and members in them) in the whole document */
  values: number;
  /** longest string, in UTF-16 units, outside the fields in `longStrings` */
  string: number;
  /** top-level fields whose strings may be any length (a checkpoint's base64 tensor data) */
  longStrings?: readonly string[];
  /** refuse a top-level key given twice (JSON.parse would keep the last silently) */
  uniqueTopKeys?: boolean;
}

/** A checkpoint's limits: far past what charnn writes (depth ~6; a run with a loss point every step for a million
 *  steps has ~3M values), far below what costs gigabytes or overflows a stack. */
export const CHECKPOINT_JSON_LIMITS: JsonLimits = { depth: 64, values: 5_000_000, string: 1_000_000, longStrings: ['tensors', 'optimizer', 'state'] };

/**
 * JSON.parse after a scan that enforces `limits`; a failure throws CheckpointError naming the top-level field
 * (`where` is what the document is, for the message: 'the file', 'the header'). Invalid JSON is left to
 * JSON.parse (the scan stops counting at the first thing it does not expect).
 */
export function parseJsonBounded(text: string, limits: JsonLimits, where = 'the file'): unknown {
  scanJson(text, limits, where);
  return JSON.parse(text);
}

function scanJson(text: string, lim: JsonLimits, where: string): void {
  let depth = 0;
  let values = 0;
  let top = ''; // the top-level key being read (as written: escapes are not decoded)
  const keys = new Set<string>();
  const field = () => (top ? `field ${quote(top, 40)}` : where);
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0) return; // unterminated: JSON.parse says so
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c /* \ */) k--;
        if ((j - 1 - k) % 2 === 0) break;
        j++;
      }
      const len = j - i - 1;
      if (depth === 1) {
        let k = j + 1;
        while (k < n && (text.charCodeAt(k) === 0x20 || text.charCodeAt(k) === 0x0a || text.charCodeAt(k) === 0x0d || text.charCodeAt(k) === 0x09)) k++;
        if (text.charCodeAt(k) === 0x3a /* : */) {
          top = text.slice(i + 1, j);
          if (lim.uniqueTopKeys) {
            if (keys.has(top)) throw new CheckpointError(`${field()} appears twice`, 'names must be unique; the file is damaged or was edited');
            keys.add(top);
          }
        }
      }
      if (len > lim.string && !(top && lim.longStrings?.includes(top))) {
        throw new CheckpointError(`${field()} has a string of ${len} characters, more than the ${lim.string} allowed`, 'the file is damaged or was made to exhaust memory; use another file');
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > lim.depth) {
        throw new CheckpointError(`${field()} is nested more than ${lim.depth} levels deep`, 'the file is damaged or was made to crash its reader; use another file');
      }
      if (depth === 1) top = '';
      if (++values > lim.values) throw tooMany();
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */) {
      if (++values > lim.values) throw tooMany();
    }
  }
  function tooMany(): CheckpointError {
    return new CheckpointError(`${field()} holds more than ${lim.values} values`, 'the file is damaged or was made to exhaust memory; use another file');
  }
}
