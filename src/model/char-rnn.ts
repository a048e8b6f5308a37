/**
 * CharRNN: L stacked recurrent layers (rnn, lstm or gru) on one-hot characters, a linear decoder and softmax
 * cross-entropy, trained by truncated backpropagation through time over windows of T steps on B streams.
 *
 *   ids (T*B) -> [embedding] -> layer 0 -> [dropout] -> layer 1 -> ... -> layer L-1 -> [dropout] -> decoder -> loss
 * Training can also drop recurrent weights (weightDrop: each layer runs the window on W_hh ⊙ mask, weight-drop.ts).
 *
 * Every numeric loop runs through the Kernels backend. Parameters and gradients are one flat buffer each
 * (see layout.ts); activations live in per-layer workspaces allocated once per window size and reused.
 * The recurrent state is the caller's: forward starts from it and leaves the final state in it (the carry);
 * no gradient flows into the previous window (backward's dState output exists for gradient checks).
 *
 * With --embed n, layer 0 reads rows of a learned table E (V, n) (a gather; its backward a scatter-add into dE)
 * instead of one-hot characters (a gather of W_ih's rows).
 *
 * Dimension legend: B streams, T window, V vocab, H hidden, L layers, S state slots (lstm 2: h, c; else 1),
 * n embedding width.
 */
import type { Kernels, Vec } from '../math/kernels.js';
import type { Rng } from '../math/rng.js';
import { GATES, inputWidth, STATE_SLOTS, validateModelConfig, type InitScheme, type ModelConfig } from './config.js';
import { Decoder } from './decoder.js';
import { Dropout } from './dropout.js';
import { GruLayer } from './gru.js';
import { initParams } from './init.js';
import { Scratch, type LayerInput, type RecurrentLayer } from './layer.js';
import { ParamLayout, type DecoderParams, type LayerParams, type NamedTensor } from './layout.js';
import { LstmLayer } from './lstm.js';
import { RnnLayer } from './rnn.js';
import { startStateBackward, startStateForward } from './start-state.js';
import { WeightDrop } from './weight-drop.js';

export type { NamedTensor } from './layout.js';

export interface ForwardOptions {
  training: boolean;
  /** required when training with dropout or weight drop > 0: draws the masks (per layer: W_hh's, then the output's) */
  rng?: Rng;
  /** only these rows (t·B + b) are predictions (line mode: padded slots are not); keep[0..keepCount). The loss is
   *  the mean over them, and only they reach the decoder. Absent: every row. */
  keep?: Int32Array;
  keepCount?: number;
}

export class CharRNN {
  readonly config: ModelConfig;
  readonly numParams: number;
  /** (numParams) the flat parameter buffer, backend-owned; named views inside (layout.ts) */
  readonly params: Vec;
  /** (numParams) gradients, same layout */
  readonly grads: Vec;
  /** where each tensor lives in params/grads */
  readonly layout: ParamLayout;

  private readonly S: number;
  private readonly layers: RecurrentLayer[];
  private readonly pLayers: LayerParams[];
  private readonly gLayers: LayerParams[];
  private readonly pDec: DecoderParams;
  private readonly gDec: DecoderParams;
  private readonly decoder: Decoder;
  private readonly drops: Dropout[]; // one per layer output (empty without dropout)
  private readonly weightDrops: WeightDrop[]; // one per layer (empty without weight drop)
  private readonly runParams: LayerParams[] = []; // the parameters each layer ran on in the last forward
  // the learned input embedding (--embed n; null and 0 for one-hot characters)
  private readonly pEnc: Vec | null; // (V, n)
  private readonly gEnc: Vec | null; // (V, n)
  private readonly embedN: number;
  private emb!: Vec; // (T*B, n)   the looked-up rows of the last forward (layer 0's input)
  private dEmb!: Vec; // (T*B, n)   their gradient in backward
  private embRows = 0;
  private lastX: Int32Array | null = null; // (T*B) the ids of the last forward (dE's scatter)
  private stepEmb!: Vec; // (B, n)
  private stepEmbB = 0;

