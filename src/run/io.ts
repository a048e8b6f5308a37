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
}

/** Why the loop should stop early: set by a signal handler or an AbortSignal; the loop checks it every step. */
export interface StopRequest {
  reason: string | null;
  /** set (by SIGUSR1 in the CLI) to save a checkpoint after the current step and go on training */
  saveNow?: boolean;
}
