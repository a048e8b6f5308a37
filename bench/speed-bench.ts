/**
 * Speed benchmark against PyTorch, in one run: for config S (lstm 2x128, seq 50, batch 50), M (lstm 2x512,
 * seq 100, batch 64), gru S and the default training config (gru 2x256, seq 64, batch 32; no dropout, as
 * PyTorch's reference), charnn's steady-state training chars/s (full steps: forward, backward, clip, Adam) and
 * the GFLOP/s of matrix products that makes, batch-1 sampling chars/s (temperature 1), peak resident memory
 * (each config in its own process), the backend, its build and thread count; the GFLOP/s of each product shape
 * of the config on charnn's kernels beside torch.mm; with the native backend also the wasm backend on the same
 * config (speed and the memory target); then, where /usr/bin/python3 can import torch,
 * ../shared/reference/pytorch_ref.py on the same config right after, for the same number of iterations, the
 * ratios, and the targets of issues 4 and 12 met or missed. PyTorch runs with OpenBLAS's right core
 * (openblas.ts: OPENBLAS_CORETYPE where OpenBLAS guesses a generic one), printed first.
 *
 *   npm run bench -- [--configs S,M,gruS,def] [--backend native|wasm|js] [--threads N] [--simd auto|relaxed|simd128]
 *                          [--seconds 20] [--sample-len 2000] [--no-torch] [--no-wasm]
 *
 * Two cores shared with other processes: figures are noisy, so compare the ratios printed by one run.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createKernels } from '../src/math/backend.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import type { CellType } from '../src/model/config.js';
import { readCorpus } from '../src/corpus/read.js';
import { encodeUtf8 } from '../src/data/vocab.js';
import { Sampler } from '../src/sample/sampler.js';
import { Trainer } from '../src/train/trainer.js';
import { trainConfig } from '../test/helpers/train-config.js';
import { createWasmKernels } from '../src/math/wasm/index.js';
import { createNativeKernels } from '../src/math/native/index.js';
import { nativeUnavailable } from '../src/math/native/load.js';
import { chooseOpenBlasCore } from './openblas.js';
import { charnnProducts, productShapes, torchProducts } from './products.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const { values: a } = parseArgs({
  options: {
    configs: { type: 'string', default: 'S,M,gruS,def' },
    backend: { type: 'string', default: nativeUnavailable() === null ? 'native' : 'wasm' },
    threads: { type: 'string' },
    simd: { type: 'string', default: 'auto' },
    seconds: { type: 'string', default: '20' },
    'sample-len': { type: 'string', default: '2000' },
    'no-torch': { type: 'boolean', default: false },
    'no-wasm': { type: 'boolean', default: false },
    child: { type: 'string' },
    corpus: { type: 'string', default: here('../../shared/corpora/tinyshakespeare.txt') },
  },
});

interface Config { name: string; cell: CellType; layers: number; hidden: number; seq: number; batch: number }
const CONFIGS: Record<string, Config> = {
  S: { name: 'S', cell: 'lstm', layers: 2, hidden: 128, seq: 50, batch: 50 },
  M: { name: 'M', cell: 'lstm', layers: 2, hidden: 512, seq: 100, batch: 64 },
  gruS: { name: 'gru S', cell: 'gru', layers: 2, hidden: 128, seq: 50, batch: 50 },
  def: { name: 'def', cell: 'gru', layers: 2, hidden: 256, seq: 64, batch: 32 },
};
interface Result {
  train: number; medianMs: number; iters: number; sample: number; rssMB: number; backend: string; threads: number; vocab: number;
  /** GFLOP/s of productShapes(config) on this backend */
  products: number[];
}

/**
 * Multiply-adds ×2 of the matrix products per training character: forward = recurrent h·Whh of every layer,
 * input x·Wih of layers above the first (the first gathers rows), decoder; backward = twice that (input and
 * weight gradients).
 */
function flopsPerChar(c: Config, V: number): number {
  const G = ({ lstm: 4, gru: 3, rnn: 1 } as const)[c.cell] * c.hidden;
  const fwd = 2 * c.hidden * G * (2 * c.layers - 1) + 2 * c.hidden * V;
  return 3 * fwd;
}

