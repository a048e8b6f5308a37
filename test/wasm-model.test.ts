/**
 * The whole model on the wasm backend (float32 only, so no finite differences of its own): its loss and
 * analytic gradients against the float64 oracle's (which test/model-gradcheck.test.ts checks by finite
 * differences), against the js backend in float32, chunked-with-carry equal to the whole window, and the
 * batch-1 sampling step against the oracle. Same parameters, inputs, initial state and dropout masks in all.
 * Tolerances are float32 rounding of quantities that go through T steps of products of width ≤ 64.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsKernels } from '../src/math/kernels-js.js';
import type { Kernels, Vec } from '../src/math/kernels.js';
import { createNaiveKernels } from '../src/math/kernels-naive.js';
import { Rng } from '../src/math/rng.js';
import { createWasmKernels, type WasmKernels } from '../src/math/wasm/index.js';
import { CharRNN } from '../src/model/char-rnn.js';
import type { CellType } from '../src/model/config.js';

const V = 11, H = 37, L = 2, B = 3, T = 8;

interface Run { loss: number; grads: Float64Array; dState: Float64Array; state: Float64Array }

/** Builds the model on k with the shared parameters and runs forward + backward from state0. */
function run(k: Kernels, cell: CellType, dropout: number, params: Float64Array, xs: number[], ys: number[],
             state0: Float64Array): Run {
  const model = new CharRNN(k, { cell, layers: L, hidden: H, vocabSize: V, dropout });
  model.params.set(params);
  const x = k.allocI32(T * B), y = k.allocI32(T * B);
  x.set(xs);
  y.set(ys);
  const state = model.newState(B);
  state.set(state0);
  model.zeroGrads();
  const loss = model.forward(x, y, T, B, state, { training: true, rng: new Rng(5) });
  const dState = k.alloc(model.stateSize(B));
  model.backward(dState);
  return { loss, grads: Float64Array.from(model.grads), dState: Float64Array.from(dState), state: Float64Array.from(state) };
}

/** max |a − b| / max |b| (a relative error of the whole tensor, robust to elements near zero). */
function relMax(a: ArrayLike<number>, b: ArrayLike<number>, from = 0, to = b.length): number {
  let d = 0, m = 0;
  for (let i = from; i < to; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / (m || 1);
}

describe('CharRNN on wasm vs the float64 oracle and the js backend', () => {
  let wasm: WasmKernels;
  const naive = createNaiveKernels('float64');
  const js = createJsKernels('float32');
  beforeAll(async () => {
    wasm = await createWasmKernels({ threads: 2 });
  });
  afterAll(() => wasm.dispose());

  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    for (const dropout of [0, 0.25]) {
      it(`${cell}, dropout ${dropout}: loss, every parameter gradient and dState agree to float32 rounding`, () => {
        const rng = new Rng(42);
        const probe = new CharRNN(naive, { cell, layers: L, hidden: H, vocabSize: V, dropout });
        probe.init(rng);
        // params exactly representable in float32, so every backend starts from identical values
        const params = Float64Array.from(Float32Array.from(probe.params));
        const xs = Array.from({ length: T * B }, () => rng.int(V));
        const ys = Array.from({ length: T * B }, () => rng.int(V));
        const state0 = Float64Array.from(Float32Array.from({ length: probe.stateSize(B) }, () => rng.range(-0.5, 0.5)));

        const ref = run(naive, cell, dropout, params, xs, ys, state0);
        const w = run(wasm, cell, dropout, params, xs, ys, state0);
        const j = run(js, cell, dropout, params, xs, ys, state0);
        expect(Math.abs(w.loss - ref.loss) / ref.loss).toBeLessThan(2e-6);
        expect(Math.abs(w.loss - j.loss) / ref.loss).toBeLessThan(2e-6);
        for (const s of probe.layout.specs) {
          const end = s.offset + s.rows * s.cols;
          expect(relMax(w.grads, ref.grads, s.offset, end), `${s.name} vs oracle`).toBeLessThan(2e-5);
          expect(relMax(w.grads, j.grads, s.offset, end), `${s.name} vs js`).toBeLessThan(2e-5);
        }
        expect(relMax(w.dState, ref.dState), 'dState').toBeLessThan(2e-5);
        expect(relMax(w.state, ref.state), 'final state').toBeLessThan(2e-6);
      });
    }
  }

  it('chunked with carry equals the whole window (lstm): losses and final state', () => {
    const rng = new Rng(9);
    const model = new CharRNN(wasm, { cell: 'lstm', layers: L, hidden: H, vocabSize: V, dropout: 0 });
    model.init(rng);
    const xs = Array.from({ length: T * B }, () => rng.int(V)), ys = Array.from({ length: T * B }, () => rng.int(V));
    const whole = model.newState(B), chunked = model.newState(B);
    const x = wasm.allocI32(T * B), y = wasm.allocI32(T * B);
    x.set(xs);
    y.set(ys);
    const lossWhole = model.forward(x, y, T, B, whole, { training: false });
    let sum = 0;
    for (let c = 0; c < 2; c++) {
      const h = (T / 2) * B;
      sum += model.forward(x.subarray(c * h, (c + 1) * h), y.subarray(c * h, (c + 1) * h), T / 2, B, chunked, { training: false });
    }
    expect(Math.abs(sum / 2 - lossWhole) / lossWhole).toBeLessThan(1e-6);
    expect(relMax(chunked, whole)).toBeLessThan(1e-6);
  });

  it('batch-1 sampling steps match the oracle (logits and state), no allocation after the first step', () => {
    const rng = new Rng(11);
    const nm = new CharRNN(naive, { cell: 'lstm', layers: L, hidden: H, vocabSize: V, dropout: 0 });
    nm.init(rng);
    const wm = new CharRNN(wasm, { cell: 'lstm', layers: L, hidden: H, vocabSize: V, dropout: 0 });
    wm.params.set(Float32Array.from(nm.params));
    nm.params.set(Float32Array.from(nm.params));
    const ns = nm.newState(1), ws = wm.newState(1);
    const nl = naive.alloc(V), wl = wasm.alloc(V);
    const nid = naive.allocI32(1), wid = wasm.allocI32(1);
    let used = 0;
    for (let t = 0; t < 20; t++) {
      nid[0] = wid[0] = (t * 7) % V;
      nm.step(nl, nid, 1, ns);
      wm.step(wl, wid, 1, ws);
      if (t === 0) used = wasm.memoryBytes();
      expect(relMax(wl, nl as Vec), `logits at ${t}`).toBeLessThan(5e-6);
    }
    expect(relMax(ws, ns as Vec)).toBeLessThan(5e-6);
    expect(wasm.memoryBytes()).toBe(used);
  });
});