  // what backward needs from the last forward
  private pending = false;
  private lastT = 0;
  private lastB = 0;
  private readonly inputs: LayerInput[] = []; // each layer's input in the last forward
  private decInput: Vec | null = null; // (T*B, H)
  private dropped = false;
  private weightDropped = false;
  private dA!: Vec; // (T*B, H)   gradient ping-pong buffers between layers
  private dB!: Vec;
  private dRows = 0;
  // kept rows of the last forward (line mode): their indices, targets and top-layer outputs
  private keepRows: Int32Array | null = null; // (n)
  private keepY: Int32Array | null = null; // (n)
  private keepIn: Vec | null = null; // (n, H)
  private keepCap = 0;
  private decRows = 0;
  private kept = false;

  // inference (step) cache: per-layer state views of the last state passed, to allocate nothing per call
  private stepState: Vec | null = null;
  private stepB = 0;
  private stepSlots: Vec[][] = []; // [layer][slot] (B, H)

  constructor(readonly kernels: Kernels, config: ModelConfig) {
    validateModelConfig(config);
    this.config = { ...config };
    const { layers: L, hidden: H, vocabSize: V, cell } = config;
    const k = kernels;
    this.S = STATE_SLOTS[cell];
    this.layout = new ParamLayout(this.config);
    this.numParams = this.layout.size;
    this.params = k.alloc(this.numParams);
    this.grads = k.alloc(this.numParams);
    const scratch = new Scratch(k, GATES[cell] * H, H);
    this.layers = [];
    this.pLayers = [];
    this.gLayers = [];
    for (let l = 0; l < L; l++) {
      const D = l === 0 ? inputWidth(config) : H;
      const ln = config.layerNorm === true;
      this.layers.push(cell === 'lstm' ? new LstmLayer(k, D, H, scratch, ln) : cell === 'gru' ? new GruLayer(k, D, H, scratch, ln) : new RnnLayer(k, D, H, scratch));
      this.pLayers.push(this.layout.layer(this.params, l));
      this.gLayers.push(this.layout.layer(this.grads, l));
    }
    this.pDec = this.layout.decoder(this.params);
    this.gDec = this.layout.decoder(this.grads);
    this.decoder = new Decoder(k, H, V);
    this.embedN = config.embed ?? 0;
    this.pEnc = this.layout.encoder(this.params);
    this.gEnc = this.layout.encoder(this.grads);
    this.drops = config.dropout > 0 ? Array.from({ length: L }, () => new Dropout(k, config.dropout, config.dropoutMode)) : [];
    const wd = config.weightDrop ?? 0;
    this.weightDrops = wd > 0 ? this.pLayers.map((p, l) => new WeightDrop(k, wd, H, GATES[cell] * H, p, this.gLayers[l])) : [];
  }

  init(rng: Rng, scheme: InitScheme = 'pytorch'): void {
    initParams(this.layout, this.params, rng, scheme);
  }

  /** L * S * B * H */
  stateSize(B: number): number {
    return this.config.layers * this.S * B * this.config.hidden;
  }

  /** A zeroed state (L, S, B, H); lstm slots [h, c]. */
  newState(B: number): Vec {
    return this.kernels.alloc(this.stateSize(B));
  }

  zeroGrads(): void {
    this.kernels.fill(this.grads, 0, this.numParams);
  }

  /**
   * x, y: (T*B) time-major ids (x[t*B+b]). state (L, S, B, H): initial state in, final state out.
   * Returns the mean cross-entropy in nats over the T*B predictions. x and y must stay unchanged until backward.
   */
  forward(x: Int32Array, y: Int32Array, T: number, B: number, state: Vec, opts: ForwardOptions): number {
    const { layers: L, hidden: H, vocabSize: V } = this.config;
    const M = T * B;
    this.checkWindow(T, B, state);
    checkIds(x, M, V, 'x');
    checkIds(y, M, V, 'y');
    const dropout = opts.training && this.drops.length > 0;
    const weightDrop = opts.training && this.weightDrops.length > 0;
    if ((dropout || weightDrop) && !opts.rng) throw new Error('forward: training with dropout needs opts.rng for the dropout masks');
    const SBH = this.S * B * H;
    let input: LayerInput = this.embedForward(x, M);
    for (let l = 0; l < L; l++) {
      this.inputs[l] = input;
      const layer = this.layers[l];
      const p = weightDrop ? this.weightDrops[l].forward(this.pLayers[l].whh, opts.rng!) : this.pLayers[l];
      this.runParams[l] = p;
      layer.forward(p, input, T, B, state.subarray(l * SBH, (l + 1) * SBH));
      let out = layer.outputs(T, B); // (T*B, H)
      if (dropout) out = this.drops[l].forward(out, T, B * H, opts.rng!);
      input = out;
    }
    let targets = y;
    let rows = M;
    this.kept = opts.keep !== undefined;
    if (opts.keep) {
      rows = this.gatherKept(input as Vec, y, opts.keep, opts.keepCount ?? M, M);
      input = this.keepIn!;
      targets = this.keepY!;
    }
    this.decInput = input as Vec;
    this.decRows = rows;
    const loss = this.decoder.forward(this.pDec, this.decInput, targets, rows);
    this.pending = true;
    this.lastT = T;
    this.lastB = B;
    this.dropped = dropout;
    this.weightDropped = weightDrop;
    return loss;
  }

