/**
 * What the commands read: the corpus (path, '-' for stdin, or a registry name) with its SHA-256, and checkpoints
 * found implicitly (checkpoint/find.ts: the newest under ./checkpoints/, else the model bundled with the package).
 */
import { createHash } from 'node:crypto';
import { basename, extname, relative, isAbsolute } from 'node:path';
import { findDefaultCheckpoint as findCheckpoint } from '../checkpoint/find.js';
import type { CorpusInfo } from '../checkpoint/schema.js';
import { CorpusError } from '../corpus/errors.js';
import { resolveCorpus } from '../corpus/resolve.js';
import { readCorpus } from '../data/corpus.js';
import { corpusProgress } from './corpus.js';
import { CliError } from './errors.js';
import type { Ui } from './ui.js';

export interface CorpusBytes {
  bytes: Uint8Array;
  /** what the user passed, for the checkpoint and messages */
  source: string;
  /** the absolute path read, null for stdin */
  path: string | null;
  /** short name for the default run name */
  stem: string;
  sha256: string;
}

/** Read the corpus named by the command-line argument. */
export async function readCorpusArg(arg: string | undefined, ui: Ui): Promise<CorpusBytes> {
  const progress = corpusProgress();
  let path: string;
  let stem: string;
  try {
    const r = await resolveCorpus(arg, { onStatus: progress.onStatus, onProgress: progress.onProgress });
    if (r.kind === 'stdin') {
      if (process.stdin.isTTY) ui.info('reading the corpus from the terminal; end it with Ctrl-D');
      path = '-';
      stem = 'stdin';
    } else {
      path = r.path;
      stem = r.origin === 'path' ? basename(r.path, extname(r.path)) : r.entry.name;
    }
  } catch (e) {
    // corpus errors are already "what: why (hint)"
    if (e instanceof CorpusError) throw Object.assign(new CliError(e.message), { cause: e }); // the code tells offline apart
    throw e;
  } finally {
    progress.stop();
  }
  let bytes: Uint8Array;
  try {
    bytes = await readCorpus(path, process.stdin);
  } catch (e) {
    throw new CliError((e as Error).message, undefined, 'cannot read the corpus');
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { bytes, source: arg ?? stem, path: path === '-' ? null : path, stem: stem.replace(/[^\w.-]+/g, '_') || 'corpus', sha256 };
}

/** The corpus as a checkpoint records it: the absolute path too, so `eval` finds it from any folder. */
export function corpusInfo(c: CorpusBytes, chars: number): CorpusInfo {
  return { source: c.source, ...(c.path ? { path: c.path } : {}), bytes: c.bytes.length, chars, sha256: c.sha256 };
}

/** The checkpoint `sample` uses when none is given (checkpoint/find.ts), as the user would type its path. */
export function findDefaultCheckpoint(cwd = process.cwd()): { path: string; why: string } | null {
  const found = findCheckpoint(cwd);
  return found && { path: displayPath(found.path, cwd), why: found.why };
}

/** A path as the user would type it: relative to the CWD when inside it. */
export function displayPath(p: string, cwd = process.cwd()): string {
  const rel = relative(cwd, p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}
