/**
 * Learning-rate schedules: pure functions of the 0-based step about to be taken (no state, so a resumed run
 * gets the same rates).
 *   constant: lr
 *   step:     lr · factor^floor(step / every)
 *   cosine:   min + (lr − min) · (1 + cos(π · p)) / 2,  p = (step − warmup) / (total − warmup) clamped to [0, 1]
 * Any schedule may start with a linear warm-up: lr · (step + 1) / warmup for step < warmup.
 *
 * A cosine over a budget that is not counted in steps (a time or epoch budget: `charnn train --time 30m`) has no
 * `total`: its p is the caller's fraction of the budget done (`progress`), so the rate reaches `min` when the time
 * runs out, whatever the machine's speed. That follows the clock, so two such runs differ in their rates.
 */

export type ScheduleKind = 'constant' | 'step' | 'cosine';
export const SCHEDULE_KINDS: readonly ScheduleKind[] = ['constant', 'step', 'cosine'];

export interface ScheduleOptions {
  kind: ScheduleKind;
  /** linear warm-up steps (default 0) */
  warmup?: number;
  /** step: multiply by `factor` every `every` steps */
  every?: number;
  /** step: decay factor in (0, 1] (default 0.5) */
  factor?: number;
  /** cosine: total steps of the run (the rate reaches `min` there); 0 or absent with `byProgress` */
  total?: number;
  /** cosine: follow the `progress` argument (the fraction of the run's budget done) instead of steps */
  byProgress?: boolean;
  /** cosine: final learning rate (default 0) */
  min?: number;
}

/** Checks a schedule; throws a RangeError naming the bad field. */
export function validateSchedule(s: ScheduleOptions): void {
  if (!SCHEDULE_KINDS.includes(s.kind)) throw new RangeError(`schedule must be one of ${SCHEDULE_KINDS.join(', ')}, got ${s.kind}`);
  const nonNegInt = (v: number | undefined, what: string) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new RangeError(`${what} must be an integer >= 0, got ${v}`);
  };
  nonNegInt(s.warmup, 'warm-up steps');
  if (s.kind === 'step') {
    if (!(Number.isInteger(s.every) && s.every! >= 1)) throw new RangeError(`step schedule needs every >= 1 steps, got ${s.every}`);
    const f = s.factor ?? 0.5;
    if (!(f > 0 && f <= 1)) throw new RangeError(`step schedule factor must be in (0, 1], got ${f}`);
  }
  if (s.kind === 'cosine') {
    if (!s.byProgress && !(Number.isInteger(s.total) && s.total! >= 1)) throw new RangeError(`cosine schedule needs the total steps (>= 1), got ${s.total}`);
    if (s.min !== undefined && !(s.min >= 0)) throw new RangeError(`cosine minimum learning rate must be >= 0, got ${s.min}`);
  }
}

/** Learning rate for the 0-based `step`, given the base rate `lr`; `progress` in [0, 1] is the fraction of the
 *  budget done, read only by a cosine `byProgress`. */
export function learningRate(lr: number, s: ScheduleOptions, step: number, progress = 0): number {
  const warmup = s.warmup ?? 0;
  if (step < warmup) return (lr * (step + 1)) / warmup;
  switch (s.kind) {
    case 'constant':
      return lr;
    case 'step':
      return lr * Math.pow(s.factor ?? 0.5, Math.floor(step / s.every!));
    case 'cosine': {
      const min = s.min ?? 0;
      const span = s.byProgress ? 0 : s.total! - warmup;
      const p = s.byProgress ? Math.min(1, Math.max(0, progress)) : span > 0 ? Math.min(1, Math.max(0, (step - warmup) / span)) : 1;
      return min + ((lr - min) * (1 + Math.cos(Math.PI * p))) / 2;
    }
  }
}