  /** Backward of the last forward: accumulates into grads; writes dLoss/d(initial state) into dState if given. */
  backward(dState?: Vec): void {
    if (!this.pending) throw new Error('backward: call forward first (once per backward)');
    this.pending = false;
    const { layers: L, hidden: H } = this.config;
    const T = this.lastT, B = this.lastB, M = T * B;
    if (dState && dState.length < this.stateSize(B)) {
      throw new Error(`backward: dState holds ${dState.length} values, needs ${this.stateSize(B)} (L*S*B*H)`);
    }
    if (M > this.dRows) {
      this.dRows = M;
      this.dA = this.kernels.alloc(M * H);
      this.dB = this.kernels.alloc(M * H);
    }
    let dOut = this.dA, dBelow = this.dB; // (T*B, H)
    if (this.kept) {
      // the kept rows' gradients (n, H), scattered back to their rows; the other rows get none
      const n = this.decRows;
      this.decoder.backward(this.pDec, this.gDec, this.decInput!, dBelow, n);
      this.kernels.fill(dOut, 0, M * H);
      this.kernels.scatterAdd(dOut, dBelow, this.keepRows!, n, H);
    } else {
      this.decoder.backward(this.pDec, this.gDec, this.decInput!, dOut, M);
    }
    const SBH = this.S * B * H;
    for (let l = L - 1; l >= 0; l--) {
      if (this.dropped) this.drops[l].backward(dOut, M * H);
      const wd = this.weightDropped ? this.weightDrops[l] : null;
      this.layers[l].backward(
        this.runParams[l], wd ? wd.grads() : this.gLayers[l], this.inputs[l], dOut, l > 0 ? dBelow : this.embedN ? this.dEmb : null, T, B,
        dState ? dState.subarray(l * SBH, (l + 1) * SBH) : null,
      );
      if (wd) wd.backward(this.gLayers[l].whh);
      [dOut, dBelow] = [dBelow, dOut];
    }
    if (this.embedN) this.kernels.scatterAdd(this.gEnc!, this.dEmb, this.lastX!, M, this.embedN); // dE[id] += dx
  }

  /** Layer 0's input for ids x (M): the ids themselves (one-hot), or with an embedding the rows E[x] (M, n). */
  private embedForward(x: Int32Array, M: number): LayerInput {
    const n = this.embedN, k = this.kernels;
    if (!n) return x;
    if (M > this.embRows) {
      this.embRows = M;
      this.emb = k.alloc(M * n);
      this.dEmb = k.alloc(M * n);
    }
    k.fill(this.emb, 0, M * n);
    k.gatherAdd(this.emb, this.pEnc!, x, M, n);
    this.lastX = x;
    return this.emb;
  }

  /** Line mode: state (L, S, B, H) = the start state (the learned one broadcast over B, or zero). */
  startState(state: Vec, B: number): void {
    const { layers: L, hidden: H } = this.config;
    startStateForward(this.kernels, state, this.layout.startState(this.params), L * this.S, B, H);
  }

  /** Backward of startState: the learned start state's gradient += dState (L, S, B, H) summed over B (no-op
   *  for a zero start state). dState: from backward(dState) of the window that started from it. */
  startStateBackward(dState: Vec, B: number): void {
    const g = this.layout.startState(this.grads);
    if (g) startStateBackward(this.kernels, g, dState, this.config.layers * this.S, B, this.config.hidden);
  }

