/**
 * A run's metrics log (issue 33): `<run folder>/metrics.jsonl`, or `--log FILE`; one JSON object per line, appended
 * as training goes, so `tail -f` shows it and other tools read it while the run trains. docs/runs.md documents it.
 *
 * - Each line is one `writeSync` of the whole line and its newline on a file opened for appending (O_APPEND): a
 *   crash (kill -9, a power cut) loses at most the line being written, and a reader skips a torn last line.
 * - A resumed run appends to the same file (never rewritten), first a `start` line at the step it resumed from: a
 *   reader drops the points after that step written before it (the steps a crash lost since the last save). A
 *   rollback writes a `rollback` line, read the same way. `--overwrite` of another run starts the file afresh.
 * - A file this run created is removed again if the run saves nothing (the run folder is removed then too).
 * - A log that cannot be opened ends the run before its first step, in one line; one that fails later (a full disk)
 *   is warned about once and given up, and training goes on: the checkpoints matter more than the log.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { CharnnError } from '../../errors.js';
import { displayPath } from '../../fs-probe.js';

/** One training step's line (figures rounded for a compact file; `val` only where validation was measured). */
export interface StepLine {
  step: number;
  epoch: number;
  /** seconds trained, resumed runs included */
  time: number;
  /** characters trained, resumed runs included */
  chars: number;
  /** characters per second of this process's run so far */
  cps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  val?: number;
  /** rollbacks and saves so far in this process */
  rollbacks: number;
  saves: number;
}

export class MetricsLog {
  private fd: number;
  private readonly created: boolean;

  /** Open `path` for appending (`fresh`: truncate it first: --overwrite of another run), its folder created if
   *  need be; `warn` hears of a write that fails later. */
  constructor(
    readonly path: string,
    fresh: boolean,
    private readonly warn: (message: string) => void = () => {},
  ) {
    this.created = fresh || !existsSync(path);
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.fd = openSync(path, fresh ? 'w' : 'a+');
      if (!fresh && endsTorn(this.fd)) writeSync(this.fd, '\n'); // a torn last line stays a line of its own
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'EEXIST' || code === 'ENOTDIR' ? `${displayPath(dirname(path))} is not a folder` : code ?? (e as Error).message;
      throw new CharnnError(`cannot write the metrics log ${displayPath(path)} (${why})`, 'give --log a file you can write, or leave it out', 'cannot train');
    }
  }

  /** The run's first line: where it starts (a resume: the step it resumed from) and its options. */
  start(step: number, time: number, chars: number, config: Record<string, unknown>): void {
    this.line({ event: 'start', step, time: round(time, 3), chars, at: new Date().toISOString(), config });
  }

  step(s: StepLine): void {
    const { step, epoch, chars, rollbacks, saves } = s;
    const line: Record<string, unknown> = { step, epoch, time: round(s.time, 3), chars, cps: Math.round(s.cps), loss: round(s.loss, 5), lr: s.lr, gradNorm: round(s.gradNorm, 4) };
    if (s.val !== undefined) line.val = round(s.val, 5);
    line.rollbacks = rollbacks;
    line.saves = saves;
    this.line(line);
  }

  /** A rollback to `to`: the points after it are undone. */
  rollback(step: number, to: number, why: string): void {
    this.line({ event: 'rollback', step: to, from: step, why });
  }

  /** Close; `discard`: remove the file if this run created it (the run saved nothing). Idempotent. */
  close(discard: boolean): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    if (discard && this.created) {
      try { unlinkSync(this.path); } catch { /* already gone */ }
    }
  }

  private line(o: Record<string, unknown>): void {
    if (this.fd < 0) return;
    try {
      writeSync(this.fd, JSON.stringify(o) + '\n');
    } catch (e) {
      try { closeSync(this.fd); } catch { /* gone already */ }
      this.fd = -1;
      this.warn(`the metrics log ${displayPath(this.path)} cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): no more lines go to it; training goes on`);
    }
  }
}

function round(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Whether the file is not empty and does not end with a newline. */
function endsTorn(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return false;
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, size - 1);
  return b[0] !== 10;
}
