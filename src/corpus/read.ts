/**
 * Reading a corpus file or stream: infrastructure (the core in data/ does no I/O). Returns the raw bytes (decoding
 * and validation are `encodeUtf8`'s job in data/vocab.ts), so a large corpus is never held as a JS string.
 * Errors are plain Errors with a clear message and a hint; the CLI formats them. No process.exit, no console.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/** Where '-' reads from: anything async-iterable yielding byte chunks (process.stdin in the CLI). */
export type ByteSource = AsyncIterable<Uint8Array | string>;

/** Reads a whole byte stream (e.g. stdin) into one Buffer. */
export async function readStream(source: ByteSource): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    chunks.push(buf);
    total += buf.length;
  }
  return Buffer.concat(chunks, total);
}

/**
 * The corpus bytes from a file path, or from `stdin` when path is '-'.
 * Throws Errors for: no such file, a directory, unreadable, empty file or empty stdin.
 */
export async function readCorpus(path: string, stdin?: ByteSource): Promise<Uint8Array> {
  if (path === '-') {
    if (!stdin) throw new Error('cannot read the corpus from stdin: no input stream was given');
    const bytes = await readStream(stdin);
    if (bytes.length === 0) throw new Error('the corpus on stdin is empty (pipe some text in, or give a file path)');
    return bytes;
  }
  if (path === '') throw new Error('no corpus path given (give a text file, or - for stdin)');
  let bytes: Uint8Array;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(describeReadError(path, e));
  }
  if (bytes.length === 0) throw new Error(`corpus file ${path} is empty (give a text file with some content)`);
  return bytes;
}

function describeReadError(path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return `corpus file ${path} does not exist (check the path)`;
    case 'ENOTDIR':
      return `corpus path ${path} is not valid: a part of it is not a directory (check the path)`;
    case 'EISDIR':
      return `corpus path ${path} is a directory (give a text file inside it)`;
    case 'EACCES':
    case 'EPERM':
      return `corpus file ${path} is not readable: permission denied (check its permissions)`;
    default:
      return `cannot read corpus file ${path}: ${(e as Error | undefined)?.message ?? String(e)}`;
  }
}

/** A corpus file's bytes and its SHA-256. `hash` (optional) is also fed every byte, in order: the digest of a
 *  corpus of several files. Read in pieces so `onProgress(bytesRead, size)` can report on a large file. */
export function readCorpusFile(path: string, onProgress?: (done: number, total: number) => void, hash?: Hash): { bytes: Uint8Array; sha256: string } {
  let fd: number | undefined;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
    fd = openSync(path, 'r');
    const own = createHash('sha256');
    const bytes = Buffer.allocUnsafe(st.size); // what the file holds now (one growing meanwhile is read to that size)
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, Math.min(PIECE, bytes.length - got), got);
      if (n === 0) break;
      own.update(bytes.subarray(got, got + n));
      hash?.update(bytes.subarray(got, got + n));
      got += n;
      onProgress?.(got, st.size);
    }
    return { bytes: bytes.subarray(0, got), sha256: own.digest('hex') };
  } catch (e) {
    throw new Error(describeReadError(path, e));
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const PIECE = 8 << 20;
