/**
 * Property tests (fast-check): every kernel of every backend in helpers/backends.ts against the naive float64
 * oracle, over randomly drawn shapes, options (acc, aliasing) and thread counts (1 to 4 for backends that split
 * calls), so that the cuts of rows, columns and chunks are exercised on shapes nobody picked by hand: 1 row,
 * 1 column, primes, very tall K (thousands, like B·T) and very wide N.
 *
 * Each case checks:
 * - outputs against the oracle run on exactly the stored inputs, within a rigorous rounding bound
 *   (γ_n · Σ|terms| for sums of n terms; the kernels.test.ts scales for the pointwise maths);
 * - guard bands: every array sits between sentinel regions, checked after the call, so a write outside its
 *   extent fails even when nothing traps (and inputs must come back unchanged);
 * - for threaded backends, bit-identical results to the same build on one thread.
 *
 * npm test runs a fixed seed and enough cases for the split bugs this guards against (the empty-share crash of
 * 2-thread products took a few dozen cases to find). CHARNN_PROPERTY_RUNS=N sets the cases per property (a
 * longer run), CHARNN_PROPERTY_SEED another seed. A failure prints the shrunk case (shape, threads) and the
 * seed and path that replay it.
 */
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Kernels, Vec } from '../src/math/kernels.js';
import { createNaiveKernels } from '../src/math/kernels-naive.js';
import { Rng } from '../src/math/rng.js';
import { backends } from './helpers/backends.js';

const RUNS = Number(process.env.CHARNN_PROPERTY_RUNS) || 0;
const SEED = Number(process.env.CHARNN_PROPERTY_SEED) || 20261201;
/** Cases per property in npm test (scaled per family by its cost). */
const runs = (base: number) => ({ numRuns: RUNS || base, seed: SEED, endOnFailure: false });

const G = 16; // sentinel floats (or ints) on each side of every array
const SENTINEL = -3.0e33; // exactly representable in float32; no kernel computes it by chance
const SENTINEL_I32 = 0x7eadbeef;
const ARENA_FLOATS = 3_500_000, ARENA_INTS = 300_000;
const MAX_MACS = 3_000_000; // a product case's multiply-adds (the float64 oracle's time)
const MAX_2D = 1 << 20; // elements of one matrix
const THREADS = [1, 2, 3, 4];
/** A property's time limit: generous, since a loaded machine stretches a few seconds of products many times. */
const TIMEOUT_MS = 900_000;

const naive = createNaiveKernels('float64');
const unit = (dtype: string) => (dtype === 'float64' ? 2 ** -53 : 2 ** -24);
/** Rounding bound factor for a sum of n terms (each product rounded too, hence n + 2), with slack. */
const gamma = (n: number, dtype: string) => 1.01 * (n + 2) * unit(dtype);
/** The pointwise maths (fast exp/tanh/sigmoid approximations included): as in kernels.test.ts. */
const pointTol = (dtype: string) => (dtype === 'float64' ? 1e-12 : 4e-6);

type Arr = Vec | Int32Array;
type Values = Record<string, Float64Array | Int32Array>;
type Views = Record<string, Arr>;
/** A kernel call on named arrays (the same closure runs the backend and the oracle). */
type Call = (k: Kernels, v: Views) => number | void;

