import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CorpusError } from '../src/corpus/errors.js';
import { parseRegistry, type Registry } from '../src/corpus/registry.js';
import { resolveCorpus, type ResolveOptions } from '../src/corpus/resolve.js';
import { closedPort, sampleText, serveBytes, startServer, type TestServer } from './helpers/corpus-server.js';

const demo = sampleText(30_000);
const other = sampleText(12_345, 'Alice was beginning to get very tired.\n');
let server: TestServer;
let offlineBase: string; // a port nothing listens on: every request is refused, as when offline
let tmp: string;
let cache: string;

/** A temp registry: `demo` (default) is served under its URL's own name input.txt, `other` under other.txt. */
function registry(base: string): Registry {
  return parseRegistry(
    {
      version: 1,
      default: 'demo',
      corpora: [
        { name: 'demo', url: `${base}/files/input.txt`, bytes: demo.bytes, sha256: demo.sha256, source: 'test' },
        { name: 'other', url: `${base}/files/other.txt`, bytes: other.bytes, sha256: other.sha256, source: 'test' },
      ],
    },
    'test registry',
  );
}

beforeAll(async () => {
  server = await startServer();
  server.route('/files/input.txt', serveBytes(demo.body));
  server.route('/files/other.txt', serveBytes(other.body));
  server.route('/mirror/demo.txt', serveBytes(demo.body));
  server.route('/mirror2/input.txt', serveBytes(demo.body)); // only the URL's file name
  offlineBase = `http://127.0.0.1:${await closedPort()}`;
});
afterAll(() => server.close());
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'charnn-resolve-'));
  cache = join(tmp, 'cache');
});
afterEach(() => rm(tmp, { recursive: true, force: true }));

/** Options that never look at the real environment, registry or cache. */
function opts(extra: ResolveOptions = {}): ResolveOptions {
  return { registry: registry(server.base), cacheDir: cache, mirror: null, env: {}, cwd: tmp, ...extra };
}

async function failure(p: Promise<unknown>): Promise<CorpusError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CorpusError);
  return err as CorpusError;
}

function hits(path: string): number {
  return server.hits.get(path) ?? 0;
}

