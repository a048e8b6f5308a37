import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cacheDirs, firstWritableDir, removeStaleParts, userCacheDir } from '../src/corpus/cache.js';
import { CorpusError } from '../src/corpus/errors.js';
import {
  defaultRegistryPath,
  findCorpus,
  loadRegistry,
  parseRegistry,
  urlFileName,
  type CorpusEntry,
} from '../src/corpus/registry.js';
import { resolveCorpus } from '../src/corpus/resolve.js';
import { sha256File } from '../src/corpus/verify.js';

// ../shared beside the repo (a worktree or CI's fresh clone): the read-only copy of tiny Shakespeare.
const SHARED = fileURLToPath(new URL('../../shared/corpora', import.meta.url));

describe('the shipped registry (corpora/registry.json)', () => {
  const reg = loadRegistry();

  it('has tiny Shakespeare from karpathy/char-rnn as the default, with the published size and hash', () => {
    expect(reg.default).toBe('tinyshakespeare');
    const e = findCorpus(reg, 'tinyshakespeare')!;
    expect(e.bytes).toBe(1_115_394);
    expect(e.sha256).toBe('86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed');
    expect(e.url).toBe('https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt');
    expect(urlFileName(e.url)).toBe('input.txt');
  });

  it('gives every entry a source and a licence note', () => {
    for (const e of reg.corpora) {
      expect(e.source, e.name).not.toBe('');
      expect(e.licence, e.name).not.toBe('');
    }
  });

  it.skipIf(!existsSync(join(SHARED, 'tinyshakespeare.txt')))(
    'matches the shared copy of tiny Shakespeare byte for byte (size and SHA-256)',
    async () => {
      const e = findCorpus(reg, 'tinyshakespeare')!;
      expect(await sha256File(join(SHARED, 'tinyshakespeare.txt'))).toBe(e.sha256);
    },
  );

  it.skipIf(!existsSync(join(SHARED, 'tinyshakespeare.txt')))(
    'resolves the default corpus through a mirror folder, as CI does',
    async () => {
      const cache = await mkdtemp(join(tmpdir(), 'charnn-reg-'));
      try {
        const r = await resolveCorpus(undefined, { cacheDir: cache, mirror: SHARED, env: {} });
        expect(r).toMatchObject({ kind: 'file', path: join(cache, 'tinyshakespeare.txt'), origin: 'mirror' });
      } finally {
        await rm(cache, { recursive: true, force: true });
      }
    },
  );
});

describe('parseRegistry', () => {
  const entry = {
    name: 'a',
    url: 'https://example.org/a.txt',
    bytes: 3,
    sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  };
  const bad = (json: unknown, why: string): void => {
    expect(() => parseRegistry(json, 'r.json')).toThrow(CorpusError);
    expect(() => parseRegistry(json, 'r.json')).toThrow(why);
  };

  it('accepts a minimal registry and fills optional fields', () => {
    const r = parseRegistry({ version: 1, default: 'a', corpora: [entry] }, 'r.json');
    expect(r.corpora[0]).toMatchObject({ name: 'a', title: 'a', altUrls: [], source: '' });
  });

  it('rejects malformed registries with a message naming the entry and field', () => {
    bad([], 'invalid corpus registry r.json: not a JSON object');
    bad({ version: 2, default: 'a', corpora: [entry] }, 'unsupported version 2');
    bad({ version: 1, default: 'b', corpora: [entry] }, '"default" must name one of the corpora');
    bad({ version: 1, default: 'a', corpora: [entry, entry] }, 'corpora[1] (a): duplicate name');
    bad({ version: 1, default: 'a', corpora: [{ ...entry, sha256: 'ABC' }] }, '"sha256" must be 64 lower-case hex');
    bad({ version: 1, default: 'a', corpora: [{ ...entry, url: 'ftp://x/a' }] }, '"url" must be an http(s) URL');
    bad({ version: 1, default: 'a', corpora: [{ ...entry, bytes: 0 }] }, '"bytes" must be a positive integer');
    bad({ version: 1, default: 'a', corpora: [{ ...entry, name: 'Bad Name' }] }, '"name" must match');
  });

  it('reports a missing registry file clearly', () => {
    expect(() => loadRegistry('/nonexistent/registry.json')).toThrow(/^cannot read corpus registry \/nonexistent/);
  });
});

describe('cache folders', () => {
  it('uses the package corpora/ folder first, then the XDG user cache', () => {
    const dirs = cacheDirs({ env: { XDG_CACHE_HOME: '/xdg' } });
    expect(dirs).toEqual([join(resolve(defaultRegistryPath(), '..')), '/xdg/charnn/corpora']);
    expect(userCacheDir({})).toMatch(/\.cache[/\\]charnn[/\\]corpora$/);
  });

  it('CHARNN_CORPUS_CACHE or the cacheDir option replace both', () => {
    expect(cacheDirs({ env: { CHARNN_CORPUS_CACHE: '/c' } })).toEqual(['/c']);
    expect(cacheDirs({ cacheDir: '/d', env: { CHARNN_CORPUS_CACHE: '/c' } })).toEqual(['/d']);
  });
});

describe('cache folder fallback and clean-up', () => {
  it('falls back to the next folder when the first cannot be created', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'charnn-cachedir-'));
    try {
      await writeFile(join(tmp, 'blocker'), 'a file where a folder should be');
      const second = join(tmp, 'user', 'charnn', 'corpora');
      expect(await firstWritableDir([join(tmp, 'blocker', 'corpora'), second])).toBe(second);
      const err = await firstWritableDir([join(tmp, 'blocker', 'corpora')]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorpusError);
      expect((err as Error).message).toMatch(/^no writable corpus cache folder \(.*blocker\/corpora: ENOTDIR\) \(set CHARNN_CORPUS_CACHE/);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it("removes a dead fetch's temp file but not a fresh one or another corpus's", async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'charnn-parts-'));
    try {
      const entry = { name: 'demo' } as CorpusEntry;
      const old = join(tmp, '.demo.txt.123.abcd.part');
      const fresh = join(tmp, '.demo.txt.456.ef01.part');
      const otherCorpus = join(tmp, '.other.txt.123.abcd.part');
      for (const p of [old, fresh, otherCorpus]) await writeFile(p, 'x');
      const hourAgo = new Date(Date.now() - 2 * 3_600_000);
      await utimes(old, hourAgo, hourAgo);
      await utimes(otherCorpus, hourAgo, hourAgo);
      await removeStaleParts(tmp, entry);
      expect((await readdir(tmp)).sort()).toEqual(['.demo.txt.456.ef01.part', '.other.txt.123.abcd.part']);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
