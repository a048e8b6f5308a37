/**
 * Large corpora (issues 6 and 18): what a run on a big corpus costs before and besides training.
 *
 *   npm run bench:bigcorpus -- [--sizes 10,100] [--steps 1000] [--full-eval] [--keep]
 *
 * For each size (MB) writes tiny Shakespeare (../shared/corpora/tinyshakespeare.txt) repeated until the size is
 * reached (100 MB: 90 copies) into a temporary folder, then runs the real binary, `charnn train big.txt --steps N`
 * with every other option at its default, in a child process, and reports:
 *   startup     reading the corpus, and preparing + encoding it (train --verbose prints both)
 *   peak RSS    maxRSS of the child at exit, and per corpus character (the memory bound: <= 4.8 bytes)
 *   validation  its share of the run's wall time (the run's own summary line), and the evaluations done
 * --full-eval then runs `charnn eval` of the largest run's checkpoint: the whole validation split, with progress.
 * Figures from one run on a shared machine are noisy; say the load when quoting them (this prints loadavg).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const BIN = here('../bin/charnn.js');
const SHAKESPEARE = here('../../shared/corpora/tinyshakespeare.txt');

const { values: a } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100' },
    steps: { type: 'string', default: '1000' },
    'full-eval': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const sizes = a.sizes.split(',').map(Number);
const steps = Number(a.steps);
if (!sizes.every((s) => s > 0) || !(steps >= 1)) throw new Error('--sizes must be positive numbers (MB), --steps >= 1');
if (!existsSync(join(here('../dist/'), 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
if (!existsSync(SHAKESPEARE)) throw new Error(`${SHAKESPEARE} is missing (the shared corpora folder beside the checkout)`);

/** Whole copies of tiny Shakespeare until `mb` MB is reached; returns bytes and characters written. */
function writeCorpus(path: string, mb: number): { bytes: number; chars: number; copies: number } {
  const text = readFileSync(SHAKESPEARE);
  let chars = 0;
  for (let i = 0; i < text.length; i++) if ((text[i] & 0xc0) !== 0x80) chars++;
  const copies = Math.max(1, Math.round((mb * 1e6) / text.length));
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < copies; i++) writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return { bytes: copies * text.length, chars: copies * chars, copies };
}

/** Preloaded into the child: prints its peak RSS (bytes) as the last line of stderr at exit. */
const RSS_HOOK =
  'data:text/javascript,' +
  encodeURIComponent("process.on('exit', () => process.stderr.write('\\nmaxRSS ' + process.resourceUsage().maxRSS * 1024 + '\\n'));");

interface Run {
  sec: number;
  rss: number;
  stderr: string;
  stdout: string;
}

function run(args: string[]): Run {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', RSS_HOOK, BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const sec = (performance.now() - t0) / 1000;
  const m = /maxRSS (\d+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`charnn ${args.join(' ')} failed (exit ${r.status}, signal ${r.signal}):\n${r.stderr.slice(-2000)}`);
  return { sec, rss: Number(m[1]), stderr: r.stderr, stdout: r.stdout };
}

const num = (re: RegExp, s: string, what: string): number => {
  const m = re.exec(s);
  if (!m) throw new Error(`no ${what} in the output:\n${s.slice(-1500)}`);
  return Number(m[1]);
};
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const dir = mkdtempSync(join(tmpdir(), 'charnn-bigcorpus-'));
const lines: string[] = [`bigcorpus: charnn train --steps ${steps}, default options otherwise (one run per size; load average before: ${load()})`];
try {
  let lastCkpt = '';
  for (const mb of sizes) {
    const corpus = join(dir, `shakespeare-${mb}mb.txt`);
    const c = writeCorpus(corpus, mb);
    const out = join(dir, `run-${mb}`);
    process.stderr.write(`${mb} MB (${c.copies} copies of tiny Shakespeare): training ${steps} steps ...\n`);
    const r = run(['train', corpus, '--steps', String(steps), '--out', out, '--verbose']);
    const readSec = num(/corpus: read in ([\d.]+) s/, r.stderr, 'read time');
    const encSec = num(/encoded in ([\d.]+) s/, r.stderr, 'encode time');
    const valShare = num(/\(validation ([\d.]+)% of it\)/, r.stderr, 'validation share');
    const evals = (r.stderr.match(/^step \d+: val /gm) ?? []).length;
    lines.push(
      `  ${String(mb).padStart(4)} MB  ${c.chars.toLocaleString('en-US')} chars: startup ${(readSec + encSec).toFixed(1)} s ` +
        `(read ${readSec.toFixed(1)}, prepare+encode ${encSec.toFixed(1)}); peak RSS ${(r.rss / 1e6).toFixed(0)} MB = ` +
        `${(r.rss / c.chars).toFixed(2)} bytes/char; validation ${valShare}% of the training loop (${evals} evaluations); wall ${r.sec.toFixed(0)} s`,
    );
    lastCkpt = join(out, 'latest.json');
  }
  lines.push(`  load average after: ${load()}`);
  if (a['full-eval'] && lastCkpt) {
    process.stderr.write(`charnn eval ${lastCkpt} (the whole validation split) ...\n`);
    const e = run(['eval', lastCkpt]);
    const progressLines = (e.stderr.match(/^charnn: evaluating: /gm) ?? []).length;
    lines.push(`  charnn eval (whole split): ${e.stdout.trim()}; ${e.sec.toFixed(0)} s, ${progressLines} progress lines, peak RSS ${(e.rss / 1e6).toFixed(0)} MB`);
  }
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  if (a.keep) process.stderr.write(`kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
