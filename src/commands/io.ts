/**
 * The io port of the application layer: everything a command says, writes and reads from outside the files it is
 * given, so a command touches no `process`, stdout or terminal. The CLI passes a terminal one (messages and progress
 * on stderr, data on stdout with backpressure, stdin, the current folder), the library and the server their own
 * (callbacks, a string, an HTTP response). Commands read and write files through `fs` themselves.
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

/** Emphasis in messages and reports (colour on a terminal; identity elsewhere). */
export interface Emphasis {
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
}

/** Where a command's data goes (stdout for the CLI). */
export interface TextSink {
  /** resolves true when the caller may go on, false once the reader has gone (a closed pipe): stop producing */
  write(text: string): Promise<boolean>;
  /** a terminal reads it (ANSI colours make sense, a sample gets a final line break) */
  readonly isTTY?: boolean;
}

export interface Io {
  /** progress information (what is trained, the summary) */
  info(message: string): void;
  warn(message: string): void;
  /** details (the CLI shows them with --verbose) */
  debug(message: string): void;
  /** the per-step progress, for the training loop */
  progress(): Progress;
  /** progress of one long piece of work (reading, encoding a large corpus, a long evaluation) */
  task(label: string): Task;
  c: Emphasis;
  /** the command's data output */
  out: TextSink;
  /** standard input's bytes, for '-' arguments */
  stdin(): Promise<Uint8Array>;
  /** standard input is a terminal (a command reading it says how to end it) */
  readonly stdinIsTTY?: boolean;
  /** where relative paths and ./checkpoints/ are found */
  readonly cwd: string;
  /** the environment's variables (corpus mirror and cache, native ISA) */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** download status and progress of a registry corpus (the CLI draws a bar) */
  corpusStatus?(message: string): void;
  corpusProgress?(bytes: number, total: number): void;
}

const identity = (s: string) => s;
const PLAIN: Emphasis = { green: identity, dim: identity, bold: identity, cyan: identity, magenta: identity };
const NO_PROGRESS: Progress = { update() {}, log() {}, stop() {} };

/** Progress of one long piece of work. */
export interface Task {
  /** `detail`: e.g. '12 of 100 MB' */
  update(done: number, total: number, detail?: string): void;
  /** done, or failed: release the terminal line */
  stop(): void;
}

export const NO_TASK: Task = { update() {}, stop() {} };

/** An Io that says nothing, collects what is written into `written`, and has no standard input: the base the
 *  library and the server build on (and tests). */
export function quietIo(o: { cwd: string; env?: Record<string, string | undefined>; stdin?: () => Promise<Uint8Array> }): Io & { written: string[] } {
  const written: string[] = [];
  return {
    info() {},
    warn() {},
    debug() {},
    progress: () => NO_PROGRESS,
    task: () => NO_TASK,
    c: PLAIN,
    out: { write: async (t) => (written.push(t), true) },
    stdin: o.stdin ?? (async () => new Uint8Array(0)),
    cwd: o.cwd,
    env: o.env ?? {},
    written,
  };
}

/** Why the loop should stop early: set by a signal handler or an AbortSignal; the loop checks it every step. */
export interface StopRequest {
  reason: string | null;
  /** set by the loop while it validates (a stop then leaves the validation pass, which records nothing) */
  evaluating?: boolean;
  /** set (by SIGUSR1 in the CLI) to save a checkpoint after the current step and go on training */
  saveNow?: boolean;
}
