/**
 * Hostile files, fuzzed (fast-check): a small valid checkpoint and its safetensors export, mutated (truncations,
 * bit flips, field-type swaps, duplicated and aliased entries, huge and nested values, control characters), go
 * through what reads them: `info`, sampling (the library's loadModel, as `charnn sample` loads), `import` (and what
 * it writes must load again), and serve's model loading (loadCheckpoint + serveModel). Every outcome is a success
 * or a CharnnError whose line is one clean line (no raw control character, short); never a TypeError, a stack
 * overflow or a crash; the process's peak memory stays under a ceiling the test measures.
 * CI runs FUZZ_RUNS cases per property (default 150: well under a minute); CHARNN_FUZZ_RUNS=5000 for a long run.
 * docs/reliability.md has the table of the cases.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../src/api/load-model.js';
import { checkpointToText } from '../src/checkpoint/codec.js';
import { JsonScan } from '../src/checkpoint/bounded.js';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { expectedTensorShapes } from '../src/checkpoint/validate.js';
import { newProgress, type Checkpoint } from '../src/checkpoint/schema.js';
import { importModel } from '../src/commands/import.js';
import { info } from '../src/commands/info.js';
import { quietIo } from '../src/commands/io.js';
import { valuesFrom } from '../src/commands/values.js';
import { CharnnError, formatError } from '../src/errors.js';
import { exportCheckpoint } from '../src/export/convert.js';
import { createKernels } from '../src/math/backend.js';
import type { Kernels } from '../src/math/kernels.js';
import { IMPORT, INFO } from '../src/options.js';
import { serveModel } from '../src/serve/models.js';

const RUNS = Number(process.env.CHARNN_FUZZ_RUNS) || 150;
/** peak resident memory the whole suite may reach (the files are a few KB; hostile ones claim gigabytes) */
const CEILING_MB = 1024;

/** What every outcome must be: success (undefined) or one clean CharnnError line. Counts each kind. */
const counts: Record<string, number> = {};
function outcome(kind: string, e: unknown): void {
  if (e === undefined) {
    counts[`${kind} ok`] = (counts[`${kind} ok`] ?? 0) + 1;
    return;
  }
  counts[`${kind} refused`] = (counts[`${kind} refused`] ?? 0) + 1;
  const line = formatError(e);
  if (!(e instanceof CharnnError)) throw new Error(`${kind}: not a CharnnError: ${line}\n${(e as Error)?.stack}`);
  expect(line).not.toMatch(/internal error|Maximum call stack|is not a function|Cannot read prop/);
  // eslint-disable-next-line no-control-regex
  expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  expect(line.length).toBeLessThanOrEqual(2000);
}

async function settle(kind: string, fn: () => unknown): Promise<void> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  outcome(kind, err);
}

function tinyCheckpoint(): Checkpoint {
  const model = { cell: 'gru' as const, layers: 1, hidden: 6, vocabSize: 8, dropout: 0 };
  const vocab = ['\n', ' ', 'a', 'b', 'c', 'd', 'e', 'f'];
  let s = 7;
  const tensors = expectedTensorShapes(model).map(({ name, shape }) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.5;
    return { name, shape, data };
  });
  const progress = newProgress();
  progress.step = 5;
  progress.lossHistory = [1, 2, 3, 4, 5].map((step) => ({ step, train: 2 - step / 10, ...(step === 5 ? { val: 1.6 } : {}) }));
  return {
    formatVersion: 2,
    charnnVersion: '0.1.0',
    created: '2026-01-01T00:00:00.000Z',
    model,
    vocab,
    tensors,
    optimizer: null,
    progress,
    rng: {},
    state: null,
    corpus: { source: 'corpus.txt', bytes: 100, chars: 100, sha256: 'a'.repeat(64) },
    config: { cell: 'gru', hidden: 6, lr: 0.01, optimizer: 'adam', batch: 2, seq: 4, seed: 1 },
  };
}

// ---- mutations -------------------------------------------------------------------------------------------------

const CONTROL = fc.constantFrom('\x1b[2J', '\x1b]0;title\x07', '\u009b31m', '\x00', '\r', '\u202e', '\ud800');
/** A JSON value of a hostile kind, as text. */
const hostileValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('null', 'true', '0', '-1', '1e309', '-1e309', '1e308', '9007199254740993', '0.5', '""', '[]', '{}', '[null]', '{"length":65}', '{"constructor":1}', '{"__proto__":{"x":1}}'),
  fc.string({ maxLength: 20 }).map((s) => JSON.stringify(s)),
  CONTROL.map((c) => JSON.stringify(`x${c}y`)),
  fc.integer({ min: 1000, max: 3000 }).map((d) => '['.repeat(d) + ']'.repeat(d)), // deep
  fc.integer({ min: 1, max: 3 }).map((k) => JSON.stringify('z'.repeat(k * 700_000))), // huge string
  fc.integer({ min: 1, max: 3 }).map((k) => `[${'{},'.repeat(k * 100_000)}{}]`), // wide
  fc.array(fc.integer({ min: -2, max: 1 << 20 }), { maxLength: 6 }).map((a) => JSON.stringify(a)),
);

