/**
 * Issue 20, items 9-12, through the real binary on the bundled model (vocabulary: tiny Shakespeare's 65
 * characters, no '\r', no accents): primes from stdin, with a BOM or CRLF line ends; the seed of a random sample;
 * what --skip-unknown dropped; a run folder as the checkpoint.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers/cli.js';

const BUNDLED = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');
const V1 = join(ROOT, 'test', 'fixtures', 'v1-lstm-1x8.json');

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());
const sample = (args: string[], input?: string) => runCli(['sample', BUNDLED, '--length', '80', '--seed', '11', ...args], { cwd: dir, input });

describe('item 9: the prime from a file, from stdin, with a BOM or CRLF', () => {
  it('--prime-file - reads the prime from standard input', async () => {
    const want = await sample(['--prime', 'ROMEO:\nThou']);
    expect(want.code, want.stderr).toBe(0);
    expect(want.stdout.startsWith('ROMEO:\nThou')).toBe(true);
    const r = await sample(['--prime-file', '-'], 'ROMEO:\nThou');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(want.stdout);
  });

  it('a BOM is dropped and CRLF becomes LF (the model has no \\r), from a file and from stdin', async () => {
    const want = await sample(['--prime', 'ROMEO:\nThou']);
    writeFileSync(join(dir, 'prime.txt'), '\uFEFFROMEO:\r\nThou');
    const f = await sample(['--prime-file', 'prime.txt']);
    expect(f.code, f.stderr).toBe(0);
    expect(f.stdout).toBe(want.stdout);
    const s = await sample(['--prime-file', '-'], '\uFEFFROMEO:\r\nThou');
    expect(s.stdout).toBe(want.stdout);
  });

  it('a missing prime file is one clear line', async () => {
    const r = await sample(['--prime-file', 'nope.txt']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('charnn: cannot read the prime file nope.txt: no such file\n');
  });
});

describe('item 10: the seed of a random sample', () => {
  const random = (args: string[]) => runCli(['sample', BUNDLED, '--length', '60', ...args], { cwd: dir });
  it('is printed on stderr, and --seed with it gives the same text again; --seed random is accepted', async () => {
    for (const args of [[], ['--seed', 'random']]) {
      const r = await random(args);
      expect(r.code, r.stderr).toBe(0);
      const m = /^seed (\d+) \(random; --seed \1 gives this text again\)$/m.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      const again = await random(['--seed', m![1]]);
      expect(again.stdout).toBe(r.stdout);
      expect(again.stderr).not.toMatch(/seed/); // a given seed is not repeated back
    }
  });
  it('is not printed at temperature 0 (no draws), nor before an error', async () => {
    const t0 = await random(['--temp', '0']);
    expect(t0.stderr).toBe('');
    const bad = await random(['--prime', 'é']);
    expect(bad.stderr).toMatch(/^charnn: cannot use the prime: .*\n$/);
  });
  it('-q hides it; a bad seed is still a usage error', async () => {
    const q = await random(['-q']);
    expect(q.code).toBe(0);
    expect(q.stderr).toBe('');
    const bad = await random(['--seed', 'sometimes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^charnn: invalid option: --seed "sometimes": not a number/);
  });
});

describe('item 11: --skip-unknown says what it dropped', () => {
  it('names each dropped character with its count on stderr, and samples from the rest', async () => {
    const want = await sample(['--prime', 'ROMEO:']);
    const r = await sample(['--prime', 'RéOMéEO€:', '--skip-unknown']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(want.stdout);
    expect(r.stderr).toBe('charnn: warning: --skip-unknown dropped 3 prime characters the model never saw: "é" (U+00E9) x2, "€" (U+20AC) x1\n');
    const q = await sample(['--prime', 'RéOMEO:', '--skip-unknown', '-q']);
    expect(q.stderr).toMatch(/^charnn: warning: --skip-unknown dropped 1 prime character the model never saw: "é" \(U\+00E9\) x1\n$/); // a warning: shown under -q too
  });
});

describe('item 12: a run folder as the checkpoint', () => {
  it("uses its best.json, else its latest.json, and says which; an empty folder is one clear line", async () => {
    const run = join(dir, 'checkpoints', 'run1');
    mkdirSync(run, { recursive: true });
    copyFileSync(BUNDLED, join(run, 'best.json'));
    copyFileSync(V1, join(run, 'latest.json'));
    const args = ['--length', '50', '--seed', '5', '--backend', 'js'];
    const best = await runCli(['sample', join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json'), ...args], { cwd: dir });
    const latest = await runCli(['sample', V1, ...args], { cwd: dir });
    expect(best.stdout).not.toBe(latest.stdout);

    const a = await runCli(['sample', 'checkpoints/run1', ...args], { cwd: dir });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toBe(`sampling from ${join('checkpoints', 'run1', 'best.json')} (the run's best.json: its lowest validation loss)\n`);
    expect(a.stdout).toBe(best.stdout);

    rmSync(join(run, 'best.json'));
    const b = await runCli(['sample', 'checkpoints/run1/', ...args], { cwd: dir });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/^sampling from checkpoints\/run1\/latest\.json \(the run's latest\.json: it has no best\.json\)\n$/);
    expect(b.stdout).toBe(latest.stdout);

    rmSync(join(run, 'latest.json'));
    const c = await runCli(['sample', 'checkpoints/run1', ...args], { cwd: dir });
    expect(c.code).toBe(1);
    expect(c.stderr).toBe('charnn: cannot load checkpoint checkpoints/run1: it is a folder without best.json or latest.json (pass a checkpoint .json, or a run folder written by charnn train)\n');
    rmSync(join(dir, 'checkpoints'), { recursive: true });
  });
});
