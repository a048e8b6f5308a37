/**
 * Terminal output on stderr: messages, colour and training progress. stdout never passes through here (it
 * carries data only: sampled text, the checkpoint path).
 *
 * Colour is decided once: off with --no-color or a non-empty NO_COLOR (chalk 5 ignores NO_COLOR by itself),
 * else whatever stderr supports (a TTY, FORCE_COLOR, TERM). Progress is a cli-progress bar when stderr is a
 * TTY, else one plain line every few seconds, so logs stay readable.
 */
import { Chalk, supportsColor, supportsColorStderr, type ChalkInstance } from 'chalk';
import cliProgress from 'cli-progress';
import { duration, human } from '../commands/format.js';
import type { Progress, ProgressFields, Task } from '../commands/io.js';

export type { Progress, Task } from '../commands/io.js';

export interface UiOptions {
  /** false: --no-color */
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  /** which stream's abilities decide the colour (default stderr, where messages go) */
  colorFor?: 'stdout' | 'stderr';
}

export class Ui {
  readonly c: ChalkInstance;
  readonly isTTY: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  private readonly err: NodeJS.WriteStream;
  private active: Progress | null = null;

  constructor(o: UiOptions = {}) {
    const env = o.env ?? process.env;
    this.err = o.stderr ?? process.stderr;
    this.isTTY = Boolean(this.err.isTTY);
    this.quiet = Boolean(o.quiet);
    this.verbose = Boolean(o.verbose);
    const noColor = o.color === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '');
    const support = o.colorFor === 'stdout' ? supportsColor : supportsColorStderr;
    this.c = new Chalk({ level: noColor ? 0 : support ? support.level : 0 });
  }

  private line(s: string): void {
    if (this.active && !this.quiet) this.active.log(s);
    else this.err.write(s + '\n');
  }

  /** Normal progress information (suppressed by --quiet). */
  info(msg: string): void {
    if (!this.quiet) this.line(msg);
  }

  /** Details shown with --verbose. */
  debug(msg: string): void {
    if (this.verbose) this.line(this.c.dim(msg));
  }

  /** A warning: shown even with --quiet. */
  warn(msg: string): void {
    this.line(`${this.c.yellow('charnn: warning:')} ${msg}`);
  }

  /** The error line (already formatted by errors.ts) and, with --verbose, the stack. */
  error(line: string, stack?: string): void {
    this.stopProgress();
    const [head, ...rest] = line.split(': ');
    this.err.write(`${this.c.red(head + ':')} ${rest.join(': ')}\n`);
    if (this.verbose && stack) this.err.write(this.c.dim(stack) + '\n');
  }

  /** A bar on a TTY, plain lines every `intervalSec` otherwise; nothing with --quiet. */
  progress(intervalSec = 5): Progress {
    this.stopProgress();
    const p: Progress = this.quiet ? quietProgress() : this.isTTY ? barProgress(this.err, this.c) : lineProgress(this.err, intervalSec);
    const stop = p.stop.bind(p);
    p.stop = () => {
      stop();
      if (this.active === p) this.active = null;
    };
    this.active = p;
    return p;
  }

  stopProgress(): void {
    this.active?.stop();
  }

  /**
   * Progress of one long piece of work (reading a corpus, a full evaluation): a bar with percentage and ETA
   * redrawn in place on a TTY, else a plain line every `intervalSec` (the first after as long, so quick work says
   * nothing). Drawn from inside update(), so it shows during synchronous work too. CHARNN_PROGRESS_SEC sets the
   * interval (tests use 0).
   */
  task(label: string, env: NodeJS.ProcessEnv = process.env): Task {
    if (this.quiet) return { update() {}, stop() {} };
    const sec = env.CHARNN_PROGRESS_SEC !== undefined && env.CHARNN_PROGRESS_SEC !== '' ? Number(env.CHARNN_PROGRESS_SEC) : this.isTTY ? 0.2 : 5;
    const err = this.err, tty = this.isTTY, c = this.c;
    const t0 = Date.now();
    let last = t0;
    let drawn = false;
    return {
      update(done, total, detail) {
        const now = Date.now();
        if (now - last < sec * 1000) return;
        last = now;
        const f = total > 0 ? Math.min(1, done / total) : 0;
        const eta = f > 0 ? ((now - t0) / 1000) * ((1 - f) / f) : undefined;
        const text = `${label}: ${Math.floor(f * 100)}%${detail ? ` (${detail})` : ''}${eta !== undefined ? `, ETA ${duration(eta)}` : ''}`;
        if (tty) {
          const width = 20, full = Math.round(f * width);
          err.write(`\r\x1b[K${c.cyan('\u2588'.repeat(full) + '\u2591'.repeat(width - full))} ${text}`);
          drawn = true;
        } else err.write(`charnn: ${text}\n`);
      },
      stop() {
        if (drawn) err.write('\r\x1b[K');
        drawn = false;
      },
    };
  }
}

const fmtLoss = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(4));

/** The progress fields as text; the bar shows the percentage itself. */
function describe(f: ProgressFields, withPercent = true): string {
  const parts = [`step ${f.step}`, `epoch ${f.epoch}`, `loss ${fmtLoss(f.loss)}`, `val ${fmtLoss(f.val)}`, `${human(f.cps)} chars/s`];
  if (withPercent && f.fraction !== undefined) parts.push(`${Math.floor(f.fraction * 100)}%`);
  if (f.etaSec !== undefined) parts.push(`ETA ${duration(f.etaSec)}`);
  if (f.note) parts.push(f.note);
  return parts.join(' | ');
}

/** --quiet: no progress and no log lines (warnings and errors bypass progress objects). */
function quietProgress(): Progress {
  return { update() {}, log() {}, stop() {} };
}

function lineProgress(err: NodeJS.WriteStream, intervalSec: number): Progress {
  let last = 0;
  return {
    update(f, final) {
      const now = Date.now();
      if (!final && now - last < intervalSec * 1000) return;
      last = now;
      err.write(describe(f) + '\n');
    },
    log: (l) => void err.write(l + '\n'),
    stop() {},
  };
}

function barProgress(err: NodeJS.WriteStream, c: ChalkInstance): Progress {
  const multi = new cliProgress.MultiBar(
    {
      stream: err,
      format: `${c.cyan('{bar}')} {percentage}% | {info}`,
      barsize: 20,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 5,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(1000, 0, { info: 'starting' });
  let stopped = false;
  return {
    update(f) {
      if (stopped) return;
      bar.update(Math.round((f.fraction ?? 0) * 1000), { info: describe(f, false) });
    },
    log(l) {
      if (stopped) err.write(l + '\n');
      else multi.log(l + '\n');
    },
    stop() {
      if (stopped) return;
      stopped = true;
      multi.update(); // flush log lines still buffered for the next redraw
      multi.stop();
    },
  };
}
