/**
 * `charnn serve`'s doors: API keys (and what stays public), browser origins (a cross-site request, simple ones
 * included, gets 403 and starts no generation; listed origins and their preflights are served), duplicate Host
 * headers, /health and /metrics, a key file and the environment, and clients that stop reading (cut after
 * --write-timeout, their slots freed).
 */
import { writeFileSync } from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers/cli.js';
import { getJson, rawRequest, startServer, type ServerProcess } from './helpers/serve.js';

const CKPT = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
const KEY = 'k3y-for-the-tests-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup?.());

/** Raw bytes to the server; resolves with the whole answer (the server closes or the caller ends it). */
function raw(url: string, text: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname, () => sock.write(text));
    let got = '';
    sock.setEncoding('utf8').on('data', (d: string) => {
      got += d;
      if (/\r\n\r\n/.test(got) && /content-length: (\d+)/i.test(got)) {
        const n = Number(/content-length: (\d+)/i.exec(got)![1]);
        if (Buffer.byteLength(got.split('\r\n\r\n').slice(1).join('\r\n\r\n')) >= n) sock.end();
      }
    });
    sock.on('end', () => resolve(got));
    sock.on('close', () => resolve(got));
    sock.on('error', reject);
  });
}

describe('charnn serve with --api-key', () => {
  let s: ServerProcess;
  beforeAll(async () => {
    s = await startServer([CKPT, '--api-key', KEY], dir);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('every endpoint but /health and the page files needs Authorization: Bearer KEY', async () => {
    expect(await getJson(s.url, '/health')).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await fetch(new URL('/', s.url))).status).toBe(200);
    for (const [method, path] of [['GET', '/v1/models'], ['GET', '/v1/health'], ['POST', '/v1/sample'], ['POST', '/v1/completions']]) {
      const none = await rawRequest(s.url, { method, path, body: method === 'POST' ? '{}' : undefined });
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer');
      expect(JSON.stringify(JSON.parse(none.body))).toMatch(/needs an API key/);
      const wrong = await rawRequest(s.url, { method, path, headers: { Authorization: `Bearer ${KEY}x` }, body: method === 'POST' ? '{}' : undefined });
      expect(wrong.status).toBe(401);
      expect(JSON.stringify(JSON.parse(wrong.body))).toMatch(/the API key is wrong/);
    }
    const ok = await rawRequest(s.url, { method: 'POST', path: '/v1/sample', headers: { Authorization: `Bearer ${KEY}`, Accept: 'text/plain' }, body: '{"length": 20, "seed": 1}' });
    expect(ok.status).toBe(200);
    expect([...ok.body]).toHaveLength(20);
  });

  it('the key can come from a file or CHARNN_API_KEY; a short key is refused at start', async () => {
    writeFileSync(join(dir, 'key.txt'), `${KEY}\n`);
    const f = await startServer([CKPT, '--api-key-file', 'key.txt', '--host', '0.0.0.0'], dir);
    try {
      expect(f.stderr()).toMatch(/listening on 0\.0\.0\.0: the API needs the key/);
      expect((await rawRequest(f.url, { method: 'GET', path: '/v1/models', headers: { Authorization: `Bearer ${KEY}` } })).status).toBe(200);
      expect((await rawRequest(f.url, { method: 'GET', path: '/v1/models' })).status).toBe(401);
    } finally {
      await f.stop();
    }
    const e = await startServer([CKPT], dir, { CHARNN_API_KEY: KEY });
    try {
      expect((await rawRequest(e.url, { method: 'GET', path: '/v1/models', headers: { Authorization: `Bearer ${KEY}` } })).status).toBe(200);
      expect((await rawRequest(e.url, { method: 'GET', path: '/v1/models', headers: { Authorization: `Bearer ${KEY.slice(0, -1)}` } })).status).toBe(401);
    } finally {
      await e.stop();
    }
    const short = await runCli(['serve', CKPT, '--port', '0', '--api-key', 'abc'], { cwd: dir });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/the API key is shorter than 8 characters/);
    const env = await runCli(['serve', CKPT, '--port', '0', '--host', '0.0.0.0', '--api-key-file', 'missing.txt'], { cwd: dir });
    expect(env.code).not.toBe(0);
    expect(env.stderr).toMatch(/cannot read the API key file missing\.txt/);
  });
});

