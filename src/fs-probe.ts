/** Questions about paths that never throw (a path may vanish between a listing and a look). */
import { readdirSync, statSync } from 'node:fs';

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
