/**
 * Importing the library loads no backend: no native addon is opened and no wasm module compiled until a model is
 * loaded or a training run starts (the options table names the default backend without loading it).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireBuild, ROOT } from './helpers/cli.js';

/** Node code that counts addons opened and wasm modules compiled, imports the library, then maybe loads a model. */
const probe = (after: string) => `
let addons = 0, wasm = 0;
const dlopen = process.dlopen;
process.dlopen = (...a) => (addons++, dlopen.apply(process, a));
for (const k of ['compile', 'instantiate']) { const f = WebAssembly[k]; WebAssembly[k] = (...a) => (wasm++, f.apply(WebAssembly, a)); }
const lib = await import(${JSON.stringify(join(ROOT, 'dist', 'index.js'))});
${after}
console.log(JSON.stringify({ addons, wasm }));
`;

function run(after: string): { addons: number; wasm: number } {
  requireBuild();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe(after)], { encoding: 'utf8', cwd: ROOT });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('import charnn', () => {
  it('opens no addon and compiles no wasm', () => {
    expect(run('')).toEqual({ addons: 0, wasm: 0 });
  });

  it('the probe sees a backend once one is asked for', () => {
    const r = run(`const m = await lib.loadModel(undefined, { backend: 'wasm', threads: 1 }); m.close();`);
    expect(r.wasm).toBeGreaterThan(0);
  });
});