/** One backend instance's arrays: views of two arenas allocated once, each view between guard bands. */
class Arena {
  private readonly f: Vec;
  private readonly i: Int32Array;
  private fo = 0;
  private io = 0;
  private guards: { arr: Arr; from: number; to: number; name: string; value: number }[] = [];
  constructor(readonly k: Kernels) {
    this.f = k.alloc(ARENA_FLOATS);
    this.i = k.allocI32(ARENA_INTS);
  }
  reset(): void {
    this.fo = this.io = 0;
    this.guards = [];
  }
  /** Views holding `values`, `skew` elements off the 16-element alignment. */
  place(values: Values, skew: number): Views {
    const v: Views = {};
    for (const [name, x] of Object.entries(values)) {
      const ints = x instanceof Int32Array;
      const buf: Arr = ints ? this.i : this.f;
      const at = (ints ? this.io : this.fo) + G + skew;
      const end = at + x.length + G;
      if (end > buf.length) throw new Error(`test arena too small for ${name} (${x.length})`);
      buf.fill(ints ? SENTINEL_I32 : SENTINEL, at - G, at);
      buf.fill(ints ? SENTINEL_I32 : SENTINEL, at + x.length, end);
      const value = buf[at - G]; // as stored (rounded to float32 where the backend is)
      this.guards.push({ arr: buf, from: at - G, to: at, name: `${name} (before)`, value });
      this.guards.push({ arr: buf, from: at + x.length, to: end, name: `${name} (after)`, value });
      const view = buf.subarray(at, at + x.length);
      view.set(x);
      v[name] = view;
      if (ints) this.io = end;
      else this.fo = (end + 15) & ~15;
    }
    return v;
  }
  /** The first guard element a kernel overwrote, as a message. */
  checkGuards(): string | null {
    for (const g of this.guards) {
      for (let j = g.from; j < g.to; j++) {
        if (g.arr[j] !== g.value) return `write outside ${g.name}: guard element ${j - g.from} is ${g.arr[j]}`;
      }
    }
    return null;
  }
}

/** Inputs drawn from a seed, already rounded to the backend's precision (so the oracle sees the stored values). */
class Draw {
  private readonly rng: Rng;
  constructor(seed: number, private readonly dtype: string) {
    this.rng = new Rng(seed);
  }
  floats(n: number, lo = -1, hi = 1): Float64Array {
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = this.rng.range(lo, hi);
    return this.dtype === 'float32' ? x.map(Math.fround) : x;
  }
  ids(n: number, R: number): Int32Array {
    const x = new Int32Array(n);
    for (let i = 0; i < n; i++) x[i] = this.rng.int(R);
    return x;
  }
}

interface Expect {
  /** outputs: name -> per-element scale (or one number) of the allowed error, times rtol */
  outputs: Record<string, Float64Array | number>;
  rtol: number;
  /** the return value (sums): allowed absolute error */
  retTol?: number;
  /** scratch arrays whose contents are the backend's own (packed operands): only their guards are checked */
  scratch?: string[];
}

function abs(x: Float64Array | Int32Array): Float64Array {
  return Float64Array.from(x as ArrayLike<number>, Math.abs);
}
function clone(values: Values): Views {
  const v: Views = {};
  for (const [n, x] of Object.entries(values)) v[n] = x.slice();
  return v;
}