describe('charnn serve: origins, Host, health, metrics, slow clients', () => {
  let s: ServerProcess;
  beforeAll(async () => {
    s = await startServer([CKPT, '--cors-origin', 'https://app.example:3000', '--metrics', '--max-length', '10000000', '--max-streams', '4', '--write-timeout', '1s'], dir);
  });
  afterAll(async () => {
    await s?.stop();
  });
  const generated = async () => (await getJson(s.url, '/v1/health')).body.generated as number;

  it('cross-site requests get 403 and start no generation: text/plain, forms, Origin: null, Sec-Fetch-Site', async () => {
    const before = await generated();
    const cases: Record<string, string>[] = [
      { Origin: 'https://evil.example', 'Content-Type': 'text/plain' },
      { Origin: 'null', 'Content-Type': 'application/x-www-form-urlencoded' },
      { Origin: 'https://app.example:3000.evil.example', 'Content-Type': 'text/plain' },
      { Origin: 'http://app.example:3000', 'Content-Type': 'multipart/form-data; boundary=x' },
      { 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'text/plain' },
    ];
    for (const headers of cases) {
      for (const path of ['/v1/sample', '/v1/completions']) {
        const r = await rawRequest(s.url, { path, headers, body: '{"length": 100000, "max_tokens": 100000}' });
        expect(r.status, JSON.stringify(headers)).toBe(403);
        expect(r.headers['access-control-allow-origin']).toBeUndefined();
        expect(JSON.stringify(JSON.parse(r.body))).toMatch(/are not served/);
      }
    }
    await sleep(100);
    expect(await generated()).toBe(before);
    expect((await getJson(s.url, '/v1/health')).body.streams).toBe(0);
  });

  it('a listed origin is served with its own name in the CORS headers (never *), preflights included; the page\'s own origin works', async () => {
    const pre = await rawRequest(s.url, { method: 'OPTIONS', path: '/v1/completions', headers: { Origin: 'https://app.example:3000', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example:3000');
    expect(pre.headers['access-control-allow-headers']).toMatch(/Authorization/);
    const badPre = await rawRequest(s.url, { method: 'OPTIONS', path: '/v1/completions', headers: { Origin: 'https://evil.example' } });
    expect(badPre.status).toBe(403);
    const r = await rawRequest(s.url, { path: '/v1/completions', headers: { Origin: 'https://app.example:3000', 'Content-Type': 'application/json' }, body: '{"prompt": "A", "max_tokens": 5, "seed": 1}' });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example:3000');
    expect(r.headers.vary).toBe('Origin');
    const own = await rawRequest(s.url, { path: '/v1/sample', headers: { Origin: s.url.replace(/\/$/, ''), Accept: 'text/plain' }, body: '{"length": 5, "seed": 1}' });
    expect(own.status).toBe(200);
  });

  it('two Host headers get 400', async () => {
    const port = new URL(s.url).port;
    const r = await raw(s.url, `GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
    expect(r).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('/health is 200 {"status":"ok"}; /metrics counts requests, streams, characters and refusals', async () => {
    expect(await getJson(s.url, '/health')).toEqual({ status: 200, body: { status: 'ok' } });
    const m = await fetch(new URL('/metrics', s.url));
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await m.text();
    expect(text).toMatch(/^charnn_http_requests_total\{endpoint="\/v1\/completions",status="403"\} \d+$/m);
    expect(text).toMatch(/^charnn_http_requests_total\{endpoint="\/v1\/completions",status="200"\} 1$/m);
    expect(text).toMatch(/^charnn_refusals_total\{reason="origin"\} \d+$/m);
    expect(text).toMatch(/^charnn_streams_open 0$/m);
    expect(Number(/^charnn_characters_generated_total (\d+)$/m.exec(text)![1])).toBeGreaterThan(0);
  });

  // A client that never reads: Node cannot shrink a socket's buffers, so on loopback (64 KB segments) the kernel
  // would take ~4 MB before the server's writes wait; python3 with a small receive buffer and MSS behaves as a
  // client across a network does, where a few tens of KB fill the path (skipped without python3).
  const SLOW_CLIENT = `import socket, sys, time
port = int(sys.argv[1]); body = sys.argv[2].encode()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
s.connect(('127.0.0.1', port))
s.sendall(b'POST /v1/sample HTTP/1.1\\r\\nHost: 127.0.0.1:%d\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n' % (port, len(body)) + body)
time.sleep(120)
`;
  const python = spawnSync('python3', ['-c', 'import socket; socket.TCP_MAXSEG'], { stdio: 'ignore' }).status === 0;

  it.skipIf(!python)('four clients that never read are cut after --write-timeout, and a fifth request is then served', async () => {
    const port = new URL(s.url).port;
    const body = '{"length": 10000000, "seed": 1}';
    const clients: ChildProcess[] = [];
    for (let i = 0; i < 4; i++) clients.push(spawn('python3', ['-c', SLOW_CLIENT, port, body], { stdio: 'ignore' }));
    try {
      const deadline = Date.now() + 15_000;
      while ((await getJson(s.url, '/v1/health')).body.streams < 4 && Date.now() < deadline) await sleep(20);
      const busy = await rawRequest(s.url, { path: '/v1/sample', body: '{"length": 10}' });
      // they hold every slot (unless, on a loaded machine, the first was already cut)
      const cut = /^charnn_refusals_total\{reason="write-timeout"\} \d+$/m.test(await (await fetch(new URL('/metrics', s.url))).text());
      if (!cut) expect(busy.status).toBe(429);
      // their buffers fill (the kernel takes a few MB per socket first: slower on a loaded machine), then
      // --write-timeout (1 s) cuts them
      const end = Date.now() + 90_000;
      let r = await rawRequest(s.url, { path: '/v1/sample', headers: { Accept: 'text/plain' }, body: '{"length": 10, "seed": 2}' });
      while (r.status === 429 && Date.now() < end) {
        await sleep(200);
        r = await rawRequest(s.url, { path: '/v1/sample', headers: { Accept: 'text/plain' }, body: '{"length": 10, "seed": 2}' });
      }
      expect(r.status).toBe(200);
      const metrics = await (await fetch(new URL('/metrics', s.url))).text();
      expect(metrics).toMatch(/^charnn_refusals_total\{reason="write-timeout"\} [1-4]$/m);
    } finally {
      for (const c of clients) c.kill('SIGKILL');
    }
  }, 120_000);
});

describe('charnn serve: connections', () => {
  it('a request not sent within --request-timeout gets 408 with a JSON body; past --max-connections a connection is dropped', async () => {
    const s = await startServer([CKPT, '--request-timeout', '1s', '--max-connections', '3'], dir);
    try {
      const port = Number(new URL(s.url).port);
      const t0 = Date.now();
      const slow = await raw(s.url, `POST /v1/sample HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 100\r\n\r\n{"len`);
      expect(slow).toMatch(/^HTTP\/1\.1 408 /);
      expect(JSON.parse(slow.split('\r\n\r\n')[1]).error).toMatch(/the request was not sent in time/);
      expect(Date.now() - t0).toBeLessThan(10_000);
      const idle = await Promise.all([0, 1, 2].map(() => new Promise<ReturnType<typeof connect>>((r) => { const c = connect(port, '127.0.0.1', () => r(c)); })));
      await sleep(100);
      const fourth = await raw(s.url, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`).catch(() => '');
      expect(fourth).toBe(''); // closed without an answer
      for (const c of idle) c.destroy();
      await sleep(100);
      expect((await getJson(s.url, '/health')).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});

describe('charnn serve: /health while shutting down', () => {
  it('answers 503 {"status":"stopping"} through --grace, while an open stream finishes', async () => {
    const s = await startServer([CKPT, '--grace', '20s', '--max-length', '1000000'], dir);
    const pending = rawRequest(s.url, { path: '/v1/sample', headers: { Accept: 'text/plain' }, body: '{"length": 1000000, "seed": 3}' }).catch(() => null);
    const end = Date.now() + 10_000;
    while ((await getJson(s.url, '/v1/health')).body.streams < 1 && Date.now() < end) await sleep(20);
    s.child.kill('SIGTERM');
    let h = await getJson(s.url, '/health');
    while (h.status === 200 && Date.now() < end) {
      await sleep(20);
      h = await getJson(s.url, '/health');
    }
    expect(h).toEqual({ status: 503, body: { status: 'stopping' } });
    expect((await rawRequest(s.url, { path: '/v1/completions', body: '{"prompt": "a"}' })).status).toBe(503);
    s.child.kill('SIGTERM'); // the second signal cuts the stream
    expect((await s.exited).code).toBe(0);
    await pending;
  });
});
