/**
 * The corpus registry: corpora/registry.json lists well-known public corpora with the exact size and SHA-256
 * of the bytes we accept, so a fetched file is either exactly the published one or not used at all.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorpusError } from './errors.js';

export interface CorpusEntry {
  /** Lower-case id used on the command line and as the cache file name (`<name>.txt`). */
  name: string;
  title: string;
  /** Primary download URL (http or https). */
  url: string;
  /** Other URLs serving the same bytes, tried in order after `url`. */
  altUrls: string[];
  /** Exact size in bytes. */
  bytes: number;
  /** Lower-case hex SHA-256 of the exact bytes. */
  sha256: string;
  /** Where the bytes come from (short, shown by `charnn corpus list`). */
  source: string;
  description: string;
  licence: string;
}

export interface Registry {
  version: 1;
  /** Name of the corpus `charnn train` uses when given none. */
  default: string;
  corpora: CorpusEntry[];
}

/** The package root: this file is src/corpus/registry.ts (tests) or dist/corpus/registry.js (built). */
export function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export function defaultRegistryPath(): string {
  return join(packageRoot(), 'corpora', 'registry.json');
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;
const SHA_RE = /^[0-9a-f]{64}$/;

function isHttpUrl(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Checks the shape of a parsed registry; `origin` names the file in error messages. */
export function parseRegistry(json: unknown, origin: string): Registry {
  const bad = (why: string): never => {
    throw new CorpusError('registry', `invalid corpus registry ${origin}: ${why}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('not a JSON object');
  const o = json as Record<string, unknown>;
  if (o.version !== 1) bad(`unsupported version ${JSON.stringify(o.version)} (expected 1)`);
  if (!Array.isArray(o.corpora)) bad('"corpora" must be an array');
  const corpora: CorpusEntry[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of (o.corpora as unknown[]).entries()) {
    if (typeof raw !== 'object' || raw === null) bad(`corpora[${i}] is not an object`);
    const e = raw as Record<string, unknown>;
    const where = `corpora[${i}]${typeof e.name === 'string' ? ` (${e.name})` : ''}`;
    if (typeof e.name !== 'string' || !NAME_RE.test(e.name)) bad(`${where}: "name" must match ${NAME_RE}`);
    if (seen.has(e.name as string)) bad(`${where}: duplicate name`);
    seen.add(e.name as string);
    if (!isHttpUrl(e.url)) bad(`${where}: "url" must be an http(s) URL`);
    const alt = e.altUrls ?? [];
    if (!Array.isArray(alt) || !alt.every(isHttpUrl)) bad(`${where}: "altUrls" must be an array of http(s) URLs`);
    if (typeof e.bytes !== 'number' || !Number.isSafeInteger(e.bytes) || e.bytes <= 0)
      bad(`${where}: "bytes" must be a positive integer`);
    if (typeof e.sha256 !== 'string' || !SHA_RE.test(e.sha256)) bad(`${where}: "sha256" must be 64 lower-case hex digits`);
    for (const k of ['title', 'source', 'description', 'licence'] as const) {
      if (e[k] !== undefined && typeof e[k] !== 'string') bad(`${where}: "${k}" must be a string`);
    }
    corpora.push({
      name: e.name as string,
      title: (e.title as string | undefined) ?? (e.name as string),
      url: e.url as string,
      altUrls: [...(alt as string[])],
      bytes: e.bytes as number,
      sha256: e.sha256 as string,
      source: (e.source as string | undefined) ?? '',
      description: (e.description as string | undefined) ?? '',
      licence: (e.licence as string | undefined) ?? '',
    });
  }
  if (typeof o.default !== 'string' || !seen.has(o.default)) bad('"default" must name one of the corpora');
  return { version: 1, default: o.default as string, corpora };
}

/** Reads and validates a registry file (default: the package's corpora/registry.json). */
export function loadRegistry(path: string = defaultRegistryPath()): Registry {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CorpusError('registry', `cannot read corpus registry ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CorpusError('registry', `invalid corpus registry ${path}: ${(err as Error).message}`);
  }
  return parseRegistry(json, path);
}

export function findCorpus(registry: Registry, name: string): CorpusEntry | undefined {
  return registry.corpora.find((e) => e.name === name);
}

/** The last path segment of a URL (e.g. `input.txt`), used as a second file name to look for in a mirror. */
export function urlFileName(url: string): string {
  const segs = new URL(url).pathname.split('/').filter((s) => s !== '');
  return decodeURIComponent(segs[segs.length - 1] ?? '');
}
