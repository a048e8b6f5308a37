/** The running charnn's version, read once from the package's own package.json (src/ and dist/ both sit one
 *  level below it). Checkpoints record it so a newer file can tell an older charnn which version it needs. */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const VERSION: string = readVersion();
