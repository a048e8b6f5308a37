/**
 * Each cell's forward against a naive per-gate implementation written here from PyTorch's documented equations,
 * reading the weights from the model's exported state_dict (PyTorch layout): this proves the forward maths and
 * the export layout together. Checked: one inference step at a time (step(): logits and state every step) and a
 * whole window (forward(): loss and final state), for 1 and 2 layers, on every backend.
 * Plus a tiny case worked out by hand (its numbers were computed once with Python's math module).
 */
import { describe, expect, it } from 'vitest';
import type { Kernels, Vec } from '../src/math/kernels.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN, type NamedTensor } from '../src/model/char-rnn.js';
import type { CellType } from '../src/model/config.js';
import { allBackends, modelTol } from './helpers/backends.js';

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

/** PyTorch tensors by name, as plain row-major float64 matrices. */
function tensors(list: NamedTensor[]): Map<string, { shape: number[]; d: Float64Array }> {
  return new Map(list.map((t) => [t.name, { shape: t.shape, d: Float64Array.from(t.data) }]));
}

/** y = W x + b for W (R, C) row-major. */
function affine(W: Float64Array, x: ArrayLike<number>, b: Float64Array, R: number, C: number): Float64Array {
  const y = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let s = b[r];
    for (let c = 0; c < C; c++) s += W[r * C + c] * x[c];
    y[r] = s;
  }
  return y;
}

/**
 * Reference: one time step of an L-layer model for one stream, per gate, straight from the PyTorch docs.
 * h[l], c[l] are updated in place; returns the decoder's logits.
 */
function refStep(cell: CellType, P: ReturnType<typeof tensors>, L: number, H: number, V: number, id: number, h: Float64Array[], c: Float64Array[]): Float64Array {
  let x: Float64Array = new Float64Array(V);
  x[id] = 1; // one-hot
  for (let l = 0; l < L; l++) {
    const D = l === 0 ? V : H;
    const Wih = P.get(`rnn.weight_ih_l${l}`)!.d, Whh = P.get(`rnn.weight_hh_l${l}`)!.d;
    const bih = P.get(`rnn.bias_ih_l${l}`)!.d, bhh = P.get(`rnn.bias_hh_l${l}`)!.d;
    const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
    const gi = affine(Wih, x, bih, G * H, D); // W_ih x + b_ih, blocks in PyTorch's gate order
    const gh = affine(Whh, h[l], bhh, G * H, H); // W_hh h + b_hh
    const hn = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      if (cell === 'rnn') {
        hn[j] = Math.tanh(gi[j] + gh[j]);
      } else if (cell === 'lstm') {
        const i = sig(gi[j] + gh[j]);
        const f = sig(gi[H + j] + gh[H + j]);
        const g = Math.tanh(gi[2 * H + j] + gh[2 * H + j]);
        const o = sig(gi[3 * H + j] + gh[3 * H + j]);
        c[l][j] = f * c[l][j] + i * g;
        hn[j] = o * Math.tanh(c[l][j]);
      } else {
        const r = sig(gi[j] + gh[j]);
        const z = sig(gi[H + j] + gh[H + j]);
        const n = Math.tanh(gi[2 * H + j] + r * gh[2 * H + j]);
        hn[j] = (1 - z) * n + z * h[l][j];
      }
    }
    h[l] = hn;
    x = hn;
  }
  return affine(P.get('decoder.weight')!.d, x, P.get('decoder.bias')!.d, V, H);
}

function xent(z: Float64Array, t: number): number {
  const m = Math.max(...z);
  let s = 0;
  for (const v of z) s += Math.exp(v - m);
  return Math.log(s) + m - z[t];
}

function expectNear(got: number, want: number, tol: number, what: string): void {
  expect(Math.abs(got - want), `${what}: got ${got} want ${want}`).toBeLessThanOrEqual(tol * (1 + Math.abs(want)));
}

const V = 6, H = 5, B = 3, T = 4;

function build(k: Kernels, cell: CellType, L: number, seed: number) {
  const model = new CharRNN(k, { cell, layers: L, hidden: H, vocabSize: V, dropout: 0.25 });
  const rng = new Rng(seed);
  model.init(rng);
  for (let i = 0; i < model.numParams; i++) model.params[i] = rng.range(-1, 1);
  const state0 = model.newState(B);
  for (let i = 0; i < state0.length; i++) state0[i] = rng.range(-0.9, 0.9);
  const x = k.allocI32(T * B), y = k.allocI32(T * B);
  for (let i = 0; i < T * B; i++) {
    x[i] = rng.int(V);
    y[i] = rng.int(V);
  }
  return { model, state0, x, y };
}

