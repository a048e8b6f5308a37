/**
 * Sampling from a line-mode model (pure core: no I/O): N independent lines drawn in parallel as one batch.
 *
 *   state (L, S, N, H) = the start state -> feed the end token (the start token of every line) -> feed the prime
 *   -> loop: logits (N, V) -> per row: a draw (temperature, top-k, top-p: the Sampler's) -> feed the N draws back
 *
 * A line is done when it draws the end token, or when its text reaches `maxLength` characters (prime included);
 * once half the rows are done the batch shrinks to the open ones (the state rows copied over), so N lines cost
 * about their total length, not N times the longest. Each line's log-probability is the
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
    const { model, N, V, logits, ids, endId } = this;
    if (prime.length > maxLength) throw new CharnnError(`the prime has ${prime.length} characters, more than the length limit ${maxLength}`);
    if (prime.includes(endId)) throw new CharnnError('the prime must not contain a line break (every sample is one line)');
    const codes: number[][] = Array.from({ length: N }, () => [...prime]);
    const logProb = new Float64Array(N);
    const ended = new Uint8Array(N);
    let state = this.state;
    let B = N; // rows in the batch now: finished lines leave it (see compact)
    let line: Int32Array = Int32Array.from({ length: N }, (_, i) => i); // row -> the line it draws
    model.startState(state, B);
    const feed = (id: number) => {
      ids.fill(id, 0, B);
      model.step(logits, ids, B, state);
    };
    feed(endId);
    for (const p of prime) {
      for (let b = 0; b < B; b++) logProb[b] += this.logSoftmaxAt(b, p);
      feed(p);
    }
    // a line is done at the end token, or once its text holds maxLength characters
    const done = new Uint8Array(N).fill(prime.length >= maxLength ? 1 : 0);
    let open = prime.length >= maxLength ? 0 : N;
    while (open > 0) {
      for (let b = 0; b < B; b++) {
        const i = line[b];
        if (done[i]) {
          ids[b] = endId;
          continue;
        }
        const id = this.sampler.drawFrom(logits.subarray(b * V, (b + 1) * V));
        logProb[i] += this.logSoftmaxAt(b, id);
        if (id === endId) ended[i] = 1;
        else codes[i].push(id);
        if (id === endId || codes[i].length >= maxLength) {
          done[i] = 1;
          open--;
        }
        ids[b] = id;
      }
      if (open === 0) break;
      // names end at different lengths: once half the rows are done, go on with the open ones only, so a batch
      // costs about what its lines need rather than N times the longest
      if (open <= B / 2) ({ state, line, B } = this.compact(state, line, B, done));
      model.step(logits, ids, B, state);
    }
    return codes.map((c, i) => ({ text: this.vocab.decode(c), logProb: logProb[i], ended: ended[i] === 1 }));
  }

  /** The open rows of state (L, S, B, H) and ids (B) moved into a batch of their own, in order. */
  private compact(state: Vec, line: Int32Array, B: number, done: Uint8Array): { state: Vec; line: Int32Array; B: number } {
    const keep: number[] = [];
    for (let b = 0; b < B; b++) if (!done[line[b]]) keep.push(b);
    const B2 = keep.length, H = this.model.config.hidden;
    const next = this.model.newState(B2); // (L, S, B2, H)
    const LS = next.length / (B2 * H);
    for (let r = 0; r < LS; r++) {
      keep.forEach((b, j) => next.set(state.subarray((r * B + b) * H, (r * B + b + 1) * H), (r * B2 + j) * H));
    }
    keep.forEach((b, j) => (this.ids[j] = this.ids[b]));
    return { state: next, line: Int32Array.from(keep, (b) => line[b]), B: B2 };
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
