/**
 * A user-facing error: what failed, why, and a hint. The CLI prints it as one line,
 * `charnn: what: why (hint)`; library callers get the same text from `message`.
 */
export class CharnnError extends Error {
  override name = 'CharnnError';
  constructor(
    readonly why: string,
    readonly hint?: string,
    readonly what?: string,
  ) {
    super(what ? `${what}: ${why}` : why);
  }

  /** The same error with a "what failed" context in front (keeps an existing one). */
  withWhat(what: string): CharnnError {
    if (this.what) return this;
    const Ctor = this.constructor as new (why: string, hint?: string, what?: string) => CharnnError;
    const e = new Ctor(this.why, this.hint, what);
    e.stack = this.stack;
    return e;
  }
}
