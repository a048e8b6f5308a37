/**
 * `charnn serve` as a user meets it: the real binary listening on 127.0.0.1 (a free port), real HTTP clients.
 * Streams are compared with `charnn sample` run with the same options and seed (the bundled model, default
 * backend and threads on both sides); 32 of them at once; disconnects; the limits; every kind of bad request;
 * shutdown on SIGINT/SIGTERM.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { ROOT, runCli, tempDir } from './helpers/cli.js';
import { cliSample, getJson, parseEvents, pool, postSample, rawRequest, startServer, textOf, type ServerProcess } from './helpers/serve.js';

const CKPT = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
/** the bundled model's header: the figures its card and /v1/models must show */
const BUNDLED = (() => {
  const c = loadCheckpoint(CKPT);
  return { ...c.model, params: c.tensors.reduce((n, t) => n + t.data.length, 0), steps: c.progress.step, best: c.progress.bestValLoss!, bestAt: c.progress.bestValStep! };
})();

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  mkdirSync(join(dir, 'run7'));
  copyFileSync(CKPT, join(dir, 'run7', 'best.json'));
});
afterAll(() => cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll GET /v1/health until `ok` holds; returns the last health, or throws after `ms`. */
async function waitHealth(url: string, ok: (h: any) => boolean, ms = 2000): Promise<any> {
  const end = Date.now() + ms;
  for (;;) {
    const h = (await getJson(url, '/v1/health')).body;
    if (ok(h)) return h;
    if (Date.now() > end) throw new Error(`health never matched: ${JSON.stringify(h)}`);
    await sleep(10);
  }
}

/** Start a stream and return once its first text has arrived; abort() disconnects. */
async function openStream(url: string, body: unknown): Promise<{ abort: () => void; status: number; first: string }> {
  const ctl = new AbortController();
  const res = await fetch(new URL('/v1/sample', url), { method: 'POST', body: JSON.stringify(body), headers: { Accept: 'text/plain' }, signal: ctl.signal });
  if (res.status !== 200) return { abort: () => ctl.abort(), status: res.status, first: await res.text() };
  const reader = res.body!.getReader();
  const { value } = await reader.read();
  return { abort: () => ctl.abort(), status: 200, first: new TextDecoder().decode(value) };
}

describe('charnn serve: the API', () => {
  let s: ServerProcess;
  beforeAll(async () => {
    s = await startServer([CKPT, join(dir, 'run7', 'best.json'), '--max-streams', '40', '--max-length', '5000'], dir);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('prints only its URL on stdout, on 127.0.0.1', () => {
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(s.stderr()).toContain(`model tinyshakespeare: ${BUNDLED.cell} ${BUNDLED.layers}x${BUNDLED.hidden}`);
    expect(s.stderr()).toContain(`model run7: ${BUNDLED.cell} ${BUNDLED.layers}x${BUNDLED.hidden}`);
  });

  it('GET /v1/models lists the models by name with their cards and loss curves, never their paths', async () => {
    const r = await getJson(s.url, '/v1/models');
    expect(r.status).toBe(200);
    expect(r.body.object).toBe('list'); // OpenAI's list shape, the card's fields beside its own
    expect(r.body.data.map((m: any) => [m.id, m.object, m.owned_by, m.name])).toEqual([['tinyshakespeare', 'model', 'charnn', 'tinyshakespeare'], ['run7', 'model', 'charnn', 'run7']]);
    expect(Number.isInteger(r.body.data[0].created)).toBe(true);
    const m = r.body.data[0];
    expect(m).toMatchObject({ cell: BUNDLED.cell, layers: BUNDLED.layers, hidden: BUNDLED.hidden, params: BUNDLED.params, steps: BUNDLED.steps, corpus: { name: 'tinyshakespeare', chars: 1115394 } });
    expect(m.bestValLoss).toBeGreaterThan(1);
    expect(m.bestValLoss).toBeLessThan(2);
    expect(m.vocab).toHaveLength(65);
    expect(m.lossHistory.length).toBeGreaterThan(10);
    expect(m.lossHistory.some((p: any) => typeof p.val === 'number')).toBe(true);
    const text = JSON.stringify(r.body);
    expect(text).not.toContain(dir);
    expect(text).not.toContain('.json');
  });

  it('streams server-sent events whose text is exactly what charnn sample prints, in several events', async () => {
    const o = { prime: 'ROMEO:', temp: 0.6, seed: 11, length: 1500 };
    const [r, want] = await Promise.all([postSample(s.url, o), cliSample(CKPT, o, dir)]);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(r.headers.get('x-charnn-seed')).toBe('11');
    const ev = parseEvents(r.body);
    expect(ev[0]).toEqual({ event: 'start', data: { model: 'tinyshakespeare', seed: 11, length: 1500, temp: 0.6, topK: 0, topP: 1 } });
    expect(ev[1]).toEqual({ event: 'message', data: { text: 'ROMEO:' } }); // the prime first, as sample prints it
    expect(ev.filter((e) => e.event === 'message').length).toBeGreaterThan(3);
    expect(ev[ev.length - 1]).toEqual({ event: 'end', data: { reason: 'length', chars: 1500 } });
    expect(textOf(ev)).toBe(want);
    expect([...want]).toHaveLength(1500);
  });

  it('streams chunked plain text with Accept: text/plain, equal to charnn sample (top-k, top-p, no prime)', async () => {
    const o = { topK: 10, topP: 0.9, temp: 1.1, seed: 5, length: 700 };
    const [r, want] = await Promise.all([postSample(s.url, o, 'text/plain'), cliSample(CKPT, o, dir)]);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(r.headers.get('transfer-encoding')).toBe('chunked');
    expect(r.body).toBe(want);
  });

  it('serves the second model by name, and a random seed that it reports reproduces the text', async () => {
    const r = await postSample(s.url, { model: 'run7', length: 300, temp: 0.9 });
    const ev = parseEvents(r.body);
    const seed = ev[0].data.seed as number;
    expect(ev[0].data.model).toBe('run7');
    expect(Number.isInteger(seed)).toBe(true);
    expect(textOf(ev)).toBe(await cliSample(join(dir, 'run7', 'best.json'), { length: 300, temp: 0.9, seed }, dir));
  });

  it('drops unseen prime characters with skipUnknown, as sample --skip-unknown does', async () => {
    const o = { prime: 'ROMEO€ and “Juliet”:', seed: 3, length: 200 };
    const r = await postSample(s.url, { ...o, skipUnknown: true }, 'text/plain');
    expect(r.status).toBe(200);
    expect(r.body).toBe(await cliSample(CKPT, o, dir, ['--skip-unknown']));
    expect(r.body.startsWith('ROMEO and Juliet:')).toBe(true);
  });

  it('32 simultaneous streams each get exactly the text of charnn sample with their seed and options', async () => {
    const temps = [0, 0.5, 0.8, 1.3];
    const primes = ['', 'ROMEO:', 'First Citizen:\n', 'KING HENRY'];
    const reqs = Array.from({ length: 32 }, (_, i) => ({
      prime: primes[i % 4],
      temp: temps[(i >> 2) % 4],
      topK: i % 3 === 0 ? 8 : 0,
      topP: i % 5 === 0 ? 0.85 : 1,
      seed: 1000 + i,
      length: 2000 + 10 * i, // long enough to overlap: the native backend draws a 400-character stream in a few milliseconds
    }));
    let maxSeen = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        maxSeen = Math.max(maxSeen, (await getJson(s.url, '/v1/health')).body.streams);
        await sleep(5);
      }
    })();
    const got = await Promise.all(reqs.map((o, i) => postSample(s.url, o, i % 2 ? 'text/plain' : 'text/event-stream')));
    polling = false;
    await poller;
    expect(maxSeen).toBeGreaterThanOrEqual(16); // they really ran at the same time
    const texts = got.map((r, i) => {
      expect(r.status).toBe(200);
      return i % 2 ? r.body : textOf(parseEvents(r.body));
    });
    const want = await pool(reqs, 2, (o) => cliSample(CKPT, o, dir));
    for (let i = 0; i < 32; i++) expect(texts[i], `stream ${i} ${JSON.stringify(reqs[i])}`).toBe(want[i]);
    expect(new Set(texts).size).toBe(32);
  }, 240_000); // 32 runs of charnn sample: ~0.3 s of CPU each, but slow on a busy 2-core machine

  it('a client that disconnects stops its generation at once', async () => {
    const before = (await getJson(s.url, '/v1/health')).body.generated;
    const st = await openStream(s.url, { length: 5000, seed: 1 });
    expect(st.status).toBe(200);
    expect(st.first.length).toBeGreaterThan(0);
    st.abort();
    await waitHealth(s.url, (h) => h.streams === 0, 1000);
    const a = (await getJson(s.url, '/v1/health')).body.generated;
    await sleep(300);
    const b = (await getJson(s.url, '/v1/health')).body.generated;
    expect(b).toBe(a); // nothing more is generated for it
    expect(a - before).toBeLessThan(5000); // it did not run to its end
  });

  const bad: [string, unknown, number, RegExp][] = [
    ['bad JSON', '{"temp": 0.5', 400, /^charnn: invalid request: the body is not JSON: .* \(send options as JSON/],
    ['not an object', '[1, 2]', 400, /the body must be a JSON object of options, got an array/],
    ['null body', 'null', 400, /got null/],
    ['unknown option', { temperature: 0.5 }, 400, /unknown option "temperature" \(did you mean temp\?/],
    ['unknown model', { model: 'nope' }, 404, /^charnn: cannot sample: unknown model "nope" \(this server has tinyshakespeare, run7; GET \/v1\/models lists them\)$/],
    ['a file as model', { model: CKPT }, 404, /unknown model/],
    ['model not a string', { model: 3 }, 400, /model must be a model name \(a string\), got number/],
    ['negative temperature', { temp: -0.1 }, 400, /temp -0\.1: must be at least 0/],
    ['temperature as a string', { temp: '0.5' }, 400, /temp must be a number, got the string "0\.5"/],
    ['top-k fraction', { topK: 2.5 }, 400, /topK 2\.5: must be a whole number/],
    ['top-k negative', { topK: -1 }, 400, /topK -1: must be at least 0/],
    ['top-p zero', { topP: 0 }, 400, /topP 0: must be in \(0, 1\]/],
    ['top-p above one', { topP: 1.5 }, 400, /topP 1\.5: must be in \(0, 1\]/],
    ['length zero', { length: 0 }, 400, /length 0: must be between 1 and 5000/],
    ['length past --max-length', { length: 5001 }, 400, /length 5001: must be between 1 and 5000 \(the server's --max-length\)/],
    ['length as text', { length: 'ten' }, 400, /length must be a number/],
    ['seed out of range', { seed: 2 ** 32 }, 400, /seed 4294967296: must be between 0 and 4294967295/],
    ['seed negative', { seed: -1 }, 400, /seed -1: must be between 0 and 4294967295/],
    ['prime not a string', { prime: 42 }, 400, /prime must be a string, got number/],
    ['unseen prime characters', { prime: 'ROMEO€ 😀' }, 400, /^charnn: cannot use the prime: the prime has 2 characters the model never saw: .*U\+20AC.*U\+1F600.*skipUnknown/],
    ['prime longer than length', { prime: 'ROMEO:', length: 3 }, 400, /the prime has 6 characters, more than length 3 \(raise length/],
    ['skipUnknown not boolean', { skipUnknown: 'yes' }, 400, /skipUnknown must be true or false/],
  ];
  for (const [what, body, status, re] of bad) {
    it(`refuses ${what} with ${status} and a one-line JSON error`, async () => {
      const r = await postSample(s.url, body);
      expect(r.status).toBe(status);
      expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const j = JSON.parse(r.body);
      expect(j.status).toBe(status);
      expect(j.error).toMatch(re);
      expect(j.error).not.toMatch(/\n/);
    });
  }

  it('refuses a body over the size limit with 413, with and without Content-Length', async () => {
    const big = JSON.stringify({ prime: 'a'.repeat(200_000) });
    for (const chunked of [false, true]) {
      const r = await rawRequest(s.url, { body: big, chunked, headers: chunked ? {} : { 'Content-Length': String(Buffer.byteLength(big)) } });
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body).error).toMatch(/^charnn: invalid request: the body is over \d+ bytes/);
    }
  });

  it('refuses broken UTF-8, other methods, unknown paths and a foreign Host header', async () => {
    const utf = await rawRequest(s.url, { body: Buffer.from([0x7b, 0x22, 0x70, 0x72, 0x69, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]) });
    expect(utf.status).toBe(400);
    expect(JSON.parse(utf.body).error).toMatch(/the body is not valid UTF-8/);
    const get = await rawRequest(s.url, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const del = await rawRequest(s.url, { method: 'DELETE', path: '/v1/models' });
    expect(del.status).toBe(405);
    const nf = await rawRequest(s.url, { method: 'GET', path: '/etc/passwd' });
    expect(nf.status).toBe(404);
    expect(JSON.parse(nf.body).error).toMatch(/^charnn: not found: no such page or endpoint: GET \/etc\/passwd/);
    const dots = await rawRequest(s.url, { method: 'GET', path: '/../package.json' });
    expect(dots.status).toBe(404);
    const host = await rawRequest(s.url, { method: 'GET', path: '/v1/models', headers: { Host: 'attacker.example:80' } });
    expect(host.status).toBe(403);
    expect(JSON.parse(host.body).error).toMatch(/the Host header "attacker\.example:80" does not name this machine/);
  });

  it('after all that it still serves, and logged no internal error', async () => {
    const r = await postSample(s.url, { length: 50, seed: 9 }, 'text/plain');
    expect(r.status).toBe(200);
    expect([...r.body]).toHaveLength(50);
    expect(s.stderr()).not.toMatch(/internal error|Error:|at .*\.js/);
    expect(s.child.exitCode).toBeNull();
  });
});

describe('charnn serve: limits', () => {
  it('past --max-streams answers 429 with Retry-After, and takes new streams once one leaves', async () => {
    const s = await startServer([CKPT, '--max-streams', '2', '--max-length', '1000000'], dir);
    try {
      const a = await openStream(s.url, { length: 1_000_000 });
      const b = await openStream(s.url, { length: 1_000_000 });
      expect([a.status, b.status]).toEqual([200, 200]);
      const r = await postSample(s.url, { length: 10 });
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(JSON.parse(r.body).error).toMatch(/^charnn: cannot sample: all 2 streams are in use \(try again in a moment, or start the server with a higher --max-streams\)$/);
      a.abort();
      await waitHealth(s.url, (h) => h.streams === 1);
      const c = await postSample(s.url, { length: 10, seed: 2 }, 'text/plain');
      expect(c.status).toBe(200);
      expect(c.body).toBe(await cliSample(CKPT, { length: 10, seed: 2 }, dir));
      b.abort();
      await waitHealth(s.url, (h) => h.streams === 0);
    } finally {
      await s.stop();
    }
  });

  it('refuses a port in use with one line and exit 1; --host beyond loopback needs a key or --insecure-no-key, and warns what it exposes', async () => {
    const refused = await runCli(['serve', CKPT, '--port', '0', '--host', '0.0.0.0'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^charnn: cannot serve: --host 0\.0\.0\.0 without an API key \(give --api-key KEY, --api-key-file FILE or CHARNN_API_KEY/m);
    const s = await startServer([CKPT, '--host', '0.0.0.0', '--insecure-no-key'], dir);
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(s.stderr()).toMatch(/charnn: warning: listening on 0\.0\.0\.0: anyone who can reach this machine on port \d+ can use the page and the API .*no password/);
      const port = new URL(s.url).port;
      const r = await runCli(['serve', CKPT, '--port', port], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n').pop()).toBe(`charnn: cannot listen on 127.0.0.1:${port}: port ${port} on 127.0.0.1 is in use (pick another with --port, or --port 0 for any free one)`);
    } finally {
      await s.stop();
    }
  });

  it('rejects bad options on the command line like every command', async () => {
    const r = await runCli(['serve', CKPT, '--max-streams', '0'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('charnn: invalid option: --max-streams "0": must be between 1 and 4096 (see charnn serve --help)');
  });
});

describe('charnn serve: shutdown', () => {
  it('SIGINT lets an open stream finish within --grace, refuses new ones, then exits 0', async () => {
    const s = await startServer([CKPT, '--grace', '20s'], dir);
    const o = { prime: 'JULIET:', seed: 21, length: 3000, temp: 0.7 };
    const pending = postSample(s.url, o);
    await waitHealth(s.url, (h) => h.streams === 1);
    s.child.kill('SIGINT');
    // once the server has taken the signal (a busy generation step can hold it back on a loaded machine)
    for (let t = Date.now(); !/SIGINT: stopping/.test(s.stderr()) && Date.now() - t < 10_000; ) await sleep(20);
    const refused = await postSample(s.url, { length: 5 }).then((r) => r.status, () => 'connection refused');
    expect([503, 'connection refused']).toContain(refused);
    const r = await pending;
    const ev = parseEvents(r.body);
    expect(ev[ev.length - 1]).toEqual({ event: 'end', data: { reason: 'length', chars: 3000 } });
    expect(textOf(ev)).toBe(await cliSample(CKPT, o, dir));
    const { code } = await s.exited;
    expect(code).toBe(0);
    expect(s.stderr()).toMatch(/SIGINT: stopping; 1 open stream may finish within 20s/);
  });

  it('SIGTERM past --grace cuts open streams with a "shutdown" end event and exits 0', async () => {
    const s = await startServer([CKPT, '--grace', '300ms', '--max-length', '1000000'], dir);
    const pending = postSample(s.url, { length: 1_000_000, seed: 4 });
    await waitHealth(s.url, (h) => h.generated > 0);
    const t0 = Date.now();
    const { code } = await s.stop('SIGTERM');
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    const ev = parseEvents((await pending).body);
    const end = ev[ev.length - 1];
    expect(end.event).toBe('end');
    expect(end.data.reason).toBe('shutdown');
    expect(end.data.chars).toBe([...textOf(ev)].length);
  });

  it('an idle server exits 0 at once on SIGINT', async () => {
    const s = await startServer([CKPT], dir);
    const t0 = Date.now();
    const end = await s.stop('SIGINT');
    expect(end, s.stderr()).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
