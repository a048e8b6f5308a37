/**
 * The training output folder: created if needed and checked writable before any training starts, with fs error
 * codes turned into plain reasons. Node's recursive mkdir reports some failures (a read-only file system) as
 * ENOENT, so a failure is diagnosed again on the deepest folder that exists.
 */
import { accessSync, constants as fsc, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CliError } from './errors.js';

const REASONS: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'it is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted (is the folder immutable or protected?)',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exceeded',
  ENAMETOOLONG: 'the path is too long',
};

/** Make `dir` exist and be writable, or throw a CliError `cannot use output folder <shown>: why (hint)`.
 *  Returns the first folder it had to create (undefined if `dir` existed), so an unused one can be removed. */
export function prepareOutDir(dir: string, shown: string): string | undefined {
  try {
    const created = mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'EEXIST' });
    accessSync(dir, fsc.W_OK);
    return created;
  } catch (e) {
    const code = diagnose(dir, e as NodeJS.ErrnoException);
    const why = REASONS[code] ?? (e as Error).message;
    throw new CliError(why, 'choose a writable folder with --out', `cannot use output folder ${shown}`);
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
