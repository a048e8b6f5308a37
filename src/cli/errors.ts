/**
 * How the CLI fails: one line on stderr, `charnn: what failed: why (hint)`, a non-zero exit code, and the stack
 * only with --verbose. Core code throws plain Errors (or CharnnErrors with a hint); the CLI adds "what failed".
 * CliError, EXIT and attempt live in src/run/errors.ts (training runs from the library throw them too).
 */
import { CharnnError } from '../errors.js';
import { CliError, EXIT } from '../run/errors.js';

export { attempt, attemptSync, CliError, EXIT } from '../run/errors.js';

/** The one line printed for an error (no trailing newline). */
export function formatError(e: unknown): string {
  if (e instanceof CharnnError) {
    const what = e.what ? `${e.what}: ` : '';
    const hint = e.hint ? ` (${e.hint})` : '';
    return `charnn: ${what}${oneLine(e.why)}${hint}`;
  }
  const msg = e instanceof Error ? e.message : String(e);
  return `charnn: internal error: ${oneLine(msg)} (run with --verbose for the stack trace, and please report it)`;
}

export function exitCodeOf(e: unknown): number {
  if (e instanceof CliError) return e.exitCode;
  return EXIT.FAILURE;
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();
