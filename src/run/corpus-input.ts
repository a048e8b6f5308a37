/**
 * Reading a run's corpus: a path, '-' for standard input, or a registry name (fetched into the cache), with its
 * SHA-256, and the record of it a checkpoint keeps. Shared by `charnn train` (which shows download progress and
 * a hint when stdin is a terminal, through the hooks) and the library's train().
 */
import { createHash } from 'node:crypto';
import { basename, extname, isAbsolute, relative } from 'node:path';
import type { CorpusInfo } from '../checkpoint/schema.js';
import { CorpusError } from '../corpus/errors.js';
import { resolveCorpus, type ResolveOptions } from '../corpus/resolve.js';
import { readCorpus } from '../data/corpus.js';
import { CliError } from './errors.js';

export interface CorpusBytes {
  bytes: Uint8Array;
  /** what the user passed, for the checkpoint and messages */
  source: string;
  /** short name for the default run name */
  stem: string;
  sha256: string;
}

export interface CorpusHooks extends Pick<ResolveOptions, 'onStatus' | 'onProgress'> {
  /** called before reading a corpus from standard input */
  onStdin?: () => void;
}

/** Read the corpus named by `arg` (undefined: the default registry corpus). */
export async function readCorpusInput(arg: string | undefined, hooks: CorpusHooks = {}): Promise<CorpusBytes> {
  let path: string;
  let stem: string;
  try {
    const r = await resolveCorpus(arg, { onStatus: hooks.onStatus, onProgress: hooks.onProgress });
    if (r.kind === 'stdin') {
      hooks.onStdin?.();
      path = '-';
      stem = 'stdin';
    } else {
      path = r.path;
      stem = r.origin === 'path' ? basename(r.path, extname(r.path)) : r.entry.name;
    }
  } catch (e) {
    // corpus errors are already "what: why (hint)"
    if (e instanceof CorpusError) throw new CliError(e.message);
    throw e;
  }
  let bytes: Uint8Array;
  try {
    bytes = await readCorpus(path, process.stdin);
  } catch (e) {
    throw new CliError((e as Error).message, undefined, 'cannot read the corpus');
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { bytes, source: arg ?? stem, stem: stem.replace(/[^\w.-]+/g, '_') || 'corpus', sha256 };
}

export function corpusInfo(c: CorpusBytes, chars: number): CorpusInfo {
  return { source: c.source, bytes: c.bytes.length, chars, sha256: c.sha256 };
}

/** A path as the user would type it: relative to the CWD when inside it. */
export function displayPath(p: string, cwd = process.cwd()): string {
  const rel = relative(cwd, p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}
