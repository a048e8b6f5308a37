/**
 * The charnn <-> PyTorch equivalence check: from one checkpoint, N steps in charnn and N steps in the PyTorch
 * companion (CPU, no dropout) must end at the same validation loss (within 1e-3 nats over 200 steps).
 * With the dropout variants on (VARIANTS: variational dropout and weight drop) the companion draws charnn's masks
 * from charnn's RNG in charnn's order, so the two runs take the same steps: the same loss, and the same RNG state
 * at the end (as many draws, in the same order).
 * `npm run torch:check [-- --steps 200 --corpus FILE]` prints one JSON line per cell and exits 1 on a miss;
 * test/torch-companion.test.ts runs the same functions. Needs /usr/bin/python3 with torch (Debian python3-torch),
 * or CHARNN_PYTHON naming another interpreter, and a built dist/.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'charnn.js');
export const COMPANION = join(ROOT, 'torch', 'charnn_torch.py');
export const PYTHON = process.env.CHARNN_PYTHON || '/usr/bin/python3';
/** The allowed gap between the two validation losses after 200 steps (nats per character). */
export const TOLERANCE = 1e-3;

/** Whether PYTHON imports torch; `why` says what failed when not (the skip reason). */
export function torchStatus(): { ok: boolean; why: string; version?: string } {
  if (!existsSync(PYTHON)) return { ok: false, why: `${PYTHON} does not exist (apt-get install -y python3-torch)` };
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    const last = (r.stderr || r.error?.message || '').trim().split('\n').pop() || `exit status ${r.status}`;
    return { ok: false, why: `${PYTHON} cannot import torch and numpy: ${last} (apt-get install -y python3-torch)` };
  }
  return { ok: true, why: '', version: r.stdout.trim() };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (stdout and stderr collected); rejects after timeoutMs. */
