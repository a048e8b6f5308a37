/**
 * The bundled model (checkpoints/pretrained/, rebuilt by `npm run pretrain`) through the real binary:
 * `charnn sample` in a folder without ./checkpoints/ falls back to it and prints Shakespeare-like text.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { isSamplingOnly } from '../src/checkpoint/sampling-only.js';
import { ROOT, runCli, tempDir } from './helpers/cli.js';

const BUNDLED = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');

describe('the bundled model', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => cleanup());

  it('is committed, small, and sampling-only', () => {
    expect(existsSync(BUNDLED)).toBe(true);
    expect(statSync(BUNDLED).size).toBeLessThan(4e6);
    const c = loadCheckpoint(BUNDLED);
    expect(isSamplingOnly(c)).toBe(true);
    expect(c.corpus?.source).toBe('tinyshakespeare');
    expect(c.vocab).toHaveLength(65);
    expect(c.progress.bestValLoss).toBeLessThan(1.7);
  });

  it('charnn sample --temp 0.5 with no ./checkpoints/ uses it and prints Shakespeare-like text', async () => {
    const r = await runCli(['sample', '--temp', '0.5', '--length', '800', '--seed', '7'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/the model bundled with charnn/);
    expect([...r.stdout]).toHaveLength(800);
    // a play: speaker lines such as "ROMEO:" or "First Citizen:"
    expect(r.stdout).toMatch(/^[A-Z][A-Za-z]+( [A-Za-z]+)*:$/m);
    // English words: most tokens are lower-case words, and the commonest ones appear
    const tokens = r.stdout.split(/[\s,.;:!?'-]+/).filter(Boolean);
    const wordy = tokens.filter((t) => /^[A-Za-z]+$/.test(t)).length;
    expect(wordy / tokens.length).toBeGreaterThan(0.9);
    const common = ['the', 'and', 'to', 'of', 'I', 'you', 'my', 'that', 'is', 'in', 'not', 'with', 'me', 'be', 'your', 'his', 'a', 'for'];
    expect(common.filter((w) => tokens.includes(w)).length).toBeGreaterThanOrEqual(6);
  });
});

