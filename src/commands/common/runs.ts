/**
 * What `charnn runs` and `charnn plot` share: a run folder found and read (its checkpoint, its lock, its metrics
 * log as train writes it: src/commands/train/metrics-log.ts), and the options that differ between runs.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadCheckpoint } from '../../checkpoint/io.js';
import { RunLock } from '../../checkpoint/run-lock.js';
import type { Checkpoint } from '../../checkpoint/schema.js';
import { CharnnError } from '../../errors.js';
import { displayPath } from '../../fs-probe.js';

/** One point of a run's curve, as the metrics log has it (`val` where validation was measured). */
export interface CurvePoint {
  step: number;
  /** seconds trained */
  time: number;
  /** characters trained */
  chars: number;
  loss: number;
  val?: number;
}

/** One run folder, read. */
export interface RunInfo {
  /** the folder's name */
  name: string;
  dir: string;
  /** latest.json, else best.json */
  checkpoint: Checkpoint;
  /** where its metrics log is (it may not exist: runs trained before the log) */
  logPath: string;
  state: 'running' | 'finished' | 'interrupted';
}

/** The metrics log's lines (every field, for the CSV) after the rules of its format: a `start` or `rollback` line at
 *  step S drops the step lines after S written before it; a torn line (a crash's last) is skipped. */
export function readLogLines(path: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return lines;
  }
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      continue; // a torn line
    }
    if (typeof o.step !== 'number') continue;
    if (o.event === 'start' || o.event === 'rollback') {
      while (lines.length && (lines[lines.length - 1].step as number) > o.step) lines.pop();
      continue;
    }
    // the same step twice (the final validation and save): the later line
    if (lines.length && lines[lines.length - 1].step === o.step) lines.pop();
    lines.push(o);
  }
  return lines;
}

/** A metrics log's curve. */
export function logCurve(path: string): CurvePoint[] {
  return readLogLines(path).map((o) => {
    const p: CurvePoint = { step: o.step as number, time: Number(o.time), chars: Number(o.chars), loss: Number(o.loss) };
    if (typeof o.val === 'number') p.val = o.val;
    return p;
  });
}

/** A run's curve: its metrics log, else (a run trained before the log) the checkpoint's loss history, with time and
 *  characters in proportion to the steps. */
export function readCurve(run: RunInfo): CurvePoint[] {
  const lines = logCurve(run.logPath);
  if (lines.length) return lines;
  const pr = run.checkpoint.progress;
  const per = pr.step > 0 ? 1 / pr.step : 0;
  return pr.lossHistory.map((h) => ({ step: h.step, time: (pr.elapsedMs / 1000) * h.step * per, chars: pr.chars * h.step * per, loss: h.train, ...(h.val !== undefined ? { val: h.val } : {}) }));
}

/** The run folders under `folder` (a run folder itself counts as one), by name. */
export function findRuns(folder: string, shown: string): string[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new CharnnError(`${shown} is not a folder`, 'give a folder of runs (default ./checkpoints/)', 'cannot list runs');
  }
  if (isRun(folder)) return [folder];
  return readdirSync(folder, { withFileTypes: true })
    .filter((d) => d.isDirectory() && isRun(join(folder, d.name)))
    .map((d) => join(folder, d.name))
    .sort();
}

const isRun = (dir: string) => existsSync(join(dir, 'latest.json')) || existsSync(join(dir, 'best.json'));

/** Read a run: `arg` a run folder or a checkpoint file in one. */
export function readRun(arg: string, cwd: string): RunInfo {
  const abs = resolve(cwd, arg);
  let dir = abs;
  let file: string;
  if (existsSync(abs) && statSync(abs).isFile()) {
    dir = dirname(abs);
    file = abs;
  } else {
    file = [join(abs, 'latest.json'), join(abs, 'best.json')].find((f) => existsSync(f)) ?? '';
    if (!file) throw new CharnnError(`${displayPath(abs, cwd)} holds no run (no latest.json or best.json)`, 'give a run folder or a checkpoint; charnn runs lists them', 'cannot read the run');
  }
  const checkpoint = loadCheckpoint(file, displayPath(file, cwd));
  const log = checkpoint.config.log;
  const logPath = typeof log === 'string' && log ? log : join(dir, 'metrics.jsonl');
  return { name: basename(dir), dir, checkpoint, logPath, state: stateOf(dir, checkpoint) };
}

/** running: a live process holds the folder's lock; finished: a stop target was reached; else interrupted. */
function stateOf(dir: string, c: Checkpoint): RunInfo['state'] {
  if (RunLock.isHeld(dir)) return 'running';
  const cfg = c.config as { untilStep?: unknown; untilEpoch?: unknown; untilMs?: unknown };
  const p = c.progress;
  const over = (target: unknown, at: number) => typeof target === 'number' && target > 0 && at >= target;
  return over(cfg.untilStep, p.step) || over(cfg.untilEpoch, p.epoch) || over(cfg.untilMs, p.elapsedMs) ? 'finished' : 'interrupted';
}

/** Options that say nothing about how a run trains (where it is written, how fast, the bookkeeping of resumes). */
const NOT_COMPARED = new Set(['out', 'name', 'log', 'resume', 'force', 'overwrite', 'divergences', 'untilStep', 'untilEpoch', 'untilMs', 'fromStep', 'fromEpoch', 'fromMs', 'threads', 'simd', 'backend']);
/** The model's shape, which `charnn runs` shows in a column of its own */
const MODEL = new Set(['cell', 'layers', 'hidden']);

/** The options (config keys) whose values are not the same in every run, in the config's order; `model`: the cell,
 *  layers and hidden size too. */
export function differingOptions(configs: readonly Record<string, unknown>[], model: boolean): string[] {
  if (configs.length < 2) return [];
  const keys: string[] = [];
  for (const c of configs) for (const k of Object.keys(c)) if (!keys.includes(k) && !NOT_COMPARED.has(k) && (model || !MODEL.has(k))) keys.push(k);
  return keys.filter((k) => new Set(configs.map((c) => JSON.stringify(c[k] ?? null))).size > 1);
}

/** The options a metrics log's last start line records ({} when it has none). */
export function logConfig(path: string): Record<string, unknown> {
  let config: Record<string, unknown> = {};
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    if (!raw.startsWith('{"event":"start"')) continue;
    try {
      const o = JSON.parse(raw) as { config?: Record<string, unknown> };
      if (o.config) config = o.config;
    } catch {
      /* a torn line */
    }
  }
  return config;
}

/** An option's value as a column or a legend shows it. */
export function optionValue(v: unknown): string {
  if (v === undefined || v === null || v === '') return '-';
  if (typeof v === 'number') return String(Number(v.toPrecision(6)));
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The flag of a config key: 'dropoutMode' -> '--dropout-mode'. */
export function flagOf(key: string): string {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}