const seconds = Number(a.seconds), sampleLen = Number(a['sample-len']);

/** Child: one config in this process (so peak RSS is that config's). Prints one JSON line. */
async function child(cfg: Config): Promise<void> {
  const threads = a.threads ? Number(a.threads) : undefined;
  const kernels = a.backend === 'wasm'
    ? await createWasmKernels({ ...(threads ? { threads } : {}), ...(a.simd !== 'auto' ? { relaxed: a.simd === 'relaxed' } : {}) })
    : a.backend === 'native'
      ? createNativeKernels({ ...(threads ? { threads } : {}), ...(process.env.CHARNN_NATIVE_ISA ? { isa: process.env.CHARNN_NATIVE_ISA as 'avx2' } : {}) })
      : await createKernels(a.backend!, threads ? { threads } : {});
  const { vocab, ids } = encodeUtf8(await readCorpus(a.corpus!));
  const model = new CharRNN(kernels, { cell: cfg.cell, layers: cfg.layers, hidden: cfg.hidden, vocabSize: vocab.size, dropout: 0 });
  model.init(new Rng(123), 'pytorch');
  const trainer = new Trainer(model, ids, trainConfig({ batch: cfg.batch, seq: cfg.seq, lr: 2e-3, clip: 5, seed: 123 }));
  for (let i = 0; i < 3; i++) trainer.step(); // warm-up: compile tiers, allocate workspaces
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < 5 || performance.now() - t0 < seconds * 1000) {
    const s = performance.now();
    const r = trainer.step();
    if (!r.ok) throw r.error;
    times.push(performance.now() - s);
  }
  const total = times.reduce((x, y) => x + y, 0);
  const sampler = new Sampler(model, vocab, { temperature: 1, seed: 123 });
  sampler.feed([vocab.encode('\n')[0] ?? 0]);
  for (let i = 0; i < 200; i++) sampler.next(); // warm-up
  const s0 = performance.now();
  for (let i = 0; i < sampleLen; i++) sampler.next();
  const sampleSecs = (performance.now() - s0) / 1000;
  const sorted = [...times].sort((x, y) => x - y);
  const rss = process.resourceUsage().maxRSS / 1024; // before the product timings allocate their operands
  const products = charnnProducts(kernels, productShapes(cfg, vocab.size));
  const res: Result = {
    train: (times.length * cfg.batch * cfg.seq) / (total / 1000),
    medianMs: sorted[sorted.length >> 1],
    iters: times.length,
    sample: sampleLen / sampleSecs,
    rssMB: rss,
    backend: kernels.name + ('simd' in kernels ? ` ${(kernels as { simd: string }).simd}` : '') + ('isa' in kernels ? ` ${(kernels as { isa: string }).isa}` : ''),
    threads: kernels.threads,
    vocab: vocab.size,
    products,
  };
  process.stdout.write(JSON.stringify(res) + '\n');
  kernels.dispose();
}

function torchAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** PyTorch on the same config for as many iterations as charnn timed (plus its 3 warm-up ones). */
function runTorch(cfg: Config, iters: number, env: NodeJS.ProcessEnv): { train: number; sample: number } | null {
  const r = spawnSync('/usr/bin/python3', [
    here('../../shared/reference/pytorch_ref.py'), '--model', cfg.cell, '--layers', String(cfg.layers),
    '--hidden', String(cfg.hidden), '--seq', String(cfg.seq), '--batch', String(cfg.batch), '--iters', String(iters + 3),
    '--skip', '3', '--sample-len', String(sampleLen), '--threads', a.threads ?? '2', '--corpus', a.corpus!,
  ], { encoding: 'utf8', maxBuffer: 1 << 24, env });
  const last = r.stdout.trim().split('\n').filter((l) => l.startsWith('{') && l.includes('train_chars_per_sec')).pop();
  if (r.status !== 0 || !last) {
    process.stderr.write(`PyTorch run failed (${r.status}): ${r.stderr.slice(-500)}\n`);
    return null;
  }
  const j = JSON.parse(last.replace(/\bNaN\b/g, 'null')) as { train_chars_per_sec: number; sample_chars_per_sec: number };
  return { train: j.train_chars_per_sec, sample: j.sample_chars_per_sec };
}

