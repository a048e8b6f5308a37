/**
 * The metrics log's writer (src/commands/train/metrics-log.ts) and reader (src/commands/common/runs.ts): a resume or
 * a rollback undoes the later steps written before it, a torn last line is skipped and kept apart by the next
 * writer, the last of two lines of a step wins; and charnn plot draws a 130,000-step log (no argument spreads).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MetricsLog } from '../src/commands/train/metrics-log.js';
import { logConfig, readLogLines } from '../src/commands/common/runs.js';
import { runCli, tempDir } from './helpers/cli.js';

const { dir, cleanup } = tempDir();
afterAll(() => cleanup());

const step = (n: number, extra: Record<string, number> = {}) => ({ step: n, epoch: n / 10, time: n / 2, chars: n * 64, cps: 128, loss: 3 - n / 100, lr: 0.002, gradNorm: 0.5, rollbacks: 0, saves: 0, ...extra });

describe('the metrics log', () => {
  it('reads as one curve across a resume, a rollback and a torn line', () => {
    const path = join(dir, 'm.jsonl');
    const a = new MetricsLog(path, false);
    a.start(0, 0, 0, { hidden: 16 });
    for (let n = 1; n <= 12; n++) a.step(step(n));
    a.rollback(11, 8, 'the loss exploded');
    for (let n = 9; n <= 10; n++) a.step(step(n));
    a.step(step(10, { val: 2.5 })); // the final validation: a second line of step 10
    a.close(false);
    writeFileSync(path, readFileSync(path, 'utf8') + '{"step":11,"ep'); // a crash mid-line

    const b = new MetricsLog(path, false); // a resume from the save at step 9
    b.start(9, 4.5, 576, { hidden: 16, lr: 0.001 });
    b.step(step(10));
    b.close(false);
    expect(readFileSync(path, 'utf8')).toContain('{"step":11,"ep\n{"event":"start","step":9');

    expect(readLogLines(path).map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(logConfig(path)).toEqual({ hidden: 16, lr: 0.001 });
    const before = new MetricsLog(join(dir, 'n.jsonl'), false);
    before.step(step(1));
    before.step(step(2));
    before.step(step(2, { val: 2.9 }));
    before.close(false);
    expect(readLogLines(join(dir, 'n.jsonl')).map((l) => [l.step, l.val])).toEqual([[1, undefined], [2, 2.9]]);
  });

  it('a log this run created is removed when it saves nothing; one it appended to stays', () => {
    const path = join(dir, 'gone.jsonl');
    const a = new MetricsLog(path, false);
    a.step(step(1));
    a.close(true);
    expect(() => readFileSync(path)).toThrow();
    writeFileSync(path, JSON.stringify(step(1)) + '\n');
    const b = new MetricsLog(path, false);
    b.close(true);
    expect(readLogLines(path)).toHaveLength(1);
  });

  it('charnn plot draws a 130,000-step log, and --csv gives every step', async () => {
    const lines = [JSON.stringify({ event: 'start', step: 0, time: 0, chars: 0, config: { hidden: 64 } })];
    for (let n = 1; n <= 130_000; n++) lines.push(JSON.stringify({ step: n, time: n / 100, chars: n * 2048, loss: 1.5 + 1 / Math.sqrt(n), ...(n % 1000 === 0 ? { val: 1.6 + 1 / Math.sqrt(n) } : {}) }));
    writeFileSync(join(dir, 'big.jsonl'), lines.join('\n') + '\n');
    const r = await runCli(['plot', 'big.jsonl', '--width', '80', '--x', 'chars', '-o', 'big.svg'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\s+0\s+266\.2M\s+characters trained$/m);
    expect(r.stdout).toContain('── big');
    expect(r.stdout.split('\n').every((l) => l.length <= 80 + 40)).toBe(true);
    const svg = readFileSync(join(dir, 'big.svg'), 'utf8');
    expect(svg.length).toBeLessThan(100_000); // 400 points a curve, not 130,000
    const c = await runCli(['plot', 'big.jsonl', '--csv'], { cwd: dir, timeoutMs: 60_000 });
    expect(c.stdout.trimEnd().split('\n')).toHaveLength(130_001);
  }, 90_000);
});