  /** True when the start state is a parameter (its gradient needs backward's dState). */
  get learnsStartState(): boolean {
    return this.config.startState === 'learned';
  }

  /** Copies the kept rows of top (M, H) and their targets into the model's own buffers; returns their count. */
  private gatherKept(top: Vec, y: Int32Array, keep: Int32Array, n: number, M: number): number {
    const H = this.config.hidden, k = this.kernels;
    if (!(Number.isInteger(n) && n >= 1 && n <= M && keep.length >= n)) throw new RangeError(`keepCount ${n} must be in [1, ${M}] and keep must hold that many rows`);
    if (n > this.keepCap) {
      this.keepCap = n;
      this.keepRows = k.allocI32(n);
      this.keepY = k.allocI32(n);
      this.keepIn = k.alloc(n * H);
    }
    const rows = this.keepRows!, ty = this.keepY!;
    for (let i = 0; i < n; i++) {
      const r = keep[i];
      if (!(r >= 0 && r < M)) throw new RangeError(`keep[${i}] = ${r} is not a row of the window (0..${M - 1})`);
      rows[i] = r;
      ty[i] = y[r];
    }
    k.fill(this.keepIn!, 0, n * H);
    k.gatherAdd(this.keepIn!, top, rows, n, H);
    return n;
  }

  /** Inference step: ids (B) -> logits (B, V); state (L, S, B, H) in/out; no dropout; no allocation after the
   *  first call for a given B and state array. */
  step(logits: Vec, ids: Int32Array, B: number, state: Vec): void {
    const { layers: L, hidden: H, vocabSize: V } = this.config;
    if (state !== this.stepState || B !== this.stepB) {
      this.checkWindow(1, B, state);
      this.stepState = state;
      this.stepB = B;
      this.stepSlots = [];
      for (let l = 0; l < L; l++) {
        const slots: Vec[] = [];
        for (let s = 0; s < this.S; s++) slots.push(state.subarray((l * this.S + s) * B * H, (l * this.S + s + 1) * B * H));
        this.stepSlots.push(slots);
      }
    }
    if (logits.length < B * V) throw new Error(`step: logits holds ${logits.length} values, needs ${B * V} (B*V)`);
    checkIds(ids, B, V, 'ids');
    let input: LayerInput = ids;
    if (this.embedN) {
      const n = this.embedN;
      if (B > this.stepEmbB) {
        this.stepEmbB = B;
        this.stepEmb = this.kernels.alloc(B * n);
      }
      this.kernels.fill(this.stepEmb, 0, B * n);
      this.kernels.gatherAdd(this.stepEmb, this.pEnc!, ids, B, n);
      input = this.stepEmb;
    }
    for (let l = 0; l < L; l++) {
      this.layers[l].step(this.pLayers[l], input, B, this.stepSlots[l]);
      input = this.stepSlots[l][0];
    }
    this.decoder.step(this.pDec, logits, input as Vec, B);
  }

  exportStateDict(): NamedTensor[] {
    return this.layout.exportTensors(this.params, this.kernels.dtype);
  }

  importStateDict(tensors: NamedTensor[]): void {
    this.layout.importTensors(this.params, tensors);
  }

  private checkWindow(T: number, B: number, state: Vec): void {
    if (!Number.isInteger(T) || T < 1) throw new RangeError(`window length T must be a positive integer, got ${T}`);
    if (!Number.isInteger(B) || B < 1) throw new RangeError(`batch size B must be a positive integer, got ${B}`);
    if (state.length < this.stateSize(B)) {
      throw new RangeError(`state holds ${state.length} values, needs ${this.stateSize(B)} (L*S*B*H for B=${B}); use newState(B)`);
    }
  }
}

/** Token ids must index the vocabulary: a bad id would read outside a weight table. */
function checkIds(ids: Int32Array, n: number, V: number, what: string): void {
  if (ids.length < n) throw new RangeError(`${what} holds ${ids.length} ids, needs ${n}`);
  for (let i = 0; i < n; i++) {
    const v = ids[i];
    if (v < 0 || v >= V) throw new RangeError(`${what}[${i}] = ${v} is not a token id of a vocabulary of ${V}`);
  }
}
