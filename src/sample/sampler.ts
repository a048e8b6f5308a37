/**
 * Sampling text from a trained model, one character at a time (pure core: no I/O).
 *
 * Per character: model.step (ids (1) -> logits (1, V), state carried) -> one draw (draw.ts: temperature,
 * top-k / top-p, seeded categorical). Every buffer is allocated once in the constructor, so the loop allocates
 * nothing per character; text is produced per chunk. Many streams at once: batch.ts.
 *
 * Dimension legend: V vocabulary, L layers, S state slots, H hidden.
 *
 * This is the low-level piece: its own defaults (temperature 1, seed 0, a first character drawn uniformly when
 * nothing was fed) are not the CLI's. `loadModel` (api/load-model.ts) and `charnn sample` add the CLI's defaults
 * (src/options.ts) and the prime handling (prime.ts: a line break is fed when there is no prime).
 */
import type { Kernels, Vec } from '../math/kernels.js';
import type { ModelConfig } from '../model/config.js';
import type { Vocab } from '../data/vocab.js';
import { CharnnError } from '../errors.js';
import { type Bans } from './ban.js';
import { Drawer, type SampleOptions as DrawOptions } from './draw.js';
import { encodePrime } from './prime.js';

/** What the sampler needs from a model (CharRNN satisfies it). */
export interface StepModel {
  readonly config: ModelConfig;
  readonly kernels: Kernels;
  newState(B: number): Vec;
  step(logits: Vec, ids: Int32Array, B: number, state: Vec): void;
}

export interface SampleOptions extends DrawOptions {
  /** strings never to emit (ban.ts) */
  ban?: Bans;
}

export class Sampler {
  readonly V: number;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  private readonly drawer: Drawer;
  private readonly state: Vec; // (L, S, 1, H)
  private readonly logits: Vec; // (1, V)
  private readonly ids: Int32Array; // (1) the input id of the next step
  private readonly chunk: Int32Array; // code points of the chunk being built
  /** true once logits hold a prediction (after priming or a draw) */
  private ready = false;
  // banned strings: the last ids fed (a ring of bans.memory), and the ids forbidden at this draw
  private readonly bans: Bans | null;
  private readonly recent: Int32Array;
  private fed = 0;
  private readonly banned: Uint8Array; // (V)

  /**
   * @param vocab the model's vocabulary (id -> code point)
   * @param chunkSize characters per yielded chunk of text
   */
  constructor(
    readonly model: StepModel,
    readonly vocab: Vocab,
    opts: SampleOptions = {},
    readonly chunkSize = 64,
  ) {
    const V = model.config.vocabSize;
    if (vocab.size !== V) throw new CharnnError(`the vocabulary has ${vocab.size} characters but the model has ${V} outputs`);
    this.V = V;
    this.drawer = new Drawer(V, opts);
    ({ temperature: this.temperature, topK: this.topK, topP: this.topP } = this.drawer);
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new CharnnError(`chunk size must be a positive integer, got ${chunkSize}`);
    const k = model.kernels;
    this.state = model.newState(1);
    this.logits = k.alloc(V);
    this.ids = k.allocI32(1);
    this.chunk = new Int32Array(chunkSize);
    this.bans = opts.ban && opts.ban.size ? opts.ban : null;
    this.recent = new Int32Array(Math.max(1, this.bans?.memory ?? 0));
    this.banned = new Uint8Array(this.bans ? V : 0);
  }

  /** Ids of the characters of `text`, or an error naming the characters the model never saw. With `skipUnknown`
   *  those characters are dropped instead (prime.ts: preparePrime also normalises and counts them). */
  encode(text: string, skipUnknown = false): number[] {
    return encodePrime(text, this.vocab, skipUnknown).ids;
  }

  /** Run ids through the model (the prime); afterwards the next draw continues the text. */
  feed(ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) this.stepId(ids[i]);
  }

  /** Draw the next character id and feed it back. Before any feed, the first id is drawn uniformly. */
  next(): number {
    const id = this.ready ? this.drawer.draw(this.logits, 0, this.markBanned()) : this.drawer.uniform();
    this.stepId(id);
    return id;
  }

  /**
   * Generate `length` characters (Infinity: without end) as chunks of text of at most chunkSize characters.
   * The caller may stop iterating at any time.
   */
  *generate(length: number): Generator<string, void, undefined> {
    if (!(length >= 0)) throw new CharnnError(`length must be >= 0, got ${length}`);
    const chunk = this.chunk;
    const codes = this.vocab.codePoints;
    let left = length;
    while (left > 0) {
      const n = Math.min(this.chunkSize, left);
      for (let i = 0; i < n; i++) chunk[i] = codes[this.next()];
      left -= n;
      yield String.fromCodePoint.apply(null, chunk.subarray(0, n) as unknown as number[]);
    }
  }

  /** The model's log-probabilities of the next character (temperature 1, before top-k/top-p and bans) into `out`
   *  (V); the draw is untouched. Before anything is fed: uniform. */
  logProbs(out: Float64Array): void {
    const V = this.V;
    if (!this.ready) {
      out.fill(-Math.log(V));
      return;
    }
    const l = this.logits;
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (l[i] > max) max = l[i];
    let sum = 0;
    for (let i = 0; i < V; i++) sum += Math.exp(l[i] - max);
    const lse = max + Math.log(sum);
    for (let i = 0; i < V; i++) out[i] = l[i] - lse;
  }

  /** One draw from a row of logits (V) computed elsewhere (a batch of lines: sample/lines.ts), with this
   *  sampler's temperature, top-k, top-p and RNG. */
  drawFrom(row: ArrayLike<number>): number {
    this.logits.set(row);
    return this.drawer.draw(this.logits, 0, this.markBanned());
  }

  private stepId(id: number): void {
    if (this.bans) this.recent[this.fed++ % this.recent.length] = id;
    this.ids[0] = id;
    this.model.step(this.logits, this.ids, 1, this.state);
    this.ready = true;
  }

  /** The ids forbidden at this draw (1), from the ids fed so far; null without bans. */
  private markBanned(): Uint8Array | null {
    if (!this.bans) return null;
    const { banned, recent } = this;
    banned.fill(0);
    this.bans.mark(banned, (k) => recent[(this.fed - k) % recent.length], Math.min(this.fed, recent.length));
    return banned;
  }
}
