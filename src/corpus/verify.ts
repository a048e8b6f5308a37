/**
 * Size and SHA-256 checks, and the one way a corpus enters the cache: streamed into a temp file beside its
 * destination, hashed on the way, renamed into place only when size and hash both match. Any failure removes
 * the temp file, so the cache never holds a partial or wrong file under a real name.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CorpusError } from './errors.js';

export interface Expected {
  bytes: number;
  sha256: string;
}

export type ProgressFn = (bytes: number, total: number) => void;

/** SHA-256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** True when `path` is a regular file of exactly the expected size and hash. */
export async function isVerified(path: string, expect: Expected): Promise<boolean> {
  try {
    const st = await stat(path);
    if (!st.isFile() || st.size !== expect.bytes) return false;
    return (await sha256File(path)) === expect.sha256;
  } catch {
    return false;
  }
}

/** A stream failure part-way through; `received` lets the caller say "truncated after N of M bytes". */
export class StreamFailure extends Error {
  constructor(
    readonly received: number,
    reason: unknown,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

/**
 * Streams `source` into `dest` through a temp file, checking size and hash. `label` names the source in
 * errors (a URL or a path). Throws CorpusError('size' | 'hash') on a mismatch, StreamFailure if the source
 * errors; in every failure case nothing is left at `dest` or in the temp file.
 */
export async function installVerified(
  source: Readable,
  dest: string,
  expect: Expected,
  label: string,
  onProgress?: ProgressFn,
): Promise<void> {
  const tmp = join(dirname(dest), `.${basename(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
  const hash = createHash('sha256');
  let received = 0;
  let tooBig = false;
  let renamed = false;
  try {
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            received += chunk.length;
            if (received > expect.bytes) {
              tooBig = true;
              throw new Error('more bytes than expected');
            }
            hash.update(chunk);
            onProgress?.(received, expect.bytes);
            yield chunk;
          }
        },
        createWriteStream(tmp, { flags: 'wx' }),
      );
    } catch (err) {
      if (tooBig)
        throw new CorpusError('size', `${label} is larger than the expected ${expect.bytes} bytes; it was discarded`);
      throw new StreamFailure(received, err);
    }
    if (received !== expect.bytes)
      throw new CorpusError('size', `${label} was truncated: got ${received} of ${expect.bytes} bytes; it was discarded`);
    const got = hash.digest('hex');
    if (got !== expect.sha256)
      throw new CorpusError(
        'hash',
        `${label} has SHA-256 ${got}, expected ${expect.sha256}; it was discarded (wrong or altered file)`,
      );
    await rename(tmp, dest);
    renamed = true;
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
}