describe('resolveCorpus', () => {
  it("'-' means stdin", async () => {
    expect(await resolveCorpus('-', opts())).toEqual({ kind: 'stdin' });
  });

  it('an existing path wins, even when it is also a registry name', async () => {
    await writeFile(join(tmp, 'demo'), 'local text\n');
    const r = await resolveCorpus('demo', opts());
    expect(r).toEqual({ kind: 'file', path: join(tmp, 'demo'), origin: 'path' });
  });

  it('no argument fetches the registry default, verified, into the cache', async () => {
    const r = await resolveCorpus(undefined, opts());
    expect(r).toMatchObject({ kind: 'file', path: join(cache, 'demo.txt'), origin: 'download' });
    expect((await readFile(join(cache, 'demo.txt'))).equals(demo.body)).toBe(true);
    expect(await readdir(cache)).toEqual(['demo.txt']);
  });

  it('a cache hit makes no request, even with the network gone', async () => {
    await resolveCorpus('other', opts());
    const before = hits('/files/other.txt');
    const r = await resolveCorpus('other', opts({ registry: registry(offlineBase) }));
    expect(r).toMatchObject({ path: join(cache, 'other.txt'), origin: 'cache' });
    expect(hits('/files/other.txt')).toBe(before);
  });

  it('a corrupted cached file is not used: it is fetched again', async () => {
    await mkdir(cache, { recursive: true });
    const bad = Buffer.from(other.body);
    bad[10] = 0x41 ^ bad[10]!;
    await writeFile(join(cache, 'other.txt'), bad);
    const before = hits('/files/other.txt');
    const r = await resolveCorpus('other', opts());
    expect(r).toMatchObject({ origin: 'download' });
    expect(hits('/files/other.txt')).toBe(before + 1);
    expect((await readFile(join(cache, 'other.txt'))).equals(other.body)).toBe(true);
  });

  it('offline with no mirror: one clear error on how to pass a file or stdin; nothing cached', async () => {
    const err = await failure(resolveCorpus('demo', opts({ registry: registry(offlineBase) })));
    expect(err.code).toBe('unavailable');
    expect(err.message).not.toContain('\n');
    expect(err.message).toMatch(/^cannot get corpus demo: no CHARNN_CORPUS_MIRROR set; cannot reach 127\.0\.0\.1:\d+: connection refused/);
    expect(err.message).toContain('charnn train FILE');
    expect(err.message).toContain('charnn train - < FILE');
    expect(err.message).toContain('CHARNN_CORPUS_MIRROR');
    expect(await readdir(cache)).toEqual([]);
  });

  it('mirror folder: copies <mirror>/<name>.txt, verified, without touching the network', async () => {
    const mirror = join(tmp, 'mirror');
    await mkdir(mirror);
    await writeFile(join(mirror, 'demo.txt'), demo.body);
    const r = await resolveCorpus('demo', opts({ registry: registry(offlineBase), mirror }));
    expect(r).toMatchObject({ path: join(cache, 'demo.txt'), origin: 'mirror' });
    expect((await readFile(join(cache, 'demo.txt'))).equals(demo.body)).toBe(true);
  });

  it('mirror folder from the environment, holding the file under the URL file name', async () => {
    const mirror = join(tmp, 'mirror');
    await mkdir(mirror);
    await writeFile(join(mirror, 'input.txt'), demo.body);
    const r = await resolveCorpus(undefined, {
      ...opts({ registry: registry(offlineBase) }),
      mirror: undefined,
      env: { CHARNN_CORPUS_MIRROR: mirror },
    });
    expect(r).toMatchObject({ origin: 'mirror' });
    expect((await readFile(join(cache, 'demo.txt'))).equals(demo.body)).toBe(true);
  });

  it('a mirror file with the wrong hash is never used; the URL is tried next', async () => {
    const mirror = join(tmp, 'mirror');
    await mkdir(mirror);
    await writeFile(join(mirror, 'demo.txt'), Buffer.from(demo.body).fill(0x20, 0, 5));
    const r = await resolveCorpus('demo', opts({ mirror }));
    expect(r).toMatchObject({ origin: 'download' });
    expect((await readFile(join(cache, 'demo.txt'))).equals(demo.body)).toBe(true);

    // ...and with the network gone too, the error names both failures.
    await rm(cache, { recursive: true });
    const err = await failure(resolveCorpus('demo', opts({ registry: registry(offlineBase), mirror })));
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain(`mirror file ${join(mirror, 'demo.txt')} has SHA-256`);
    expect(err.message).toContain('connection refused');
    expect(await readdir(cache)).toEqual([]);
  });

  it('an empty mirror folder says which file names it looked for', async () => {
    const mirror = join(tmp, 'empty');
    await mkdir(mirror);
    const err = await failure(resolveCorpus('demo', opts({ registry: registry(offlineBase), mirror })));
    expect(err.message).toContain(`mirror folder ${mirror} has no demo.txt or input.txt`);
    expect(err.message).not.toContain('no CHARNN_CORPUS_MIRROR set');
  });

  it('mirror base URL: <base>/<name>.txt', async () => {
    const before = hits('/mirror/demo.txt');
    const r = await resolveCorpus('demo', opts({ registry: registry(offlineBase), mirror: `${server.base}/mirror/` }));
    expect(r).toMatchObject({ origin: 'mirror' });
    expect(hits('/mirror/demo.txt')).toBe(before + 1);
    expect((await readFile(join(cache, 'demo.txt'))).equals(demo.body)).toBe(true);
  });

  it('mirror base URL: falls back to the URL file name after a 404', async () => {
    const r = await resolveCorpus('demo', opts({ registry: registry(offlineBase), mirror: `${server.base}/mirror2` }));
    expect(r).toMatchObject({ origin: 'mirror' });
    expect(hits('/mirror2/demo.txt')).toBeGreaterThan(0); // tried first, 404
    expect((await readFile(join(cache, 'demo.txt'))).equals(demo.body)).toBe(true);
  });

  it('reports progress for a mirror copy and a download', async () => {
    const mirror = join(tmp, 'mirror');
    await mkdir(mirror);
    await writeFile(join(mirror, 'demo.txt'), demo.body);
    const last: number[] = [];
    const status: string[] = [];
    await resolveCorpus('demo', opts({ mirror, onProgress: (b) => last.push(b), onStatus: (m) => status.push(m) }));
    expect(last[last.length - 1]).toBe(demo.bytes);
    expect(status).toEqual([`copying demo from mirror ${join(mirror, 'demo.txt')}`]);
  });

  it('an unknown name lists the known ones', async () => {
    const err = await failure(resolveCorpus('nope.txt', opts()));
    expect(err.code).toBe('not-found');
    expect(err.message).toBe(
      'no such file or corpus: nope.txt (pass a text file, - for stdin, or a name from `charnn corpus list`: demo, other)',
    );
  });

  it('a folder is refused with a hint', async () => {
    await mkdir(join(tmp, 'adir'));
    const err = await failure(resolveCorpus('adir', opts()));
    expect(err.message).toContain('it is a folder');
  });
});
