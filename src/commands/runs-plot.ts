/**
 * `plot`: runs' loss curves overlaid, as its phases: plan (the runs read, common/runs.ts; each named in the legend
 * by the options that differ between them), run (each curve averaged into as many buckets of the x axis as the
 * chart has columns, in one pass: a run can have 130,000 points), report (a training and a validation chart in the
 * terminal with asciichart, an SVG file with -o, or the metrics logs as CSV with --csv).
 * (`info`'s single curve is plot.ts.)
 */
import asciichart from 'asciichart';
import { existsSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { CharnnError } from '../errors.js';
import { displayPath } from '../fs-probe.js';
import type { PLOT, Values } from '../options.js';
import { differingOptions, flagOf, logConfig, logCurve, optionValue, readCurve, readLogLines, readRun, type CurvePoint, type RunInfo } from './common/runs.js';
import { human } from './format.js';
import type { Io } from './io.js';

type PlotValues = Values<typeof PLOT>;
type Axis = PlotValues['x'];

interface Series {
  /** what differs (else the run's name) */
  label: string;
  name: string;
  points: CurvePoint[];
}

export async function plotRuns(values: PlotValues, args: readonly string[], io: Io, columns?: number): Promise<void> {
  // plan
  const list = args.map((a) => sourceOf(a, io.cwd));
  if (values.csv) {
    await io.out.write(csvOf(list, io));
    return;
  }
  const series = labelled(list);
  for (const s of series) if (!s.points.length) io.warn(`${s.name} has no loss curve yet`);
  const shown = series.filter((s) => s.points.length);
  if (!shown.length) throw new CharnnError('no run has a loss curve yet', 'train a few steps first', 'cannot plot');
  const x = values.x;
  const xMax = maxOf(shown.map((s) => xOf(s.points[s.points.length - 1], x)));
  // run and report
  const width = values.width || (columns ? Math.min(columns, 120) : 72);
  await io.out.write(terminalChart(shown, x, xMax, width, values.height, colours(io)) + '\n');
  if (values.output) {
    const file = resolve(io.cwd, values.output);
    writeFileSync(file, svgChart(shown, x, xMax));
    io.info(`wrote ${displayPath(file, io.cwd)}`);
  }
}

/** What is plotted of one argument: a run (folder or checkpoint), or a metrics log file alone (.jsonl: npm run
 *  tune's, or one a run wrote with --log). */
interface Source {
  name: string;
  logPath: string;
  config: Record<string, unknown>;
  curve(): CurvePoint[];
}

function sourceOf(arg: string, cwd: string): Source {
  const abs = resolve(cwd, arg);
  if (abs.endsWith('.jsonl')) {
    if (!existsSync(abs)) throw new CharnnError(`${displayPath(abs, cwd)} does not exist`, 'give a run folder, a checkpoint or a metrics log', 'cannot plot');
    return { name: basename(abs, '.jsonl'), logPath: abs, config: logConfig(abs), curve: () => logCurve(abs) };
  }
  const r: RunInfo = readRun(arg, cwd);
  return { name: r.name, logPath: r.logPath, config: r.checkpoint.config, curve: () => readCurve(r) };
}

/** Each run named by the options that differ between the runs ('--hidden 64, --dropout 0'), else by its name. */
function labelled(list: readonly Source[]): Series[] {
  const differ = differingOptions(list.map((s) => s.config), true);
  return list.map((s) => {
    const what = differ.map((k) => `${flagOf(k)} ${optionValue(s.config[k])}`).join(', ');
    return { label: what || s.name, name: s.name, points: s.curve() };
  });
}

const xOf = (p: CurvePoint, x: Axis): number => (x === 'step' ? p.step : x === 'time' ? p.time : p.chars);
const AXIS_NAME: Record<Axis, string> = { step: 'steps', time: 'seconds trained', chars: 'characters trained' };

function maxOf(xs: Iterable<number>): number {
  let m = -Infinity;
  for (const v of xs) if (v > m) m = v;
  return m;
}

/** The curve averaged into `n` buckets of [0, xMax]: training loss (the mean of the bucket's points) and validation
 *  (the last measured in the bucket); NaN where a bucket has none. One pass, no spreads. */
function buckets(points: readonly CurvePoint[], x: Axis, xMax: number, n: number): { train: Float64Array; val: Float64Array } {
  const sum = new Float64Array(n);
  const count = new Float64Array(n);
  const val = new Float64Array(n).fill(NaN);
  for (const p of points) {
    const i = Math.min(n - 1, Math.max(0, Math.floor((xOf(p, x) / (xMax || 1)) * n)));
    if (Number.isFinite(p.loss)) {
      sum[i] += p.loss;
      count[i]++;
    }
    if (p.val !== undefined && Number.isFinite(p.val)) val[i] = p.val;
  }
  const train = new Float64Array(n);
  for (let i = 0; i < n; i++) train[i] = count[i] ? sum[i] / count[i] : NaN;
  return { train, val };
}

/** Up to its last value, gaps filled: inside by straight lines, before the first value by holding it (asciichart
 *  draws every column); [] when there is no value. */
function filled(a: Float64Array): number[] {
  let last = -1;
  for (let i = 0; i < a.length; i++) if (!Number.isNaN(a[i])) last = i;
  if (last < 0) return [];
  const out: number[] = new Array<number>(last + 1);
  let prev = -1;
  for (let i = 0; i <= last; i++) {
    if (Number.isNaN(a[i])) continue;
    if (prev < 0) for (let j = 0; j < i; j++) out[j] = a[i];
    else for (let j = prev + 1; j < i; j++) out[j] = a[prev] + ((a[i] - a[prev]) * (j - prev)) / (i - prev);
    out[i] = a[i];
    prev = i;
  }
  return out;
}

/** Colour codes when the report is coloured, else undefined (the series are then told apart by their symbols). */
function colours(io: Io): string[] | undefined {
  if (io.c.bold('x') === 'x') return undefined;
  return [asciichart.blue, asciichart.red, asciichart.green, asciichart.magenta, asciichart.cyan, asciichart.yellow];
}
/** Without colour, series N is drawn with the Nth character (the first with asciichart's lines). */
const MARKS = ['', '*', 'o', '+', 'x', '#', '@'];

/** The training chart, the validation chart (runs that measured it), the x axis and the legend. */
function terminalChart(series: readonly Series[], x: Axis, xMax: number, width: number, height: number, colour: string[] | undefined): string {
  const n = Math.max(8, width - 13); // asciichart's labels take 11 columns and its axis 2
  const b = series.map((s) => buckets(s.points, x, xMax, n));
  const out: string[] = [];
  const draw = (title: string, ys: number[][]) => {
    out.push(title);
    out.push(overlay(ys, height, colour));
  };
  draw('training loss (nats per character)', b.map((v) => filled(v.train)));
  const vals = b.map((v) => filled(v.val));
  if (vals.some((v) => v.length)) draw('validation loss (held flat before a run\'s first measurement)', vals);
  const right = human(xMax);
  out.push(' '.repeat(AXIS) + '0' + right.padStart(n) + '  ' + AXIS_NAME[x]); // 0 under the axis, the end under the last column
  series.forEach((s, i) => {
    const mark = colour ? asciichart.colored('──', colour[i % colour.length]) : i === 0 ? '──' : MARKS[i % MARKS.length].repeat(2);
    out.push(`${mark} ${s.label}${s.label !== s.name ? ` (${s.name})` : ''}`);
  });
  return out.join('\n');
}

/** The column of asciichart's axis: its labels (our format: 11 characters), a space, the axis */
const AXIS = 12;

/** The series drawn one by one with the same scale and overlaid, so each keeps its colour or its character. */
function overlay(ys: number[][], height: number, colour: string[] | undefined): string {
  let lo = Infinity, hi = -Infinity;
  for (const y of ys) for (const v of y) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi - lo < 1e-9) hi = lo + 1e-3;
  const cfg = { min: lo, max: hi, height, format: (v: number) => v.toFixed(3).padStart(10) + ' ' };
  let grid: string[][] = [];
  let owner: number[][] = [];
  ys.forEach((y, i) => {
    if (!y.length) return;
    const mark = MARKS[i % MARKS.length];
    const symbols: asciichart.PlotConfig['symbols'] = !colour && mark ? [mark, '┤', mark, mark, mark, mark, mark, mark, mark, mark] : undefined;
    const rows = asciichart.plot(y, symbols ? { ...cfg, symbols } : cfg).split('\n').map((r) => [...r]);
    if (!grid.length) {
      grid = rows;
      owner = rows.map((r) => r.map(() => -1));
    }
    rows.forEach((r, ri) => {
      r.forEach((ch, ci) => {
        if (ci <= AXIS) return; // the labels and the axis: the first series'
        while (grid[ri].length <= ci) { grid[ri].push(' '); owner[ri].push(-1); }
        if (ch !== ' ') { grid[ri][ci] = ch; owner[ri][ci] = i; }
      });
    });
  });
  return grid.map((r, ri) => r.map((ch, ci) => (colour && ci > AXIS && owner[ri][ci] >= 0 ? asciichart.colored(ch, colour[owner[ri][ci] % colour.length]) : ch)).join('').trimEnd()).join('\n');
}

