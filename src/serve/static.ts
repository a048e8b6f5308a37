/**
 * The playground page: plain files under the package's web/ folder (no build step, no CDN), read once at start
 * and served from memory. Only the files listed here are served, so no request can reach another file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../corpus/registry.js';

export interface Asset {
  type: string;
  body: Buffer;
}

const FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/chart.js': ['chart.js', 'text/javascript; charset=utf-8'],
  '/sse.js': ['sse.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
  '/favicon.svg': ['favicon.svg', 'image/svg+xml'],
};

/** URL path -> asset, from `dir` (default: the package's web/). */
export function loadAssets(dir = join(packageRoot(), 'web')): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const [url, [file, type]] of Object.entries(FILES)) out.set(url, { type, body: readFileSync(join(dir, file)) });
  out.set('/index.html', out.get('/')!);
  return out;
}

/** The page may load only its own files and talk only to its own server. */
export const PAGE_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
