/**
 * Recipes measured as a user runs them (issue 17): each candidate is a set of `charnn train` flags, run through
 * the real command line (bin/charnn.js, built) with `--time MINUTES` of wall clock (evaluation included, as a
 * user's budget is) for each seed; then `charnn eval` of its best.json on the whole validation split (training
 * picks best.json on a fixed subset of it). One JSON line per run goes to --results; the table printed at the end
 * covers every line there (mean and spread over the seeds of each recipe and budget).
 *
 *   npm run tune -- --cli [--minutes 30] [--seeds 1,2,3] [--corpus PATH] [--results FILE] [--keep DIR]
 *                   --recipe= --recipe="--hidden 384 --dropout 0.3" ...
 * (write --recipe=FLAGS with "=": a value that starts with a dash is read as an option otherwise)
 *
 * Each run's metrics log (docs/runs.md) is kept in --logs DIR (default tune-logs/) as RECIPE-seedN-MINUTESm.jsonl,
 * so `charnn plot tune-logs/*.jsonl` redraws any measured recipe; the steps and best validation loss come from it.
 * ("" is the defaults.) The 1-minute load average is sampled every 10 s: above the core count the figures are
 * slowed by other work. The CPU model and the backend line of each run are recorded.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLogLines } from '../src/commands/common/runs.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const BIN = here('../bin/charnn.js');

export interface CliTuneArgs {
  minutes: number;
  seeds: number[];
  recipes: string[];
  corpus: string;
  results: string;
  keep?: string;
  /** where each run's metrics log is kept (RECIPE-seedN.jsonl) */
  logs: string;
}

interface Row {
  recipe: string;
  seed: number;
  minutes: number;
  wallMin: number;
  steps: number;
  charsPerSec: number;
  bestStep: number;
  bestValSubset: number;
  valNats: number;
  valChars: number;
  /** the run's metrics log */
  log: string;
  params: number;
  backend: string;
  load: { mean: number; max: number };
  cpu: string;
  when: string;
}

const log = (s: string) => process.stderr.write(s + '\n');

