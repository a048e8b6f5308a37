/**
 * The wasm backend's own properties, beyond the kernel-vs-oracle tests it shares with every backend:
 * - the error of its vector exp, sigmoid and tanh against Math.exp / Math.tanh (float64) over a wide range,
 *   saturation included (the figures are printed);
 * - results are bit-identical for 1, 2 and 3 threads (static shares, chunks claimed dynamically);
 * - memory growth keeps earlier arrays valid (shared memory never detaches);
 * - arrays not allocated by the backend are refused; dispose stops the workers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNaiveKernels } from '../src/math/kernels-naive.js';
import { Rng } from '../src/math/rng.js';
import { createWasmKernels, type WasmKernels } from '../src/math/wasm/index.js';

describe('wasm vector transcendentals vs Math.exp / Math.tanh', () => {
  let k: WasmKernels;
  beforeAll(async () => {
    k = await createWasmKernels({ threads: 1 });
  });
  afterAll(() => k.dispose());

  /** Dense grid on [-lo, hi] plus special points; returns the inputs as stored in float32. */
  function inputs(lo: number, hi: number): Float32Array {
    const n = 400_003;
    const x = k.alloc(n + 6);
    for (let i = 0; i < n; i++) x[i] = lo + ((hi - lo) * i) / (n - 1);
    x.set([0, -0, 1e-30, -1e-30, 1e-6, -1e-6], n);
    return x;
  }

  function measure(fn: 'exp' | 'sigmoid' | 'tanh', x: Float32Array, ref: (v: number) => number, relFloor: number) {
    const out = k.alloc(x.length);
    k.approx(fn, out, x, x.length);
    let abs = 0, rel = 0, absAt = 0, relAt = 0;
    for (let i = 0; i < x.length; i++) {
      const want = ref(x[i]);
      const e = Math.abs(out[i] - want);
      if (!(e <= abs)) { abs = e; absAt = x[i]; }
      if (Math.abs(want) >= relFloor) {
        const r = e / Math.abs(want);
        if (!(r <= rel)) { rel = r; relAt = x[i]; }
      }
    }
    console.log(`${fn}: max abs error ${abs.toExponential(2)} (x=${absAt.toPrecision(4)}), max rel error ${rel.toExponential(2)} (x=${relAt.toPrecision(4)}, |f| >= ${relFloor})`);
    return { abs, rel };
  }

  it('tanh: within 5e-7 absolute and relative on [-50, 50] (saturated beyond ±8)', () => {
    const r = measure('tanh', inputs(-50, 50), Math.tanh, 1e-30);
    expect(r.abs).toBeLessThan(5e-7);
    expect(r.rel).toBeLessThan(5e-7);
  });

  it('sigmoid: within 3e-7 absolute on [-100, 100], relative 5e-7 down to σ = 1e-30', () => {
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const x = inputs(-100, 100);
    const r = measure('sigmoid', x, sig, 0);
    expect(r.abs).toBeLessThan(3e-7);
    expect(measure('sigmoid', x, sig, 1e-30).rel).toBeLessThan(5e-7);
  });

  it('exp: within 3e-7 relative on [-87, 88]; clamps to finite beyond; NaN propagates', () => {
    const r = measure('exp', inputs(-87, 88), Math.exp, 0);
    expect(r.rel).toBeLessThan(3e-7);
    const x = k.alloc(5), out = k.alloc(5);
    x.set([-1000, 1000, NaN, 0, 1]);
    k.approx('exp', out, x, 5);
    expect(out[0]).toBeGreaterThanOrEqual(0);
    expect(out[0]).toBeLessThan(1e-37);
    expect(Number.isFinite(out[1])).toBe(true);
    expect(Number.isNaN(out[2])).toBe(true);
    expect(out[3]).toBe(1);
    const t = k.alloc(3);
    x.set([NaN, 1000, -1000]);
    k.approx('tanh', t, x, 3);
    expect(Number.isNaN(t[0])).toBe(true);
    expect(Math.abs(t[1] - 1)).toBeLessThan(5e-7);
    expect(Math.abs(t[2] + 1)).toBeLessThan(5e-7);
  });
});

