/**
 * The reproductions of issue 26 through the real binary: each hostile file gives one clear line on stderr and exit 1
 * (the valid 130k-point run works), within bounded memory (peak RSS, by /usr/bin/time where it exists).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointToText } from '../src/checkpoint/codec.js';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { valuesFrom } from '../src/commands/values.js';
import { formatError } from '../src/errors.js';
import { exportCheckpoint } from '../src/export/convert.js';
import { SAMPLE } from '../src/options.js';
import { parseSampleRequest } from '../src/serve/request.js';
import { BIN, cleanEnv, requireBuild, ROOT, tempDir } from './helpers/cli.js';

const BUNDLED = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
const TIME = '/usr/bin/time';
/** peak resident memory any of these may reach (Node itself is ~60 MB; the files claim gigabytes) */
const CEILING_KB = 400 * 1024;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  peakKb: number | null;
}

function charnn(args: string[], cwd: string): Promise<Result> {
  requireBuild();
  const timed = existsSync(TIME);
  const cmd = timed ? TIME : process.execPath;
  const argv = timed ? ['-f', '@@peak %M', process.execPath, BIN, ...args] : [BIN, ...args];
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      // time(1) adds "Command exited with non-zero status N" and the peak line at the end
      const m = /(?:Command exited with non-zero status \d+\n)?@@peak (\d+)\n?$/.exec(err);
      resolve({ code, stdout: out, stderr: m ? err.slice(0, m.index) : err, peakKb: m ? Number(m[1]) : null });
    });
  });
}

