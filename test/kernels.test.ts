/**
 * Every kernel of every backend in helpers/backends.ts against the naive oracle run in float64, on odd shapes
 * (1, 3, 7, 17, 33 and combinations), overwrite and accumulate variants, and the aliasing the interface allows.
 * Inputs are drawn once, stored in the backend's precision, and the oracle gets exactly those stored values, so
 * the only differences left are the backend's own rounding. Every array gets a few extra elements past the
 * kernel's extent: they must come back untouched.
 *
 * Tolerances: float64 backends 1e-12 of the scale; float32 backends 4e-6 of the scale, where the scale is the
 * sum of magnitudes that enter each output (e.g. Σ|a||b| + |out| for a product), which bounds float32
 * accumulation error for K ≤ 33 with room for an approximate tanh/exp (≤ 1e-6 absolute).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels, Vec } from '../src/math/kernels.js';
import { createNaiveKernels } from '../src/math/kernels-naive.js';
import { Rng } from '../src/math/rng.js';
import { backends } from './helpers/backends.js';

const SIZES = [1, 3, 7, 17, 33];
const PAD = 3; // guard elements after each array's extent
const naive = createNaiveKernels('float64');

interface Pair {
  k: Vec; // the backend's array (length n + PAD)
  r: Float64Array; // the oracle's copy of the same stored values
}

/** Compare got against ref elementwise: |got − ref| ≤ rtol · scale (+ a floor for exact zeros). */
function expectClose(got: Vec, ref: Float64Array, scale: Float64Array | number, rtol: number, label: string): void {
  expect(got.length, `${label}: length`).toBe(ref.length);
  let worst = 0, at = -1;
  for (let i = 0; i < ref.length; i++) {
    const s = typeof scale === 'number' ? scale : scale[i];
    const err = Math.abs(got[i] - ref[i]);
    const rel = err / (rtol * (s + Math.abs(ref[i])) + 1e-300);
    if (!(rel <= 1) && (rel > worst || Number.isNaN(rel))) {
      worst = Number.isNaN(rel) ? Infinity : rel;
      at = i;
    }
  }
  if (at >= 0) expect.fail(`${label}: element ${at} got ${got[at]} want ${ref[at]} (${worst.toExponential(2)}x tolerance)`);
}

function abs64(x: Float64Array): Float64Array {
  return x.map(Math.abs);
}

