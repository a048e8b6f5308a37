/**
 * Choosing the training defaults by measurement (issue 5): train candidate configurations on tiny Shakespeare
 * for a fixed budget through the real Trainer, then print config, minutes, chars/s, validation loss (nats, bpc).
 *
 *   npm run tune -- [--minutes 5] [--clock wall|cpu] [--backend wasm] [--threads N] [--seed 1]
 *                   [--results FILE] [--corpus PATH] CONFIG...
 *
 * CONFIG is `cell-LxH-sSEQ-bBATCH` with optional `-dDROPOUT`, `-lrRATE` and `-cosSTEPS` (cosine decay to 0 over
 * STEPS steps; the run still stops at the budget), e.g. `lstm-2x128-s50-b50`, `gru-2x256-s100-b32-d0.1`.
 * Without CONFIG, a default candidate list runs one after another.
 *
 * --clock wall: the budget is wall-clock training time (evaluation excluded), what `charnn train --time` gives a
 * user. --clock cpu: the budget is this process's CPU time, so that runs on a machine shared with other work
 * stay comparable (with --threads 1 a CPU minute is a wall minute on an idle core); both clocks are reported.
 * --also-at 5,10,20 also measures the validation loss when the budget clock passes those minutes (the evaluation's
 * own time is not counted), so one long run gives the figures of the shorter budgets too.
 * --cli --recipe FLAGS...: recipes as `charnn train` flags through the real command line instead (tune-cli.ts).
 * Each run also writes its metrics log, as `charnn train` does (docs/runs.md), to --logs DIR (default tune-logs/),
 * SPEC-seedN.jsonl: `charnn plot tune-logs/*.jsonl` overlays the candidates, each named by what differs.
 * Each run appends one JSON line to --results; the table printed at the end covers every line in that file, so
 * several instances (one config each) can run side by side and share one table. The 1-minute load average is
 * sampled during each run and reported: above the core count, figures are slowed and noisy.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createKernels } from '../src/math/backend.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { CELL_TYPES, type CellType } from '../src/model/config.js';
import { readCorpus } from '../src/corpus/read.js';
import { encodeUtf8 } from '../src/data/vocab.js';
import { Trainer } from '../src/train/trainer.js';
import { trainConfig } from '../test/helpers/train-config.js';
import { MetricsLog } from '../src/commands/train/metrics-log.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    minutes: { type: 'string', default: '5' },
    clock: { type: 'string', default: 'wall' },
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string' },
    seed: { type: 'string', default: '1' },
    results: { type: 'string', default: 'tune-results.jsonl' },
    // each run's metrics log, as charnn train writes it (charnn plot DIR/*.jsonl overlays them)
    logs: { type: 'string', default: 'tune-logs' },
    corpus: { type: 'string', default: here('../../shared/corpora/tinyshakespeare.txt') },
    'also-at': { type: 'string', default: '' },
    // --cli: recipes as charnn train flags, through the real command line (bench/tune-cli.ts)
    cli: { type: 'boolean', default: false },
    recipe: { type: 'string', multiple: true },
    seeds: { type: 'string' },
    keep: { type: 'string' },
  },
});
if (a.cli) {
  const { tuneCli } = await import('./tune-cli.js');
  await tuneCli({
    minutes: Number(a.minutes),
    seeds: (a.seeds ?? a.seed!).split(',').map(Number),
    recipes: a.recipe?.length ? a.recipe : [''],
    // the default corpus by its registry name, as `charnn train` with no corpus reads it (a --corpus path as given)
    corpus: a.corpus === here('../../shared/corpora/tinyshakespeare.txt') ? 'tinyshakespeare' : a.corpus!,
    results: a.results === 'tune-results.jsonl' ? 'tune-cli-results.jsonl' : a.results!,
    logs: a.logs!,
    keep: a.keep,
  });
  process.exit(0);
}

interface Candidate {
  spec: string;
  cell: CellType;
  layers: number;
  hidden: number;
  seq: number;
  batch: number;
  dropout: number;
  lr: number;
  /** cosine horizon in steps, 0 = constant rate */
  cosine: number;
}