export function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 300_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', OMP_NUM_THREADS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** charnn (the built CLI); throws with its stderr when it fails. */
export async function charnn(args: string[], cwd: string): Promise<Run> {
  const r = await run(process.execPath, [BIN, ...args], cwd);
  if (r.code !== 0) throw new Error(`charnn ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** The companion; throws with its stderr when it fails. */
export async function companion(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const r = await run(PYTHON, [COMPANION, ...args], cwd, env);
  if (r.code !== 0) throw new Error(`charnn_torch ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** The last validation loss on a checkpoint's loss curve (full precision). */
export function lastVal(path: string): number {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { progress: { lossHistory: { val?: number }[] } };
  const vals = doc.progress.lossHistory.filter((p) => p.val !== undefined);
  if (!vals.length) throw new Error(`${path} has no validation point`);
  return vals[vals.length - 1].val!;
}

/** A corpus for the checks: the first 200,000 characters of tiny Shakespeare when ../shared has it. */
export function checkCorpus(dir: string, given?: string): string {
  const path = join(dir, 'corpus.txt');
  const shared = join(ROOT, '..', 'shared', 'corpora', 'tinyshakespeare.txt');
  const src = given ?? (existsSync(shared) ? shared : null);
  if (!src) throw new Error('no corpus: give --corpus FILE (tiny Shakespeare is looked for in ../shared/corpora)');
  writeFileSync(path, [...readFileSync(src, 'utf8')].slice(0, 200_000).join(''));
  return path;
}

/** The model and layout of the checks: small enough for seconds per side on one core. */
// --val-full: the companion validates on the whole split, as charnn does with it (charnn's default reads a fixed subset)
export const CHECK_MODEL = ['--layers', '2', '--hidden', '64', '--batch', '16', '--seq', '32', '--dropout', '0', '--threads', '1', '--val-full'];

/** The dropout variants' case: both on, at rates that drop plenty. */
export const VARIANTS = ['--dropout', '0.2', '--dropout-mode', 'variational', '--weight-drop', '0.3'];

/** The cases checked: each cell, and the options that change the maths (cell first, then its options). */
export const CASES: readonly string[][] = [['lstm'], ['gru'], ['rnn'], ['gru', '--layer-norm'], ['lstm', '--layer-norm'], ['gru', '--embed', '16'], ['lstm', '--embed', '16']];

export interface Equivalence {
  cell: string;
  /** model options beyond CHECK_MODEL (e.g. --embed 16), empty for the plain cells */
  extra: string[];
  steps: number;
  charnn: number;
  torch: number;
  diff: number;
  /** the training RNG ended in the same state on both sides */
  sameRng: boolean;
  variants?: boolean;
}

/** The AdamW case: decoupled weight decay on the weight matrices, strong enough that 200 steps with it end well
 *  away (more than the tolerance) from 200 steps without it. */
export const ADAMW_CASE = ['--optimizer', 'adamw', '--weight-decay', '0.5'];

/**
 * One charnn step makes the common start (weights, Adam moments, carry, position); then `steps` more on each side,
 * validation measured at the end of each run by its own trainer. `extra`: options of the run (the resumed runs on
 * both sides take them from the checkpoint), e.g. ADAMW_CASE; `label` names the case (default: the cell).
 */
export async function equivalence(cell: string, steps: number, dir: string, corpus: string, extra: string[] = [], label = [cell, ...extra].join(' ')): Promise<Equivalence> {
  const base = join(dir, label.replace(/[^a-z0-9]+/g, '-'));
  await charnn(['train', corpus, '--cell', cell, ...CHECK_MODEL, ...extra, '--steps', '1', '--quiet', '--out', join(base, 'start')], dir);
  cpSync(join(base, 'start'), join(base, 'charnn'), { recursive: true });
  cpSync(join(base, 'start'), join(base, 'torch'), { recursive: true });
  await charnn(['train', corpus, '--resume', join(base, 'charnn', 'latest.json'), '--steps', String(steps), '--eval-every', '0', '--threads', '1', '--quiet'], dir);
  await companion(['train', '--resume', join(base, 'torch', 'latest.json'), '--steps', String(steps), '--eval-every', '0', '--threads', '1', '--device', 'cpu', '--quiet'], dir);
  const a = lastVal(join(base, 'charnn', 'latest.json'));
  const b = lastVal(join(base, 'torch', 'latest.json'));
  const rng = (side: string) => JSON.stringify((JSON.parse(readFileSync(join(base, side, 'latest.json'), 'utf8')) as { rng: unknown }).rng);
  return { cell: label, extra, steps, charnn: a, torch: b, diff: Math.abs(a - b), sameRng: rng('charnn') === rng('torch'), ...(extra.some((f) => f === '--dropout-mode' || f === '--weight-drop') ? { variants: true } : {}) };
}

async function main(argv: string[]): Promise<number> {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const steps = Number(opt('--steps') ?? 200);
  const t = torchStatus();
  if (!t.ok) {
    process.stderr.write(`torch:check: ${t.why}\n`);
    return 1;
  }
  const dir = mkdtempSync(join(tmpdir(), 'charnn-torch-check-'));
  try {
    const corpus = checkCorpus(dir, opt('--corpus'));
    let worst = 0;
    const cases: Array<[string, string[], string?]> = [
      ...CASES.map(([cell, ...extra]) => [cell, extra] as [string, string[]]),
      ...['lstm', 'gru', 'rnn'].map((c) => [c, VARIANTS] as [string, string[]]),
      ['gru', ADAMW_CASE, 'gru-adamw'],
    ];
    for (const [cell, extra, label] of cases) {
      const e = await equivalence(cell, steps, dir, corpus, extra, label);
      worst = Math.max(worst, e.diff, e.variants && !e.sameRng ? Infinity : 0);
      process.stdout.write(JSON.stringify({ ...e, torchVersion: t.version }) + '\n');
    }
    process.stderr.write(`torch:check: largest gap ${worst.toExponential(2)} nats (tolerance ${TOLERANCE})\n`);
    return worst <= TOLERANCE ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
