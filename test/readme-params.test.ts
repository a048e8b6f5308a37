/**
 * The parameter counts of docs/training.md ("How big a model?") against what the real binary prints when training starts,
 * on a corpus with tiny Shakespeare's 65 characters (the count depends only on the vocabulary size). The run is
 * stopped once the count is printed, so nothing is trained or written.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { ROOT, tempDir } from './helpers/cli.js';
import { startCharnn } from './helpers/reliability.js';

const doc = readFileSync(join(ROOT, 'docs', 'training.md'), 'utf8');
const section = doc.slice(doc.indexOf('## How big a model?'), doc.indexOf('\n## ', doc.indexOf('## How big a model?') + 5));
const claims = [...section.matchAll(/a (\d+)x(\d+) (LSTM|GRU)(?:\s+has)?\s+([\d.]+) (k|M)\b/g)].map((m) => ({
  layers: Number(m[1]),
  hidden: Number(m[2]),
  cell: m[3].toLowerCase(),
  shown: `${m[4]} ${m[5]}`,
}));

describe("docs/training.md's parameter counts", () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
    const vocab = loadCheckpoint(join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json')).vocab;
    expect(vocab).toHaveLength(65);
    writeFileSync(join(dir, 'v65.txt'), vocab.join('').repeat(40));
  });
  afterAll(() => cleanup());

  it('names the four models', () => {
    expect(claims.map((c) => `${c.layers}x${c.hidden} ${c.cell}`)).toEqual(['2x128 lstm', '2x128 gru', '2x256 lstm', '3x512 lstm']);
  });

  it('are what charnn train prints, rounded as shown', async () => {
    for (const c of claims) {
      const run = startCharnn(['train', 'v65.txt', '--cell', c.cell, '--layers', String(c.layers), '--hidden', String(c.hidden), '--steps', '1000', '--val-frac', '0', '--out', 'run'], { cwd: dir });
      await run.waitForStderr(/[\d,]+ parameters/);
      run.kill('SIGKILL');
      await run.done;
      const count = Number(/([\d,]+) parameters/.exec(run.stderr)![1].replace(/,/g, ''));
      const rounded = count >= 1e6 ? `${(count / 1e6).toFixed(1)} M` : `${Math.round(count / 1e3)} k`;
      expect(rounded, `${c.layers}x${c.hidden} ${c.cell}: charnn prints ${count}`).toBe(c.shown);
    }
  }, 60_000);
});