/** The dotted paths of every field of a JSON document (objects and arrays), tensor data strings excluded. */
function paths(v: unknown, at: string[] = [], out: string[][] = []): string[][] {
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'data' && typeof x === 'string') continue;
      out.push([...at, k]);
      paths(x, [...at, k], out);
    }
  }
  return out;
}

/** The document with the field at `path` replaced by a marker, and the marker replaced by `value` as text. */
function replaceAt(doc: unknown, path: string[], value: string): string {
  const copy = JSON.parse(JSON.stringify(doc));
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]] = '@@MARK@@';
  return JSON.stringify(copy).replace('"@@MARK@@"', () => value);
}

function flipBits(buf: Uint8Array, flips: Array<[number, number]>): Uint8Array {
  const out = Uint8Array.from(buf);
  for (const [i, b] of flips) out[i % out.length] ^= 1 << b;
  return out;
}

function safetensorsParts(buf: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(Buffer.from(buf).readBigUInt64LE(0));
  return { header: JSON.parse(Buffer.from(buf.subarray(8, 8 + n)).toString()), data: buf.subarray(8 + n) };
}

function safetensorsOf(headerText: string, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  let h = headerText;
  while ((8 + Buffer.byteLength(h)) % 8) h += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(Buffer.byteLength(h)));
  return Buffer.concat([len, Buffer.from(h), data]);
}

// ---- the suite ---------------------------------------------------------------------------------------------------

