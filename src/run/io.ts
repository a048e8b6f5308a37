/**
 * What a training run says while it runs, and to whom: the CLI passes its terminal Ui (messages and a progress
 * bar on stderr), the library a callback. The run never writes to a stream itself.
 */

export interface ProgressFields {
  step: number;
  /** 0..1 of the run's budget, or undefined when there is none to measure */
  fraction?: number;
  /** seconds left, when known */
  etaSec?: number;
  loss: number;
  /** latest validation loss */
  val?: number | null;
  /** training characters per second */
  cps: number;
  epoch: number;
  /** what the run is doing besides stepping, e.g. 'validating 40%, ETA 12s' */
  note?: string;
}

export interface Progress {
  /** `final`: shown now even between plain lines' intervals (the run's last figures) */
  update(f: ProgressFields, final?: boolean): void;
  /** a message line that does not tear the bar */
  log(line: string): void;
  stop(): void;
}

export interface RunIo {
  /** progress information (what is trained, the summary) */
  info(message: string): void;
  warn(message: string): void;
  /** the per-step progress, for the loop */
  progress(): Progress;
  /** emphasis in log lines (colour on a terminal; identity elsewhere) */
  c: { green(s: string): string; dim(s: string): string };
  /** progress of one long piece of work (reading, encoding a large corpus); absent: none shown */
  task?(label: string): Task;
  /** details (the CLI shows them with --verbose) */
  debug?(message: string): void;
}

/** Progress of one long piece of work. */
export interface Task {
  /** `detail`: e.g. '12 of 100 MB' */
  update(done: number, total: number, detail?: string): void;
  /** done, or failed: release the terminal line */
  stop(): void;
}

export const NO_TASK: Task = { update() {}, stop() {} };

/** 1115394 -> "1.1 MB" (decimal units). */
export function humanBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['kB', 'MB', 'GB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Why the loop should stop early: set by a signal handler or an AbortSignal; the loop checks it every step. */
export interface StopRequest {
  reason: string | null;
  /** set by the loop while it validates (a stop then leaves the validation pass, which records nothing) */
  evaluating?: boolean;
  /** set (by SIGUSR1 in the CLI) to save a checkpoint after the current step and go on training */
  saveNow?: boolean;
}
