/**
 * Where fetched corpora live. Decision: the package's own corpora/ folder (beside registry.json, ignored by
 * git) when it is writable, as in a clone or a local install; otherwise (a global install owned by root) the
 * user cache `$XDG_CACHE_HOME/charnn/corpora`, default `~/.cache/charnn/corpora`. Both are read, package first,
 * so a corpus fetched either way is found. `CHARNN_CORPUS_CACHE` (or the `cacheDir` option) replaces both with
 * one folder.
 */
import { constants } from 'node:fs';
import { access, mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CorpusError } from './errors.js';
import type { CorpusEntry } from './registry.js';
import { packageRoot } from './registry.js';
import { isVerified } from './verify.js';

export interface CacheOptions {
  /** One folder for reads and writes (tests, CHARNN_CORPUS_CACHE). */
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
}

export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'charnn', 'corpora');
}

/** Candidate cache folders, in lookup order. */
export function cacheDirs(opts: CacheOptions = {}): string[] {
  const env = opts.env ?? process.env;
  const explicit = opts.cacheDir ?? (env.CHARNN_CORPUS_CACHE || undefined);
  if (explicit) return [resolve(explicit)];
  return [join(packageRoot(), 'corpora'), userCacheDir(env)];
}

export function cachedPath(dir: string, entry: CorpusEntry): string {
  return join(dir, `${entry.name}.txt`);
}

/**
 * The path of a cached copy that verifies, else undefined. A cached file that fails the check (truncated by a
 * full disk, edited by hand) is removed so it is fetched again rather than used.
 */
export async function findCached(entry: CorpusEntry, opts: CacheOptions = {}): Promise<string | undefined> {
  for (const dir of cacheDirs(opts)) {
    const p = cachedPath(dir, entry);
    if (await isVerified(p, entry)) return p;
    await unlink(p).catch(() => undefined);
  }
  return undefined;
}

/** The first candidate cache folder that exists (or can be made) and is writable. */
export async function writableCacheDir(opts: CacheOptions = {}): Promise<string> {
  return firstWritableDir(cacheDirs(opts));
}

/** The first of `dirs` that exists (or can be made) and is writable; a CorpusError naming each refusal if none. */
export async function firstWritableDir(dirs: string[]): Promise<string> {
  const why: string[] = [];
  for (const dir of dirs) {
    try {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
      return dir;
    } catch (err) {
      why.push(`${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  throw new CorpusError('cache', `no writable corpus cache folder (${why.join('; ')}) (set CHARNN_CORPUS_CACHE to a writable folder)`);
}

/**
 * Removes temp files (`.<name>.txt.<pid>.<rand>.part`) left by an interrupted fetch of this corpus. A live
 * download writes to its temp file continuously and gives up after its idle timeout, so one untouched for an
 * hour is dead.
 */
export async function removeStaleParts(dir: string, entry: CorpusEntry, maxAgeMs = 3_600_000): Promise<void> {
  const prefix = `.${entry.name}.txt.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith('.part')) continue;
    const p = join(dir, n);
    const st = await stat(p).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > maxAgeMs) await unlink(p).catch(() => undefined);
  }
}
