/**
 * What the commands read: the corpus (path, '-' for stdin, or a registry name) with its SHA-256, and checkpoints
 * found implicitly (the newest under ./checkpoints/, else the model bundled with the package).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative, isAbsolute, resolve } from 'node:path';
import type { CorpusFile, CorpusInfo } from '../checkpoint/schema.js';
import { CorpusError } from '../corpus/errors.js';
import { packageRoot } from '../corpus/registry.js';
import { resolveCorpus } from '../corpus/resolve.js';
import { readCorpus, readCorpusFile } from '../data/corpus.js';
import { isPrepared, type Preparation } from '../data/prepare.js';
import { corpusProgress, humanBytes } from './corpus.js';
import { expandCorpusArgs, isMultiFile } from './corpus-files.js';
import { attemptSync, CliError } from './errors.js';
import type { Ui } from './ui.js';

export interface CorpusBytes {
  /** the bytes of each file, in training order (one part for a single file, stdin or a registry corpus) */
  parts: Uint8Array[];
  /** name, size and SHA-256 of each part */
  files: CorpusFile[];
  /** what the user passed, for the checkpoint and messages */
  source: string;
  /** short name for the default run name */
  stem: string;
  /** of all the bytes, in order (one file: that file's) */
  sha256: string;
}

/** Read the corpus named by the command-line arguments: none (the default corpus), one path, '-' or registry
 *  name, or several files, folders and globs (corpus-files.ts). Long reads show progress. */
export async function readCorpusArg(arg: string | readonly string[] | undefined, ui: Ui): Promise<CorpusBytes> {
  const args = arg === undefined ? [] : typeof arg === 'string' ? [arg] : [...arg];
  if (args.length > 1 || (args.length === 1 && isMultiFile(args[0]))) return readFiles(args, ui);
  return readOne(args[0], ui);
}

async function readOne(arg: string | undefined, ui: Ui): Promise<CorpusBytes> {
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
  let sha256: string;
  const task = ui.task(`reading ${path === '-' ? 'standard input' : displayPath(resolve(path))}`);
  try {
    if (path === '-') {
      bytes = await readCorpus(path, process.stdin);
      sha256 = createHash('sha256').update(bytes).digest('hex');
    } else {
      ({ bytes, sha256 } = readCorpusFile(path, (done, total) => task.update(done, total, `${humanBytes(done)} of ${humanBytes(total)}`)));
      if (bytes.length === 0) throw new Error(`corpus file ${path} is empty (give a text file with some content)`);
    }
  } catch (e) {
    throw new CliError((e as Error).message, undefined, 'cannot read the corpus');
  } finally {
    task.stop();
  }
  const source = arg ?? stem;
  return { parts: [bytes], files: [{ name: source, bytes: bytes.length, sha256 }], source, stem: safeStem(stem), sha256 };
}

const safeStem = (stem: string) => stem.replace(/[^\w.-]+/g, '_') || 'corpus';

/** Several files, folders or globs: read in the stated order, each hashed, and the whole too. */
function readFiles(args: string[], ui: Ui): CorpusBytes {
  const paths = expandCorpusArgs(args);
  let total = 0;
  for (const p of paths) {
    try {
      total += statSync(p).size;
    } catch {
      /* readCorpusFile says why */
    }
  }
  const all = createHash('sha256');
  const parts: Uint8Array[] = [];
  const files: CorpusFile[] = [];
  const task = ui.task(`reading ${paths.length} files`);
  let before = 0;
  try {
    for (const p of paths) {
      const r = attemptSync('cannot read the corpus', () =>
        readCorpusFile(p, (done) => task.update(before + done, total, `${humanBytes(before + done)} of ${humanBytes(total)}`), all),
      );
      parts.push(r.bytes);
      files.push({ name: displayPath(resolve(p)), bytes: r.bytes.length, sha256: r.sha256 });
      before += r.bytes.length;
    }
  } finally {
    task.stop();
  }
  if (before === 0) throw new CliError(`the corpus files (${paths.length}) are all empty`, 'give text files with some content', 'cannot read the corpus');
  const first = args[0].replace(/[/\\]+$/, '');
  const stem = isMultiFile(args[0]) && existsSync(first) ? basename(first) : basename(paths[0], extname(paths[0]));
  return { parts, files, source: files.map((f) => f.name).join(' '), stem: safeStem(stem), sha256: all.digest('hex') };
}

export function corpusInfo(c: CorpusBytes, chars: number, preparation?: Preparation): CorpusInfo {
  const bytes = c.parts.reduce((s, b) => s + b.length, 0);
  const info: CorpusInfo = { source: c.source, bytes, chars, sha256: c.sha256 };
  info.files = c.files;
  if (preparation && isPrepared(preparation)) info.preparation = preparation;
  return info;
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
