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
    return safeLine(`charnn: ${what}${oneLine(e.why)}${hint}`);
  }
  const msg = e instanceof Error ? e.message : String(e);
  return safeLine(`charnn: internal error: ${oneLine(msg)} (run with --verbose for the stack trace, and please report it)`);
}

/** The backstop for every error line: whatever a message let through is escaped and the line cut (safeText). */
const safeLine = (line: string) => safeText(line, MAX_LINE);

/** The exit status for an error: its own for a CharnnError, else 1. */
export function exitCodeOf(e: unknown): number {
  return e instanceof CharnnError ? e.exitCode : EXIT.FAILURE;
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

/** The longest line formatError prints: a value from a file is cut well before this, this is the backstop. */
const MAX_LINE = 2000;

/**
 * Characters a terminal may act on, escaped wherever text from a file or a request is shown: C0 controls (ESC, BEL,
 * CR, ...), DEL, C1 controls (U+009B is a one-character CSI), the line and paragraph separators, the bidirectional
 * overrides and isolates that reorder what is shown, the BOM, and lone surrogates.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const escapeChar = (c: string) => {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
};

/**
 * Text from a file or a request made safe to show: control and terminal-dangerous characters escaped (\u001b), and
 * cut to `max` characters with an ellipsis saying how much was left out. Never splits a surrogate pair.
 */
export function safeText(s: string, max = 80): string {
  let cut = s;
  let more = '';
  if (s.length > max) {
    let end = max;
    if (/[\ud800-\udbff]/.test(s[end - 1] ?? '')) end--;
    cut = s.slice(0, end);
    more = `… (${s.length} characters)`;
  }
  return cut.replace(UNSAFE, escapeChar) + more;
}

/**
 * Any value from a file or a request as an error line or a report shows it: a string quoted (as JSON would) and
 * made safe by safeText; numbers, booleans and null as JSON writes them; an array or object by its kind and size,
 * never its whole content.
 */
export function quote(v: unknown, max = 60): string {
  if (typeof v === 'string') return `"${safeText(v, max).replace(/"/g, '\\"')}"`;
  if (typeof v === 'number') return String(v);
  if (v === null || typeof v === 'boolean') return String(v);
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return safeText(String(v), max);
}
