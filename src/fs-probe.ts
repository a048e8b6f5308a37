/** Questions about paths that never throw (a path may vanish between a listing and a look). */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';

/** The names in a folder, or none when it cannot be read. */
export function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** A path as the user would type it: relative to the CWD when inside it. */
export function displayPath(p: string, cwd = process.cwd()): string {
  const rel = relative(cwd, p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}
