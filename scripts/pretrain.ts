/**
 * `npm run pretrain`: rebuilds the model bundled with charnn, checkpoints/pretrained/tinyshakespeare.json.
 *
 *   npm run pretrain                                   # train 30 minutes with the default recipe, seed 123
 *   npm run pretrain -- --seed 7 --threads 2           # another seed; worker threads (bit-identical for any count)
 *   npm run pretrain -- --from checkpoints/RUN/best.json   # no training: bundle a run already made (or its folder)
 *   npm run pretrain -- --out /tmp/candidate.json      # write elsewhere (to measure without replacing the bundle)
 *
 * Everything goes through the real command line (bin/charnn.js, so dist/ must be built: `npm run build`):
 * 1. train: `charnn train tinyshakespeare --time 30m --seed S` and nothing else, so the model is whatever the
 *    defaults table (src/options.ts) says is the best 30-minute recipe; the run folder checkpoints/pretrain-seed-S/
 *    is kept. Without internet set CHARNN_CORPUS_MIRROR (defaults here to ../shared/corpora when it exists).
 * 2. export the run's best checkpoint (lowest validation loss) as a sampling-only file twice, float32 and float16
 *    (`charnn export --format charnn|charnn-f16`), and `charnn eval` both on the validation split;
 * 3. keep the float16 one only if its loss differs from the float32 one's by under MAX_F16_CHANGE nats, else the
 *    float32 one; print both losses, both sizes, and a 300-character sample (--temp 0.5 --seed 1) for README.md.
 * Progress and figures go to stderr, the sample alone to stdout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadCheckpoint, saveCheckpoint } from '../src/checkpoint/io.js';
import { findCorpus, loadRegistry } from '../src/corpus/registry.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLED = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
/** the bar: float16 storage is "exact" when it moves the validation loss by less than this (nats/char) */
const MAX_F16_CHANGE = 0.002;
const TIME = '30m';
const SAMPLE = ['--length', '300', '--temp', '0.5', '--seed', '1'];

function fail(msg: string): never {
  process.stderr.write(`pretrain: ${msg}\n`);
  process.exit(1);
}

const { values: a } = parseArgs({
  options: {
    from: { type: 'string' },
    seed: { type: 'string', default: '123' },
    threads: { type: 'string' },
    out: { type: 'string' },
  },
});
if (!/^\d+$/.test(a.seed!)) fail(`--seed must be a whole number, got ${a.seed}`);
if (a.threads !== undefined && !/^[1-9]\d*$/.test(a.threads)) fail(`--threads must be a positive whole number, got ${a.threads}`);
const out = a.out ? resolve(a.out) : BUNDLED;
const env = { ...process.env };
const mirror = resolve(ROOT, '..', 'shared', 'corpora');
if (!env.CHARNN_CORPUS_MIRROR && existsSync(mirror)) env.CHARNN_CORPUS_MIRROR = mirror;

/** Run charnn; stderr passes through (progress), stdout is returned. */
function charnn(args: string[], what: string, quietStderr = false): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'charnn.js'), ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', 'pipe', quietStderr ? 'pipe' : 'inherit'],
  });
  if (r.status !== 0) fail(`${what} failed (exit ${r.status ?? r.signal})${quietStderr && r.stderr ? ': ' + r.stderr.trim() : ''}`);
  return r.stdout;
}

