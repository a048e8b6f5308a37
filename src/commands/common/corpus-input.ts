/**
 * Reading a run's corpus: a path, '-' for standard input, or a registry name (fetched into the cache), with its
 * SHA-256, and the record of it a checkpoint keeps. Shared by `charnn train` (which shows download progress and
 * a hint when stdin is a terminal, through the hooks) and the library's train().
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import type { CorpusFile, CorpusInfo } from '../../checkpoint/schema.js';
import { CorpusError } from '../../corpus/errors.js';
import { resolveCorpus } from '../../corpus/resolve.js';
import { readCorpusFile } from '../../corpus/read.js';
import { isPrepared, type Preparation } from '../../data/prepare.js';
import { expandCorpusArgs, isMultiFile } from './corpus-files.js';
import { attemptSync, CharnnError } from '../../errors.js';
import { humanBytes } from '../format.js';
import { NO_TASK, type Io } from '../io.js';
import { displayPath } from '../../fs-probe.js';

export { displayPath };

export interface CorpusBytes {
  /** the bytes of each file, in training order (one part for a single file, stdin or a registry corpus) */
  parts: Uint8Array[];
  /** name, size and SHA-256 of each part */
  files: CorpusFile[];
  /** what the user passed, for the checkpoint and messages */
  source: string;
  /** the absolute path read, null for stdin */
  path: string | null;
  /** short name for the default run name */
  stem: string;
  /** of all the bytes, in order (one file: that file's) */
  sha256: string;
}

/** What reading a corpus needs of the io port: standard input, the folder and environment, progress. */
export type CorpusIo = Pick<Io, 'stdin' | 'stdinIsTTY' | 'cwd' | 'env' | 'info' | 'corpusStatus' | 'corpusProgress'> & Partial<Pick<Io, 'task'>>;

/** Read the corpus named by the arguments: none (the default registry corpus), one path, '-' or registry name, or
 *  several files, folders and globs (corpus-files.ts). */
export async function readCorpusInput(arg: string | readonly string[] | undefined, io: CorpusIo): Promise<CorpusBytes> {
  const args = arg === undefined ? [] : typeof arg === 'string' ? [arg] : [...arg];
  if (args.length > 1 || (args.length === 1 && isMultiFile(args[0]))) return readFiles(args, io);
  return readOne(args[0], io);
}

async function readOne(arg: string | undefined, io: CorpusIo): Promise<CorpusBytes> {
  let path: string;
  let stem: string;
  try {
    const r = await resolveCorpus(arg, { onStatus: io.corpusStatus, onProgress: io.corpusProgress, cwd: io.cwd, env: io.env as NodeJS.ProcessEnv });
    if (r.kind === 'stdin') {
      if (io.stdinIsTTY) io.info('reading the corpus from the terminal; end it with Ctrl-D');
      path = '-';
      stem = 'stdin';
    } else {
      path = r.path;
      stem = r.origin === 'path' ? basename(r.path, extname(r.path)) : r.entry.name;
    }
  } catch (e) {
    // corpus errors are already "what: why (hint)"
    if (e instanceof CorpusError) throw Object.assign(new CharnnError(e.message), { cause: e }); // the code tells offline apart
    throw e;
  }
  let bytes: Uint8Array;
  let sha256: string;
  const task = io.task?.(`reading ${path === '-' ? 'standard input' : displayPath(resolve(io.cwd, path), io.cwd)}`) ?? NO_TASK;
  try {
    if (path === '-') {
      bytes = await io.stdin();
      if (bytes.length === 0) throw new Error('the corpus on stdin is empty (pipe some text in, or give a file path)');
      sha256 = createHash('sha256').update(bytes).digest('hex');
    } else {
      ({ bytes, sha256 } = readCorpusFile(path, (done, total) => task.update(done, total, `${humanBytes(done)} of ${humanBytes(total)}`)));
      if (bytes.length === 0) throw new Error(`corpus file ${path} is empty (give a text file with some content)`);
    }
  } catch (e) {
    throw new CharnnError((e as Error).message, undefined, 'cannot read the corpus');
  } finally {
    task.stop();
  }
  const source = arg ?? stem;
  return { parts: [bytes], files: [{ name: source, bytes: bytes.length, sha256 }], source, path: path === '-' ? null : resolve(path), stem: safeStem(stem), sha256 };
}

const safeStem = (stem: string) => stem.replace(/[^\w.-]+/g, '_') || 'corpus';

/** Several files, folders or globs: read in the stated order, each hashed, and the whole too. */
function readFiles(args: string[], io: CorpusIo): CorpusBytes {
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
  const task = io.task?.(`reading ${paths.length} files`) ?? NO_TASK;
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
  if (before === 0) throw new CharnnError(`the corpus files (${paths.length}) are all empty`, 'give text files with some content', 'cannot read the corpus');
  const first = args[0].replace(/[/\\]+$/, '');
  const stem = isMultiFile(args[0]) && existsSync(first) ? basename(first) : basename(paths[0], extname(paths[0]));
  return { parts, files, source: files.map((f) => f.name).join(' '), path: null, stem: safeStem(stem), sha256: all.digest('hex') };
}

/** The corpus as a checkpoint records it: a single file's absolute path too, so `eval` finds it from any folder. */
export function corpusInfo(c: CorpusBytes, chars: number, preparation?: Preparation): CorpusInfo {
  const bytes = c.parts.reduce((s, b) => s + b.length, 0);
  const info: CorpusInfo = { source: c.source, ...(c.path ? { path: c.path } : {}), bytes, chars, sha256: c.sha256 };
  info.files = c.files;
  if (preparation && isPrepared(preparation)) info.preparation = preparation;
  return info;
}
