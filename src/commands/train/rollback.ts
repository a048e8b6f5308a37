/**
 * Divergence recovery (`--on-diverge rollback`): when the trainer's guard refuses a step (a NaN or exploding loss,
 * a NaN gradient: train/trainer.ts), the run goes back to a saved state with the learning rate cut, at most
 * --diverge-retries times; then it stops (as `--on-diverge stop` does at once).
 *
 * What it keeps: the last few saved states in memory (the weights and the trainer's whole state: position, carry,
 * optimizer, RNG, history), and this run's start, newest last. Which one it goes back to: the newest; diverging
 * again before the next save means that state was already damaged (its next forward explodes whatever the rate),
 * so the one before it is tried next. The cut: the trainer's base rate and floor (the schedule's) times
 * --diverge-factor, and the same in the effective configuration, so a resume continues at the cut rate. The
 * record: each divergence (where, why, back to which step, the rate before and after), in the effective
 * configuration's `divergences`, after those of the run it resumed.
 */
import type { CharRNN } from '../../model/char-rnn.js';
import type { StepResult, Trainer, TrainerState } from '../../train/trainer.js';

/** One rollback: where the run diverged and why, where it went back to, the learning rate before and after. */
export interface Divergence {
  step: number;
  why: string;
  rolledBackTo: number;
  lrFrom: number;
  lrTo: number;
}

/** Saved states kept in memory for rollbacks (each about 3 copies of the parameters with Adam). */
const KEEP_GOOD = 4;

/** What a rollback restores: the weights, the trainer's whole state, and the characters trained by then. */
interface Snapshot {
  params: Float32Array | Float64Array;
  state: TrainerState;
  chars: number;
}

export interface RollbackOptions {
  onDiverge: string; // 'rollback' | 'stop'
  divergeRetries: number;
  divergeFactor: number;
}

export class Rollback {
  private readonly goods: Snapshot[];
  /** diverged since the last save */
  private rolledBack = false;
  /** rollbacks taken in this run */
  private taken = 0;
  private readonly divergences: Divergence[];

  /** `chars`: the characters trained at the run's start; `earlier`: the divergences of the run resumed;
   *  `effective`: the configuration the checkpoint stores (it receives the divergences, and its lr and lrMin are
   *  cut with the trainer's). */
  constructor(
    private readonly model: CharRNN,
    private readonly trainer: Trainer,
    private readonly o: RollbackOptions,
    private readonly effective: Record<string, unknown>,
    chars: number,
    earlier: readonly Divergence[] = [],
  ) {
    this.goods = [this.snapshot(chars)];
    this.divergences = earlier.slice();
  }

  /** A checkpoint was written: its state becomes the newest to go back to (with --on-diverge stop: no copies). */
  saved(chars: number): void {
    this.rolledBack = false;
    if (this.o.onDiverge !== 'rollback') return;
    this.goods.push(this.snapshot(chars));
    if (this.goods.length > KEEP_GOOD) this.goods.splice(1, 1); // the run's start always stays
  }

  /** Whether a refused step can be rolled back (--on-diverge rollback, retries left). */
  get canRollBack(): boolean {
    return this.o.onDiverge === 'rollback' && this.taken < this.o.divergeRetries;
  }

  /**
   * Goes back from the refused step `r`: restores the weights and the trainer's state, cuts the learning rate and
   * records the divergence. Returns the record and the characters trained at the state restored.
   */
  rollBack(r: StepResult): { divergence: Divergence; chars: number } {
    this.taken++;
    const from = this.trainer.config.lr; // the base rate (the schedule's), which the cut scales
    if (this.rolledBack && this.goods.length > 1) this.goods.pop();
    this.rolledBack = true;
    const good = this.goods[this.goods.length - 1];
    this.model.params.set(good.params);
    this.trainer.importState(good.state);
    this.trainer.scaleLearningRate(this.o.divergeFactor);
    const divergence: Divergence = { step: r.step + 1, why: reason(r), rolledBackTo: good.state.step, lrFrom: from, lrTo: this.trainer.config.lr };
    this.divergences.push(divergence);
    const e = this.effective;
    e.divergences = this.divergences;
    e.lr = (e.lr as number) * this.o.divergeFactor; // a resume continues at the cut rate
    e.lrMin = (e.lrMin as number) * this.o.divergeFactor;
    return { divergence, chars: good.chars };
  }

  /** The log line of a rollback. */
  describe(d: Divergence): string {
    return (
      `diverged at step ${d.step}: ${d.why}; rolled back to step ${d.rolledBackTo}, learning rate ${fmtLr(d.lrFrom)} -> ${fmtLr(d.lrTo)} ` +
      `(rollback ${this.taken} of ${this.o.divergeRetries}; --on-diverge stop to stop instead)`
    );
  }

  /** What the run's failure message adds: the rollbacks that did not help (empty if none). */
  get tried(): string {
    return this.taken ? `; ${this.taken} rollback${this.taken > 1 ? 's' : ''} did not help` : '';
  }

  private snapshot(chars: number): Snapshot {
    return { params: this.model.params.slice(), state: this.trainer.exportState(), chars };
  }
}

/** The guard's reason without its step prefix and its advice: "the loss is NaN". */
function reason(r: StepResult): string {
  return r.error!.message.replace(/^training stopped at step \d+: /, '').replace(/ \(.*\)$/, '');
}

const fmtLr = (x: number) => Number(x.toPrecision(4)).toString();
