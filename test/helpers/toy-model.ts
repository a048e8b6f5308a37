/**
 * A tiny stand-in for CharRNN that satisfies the trainer's TrainableModel contract, so trainer mechanics (carry,
 * epoch reset, evaluation layout, guard, resume) are tested independently of the real network, with hooks to
 * observe the state it is handed and to inject bad losses.
 *
 * Per stream b: s_t = 0.5·s_{t−1} + x_t / V (the carried state, one number per stream; L = S = H = 1),
 * logits_t = E[x_t] + s_t · u, loss = mean softmax cross-entropy. Params: E (V,V) then u (V). No gradient flows
 * into the initial state (the trainer never asks for one).
 */
import type { Kernels, Vec } from '../../src/math/kernels.js';
import type { ModelConfig } from '../../src/model/config.js';
import type { Rng } from '../../src/math/rng.js';
import type { TrainableModel } from '../../src/train/trainer.js';

export class ToyModel implements TrainableModel {
  readonly config: ModelConfig;
  readonly kernels: Kernels;
  readonly numParams: number;
  readonly params: Vec;
  readonly grads: Vec;
  /** copies of the state handed to each forward, with its training flag */
  readonly seen: { state: number[]; training: boolean }[] = [];
  /** forward calls so far; `poison(call)` may replace the loss of a call */
  calls = 0;
  poison: ((call: number, loss: number) => number) | null = null;
  /** draws one uniform per training forward when set (stands in for dropout's use of the RNG) */
  usesRng = false;

  private readonly V: number;
  private last: { x: Int32Array; y: Int32Array; T: number; B: number; s: Float64Array; dlogits: Vec } | null = null;

  constructor(kernels: Kernels, V: number) {
    this.kernels = kernels;
    this.V = V;
    this.config = { cell: 'rnn', layers: 1, hidden: 1, vocabSize: V, dropout: 0 };
    this.numParams = V * V + V;
    this.params = kernels.alloc(this.numParams);
    this.grads = kernels.alloc(this.numParams);
  }

  init(rng: Rng): void {
    for (let i = 0; i < this.numParams; i++) this.params[i] = rng.range(-0.1, 0.1);
  }
  stateSize(B: number): number {
    return B;
  }
  newState(B: number): Vec {
    return this.kernels.alloc(B);
  }
  zeroGrads(): void {
    this.grads.fill(0);
  }

  forward(x: Int32Array, y: Int32Array, T: number, B: number, state: Vec, opts: { training: boolean; rng?: Rng }): number {
    const V = this.V, E = this.params, u = this.params.subarray(V * V);
    this.seen.push({ state: Array.from(state.subarray(0, B)), training: opts.training });
    let jitter = 0;
    if (opts.training && this.usesRng) jitter = opts.rng!.uniform() * 1e-3;
    const s = new Float64Array(T * B); // (T, B)
    const logits = this.kernels.alloc(T * B * V); // (T*B, V)
    for (let t = 0; t < T; t++)
      for (let b = 0; b < B; b++) {
        const prev = t === 0 ? state[b] : s[(t - 1) * B + b];
        const st = 0.5 * prev + x[t * B + b] / V + jitter;
        s[t * B + b] = st;
        for (let v = 0; v < V; v++) logits[(t * B + b) * V + v] = E[x[t * B + b] * V + v] + st * u[v];
      }
    for (let b = 0; b < B; b++) state[b] = s[(T - 1) * B + b];
    const M = T * B;
    let loss = this.kernels.softmaxXent(logits, logits, y, M, V, 1 / M) / M;
    this.last = { x: x.slice(), y: y.slice(), T, B, s, dlogits: logits };
    this.calls++;
    if (this.poison) loss = this.poison(this.calls, loss);
    return loss;
  }

  backward(): void {
    const { x, T, B, s, dlogits } = this.last!;
    const V = this.V, gE = this.grads, gu = this.grads.subarray(V * V);
    for (let m = 0; m < T * B; m++)
      for (let v = 0; v < V; v++) {
        gE[x[m] * V + v] += dlogits[m * V + v];
        gu[v] += s[m] * dlogits[m * V + v];
      }
  }
}
