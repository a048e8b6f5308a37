/**
 * `corpus list` and `corpus get NAME`: the registry of well-known public corpora. list: plan nothing, run (each
 * corpus: name, size, whether it is cached here, source), report (a table on io.out). get: run (fetch it into the
 * cache, or find it there, verified by size and SHA-256, with the download's progress on the io port's corpus
 * hooks), report (its path on io.out). Registry and cache come from io.env (CHARNN_CORPUS_REGISTRY, _CACHE,
 * _MIRROR).
 */
import { cacheDirs, cachedPath } from '../corpus/cache.js';
import { CorpusError } from '../corpus/errors.js';
import { findCorpus, loadRegistry, type Registry } from '../corpus/registry.js';
import { fetchRegistryCorpus, type ResolveOptions } from '../corpus/resolve.js';
import { isVerified } from '../corpus/verify.js';
import { CharnnError } from '../errors.js';
import type { CORPUS_GET, Values } from '../options.js';
import { humanBytes } from './format.js';
import type { Io } from './io.js';

export interface CorpusRow {
  name: string;
  bytes: number;
  cached: boolean;
  source: string;
  isDefault: boolean;
}

/** Corpus errors are already one line, "what: why (hint)": they keep it. */
async function corpusErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CorpusError) throw Object.assign(new CharnnError(e.message), { cause: e });
    throw e;
  }
}

const registryOf = (io: Pick<Io, 'env'>): Registry => loadRegistry(io.env.CHARNN_CORPUS_REGISTRY || undefined);

async function isCached(reg: Registry, name: string, opts: ResolveOptions): Promise<boolean> {
  const entry = findCorpus(reg, name)!;
  for (const dir of cacheDirs(opts)) if (await isVerified(cachedPath(dir, entry), entry)) return true;
  return false;
}

/** The registered corpora, and whether each is cached here. */
export function listCorpora(io: Pick<Io, 'env'>): Promise<CorpusRow[]> {
  return corpusErrors(async () => {
    const reg = registryOf(io);
    const opts: ResolveOptions = { env: io.env as NodeJS.ProcessEnv };
    const rows: CorpusRow[] = [];
    for (const e of reg.corpora) rows.push({ name: e.name, bytes: e.bytes, cached: await isCached(reg, e.name, opts), source: e.source, isDefault: e.name === reg.default });
    return rows;
  });
}

/** The corpora as a left-aligned table, columns separated by two spaces. */
export async function reportCorpusList(rows: readonly CorpusRow[], io: Pick<Io, 'out'>): Promise<void> {
  const cells = [['NAME', 'SIZE', 'CACHED', 'SOURCE'], ...rows.map((r) => [r.name + (r.isDefault ? ' (default)' : ''), humanBytes(r.bytes), r.cached ? 'yes' : 'no', r.source])];
  const widths = cells[0].map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  await io.out.write(cells.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n') + '\n');
}

/** Fetch the corpus into the cache (or find it there), verified; returns its path. */
export function getCorpus(name: string, o: Values<typeof CORPUS_GET>, io: Pick<Io, 'env' | 'corpusStatus' | 'corpusProgress'>): Promise<string> {
  return corpusErrors(async () => {
    const reg = registryOf(io);
    const entry = findCorpus(reg, name);
    if (!entry) throw new CorpusError('not-found', `unknown corpus ${name} (one of: ${reg.corpora.map((e) => e.name).join(', ')}; see \`charnn corpus list\`)`);
    const opts: ResolveOptions = { env: io.env as NodeJS.ProcessEnv, registry: reg, onStatus: io.corpusStatus, onProgress: io.corpusProgress };
    if (o.mirror) opts.mirror = o.mirror;
    return (await fetchRegistryCorpus(entry, opts)).path;
  });
}

export async function reportCorpusGet(path: string, io: Pick<Io, 'out'>): Promise<void> {
  await io.out.write(`${path}\n`);
}