for (const entry of backends) {
  describe(`kernel properties: ${entry.name} vs naive float64`, () => {
    const arenas = new Map<number, Arena>();
    const dtype = entry.dtype;

    beforeAll(async () => {
      for (const t of entry.threaded ? THREADS : [1]) arenas.set(t, new Arena(await entry.make(...(entry.threaded ? [t] : []))));
    });
    afterAll(() => {
      for (const a of arenas.values()) a.k.dispose();
    });

    const threadsArb = entry.threaded ? fc.constantFrom(...THREADS) : fc.constant(1);

    /** Run `call` on the backend (t threads) and on the oracle; throws a message on any difference. */
    function check(t: number, skew: number, values: Values, call: Call, want: Expect): void {
      const arena = arenas.get(t)!;
      arena.reset();
      const got = arena.place(values, skew);
      const ret = call(arena.k, got);
      const bad = arena.checkGuards();
      if (bad) throw new Error(bad);
      const ref = clone(values);
      const retRef = call(naive, ref);
      for (const [name, x] of Object.entries(values)) {
        const scale = want.outputs[name];
        const g = got[name], r = ref[name];
        if (want.scratch?.includes(name)) continue;
        for (let i = 0; i < x.length; i++) {
          if (scale === undefined) {
            if (!Object.is(g[i], x[i])) throw new Error(`input ${name}[${i}] changed: ${x[i]} -> ${g[i]}`);
            continue;
          }
          const s = typeof scale === 'number' ? scale : scale[i];
          const err = Math.abs(g[i] - r[i]);
          if (!(err <= want.rtol * (s + Math.abs(r[i])) + 1e-300)) {
            throw new Error(`${name}[${i}] = ${g[i]}, oracle ${r[i]} (error ${err.toExponential(2)}, allowed ${(want.rtol * (s + Math.abs(r[i]))).toExponential(2)})`);
          }
        }
      }
      if (typeof ret === 'number' && !(Math.abs(ret - (retRef as number)) <= (want.retTol ?? 0))) {
        throw new Error(`returned ${ret}, oracle ${retRef}`);
      }
      if (t > 1) {
        // the split across threads must not change a bit: compare with the same build on one thread
        const one = arenas.get(1)!;
        one.reset();
        const solo = one.place(values, skew);
        const retSolo = call(one.k, solo);
        for (const name of Object.keys(values)) {
          if (want.scratch?.includes(name)) continue; // where the packed panels start depends on the address
          const a = got[name], b = solo[name];
          for (let i = 0; i < a.length; i++) {
            if (!Object.is(a[i], b[i])) throw new Error(`${name}[${i}] differs from 1 thread: ${a[i]} vs ${b[i]}`);
          }
        }
        if (typeof ret === 'number' && !Object.is(ret, retSolo)) throw new Error(`returned ${ret} on ${t} threads, ${retSolo} on 1`);
      }
    }

    // ---- shapes ---------------------------------------------------------------------------------------------
    const special = fc.constantFrom(
      1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 15, 16, 17, 23, 24, 31, 32, 33, 47, 48, 63, 64, 65, 96, 100, 127, 128, 129, 191,
      255, 256, 257, 263, 264, 265, 270, 384, 511, 512, 513, 768, 1024,
    );
    const dim = fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 40 }), weight: 4 },
      { arbitrary: special, weight: 3 },
      { arbitrary: fc.integer({ min: 1, max: 700 }), weight: 2 },
      { arbitrary: fc.integer({ min: 700, max: 4100 }), weight: 1 }, // very tall or very wide
    );
    /** Shrink the largest dimension until the case fits (the oracle's time, the arena). */
    const fit = (d: number[], fits: (d: number[]) => boolean): number[] => {
      const x = [...d];
      while (!fits(x)) {
        const i = x.indexOf(Math.max(...x));
        x[i] = Math.max(1, Math.floor(x[i] * 0.7));
      }
      return x;
    };
    const seed = fc.integer({ min: 1, max: 0x7fffffff });
    const skew = fc.integer({ min: 0, max: 3 });

    // ---- products ---------------------------------------------------------------------------------------------
    const productShape = fc
      .tuple(dim, dim, dim)
      .map(([M, K, N]) => fit([M, K, N], ([m, k, n]) => m * k * n <= MAX_MACS && m * k <= MAX_2D && k * n <= MAX_2D && m * n <= MAX_2D));
    test.prop(
      {
        op: fc.constantFrom(...(['mm', 'mmNT', 'mmTN'] as const)),
        shape: productShape,
        acc: fc.boolean(),
        threads: threadsArb,
        skew,
        seed,
      },
      {
        ...runs(250),
        // the shapes of the shipped crash (2 threads): decoder backward of --hidden 16, and its neighbours
        examples: [
          { op: 'mmTN', shape: [65, 2048, 16], acc: true, threads: entry.threaded ? 2 : 1, skew: 0, seed: 1 },
          { op: 'mm', shape: [16, 2048, 65], acc: false, threads: entry.threaded ? 2 : 1, skew: 0, seed: 2 },
          { op: 'mmNT', shape: [13, 2048, 65], acc: true, threads: entry.threaded ? 3 : 1, skew: 1, seed: 3 },
        ],
      },
    )('mm, mmNT, mmTN', ({ op, shape: [M, K, N], acc, threads, skew, seed }) => {
      const d = new Draw(seed, dtype);
      const values = { a: d.floats(M * K), b: d.floats(K * N), out: d.floats(M * N, -2, 2) };
      const scale = new Float64Array(M * N);
      naive[op](scale, abs(values.a), abs(values.b), M, K, N, false);
      if (acc) for (let i = 0; i < M * N; i++) scale[i] += Math.abs(values.out[i]);
      check(threads, skew, values, (k, v) => k[op](v.out as Vec, v.a as Vec, v.b as Vec, M, K, N, acc), {
        outputs: { out: scale },
        rtol: gamma(K, dtype),
      });
    }, TIMEOUT_MS);

    // packRight once, then mmPacked: as mm (mmNT when bT) with b as packed. b is overwritten between the two
    // calls, so a backend that read b again (a stale or missing snapshot) fails; a second product on the same
    // packed operand checks that mmPacked leaves it intact.
    test.prop(
      { bT: fc.boolean(), shape: productShape, acc: fc.boolean(), threads: threadsArb, skew, seed },
      {
        ...runs(150),
        examples: [
          { bT: false, shape: [64, 512, 2048], acc: true, threads: entry.threaded ? 2 : 1, skew: 1, seed: 4 }, // M's W_hh
          { bT: true, shape: [1, 768, 256], acc: true, threads: entry.threaded ? 3 : 1, skew: 2, seed: 5 }, // batch 1
          { bT: false, shape: [5, 1, 17], acc: false, threads: entry.threaded ? 4 : 1, skew: 3, seed: 6 },
        ],
      },
    )('packRight + mmPacked (a snapshot of b; used twice)', ({ bT, shape: [M, K, N], acc, threads, skew, seed }) => {
      const d = new Draw(seed, dtype);
      const size = Math.max(naive.packedSize(K, N), arenas.get(threads)!.k.packedSize(K, N));
      const values = {
        a: d.floats(M * K), b: d.floats(K * N), out: d.floats(M * N, -2, 2), out2: d.floats(M * N, -2, 2), packed: new Float64Array(size),
      };
      const scale = new Float64Array(M * N);
      naive[bT ? 'mmNT' : 'mm'](scale, abs(values.a), abs(values.b), M, K, N, false);
      const scale2 = scale.slice();
      if (acc) for (let i = 0; i < M * N; i++) scale[i] += Math.abs(values.out[i]);
      check(threads, skew, values, (k, v) => {
        k.packRight(v.packed as Vec, v.b as Vec, K, N, bT);
        k.fill(v.b as Vec, 0.5, K * N);
        k.mmPacked(v.out as Vec, v.a as Vec, v.packed as Vec, M, K, N, bT, acc);
        k.mmPacked(v.out2 as Vec, v.a as Vec, v.packed as Vec, M, K, N, bT, false);
      }, { outputs: { out: scale, out2: scale2, b: 0 }, rtol: gamma(K, dtype), scratch: ['packed'] });
    }, TIMEOUT_MS);

    // ---- elementwise and sums -----------------------------------------------------------------------------------
    const length = fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 100 }), weight: 3 },
      { arbitrary: fc.integer({ min: 1, max: 5000 }), weight: 2 },
      { arbitrary: fc.integer({ min: 30_000, max: 300_000 }), weight: 2 }, // split across threads
    );
    test.prop(
      {
        op: fc.constantFrom('fill', 'copy', 'axpy', 'scale', 'mul', 'mulAliased', 'sumSq'),
        n: length,
        threads: threadsArb,
        skew,
        seed,
      },
      runs(80),
    )('fill, copy, axpy, scale, mul (aliased too), sumSq', ({ op, n, threads, skew, seed }) => {
      const d = new Draw(seed, dtype);
      const x = d.floats(n), y = d.floats(n);
      const rtol = gamma(2, dtype);
      switch (op) {
        case 'fill':
          return check(threads, skew, { x }, (k, v) => k.fill(v.x as Vec, 0.625, n), { outputs: { x: 0 }, rtol });
        case 'copy':
          return check(threads, skew, { x, y }, (k, v) => k.copy(v.y as Vec, v.x as Vec, n), { outputs: { y: 0 }, rtol });
        case 'axpy':
          return check(threads, skew, { x, y }, (k, v) => k.axpy(v.y as Vec, -0.37, v.x as Vec, n), {
            outputs: { y: abs(y).map((s, i) => s + 0.37 * Math.abs(x[i])) },
            rtol,
          });
        case 'scale':
          return check(threads, skew, { x }, (k, v) => k.scale(v.x as Vec, 1.7, n), { outputs: { x: 0 }, rtol });
        case 'mul':
          return check(threads, skew, { x, y, out: d.floats(n) }, (k, v) => k.mul(v.out as Vec, v.x as Vec, v.y as Vec, n), {
            outputs: { out: 0 },
            rtol,
          });
        case 'mulAliased':
          return check(threads, skew, { x, y }, (k, v) => k.mul(v.x as Vec, v.x as Vec, v.y as Vec, n), { outputs: { x: 0 }, rtol });
        case 'sumSq': {
          const want = naive.sumSq(x, n);
          // accumulated in float64 by every backend (kernels.ts)
          return check(threads, skew, { x }, (k, v) => k.sumSq(v.x as Vec, n), { outputs: {}, rtol, retTol: gamma(n, 'float64') * want + 1e-300 });
        }
      }
    }, TIMEOUT_MS);

    // ---- row kernels ----------------------------------------------------------------------------------------------
    const rowShape = fc.tuple(dim, dim).map(([M, N]) => fit([M, N], ([m, n]) => m * n <= 250_000));
    test.prop(
      {
        op: fc.constantFrom('rowsSet', 'colSumAcc', 'gatherAdd', 'scatterAdd'),
        shape: rowShape,
        R: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 70 })),
        threads: threadsArb,
        skew,
        seed,
      },
      runs(80),
    )('rowsSet, colSumAcc, gatherAdd, scatterAdd (repeated ids)', ({ op, shape: [M, N], R, threads, skew, seed }) => {
      const d = new Draw(seed, dtype);
      switch (op) {
        case 'rowsSet':
          return check(threads, skew, { out: d.floats(M * N), bias: d.floats(N) }, (k, v) => k.rowsSet(v.out as Vec, v.bias as Vec, M, N), {
            outputs: { out: 0 },
            rtol: gamma(1, dtype),
          });
        case 'colSumAcc': {
          const a = d.floats(M * N), out = d.floats(N);
          const scale = abs(out);
          naive.colSumAcc(scale, abs(a), M, N);
          // summed in float64, then one rounding
          return check(threads, skew, { out, a }, (k, v) => k.colSumAcc(v.out as Vec, v.a as Vec, M, N), { outputs: { out: scale }, rtol: gamma(1, dtype) + gamma(M, 'float64') });
        }
        case 'gatherAdd':
          return check(threads, skew, { out: d.floats(M * N), table: d.floats(R * N), ids: d.ids(M, R) }, (k, v) => k.gatherAdd(v.out as Vec, v.table as Vec, v.ids as Int32Array, M, N), {
            outputs: { out: 2 },
            rtol: gamma(1, dtype),
          });
        case 'scatterAdd': {
          const table = d.floats(R * N), dd = d.floats(M * N), ids = d.ids(M, R);
          const scale = abs(table);
          naive.scatterAdd(scale, abs(dd), ids, M, N);
          const most = Math.max(...Array.from({ length: R }, (_, r) => ids.filter((x) => x === r).length));
          return check(threads, skew, { table, d: dd, ids }, (k, v) => k.scatterAdd(v.table as Vec, v.d as Vec, v.ids as Int32Array, M, N), {
            outputs: { table: scale },
            rtol: gamma(most, dtype),
          });
        }
      }
    }, TIMEOUT_MS);

    // ---- recurrent cells --------------------------------------------------------------------------------------------
    const cellShape = fc.tuple(fc.oneof(fc.integer({ min: 1, max: 8 }), dim), dim).map(([B, H]) => fit([B, H], ([b, h]) => b * h <= 40_000));
    const cellArgs = { shape: cellShape, alias: fc.boolean(), threads: threadsArb, skew, seed };
    const pt = pointTol(dtype);

    test.prop(cellArgs, runs(60))('lstmForward, lstmBackward (act = pre, dcPrev = dc aliased too)', ({ shape: [B, H], alias, threads, skew, seed }) => {
      const d = new Draw(seed, dtype);
      const fwd = { h: d.floats(B * H), c: d.floats(B * H), act: d.floats(B * 4 * H), pre: d.floats(B * 4 * H, -3, 3), cPrev: d.floats(B * H, -2, 2) };
      check(threads, skew, fwd, (k, v) => k.lstmForward(v.h as Vec, v.c as Vec, (alias ? v.pre : v.act) as Vec, v.pre as Vec, v.cPrev as Vec, B, H), {
        outputs: alias ? { h: 1, c: 3, pre: 1 } : { h: 1, c: 3, act: 1 },
        rtol: pt,
      });
      // backward on valid activations (the oracle's forward of the same inputs)
      const act = new Float64Array(B * 4 * H), h = new Float64Array(B * H), c = new Float64Array(B * H);
      naive.lstmForward(h, c, act, fwd.pre, fwd.cPrev, B, H);
      const r = (x: Float64Array) => (dtype === 'float32' ? x.map(Math.fround) : x);
      const bwd = { dpre: d.floats(B * 4 * H), dcPrev: d.floats(B * H), dh: d.floats(B * H), dc: d.floats(B * H), act: r(act), c: r(c), cPrev: fwd.cPrev };
      check(threads, skew, bwd, (k, v) => k.lstmBackward(v.dpre as Vec, (alias ? v.dc : v.dcPrev) as Vec, v.dh as Vec, v.dc as Vec, v.act as Vec, v.c as Vec, v.cPrev as Vec, B, H), {
        outputs: alias ? { dpre: 4, dc: 2 } : { dpre: 4, dcPrev: 2 },
        rtol: pt,
      });
    }, TIMEOUT_MS);

    test.prop(cellArgs, runs(60))('gruForward, gruBackward', ({ shape: [B, H], threads, skew, seed }) => {
      const d = new Draw(seed, dtype);
      const fwd = { h: d.floats(B * H), act: d.floats(B * 3 * H), gi: d.floats(B * 3 * H, -3, 3), gh: d.floats(B * 3 * H, -3, 3), hPrev: d.floats(B * H) };
      check(threads, skew, fwd, (k, v) => k.gruForward(v.h as Vec, v.act as Vec, v.gi as Vec, v.gh as Vec, v.hPrev as Vec, B, H), {
        outputs: { h: 2, act: 1 },
        rtol: pt,
      });
      const act = new Float64Array(B * 3 * H), h = new Float64Array(B * H);
      naive.gruForward(h, act, fwd.gi, fwd.gh, fwd.hPrev, B, H);
      const bwd = {
        dgi: d.floats(B * 3 * H), dgh: d.floats(B * 3 * H), dhPrev: d.floats(B * H), dh: d.floats(B * H),
        act: dtype === 'float32' ? act.map(Math.fround) : act, gh: fwd.gh, hPrev: fwd.hPrev,
      };
      check(threads, skew, bwd, (k, v) => k.gruBackward(v.dgi as Vec, v.dgh as Vec, v.dhPrev as Vec, v.dh as Vec, v.act as Vec, v.gh as Vec, v.hPrev as Vec, B, H), {
        outputs: { dgi: 4, dgh: 4, dhPrev: 1 },
        rtol: pt,
      });
    }, TIMEOUT_MS);

    test.prop(cellArgs, runs(60))('rnnForward, rnnBackward (h = pre, dpre = dh aliased too)', ({ shape: [B, H], alias, threads, skew, seed }) => {
      const d = new Draw(seed, dtype);
      check(threads, skew, { h: d.floats(B * H), pre: d.floats(B * H, -3, 3) }, (k, v) => k.rnnForward((alias ? v.pre : v.h) as Vec, v.pre as Vec, B, H), {
        outputs: alias ? { pre: 1 } : { h: 1 },
        rtol: pt,
      });
      check(threads, skew, { dpre: d.floats(B * H), dh: d.floats(B * H), h: d.floats(B * H) }, (k, v) => k.rnnBackward((alias ? v.dh : v.dpre) as Vec, v.dh as Vec, v.h as Vec, B, H), {
        outputs: alias ? { dh: 1 } : { dpre: 1 },
        rtol: pt,
      });
    }, TIMEOUT_MS);

    // ---- loss ------------------------------------------------------------------------------------------------------
    test.prop({ shape: rowShape, alias: fc.boolean(), flat: fc.boolean(), threads: threadsArb, skew, seed }, runs(60))(
      'layerNormForward, layerNormBackward (y = x, dx = dy aliased too; near-constant rows too)',
      ({ shape: [M, N], alias, flat, threads, skew, seed }) => {
        const d = new Draw(seed, dtype);
        // flat: rows that barely vary, where rstd is large and eps matters
        const x = flat ? d.floats(M * N, -1e-3, 1e-3).map((v, i) => (dtype === 'float32' ? Math.fround(0.5 + v) : 0.5 + v) + 0 * i) : d.floats(M * N, -3, 3);
        const gain = d.floats(N, -2, 2), bias = d.floats(N);
        const mean = new Float64Array(M), rstd = new Float64Array(M), y = new Float64Array(M * N);
        naive.layerNormForward(y, mean, rstd, x, gain, bias, M, N);
        const xh = x.map((v, i) => (v - mean[Math.floor(i / N)]) * rstd[Math.floor(i / N)]);
        // float32 rounding of x relative to its spread: x̂ is then known to |x|·rstd·u
        const fScale = xh.map((v, i) => (Math.abs(v) + Math.abs(x[i]) * rstd[Math.floor(i / N)]) * Math.abs(gain[i % N]) + Math.abs(bias[i % N]));
        const fwd = { y: d.floats(M * N), mean: d.floats(M), rstd: d.floats(M), x, gain, bias };
        check(threads, skew, fwd, (k, v) => k.layerNormForward((alias ? v.x : v.y) as Vec, v.mean as Vec, v.rstd as Vec, v.x as Vec, v.gain as Vec, v.bias as Vec, M, N), {
          outputs: alias ? { x: fScale, mean: 0, rstd: 0 } : { y: fScale, mean: 0, rstd: 0 },
          rtol: 4 * gamma(N, dtype),
        });
        const r = (a: Float64Array) => (dtype === 'float32' ? a.map(Math.fround) : a);
        const dy = d.floats(M * N), dgain = d.floats(N), dbias = d.floats(N);
        const dxScale = dy.map((v, i) => {
          const m = Math.floor(i / N);
          let s = 0;
          for (let j = 0; j < N; j++) s += Math.abs(dy[m * N + j] * gain[j]) * (1 + Math.abs(xh[m * N + j]) * Math.abs(xh[i]));
          return rstd[m] * (Math.abs(v * gain[i % N]) + s / N) * (1 + Math.abs(x[i]) * rstd[m]);
        });
        const gScale = new Float64Array(N), bScale = new Float64Array(N);
        for (let j = 0; j < N; j++) {
          gScale[j] = Math.abs(dgain[j]);
          bScale[j] = Math.abs(dbias[j]);
          for (let m = 0; m < M; m++) {
            gScale[j] += Math.abs(dy[m * N + j]) * (Math.abs(xh[m * N + j]) + Math.abs(x[m * N + j]) * rstd[m]);
            bScale[j] += Math.abs(dy[m * N + j]);
          }
        }
        const bwd = { dx: d.floats(M * N), dgain, dbias, dy, x, mean: r(mean), rstd: r(rstd), gain };
        check(threads, skew, bwd, (k, v) => k.layerNormBackward((alias ? v.dy : v.dx) as Vec, v.dgain as Vec, v.dbias as Vec, v.dy as Vec, v.x as Vec, v.mean as Vec, v.rstd as Vec, v.gain as Vec, M, N), {
          outputs: alias ? { dy: dxScale, dgain: gScale, dbias: bScale } : { dx: dxScale, dgain: gScale, dbias: bScale },
          rtol: 4 * gamma(Math.max(M, N), dtype),
        });
      },
      TIMEOUT_MS,
    );

    test.prop(cellArgs, runs(40))('lstmNormForward, lstmNormBackward (dcn = dh aliased too)', ({ shape: [B, H], alias, threads, skew, seed }) => {
      const d = new Draw(seed, dtype);
      const act = d.floats(B * 4 * H, 0, 1), cn = d.floats(B * H, -3, 3);
      check(threads, skew, { h: d.floats(B * H), act, cn }, (k, v) => k.lstmNormForward(v.h as Vec, v.act as Vec, v.cn as Vec, B, H), { outputs: { h: 1 }, rtol: pt });
      check(threads, skew, { dcn: d.floats(B * H), dh: d.floats(B * H), act, cn }, (k, v) => k.lstmNormBackward((alias ? v.dh : v.dcn) as Vec, v.dh as Vec, v.act as Vec, v.cn as Vec, B, H), {
        outputs: alias ? { dh: 1 } : { dcn: 1 },
        rtol: pt,
      });
    }, TIMEOUT_MS);

    test.prop(
      {
        shape: fc.tuple(dim, fc.oneof(fc.integer({ min: 1, max: 70 }), dim)).map(([M, V]) => fit([M, V], ([m, v]) => m * v <= 250_000)),
        alias: fc.boolean(),
        spread: fc.constantFrom(3, 60),
        threads: threadsArb,
        skew,
        seed,
      },
      runs(60),
    )('softmaxXent (dlogits = logits aliased too)', ({ shape: [M, V], alias, spread, threads, skew, seed }) => {
      const d = new Draw(seed, dtype);
      const values = { logits: d.floats(M * V, -spread, spread), dlogits: d.floats(M * V), targets: d.ids(M, V) };
      const want = naive.softmaxXent(new Float64Array(M * V), values.logits, values.targets, M, V, 0.3);
      check(threads, skew, values, (k, v) => k.softmaxXent((alias ? v.logits : v.dlogits) as Vec, v.logits as Vec, v.targets as Int32Array, M, V, 0.3), {
        outputs: alias ? { logits: 0.3 } : { dlogits: 0.3 },
        rtol: pt,
        retTol: pt * (Math.abs(want) + M * spread),
      });
    }, TIMEOUT_MS);

    // ---- optimizers --------------------------------------------------------------------------------------------------
    test.prop(
      { op: fc.constantFrom('adam', 'rmsprop', 'sgd'), n: length, t: fc.integer({ min: 1, max: 3 }), gScale: fc.constantFrom(1, 0.7), threads: threadsArb, skew, seed },
      runs(60),
    )('adam, rmsprop, sgd', ({ op, n, t, gScale, threads, skew, seed }) => {
      const d = new Draw(seed, dtype);
      const p = d.floats(n), g = d.floats(n), m = d.floats(n, 0, 0.1), v2 = d.floats(n, 0, 0.1);
      // parameter steps are O(lr) (Adam, RMSprop) and O(1e-1) (SGD): absolute scales of 1, as in kernels.test.ts
      if (op === 'adam') {
        return check(threads, skew, { p, g, m, v: v2 }, (k, v) => k.adam(v.p as Vec, v.g as Vec, v.m as Vec, v.v as Vec, n, 2e-3, 0.9, 0.999, 1e-8, t, gScale), {
          outputs: { p: 1, m: 1, v: 1 },
          rtol: pt,
        });
      }
      if (op === 'rmsprop') {
        return check(threads, skew, { p, g, s: v2 }, (k, v) => k.rmsprop(v.p as Vec, v.g as Vec, v.s as Vec, n, 1e-3, 0.99, 1e-8, gScale), { outputs: { p: 1, s: 1 }, rtol: pt });
      }
      return check(threads, skew, { p, g, buf: m }, (k, v) => k.sgd(v.p as Vec, v.g as Vec, v.buf as Vec, n, 0.1, 0.9, gScale), { outputs: { p: 1, buf: 1 }, rtol: pt });
    }, TIMEOUT_MS);
  });
}

