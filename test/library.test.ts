/**
 * The library's front door (loadModel) gives the text `charnn sample` prints for the same options, and the library
 * example (README.md and docs/library.md show the same one), run as a user would run it (an ES module importing
 * 'charnn' from node_modules), prints exactly what the `charnn sample` commands in its comments print.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, SAMPLE_DEFAULTS } from '../src/index.js';
import { SAMPLE } from '../src/cli/options.js';
import { cleanEnv, requireBuild, ROOT, runCli, tempDir } from './helpers/cli.js';

const BUNDLED = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

/** Split a command line as a shell would for these simple cases (double quotes, no escapes). */
const words = (cmd: string) => [...cmd.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);

describe('loadModel', () => {
  it("uses the CLI's defaults table", () => {
    expect(SAMPLE.temp.default).toBe(SAMPLE_DEFAULTS.temp);
    expect(SAMPLE.topK.default).toBe(SAMPLE_DEFAULTS.topK);
    expect(SAMPLE.topP.default).toBe(SAMPLE_DEFAULTS.topP);
    expect(SAMPLE.length.default).toBe(SAMPLE_DEFAULTS.length);
  });

  it('sample() and stream() give the text of charnn sample, defaults included', async () => {
    const m = await loadModel(BUNDLED);
    try {
      const cases: Array<[Parameters<typeof m.sample>[0], string[]]> = [
        [{ seed: 3 }, ['--seed', '3']],
        [{ prime: 'JULIET:\n', temp: 1.2, topP: 0.9, length: 150, seed: 9 }, ['--prime', 'JULIET:\n', '--temp', '1.2', '--top-p', '0.9', '--length', '150', '--seed', '9']],
        [{ prime: '\uFEFFKING:\r\n', topK: 5, temp: 0, length: 90, seed: 1 }, ['--prime', '\uFEFFKING:\r\n', '--top-k', '5', '--temp', '0', '--length', '90', '--seed', '1']],
      ];
      for (const [opts, args] of cases) {
        const cli = await runCli(['sample', BUNDLED, ...args], { cwd: dir });
        expect(cli.code, cli.stderr).toBe(0);
        const text = m.sample(opts);
        expect(text).toBe(cli.stdout);
        expect(m.lastSeed).toBe(opts!.seed);
        let streamed = '';
        for await (const chunk of m.stream(opts)) streamed += chunk;
        expect(streamed).toBe(cli.stdout);
      }
      expect([...m.sample({ seed: 3 })]).toHaveLength(SAMPLE_DEFAULTS.length);
    } finally {
      m.close();
    }
  });

  it('a run folder, a random seed, no end, dropped characters, and errors', async () => {
    const run = join(dir, 'checkpoints', 'r');
    mkdirSync(run, { recursive: true });
    copyFileSync(BUNDLED, join(run, 'latest.json'));
    const m = await loadModel('checkpoints/r', { cwd: dir, backend: 'js' });
    try {
      expect(m.path).toBe(join(run, 'latest.json'));
      const a = m.sample({ length: 40 });
      const seed = m.lastSeed!;
      expect(m.sample({ length: 40, seed })).toBe(a);
      let n = 0;
      for await (const chunk of m.stream({ length: 0, seed: 2 })) if ((n += [...chunk].length) > 5000) break;
      expect(n).toBeGreaterThan(5000);
      const dropped: Array<[string, number]> = [];
      expect(m.sample({ prime: 'RéOMEé', skipUnknown: true, length: 20, seed: 1, onDropped: (d) => dropped.push(...d) })).toBe(m.sample({ prime: 'ROME', length: 20, seed: 1 }));
      expect(dropped).toEqual([['é', 2]]);
      expect(() => m.sample({ prime: 'é' })).toThrow(/the prime has 1 character the model never saw: "é" \(U\+00E9\)/);
      expect(() => m.sample({ prime: 'ROMEO', length: 3 })).toThrow(/the prime has 5 characters, more than length 3/);
      expect(() => m.sample({ length: 0 })).toThrow(/sample\(\) needs a finite length/);
    } finally {
      m.close();
    }
    // nothing given: the newest run under ./checkpoints/, as charnn sample
    const d = await loadModel(undefined, { cwd: dir, backend: 'js' });
    expect(d.path).toBe(join(run, 'latest.json'));
    d.close();
  });
});

describe("the README's library example", () => {
  it('runs as a user runs it and prints what its charnn sample commands print', async () => {
    requireBuild();
    const block = (file: string) => {
      const m = /<!-- library-example -->\n```js\n([\s\S]*?)```\n<!-- \/library-example -->/.exec(readFileSync(join(ROOT, file), 'utf8'));
      expect(m, `${file} has a library-example block`).not.toBeNull();
      return m![1];
    };
    const code = block('README.md');
    expect(block(join('docs', 'library.md')), 'docs/library.md shows the same example').toBe(code);
    // a user's project: charnn installed in node_modules, no ./checkpoints/ (so the bundled model)
    const proj = join(dir, 'project');
    mkdirSync(join(proj, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, join(proj, 'node_modules', 'charnn'), 'dir');
    writeFileSync(join(proj, 'example.mjs'), code);
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res, rej) => {
      const child = spawn(process.execPath, ['example.mjs'], { cwd: proj, env: cleanEnv() });
      let stdout = '', stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      child.on('error', rej);
      child.on('close', (c) => res({ code: c, stdout, stderr }));
    });
    expect(out.code, out.stderr).toBe(0);
    // the commands its comments name, in order; console.log adds a line break after the first
    const commands = [...code.matchAll(/\/\/ .*: charnn (sample .*)$/gm)].map((x) => words(x[1]));
    expect(commands).toHaveLength(2);
    const cli = [];
    for (const args of commands) {
      const r = await runCli(args, { cwd: proj });
      expect(r.code, r.stderr).toBe(0);
      cli.push(r.stdout);
    }
    expect(out.stdout).toBe(cli[0] + '\n' + cli[1]);
    expect(out.stdout.startsWith('ROMEO:')).toBe(true);
  }, 60_000);
});
