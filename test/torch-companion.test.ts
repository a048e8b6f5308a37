/**
 * The PyTorch companion (torch/charnn_torch.py) against charnn itself: its defaults are charnn's; N steps on each
 * side from one checkpoint end at the same validation loss; a run goes charnn -> PyTorch -> charnn (resume,
 * sample, eval); two processes (DistributedDataParallel, gloo) train as one. Runs wherever /usr/bin/python3
 * imports torch (Debian python3-torch; CHARNN_PYTHON for another interpreter), skips with the reason otherwise.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { TRAIN } from '../src/cli/options.js';
import { ADAMW_CASE, charnn, CHECK_MODEL, checkCorpus, companion, COMPANION, equivalence, lastVal, PYTHON, ROOT, run, TOLERANCE, torchStatus, CASES, VARIANTS } from '../torch/equivalence.js';

const torch = torchStatus();
const title = torch.ok ? `PyTorch companion (torch ${torch.version})` : `PyTorch companion (skipped: ${torch.why})`;

describe.skipIf(!torch.ok)(title, () => {
  let dir: string;
  let corpus: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'charnn-torch-'));
    corpus = checkCorpus(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("uses charnn train's defaults", async () => {
    const r = await companion(['defaults'], dir);
    const py = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const [key, value] of Object.entries(py)) expect([key, value]).toEqual([key, (TRAIN as Record<string, { default: unknown }>)[key].default]);
  });

  for (const [cell, ...extra] of CASES) {
    // the options' twins are manual cell loops in Python (slower than nn.GRU/nn.LSTM): fewer steps
    const steps = extra.length ? 60 : 200;
    it(`${[cell, ...extra].join(' ')}: ${steps} steps in charnn and in PyTorch from one checkpoint end at the same validation loss`, async () => {
      const e = await equivalence(cell, steps, dir, corpus, extra);
      console.log(`torch equivalence ${JSON.stringify(e)}`);
      expect(e.diff).toBeLessThan(TOLERANCE);
      expect(e.charnn).toBeLessThan(Math.log(65) - 0.5); // both learned something: the start is ~ln V
    }, extra.length ? 480_000 : 240_000);
  }

  it('gru with AdamW weight decay: 200 steps in charnn and in PyTorch (AdamW, two parameter groups) agree, and the decay shows', async () => {
    const e = await equivalence('gru', 200, dir, corpus, ADAMW_CASE, 'gru-adamw');
    // the same 200 charnn steps without decay: the check would not see a decay missing on one side if this were close
    const plain = join(dir, 'gru-adamw', 'plain');
    cpSync(join(dir, 'gru-adamw', 'start'), plain, { recursive: true });
    await charnn(['train', corpus, '--resume', join(plain, 'latest.json'), '--weight-decay', '0', '--steps', '200', '--eval-every', '0', '--threads', '1', '--quiet'], dir);
    const without = lastVal(join(plain, 'latest.json'));
    console.log(`torch equivalence ${JSON.stringify(e)}; charnn without decay ${without}`);
    expect(loadCheckpoint(join(dir, 'gru-adamw', 'torch', 'latest.json')).config).toMatchObject({ optimizer: 'adamw', weightDecay: 0.5 });
    expect(e.diff).toBeLessThan(TOLERANCE);
    expect(Math.abs(without - e.charnn)).toBeGreaterThan(3 * TOLERANCE);
  }, 240_000);
  for (const cell of ['lstm', 'gru', 'rnn']) {
    it(`${cell} with variational dropout and weight drop: charnn's masks on both sides, 30 steps end at the same loss and RNG state`, async () => {
      const e = await equivalence(cell, 30, dir, corpus, VARIANTS);
      console.log(`torch equivalence ${JSON.stringify(e)}`);
      expect(e.sameRng).toBe(true);
      expect(e.diff).toBeLessThan(TOLERANCE);
      expect(e.charnn).toBeLessThan(Math.log(65) - 0.3);
    }, 240_000);
  }

  it('--embed 16 (nn.Embedding): gru 200 steps in each from one checkpoint end at the same validation loss', async () => {
    const e = await equivalence('gru', 200, dir, corpus, ['--embed', '16'], 'gru --embed 16, 200 steps');
    console.log(`torch equivalence ${JSON.stringify(e)}`);
    expect(e.diff).toBeLessThan(TOLERANCE);
    expect(e.charnn).toBeLessThan(Math.log(65) - 0.5);
  }, 240_000);

  it('--embed: a fresh PyTorch run draws charnn\'s initial weights (E from N(0, 1)) and stores encoder.weight first', async () => {
    const base = join(dir, 'fresh-embed');
    const plain = ['--cell', 'lstm', '--layers', '1', '--hidden', '16', '--embed', '8', '--batch', '8', '--seq', '16', '--steps', '3', '--seed', '5', '--dropout', '0', '--quiet'];
    await Promise.all([
      charnn(['train', corpus, ...plain, '--out', join(base, 'charnn')], dir),
      companion(['train', corpus, ...plain, '--device', 'cpu', '--threads', '1', '--out', join(base, 'torch')], dir),
    ]);
    const cj = loadCheckpoint(join(base, 'charnn', 'latest.json'));
    const ct = loadCheckpoint(join(base, 'torch', 'latest.json'));
    expect(ct.model).toEqual(cj.model);
    expect(ct.tensors.map((t) => t.name)).toEqual(cj.tensors.map((t) => t.name));
    expect(ct.tensors[0]).toMatchObject({ name: 'encoder.weight', shape: [cj.vocab.length, 8] });
    let gap = 0;
    for (const [i, t] of cj.tensors.entries()) for (let j = 0; j < t.data.length; j++) gap = Math.max(gap, Math.abs(t.data[j] - ct.tensors[i].data[j]));
    console.log(`torch fresh run with --embed 8: largest weight gap after 3 steps ${gap.toExponential(2)}`);
    expect(gap).toBeLessThan(1e-4);
  }, 240_000);

  it('round trip: charnn -> PyTorch (20 steps) -> charnn (resume 20, sample, eval), as 40 steps in charnn', async () => {
    const base = join(dir, 'trip');
    // a constant rate: 20 + 20 resumed steps are two plans, 40 steps one (a cosine would decay differently)
    const model = ['--cell', 'lstm', ...CHECK_MODEL, '--eval-every', '10', '--lr-schedule', 'constant'];
    await charnn(['train', corpus, ...model, '--steps', '1', '--quiet', '--out', join(base, 'start')], dir);
    cpSync(join(base, 'start'), join(base, 'only-charnn'), { recursive: true });
    const ckpt = join(base, 'start', 'latest.json');

    const py = await companion(['train', '--resume', ckpt, '--steps', '20', '--device', 'cpu', '--threads', '1'], dir);
    expect(py.stdout).toBe(join('trip', 'start', 'latest.json') + '\n'); // stdout: the checkpoint path only, as charnn prints it
    expect(py.stderr).toMatch(/step 21: val/);
    const mid = loadCheckpoint(ckpt); // charnn's own loader: format, checksum, shapes
    expect(mid.progress.step).toBe(21);
    expect(mid.optimizer!.t).toBe(21);
    expect(mid.progress.position).toBe(21);
    expect(mid.progress.chars).toBe(21 * 16 * 32);
    expect(mid.state!.shape).toEqual([2, 2, 16, 64]);
    expect(mid.progress.lossHistory.filter((p) => p.val !== undefined).map((p) => p.step)).toEqual([1, 10, 20, 21]);

    await charnn(['train', corpus, '--resume', ckpt, '--steps', '20', '--quiet'], dir);
    await charnn(['train', corpus, '--resume', join(base, 'only-charnn', 'latest.json'), '--steps', '40', '--quiet'], dir);
    const back = loadCheckpoint(ckpt);
    expect(back.progress.step).toBe(41);
    expect(back.optimizer!.t).toBe(41);
    const viaTorch = lastVal(ckpt);
    const onlyCharnn = lastVal(join(base, 'only-charnn', 'latest.json'));
    console.log(`torch round trip: val ${viaTorch} via PyTorch, ${onlyCharnn} in charnn only`);
    expect(Math.abs(viaTorch - onlyCharnn)).toBeLessThan(TOLERANCE);

    const ev = await charnn(['eval', ckpt, '--threads', '1'], dir);
    expect(Number(/^([\d.]+) nats/.exec(ev.stdout)![1])).toBeCloseTo(viaTorch, 4);
    const pyEval = await companion(['eval', ckpt, corpus, '--device', 'cpu'], dir);
    expect(Math.abs(Number(/^([\d.]+) nats/.exec(pyEval.stdout)![1]) - viaTorch)).toBeLessThan(5e-5);
    const s = await charnn(['sample', ckpt, '--length', '60', '--seed', '1', '--temp', '0.7'], dir);
    expect([...s.stdout].length).toBe(60);
  }, 240_000);

  it('a fresh PyTorch run draws charnn\'s initial weights, is reproducible by seed with dropout, and continues in charnn', async () => {
    const base = join(dir, 'fresh');
    const model = ['--cell', 'gru', '--layers', '1', '--hidden', '32', '--batch', '8', '--seq', '16', '--steps', '5', '--seed', '4'];
    const py = (out: string) => companion(['train', corpus, ...model, '--dropout', '0.1', '--device', 'cpu', '--threads', '1', '--out', join(base, out)], dir);
    const [a, b] = await Promise.all([py('a'), py('b')]);
    expect(a.stdout).toBe(join('fresh', 'a', 'latest.json') + '\n');
    const ca = loadCheckpoint(join(base, 'a', 'latest.json'));
    const cb = loadCheckpoint(join(base, 'b', 'latest.json'));
    expect(b.code).toBe(0);
    for (const [i, t] of ca.tensors.entries()) expect(Buffer.from(cb.tensors[i].data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    expect(ca.model).toEqual({ cell: 'gru', layers: 1, hidden: 32, vocabSize: ca.vocab.length, dropout: 0.1 });
    // without dropout, a fresh run in each is the same run: the same initial weights drawn from the seed (charnn's
    // RNG ported), the same 5 steps; and charnn's training RNG, untouched then, is the state a fresh run starts from
    const plain = [...model, '--dropout', '0', '--init', 'charrnn', '--quiet'];
    await Promise.all([
      charnn(['train', corpus, ...plain, '--out', join(base, 'charnn')], dir),
      companion(['train', corpus, ...plain, '--device', 'cpu', '--threads', '1', '--out', join(base, 'torch')], dir),
    ]);
    const cj = loadCheckpoint(join(base, 'charnn', 'latest.json'));
    const ct = loadCheckpoint(join(base, 'torch', 'latest.json'));
    let gap = 0;
    for (const [i, t] of cj.tensors.entries()) for (let j = 0; j < t.data.length; j++) gap = Math.max(gap, Math.abs(t.data[j] - ct.tensors[i].data[j]));
    console.log(`torch fresh run: largest weight gap after 5 steps ${gap.toExponential(2)}`);
    expect(gap).toBeLessThan(1e-4); // a different draw would differ by ~0.1
    expect(ca.rng.train).toEqual(cj.rng.train);
    await charnn(['train', corpus, '--resume', join(base, 'a', 'latest.json'), '--steps', '5', '--quiet'], dir);
    const back = loadCheckpoint(join(base, 'a', 'latest.json'));
    expect([back.progress.step, back.optimizer!.t, back.model.dropout]).toEqual([10, 10, 0.1]);
  }, 240_000);

  it('refuses a sampling-only checkpoint and a different corpus with one line and exit 1', async () => {
    const base = join(dir, 'refuse');
    await charnn(['train', corpus, '--cell', 'rnn', ...CHECK_MODEL, '--steps', '1', '--quiet', '--out', base], dir);
    const sampling = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
    const r1 = await run(PYTHON, [COMPANION, 'train', corpus, '--resume', sampling, '--steps', '1', '--device', 'cpu'], dir);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/^charnn_torch: cannot resume: .* is a sampling-only checkpoint .*\n$/);
    writeFileSync(join(dir, 'other.txt'), readFileSync(corpus, 'utf8').slice(0, 100_000));
    const r2 = await run(PYTHON, [COMPANION, 'train', join(dir, 'other.txt'), '--resume', join(base, 'latest.json'), '--steps', '1', '--device', 'cpu'], dir);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/^charnn_torch: cannot resume: the corpus differs .* \(pass the same corpus, or add --force\)\n$/);
    expect(loadCheckpoint(join(base, 'latest.json')).progress.step).toBe(1); // untouched
  }, 120_000);

  it('reads format 1 and 2 (each checked by its own checksum) and writes 2: charnn verifies what Python wrote, and back', async () => {
    const base = join(dir, 'formats');
    await charnn(['train', corpus, '--cell', 'rnn', ...CHECK_MODEL, '--steps', '1', '--quiet', '--out', base], dir);
    // a corpus name with non-ASCII, an astral character, U+2028, control characters, escapes and a lone surrogate
    const SOURCE = 'dir/\u00e9 \u{1f600} \u2028 \t\x01\\ "q" \udc80.txt';
    // Python's load of each file: its version and step, or the one-line refusal
    const script = `import json, sys; sys.path.insert(0, ${JSON.stringify(join(ROOT, 'torch'))}); import charnn_checkpoint as ck
try:
    c = ck.load(sys.argv[1]); print(c["version"], c["progress"]["step"])
    if len(sys.argv) > 2:  # write it back with header values whose JSON text differs between the languages
        c["config"]["lr"] = 1e-7; c["config"]["clip"] = 2.0; c["progress"]["elapsedMs"] = 1.5e21
        c["corpus"]["source"] = json.loads(sys.argv[3]); ck.save(sys.argv[2], c, "test")
except ck.CheckpointError as e:
    print(e)`;
    const py = async (...args: string[]) => {
      const r = await run(PYTHON, ['-c', script, ...args], dir);
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    };
    type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const edit = (from: string, to: string, f: (d: Doc) => Doc) => writeFileSync(join(base, to), JSON.stringify(f(JSON.parse(readFileSync(from, 'utf8')))));
    const V1 = join(ROOT, 'test', 'fixtures', 'v1-lstm-1x8.json');
    const latest = join(base, 'latest.json');
    const reversed = (v: unknown): unknown => Array.isArray(v) ? v.map(reversed)
      : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;

    expect(await py(V1)).toMatch(/^1 \d+$/);
    edit(V1, 'v1-swapped.json', (d) => ({ ...d, vocab: [d.vocab[1], d.vocab[0], ...d.vocab.slice(2)] }));
    expect(await py(join(base, 'v1-swapped.json'))).toMatch(/vocabulary is not in code point order/);
    edit(V1, 'v1-lr.json', (d) => ({ ...d, config: { ...d.config, lr: 0.5 } })); // not covered by version 1
    expect(await py(join(base, 'v1-lr.json'))).toMatch(/^1 \d+$/);
    expect(await py(latest)).toBe('2 1');
    for (const [name, f] of [['v2-lr', (d: Doc) => ({ ...d, config: { ...d.config, lr: d.config.lr * 2 } })],
      ['v2-vocab', (d: Doc) => ({ ...d, vocab: [d.vocab[1], d.vocab[0], ...d.vocab.slice(2)] })],
      ['v2-step', (d: Doc) => ({ ...d, optimizer: { ...d.optimizer, t: d.optimizer.t + 1 } })]] as const) {
      edit(latest, `${name}.json`, f);
      expect(await py(join(base, `${name}.json`)), name).toMatch(/checksum mismatch: the file is not what was written/);
    }
    // key order and whitespace are not part of what is verified
    writeFileSync(join(base, 'v2-reordered.json'), JSON.stringify(reversed(JSON.parse(readFileSync(latest, 'utf8'))), null, 2));
    expect(await py(join(base, 'v2-reordered.json'))).toBe('2 1');
    expect(loadCheckpoint(join(base, 'v2-reordered.json')).progress.step).toBe(1);

    // Python writes version 2 with awkward header values; charnn's own loader verifies it, and Python reads it back
    expect(await py(latest, join(base, 'from-python.json'), JSON.stringify(SOURCE))).toBe('2 1'); // argv is UTF-8: the lone surrogate travels escaped
    const back = loadCheckpoint(join(base, 'from-python.json'));
    expect([back.formatVersion, back.config.lr, back.config.clip, back.progress.elapsedMs, back.corpus!.source]).toEqual([2, 1e-7, 2, 1.5e21, SOURCE]);
    expect(await py(join(base, 'from-python.json'))).toBe('2 1');
  }, 120_000);

  it('reads float16 sampling-only files (charnn export --format charnn-f16): the same halves, checksum verified, the same loss', async () => {
    const base = join(dir, 'f16');
    await charnn(['train', corpus, '--cell', 'gru', ...CHECK_MODEL, '--steps', '5', '--quiet', '--out', base], dir);
    const full = join(base, 'latest.json');
    const f16 = join(base, 'f16.json');
    await charnn(['export', full, '--format', 'charnn-f16', '-o', f16, '-q'], dir);
    const damaged = JSON.parse(readFileSync(f16, 'utf8'));
    const w = damaged.tensors['rnn.weight_hh_l0'];
    w.data = (w.data[0] === 'A' ? 'B' : 'A') + w.data.slice(1);
    writeFileSync(join(base, 'damaged.json'), JSON.stringify(damaged));
    // numpy's own float32 -> float16 (round to nearest even) of the float32 weights against what charnn stored
    const script = `import sys; sys.path.insert(0, ${JSON.stringify(join(ROOT, 'torch'))}); import numpy as np, charnn_checkpoint as ck
a = ck.load(sys.argv[1]); b = ck.load(sys.argv[2])
same = all(b["tensors"][n].dtype == np.float32 and np.array_equal(a["tensors"][n].astype(np.float16).astype(np.float32), b["tensors"][n]) for n in a["tensors"])
print(a["storage"], b["storage"], same)
try:
    ck.load(sys.argv[3])
except ck.CheckpointError as e:
    print(e)`;
    const r = await run(PYTHON, ['-c', script, full, f16, join(base, 'damaged.json')], dir);
    expect(r.stderr).toBe('');
    const [line, refusal] = r.stdout.trim().split('\n');
    expect(line).toBe("['float32'] ['float16'] True");
    expect(refusal).toMatch(/checksum mismatch: the file is not what was written/);
    const ev = await charnn(['eval', f16, '--threads', '1'], dir);
    const pyEval = await companion(['eval', f16, corpus, '--device', 'cpu'], dir);
    expect(Math.abs(Number(/^([\d.]+) nats/.exec(pyEval.stdout)![1]) - Number(/^([\d.]+) nats/.exec(ev.stdout)![1]))).toBeLessThan(5e-5);
  }, 120_000);

  it('two processes (DistributedDataParallel over gloo, half the streams each) train as one', async () => {
    const base = join(dir, 'ddp');
    await charnn(['train', corpus, '--cell', 'gru', ...CHECK_MODEL, '--steps', '1', '--quiet', '--out', join(base, 'one')], dir);
    cpSync(join(base, 'one'), join(base, 'two'), { recursive: true });
    const args = (d: string) => [COMPANION, 'train', '--resume', join(base, d, 'latest.json'), '--steps', '20', '--eval-every', '0', '--device', 'cpu', '--threads', '1', '-q'];
    await companion(args('one').slice(1), dir);
    // what torchrun sets for each worker (Debian's torchrun 1.13 fails on Python 3.11, so start them directly)
    const env = (rank: number) => ({ MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(29500 + (process.pid % 400)), WORLD_SIZE: '2', RANK: String(rank), LOCAL_RANK: String(rank) });
    const [r0, r1] = await Promise.all([run(PYTHON, args('two'), dir, env(0)), run(PYTHON, args('two'), dir, env(1))]);
    expect([r0.code, r1.code, r0.stderr + r1.stderr]).toEqual([0, 0, '']);
    expect(r1.stdout).toBe(''); // only rank 0 writes and reports
    const a = loadCheckpoint(join(base, 'one', 'latest.json'));
    const b = loadCheckpoint(join(base, 'two', 'latest.json'));
    expect(b.progress.step).toBe(21);
    expect(Math.abs(lastVal(join(base, 'two', 'latest.json')) - lastVal(join(base, 'one', 'latest.json')))).toBeLessThan(1e-4);
    let maxGap = 0;
    for (let i = 0; i < a.state!.data.length; i++) maxGap = Math.max(maxGap, Math.abs(a.state!.data[i] - b.state!.data[i]));
    expect(maxGap).toBeLessThan(1e-3); // the gathered carry puts each rank's streams back in place
  }, 240_000);
});
