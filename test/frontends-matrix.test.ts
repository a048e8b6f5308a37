/**
 * One sample command under three front ends: for models trained in stream and in line mode, plain and with the
 * text preparations (--nfc, --newline lf, --min-char-count 3), the same awkward primes (decomposed accents, CRLF,
 * a rare character) and options (temperature, top-k/p, beam, bans, stop strings, count) give byte-identical text
 * through `charnn sample`, `loadModel().sample()` and `POST /v1/sample`, and an unusable prime or option gets the
 * same error from each (each front end names the option its own way: `--top-k` on the command line, `topK` in
 * the library and a request; that spelling is the only difference allowed).
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type CharnnModel } from '../src/index.js';
import { formatError } from '../src/errors.js';
import { runCli, tempDir } from './helpers/cli.js';
import { postSample, startServer, type ServerProcess } from './helpers/serve.js';

/** A small corpus with what the preparations change: CRLF line ends, decomposed and composed accents, rare marks. */
function corpus(): string {
  const lines: string[] = [];
  for (let i = 0; i < 60; i++) {
    lines.push(i % 3 === 0 ? 'ROMEO: the cafe\u0301 is open' : i % 3 === 1 ? 'JULIET: the café is near' : 'NURSE: go to the market');
    if (i % 30 === 7) lines.push('a rare mark § here'); // twice: rarer than --min-char-count 3
  }
  return lines.join('\r\n') + '\r\n';
}

/** Names as a list (line mode): one per line, CRLF, a few accented. */
function names(): string {
  const base = ['anna', 'bob', 'chloé', 'dana', 'emil', 'zoe\u0301', 'fred', 'gina', 'hugo', 'ida'];
  const out: string[] = [];
  for (let i = 0; i < 40; i++) out.push(base[i % base.length] + (i % 4 === 0 ? 'a' : ''));
  return out.join('\r\n') + '\r\n';
}

interface Model {
  name: string;
  path: string;
  lines: boolean;
}

const MODELS: Array<{ name: string; lines: boolean; flags: string[] }> = [
  { name: 'stream-plain', lines: false, flags: [] },
  { name: 'stream-nfc', lines: false, flags: ['--nfc'] },
  { name: 'stream-lf', lines: false, flags: ['--newline', 'lf'] },
  { name: 'stream-rare', lines: false, flags: ['--min-char-count', '3'] },
  { name: 'lines-plain', lines: true, flags: ['--lines'] },
  { name: 'lines-nfc', lines: true, flags: ['--lines', '--nfc'] },
  { name: 'lines-lf', lines: true, flags: ['--lines', '--newline', 'lf'] },
];

type Options = Record<string, string | number | boolean | string[]>;

const STREAM_CASES: Array<[string, Options]> = [
  ['decomposed accent', { prime: 'ROMEO: the cafe\u0301', temp: 0.7, length: 120, seed: 3 }],
  ['CRLF prime, top-k', { prime: 'JULIET: near\r\nNURSE', topK: 4, length: 100, seed: 5 }],
  ['rare character, top-p', { prime: 'a rare mark §', topP: 0.8, temp: 1.1, length: 90, seed: 7 }],
  ['beam and a ban', { prime: 'ROMEO', beam: 3, length: 60, ban: ['the'] }],
  ['bans while drawing', { prime: 'NURSE: ', ban: ['go', 'market'], length: 80, seed: 11 }],
  ['stop string', { prime: 'JULIET', stopAt: 'open', length: 400, seed: 2 }],
  ['stop string with whitespace', { stopAt: '\r\n', length: 300, seed: 4 }],
  ['temperature 0', { temp: 0, length: 70 }],
  // refusals
  ['unseen character', { prime: 'ROMEO ¿', length: 50, seed: 1 }],
  ['prime longer than length', { prime: 'ROMEO: the', length: 4, seed: 1 }],
  ['beam with a temperature', { beam: 2, temp: 0.5, length: 40 }],
  ['count on a stream model', { count: 3, length: 40, seed: 1 }],
  ['negative temperature', { temp: -1, length: 40, seed: 1 }],
];

const LINE_CASES: Array<[string, Options]> = [
  ['count and temperature', { count: 6, temp: 0.9, seed: 3 }],
  ['decomposed accent prime', { prime: 'zoe\u0301', count: 4, seed: 5 }],
  ['top-k, unique', { count: 5, topK: 3, unique: true, seed: 8 }],
  ['json lines', { count: 3, json: true, seed: 9 }],
  // refusals
  ['a line break in the prime', { prime: 'an\r\nna', count: 2, seed: 1 }],
  ['stop string on lines', { stopAt: 'a', count: 2, seed: 1 }],
  ['beam on lines', { beam: 2, count: 2, length: 20 }],
  ['unseen character', { prime: 'ß', count: 2, seed: 1 }],
];

const flag = (k: string) => '--' + k.replace(/[A-Z]/g, (m) => '-' + m.toLowerCase());

