/**
 * The native backend's own tests (every generic kernel, cell, model and property test also runs on it through
 * helpers/backends.ts): the accuracy of its vector exp/σ/tanh, bit-identical results on 1 to 4 threads on the
 * shapes where work splits go wrong (empty shares, 1 row, 1 column, primes, K in the thousands, very wide N) with
 * guard bands around every output, and calls that would read or write outside an array refused before any
 * native code runs. Each instruction set this CPU has is tested (CHARNN_NATIVE_ISA narrows to one).
 * Skipped, saying why, where the addon did not build or load.
 */
import { describe, expect, it } from 'vitest';
import { createNativeKernels, type NativeKernels } from '../src/math/native/index.js';
import { Rng } from '../src/math/rng.js';
import { nativeIsas, nativeMissing } from './helpers/backends.js';

const GUARD = 37; // elements of sentinel after every output
const SENTINEL = -12345.5;

/** An array of n random values followed by a guard band of sentinels; returns [whole, the n-element view]. */
function guarded(rng: Rng, n: number): [Float32Array, Float32Array] {
  const a = new Float32Array(n + GUARD).fill(SENTINEL);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
  return [a, a.subarray(0, n)];
}
const guardIntact = (a: Float32Array, n: number) => a.subarray(n).every((v) => v === SENTINEL);
const hex = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

/** Shapes [M, K, N] that cut badly: fewer units than chunks, 1 and primes, tall K, wide N. */
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1], [1, 7, 1], [2, 3, 1], [1, 1, 97], [5, 1, 3], [3, 2, 5], [17, 13, 1], [1, 4099, 3], [7, 3001, 11],
  [4, 64, 5003], [6, 17, 2053], [13, 257, 31], [97, 5, 89], [50, 128, 512], [65, 2500, 16], [33, 1, 129], [211, 67, 3],
];

const skipWhy = nativeMissing === null ? '' : ` (skipped: the native addon did not load: ${nativeMissing})`;