for (const entry of backends) {
  describe(`kernels ${entry.name} vs naive float64`, () => {
    let k: Kernels;
    const rtol = entry.dtype === 'float64' ? 1e-12 : 4e-6;
    const rng = new Rng(20240601);

    beforeAll(async () => {
      k = await entry.make();
    });

    /** A random array of n (+ PAD guard) elements in [lo, hi), stored by the backend, and the oracle's copy. */
    function rand(n: number, lo = -1, hi = 1): Pair {
      const kv = k.alloc(n + PAD);
      for (let i = 0; i < kv.length; i++) kv[i] = rng.range(lo, hi);
      return { k: kv, r: Float64Array.from(kv) };
    }
    function ids(n: number, R: number): Int32Array {
      const v = k.allocI32(n);
      for (let i = 0; i < n; i++) v[i] = rng.int(R);
      return v;
    }

    it('reports its name and dtype, allocates zeroed arrays', () => {
      expect(k.dtype).toBe(entry.dtype);
      const a = k.alloc(37);
      expect(a.length).toBe(37);
      expect(a instanceof (entry.dtype === 'float64' ? Float64Array : Float32Array)).toBe(true);
      expect(Array.from(a).every((x) => x === 0)).toBe(true);
      const i = k.allocI32(5);
      expect(i instanceof Int32Array && i.length === 5 && i.every((x) => x === 0)).toBe(true);
    });

    it('fill, copy, axpy, scale, mul (incl. out aliasing a), sumSq', () => {
      for (const n of [...SIZES, 64, 1000]) {
        const o = rand(n);
        k.fill(o.k, 0.625, n);
        naive.fill(o.r, 0.625, n);
        expectClose(o.k, o.r, 0, rtol, `fill n=${n}`);

        const s = rand(n), c = rand(n);
        k.copy(c.k, s.k, n);
        naive.copy(c.r, s.r, n);
        expectClose(c.k, c.r, 0, rtol, `copy n=${n}`);
        const exact = k.alloc(n); // a source of exactly n elements (the whole-array path)
        for (let i = 0; i < n; i++) exact[i] = rng.range(-1, 1);
        k.copy(c.k, exact, n);
        naive.copy(c.r, Float64Array.from(exact), n);
        expectClose(c.k, c.r, 0, rtol, `copy whole source n=${n}`);

        const y = rand(n), x = rand(n);
        k.axpy(y.k, -0.37, x.k, n);
        naive.axpy(y.r, -0.37, x.r, n);
        expectClose(y.k, y.r, abs64(y.r).map((v, i) => v + 0.37 * Math.abs(x.r[i])), rtol, `axpy n=${n}`);

        const z = rand(n);
        k.scale(z.k, 1.7, n);
        naive.scale(z.r, 1.7, n);
        expectClose(z.k, z.r, 0, rtol, `scale n=${n}`);

        const a = rand(n), b = rand(n), m = rand(n);
        k.mul(m.k, a.k, b.k, n);
        naive.mul(m.r, a.r, b.r, n);
        expectClose(m.k, m.r, 0, rtol, `mul n=${n}`);
        k.mul(a.k, a.k, b.k, n); // out aliases a
        naive.mul(a.r, a.r, b.r, n);
        expectClose(a.k, a.r, 0, rtol, `mul aliased n=${n}`);

        const q = rand(n, -3, 3);
        const want = naive.sumSq(q.r, n);
        expect(Math.abs(k.sumSq(q.k, n) - want), `sumSq n=${n}`).toBeLessThanOrEqual(rtol * want + 1e-300);
      }
    });

    for (const op of ['mm', 'mmNT', 'mmTN'] as const) {
      it(`${op} on all shapes from {1,3,7,17,33}^3, overwrite and accumulate`, () => {
        for (const M of SIZES) for (const K of SIZES) for (const N of SIZES) {
          for (const acc of [false, true]) {
            const a = rand(M * K), b = rand(K * N), o = rand(M * N, -2, 2);
            // the scale: Σ|a||b| per output plus |out| when accumulating
            const scale = new Float64Array(o.r.length);
            naive[op](scale, abs64(a.r), abs64(b.r), M, K, N, false);
            if (acc) for (let i = 0; i < M * N; i++) scale[i] += Math.abs(o.r[i]);
            k[op](o.k, a.k, b.k, M, K, N, acc);
            naive[op](o.r, a.r, b.r, M, K, N, acc);
            expectClose(o.k, o.r, scale, rtol, `${op} M=${M} K=${K} N=${N} acc=${acc}`);
          }
        }
      });
    }

    it('mm, mmNT, mmTN on a larger LSTM-like shape (rows 50, K 128, N 515)', () => {
      const [M, K, N] = [50, 128, 515];
      for (const op of ['mm', 'mmNT', 'mmTN'] as const) {
        const a = rand(M * K), b = rand(K * N), o = rand(M * N);
        const scale = new Float64Array(o.r.length);
        naive[op](scale, abs64(a.r), abs64(b.r), M, K, N, false);
        for (let i = 0; i < M * N; i++) scale[i] += Math.abs(o.r[i]);
        k[op](o.k, a.k, b.k, M, K, N, true);
        naive[op](o.r, a.r, b.r, M, K, N, true);
        expectClose(o.k, o.r, scale, rtol, `${op} large`);
      }
    });

    it('rowsSet, colSumAcc, gatherAdd, scatterAdd (repeated ids)', () => {
      for (const M of SIZES) for (const N of SIZES) {
        const bias = rand(N), o = rand(M * N);
        k.rowsSet(o.k, bias.k, M, N);
        naive.rowsSet(o.r, bias.r, M, N);
        expectClose(o.k, o.r, 0, rtol, `rowsSet M=${M} N=${N}`);
        const exact = k.alloc(N); // a bias of exactly N elements (the whole-row path)
        for (let i = 0; i < N; i++) exact[i] = rng.range(-1, 1);
        k.rowsSet(o.k, exact, M, N);
        naive.rowsSet(o.r, Float64Array.from(exact), M, N);
        expectClose(o.k, o.r, 0, rtol, `rowsSet whole bias M=${M} N=${N}`);

        const a = rand(M * N), cs = rand(N);
        const scale = Float64Array.from(cs.r, Math.abs);
        naive.colSumAcc(scale, abs64(a.r), M, N);
        k.colSumAcc(cs.k, a.k, M, N);
        naive.colSumAcc(cs.r, a.r, M, N);
        expectClose(cs.k, cs.r, scale, rtol, `colSumAcc M=${M} N=${N}`);

        for (const R of [1, 5]) {
          const table = rand(R * N), id = ids(M, R), g = rand(M * N);
          k.gatherAdd(g.k, table.k, id, M, N);
          naive.gatherAdd(g.r, table.r, id, M, N);
          expectClose(g.k, g.r, 2, rtol, `gatherAdd M=${M} N=${N} R=${R}`);

          const d = rand(M * N), t2 = rand(R * N);
          k.scatterAdd(t2.k, d.k, id, M, N);
          naive.scatterAdd(t2.r, d.r, id, M, N);
          expectClose(t2.k, t2.r, M + 1, rtol, `scatterAdd M=${M} N=${N} R=${R}`);
        }
      }
    });

    it('lstmForward / lstmBackward, separate and aliased (act = pre, dcPrev = dc)', () => {
      for (const B of [1, 3, 7]) for (const H of SIZES) {
        for (const alias of [false, true]) {
          const pre = rand(B * 4 * H, -3, 3), cPrev = rand(B * H, -2, 2);
          const h = rand(B * H), c = rand(B * H), act0 = rand(B * 4 * H);
          const act = alias ? pre : act0;
          k.lstmForward(h.k, c.k, act.k, pre.k, cPrev.k, B, H);
          naive.lstmForward(h.r, c.r, act.r, pre.r, cPrev.r, B, H);
          const tag = `B=${B} H=${H} alias=${alias}`;
          expectClose(act.k, act.r, 1, rtol, `lstmForward act ${tag}`);
          expectClose(c.k, c.r, 3, rtol, `lstmForward c ${tag}`);
          expectClose(h.k, h.r, 1, rtol, `lstmForward h ${tag}`);

          // backward on the stored activations (the oracle's copies were updated in step above)
          const dh = rand(B * H), dc = rand(B * H), dpre = rand(B * 4 * H), dcp0 = rand(B * H);
          const dcPrev = alias ? dc : dcp0;
          k.lstmBackward(dpre.k, dcPrev.k, dh.k, dc.k, act.k, c.k, cPrev.k, B, H);
          naive.lstmBackward(dpre.r, dcPrev.r, dh.r, dc.r, act.r, c.r, cPrev.r, B, H);
          expectClose(dpre.k, dpre.r, 4, rtol, `lstmBackward dpre ${tag}`);
          expectClose(dcPrev.k, dcPrev.r, 2, rtol, `lstmBackward dcPrev ${tag}`);
        }
      }
    });

    it('gruForward / gruBackward', () => {
      for (const B of [1, 3, 7]) for (const H of SIZES) {
        const gi = rand(B * 3 * H, -3, 3), gh = rand(B * 3 * H, -3, 3), hPrev = rand(B * H);
        const h = rand(B * H), act = rand(B * 3 * H);
        k.gruForward(h.k, act.k, gi.k, gh.k, hPrev.k, B, H);
        naive.gruForward(h.r, act.r, gi.r, gh.r, hPrev.r, B, H);
        const tag = `B=${B} H=${H}`;
        expectClose(act.k, act.r, 1, rtol, `gruForward act ${tag}`);
        expectClose(h.k, h.r, 2, rtol, `gruForward h ${tag}`);

        const dh = rand(B * H), dgi = rand(B * 3 * H), dgh = rand(B * 3 * H), dhPrev = rand(B * H);
        k.gruBackward(dgi.k, dgh.k, dhPrev.k, dh.k, act.k, gh.k, hPrev.k, B, H);
        naive.gruBackward(dgi.r, dgh.r, dhPrev.r, dh.r, act.r, gh.r, hPrev.r, B, H);
        expectClose(dgi.k, dgi.r, 4, rtol, `gruBackward dgi ${tag}`);
        expectClose(dgh.k, dgh.r, 4, rtol, `gruBackward dgh ${tag}`);
        expectClose(dhPrev.k, dhPrev.r, 1, rtol, `gruBackward dhPrev ${tag}`);
      }
    });

    it('rnnForward / rnnBackward, separate and aliased (h = pre, dpre = dh)', () => {
      for (const B of [1, 3, 7]) for (const H of SIZES) {
        for (const alias of [false, true]) {
          const pre = rand(B * H, -3, 3), h0 = rand(B * H);
          const h = alias ? pre : h0;
          k.rnnForward(h.k, pre.k, B, H);
          naive.rnnForward(h.r, pre.r, B, H);
          const tag = `B=${B} H=${H} alias=${alias}`;
          expectClose(h.k, h.r, 1, rtol, `rnnForward ${tag}`);
          const dh = rand(B * H), dp0 = rand(B * H);
          const dpre = alias ? dh : dp0;
          k.rnnBackward(dpre.k, dh.k, h.k, B, H);
          naive.rnnBackward(dpre.r, dh.r, h.r, B, H);
          expectClose(dpre.k, dpre.r, 1, rtol, `rnnBackward ${tag}`);
        }
      }
    });

    it('softmaxXent: loss and gradient, separate and aliased (dlogits = logits), incl. large logits', () => {
      for (const M of SIZES) for (const V of [1, 3, 7, 17, 65]) {
        for (const alias of [false, true]) {
          for (const spread of [3, 60]) {
            const logits = rand(M * V, -spread, spread), d0 = rand(M * V);
            const dlogits = alias ? logits : d0;
            const tg = ids(M, V);
            const lk = k.softmaxXent(dlogits.k, logits.k, tg, M, V, 0.3);
            const lr = naive.softmaxXent(dlogits.r, logits.r, tg, M, V, 0.3);
            const tag = `M=${M} V=${V} alias=${alias} spread=${spread}`;
            expect(Number.isFinite(lk), `loss finite ${tag}`).toBe(true);
            expect(Math.abs(lk - lr), `loss ${tag}`).toBeLessThanOrEqual(rtol * (Math.abs(lr) + M * spread) + 1e-300);
            expectClose(dlogits.k, dlogits.r, 0.3, rtol, `softmaxXent dlogits ${tag}`);
          }
        }
      }
    });

    it('adam, rmsprop, sgd over three steps with clipping scale', () => {
      for (const n of [1, 7, 33, 100]) {
        const p = rand(n), m = rand(n, 0, 0.1), v = rand(n, 0, 0.1), s = rand(n, 0, 0.1), buf = rand(n, -0.1, 0.1);
        const p2 = rand(n), p3 = rand(n);
        for (let t = 1; t <= 3; t++) {
          const g = rand(n);
          k.adam(p.k, g.k, m.k, v.k, n, 2e-3, 0.9, 0.999, 1e-8, t, 0.7);
          naive.adam(p.r, g.r, m.r, v.r, n, 2e-3, 0.9, 0.999, 1e-8, t, 0.7);
          k.rmsprop(p2.k, g.k, s.k, n, 1e-3, 0.99, 1e-8, 0.7);
          naive.rmsprop(p2.r, g.r, s.r, n, 1e-3, 0.99, 1e-8, 0.7);
          k.sgd(p3.k, g.k, buf.k, n, 0.1, 0.9, 0.7);
          naive.sgd(p3.r, g.r, buf.r, n, 0.1, 0.9, 0.7);
        }
        // parameter steps are O(lr) (Adam, RMSprop) and O(1e-1) (SGD): absolute scales accordingly
        expectClose(p.k, p.r, 1, rtol, `adam p n=${n}`);
        expectClose(m.k, m.r, 1, rtol, `adam m n=${n}`);
        expectClose(v.k, v.r, 1, rtol, `adam v n=${n}`);
        expectClose(p2.k, p2.r, 1, rtol, `rmsprop p n=${n}`);
        expectClose(s.k, s.r, 1, rtol, `rmsprop s n=${n}`);
        expectClose(p3.k, p3.r, 1, rtol, `sgd p n=${n}`);
        expectClose(buf.k, buf.r, 1, rtol, `sgd buf n=${n}`);
      }
    });
  });
}