function cliArgs(o: Options): string[] {
  const args: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (v === true) args.push(flag(k));
    else if (Array.isArray(v)) for (const x of v) args.push(flag(k), x);
    else args.push(flag(k), String(v));
  }
  return args;
}

/**
 * An error line as "what: why", the option names spelled as keys and a value given as a command-line word
 * unquoted: the only differences allowed between front ends (the hint says how to fix it in each one's terms:
 * `--skip-unknown` or `skipUnknown`, `see charnn sample --help`, the request's expected value).
 */
function normalise(line: string): string {
  let s = line.replace(/^charnn: /, '');
  if (s.endsWith(')')) {
    // drop the hint: the last balanced parenthesis group
    let depth = 0;
    for (let i = s.length - 1; i >= 0; i--) {
      if (s[i] === ')') depth++;
      else if (s[i] === '(' && --depth === 0) {
        s = s.slice(0, i).trimEnd();
        break;
      }
    }
  }
  return s
    .replace(/--([a-z][a-z-]*)/g, (_m, f: string) => f.replace(/-([a-z])/g, (_x, c: string) => c.toUpperCase()))
    .replace(/^(invalid option: \w+) "([^"]*)":/, '$1 $2:');
}

type Outcome = { text: string } | { error: string };

let dir: string;
let cleanup: () => void;
const models: Model[] = [];
let server: ServerProcess;
const loaded = new Map<string, CharnnModel>();

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  writeFileSync(join(dir, 'corpus.txt'), corpus());
  writeFileSync(join(dir, 'names.txt'), names());
  for (const m of MODELS) {
    const out = join(dir, 'runs', m.name);
    const r = await runCli(['train', m.lines ? 'names.txt' : 'corpus.txt', ...m.flags, '--hidden', '24', '--layers', '1', '--steps', '30', '--batch', '4', '--seq', '16', '--val-frac', '0', '--out', out, '-q'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    models.push({ name: m.name, path: join(out, 'latest.json'), lines: m.lines });
    loaded.set(m.name, await loadModel(join(out, 'latest.json')));
  }
  server = await startServer(models.map((m) => join('runs', m.name)), dir);
}, 180_000);

afterAll(async () => {
  for (const m of loaded.values()) m.close();
  await server?.stop();
  cleanup?.();
});

async function viaCli(m: Model, o: Options): Promise<Outcome> {
  const r = await runCli(['sample', m.path, ...cliArgs(o)], { cwd: dir });
  if (r.code === 0) return { text: r.stdout };
  expect(r.stderr.trim().split('\n')).toHaveLength(1); // one line, no stack
  return { error: normalise(r.stderr.trim()) };
}

function viaLibrary(m: Model, o: Options): Outcome {
  try {
    return { text: loaded.get(m.name)!.sample(o) };
  } catch (e) {
    return { error: normalise(formatError(e)) };
  }
}

async function viaServer(m: Model, o: Options): Promise<Outcome> {
  const r = await postSample(server.url, { model: m.name, ...o }, 'text/plain');
  if (r.status === 200) return { text: r.body };
  expect(r.status).toBeGreaterThanOrEqual(400);
  expect(r.status).toBeLessThan(500);
  return { error: normalise((JSON.parse(r.body) as { error: string }).error) };
}

describe('charnn sample, loadModel().sample() and POST /v1/sample', () => {
  for (const m of MODELS) {
    const cases = m.lines ? LINE_CASES : STREAM_CASES;
    it(`${m.name}: the same text, or the same refusal, for every case`, async () => {
      const model = models.find((x) => x.name === m.name)!;
      let texts = 0, errors = 0;
      for (const [what, o] of cases) {
        const cli = await viaCli(model, o);
        const lib = viaLibrary(model, o);
        const srv = await viaServer(model, o);
        expect(lib, `${m.name}, ${what}: library`).toEqual(cli);
        expect(srv, `${m.name}, ${what}: server`).toEqual(cli);
        if ('text' in cli) texts++;
        else errors++;
      }
      // the matrix is not vacuous: most cases make text, and the refusals are refused
      expect(texts).toBeGreaterThanOrEqual(m.lines ? 3 : 6);
      expect(errors).toBeGreaterThanOrEqual(3);
    }, 120_000);
  }

  it('the preparations reach the prime: a decomposed accent is composed for an NFC model, CRLF becomes LF for an LF model, a rare character is the unknown symbol', () => {
    const nfc = loaded.get('stream-nfc')!.sample({ prime: 'the cafe\u0301', temp: 0, length: 20 });
    expect(nfc.startsWith('the caf\u00e9')).toBe(true);
    const lf = loaded.get('stream-lf')!.sample({ prime: 'near\r\nNURSE', temp: 0, length: 20 });
    expect(lf.startsWith('near\nNURSE')).toBe(true);
    const rare = loaded.get('stream-rare')!.sample({ prime: 'mark §', temp: 0, length: 20 });
    expect(rare.startsWith('mark \uFFFD')).toBe(true);
  });
});
