/**
 * `resolveCorpus(arg)`: what the CLI calls to turn its corpus argument into something to read.
 *   undefined      -> the registry default (tinyshakespeare)
 *   '-'            -> stdin (the caller reads it)
 *   existing path  -> that file, as is
 *   registry name  -> verified cached copy, else CHARNN_CORPUS_MIRROR (folder or base URL), else its URL(s)
 * A registry corpus is only ever returned after its size and SHA-256 matched.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedPath, findCached, removeStaleParts, writableCacheDir, type CacheOptions } from './cache.js';
import { CorpusError } from './errors.js';
import { downloadVerified, type FetchOptions } from './fetch.js';
import { findCorpus, loadRegistry, urlFileName, type CorpusEntry, type Registry } from './registry.js';
import { installVerified, StreamFailure } from './verify.js';

export type ResolvedCorpus =
  | { kind: 'stdin' }
  | { kind: 'file'; path: string; origin: 'path' }
  | { kind: 'file'; path: string; origin: 'cache' | 'mirror' | 'download'; entry: CorpusEntry };

export interface ResolveOptions extends FetchOptions, CacheOptions {
  /** A registry already loaded, else read from `registryPath` (default: the package's corpora/registry.json,
   *  or CHARNN_CORPUS_REGISTRY). */
  registry?: Registry;
  registryPath?: string;
  /** Folder or http(s) base URL; default CHARNN_CORPUS_MIRROR; null: no mirror even if the variable is set. */
  mirror?: string | null;
  /** Relative paths resolve against this (default process.cwd()). */
  cwd?: string;
  /** Told what is being tried ("downloading ... from URL"), for a log line. */
  onStatus?: (message: string) => void;
}

function registryFrom(opts: ResolveOptions): Registry {
  if (opts.registry) return opts.registry;
  const env = opts.env ?? process.env;
  return loadRegistry(opts.registryPath ?? (env.CHARNN_CORPUS_REGISTRY || undefined));
}

export async function resolveCorpus(arg?: string, opts: ResolveOptions = {}): Promise<ResolvedCorpus> {
  if (arg === '-') return { kind: 'stdin' };
  if (arg === undefined) {
    const reg = registryFrom(opts);
    return fetchRegistryCorpus(findCorpus(reg, reg.default)!, opts);
  }
  const path = resolvePath(opts.cwd ?? process.cwd(), arg);
  const st = await stat(path).catch(() => undefined);
  if (st?.isFile()) return { kind: 'file', path, origin: 'path' };
  if (st?.isDirectory())
    throw new CorpusError('not-found', `cannot use corpus ${arg}: it is a folder (pass a text file, or - for stdin)`);
  const reg = registryFrom(opts);
  const entry = findCorpus(reg, arg);
  if (!entry)
    throw new CorpusError(
      'not-found',
      `no such file or corpus: ${arg} (pass a text file, - for stdin, or a name from \`charnn corpus list\`: ` +
        `${reg.corpora.map((e) => e.name).join(', ')})`,
    );
  return fetchRegistryCorpus(entry, opts);
}

/** The file names a mirror may hold a corpus under: `<name>.txt`, then the URL's own file name. */
function mirrorFileNames(entry: CorpusEntry): string[] {
  const names = [`${entry.name}.txt`, urlFileName(entry.url)];
  return [...new Set(names.filter((n) => n !== ''))];
}

/** Gets a registry corpus into the cache (or finds it there) and returns its verified path. */
export async function fetchRegistryCorpus(
  entry: CorpusEntry,
  opts: ResolveOptions = {},
): Promise<Extract<ResolvedCorpus, { origin: 'cache' | 'mirror' | 'download' }>> {
  const cached = await findCached(entry, opts);
  if (cached) return { kind: 'file', path: cached, origin: 'cache', entry };

  const dir = await writableCacheDir(opts);
  await removeStaleParts(dir, entry);
  const dest = cachedPath(dir, entry);
  const env = opts.env ?? process.env;
  const mirror = opts.mirror === undefined ? env.CHARNN_CORPUS_MIRROR || undefined : (opts.mirror ?? undefined);
  const failures: string[] = [];

  if (mirror !== undefined) {
    if (/^https?:\/\//i.test(mirror)) {
      const base = mirror.replace(/\/+$/, '');
      for (const file of mirrorFileNames(entry)) {
        const url = `${base}/${encodeURIComponent(file)}`;
        try {
          opts.onStatus?.(`fetching ${entry.name} from mirror ${url}`);
          await downloadVerified(url, dest, entry, opts);
          return { kind: 'file', path: dest, origin: 'mirror', entry };
        } catch (err) {
          if (!(err instanceof CorpusError)) throw err;
          failures.push(`mirror ${err.message}`);
        }
      }
    } else {
      const dir = mirror.startsWith('file:') ? fileURLToPath(mirror) : resolvePath(opts.cwd ?? process.cwd(), mirror);
      const missing: string[] = [];
      for (const file of mirrorFileNames(entry)) {
        const src = resolvePath(dir, file);
        const st = await stat(src).catch(() => undefined);
        if (!st?.isFile()) {
          missing.push(file);
          continue;
        }
        try {
          opts.onStatus?.(`copying ${entry.name} from mirror ${src}`);
          await installVerified(createReadStream(src), dest, entry, `mirror file ${src}`, opts.onProgress);
          return { kind: 'file', path: dest, origin: 'mirror', entry };
        } catch (err) {
          if (err instanceof StreamFailure) failures.push(`mirror file ${src}: ${err.message}`);
          else if (err instanceof CorpusError) failures.push(err.message);
          else throw err;
        }
      }
      if (missing.length > 0) failures.push(`mirror folder ${dir} has no ${missing.join(' or ')}`);
    }
  }

  for (const url of [entry.url, ...entry.altUrls]) {
    try {
      opts.onStatus?.(`downloading ${entry.name} from ${url}`);
      await downloadVerified(url, dest, entry, opts);
      return { kind: 'file', path: dest, origin: 'download', entry };
    } catch (err) {
      if (!(err instanceof CorpusError)) throw err;
      failures.push(err.message);
    }
  }

  const noMirror = mirror === undefined ? 'no CHARNN_CORPUS_MIRROR set; ' : '';
  throw new CorpusError(
    'unavailable',
    `cannot get corpus ${entry.name}: ${noMirror}${failures.join('; ')} ` +
      `(offline? pass a text file: charnn train FILE, or pipe one on stdin: charnn train - < FILE; ` +
      `or set CHARNN_CORPUS_MIRROR to a folder or base URL that holds ${entry.name}.txt)`,
  );
}
