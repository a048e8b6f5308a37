/**
 * Download one corpus over http(s) into the cache, verified. Uses node's http/https directly (not fetch) so
 * redirects, the idle timeout and a body cut short are all under our control and reported precisely.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { CorpusError } from './errors.js';
import { installVerified, StreamFailure, type Expected, type ProgressFn } from './verify.js';

export interface FetchOptions {
  /** Called as bytes arrive: (bytes so far, expected total). */
  onProgress?: ProgressFn;
  /** Give up when the connection is silent this long (connect, headers or body). Default 30 s. */
  timeoutMs?: number;
  /** Follow at most this many redirects. Default 5. */
  maxRedirects?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NETWORK_CODES: Record<string, string> = {
  ENOTFOUND: 'host not found (no network or DNS?)',
  EAI_AGAIN: 'DNS lookup failed (no network?)',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connection timed out',
};

function networkError(url: URL, err: unknown): CorpusError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why = (code && NETWORK_CODES[code]) ?? (err instanceof Error ? err.message : String(err));
  return new CorpusError('network', `cannot reach ${url.host}: ${why}${code ? ` (${code})` : ''}`);
}

/** One GET; resolves with the response (any status), rejects with a CorpusError on network failure/timeout. */
function get(url: URL, timeoutMs: number): Promise<{ res: IncomingMessage; timedOut: () => boolean }> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
    if (!mod) {
      reject(new CorpusError('network', `cannot download ${url.href}: only http and https URLs are supported`));
      return;
    }
    let timedOut = false;
    const req = mod.get(url, {
      headers: { 'user-agent': 'charnn', 'accept-encoding': 'identity' },
      timeout: timeoutMs,
    });
    // The socket timeout also covers a stalled body after the response started.
    req.on('timeout', () => {
      timedOut = true;
      req.destroy(new CorpusError('timeout', `no data from ${url.host} for ${timeoutMs / 1000} s (timed out)`));
    });
    req.on('error', (err) => reject(err instanceof CorpusError ? err : networkError(url, err)));
    req.on('response', (res) => resolve({ res, timedOut: () => timedOut }));
  });
}

/**
 * Downloads `url` to `dest` (atomically, verified by size and SHA-256). Throws CorpusError with code
 * 'http' | 'redirect' | 'network' | 'timeout' | 'size' | 'hash'; never leaves a file at `dest` on failure.
 */
export async function downloadVerified(
  url: string,
  dest: string,
  expect: Expected,
  opts: FetchOptions = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxRedirects = opts.maxRedirects ?? 5;
  let current = new URL(url);
  for (let hops = 0; ; hops++) {
    const { res, timedOut } = await get(current, timeoutMs);
    const status = res.statusCode ?? 0;
    if (REDIRECTS.has(status)) {
      res.resume();
      const loc = res.headers.location;
      if (!loc) throw new CorpusError('redirect', `HTTP ${status} from ${current.href} without a Location header`);
      if (hops >= maxRedirects)
        throw new CorpusError('redirect', `too many redirects (more than ${maxRedirects}) starting at ${url}`);
      current = new URL(loc, current);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new CorpusError('http', `HTTP ${status} ${res.statusMessage ?? ''}`.trimEnd() + ` from ${current.href}`);
    }
    const announced = Number(res.headers['content-length']);
    if (res.headers['content-length'] !== undefined && announced !== expect.bytes) {
      res.destroy();
      throw new CorpusError(
        'size',
        `${current.href} announces ${announced} bytes, expected ${expect.bytes}; not downloaded (wrong file?)`,
      );
    }
    try {
      await installVerified(res, dest, expect, current.href, opts.onProgress);
    } catch (err) {
      if (!(err instanceof StreamFailure)) throw err;
      if (timedOut())
        throw new CorpusError(
          'timeout',
          `no data from ${current.host} for ${timeoutMs / 1000} s after ${err.received} of ${expect.bytes} bytes (timed out)`,
        );
      throw new CorpusError(
        'size',
        `download from ${current.href} was cut short after ${err.received} of ${expect.bytes} bytes (${err.message})`,
      );
    }
    return;
  }
}
