/**
 * Sampling from a line-mode model (pure core: no I/O): N independent lines drawn in parallel as one batch.
 *
 *   state (L, S, N, H) = the start state -> feed the end token (the start token of every line) -> feed the prime
 *   -> loop: logits (N, V) -> per row: a draw (temperature, top-k, top-p: the Sampler's) -> feed the N draws back
 *
 * A row is done when it draws the end token, or when its text reaches `maxLength` characters (prime included);
 * done rows keep being fed (a batch step costs the same) but are not read. Each line's log-probability is the
 * model's own (softmax of the raw logits, temperature 1) of its text and end token given the start: a score a
 * script can rank lines by, whatever temperature drew them.
 *
 * Dimension legend: N lines per batch, V vocabulary, L layers, S state slots, H hidden.
 */
import type { Vec } from '../math/kernels.js';
import type { Vocab } from '../data/vocab.js';
import { CharnnError } from '../errors.js';
import { Sampler, type SampleOptions, type StepModel } from './sampler.js';

/** A model that can start lines (CharRNN). */
export interface LineModel extends StepModel {
  startState(state: Vec, B: number): void;
}

export interface LineSample {
  /** the line, prime included, without the end token */
  text: string;
  /** natural log of the model's probability of text (and of the end token when `ended`) */
  logProb: number;
  /** true when the line ended with the end token, false when it reached the length limit */
  ended: boolean;
}

export class LineSampler {
  private readonly sampler: Sampler;
  private readonly V: number;
  private readonly state: Vec; // (L, S, N, H)
  private readonly logits: Vec; // (N, V)
  private readonly ids: Int32Array; // (N)

  /** N: lines per batch. endId: the end token (it also starts every line). */
  constructor(
    readonly model: LineModel,
    readonly vocab: Vocab,
    readonly endId: number,
    readonly N: number,
    opts: SampleOptions = {},
  ) {
    if (!Number.isInteger(N) || N < 1) throw new CharnnError(`lines per batch must be a positive integer, got ${N}`);
    if (!(endId >= 0 && endId < vocab.size)) throw new CharnnError('the model has no end-of-line token (was it trained with --lines?)');
    this.sampler = new Sampler(model, vocab, opts, 1);
    this.V = model.config.vocabSize;
    const k = model.kernels;
    this.state = model.newState(N);
    this.logits = k.alloc(N * this.V);
    this.ids = k.allocI32(N);
  }

  /** Prime ids (every line starts with them) -> N lines of at most maxLength characters. */
  draw(prime: readonly number[], maxLength: number): LineSample[] {
    const { model, N, V, logits, ids, state, endId } = this;
    if (prime.length > maxLength) throw new CharnnError(`the prime has ${prime.length} characters, more than the length limit ${maxLength}`);
    if (prime.includes(endId)) throw new CharnnError('the prime must not contain a line break (every sample is one line)');
    const codes: number[][] = Array.from({ length: N }, () => [...prime]);
    const logProb = new Float64Array(N);
    const ended = new Uint8Array(N);
    model.startState(state, N);
    const feed = (id: (b: number) => number) => {
      for (let b = 0; b < N; b++) ids[b] = id(b);
      model.step(logits, ids, N, state);
    };
    feed(() => endId);
    for (const p of prime) {
      for (let b = 0; b < N; b++) logProb[b] += this.logSoftmaxAt(b, p);
      feed(() => p);
    }
    // a row is done at the end token, or once its text holds maxLength characters
    const done = new Uint8Array(N).fill(prime.length >= maxLength ? 1 : 0);
    let open = prime.length >= maxLength ? 0 : N;
    while (open > 0) {
      for (let b = 0; b < N; b++) {
        if (done[b]) {
          ids[b] = endId;
          continue;
        }
        const id = this.sampler.drawFrom(logits.subarray(b * V, (b + 1) * V));
        logProb[b] += this.logSoftmaxAt(b, id);
        if (id === endId) ended[b] = 1;
        else codes[b].push(id);
        if (id === endId || codes[b].length >= maxLength) {
          done[b] = 1;
          open--;
        }
        ids[b] = id;
      }
      if (open > 0) model.step(logits, ids, N, state);
    }
    return codes.map((c, b) => ({
      text: this.vocab.decode(c),
      logProb: logProb[b],
      ended: ended[b] === 1,
    }));
  }

  /** log softmax(logits row b)[id], in float64. */
  private logSoftmaxAt(b: number, id: number): number {
    const { V, logits } = this;
    const o = b * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[o + v] > max) max = logits[o + v];
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[o + v] - max);
    return logits[o + id] - max - Math.log(sum);
  }
}