describe('fuzz: hostile checkpoints and safetensors files', () => {
  let dir: string;
  let kernels: Kernels;
  let ckptText: string;
  let ckptDoc: Record<string, unknown>;
  let st: Uint8Array;
  let n = 0;
  const infoValues = valuesFrom(INFO, {}).values;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charnn-fuzz-'));
    kernels = await createKernels('js');
    const c = tinyCheckpoint();
    ckptText = checkpointToText(c);
    ckptDoc = JSON.parse(ckptText);
    st = exportCheckpoint(loadCheckpointText(ckptText), 'safetensors');
  });
  afterAll(() => {
    kernels?.dispose();
    rmSync(dir, { recursive: true, force: true });
    // the counts, for the closing note and docs/reliability.md
    console.log(`fuzz counts (${RUNS} runs a property): ${JSON.stringify(counts)}; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
  });

  function loadCheckpointText(text: string): Checkpoint {
    const f = join(dir, `base-${n++}.json`);
    writeFileSync(f, text);
    return loadCheckpoint(f);
  }

  /** A checkpoint file's bytes through info, sampling and serve's loading. */
  async function throughReaders(bytes: Uint8Array | string): Promise<void> {
    const f = join(dir, `c${n++}.json`);
    writeFileSync(f, bytes);
    const io = quietIo({ cwd: dir });
    await settle('info', () => info(infoValues, f, io, 80));
    await settle('sample', async () => {
      const m = await loadModel(f, { backend: 'js', threads: 1 });
      await m.sample({ length: 8, seed: 1 });
    });
    await settle('serve-load', () => serveModel(kernels, 'm', loadCheckpoint(f), 1));
    rmSync(f, { force: true });
    checkMemory();
  }

  /** A safetensors file's bytes through import; what import writes must load. */
  async function throughImport(bytes: Uint8Array): Promise<void> {
    const f = join(dir, `s${n}.safetensors`);
    const out = join(dir, `s${n++}.json`);
    writeFileSync(f, bytes);
    const io = quietIo({ cwd: dir });
    let wrote = false;
    await settle('import', async () => {
      await importModel(valuesFrom(IMPORT, { output: out, overwrite: true }).values, f, io);
      wrote = true;
    });
    if (wrote) {
      // "import writes only what every command can load"
      await settle('import-reload', () => serveModel(kernels, 'm', loadCheckpoint(out), 1));
      expect(counts['import-reload refused'] ?? 0).toBe(0);
    }
    rmSync(f, { force: true });
    rmSync(out, { force: true });
    checkMemory();
  }

  function checkMemory(): void {
    const mb = process.memoryUsage().rss / 2 ** 20;
    expect(mb, 'resident memory').toBeLessThan(CEILING_MB);
  }

  it('the unmutated files pass every reader', async () => {
    await throughReaders(ckptText);
    await throughImport(st);
    expect(counts['info ok']).toBe(1);
    expect(counts['import ok']).toBe(1);
  });

  it('checkpoints: truncations and bit flips', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.nat().map((k) => ({ cut: k })), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => ({ flips }))), async (m) => {
        const bytes = Buffer.from(ckptText);
        await throughReaders('cut' in m ? bytes.subarray(0, m.cut % bytes.length) : flipBits(bytes, m.flips));
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('checkpoints: any field swapped for a hostile value (types, huge, deep, wide, control characters)', async () => {
    const all = paths(ckptDoc);
    await fc.assert(
      fc.asyncProperty(fc.nat(), hostileValue, async (i, value) => {
        await throughReaders(replaceAt(ckptDoc, all[i % all.length], value));
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('checkpoints: duplicated keys, extra fields and control characters in names', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('tensors', 'model', 'vocab', 'config', 'corpus', 'progress'), CONTROL, fc.boolean(), async (field, c, dup) => {
        const doc = JSON.parse(ckptText);
        const text = dup
          ? ckptText.replace(/^\{/, () => `{${JSON.stringify(field)}:${JSON.stringify(doc[field])},`) // the key twice: JSON.parse keeps the last
          : JSON.stringify({ ...doc, tensors: { ...doc.tensors, [`decoder.bias${c}`]: doc.tensors['decoder.bias'] } });
        await throughReaders(text);
      }),
      { numRuns: Math.max(20, RUNS / 5) },
    );
  }, 120_000);

  it('safetensors: truncations, bit flips and header lengths', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.nat().map((k) => ({ cut: k })),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => ({ flips })),
          fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((len) => ({ len })),
        ),
        async (m) => {
          if ('cut' in m) return throughImport(st.subarray(0, m.cut % st.length));
          if ('flips' in m) return throughImport(flipBits(st, m.flips));
          const out = Uint8Array.from(st);
          Buffer.from(out.buffer).writeBigUInt64LE(m.len, 0);
          return throughImport(out);
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('safetensors: entries aliased, duplicated, nulled, retyped, reshaped, offsets moved; metadata swapped', async () => {
    const { header, data } = safetensorsParts(st);
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    const metaKeys = Object.keys(header.__metadata__ as object);
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('alias' as const), count: fc.integer({ min: 1, max: 4000 }), i: fc.nat() }),
      fc.record({ kind: fc.constant('duplicate' as const), i: fc.nat() }),
      fc.record({ kind: fc.constant('field' as const), i: fc.nat(), field: fc.constantFrom('dtype', 'shape', 'data_offsets', '*'), value: hostileValue }),
      fc.record({ kind: fc.constant('offsets' as const), i: fc.nat(), a: fc.integer({ min: -64, max: 64 }), b: fc.integer({ min: -64, max: 64 }) }),
      fc.record({ kind: fc.constant('meta' as const), i: fc.nat(), value: hostileValue }),
      fc.record({ kind: fc.constant('name' as const), i: fc.nat(), c: CONTROL }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const h = JSON.parse(JSON.stringify(header));
        const name = names['i' in m ? m.i % names.length : 0];
        let text: string;
        switch (m.kind) {
          case 'alias':
            for (let k = 0; k < m.count; k++) h[`alias${k}`] = h[name];
            text = JSON.stringify(h);
            break;
          case 'duplicate':
            text = JSON.stringify(h).replace(/^\{/, () => `{${JSON.stringify(name)}:${JSON.stringify(h[name])},`);
            break;
          case 'field':
            if (m.field === '*') h[name] = '@@MARK@@';
            else h[name][m.field] = '@@MARK@@';
            text = JSON.stringify(h).replace('"@@MARK@@"', () => m.value);
            break;
          case 'offsets':
            h[name].data_offsets = [h[name].data_offsets[0] + m.a, h[name].data_offsets[1] + m.b];
            text = JSON.stringify(h);
            break;
          case 'meta': {
            // a metadata string holding a hostile JSON value (charnn.vocab as {"length":65}, a deep config...)
            h.__metadata__[metaKeys[m.i % metaKeys.length]] = m.value;
            text = JSON.stringify(h);
            break;
          }
          case 'name':
            h[`${name}${m.c}`] = h[name];
            delete h[name];
            text = JSON.stringify(h);
            break;
        }
        await throughImport(safetensorsOf(text, data));
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('the JSON scan agrees with JSON.parse on depth however the bytes are cut into chunks (escapes across cuts)', () => {
    const depthOf = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0);
    const tricky = fc.constantFrom('\\', '"', '\\"', '[', '{', ']', '}', ',', ':', 'é', '😀');
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.array(tricky, { maxLength: 4 }).map((a) => a.join('')), fc.integer(), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.array(tricky, { maxLength: 3 }).map((a) => a.join('')), tie('v'), { maxKeys: 3 })),
    })).v;
    fc.assert(
      fc.property(value, fc.array(fc.nat(), { maxLength: 6 }), (v, cuts) => {
        const bytes = Buffer.from(JSON.stringify({ k: v }));
        const d = depthOf({ k: v });
        const feed = (depth: number) => {
          const scan = new JsonScan({ depth, values: 1e9, string: 1e9 }, 'the file');
          const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          let prev = 0;
          for (const c of [...at, bytes.length]) {
            scan.feed(bytes.subarray(prev, c));
            prev = c;
          }
        };
        feed(d); // within the limit: no error
        expect(() => feed(d - 1)).toThrow(/nested more than/);
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it('stayed within the memory ceiling over the whole suite', () => {
    expect(process.resourceUsage().maxRSS / 1024).toBeLessThan(CEILING_MB);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(RUNS * 5);
  });
});