describe('issue 26 reproductions (real binary)', () => {
  let dir: string;
  let cleanup: () => void;
  let base: Record<string, unknown> & { vocab: string[]; model: Record<string, unknown>; tensors: Record<string, { shape: number[] }> };
  let st: Buffer;
  let hdr: Record<string, unknown> & { __metadata__: Record<string, string> };
  let data: Buffer;
  const w = (f: string, o: unknown) => writeFileSync(join(dir, f), typeof o === 'string' || Buffer.isBuffer(o) ? o : JSON.stringify(o));
  const mkst = (h: unknown, d: Buffer = data) => {
    let j = JSON.stringify(h);
    while ((8 + Buffer.byteLength(j)) % 8) j += ' ';
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(Buffer.byteLength(j)));
    return Buffer.concat([b, Buffer.from(j), d]);
  };

  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
    base = JSON.parse(readFileSync(BUNDLED, 'utf8'));
    st = Buffer.from(exportCheckpoint(loadCheckpoint(BUNDLED), 'safetensors'));
    const n = Number(st.readBigUInt64LE(0));
    hdr = JSON.parse(st.subarray(8, 8 + n).toString());
    data = st.subarray(8 + n);
  });
  afterAll(() => cleanup());

  /** one line, exit 1, the line matching `why`, no raw control character, memory bounded */
  async function refused(args: string[], why: RegExp): Promise<string> {
    const r = await charnn(args, dir);
    const line = r.stderr.trimEnd();
    expect(r.code, r.stderr.slice(0, 500)).toBe(1);
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(why);
    expect(line.length).toBeLessThan(600);
    // eslint-disable-next-line no-control-regex
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(line).not.toMatch(/internal error/);
    if (r.peakKb !== null) expect(r.peakKb).toBeLessThan(CEILING_KB);
    return line;
  }

  it('import: 4,000 entries aliasing one data range fail fast, before any copy', async () => {
    const h: Record<string, unknown> = { ...hdr };
    const first = Object.entries(hdr).find(([k]) => k !== '__metadata__')![1];
    for (let i = 0; i < 4000; i++) h[`alias${i}`] = first;
    w('aliased.safetensors', mkst(h));
    await refused(['import', 'aliased.safetensors'], /^charnn: cannot import aliased\.safetensors: tensor "alias0": its data \[0, \d+\) overlaps another tensor's$/);
  }, 60_000);

  it('info: /dev/zero and a FIFO are refused by type; a file past CHARNN_MAX_FILE_BYTES by size', async () => {
    if (existsSync('/dev/zero')) await refused(['info', '/dev/zero'], /cannot load checkpoint \/dev\/zero: it is a device, not a regular file/);
    const fifo = join(dir, 'fifo');
    const mk = spawn('mkfifo', [fifo]);
    if ((await new Promise((r) => mk.on('close', r)).catch(() => 1)) === 0) await refused(['info', 'fifo'], /it is a FIFO \(named pipe\), not a regular file/);
    const r = await new Promise<Result>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'info', BUNDLED], { cwd: dir, env: cleanEnv({ CHARNN_MAX_FILE_BYTES: '1M' }), stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('close', (code) => resolve({ code, stdout: '', stderr: err, peakKb: null }));
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/the file is 1\.7 MiB, more than the 1\.0 MiB charnn reads \(set CHARNN_MAX_FILE_BYTES to a larger number of bytes if the file is trusted\)$/);
  }, 60_000);

  it('object-heavy JSON, deep nesting, huge strings and shapes: refused naming the field', async () => {
    w('objheavy.json', JSON.stringify({ ...base, config: { x: '@@MARK@@' } }).replace('"@@MARK@@"', () => `[${'{},'.repeat(5_100_000)}{}]`));
    await refused(['info', 'objheavy.json'], /field "config" holds more than 5000000 values/);
    w('deep.json', JSON.stringify({ ...base, config: { x: '@@MARK@@' } }).replace('"@@MARK@@"', () => '['.repeat(4000) + ']'.repeat(4000)));
    await refused(['info', 'deep.json'], /field "config" is nested more than 64 levels deep/);
    await refused(['sample', 'deep.json', '-n', '5'], /field "config" is nested more than 64 levels deep/);
    w('vocab.json', { ...base, vocab: ['x'.repeat(2_000_000), ...base.vocab.slice(1)] });
    await refused(['info', 'vocab.json'], /field "vocab" has a string of 2000000 bytes/);
    w('writer.json', { ...base, version: 99, charnn: 'z'.repeat(500_000) });
    await refused(['info', 'writer.json'], /written by charnn z+… \(500000 characters\)/);
    const t = { ...base.tensors };
    const k = Object.keys(t)[0];
    t[k] = { ...t[k], shape: Array(1_000_000).fill(1) };
    w('shape.json', { ...base, tensors: t });
    await refused(['info', 'shape.json'], /has 1000000 dimensions/);
  }, 60_000);

  it('terminal escapes from a file are escaped in error lines and in info', async () => {
    w('esc-dropout.json', { ...base, model: { ...base.model, dropoutMode: '\x1b[2J\x1b]0;pwned\x07' } });
    expect(await refused(['info', 'esc-dropout.json'], /dropout mode/)).toContain('\\u001b[2J\\u001b]0;pwned\\u0007');
    const h = JSON.parse(JSON.stringify(hdr));
    h['decoder.bias'].dtype = 'F\x1b[2J\u009b';
    w('esc-dtype.safetensors', mkst(h));
    expect(await refused(['import', 'esc-dtype.safetensors'], /dtype/)).toContain('"F\\u001b[2J\\u009b"');
    const c = loadCheckpoint(BUNDLED);
    w('esc-info.json', checkpointToText({ ...c, created: '\x1b[2J\x07when', corpus: { ...c.corpus!, source: '\x1b[31mred\u009b2J' } }));
    const r = await charnn(['info', 'esc-info.json'], dir);
    expect(r.code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(r.stdout).toContain('\\u001b[31mred\\u009b2J');
  }, 60_000);

  it('safetensors TypeErrors become lines; import refuses what nothing could load', async () => {
    w('null.safetensors', mkst({ ...hdr, 'decoder.bias': null }));
    await refused(['import', 'null.safetensors'], /entry "decoder\.bias" is null, not an object$/);
    const meta = (f: (m: Record<string, string>) => void, name: string) => {
      const h = JSON.parse(JSON.stringify(hdr));
      f(h.__metadata__);
      w(name, mkst(h));
    };
    meta((m) => (m['charnn.vocab'] = '{"length":65}'), 'vocab-obj.safetensors');
    await refused(['import', 'vocab-obj.safetensors'], /metadata charnn\.vocab is an object, not a list of characters$/);
    const v = JSON.parse(hdr.__metadata__['charnn.vocab']) as string[];
    meta((m) => (m['charnn.vocab'] = JSON.stringify([v[1], ...v.slice(1)])), 'vocab-dup.safetensors');
    await refused(['import', 'vocab-dup.safetensors'], /vocabulary has " " twice/);
    meta((m) => (m['charnn.vocab'] = JSON.stringify([7, ...v.slice(1)])), 'vocab-num.safetensors');
    await refused(['import', 'vocab-num.safetensors'], /vocabulary entry 0 is not a single character: 7/);
    meta((m) => (m['charnn.config'] = '[1,2]'), 'config.safetensors');
    await refused(['import', 'config.safetensors'], /metadata charnn\.config is a list of 2, not an object/);
    meta((m) => (m['charnn.corpus'] = '{"source":5}'), 'corpus.safetensors');
    await refused(['import', 'corpus.safetensors'], /field "corpus" is malformed/);
    const d = Buffer.from(data);
    d.writeFloatLE(NaN, 0);
    w('nan.safetensors', mkst(hdr, d));
    await refused(['import', 'nan.safetensors'], /has a value that is not finite \(NaN\) at index 0/);
    for (const f of ['null', 'vocab-obj', 'vocab-dup', 'vocab-num', 'config', 'corpus', 'nan']) expect(existsSync(join(dir, `${f}.json`))).toBe(false);
  }, 60_000);

  it('a valid run with 130,000 loss points: info shows it', async () => {
    const c = loadCheckpoint(BUNDLED);
    c.progress.lossHistory = Array.from({ length: 130_000 }, (_, i) => ({ step: i + 1, train: 4 - i / 50_000, ...(i % 1000 === 999 ? { val: 4.1 - i / 50_000 } : {}) }));
    w('history.json', checkpointToText(c));
    const r = await charnn(['info', 'history.json'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/loss curve/);
  }, 60_000);

  it('messages: past the safe range, overflow, hints from own properties', async () => {
    const r = await charnn(['sample', BUNDLED, '--length', '1e308'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('charnn: invalid option: --length "1e308": must be at most 9007199254740991 (the largest whole number held exactly) (see charnn sample --help)');
  }, 60_000);
});

describe('messages from values of a library call or a request (in-process)', () => {
  const line = (doc: Record<string, unknown>, aliases?: Record<string, string>) => {
    try {
      valuesFrom(SAMPLE, doc, { aliases: aliases as never });
      return 'ok';
    } catch (e) {
      return formatError(e);
    }
  };
  it('says "must be a finite number" for an overflowed JSON number and "at most" past the safe range', () => {
    expect(line({ length: JSON.parse('1e309') })).toBe('charnn: invalid option: length Infinity: must be a finite number');
    expect(line({ length: 1e308 })).toMatch(/length 1e\+308: must be at most 9007199254740991/);
  });
  it('a request body: 1e309 "must be a finite number"; no hint from Object.prototype', () => {
    const req = (doc: unknown) => {
      try {
        parseSampleRequest(doc, [{ name: 'm' } as never], { maxLength: 100, maxStreams: 1 });
        return 'ok';
      } catch (e) {
        return formatError(e);
      }
    };
    expect(req(JSON.parse('{"temp": 1e309}'))).toMatch(/temp must be a finite number, got Infinity/);
    expect(req({ constructor: 1 })).toMatch(/unknown option "constructor"/);
    expect(req({ constructor: 1 })).not.toMatch(/did you mean|function/);
  });
  it('takes hints from own properties only', () => {
    expect(line({ constructor: 1 }, { n: 'length' })).not.toMatch(/did you mean|function/);
    expect(line({ n: 1 }, { n: 'length' })).toMatch(/did you mean length\?/);
  });
});
