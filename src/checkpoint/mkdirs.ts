/**
 * `mkdir -p` that cannot hang. Node's recursive mkdirSync retries forever where the kernel answers ENOENT for a
 * folder whose parent exists (/proc, some FUSE mounts): it takes the ENOENT to mean "parent missing" and loops.
 * Here each missing folder is created once, parent first, and an ENOENT under an existing parent is an error.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Create `dir` and its missing parents. Returns the first folder created (undefined if `dir` existed), as
 *  mkdirSync(dir, { recursive: true }) does. Throws the fs error (code EEXIST: a file is in the way). */
export function makeDirs(dir: string): string | undefined {
  const missing: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    try {
      if (!statSync(p).isDirectory()) throw Object.assign(new Error(`${p} is not a folder`), { code: missing.length ? 'ENOTDIR' : 'EEXIST' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !isDir(missing[i])) throw e; // EEXIST: a racing creator won
    }
  }
  return missing[missing.length - 1];
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
