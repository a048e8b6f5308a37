/**
 * charnn's one error type and its one-line form, below every layer: the core throws CharnnErrors (what failed: why
 * (hint)), the commands add "what failed" with `attempt`, and the adapters only render them: the CLI as the line
 * `charnn: what: why (hint)` and an exit code, the server as a 4xx JSON body with the same line, the library as the
 * error's `message`. Imports nothing.
 */

/** The exit status the command line gives each outcome. */
export const EXIT = {
  OK: 0,
  /** the command could not do its job (bad input file, failed save, diverged training) */
  FAILURE: 1,
  /** the command line itself is wrong (unknown option, bad value) */
  USAGE: 2,
  /** stopped by Ctrl-C / SIGTERM (128 + SIGINT) */
  INTERRUPTED: 130,
} as const;

/**
 * A user-facing error: what failed, why, and a hint. `exitCode` says whose mistake it is: 2 for a wrong request
 * (an option, a combination of options), 1 for anything else that failed.
 */
export class CharnnError extends Error {
  override name = 'CharnnError';
  exitCode: number = EXIT.FAILURE;

  constructor(
    readonly why: string,
    readonly hint?: string,
    readonly what?: string,
  ) {
    super(what ? `${what}: ${why}` : why);
  }

  /** A wrong request: an option's value or a combination of options (exit code 2). */
  static usage(why: string, hint?: string, what = 'invalid usage'): CharnnError {
    const e = new CharnnError(why, hint, what);
    e.exitCode = EXIT.USAGE;
    return e;
  }

  /** The same error with a "what failed" context in front (keeps an existing one). */
  withWhat(what: string): CharnnError {
    if (this.what) return this;
    const Ctor = this.constructor as new (why: string, hint?: string, what?: string) => CharnnError;
    const e = new Ctor(this.why, this.hint, what);
    e.exitCode = this.exitCode;
    e.stack = this.stack;
    return e;
  }
}

/**
 * A kernel call that failed inside a backend (a WebAssembly trap, a worker that threw): a bug in the backend,
 * never in the caller's data. It names the call so the report can be acted on; the commands add the model shape
 * and the work-around (one thread).
 */
export class KernelError extends Error {
  override name = 'KernelError';
  constructor(
    /** backend name, e.g. 'wasm' */
    readonly backend: string,
    /** the kernel and where it failed, e.g. 'mmTN 65x2048x16, chunk 3 of 8' */
    readonly call: string,
    /** threads the backend splits calls over */
    readonly threads: number,
    /** what the runtime said, e.g. 'divide by zero' */
    readonly cause_: string,
  ) {
    super(`${backend} kernel ${call} failed on ${threads} thread${threads === 1 ? '' : 's'}: ${cause_}`);
  }
}

/** A backend failure rather than an error of the caller: a KernelError or a WebAssembly trap. */
export function isKernelFailure(e: unknown): e is Error {
  return e instanceof KernelError || (e instanceof Error && e.constructor.name === 'RuntimeError');
}

/**
 * A backend failure as the user sees it: the failed call, what ran (the model's shape), what was kept, and the
 * work-around. A bug of charnn's, not of the input, so it asks for a report.
 */
export function kernelFailure(e: Error, what: string, shape?: string, kept?: string): CharnnError {
  const why = shape ? `${e.message} (${shape})` : e.message;
  const err = new CharnnError(why, `${kept ? `${kept}; ` : ''}retry with --threads 1, and please report it`, what);
  err.stack = e.stack;
  return err;
}

/**
 * Run `fn`; any error it throws gets `what` as its "what failed" (unless it already has one). Plain Errors
 * (RangeError from the core, fs errors) become CharnnErrors whose why is their message; bugs (TypeError and the
 * like) and kernel failures keep their kind.
 */
export async function attempt<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw withContext(e, what);
  }
}

export function attemptSync<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw withContext(e, what);
  }
}

function withContext(e: unknown, what: string): unknown {
  if (e instanceof CharnnError) return e.withWhat(what);
  if (isKernelFailure(e)) return e; // a bug of charnn's: keeps its kind, so the report names the work-around
  if (e instanceof Error && !(e instanceof TypeError || e instanceof ReferenceError || e instanceof SyntaxError)) {
    const c = new CharnnError(e.message, undefined, what);
    c.stack = e.stack;
    return c;
  }
  return e;
}

/** The one line printed for an error (no trailing newline), `charnn: what failed: why (hint)`. */
export function formatError(e: unknown): string {
  if (isKernelFailure(e)) return formatError(kernelFailure(e, 'internal error'));
  if (e instanceof CharnnError) {
    const what = e.what ? `${e.what}: ` : '';
    const hint = e.hint ? ` (${e.hint})` : '';
    return `charnn: ${what}${oneLine(e.why)}${hint}`;
  }
  const msg = e instanceof Error ? e.message : String(e);
  return `charnn: internal error: ${oneLine(msg)} (run with --verbose for the stack trace, and please report it)`;
}

/** The exit status for an error: its own for a CharnnError, else 1. */
export function exitCodeOf(e: unknown): number {
  return e instanceof CharnnError ? e.exitCode : EXIT.FAILURE;
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();
