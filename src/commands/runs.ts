/**
 * `runs`: the training runs in a folder (./checkpoints/ by default) as one table, as its phases: plan (the folder,
 * the sort), run (each run folder read: its checkpoint and lock, common/runs.ts), report (an aligned table with the
 * options that differ between the runs as extra columns, or one JSON array, on io.out).
 */
import { basename, resolve } from 'node:path';
import type { RUNS, Values } from '../options.js';
import { displayPath } from '../fs-probe.js';
import { formatError, safeText } from '../errors.js';
import { differingOptions, findRuns, flagOf, optionValue, readRun, type RunInfo } from './common/runs.js';
import { duration } from './format.js';
import type { Io } from './io.js';

type RunsValues = Values<typeof RUNS>;

/** One run as `--json` prints it. */
interface RunRow {
  name: string;
  folder: string;
  cell: string;
  layers: number;
  hidden: number;
  corpus: string | null;
  steps: number;
  /** seconds trained */
  time: number;
  bestVal: number | null;
  bestValStep: number | null;
  state: RunInfo['state'];
  /** when the checkpoint was written */
  saved: string;
  /** the options that differ between the runs listed */
  options: Record<string, unknown>;
}

export async function runs(values: RunsValues, folderArg: string | undefined, io: Io): Promise<RunRow[]> {
  // plan
  const folder = resolve(io.cwd, folderArg ?? 'checkpoints');
  const shown = folderArg ?? './checkpoints/';
  // run
  const list: RunInfo[] = [];
  for (const d of findRuns(folder, shown)) {
    try {
      list.push(readRun(d, io.cwd));
    } catch (e) {
      io.warn(`left out ${displayPath(d, io.cwd)}: ${formatError(e).replace(/^charnn: /, '')}`); // one unreadable run does not hide the others
    }
  }
  const differ = differingOptions(list.map((r) => r.checkpoint.config), false);
  const rows = list.map((r) => rowOf(r, differ, io.cwd));
  sortRows(rows, values.sort);
  // report
  if (values.json) {
    await io.out.write(JSON.stringify(rows) + '\n');
  } else if (!rows.length) {
    io.info(`no runs in ${shown} (train one: charnn train FILE)`);
  } else {
    await io.out.write(table(rows, differ).join('\n') + '\n');
  }
  return rows;
}

function rowOf(r: RunInfo, differ: readonly string[], cwd: string): RunRow {
  const c = r.checkpoint;
  const p = c.progress;
  const options: Record<string, unknown> = {};
  for (const k of differ) options[k] = c.config[k] ?? null;
  return {
    name: r.name,
    folder: displayPath(r.dir, cwd),
    cell: c.model.cell,
    layers: c.model.layers,
    hidden: c.model.hidden,
    corpus: c.corpus ? (c.corpus.source === '-' ? 'stdin' : safeText(basename(c.corpus.source))) : null,
    steps: p.step,
    time: Math.round(p.elapsedMs) / 1000,
    bestVal: p.bestValLoss,
    bestValStep: p.bestValStep,
    state: r.state,
    saved: c.created,
    options,
  };
}

/** name: by name; val: lowest best validation loss first (none last); steps, time: most first; saved: newest first. */
function sortRows(rows: RunRow[], by: RunsValues['sort']): void {
  const key: Record<RunsValues['sort'], (a: RunRow, b: RunRow) => number> = {
    name: (a, b) => a.name.localeCompare(b.name),
    val: (a, b) => (a.bestVal ?? Infinity) - (b.bestVal ?? Infinity) || a.name.localeCompare(b.name),
    steps: (a, b) => b.steps - a.steps || a.name.localeCompare(b.name),
    time: (a, b) => b.time - a.time || a.name.localeCompare(b.name),
    saved: (a, b) => b.saved.localeCompare(a.saved) || a.name.localeCompare(b.name),
  };
  rows.sort(key[by]);
}

function table(rows: readonly RunRow[], differ: readonly string[]): string[] {
  const head = ['run', 'model', 'corpus', 'steps', 'time', 'best val', 'state', ...differ.map(flagOf)];
  const cells = rows.map((r) => [
    r.name,
    `${r.cell} ${r.layers}x${r.hidden}`,
    r.corpus ?? '-',
    r.steps.toLocaleString('en-US'),
    duration(r.time),
    r.bestVal === null ? '-' : r.bestVal.toFixed(4),
    r.state,
    ...differ.map((k) => optionValue(r.options[k])),
  ]);
  const numeric = new Set([3, 4, 5]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: readonly string[]) => c.map((s, i) => (numeric.has(i) ? s.padStart(widths[i]) : s.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), ...cells.map(line)];
}
