/**
 * No stale file names in the code: every file a comment or string in src/, test/, bench/, scripts/ or torch/ names
 * (`src/commands/train/plan.ts`, `plan.ts`, `docs/speed.md`) exists. A path is looked up from the repository root,
 * from ../shared, from src/ and from the naming file's folder and those above it; a bare file name must be some
 * file's name in the repository (names of other projects' files and of files the tests write are listed apart).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', '.git', 'checkpoints', 'corpora', 'prebuilds']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) ? [] : files(join(dir, e.name));
    return [join(dir, e.name)];
  });
}

const all = files(ROOT);
const names = new Set(all.map((f) => f.split(sep).pop()!));
const scanned = all.filter((f) => /^(src|test|bench|scripts|torch)\//.test(relative(ROOT, f).split(sep).join('/')) && /\.(ts|mts|mjs|py)$/.test(f));
/** Names that are not this repository's files: other projects', generated ones, examples of user files. */
const FOREIGN = /^(x\.ts|example\.mjs|defaults\.ts|adamw?\.py|rmsprop\.py|sgd\.py|train\.py|model\.py|makemore\.py|kernels\.js|index\.js|main\.js|charnn\.js|corpus\.txt|lines\.txt|names\.txt|text\.txt|\w+\.safetensors|\w+\.onnx|package\.json|tsconfig\.json|binding\.gyp)$/;

describe('file names in the code', () => {
  it('every file named in src/, test/, bench/, scripts/ and torch/ exists', () => {
    const missing: string[] = [];
    for (const f of scanned) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/(?<![\w@$.-])((?:[\w-]+\/)*[\w-]+\.(?:ts|md|py|mjs|cc|inc))(?![\w(-])/g)) {
        const name = m[1];
        if (FOREIGN.test(name.split('/').pop()!)) continue;
        if (!name.includes('/')) {
          if (!names.has(name) && !names.has(name.replace(/\.js$/, '.ts'))) missing.push(`${relative(ROOT, f)}: ${name}`);
          continue;
        }
        // from the root, ../shared, src/, or the naming file's folder and those above it
        const bases = [ROOT, join(ROOT, '..'), join(ROOT, 'src')];
        for (let d = dirname(f); d.startsWith(ROOT); d = dirname(d)) bases.push(d);
        const found = bases.some((base) => existsSync(join(base, name)));
        if (!found && !/^(node_modules|dist)\//.test(name)) missing.push(`${relative(ROOT, f)}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
