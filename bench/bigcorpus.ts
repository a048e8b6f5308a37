/**
 * Memory on a big corpus (issue 6): resident memory must be a few bytes per corpus character plus the model, not
 * tens (no per-character objects, no JS string of the corpus, no needless copies).
 *
 *   npm run bench:bigcorpus -- [--mb 100] [--steps 3] [--mode cli|lib] [--stdin] [--keep]
 *
 * Writes a synthetic corpus of --mb megabytes (mostly ASCII words with some 2- and 3-byte UTF-8 characters) in a
 * temporary folder, then trains a tiny model on it for a few steps in a child process, and again on a 1 MB slice
 * of it as the baseline (runtime + model). Prints each run's peak resident memory (maxRSS, read in the child at
 * exit) and the difference per corpus byte and per character.
 *   --mode cli: the real binary, `charnn train` (the default once the train command exists)
 *   --mode lib: the library data path only (readCorpus -> encodeUtf8 -> Trainer), in a child too
 *   --stdin: the CLI reads the corpus from standard input (`charnn train -`) instead of the file
 * Not a timed test: figures on the shared 2-core machine are noisy; the bytes-per-character figure is not.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const BIN = here('../bin/charnn.js');
const DIST = here('../dist/');

const { values: a } = parseArgs({
  options: {
    mb: { type: 'string', default: '100' },
    steps: { type: 'string', default: '3' },
    mode: { type: 'string' },
    keep: { type: 'boolean', default: false },
    stdin: { type: 'boolean', default: false },
  },
});
const MB = Number(a.mb);
const steps = Number(a.steps);
if (!(MB > 1) || !(steps >= 1)) throw new Error('--mb must be > 1 and --steps >= 1');
if (!existsSync(join(DIST, 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');

function cliHasTrain(): boolean {
  const r = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
  return /^\s+train\b/m.test(r.stdout);
}
const mode = a.mode ?? (cliHasTrain() ? 'cli' : 'lib');
if (mode !== 'cli' && mode !== 'lib') throw new Error('--mode must be cli or lib');

// ---- the corpus: deterministic pseudo-text, written in 1 MB pieces (this process never holds all of it) -------

const WORDS = (
  'the of and to in a is that for it as was with be by on not he I this are or his from at which but have an they ' +
  'you were her she there would their we him been has when who will more no if out so said what up its about into ' +
  'than them can only other new some could time these two may then do first any my now such like our over man me ' +
  'even most made after also did many before must through back years where much your way well down should because ' +
  'été naïve façade — “quoted” über Straße café déjà'
).split(' ');

function writeCorpus(path: string, bytes: number): number {
  const fd = openSync(path, 'w');
  let s = 0x9e3779b9;
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  let total = 0;
  try {
    while (total < bytes) {
      const parts: string[] = [];
      let len = 0;
      while (len < 1 << 20) {
        const w = WORDS[rnd() % WORDS.length];
        parts.push(rnd() % 13 === 0 ? w + '.\n' : w);
        len += w.length + 1;
      }
      let buf = Buffer.from(parts.join(' ') + ' ', 'utf8');
      if (total + buf.length > bytes) buf = buf.subarray(0, bytes - total);
      // do not cut a multi-byte character at the very end
      while (buf.length > 0 && (buf[buf.length - 1] & 0xc0) === 0x80) buf = buf.subarray(0, buf.length - 1);
      if (buf.length > 0 && buf[buf.length - 1] >= 0xc0) buf = buf.subarray(0, buf.length - 1);
      writeSync(fd, buf);
      total += buf.length;
      if (buf.length === 0) break;
    }
  } finally {
    closeSync(fd);
  }
  return total;
}

/** Code points in a UTF-8 file (bytes that are not continuation bytes), counted in pieces. */
function countChars(path: string): number {
  const buf = readFileSync(path);
  let n = 0;
  for (let i = 0; i < buf.length; i++) if ((buf[i] & 0xc0) !== 0x80) n++;
  return n;
}

// ---- one measured run ----------------------------------------------------------------------------------------

