/**
 * The training output folder: created if needed (makeDirs: never hangs, as Node's recursive mkdir does on /proc)
 * and checked writable before any training starts, with fs error codes turned into plain reasons. A failure is
 * diagnosed again on the deepest folder that exists. Default run folders are created exclusively, so two runs
 * started in the same second get two folders.
 */
import { accessSync, constants as fsc, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeDirs } from '../../checkpoint/mkdirs.js';
import { CharnnError } from '../../errors.js';

const REASONS: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'it is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted (is the folder immutable or protected?)',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exceeded',
  ENAMETOOLONG: 'the path is too long',
  // mkdir or open under an existing folder answered "no such file": a pseudo file system such as /proc
  ENOENT: 'this file system does not allow new files or folders there',
};

/** Make `dir` exist and be writable, or throw a CharnnError `cannot use output folder <shown>: why (hint)`.
 *  Returns the first folder it had to create (undefined if `dir` existed), so an unused one can be removed. */
export function prepareOutDir(dir: string, shown: string): string | undefined {
  try {
    const created = makeDirs(dir);
    accessSync(dir, fsc.W_OK);
    return created;
  } catch (e) {
    throw folderError(dir, shown, e);
  }
}

/** `cannot use output folder <shown>: why (hint)` for an fs error met while preparing or locking `dir`. */
export function folderError(dir: string, shown: string, e: unknown): CharnnError {
  const code = diagnose(dir, e as NodeJS.ErrnoException);
  const why = REASONS[code] ?? (e as Error).message;
  return new CharnnError(why, 'choose a writable folder with --out', `cannot use output folder ${shown}`);
}

/** Create a new folder `<parent>/<base>` (or `<base>-2`, `-3`, ... if taken, by another run started in the same
 *  second for instance): mkdir without `recursive` fails if the folder exists, so no two runs get the same one.
 *  Returns the folder and the first folder created (the parent, if it had to be made). */
export function createUniqueDir(parent: string, base: string, shown: (p: string) => string): { dir: string; created: string } {
  const madeParent = prepareOutDir(parent, shown(parent));
  for (let i = 1; ; i++) {
    const dir = join(parent, i === 1 ? base : `${base}-${i}`);
    try {
      mkdirSync(dir);
      return { dir, created: madeParent ?? dir };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && i < 1000) continue;
      const code = (e as NodeJS.ErrnoException).code ?? '';
      throw new CharnnError(REASONS[code] ?? (e as Error).message, 'choose a writable folder with --out', `cannot use output folder ${shown(dir)}`);
    }
  }
}

/** The error code that explains why `dir` could not be made writable. */
function diagnose(dir: string, e: NodeJS.ErrnoException): string {
  if (e.code !== 'ENOENT') return e.code ?? '';
  // find the deepest existing ancestor and ask it
  let p = dir;
  for (;;) {
    try {
      const st = statSync(p);
      if (!st.isDirectory()) return 'ENOTDIR';
      accessSync(p, fsc.W_OK);
      return 'ENOENT';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code !== 'ENOENT') return code;
    }
    const up = dirname(p);
    if (up === p) return 'ENOENT';
    p = up;
  }
}
