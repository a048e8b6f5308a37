import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CorpusError } from '../src/corpus/errors.js';
import { downloadVerified } from '../src/corpus/fetch.js';
import {
  closedPort,
  redirectTo,
  sampleText,
  serveBytes,
  serveTruncated,
  startServer,
  type TestServer,
} from './helpers/corpus-server.js';

const good = sampleText(50_000);
let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  server.route('/good.txt', serveBytes(good.body));
  // Same length, one byte changed: only the hash can tell.
  const wrong = Buffer.from(good.body);
  wrong[1234] = wrong[1234]! ^ 1;
  server.route('/wrong.txt', serveBytes(wrong));
  server.route('/truncated.txt', serveTruncated(good.body, 20_000));
  server.route('/longer.txt', serveBytes(Buffer.concat([good.body, Buffer.from('extra')])));
  server.route('/moved', redirectTo('/hop2', 301));
  server.route('/hop2', redirectTo('good.txt', 307)); // relative Location
  server.route('/loop', redirectTo('/loop'));
  server.route('/no-location', (_req, res) => {
    res.writeHead(302);
    res.end();
  });
  server.route('/stall.txt', (_req, res) => {
    res.writeHead(200, { 'content-length': good.bytes });
    res.write(good.body.subarray(0, 1000)); // then silence
  });
  server.route('/chunked-long.txt', (_req, res) => {
    // No Content-Length: the body-size limit must stop it, not the header check.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(good.body);
    res.end(good.body);
  });
});
afterAll(() => server.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'charnn-fetch-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const expected = { bytes: good.bytes, sha256: good.sha256 };

async function failure(p: Promise<unknown>): Promise<CorpusError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CorpusError);
  return err as CorpusError;
}

describe('downloadVerified', () => {
  it('downloads a good file, reports progress up to the total, leaves no temp file', async () => {
    const dest = join(dir, 'good.txt');
    const seen: Array<[number, number]> = [];
    await downloadVerified(`${server.base}/good.txt`, dest, expected, { onProgress: (b, t) => seen.push([b, t]) });
    expect((await readFile(dest)).equals(good.body)).toBe(true);
    expect(await readdir(dir)).toEqual(['good.txt']);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen[seen.length - 1]).toEqual([good.bytes, good.bytes]);
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThan(seen[i - 1]![0]);
  });

  it('discards a file whose SHA-256 is wrong', async () => {
    const err = await failure(downloadVerified(`${server.base}/wrong.txt`, join(dir, 'x.txt'), expected));
    expect(err.code).toBe('hash');
    expect(err.message).toContain(good.sha256);
    expect(await readdir(dir)).toEqual([]);
  });

  it('discards a truncated body (Content-Length larger than what is sent)', async () => {
    const err = await failure(downloadVerified(`${server.base}/truncated.txt`, join(dir, 'x.txt'), expected));
    expect(err.code).toBe('size');
    expect(err.message).toMatch(/cut short after \d+ of 50000 bytes|truncated/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a body whose announced length differs from the registry size', async () => {
    const err = await failure(downloadVerified(`${server.base}/longer.txt`, join(dir, 'x.txt'), expected));
    expect(err.code).toBe('size');
    expect(err.message).toContain('announces 50005 bytes');
    expect(await readdir(dir)).toEqual([]);
  });

  it('stops reading a body without Content-Length once it exceeds the expected size', async () => {
    const err = await failure(downloadVerified(`${server.base}/chunked-long.txt`, join(dir, 'x.txt'), expected));
    expect(err.code).toBe('size');
    expect(err.message).toContain('larger than the expected 50000 bytes');
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a 404 as an HTTP error naming the URL', async () => {
    const err = await failure(downloadVerified(`${server.base}/nothing.txt`, join(dir, 'x.txt'), expected));
    expect(err.code).toBe('http');
    expect(err.message).toBe(`HTTP 404 Not Found from ${server.base}/nothing.txt`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('follows redirects (absolute and relative Location)', async () => {
    const dest = join(dir, 'r.txt');
    await downloadVerified(`${server.base}/moved`, dest, expected);
    expect((await readFile(dest)).equals(good.body)).toBe(true);
  });

  it('bounds a redirect loop', async () => {
    const before = server.hits.get('/loop') ?? 0;
    const err = await failure(downloadVerified(`${server.base}/loop`, join(dir, 'x.txt'), expected, { maxRedirects: 3 }));
    expect(err.code).toBe('redirect');
    expect(err.message).toContain('too many redirects (more than 3)');
    expect((server.hits.get('/loop') ?? 0) - before).toBe(4); // the first request and 3 followed hops
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a redirect without Location', async () => {
    const err = await failure(downloadVerified(`${server.base}/no-location`, join(dir, 'x.txt'), expected));
    expect(err.code).toBe('redirect');
    expect(err.message).toContain('without a Location header');
  });

  it('times out on a stalled body and leaves nothing behind', async () => {
    const t0 = Date.now();
    const err = await failure(
      downloadVerified(`${server.base}/stall.txt`, join(dir, 'x.txt'), expected, { timeoutMs: 300 }),
    );
    expect(err.code).toBe('timeout');
    expect(err.message).toContain('after 1000 of 50000 bytes');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a refused connection as a network error', async () => {
    const port = await closedPort();
    const err = await failure(downloadVerified(`http://127.0.0.1:${port}/x.txt`, join(dir, 'x.txt'), expected));
    expect(err.code).toBe('network');
    expect(err.message).toBe(`cannot reach 127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
  });

  it('keeps an existing good file when a later download fails', async () => {
    const dest = join(dir, 'good.txt');
    await downloadVerified(`${server.base}/good.txt`, dest, expected);
    await failure(downloadVerified(`${server.base}/wrong.txt`, dest, expected));
    expect((await readFile(dest)).equals(good.body)).toBe(true);
  });
});