async function trainOnce(a: CliTuneArgs, recipe: string, seed: number): Promise<Row> {
  const dir = a.keep ? join(a.keep, `${recipe.replace(/[^\w.]+/g, '_') || 'defaults'}-seed${seed}`) : mkdtempSync(join(tmpdir(), 'charnn-tune-'));
  const flags = recipe.split(/\s+/).filter(Boolean);
  const args = [BIN, 'train', a.corpus, '--time', `${a.minutes}m`, '--seed', String(seed), '--out', dir, '--overwrite', '--no-color', ...flags];
  log(`tune --cli: charnn ${args.slice(1).join(' ')}`);
  const loads: number[] = [loadavg()[0]];
  const timer = setInterval(() => loads.push(loadavg()[0]), 10_000);
  const t0 = Date.now();
  let stderr = '';
  const code = await new Promise<number | null>((res) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const lines = d.toString().split(/[\r\n]/).filter((l) => /: val /.test(l));
      for (const l of lines) log(`  seed ${seed}: ${l.trim()}`);
    });
    p.on('close', res);
  });
  clearInterval(timer);
  const wallMin = (Date.now() - t0) / 60000;
  if (code !== 0) throw new Error(`charnn train exited ${code}:\n${stderr.slice(-2000)}`);
  const plain = stderr.replace(/\x1b\[[0-9;]*m/g, '');
  const line = (re: RegExp) => plain.split(/[\r\n]/).find((l) => re.test(l)) ?? '';
  const training = line(/^(training|resuming)/);
  const done = /done: step (\d+).*best val ([\d.]+) nats .* at step (\d+).*?([\d.,]+)(k?) chars\/s/.exec(line(/^done:/));
  const byPath = existsSync(a.corpus); // else a registry name, which eval finds as train did
  const ev = spawnSync(process.execPath, [BIN, 'eval', join(dir, 'best.json'), '--json', ...(byPath ? ['--corpus', a.corpus] : [])], { encoding: 'utf8' });
  if (ev.status !== 0) throw new Error(`charnn eval failed: ${ev.stderr}`);
  const e = JSON.parse(ev.stdout) as { nats: number; chars: number };
  // the run's metrics log (docs/runs.md): kept, and its figures preferred to the ones parsed from stderr
  mkdirSync(a.logs, { recursive: true });
  const kept = join(a.logs, `${recipe.replace(/[^\w.]+/g, '_') || 'defaults'}-seed${seed}-${a.minutes}m.jsonl`);
  copyFileSync(join(dir, 'metrics.jsonl'), kept);
  const steps = readLogLines(kept);
  const lastLine = steps[steps.length - 1];
  let best: Record<string, unknown> | undefined;
  for (const l of steps) if (typeof l.val === 'number' && (!best || l.val < (best.val as number))) best = l;
  const row: Row = {
    recipe,
    seed,
    minutes: a.minutes,
    wallMin,
    steps: lastLine ? (lastLine.step as number) : done ? Number(done[1]) : NaN,
    charsPerSec: done ? Number(done[4].replace(/,/g, "")) * (done[5] ? 1000 : 1) : NaN,
    bestStep: best ? (best.step as number) : done ? Number(done[3]) : NaN,
    bestValSubset: best ? (best.val as number) : done ? Number(done[2]) : NaN,
    log: kept,
    valNats: e.nats,
    valChars: e.chars,
    params: Number((/([\d,]+) parameters/.exec(training)?.[1] ?? 'NaN').replace(/,/g, '')),
    backend: /(\w+ backend \([^)]*\))/.exec(training)?.[1] ?? '?',
    load: { mean: loads.reduce((x, y) => x + y, 0) / loads.length, max: Math.max(...loads) },
    cpu: cpus()[0]?.model ?? '?',
    when: new Date().toISOString(),
  };
  if (!a.keep) rmSync(dir, { recursive: true, force: true });
  log(`  -> ${recipe || '(defaults)'} seed ${seed}: ${row.valNats.toFixed(4)} nats on the whole validation split, ${row.steps} steps`);
  return row;
}

export async function tuneCli(a: CliTuneArgs): Promise<void> {
  if (!existsSync(BIN) || !existsSync(here('../dist/index.js'))) throw new Error('build first: npm run build');
  for (const recipe of a.recipes) {
    for (const seed of a.seeds) appendFileSync(a.results, JSON.stringify(await trainOnce(a, recipe, seed)) + '\n');
  }
  const rows = readFileSync(a.results, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${r.minutes}\u0000${r.recipe}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
  const table = [...groups.values()].sort((x, y) => x[0].minutes - y[0].minutes || mean(x.map((r) => r.valNats)) - mean(y.map((r) => r.valNats)));
  const out = [
    '| recipe (flags beyond the defaults) | params | minutes | seeds | val nats per seed (whole split) | mean | steps | chars/s | backend | load avg mean (max) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...table.map((g) => {
      const v = g.map((r) => r.valNats);
      return (
        `| ${g[0].recipe ? '`' + g[0].recipe + '`' : '(defaults)'} | ${(g[0].params / 1000).toFixed(0)}k | ${g[0].minutes} | ${g.map((r) => r.seed).join(', ')} | ` +
        `${v.map((x) => x.toFixed(4)).join(', ')} | **${mean(v).toFixed(4)}** | ${Math.round(mean(g.map((r) => r.steps)))} | ${Math.round(mean(g.map((r) => r.charsPerSec)))} | ` +
        `${g[0].backend} | ${mean(g.map((r) => r.load.mean)).toFixed(1)} (${Math.max(...g.map((r) => r.load.max)).toFixed(1)}) |`
      );
    }),
  ];
  process.stdout.write(out.join('\n') + '\n');
}
