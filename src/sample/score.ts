/**
 * Scoring text under a model (pure core: no I/O): the surprisal −log p(c | everything before it) of each
 * character, in nats, read off the same inference step the sampler draws from (model.step, state carried, no
 * dropout), with the log-softmax in float64.
 *
 * A text is scored given a context: the characters before it, read but not scored. `charnn score` scores a
 * whole text with its first character as the context (the predictions `eval` counts), and a line with a line
 * break as its context (as if it began a line, where the sampler starts too).
 *
 * Dimension legend: V vocabulary, L layers, S state slots, H hidden.
 */
import type { Vec } from '../math/kernels.js';
import type { StepModel } from './sampler.js';

/** −log softmax(logits)[target] of one row of V logits, in float64 (max-shifted: no overflow). */
export function surprisal(logits: ArrayLike<number>, V: number, target: number): number {
  let max = -Infinity;
  for (let v = 0; v < V; v++) if (logits[v] > max) max = logits[v];
  let total = 0;
  for (let v = 0; v < V; v++) total += Math.exp(logits[v] - max);
  return Math.log(total) + max - logits[target];
}

/** Scores texts one after another with one model; buffers allocated once. */
export class Scorer {
  private readonly state: Vec; // (L, S, 1, H)
  private readonly logits: Vec; // (1, V)
  private readonly ids: Int32Array; // (1) the input of the next step

  constructor(readonly model: StepModel) {
    this.state = model.newState(1);
    this.logits = model.kernels.alloc(model.config.vocabSize);
    this.ids = model.kernels.allocI32(1);
  }

  /**
   * Surprisals (nats) of each of `ids` given `context` (at least one id), from a zero state: out[i] =
   * −log p(ids[i] | context, ids[0..i)). `lineStart`: from the model's own start state where it has one (a
   * line-mode model's learned start, `startState`), as its lines begin.
   */
  surprisals(context: ArrayLike<number>, ids: ArrayLike<number>, lineStart = false): Float64Array {
    if (context.length < 1) throw new RangeError('scoring needs at least one context character to predict from');
    const { model, state, logits } = this;
    const V = model.config.vocabSize;
    state.fill(0);
    const starts = model as StepModel & { startState?(state: Vec, B: number): void };
    if (lineStart && typeof starts.startState === 'function') starts.startState(state, 1);
    for (let i = 0; i < context.length; i++) this.step(context[i]);
    const out = new Float64Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      out[i] = surprisal(logits, V, ids[i]);
      if (i + 1 < ids.length) this.step(ids[i]);
    }
    return out;
  }

  private step(id: number): void {
    this.ids[0] = id;
    this.model.step(this.logits, this.ids, 1, this.state);
  }
}