const SVG_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

/** A self-contained SVG: both curves of every run on one pair of axes (training solid, validation dashed with its
 *  measurements marked), the axes with round ticks, and the legend. */
function svgChart(series: readonly Series[], x: Axis, xMax: number): string {
  const W = 800, H = 460, L = 64, R = 20, T = 40, B = 60 + 18 * series.length;
  const pw = W - L - R, ph = H - T - 60;
  const n = 400;
  const b = series.map((s) => buckets(s.points, x, xMax, n));
  let lo = Infinity, hi = -Infinity;
  for (const v of b) for (const a of [v.train, v.val]) for (const y of a) if (!Number.isNaN(y)) { if (y < lo) lo = y; if (y > hi) hi = y; }
  if (hi - lo < 1e-9) hi = lo + 1e-3;
  const pad = (hi - lo) * 0.05;
  lo -= pad; hi += pad;
  const px = (i: number) => L + ((i + 0.5) / n) * pw;
  const py = (y: number) => T + (1 - (y - lo) / (hi - lo)) * ph;
  const f = (v: number) => v.toFixed(1);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + B - 60}" viewBox="0 0 ${W} ${H + B - 60}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">loss (nats per character) by ${AXIS_NAME[x]}</text>`);
  for (const t of ticks(lo, hi, 6)) {
    out.push(`<line x1="${L}" x2="${L + pw}" y1="${f(py(t))}" y2="${f(py(t))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${L - 6}" y="${f(py(t) + 4)}" text-anchor="end">${Number(t.toPrecision(6))}</text>`);
  }
  for (const t of ticks(0, xMax, 8)) {
    const xx = L + (t / (xMax || 1)) * pw;
    out.push(`<line x1="${f(xx)}" x2="${f(xx)}" y1="${T}" y2="${T + ph}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${f(xx)}" y="${T + ph + 16}" text-anchor="middle">${human(t)}</text>`);
  }
  out.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${L + pw / 2}" y="${T + ph + 36}" text-anchor="middle">${AXIS_NAME[x]}</text>`);
  b.forEach((v, i) => {
    const c = SVG_COLOURS[i % SVG_COLOURS.length];
    const line = (a: Float64Array) => { const pts: string[] = []; a.forEach((y, j) => { if (!Number.isNaN(y)) pts.push(`${f(px(j))},${f(py(y))}`); }); return pts; };
    const tp = line(v.train);
    if (tp.length) out.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" stroke-opacity="0.75" points="${tp.join(' ')}"/>`);
    const vp = line(v.val);
    if (vp.length) {
      out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" stroke-dasharray="6 4" points="${vp.join(' ')}"/>`);
      if (vp.length <= 80) for (const p of vp) { const [cx, cy] = p.split(','); out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${c}"/>`); }
    }
  });
  const ly = T + ph + 56;
  out.push(`<text x="${L}" y="${ly}" fill="#555">solid: training loss (each point the mean of 1/${n} of the axis); dashed with dots: validation loss</text>`);
  series.forEach((s, i) => {
    const c = SVG_COLOURS[i % SVG_COLOURS.length];
    const y = ly + 18 * (i + 1);
    out.push(`<line x1="${L}" x2="${L + 28}" y1="${y - 4}" y2="${y - 4}" stroke="${c}" stroke-width="3"/>`);
    out.push(`<text x="${L + 36}" y="${y}">${esc(s.label)}${s.label !== s.name ? ` <tspan fill="#777">(${esc(s.name)})</tspan>` : ''}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** About `count` round values (1, 2 or 5 times a power of ten apart) within [lo, hi]. */
function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.round(t / step) * step);
  return out;
}

const CSV_FIELDS = ['step', 'epoch', 'time', 'chars', 'cps', 'loss', 'lr', 'gradNorm', 'val', 'rollbacks', 'saves'];

/** Every run's metrics log as CSV rows (a run without one is warned about). */
function csvOf(list: readonly Source[], io: Io): string {
  const rows = [['run', ...CSV_FIELDS].join(',')];
  for (const r of list) {
    const lines = readLogLines(r.logPath);
    if (!lines.length) io.warn(`${r.name} has no metrics log (${displayPath(r.logPath, io.cwd)})`);
    const name = /[",\n]/.test(r.name) ? `"${r.name.replace(/"/g, '""')}"` : r.name;
    for (const o of lines) rows.push([name, ...CSV_FIELDS.map((k) => (typeof o[k] === 'number' ? String(o[k]) : ''))].join(','));
  }
  return rows.join('\n') + '\n';
}