// plan: the checkpoint to bundle, trained here unless --from names one
let best: string;
if (a.from) {
  best = resolve(a.from);
  if (existsSync(best) && statSync(best).isDirectory()) best = join(best, 'best.json');
  if (!existsSync(best)) fail(`${a.from}: no such checkpoint (give a run's best.json or its folder)`);
} else {
  const runDir = join(ROOT, 'checkpoints', `pretrain-seed-${a.seed}`);
  if (existsSync(runDir)) fail(`${runDir} exists (a run of this seed): bundle it with --from ${join(runDir, 'best.json')}, or remove it to train again`);
  const args = ['train', 'tinyshakespeare', '--time', TIME, '--seed', a.seed!, '--out', runDir];
  if (a.threads) args.push('--threads', a.threads);
  process.stderr.write(`pretrain: charnn ${args.join(' ')}\n`);
  charnn(args, 'training');
  best = join(runDir, 'best.json');
}
const info = JSON.parse(charnn(['info', best, '--json'], `reading ${best}`, true)) as {
  model: { cell: string; layers: number; hidden: number; mode?: string };
  corpus: { source: string } | null;
  progress: { step: number; bestValLoss: number | null; bestValStep: number | null; elapsedMs: number };
  config: Record<string, unknown>;
};
// a run trained on a copy of the file (by its path, as `npm run tune -- --cli --corpus PATH` does) is the same
// corpus when its SHA-256 is the registry's: the bundle then records the registry name, not a path of this machine
const registered = findCorpus(loadRegistry(), 'tinyshakespeare')!;
const sameBytes = (info.corpus as { sha256?: string } | null)?.sha256 === registered.sha256;
if (info.corpus?.source !== 'tinyshakespeare' && !sameBytes) fail(`${best} was not trained on tinyshakespeare (${info.corpus?.source ?? 'no corpus recorded'})`);
if (info.model.mode === 'lines') fail(`${best} is a line-mode model; the bundled model reads running text`);

// run: both storages next to the output, each measured on the validation split
mkdirSync(dirname(out), { recursive: true });
// (hidden names in the output's folder, so the final rename is atomic; removed whatever happens)
const cand = { float32: join(dirname(out), `.pretrain-${process.pid}.f32.json`), float16: join(dirname(out), `.pretrain-${process.pid}.f16.json`) };
process.on('exit', () => Object.values(cand).forEach((path) => rmSync(path, { force: true })));
const loss: Record<string, number> = {};
const size: Record<string, number> = {};
for (const [storage, path] of Object.entries(cand)) {
  charnn(['export', best, '--format', storage === 'float16' ? 'charnn-f16' : 'charnn', '-o', path, '--force', '-q'], `export as ${storage}`, true);
  const e = JSON.parse(charnn(['eval', path, '--json'], `eval of the ${storage} file`, true)) as { nats: number; chars: number };
  loss[storage] = e.nats;
  size[storage] = statSync(path).size;
}
const change = loss.float16 - loss.float32;
const keep = Math.abs(change) < MAX_F16_CHANGE ? 'float16' : 'float32';
if (info.corpus?.source !== 'tinyshakespeare') {
  const c = loadCheckpoint(cand[keep]);
  c.corpus = { source: 'tinyshakespeare', bytes: c.corpus!.bytes, chars: c.corpus!.chars, sha256: c.corpus!.sha256 };
  saveCheckpoint(cand[keep], c); // rewritten through the codec: the checksum covers the corpus record
}
renameSync(cand[keep], out);

// report
const m = info.model;
const p = info.progress;
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
process.stderr.write(
  `pretrain: ${m.cell} ${m.layers}x${m.hidden} from ${best}: best at step ${p.bestValStep} of ${p.step}, ${(p.elapsedMs / 60000).toFixed(1)} min of training\n` +
    `pretrain: validation loss float32 ${loss.float32.toFixed(6)} nats (${mb(size.float32)}), float16 ${loss.float16.toFixed(6)} nats (${mb(size.float16)}): ` +
    `change ${change >= 0 ? '+' : ''}${change.toExponential(2)} nats, ${Math.abs(change) < MAX_F16_CHANGE ? 'under' : 'NOT under'} ${MAX_F16_CHANGE}\n` +
    `pretrain: wrote ${out} as ${keep} (${mb(statSync(out).size)}); its sample at ${SAMPLE.join(' ')}:\n`,
);
process.stdout.write(charnn(['sample', out, ...SAMPLE], 'sampling', true));
process.stdout.write('\n');