/** The reference's per-stream state from the model's (L, S, B, H) layout. */
function splitState(state: Vec, cell: CellType, L: number, b: number): { h: Float64Array[]; c: Float64Array[] } {
  const S = cell === 'lstm' ? 2 : 1;
  const h: Float64Array[] = [], c: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    const at = (s: number) => Float64Array.from(state.subarray(((l * S + s) * B + b) * H, ((l * S + s) * B + b + 1) * H));
    h.push(at(0));
    c.push(S === 2 ? at(1) : new Float64Array(H));
  }
  return { h, c };
}

function expectState(state: Vec, ref: { h: Float64Array[]; c: Float64Array[] }[], cell: CellType, L: number, tol: number, what: string): void {
  for (let b = 0; b < B; b++) {
    const got = splitState(state, cell, L, b);
    for (let l = 0; l < L; l++) {
      for (let j = 0; j < H; j++) {
        expectNear(got.h[l][j], ref[b].h[l][j], tol, `${what} h layer ${l} stream ${b} unit ${j}`);
        if (cell === 'lstm') expectNear(got.c[l][j], ref[b].c[l][j], tol, `${what} c layer ${l} stream ${b} unit ${j}`);
      }
    }
  }
}

for (const entry of allBackends) {
  describe(`cells vs PyTorch's equations on ${entry.name}`, () => {
    const tol = modelTol(entry.dtype);
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      for (const L of [1, 2]) {
        it(`${cell} ${L} layer(s): step() logits and state, every step`, async () => {
          const k = await entry.make();
          const { model, state0, x } = build(k, cell, L, 11 + L);
          const P = tensors(model.exportStateDict());
          const ref = Array.from({ length: B }, (_, b) => splitState(state0, cell, L, b));
          const state = model.newState(B);
          k.copy(state, state0, state.length);
          const logits = k.alloc(B * V);
          const ids = k.allocI32(B);
          for (let t = 0; t < T; t++) {
            for (let b = 0; b < B; b++) ids[b] = x[t * B + b];
            model.step(logits, ids, B, state);
            for (let b = 0; b < B; b++) {
              const want = refStep(cell, P, L, H, V, ids[b], ref[b].h, ref[b].c);
              for (let v = 0; v < V; v++) expectNear(logits[b * V + v], want[v], tol, `step ${t} stream ${b} logit ${v}`);
            }
            expectState(state, ref, cell, L, tol, `after step ${t}`);
          }
        });

        it(`${cell} ${L} layer(s): forward() over a window: loss and final state`, async () => {
          const k = await entry.make();
          const { model, state0, x, y } = build(k, cell, L, 21 + L);
          const P = tensors(model.exportStateDict());
          const ref = Array.from({ length: B }, (_, b) => splitState(state0, cell, L, b));
          let sum = 0;
          for (let t = 0; t < T; t++) {
            for (let b = 0; b < B; b++) sum += xent(refStep(cell, P, L, H, V, x[t * B + b], ref[b].h, ref[b].c), y[t * B + b]);
          }
          const state = model.newState(B);
          k.copy(state, state0, state.length);
          // training false: the model has dropout 0.25, which must be off in evaluation
          const loss = model.forward(x, y, T, B, state, { training: false });
          expectNear(loss, sum / (T * B), tol, 'mean loss');
          expectState(state, ref, cell, L, tol, 'final');
        });
      }
    }

    it('a tiny Elman RNN worked out by hand', async () => {
      const k = await entry.make();
      const model = new CharRNN(k, { cell: 'rnn', layers: 1, hidden: 1, vocabSize: 2, dropout: 0 });
      const t = (name: string, shape: number[], v: number[]): NamedTensor => ({ name, shape, data: Float64Array.from(v) });
      model.importStateDict([
        t('rnn.weight_ih_l0', [1, 2], [0.5, -0.25]),
        t('rnn.weight_hh_l0', [1, 1], [0.75]),
        t('rnn.bias_ih_l0', [1], [0.1]),
        t('rnn.bias_hh_l0', [1], [0.2]),
        t('decoder.weight', [2, 1], [1, -1]),
        t('decoder.bias', [2], [0, 0.5]),
      ]);
      const x = k.allocI32(2), y = k.allocI32(2);
      x.set([0, 1]);
      y.set([1, 0]);
      const state = model.newState(1);
      // h1 = tanh(0.5 + 0.1 + 0.2) = 0.66403677026784..., h2 = tanh(-0.25 + 0.3 + 0.75·h1) = 0.49904046213143...
      // loss = mean(xent([h1, 0.5 − h1], 1), xent([h2, 0.5 − h2], 0))
      const loss = model.forward(x, y, 2, 1, state, { training: false });
      const tol = entry.dtype === 'float64' ? 1e-14 : 1e-6;
      expectNear(loss, 0.8326783155152904, tol, 'loss');
      expectNear(state[0], 0.49904046213143566, tol, 'final h');
    });
  });
}