describe.each([
  { build: 'default (relaxed SIMD where the runtime has it)', relaxed: undefined },
  { build: 'SIMD128', relaxed: false },
])('wasm backend, $build: bit-identical results for 1, 2 and 3 threads', ({ relaxed }) => {
  const ks: WasmKernels[] = [];
  beforeAll(async () => {
    for (const threads of [1, 2, 3]) ks.push(await createWasmKernels({ threads, relaxed }));
  });
  afterAll(() => ks.forEach((k) => k.dispose()));

  it('every kernel on shapes large enough to be split', () => {
    const runs = ks.map((k) => {
      const rng = new Rng(7);
      const rand = (n: number, lo = -1, hi = 1) => {
        const a = k.alloc(n);
        for (let i = 0; i < n; i++) a[i] = rng.range(lo, hi);
        return a;
      };
      const outs: Float32Array[] = [];
      const sums: number[] = [];
      // products: column and row splits, remainders, M = 1, accumulate
      for (const [M, K, N] of [[50, 128, 515], [2500, 33, 130], [1, 128, 512], [257, 300, 67]]) {
        for (const op of ['mm', 'mmNT', 'mmTN'] as const) {
          const a = rand(M * K), b = rand(K * N), o = rand(M * N);
          k[op](o, a, b, M, K, N, true);
          outs.push(o);
        }
      }
      // cells
      const B = 50, H = 130;
      const pre = rand(B * 4 * H, -4, 4), cp = rand(B * H), h = k.alloc(B * H), c = k.alloc(B * H);
      const act = k.alloc(B * 4 * H);
      k.lstmForward(h, c, act, pre, cp, B, H);
      const dpre = k.alloc(B * 4 * H), dcp = k.alloc(B * H);
      k.lstmBackward(dpre, dcp, rand(B * H), rand(B * H), act, c, cp, B, H);
      const gi = rand(B * 3 * H, -3, 3), gh = rand(B * 3 * H, -3, 3), hg = k.alloc(B * H), ag = k.alloc(B * 3 * H);
      k.gruForward(hg, ag, gi, gh, cp, B, H);
      const dgi = k.alloc(B * 3 * H), dgh = k.alloc(B * 3 * H), dhp = k.alloc(B * H);
      k.gruBackward(dgi, dgh, dhp, rand(B * H), ag, gh, cp, B, H);
      const hr = k.alloc(B * H);
      k.rnnForward(hr, rand(B * H, -3, 3), B, H);
      outs.push(h, c, act, dpre, dcp, hg, ag, dgi, dgh, dhp, hr);
      // rows, loss, reductions, optimizers
      const M = 2500, V = 65;
      const ids = k.allocI32(M);
      for (let i = 0; i < M; i++) ids[i] = rng.int(V);
      const logits = rand(M * V, -5, 5);
      sums.push(k.softmaxXent(logits, logits, ids, M, V, 1 / M));
      const table = rand(V * 512), d = rand(M * 512), cs = rand(512), g = rand(M * 512);
      k.scatterAdd(table, d, ids, M, 512);
      k.gatherAdd(g, table, ids, M, 512);
      k.colSumAcc(cs, d, M, 512);
      const n = 300_001;
      const pp = rand(n), gg = rand(n), m = k.alloc(n), v = k.alloc(n);
      sums.push(k.sumSq(gg, n));
      for (let t = 1; t <= 2; t++) k.adam(pp, gg, m, v, n, 2e-3, 0.9, 0.999, 1e-8, t, 0.5);
      k.axpy(m, 0.3, gg, n);
      outs.push(logits, table, g, cs, pp, m, v);
      return { outs, sums };
    });
    for (let r = 1; r < runs.length; r++) {
      expect(runs[r].sums, `sums, ${r + 1} threads`).toEqual(runs[0].sums);
      runs[r].outs.forEach((o, i) => {
        const ref = runs[0].outs[i];
        let same = o.length === ref.length;
        for (let j = 0; same && j < o.length; j++) same = Object.is(o[j], ref[j]);
        expect(same, `output ${i} differs with ${r + 1} threads`).toBe(true);
      });
    }
  });

  it('split products match the float64 oracle', () => {
    const k = ks[1];
    // remainders of every kind: 6-row panels, a 4-row tile, single rows; several K blocks; column remainders
    checkProducts(k, new Rng(3), [[64, 256, 259], [700, 65, 128], [1, 129, 515], [130, 600, 70], [125, 300, 33], [5, 520, 40], [2, 300, 17]]);
  });
});

