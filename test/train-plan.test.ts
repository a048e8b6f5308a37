/**
 * The plan phase of `charnn train` (src/commands/train/plan.ts): budgets and the schedule that follows them.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { runCli, tempDir } from './helpers/cli.js';
import { TRAIN } from '../src/options.js';
import { planFraction, planRun, type TrainValues } from '../src/commands/train/plan.js';

const defaults = Object.fromEntries(Object.entries(TRAIN).map(([k, spec]) => [k, spec.default])) as unknown as TrainValues;
const plan = (given: Partial<TrainValues>) => planRun({ ...defaults, ...given }, new Set(Object.keys(given) as Array<keyof TrainValues>));

describe('training plan: schedule and budget', () => {
  it('auto (the default): a cosine over a time budget of 10 minutes or more, else a constant rate; cosine needs a budget', () => {
    expect(TRAIN.lrSchedule.default).toBe('auto');
    expect(plan({ time: 0 }).o.lrSchedule).toBe('constant'); // until Ctrl-C
    expect(plan({}).o.lrSchedule).toBe('constant'); // the 5-minute default
    expect(plan({ time: 599 }).o.lrSchedule).toBe('constant');
    expect(plan({ time: 600 }).o.lrSchedule).toBe('cosine');
    expect(plan({ time: 1800 }).o.lrSchedule).toBe('cosine');
    expect(plan({ steps: 100000 }).o.lrSchedule).toBe('constant');
    expect(() => plan({ time: 0, lrSchedule: 'cosine' })).toThrow(/cosine schedule needs a budget/);
    expect(plan({ time: 60, lrSchedule: 'cosine' }).o.lrSchedule).toBe('cosine');
    expect(plan({ steps: 10, lrSchedule: 'cosine' }).o.lrSchedule).toBe('cosine');
  });

  it('a fresh plan starts at zero; its fraction is the budget closest to its end', () => {
    const { targets } = plan({ time: 600, steps: 1000 });
    expect(targets).toMatchObject({ untilMs: 600_000, untilStep: 1000, fromStep: 0, fromMs: 0 });
    expect(planFraction(targets, 100, 0, 300_000)).toBeCloseTo(0.5, 12); // time is further along than steps
    expect(planFraction(targets, 900, 0, 300_000)).toBeCloseTo(0.9, 12);
    expect(planFraction(targets, 2000, 0, 0)).toBe(1);
  });
});

describe('training plan: a resumed run continues its plan', () => {
  const { dir, cleanup } = tempDir({ 'c.txt': 'the quick brown fox jumps over the lazy dog\n'.repeat(200) });
  afterAll(() => cleanup());

  it('resumed without a budget, the cosine keeps decaying from where the plan began; given one, it starts anew', async () => {
    let sent = false;
    const r = await runCli(['train', 'c.txt', '--hidden', '8', '--batch', '4', '--seq', '16', '--backend', 'js', '--lr-schedule', 'cosine', '--time', '60s', '--eval-every', '0', '--out', 'r'], {
      cwd: dir,
      onSpawn: (child) => {
        child.stderr!.on('data', (d: Buffer) => {
          if (!sent && /step \d+/.test(d.toString())) {
            sent = true;
            setTimeout(() => child.kill('SIGINT'), 300); // Ctrl-C part-way through the plan
          }
        });
      },
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/cosine to 0 over the budget/);
    const ck = loadCheckpoint(join(dir, 'r', 'latest.json'));
    expect(ck.config).toMatchObject({ lrSchedule: 'cosine', untilMs: 60000, fromMs: 0, fromStep: 0 });
    const resume = join(dir, 'r', 'latest.json');
    const again = plan({ resume });
    expect(again.targets).toMatchObject({ untilMs: 60000, fromMs: 0, fromStep: 0 });
    expect(again.start.step).toBe(ck.progress.step); // the run goes on from the checkpoint, the decay from the plan's start
    expect(again.o.lrSchedule).toBe('cosine');
    const more = plan({ resume, time: 5 });
    expect(more.targets).toMatchObject({ untilMs: ck.progress.elapsedMs + 5000, fromMs: ck.progress.elapsedMs, fromStep: ck.progress.step });
  });
});
