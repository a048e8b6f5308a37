/**
 * Failures of stdout and stderr themselves. Without a listener, a write error on them (a closed pipe:
 * `charnn train x | true`; a full disk: `charnn info x > /dev/full`) is thrown as an uncaught 'error' event with a
 * stack trace. Here a closed pipe ends quietly (the reader wanted nothing more) and any other stdout failure is
 * one line and exit 1. Commands that stream (sample) add their own listener and report errors themselves.
 */
import { CharnnError, EXIT } from '../errors.js';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EBADF: 'stdout is closed',
};

/** One phrase for a failed write to stdout, the same for every command: "no space left on device (ENOSPC)". */
function stdoutFailure(e: NodeJS.ErrnoException): string {
  return REASONS[e.code ?? ''] ? `${REASONS[e.code!]} (${e.code})` : e.message;
}

export function guardStdio(): void {
  let reported = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    if (process.stdout.listenerCount('error') > 1 || reported) return; // a command handles it
    reported = true;
    try {
      process.stderr.write(`charnn: cannot write to stdout: ${stdoutFailure(e)}\n`);
    } catch {
      /* stderr is gone too */
    }
    process.exitCode = EXIT.FAILURE;
  });
  // nothing useful can be done when stderr itself fails; do not crash over it
  process.stderr.on('error', () => {});
}

/**
 * stdout with backpressure and a quiet end on a closed pipe. `write` resolves true when the caller may go on,
 * false once the reader has gone (EPIPE): generation should stop.
 */
export class StdoutStream {
  readonly isTTY: boolean;

  private closed = false;
  private failure: NodeJS.ErrnoException | null = null;

  constructor(private readonly s: NodeJS.WriteStream) {
    this.isTTY = Boolean(s.isTTY);
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') this.closed = true;
      else this.failure = e;
    });
  }

  async write(text: string): Promise<boolean> {
    if (this.closed) return false;
    this.throwIfFailed();
    const ok = this.s.write(text);
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.s.off('drain', done);
          this.s.off('error', done);
          this.s.off('close', done);
          resolve();
        };
        this.s.on('drain', done);
        this.s.on('error', done);
        this.s.on('close', done);
      });
    } else {
      // give a pending EPIPE a chance to arrive before making more text
      await new Promise((r) => setImmediate(r));
    }
    this.throwIfFailed();
    return !this.closed;
  }

  private throwIfFailed(): void {
    if (this.failure) throw new CharnnError(stdoutFailure(this.failure), undefined, 'cannot write to stdout');
  }
}
