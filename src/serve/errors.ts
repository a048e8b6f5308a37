/**
 * An HTTP error: a status and charnn's one-line message. Every refused request gets one as a JSON body,
 * `{"error": "charnn: what: why (hint)", "status": 400}`, the same line the command line would print.
 */
import { CharnnError, formatError } from '../errors.js';

export class HttpError extends CharnnError {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    why: string,
    hint?: string,
    what = 'invalid request',
    /** extra response headers (Allow, Retry-After) */
    readonly headers: Record<string, string> = {},
  ) {
    super(why, hint, what);
  }

  /** A CharnnError from shared validation code, as a 4xx with its own words. */
  static from(e: unknown, status: number, what: string): HttpError | unknown {
    if (e instanceof HttpError) return e;
    if (e instanceof CharnnError) return new HttpError(status, e.why, e.hint, e.what ?? what);
    return e;
  }

  body(): string {
    return JSON.stringify({ error: formatError(this), status: this.status }) + '\n';
  }
}
