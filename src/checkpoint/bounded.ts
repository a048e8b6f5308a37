/**
 * Reading untrusted files within bounds (checkpoints, safetensors files: people share models, so a file may be
 * hostile). Two parts:
 * - `readBoundedFile`: only a regular file is read (a device such as /dev/zero, a FIFO or a socket is refused by its
 *   type before a byte is read, and a FIFO is opened without blocking), and only up to a ceiling: 2 GiB by default,
 *   `CHARNN_MAX_FILE_BYTES` raises (or lowers) it. The file is read to the size fstat gave, never to exhaustion.
 * - `JsonScan` (as the file is read, chunk by chunk) and `parseJsonBounded` (a text): before JSON.parse builds a
 *   single object, one pass over the bytes checks nesting depth, the
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

/** bytes read (and checked) at a time */
const CHUNK = 8 * 1024 * 1024;

const gib = (n: number) => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : n >= 1024 ** 2 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${n} bytes`);

/**
 * The bytes of a regular file no larger than `limit`. Throws CheckpointError (no "what": the caller adds which
 * file) for a device, FIFO, socket or folder, or a file past the limit; fs errors (ENOENT, EACCES) are rethrown as
 * they are, for the caller's own messages.
 */
export function readBoundedFile(path: string, limit = maxFileBytes(), onChunk?: (chunk: Buffer) => void): Buffer {
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
      const n = readSync(fd, buf, off, Math.min(CHUNK, buf.length - off), off);
      if (n === 0) break; // shrank while reading: what was there
      onChunk?.(buf.subarray(off, off + n)); // may refuse the file before the rest is read
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
 * JSON.parse (the scan only counts).
 */
export function parseJsonBounded(text: string, limits: JsonLimits, where = 'the file'): unknown {
  const scan = new JsonScan(limits, where);
  // in pieces, so the scan never holds a second copy of a large text (a surrogate pair cut in two becomes
  // replacement bytes: not ASCII, so nothing the scan counts)
  for (let k = 0; k < text.length; k += CHUNK) scan.feed(Buffer.from(text.slice(k, k + CHUNK), 'utf8'));
  return JSON.parse(text);
}

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);

/**
 * The limits checked over UTF-8 bytes, fed in chunks as a file is read, so a hostile file is refused after the
 * chunk that breaks a limit rather than once it is all in memory. Structural characters are ASCII, and no byte of
 * a multi-byte UTF-8 sequence is ASCII, so bytes can be scanned as they come. String lengths are in bytes.
 */
export class JsonScan {
  private depth = 0;
  private values = 0;
  private inString = false;
  /** backslashes at the end of the previous chunk, inside a string */
  private backslashes = 0;
  private strLen = 0;
  /** the bytes of a string at depth 1 (a key, if a colon follows), up to 200 */
  private keyBytes: number[] = [];
  private keyTruncated = false;
  /** after a string at depth 1: waiting for the next non-space byte (a colon makes it the key) */
  private afterTopString = false;
  private top = '';
  private readonly keys = new Set<string>();

  constructor(private readonly lim: JsonLimits, private readonly where: string) {}

  feed(b: Buffer): void {
    const lim = this.lim;
    const n = b.length;
    for (let i = 0; i < n; i++) {
      if (this.inString) {
        // the next quote (native search: base64 tensor data is skipped at memory speed); it ends the string unless
        // an odd run of backslashes comes before it (the run may have begun in the previous chunk)
        const q = b.indexOf(0x22, i);
        const end = q < 0 ? n : q;
        let k = end - 1;
        while (k >= i && b[k] === 0x5c) k--;
        const run = end - 1 - k + (k < i ? this.backslashes : 0);
        if (this.depth === 1 && this.keyBytes.length < 200) {
          for (let x = i; x < end && this.keyBytes.length < 200; x++) this.keyBytes.push(b[x]);
          if (end - i > 200) this.keyTruncated = true;
        }
        this.strLen += end - i;
        if (q < 0) {
          this.backslashes = run;
          break;
        }
        i = q;
        if (run % 2 === 1) {
          // an escaped quote: part of the string
          this.strLen++;
          this.backslashes = 0;
          if (this.depth === 1 && this.keyBytes.length < 200) this.keyBytes.push(0x22);
          continue;
        }
        this.inString = false;
        this.backslashes = 0;
        if (this.strLen > lim.string && !(this.top && lim.longStrings?.includes(this.top))) {
          throw new CheckpointError(`${this.field()} has a string of ${this.strLen} bytes, more than the ${lim.string} allowed`, 'the file is damaged or was made to exhaust memory; use another file');
        }
        if (this.depth === 1) this.afterTopString = true;
        continue;
      }
      const c = b[i];
      if (WS.has(c)) continue;
      if (this.afterTopString) {
        this.afterTopString = false;
        if (c === 0x3a /* : */) {
          this.top = Buffer.from(this.keyBytes).toString('utf8') + (this.keyTruncated ? '…' : '');
          if (lim.uniqueTopKeys) {
            if (this.keys.has(this.top)) throw new CheckpointError(`${this.field()} appears twice`, 'names must be unique; the file is damaged or was edited');
            this.keys.add(this.top);
          }
        }
      }
      if (c === 0x22 /* " */) {
        this.inString = true;
        this.strLen = 0;
        this.keyBytes = [];
        this.keyTruncated = false;
      } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (++this.depth > lim.depth) {
          throw new CheckpointError(`${this.field()} is nested more than ${lim.depth} levels deep`, 'the file is damaged or was made to crash its reader; use another file');
        }
        if (this.depth === 1) this.top = '';
        if (++this.values > lim.values) throw this.tooMany();
      } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        this.depth--;
      } else if (c === 0x2c /* , */) {
        if (++this.values > lim.values) throw this.tooMany();
      }
    }
  }

  private field(): string {
    return this.top ? `field ${quote(this.top, 40)}` : this.where;
  }

  private tooMany(): CheckpointError {
    return new CheckpointError(`${this.field()} holds more than ${this.lim.values} values`, 'the file is damaged or was made to exhaust memory; use another file');
  }
}
