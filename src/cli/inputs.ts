/**
 * What the commands read: the corpus (path, '-' for stdin, or a registry name) with its SHA-256, and checkpoints
 * found implicitly (the newest under ./checkpoints/, else the model bundled with the package).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative, isAbsolute } from 'node:path';
import type { CorpusInfo } from '../checkpoint/schema.js';
import { CorpusError } from '../corpus/errors.js';
import { packageRoot } from '../corpus/registry.js';
import { resolveCorpus } from '../corpus/resolve.js';
import { readCorpus } from '../data/corpus.js';
import { corpusProgress } from './corpus.js';
import { CliError } from './errors.js';
import type { Ui } from './ui.js';

export interface CorpusBytes {
  bytes: Uint8Array;
  /** what the user passed, for the checkpoint and messages */
  source: string;
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
    if (e instanceof CorpusError) throw new CliError(e.message);
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
  return { bytes, source: arg ?? stem, stem: stem.replace(/[^\w.-]+/g, '_') || 'corpus', sha256 };
}

export function corpusInfo(c: CorpusBytes, chars: number): CorpusInfo {
  return { source: c.source, bytes: c.bytes.length, chars, sha256: c.sha256 };
}

/** The checkpoint `sample` uses when none is given: best.json (else latest.json) of the most recently written
 *  run folder under ./checkpoints/ (also files directly in it), else the package's bundled model. */
export function findDefaultCheckpoint(cwd = process.cwd()): { path: string; why: string } | null {
  const root = join(cwd, 'checkpoints');
  let newest: { path: string; mtime: number } | null = null;
  const consider = (p: string) => {
    try {
      const st = statSync(p);
      if (st.isFile() && (!newest || st.mtimeMs > newest.mtime)) newest = { path: p, mtime: st.mtimeMs };
    } catch {
      /* vanished */
    }
  };
  if (existsSync(root)) {
    for (const entry of safeList(root)) {
      const p = join(root, entry);
      if (entry.endsWith('.json')) consider(p);
      else if (isDir(p)) {
        // a run folder: its newest file decides its age; best.json is preferred for sampling
        const files = ['latest.json', 'best.json'].map((f) => join(p, f)).filter((f) => existsSync(f));
        if (!files.length) continue;
        const age = Math.max(...files.map((f) => statSync(f).mtimeMs));
        const pick = files.find((f) => f.endsWith('best.json')) ?? files[0];
        if (!newest || age > newest.mtime) newest = { path: pick, mtime: age };
      }
    }
  }
  if (newest) return { path: displayPath((newest as { path: string }).path, cwd), why: 'the newest under ./checkpoints/' };
  const bundled = join(packageRoot(), 'checkpoints', 'pretrained');
  if (existsSync(bundled)) {
    const files = safeList(bundled).filter((f) => f.endsWith('.json')).sort();
    if (files.length) return { path: join(bundled, files[0]), why: 'the model bundled with charnn' };
  }
  return null;
}

const safeList = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};
const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** A path as the user would type it: relative to the CWD when inside it. */
export function displayPath(p: string, cwd = process.cwd()): string {
  const rel = relative(cwd, p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}