if (a.child) {
  await child(CONFIGS[a.child]);
} else {
  const names = a.configs!.split(',');
  for (const n of names) if (!CONFIGS[n]) throw new Error(`unknown config ${n} (S, M, gruS, def)`);
  const torch = !a['no-torch'] && torchAvailable();
  if (!torch && !a['no-torch']) process.stderr.write('(PyTorch not importable by /usr/bin/python3: no comparison)\n');
  const blas = torch ? chooseOpenBlasCore() : null;
  if (blas) process.stderr.write(blas.note + '\n');
  const torchEnv: NodeJS.ProcessEnv = { ...process.env, ...(blas?.coretype ? { OPENBLAS_CORETYPE: blas.coretype } : {}) };
  // On a machine busier than its cores, OpenMP threads that spin while waiting collapse (PyTorch S measured at
  // 0.2k chars/s spinning, 6k passive, same load): let them sleep there, and say so.
  if (torch && loadavg()[0] > availableParallelism() && !process.env.OMP_WAIT_POLICY) {
    torchEnv.OMP_WAIT_POLICY = 'PASSIVE';
    process.stderr.write(`load average ${loadavg()[0].toFixed(1)} > ${availableParallelism()} cores: PyTorch runs with OMP_WAIT_POLICY=PASSIVE\n`);
  }
  const torchThreads = Number(a.threads ?? 2);
  const withWasm = a.backend === 'native' && !a['no-wasm'];
  const productRows: string[] = [];
  const k = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0));
  const rows: string[] = [];
  /** Issue 4's targets for this machine, each checked where its config ran (the ratios need PyTorch). */
  const targets: string[] = [];
  const check = (what: string, ok: boolean, got: string) => targets.push(`target ${what}: ${ok ? 'met' : 'MISSED'} (${got})`);
  for (const n of names) {
    const cfg = CONFIGS[n];
    process.stderr.write(`config ${cfg.name}: charnn ...\n`);
    const argv = [...process.execArgv, fileURLToPath(import.meta.url), '--child', n, '--backend', a.backend!,
      '--seconds', String(seconds), '--sample-len', String(sampleLen), '--corpus', a.corpus!,
      ...(a.threads ? ['--threads', a.threads] : []), '--simd', a.simd!];
    const runChild = (args: string[]): Result => {
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`config ${n} failed: ${r.stderr.slice(-2000)}`);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
    };
    const c = runChild(argv);
    let w: Result | null = null;
    if (withWasm) {
      process.stderr.write(`config ${cfg.name}: charnn on wasm ...\n`);
      w = runChild(argv.map((x, i) => (argv[i - 1] === '--backend' ? 'wasm' : x)));
    }
    let py: { train: number; sample: number } | null = null;
    const shapes = productShapes(cfg, c.vocab);
    let tp: number[] | null = null;
    if (torch) {
      process.stderr.write(`config ${cfg.name}: PyTorch ...\n`);
      py = runTorch(cfg, c.iters, torchEnv);
      tp = torchProducts(shapes, torchThreads, torchEnv);
    }
    shapes.forEach((s, i) => productRows.push(
      `${cfg.name.padEnd(6)} ${s.what.padEnd(18)} ${`${s.op} ${s.M}x${s.K}x${s.N}`.padEnd(22)} ${c.products[i].toFixed(1).padStart(7)}` +
      (w ? ` ${w.products[i].toFixed(1).padStart(7)}` : '') +
      (tp ? ` ${tp[i].toFixed(1).padStart(9)} ${(c.products[i] / tp[i]).toFixed(2).padStart(6)}x` : ''),
    ));
    const t12 = { train: n === 'M' ? 1.2 : 1.2, sample: n === 'S' ? 5 : n === 'M' ? 3 : 0 };
    if (py && a.backend === 'native') {
      check(`(12) ${cfg.name} training >= ${t12.train}x PyTorch`, c.train >= t12.train * py.train, `${(c.train / py.train).toFixed(2)}x`);
      if (t12.sample) check(`(12) ${cfg.name} sampling >= ${t12.sample}x PyTorch`, c.sample >= t12.sample * py.sample, `${(c.sample / py.sample).toFixed(2)}x`);
    }
    if (tp && n === 'M' && a.backend === 'native') {
      const worst = Math.min(...shapes.map((_, i) => c.products[i] / tp![i]));
      check('(12) M products >= 0.9x OpenBLAS sgemm (each shape)', worst >= 0.9, `worst ${worst.toFixed(2)}x`);
    }
    if (w) check(`(12) ${cfg.name} peak memory <= wasm's`, c.rssMB <= w.rssMB, `${c.rssMB.toFixed(0)} vs ${w.rssMB.toFixed(0)} MB`);
    if (n === 'S') check('S peak memory while training < 150 MB', c.rssMB < 150, `${c.rssMB.toFixed(0)} MB`);
    if (py && n === 'S') {
      check('S training >= 1.0x PyTorch', c.train >= py.train, `${(c.train / py.train).toFixed(2)}x`);
      check('S sampling >= 3x PyTorch', c.sample >= 3 * py.sample, `${(c.sample / py.sample).toFixed(2)}x`);
    }
    if (py && n === 'M') check('M training >= 0.7x PyTorch', c.train >= 0.7 * py.train, `${(c.train / py.train).toFixed(2)}x`);
    rows.push(
      `${cfg.name.padEnd(6)} ${`${cfg.cell} ${cfg.layers}x${cfg.hidden} T${cfg.seq} B${cfg.batch}`.padEnd(22)}` +
      ` ${`${c.backend} ${c.threads}t`.padEnd(20)} ${k(c.train).padStart(7)} ${c.medianMs.toFixed(1).padStart(8)}` +
      ` ${((c.train * flopsPerChar(cfg, c.vocab)) / 1e9).toFixed(1).padStart(7)}` +
      ` ${k(c.sample).padStart(8)} ${c.rssMB.toFixed(0).padStart(6)}` +
      (py ? `   ${k(py.train).padStart(7)} ${k(py.sample).padStart(8)}   ${(c.train / py.train).toFixed(2).padStart(5)}x` +
        ` ${(c.sample / py.sample).toFixed(2).padStart(6)}x` : '') +
      (w ? `   wasm ${k(w.train)} ${k(w.sample)} ${w.rssMB.toFixed(0)} MB: ${(c.train / w.train).toFixed(2)}x` : ''),
    );
    process.stderr.write(rows[rows.length - 1] + '\n');
  }
  console.log(`charnn speed benchmark (${seconds} s of steady training per config; shared 2-core machine: noisy, compare ratios)`);
  console.log(`${'config'.padEnd(6)} ${'model'.padEnd(22)} ${'backend'.padEnd(20)} ${'train/s'.padStart(7)} ${'ms/iter'.padStart(8)}` +
    ` ${'GFLOP/s'.padStart(7)}` +
    ` ${'sample/s'.padStart(8)} ${'RSS MB'.padStart(6)}` +
    (torch ? `   ${'torch tr'.padStart(7)} ${'torch sa'.padStart(8)}   ${'train'.padStart(6)} ${'sample'.padStart(7)}` : ''));
  for (const r of rows) console.log(r);
  console.log('train/s, sample/s: characters per second (training steady state; sampling batch 1, temperature 1); ' +
    'GFLOP/s: of the matrix products, at that training speed; RSS: peak resident memory of the charnn process; ' +
    'last columns: charnn / PyTorch');
  if (withWasm) console.log('wasm: the wasm backend on the same config (train/s, sample/s, RSS) and charnn-native / wasm training');
  if (blas) console.log(blas.note);
  if (torchEnv.OMP_WAIT_POLICY) console.log(`PyTorch: OMP_WAIT_POLICY=${torchEnv.OMP_WAIT_POLICY} (load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores)`);
  console.log(`\nproducts of one training step, GFLOP/s (median; ${torchThreads} threads)`);
  console.log(`${'config'.padEnd(6)} ${'product'.padEnd(18)} ${'shape M x K x N'.padEnd(22)} ${a.backend!.padStart(7)}` +
    (withWasm ? ` ${'wasm'.padStart(7)}` : '') + (torch ? ` ${'torch.mm'.padStart(9)} ${'ratio'.padStart(7)}` : ''));
  for (const r of productRows) console.log(r);
  for (const t of targets) console.log(t);
}