describe.skipIf(nativeMissing !== null)(`native backend${skipWhy}`, () => {
  for (const isa of nativeIsas()) {
    describe(isa, () => {
      it('vector e^x, σ(x) and tanh(x): within 1.5e-7 relative of float64 over dense grids (about 2 ulp)', () => {
        const k = createNativeKernels({ threads: 1, isa });
        const n = 100_003; // not a multiple of any vector width: the tail path is measured too
        const x = new Float32Array(n), y = new Float32Array(n);
        const cases = [
          { fn: 'exp', lo: -87, hi: 88, ref: Math.exp, tol: 1.5e-7 },
          { fn: 'sigmoid', lo: -40, hi: 40, ref: (v: number) => 1 / (1 + Math.exp(-v)), tol: 1.5e-7 },
          { fn: 'tanh', lo: -12, hi: 12, ref: Math.tanh, tol: 1.5e-7 },
          { fn: 'tanh', lo: -1e-3, hi: 1e-3, ref: Math.tanh, tol: 1.5e-7 }, // the odd polynomial near 0
        ] as const;
        for (const c of cases) {
          for (let i = 0; i < n; i++) x[i] = c.lo + ((c.hi - c.lo) * i) / (n - 1);
          k.approx(c.fn, y, x, n);
          let worst = 0;
          for (let i = 0; i < n; i++) {
            const r = c.ref(x[i]);
            if (r !== 0) worst = Math.max(worst, Math.abs(y[i] - r) / Math.abs(r));
          }
          expect(worst, `${c.fn} on [${c.lo}, ${c.hi}]`).toBeLessThan(c.tol);
          expect(worst, `${c.fn}: a measured error, not an exact copy`).toBeGreaterThan(0);
        }
        // saturation and NaN: tanh ±1, σ 0/1, e^x finite at the clamp, NaN in -> NaN out
        const s = Float32Array.of(-1e30, -100, 100, 1e30, NaN);
        const out = new Float32Array(5);
        k.approx('tanh', out, s, 5);
        expect(Array.from(out.subarray(0, 4))).toEqual([-1, -1, 1, 1]);
        expect(out[4]).toBeNaN();
        k.approx('sigmoid', out, s, 5);
        expect(out[0]).toBeLessThan(1e-37);
        expect(out[3]).toBe(1);
        expect(out[4]).toBeNaN();
        k.dispose();
      });

      it('products on edge shapes: same bits on 1 to 4 threads, guard bands untouched, inputs unchanged', () => {
        const ks = [1, 2, 3, 4].map((threads) => createNativeKernels({ threads, isa }));
        const rng = new Rng(7);
        for (const [M, K, N] of SHAPES) {
          for (const op of ['mm', 'mmNT', 'mmTN'] as const) {
            for (const acc of [false, true]) {
              const [, a] = guarded(rng, M * K), [, b] = guarded(rng, K * N);
              const a0 = hex(a), b0 = hex(b);
              const [out0] = guarded(rng, M * N);
              const results = ks.map((k) => {
                const out = out0.slice();
                k[op](out.subarray(0, M * N), a, b, M, K, N, acc);
                expect(guardIntact(out, M * N), `${op} ${M}x${K}x${N} guard on ${k.threads} threads`).toBe(true);
                return hex(out);
              });
              expect(new Set(results).size, `${op} ${M}x${K}x${N} acc ${acc}: one result for 1-4 threads`).toBe(1);
              expect(hex(a) + hex(b)).toBe(a0 + b0);
            }
          }
        }
        ks.forEach((k) => k.dispose());
      });

      it('cells, layer norm, softmax, column and squared sums, scatter: same bits on 1 to 4 threads, guards untouched', () => {
        const ks = [1, 2, 3, 4].map((threads) => createNativeKernels({ threads, isa }));
        const rng = new Rng(11);
        const run = (what: string, outs: number[], call: (k: NativeKernels, o: Float32Array[]) => unknown) => {
          const init = outs.map((n) => guarded(rng, n)[0]);
          const seen = ks.map((k) => {
            const o = init.map((a) => a.slice());
            const r = call(k, o.map((a, i) => a.subarray(0, outs[i])));
            o.forEach((a, i) => expect(guardIntact(a, outs[i]), `${what} guard ${i} on ${k.threads} threads`).toBe(true));
            return o.map(hex).join() + String(r);
          });
          expect(new Set(seen).size, `${what}: one result for 1-4 threads`).toBe(1);
        };
        for (const [B, H] of [[1, 1], [1, 300], [3, 17], [64, 512], [50, 128], [7, 1031]]) {
          const pre = guarded(rng, 4 * B * H)[1], c0 = guarded(rng, B * H)[1], dh = guarded(rng, B * H)[1];
          const gi = guarded(rng, 3 * B * H)[1], gh = guarded(rng, 3 * B * H)[1];
          run(`lstm ${B}x${H}`, [B * H, B * H, 4 * B * H, 4 * B * H, B * H], (k, [h, c, act, dpre, dcp]) => {
            k.lstmForward(h, c, act, pre, c0, B, H);
            k.lstmBackward(dpre, dcp, dh, c0, act, c, c0, B, H);
          });
          run(`gru ${B}x${H}`, [B * H, 3 * B * H, 3 * B * H, 3 * B * H, B * H], (k, [h, act, dgi, dgh, dhp]) => {
            k.gruForward(h, act, gi, gh, c0, B, H);
            k.gruBackward(dgi, dgh, dhp, dh, act, gh, c0, B, H);
          });
          run(`rnn ${B}x${H}`, [B * H, B * H], (k, [h, d]) => {
            k.rnnForward(h, c0, B, H);
            k.rnnBackward(d, dh, h, B, H);
          });
        }
        for (const [M, V] of [[1, 1], [1, 65], [33, 7], [2500, 65], [97, 1001]]) {
          const logits = guarded(rng, M * V)[1];
          const t = Int32Array.from({ length: M }, () => Math.floor(rng.uniform() * V));
          run(`softmaxXent ${M}x${V}`, [M * V], (k, [d]) => k.softmaxXent(d, logits, t, M, V, 0.5));
          run(`colSumAcc ${M}x${V}`, [V], (k, [o]) => k.colSumAcc(o, logits, M, V));
          const ids = Int32Array.from({ length: M }, () => Math.floor(rng.uniform() * 3)); // repeated rows
          run(`scatterAdd ${M}x${V}`, [3 * V], (k, [table]) => k.scatterAdd(table, logits, ids, M, V));
          const rows = ids.map((i) => i % M); // the gathered table is logits itself: M rows
          run(`gatherAdd ${M}x${V}`, [M * V], (k, [o]) => k.gatherAdd(o, logits, rows, M, V));
        }
        for (const n of [0, 1, 4095, 4097, 100_003, 262_147]) {
          const x = guarded(rng, n)[1];
          run(`sumSq ${n}`, [], (k) => k.sumSq(x, n));
          const g = guarded(rng, n)[1];
          run(`adam ${n}`, [n, n, n], (k, [p, m, v]) => {
            v.fill(0.5);
            k.adam(p, g, m, v, n, 2e-3, 0.9, 0.999, 1e-8, 3, 0.7);
          });
          run(`axpy ${n}`, [n], (k, [y]) => k.axpy(y, 0.3, x, n));
        }
        // layer norm on rows of 4H (as the LSTM's gates; after the cases above, whose draws stay as they were): the
        // backward in place (dx = dy), its column sums first
        for (const [B, H] of [[1, 1], [1, 300], [3, 17], [64, 512], [50, 128], [7, 1031]]) {
          const pre = guarded(rng, 4 * B * H)[1], c0 = guarded(rng, B * H)[1], dh = guarded(rng, B * H)[1];
          const N = 4 * H, gain = guarded(rng, N)[1], bias = guarded(rng, N)[1];
          run(`layerNorm ${B}x${N}`, [B * N, B, B, N, N], (k, [y, mean, rstd, dgain, dbias]) => {
            k.layerNormForward(y, mean, rstd, pre, gain, bias, B, N);
            k.layerNormBackward(y, dgain, dbias, y, pre, mean, rstd, gain, B, N);
          });
          run(`lstmNorm ${B}x${H}`, [B * H, B * H], (k, [h, d]) => {
            k.lstmNormForward(h, pre, c0, B, H);
            k.lstmNormBackward(d, dh, pre, c0, B, H);
            k.lstmNormBackward(h, h, pre, c0, B, H); // dcn = dh aliased
          });
        }
        ks.forEach((k) => k.dispose());
      });
    });
  }

  it('refuses calls that would read or write outside an array, before touching memory', () => {
    const k = createNativeKernels({ threads: 2 });
    const out = new Float32Array(12).fill(3), a = new Float32Array(12), b = new Float32Array(12);
    expect(() => k.mm(out, a, b, 4, 3, 4, false)).toThrow(RangeError); // out needs 16
    expect(() => k.mmNT(out, a, b, 3, 5, 4, false)).toThrow(/a has 12 elements, the shape needs 15/);
    expect(() => k.lstmForward(out, out, out, out, out, 1, 4)).toThrow(/act has 12 elements, the shape needs 16/);
    expect(() => k.mm(out, a, b, -1, 3, 4, false)).toThrow(/M must be an integer/);
    expect(() => k.mm(out, a, b, 1.5, 3, 4, false)).toThrow(/M must be an integer/);
    expect(() => k.fill(new Float64Array(4) as unknown as Float32Array, 1, 4)).toThrow(/Float32Array/);
    expect(() => k.gatherAdd(out, a, Int32Array.of(0, 3), 2, 4)).toThrow(/id 3 at row 1 is outside \[0, 3\)/);
    expect(() => k.scatterAdd(a, out, Int32Array.of(-1), 1, 4)).toThrow(/outside/);
    expect(() => k.softmaxXent(out, a, Int32Array.of(0, 6), 2, 6, 1)).toThrow(/id 6 at row 1/);
    expect(() => k.layerNormForward(out, out, out, a, a, a, 3, 5)).toThrow(/y has 12 elements, the shape needs 15/);
    expect(() => k.layerNormBackward(out, out, out, a, a, a, a, b.subarray(8), 2, 6)).toThrow(/gain has 4 elements, the shape needs 6/);
    expect(() => k.layerNormBackward(out, out, out, a, a, a, a, a, 2, 7)).toThrow(/dx has 12 elements, the shape needs 14/);
    expect(() => k.lstmNormForward(out, a, out, 1, 4)).toThrow(/act has 12 elements, the shape needs 16/);
    expect(() => k.lstmNormBackward(out, a, b, out, 1, 4)).toThrow(/act has 12 elements, the shape needs 16/);
    expect(Array.from(out)).toEqual(new Array(12).fill(3)); // nothing written by any refused call
    k.dispose();
  });

  it('mmPacked refuses an operand packRight did not write for that shape, transpose and instruction set', () => {
    const k = createNativeKernels({ threads: 2 });
    const K = 20, N = 33;
    const b = new Float32Array(K * N).fill(1), a = new Float32Array(3 * K).fill(1), out = new Float32Array(3 * N).fill(3);
    const packed = new Float32Array(k.packedSize(K, N));
    expect(() => k.mmPacked(out, a, packed, 3, K, N, false, false)).toThrow(/not written by this backend's packRight/);
    expect(() => k.packRight(packed.subarray(1), b, K, N, false)).toThrow(RangeError); // one float short
    k.packRight(packed, b, K, N, false);
    expect(() => k.mmPacked(out, a, packed, 3, K, N, true, false)).toThrow(/bT true/);
    expect(() => k.mmPacked(out, a, packed, 3, K - 1, N, false, false)).toThrow(/K 19/);
    expect(() => k.mmPacked(out, a, packed.subarray(1), 3, K, N, false, false)).toThrow(/packRight/); // moved
    const others = nativeIsas().filter((isa) => isa !== k.isa).map((isa) => createNativeKernels({ threads: 1, isa }));
    for (const o of others.filter((o) => o.tile !== k.tile)) {
      expect(() => o.mmPacked(out, a, packed, 3, K, N, false, false), o.isa).toThrow(/packRight/);
    }
    expect(Array.from(out)).toEqual(new Array(3 * N).fill(3)); // nothing written by any refused call
    k.mmPacked(out, a, packed, 3, K, N, false, false);
    expect(Array.from(out)).toEqual(new Array(3 * N).fill(K));
    [k, ...others].forEach((x) => x.dispose());
  });

  it('an unknown instruction set is an error naming the ones this CPU has', () => {
    expect(() => createNativeKernels({ isa: 'sse9' as 'avx2' })).toThrow(/unknown instruction set "sse9"/);
    expect(() => createNativeKernels({ threads: 0 })).toThrow(/threads/);
  });

  it('after dispose (threads joined) calls still work, on the calling thread', () => {
    const k = createNativeKernels({ threads: 4 });
    const a = new Float32Array(300 * 300).fill(1), out = new Float32Array(300 * 300);
    k.dispose();
    k.mm(out, a, a, 300, 300, 300, false);
    expect(out[0]).toBe(300);
    expect(out[300 * 300 - 1]).toBe(300);
  });
});
