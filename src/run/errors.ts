/**
 * Errors of a run with the exit status the CLI gives them: CliError is a CharnnError (what failed: why (hint)) plus
 * an exit code, 1 (the command failed) or 2 (usage). Library callers get the same errors and may ignore the code.
 * `attempt` adds "what failed" to anything thrown inside it.
 */
import { CharnnError } from '../errors.js';

export const EXIT = {
  OK: 0,
  /** the command could not do its job (bad input file, failed save, diverged training) */
  FAILURE: 1,
  /** the command line itself is wrong (unknown option, bad value) */
  USAGE: 2,
  /** stopped by Ctrl-C / SIGTERM (128 + SIGINT) */
  INTERRUPTED: 130,
} as const;

/** A CharnnError carrying the exit code. */
export class CliError extends CharnnError {
  override name = 'CliError';
  exitCode: number = EXIT.FAILURE;

  static usage(why: string, hint?: string, what = 'invalid usage'): CliError {
    const e = new CliError(why, hint, what);
    e.exitCode = EXIT.USAGE;
    return e;
  }
}

/**
 * Run `fn`; any error it throws gets `what` as its "what failed" (unless it already has one).
 * Plain Errors (RangeError from the core, fs errors) become CharnnErrors whose why is their message.
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
  if (e instanceof Error && isUserFacing(e)) {
    const c = new CharnnError(e.message, undefined, what);
    c.stack = e.stack;
    return c;
  }
  return e;
}

/** Errors thrown on purpose with a message for the user (validation) rather than bugs. */
function isUserFacing(e: Error): boolean {
  if (e instanceof TypeError || e instanceof ReferenceError || e instanceof SyntaxError) return false;
  return true;
}