/** mm, mmNT and mmTN of random operands on each shape against the float64 oracle, to float32 rounding of each
 *  term (|error| <= 1e-6 · Σ|a||b|); returns the outputs in order. */
function checkProducts(k: WasmKernels, rng: Rng, shapes: number[][]): Float32Array[] {
  const naive = createNaiveKernels('float64');
  const outs: Float32Array[] = [];
  for (const [M, K, N] of shapes) {
    for (const op of ['mm', 'mmNT', 'mmTN'] as const) {
      const a = k.alloc(M * K), b = k.alloc(K * N), o = k.alloc(M * N);
      for (let i = 0; i < a.length; i++) a[i] = rng.range(-1, 1);
      for (let i = 0; i < b.length; i++) b[i] = rng.range(-1, 1);
      k[op](o, a, b, M, K, N, false);
      const ref = new Float64Array(M * N), scale = new Float64Array(M * N);
      naive[op](ref, Float64Array.from(a), Float64Array.from(b), M, K, N, false);
      naive[op](scale, Float64Array.from(a, Math.abs), Float64Array.from(b, Math.abs), M, K, N, false);
      for (let i = 0; i < M * N; i++) {
        if (!(Math.abs(o[i] - ref[i]) <= 1e-6 * scale[i])) expect.fail(`${op} ${M}x${K}x${N} at ${i}: ${o[i]} vs ${ref[i]}`);
      }
      outs.push(o);
    }
  }
  return outs;
}

describe('wasm backend memory and lifecycle', () => {
  it('growing the memory keeps earlier arrays valid; foreign arrays are refused', async () => {
    const k = await createWasmKernels({ threads: 2 });
    const a = k.alloc(1000);
    a.fill(1.5);
    const before = k.memoryBytes();
    const big = k.alloc(16 << 20); // 64 MiB: forces growth
    expect(k.memoryBytes()).toBeGreaterThan(before + (64 << 20) - 1);
    big[big.length - 1] = 2;
    expect(a[999]).toBe(1.5);
    a[0] = 3;
    k.axpy(a, 2, k.alloc(1000).fill(1), 1000); // kernels work on old views
    expect(a[0]).toBe(5);
    expect(a[999]).toBe(3.5);
    expect(() => k.fill(new Float32Array(10), 0, 10)).toThrow(/not allocated by this backend/);
    k.dispose();
    k.dispose(); // idempotent
  });

  it('rejects a bad thread count; relaxed: false always gives the SIMD128 build', async () => {
    await expect(createWasmKernels({ threads: 0 })).rejects.toThrow(/threads/);
    const k = await createWasmKernels({ relaxed: false, threads: 1 });
    expect(k.simd).toBe('simd128');
    k.dispose();
  });

  it('the default uses relaxed SIMD on Node 20 and later (switching on V8\'s flag where it is off)', async () => {
    const k = await createWasmKernels({ threads: 1 });
    expect(k.simd).toBe('relaxed-simd');
    k.dispose();
  });

  it('relaxed SIMD (required): products and cells match the oracle, 1 and 2 threads bit-identical', async () => {
    const ks = [await createWasmKernels({ threads: 1, relaxed: true }), await createWasmKernels({ threads: 2, relaxed: true })];
    expect(ks.map((k) => k.simd)).toEqual(['relaxed-simd', 'relaxed-simd']);
    const results = ks.map((k) => {
      const rng = new Rng(5);
      const outs = checkProducts(k, rng, [[50, 128, 515], [1, 129, 515], [257, 65, 66], [130, 600, 70], [5, 520, 40]]);
      const x = k.alloc(1000), t = k.alloc(1000);
      for (let i = 0; i < 1000; i++) x[i] = rng.range(-10, 10);
      k.approx('tanh', t, x, 1000);
      for (let i = 0; i < 1000; i++) expect(Math.abs(t[i] - Math.tanh(x[i]))).toBeLessThan(5e-7);
      k.dispose();
      return outs;
    });
    results[1].forEach((o, i) => expect(Array.from(o), `output ${i}`).toEqual(Array.from(results[0][i])));
  });
});