export function parseCandidate(spec: string): Candidate {
  const m = /^(\w+)-(\d+)x(\d+)-s(\d+)-b(\d+)((?:-(?:d[\d.]+|lr\d+(?:\.\d+)?(?:e-?\d+)?|cos\d+))*)$/.exec(spec);
  if (!m || !(CELL_TYPES as readonly string[]).includes(m[1])) {
    throw new Error(`bad config "${spec}": expected cell-LxH-sSEQ-bBATCH[-dP][-lrR][-cosN], e.g. lstm-2x128-s50-b50`);
  }
  const extra = m[6] ?? '';
  const d = /-d([\d.]+)/.exec(extra);
  const lr = /-lr(\d+(?:\.\d+)?(?:e-?\d+)?)/.exec(extra);
  const cos = /-cos(\d+)/.exec(extra);
  return {
    spec,
    cell: m[1] as CellType,
    layers: Number(m[2]),
    hidden: Number(m[3]),
    seq: Number(m[4]),
    batch: Number(m[5]),
    dropout: d ? Number(d[1]) : 0,
    lr: lr ? Number(lr[1]) : 2e-3,
    cosine: cos ? Number(cos[1]) : 0,
  };
}

const DEFAULT_CANDIDATES = ['lstm-2x128-s50-b50', 'gru-2x128-s50-b50', 'lstm-2x128-s64-b32', 'gru-2x256-s100-b32'];

interface Row {
  spec: string;
  params: number;
  clock: string;
  budgetMin: number;
  wallMin: number;
  cpuMin: number;
  steps: number;
  chars: number;
  charsPerWallSec: number;
  charsPerCpuSec: number;
  valNats: number;
  valBpc: number;
  trainLast50: number;
  load: { start: number; mean: number; max: number };
  backend: string;
  threads: number;
  cores: number;
  when: string;
}

const minutes = Number(a.minutes);
if (!(minutes > 0)) throw new Error(`--minutes must be positive, got ${a.minutes}`);
if (a.clock !== 'wall' && a.clock !== 'cpu') throw new Error(`--clock must be wall or cpu, got ${a.clock}`);
const seed = Number(a.seed);
const alsoAt = a['also-at']!.split(',').filter(Boolean).map(Number).filter((m) => m > 0 && m < minutes).sort((x, y) => x - y);
const specs = (positionals.length ? positionals : DEFAULT_CANDIDATES).map(parseCandidate);
const { vocab, ids } = encodeUtf8(await readCorpus(a.corpus!));
const log = (s: string) => process.stderr.write(s + '\n');
const cpuSec = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

