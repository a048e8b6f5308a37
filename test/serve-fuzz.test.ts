/**
 * Both APIs of a live `charnn serve` (127.0.0.1) under drawn requests (fast-check): JSON bodies of the fields each
 * API knows, with values of every type and size (numbers such as 1e309, -0, 1e-400, 2^53, fractions, negatives,
 * as raw JSON text), random JSON, broken bodies, any method, paths, Content-Type, Accept, Origin and
 * Authorization. Every answer must be 2xx or 4xx with a JSON body (or a well-formed stream, or the page's files),
 * and the server must stay up without an internal error. The figures (requests, answers by status, the server's
 * peak RSS) are printed for the closing note.
 *
 * CHARNN_FUZZ_RUNS sets the number of requests (default 3000, about 15 s on a 2-core machine; e.g. 30000 for a long run).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers/cli.js';
import { getJson, startServer, type ServerProcess } from './helpers/serve.js';

const CKPT = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
const RUNS = Number(process.env.CHARNN_FUZZ_RUNS ?? 3000);

let dir: string;
let cleanup: () => void;
let s: ServerProcess;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  s = await startServer([CKPT, '--max-length', '300', '--max-streams', '6', '--metrics', '--cors-origin', 'https://ok.example'], dir);
});
afterAll(async () => {
  await s?.stop();
  cleanup?.();
});

// ---- what is drawn ------------------------------------------------------------------------------------------

/** JSON number literals as text, the edge cases JSON.stringify cannot write among them. */
const numberText = fc.oneof(
  fc.constantFrom('1e309', '-1e309', '-0', '1e-400', '9007199254740993', '4294967296', '4294967295', '1.5', '-1', '0', '1', '2', '0.5', '1e3', '99999999999999999999', '3.0', '1E2'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => JSON.stringify(x)),
  fc.integer({ min: -1e6, max: 1e6 }).map(String),
);
const valueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: numberText },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }).map((x) => JSON.stringify(x)) },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null', '[]', '{}', '"ROMEO:"', '["\\n\\n", "a"]', '["a","b","c","d","e"]', '[1, 2]', '{"include_usage": true}', '"tinyshakespeare"', '"\\u0000"', '"' + 'x'.repeat(5000) + '"') },
  { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
);
const SAMPLE_KEYS = ['model', 'prime', 'temp', 'topK', 'topP', 'length', 'seed', 'skipUnknown', 'beam', 'ban', 'stopAt', 'count', 'unique', 'json'];
const COMPLETION_KEYS = ['model', 'prompt', 'max_tokens', 'temperature', 'top_p', 'stop', 'seed', 'n', 'stream', 'stream_options', 'logprobs', 'echo', 'user', 'suffix', 'best_of', 'presence_penalty', 'frequency_penalty', 'logit_bias'];
const objectText = (keys: string[]) =>
  fc.uniqueArray(fc.tuple(fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }), valueText), { maxLength: 6, selector: (p) => p[0] }).map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}`);
const body = fc.oneof(
  { weight: 6, arbitrary: objectText(SAMPLE_KEYS) },
  { weight: 6, arbitrary: objectText(COMPLETION_KEYS) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '{"prompt": "a"', 'null', '[]', '{"length": 1e309}', '{"max_tokens": NaN}', '\u00ff\u00fe', '{"prime": "' + 'a'.repeat(20000) + '"}') },
);
const path = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('/v1/sample', '/v1/completions') },
  { weight: 2, arbitrary: fc.constantFrom('/v1/models', '/v1/health', '/health', '/metrics', '/', '/index.html', '/app.js', '/v1/completions?x=1', '/v1/chat/completions', '/../etc/passwd', '/v1/sample/', '//v1/sample', '/%00') },
  { weight: 1, arbitrary: fc.webPath() },
);
const method = fc.oneof({ weight: 8, arbitrary: fc.constant('POST') }, { weight: 3, arbitrary: fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH') });
const headers = fc.record(
  {
    'Content-Type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', ''),
    Accept: fc.constantFrom('text/event-stream', 'text/plain', 'application/json', '*/*', 'text/plain, text/event-stream'),
    Origin: fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('https://ok.example', 'https://evil.example', 'null', 'http://127.0.0.1') }),
    Authorization: fc.constantFrom('Bearer x', 'Basic abc', ''),
    'Sec-Fetch-Site': fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('cross-site', 'same-origin', 'none') }),
  },
  { requiredKeys: [] },
);
const drawn = fc.record({ method, path, headers, body });
type Drawn = { method: string; path: string; headers: Partial<Record<string, string>>; body: string };

// ---- one request ----------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  type: string;
  body: string;
}

function send(url: string, r: Drawn): Promise<Answer> {
  const u = new URL(url);
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (v) h[k] = v as string;
  const withBody = r.method !== 'GET' && r.method !== 'HEAD';
  if (withBody) h['Content-Length'] = String(Buffer.byteLength(r.body)); // Node frames no DELETE or OPTIONS body itself
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: r.method, path: r.path, headers: h, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: text }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer in 30 s: ${JSON.stringify(r).slice(0, 300)}`)));
    req.on('error', reject);
    if (withBody) req.write(r.body);
    req.end();
  });
}

/** A well-formed answer: 2xx/4xx; JSON parses; event streams are blocks of event:/data: lines. */
function check(r: Drawn, a: Answer): void {
  const where = `${r.method} ${r.path} -> ${a.status} ${a.type} ${a.body.slice(0, 300)}`;
  expect(a.status >= 200 && a.status < 300 ? 'ok' : a.status >= 400 && a.status < 500 ? 'ok' : where).toBe('ok');
  if (r.method === 'HEAD' || a.status === 204) return;
  if (a.type.startsWith('application/json')) expect(() => JSON.parse(a.body), where).not.toThrow();
  else if (a.type.startsWith('text/event-stream')) {
    const blocks = a.body.split('\n\n').filter((b) => b.trim());
    for (const b of blocks) {
      for (const line of b.split('\n')) {
        expect(/^(event: \w+|data: .*)$/.test(line), where).toBe(true);
        if (line.startsWith('data: ') && line !== 'data: [DONE]') JSON.parse(line.slice(6));
      }
    }
    if (r.path.startsWith('/v1/completions')) expect(blocks.at(-1), where).toBe('data: [DONE]');
  } else if (a.status >= 400) expect.fail(`an error without a JSON body: ${where}`);
}

describe('charnn serve under drawn requests', () => {
  it(`answers ${RUNS} drawn requests with 2xx or 4xx and a well-formed body, and stays up`, async () => {
    const byStatus = new Map<number, number>();
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(drawn, async (r) => {
        const a = await send(s.url, r);
        tried++;
        byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
        check(r, a);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect((await getJson(s.url, '/health')).body).toEqual({ status: 'ok' });
    expect(s.child.exitCode).toBeNull();
    expect(s.stderr()).not.toMatch(/internal error|Error:|at .*\.js/);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.child.pid}/status`, 'utf8'))?.[1];
    const statuses = [...byStatus].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}: ${v}`).join(', ');
    console.log(`serve fuzz: ${tried} requests; answers ${statuses}; server peak RSS ${hwm ? (Number(hwm) / 1024).toFixed(1) + ' MB' : 'unknown'}`);
    expect(Number(hwm)).toBeLessThan(1024 * 1024); // under 1 GB
  }, 600_000);
});
