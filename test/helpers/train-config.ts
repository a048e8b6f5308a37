/**
 * A trainer configuration for tests and benches: the TRAIN table's defaults (src/options.ts, the one defaults
 * table), a constant learning rate (what `--lr-schedule auto` resolves to without a long time budget), then `o`.
 */
import { TRAIN } from '../../src/options.js';
import { TRAIN_CONFIG_KEYS, type Trainer, type TrainConfig, type TrainingDivergedError } from '../../src/train/trainer.js';

export function trainConfig(o: Partial<TrainConfig> = {}): TrainConfig {
  const c = {} as Record<string, unknown>;
  for (const key of TRAIN_CONFIG_KEYS) c[key] = TRAIN[key].default;
  return { ...(c as unknown as TrainConfig), lrSchedule: 'constant', ...o };
}

/**
 * Takes up to n steps of `trainer`, one `step()` each; with `total`, the cosine's budget fraction before each step
 * is steps / total (as the CLI's loop sets it under a step budget). Returns the guard's error if a step was
 * refused (the trainer then stops), else null.
 */
export function trainSteps(trainer: Trainer, n: number, total = 0): TrainingDivergedError | null {
  for (let i = 0; i < n; i++) {
    if (total) trainer.budgetDone = trainer.steps / total;
    const r = trainer.step();
    if (!r.ok) return r.error!;
  }
  return null;
}