for (const c of specs) {
  const kernels = await createKernels(a.backend!, { threads: a.threads ? Number(a.threads) : undefined });
  const model = new CharRNN(kernels, { cell: c.cell, layers: c.layers, hidden: c.hidden, vocabSize: vocab.size, dropout: c.dropout });
  model.init(new Rng(seed), 'pytorch');
  const trainer = new Trainer(model, ids, trainConfig({
    batch: c.batch,
    seq: c.seq,
    lr: c.lr,
    clip: 5,
    optimizer: 'adam',
    seed,
    lrSchedule: c.cosine ? 'cosine' : 'constant', // a cosine over c.cosine steps: budgetDone below
  }));
  log(`tune: ${c.spec}: ${model.numParams} params, ${minutes} min of ${a.clock} time, backend ${kernels.name} (${kernels.threads} thread${kernels.threads === 1 ? '' : 's'})`);
  const loads: number[] = [loadavg()[0]];
  const w0 = performance.now() / 1000, c0 = cpuSec();
  let evalWall = 0, evalCpu = 0; // time spent measuring intermediate budgets, left out of the clocks
  const wallUsed = () => performance.now() / 1000 - w0 - evalWall;
  const cpuUsed = () => cpuSec() - c0 - evalCpu;
  const used = () => (a.clock === 'cpu' ? cpuUsed() : wallUsed());
  const last: number[] = [];
  let steps = 0, nextLog = 30;
  // the metrics log of charnn train (docs/runs.md), its options named as train's; time: the budget clock's
  mkdirSync(a.logs!, { recursive: true });
  const metrics = new MetricsLog(join(a.logs!, `${c.spec}-seed${seed}.jsonl`), true);
  const options = { cell: c.cell, layers: c.layers, hidden: c.hidden, dropout: c.dropout, seq: c.seq, batch: c.batch, lr: c.lr, lrSchedule: c.cosine ? 'cosine' : 'constant', ...(c.cosine ? { steps: c.cosine } : {}), seed, backend: kernels.name, threads: kernels.threads };
  metrics.start(0, 0, 0, options);
  const logStep = (r: { loss: number; lr: number; gradNorm: number; progress: number }, val?: number) => {
    const chars = steps * c.batch * c.seq;
    metrics.step({ step: steps, epoch: Math.round(r.progress * 1e4) / 1e4, time: used(), chars, cps: chars / Math.max(wallUsed(), 1e-3), loss: r.loss, lr: r.lr, gradNorm: r.gradNorm, val, rollbacks: 0, saves: 0 });
  };
  let lastStep = { loss: NaN, lr: c.lr, gradNorm: NaN, progress: 0 };
  const record = (budgetMin: number) => {
    const wall = wallUsed(), cpu = cpuUsed();
    const ew = performance.now() / 1000, ec = cpuSec();
    const v = trainer.evaluate();
    evalWall += performance.now() / 1000 - ew;
    evalCpu += cpuSec() - ec;
    logStep(lastStep, v.loss);
    const chars = steps * c.batch * c.seq;
    const row: Row = {
      spec: c.spec,
      params: model.numParams,
      clock: a.clock!,
      budgetMin,
      wallMin: wall / 60,
      cpuMin: cpu / 60,
      steps,
      chars,
      charsPerWallSec: chars / wall,
      charsPerCpuSec: chars / cpu,
      valNats: v.loss,
      valBpc: v.bpc,
      trainLast50: last.reduce((x, y) => x + y, 0) / last.length,
      load: { start: loads[0], mean: loads.reduce((x, y) => x + y, 0) / loads.length, max: Math.max(...loads) },
      backend: kernels.name,
      threads: kernels.threads,
      cores: cpus().length,
      when: new Date().toISOString(),
    };
    log(`  ${c.spec}: val ${v.loss.toFixed(4)} nats (${v.bpc.toFixed(3)} bpc) after ${steps} steps (${budgetMin} min)`);
    appendFileSync(a.results!, JSON.stringify(row) + '\n');
  };
  const pending = [...alsoAt];
  while (used() < minutes * 60 && (!c.cosine || steps < c.cosine)) {
    if (c.cosine) trainer.budgetDone = steps / c.cosine;
    const r = trainer.step();
    if (!r.ok) throw r.error;
    steps++;
    last.push(r.loss);
    if (last.length > 50) last.shift();
    lastStep = r;
    logStep(r);
    const u = used();
    if (pending.length && u >= pending[0] * 60) record(pending.shift()!);
    if (u >= nextLog) {
      nextLog += 30;
      loads.push(loadavg()[0]);
      log(`  ${c.spec}: ${u.toFixed(0)} s, step ${steps}, loss ${r.loss.toFixed(3)}, load ${loadavg()[0].toFixed(1)}`);
    }
  }
  record(minutes);
  metrics.close(false);
  kernels.dispose();
}

// the table: every run recorded in the results file, best validation loss first within each budget
const rows = existsSync(a.results!)
  ? readFileSync(a.results!, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row)
  : [];
rows.sort((x, y) => x.budgetMin - y.budgetMin || x.valNats - y.valNats);
const out = [
  '| config | params | budget | wall min | CPU min | steps | chars/s (wall) | chars/s (CPU) | val nats | val bpc | train nats (last 50) | load avg mean (max) |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.spec} | ${(r.params / 1000).toFixed(0)}k | ${r.budgetMin} min ${r.clock} | ${r.wallMin.toFixed(1)} | ${r.cpuMin.toFixed(1)} | ${r.steps} | ` +
      `${Math.round(r.charsPerWallSec)} | ${Math.round(r.charsPerCpuSec)} | ${r.valNats.toFixed(3)} | ${r.valBpc.toFixed(3)} | ${r.trainLast50.toFixed(3)} | ` +
      `${r.load.mean.toFixed(1)} (${r.load.max.toFixed(1)}) |`,
  ),
];
process.stdout.write(out.join('\n') + '\n');