/** Preloaded into the child: prints its peak RSS (bytes) as the last line of stderr at exit. */
const RSS_HOOK =
  'data:text/javascript,' +
  encodeURIComponent("process.on('exit', () => process.stderr.write('\\nmaxRSS ' + process.resourceUsage().maxRSS * 1024 + '\\n'));");

const LIB_SCRIPT = `
import { readCorpus } from ${JSON.stringify(join(DIST, 'data/corpus.js'))};
import { encodeUtf8 } from ${JSON.stringify(join(DIST, 'data/vocab.js'))};
import { createKernels } from ${JSON.stringify(join(DIST, 'math/backend.js'))};
import { Rng } from ${JSON.stringify(join(DIST, 'math/rng.js'))};
import { CharRNN } from ${JSON.stringify(join(DIST, 'model/char-rnn.js'))};
import { Trainer } from ${JSON.stringify(join(DIST, 'train/trainer.js'))};
const [path, steps] = process.argv.slice(-2);
const { vocab, ids } = encodeUtf8(await readCorpus(path));
const kernels = await createKernels('js');
const model = new CharRNN(kernels, { cell: 'lstm', layers: 1, hidden: 32, vocabSize: vocab.size, dropout: 0 });
model.init(new Rng(1));
const trainer = new Trainer(model, ids, { batch: 8, seq: 16, valFraction: 0.001, steps: Number(steps) });
for (let i = 0; i < Number(steps); i++) trainer.step();
`;

interface Measured {
  rss: number;
  ms: number;
}

function measure(corpus: string, outDir: string): Measured {
  const args =
    mode === 'cli'
      ? [BIN, 'train', a.stdin ? '-' : corpus, '--steps', String(steps), '--cell', 'lstm', '--layers', '1', '--hidden', '32',
         '--batch', '8', '--seq', '16', '--val-frac', '0.001', '--eval-every', '0', '--save-every', '0',
         '--out', outDir, '--quiet']
      : ['--input-type=module', '-e', LIB_SCRIPT, corpus, String(steps)];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', RSS_HOOK, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 64 << 20,
    stdio: [a.stdin && mode === 'cli' ? openSync(corpus, 'r') : 'ignore', 'pipe', 'pipe'],
  });
  const ms = performance.now() - t0;
  const m = /maxRSS (\d+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) {
    throw new Error(`run failed (exit ${r.status}, signal ${r.signal}):\n${r.stderr.slice(-2000)}`);
  }
  return { rss: Number(m[1]), ms };
}

const dir = mkdtempSync(join(tmpdir(), 'charnn-bigcorpus-'));
try {
  const big = join(dir, 'big.txt');
  const small = join(dir, 'small.txt');
  process.stderr.write(`writing a ${MB} MB corpus in ${dir} ...\n`);
  const bigBytes = writeCorpus(big, Math.round(MB * 1e6));
  const smallBytes = writeCorpus(small, 1e6);
  const bigChars = countChars(big);
  const smallChars = countChars(small);
  process.stderr.write(`training ${steps} steps (mode ${mode}) on the 1 MB baseline, then on ${MB} MB ...\n`);
  const base = measure(small, join(dir, 'out-small'));
  const run = measure(big, join(dir, 'out-big'));
  const extra = run.rss - base.rss;
  const fmt = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const lines = [
    `bigcorpus (mode ${mode}${a.stdin && mode === 'cli' ? ', corpus on stdin' : ''}, lstm 1x32, batch 8, seq 16, ${steps} steps; figures from one noisy run)`,
    `  corpus        ${fmt(bigBytes)} = ${bigChars.toLocaleString('en')} characters (baseline ${fmt(smallBytes)})`,
    `  peak RSS      ${fmt(run.rss)} (baseline ${fmt(base.rss)}), ${(run.ms / 1000).toFixed(1)} s (baseline ${(base.ms / 1000).toFixed(1)} s)`,
    `  corpus cost   ${fmt(extra)} = ${(extra / (bigBytes - smallBytes)).toFixed(2)} bytes per corpus byte, ` +
      `${(extra / (bigChars - smallChars)).toFixed(2)} bytes per character`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  if (a.keep) process.stderr.write(`kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
