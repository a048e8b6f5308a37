/**
 * Matrix products on f32x4. Every output element is computed the same way whichever tile or thread handles it
 * (start from out or 0, then add a·b for k in order, block by block), so splitting the work across threads
 * never changes a result bit.
 *
 * All three share one routine, `gemm`: A element (i, k) sits at a + 4·(i·ar + k·ak), so mm and mmNT have
 * (ar, ak) = (K, 1) and mmTN, whose a is stored (K, M), has (1, M). B is row-major (K, N) for mm and mmTN; mmNT
 * reads b (N, K) through transposed packed strips. The layout follows the classic BLAS design: A packed into
 * panels of 6 rows, B into 16-column strips, and a register tile that reads both with unit stride.
 *
 * Sizes: M, K, N as in kernels.ts; pointers are byte offsets into the shared memory.
 */
import { madd, maddS, shareStart } from './simd';

/** K block: keeps a 16-column strip of B (KC × 64 bytes) in L1 while all row tiles pass over it. */
const KC: i32 = 256;

// ---- gemm tiles: out (rows × cols) [+]= A (rows × kn) · B (kn × cols) ------------------------------------

/**
 * The main tile: 6 rows × 8 columns from a packed A panel (6 floats per k) and a packed strip of B (16 floats
 * per k, this tile reads 8 of them): 12 accumulators, 2 loads of B and 6 splats of A per k, and no pointer
 * arithmetic but the two bumps. Measured on V8 (Node 20, Zen 4) against 4×8, 5×8, 4×12, 3×16 and 2×16 tiles
 * and unrolled variants: with FMA the plain loop reaches ~96% of the 128-bit peak (56 of 58 GFLOP/s on one
 * core); with separate mul and add a loop unrolled twice is fastest (42 of 46), the plain one much slower
 * (28), and only while the function holds that one loop (V8's register allocation): hence one body per
 * build, and an odd k done first by the plain loop.
 */
// @ts-ignore: decorator
@inline function tile6x8(po: usize, ok: usize, pa: usize, pb: usize, kn: i32, ld: bool): void {
  if (ASC_FEATURE_RELAXED_SIMD) {
    tile6x8by1(po, ok, pa, pb, kn, ld);
  } else {
    if (kn & 1) {
      tile6x8by1(po, ok, pa, pb, 1, ld);
      pa += 24; pb += 64; kn--; ld = true;
    }
    if (kn > 0) tile6x8by2(po, ok, pa, pb, kn, ld);
  }
}

function tile6x8by1(po: usize, ok: usize, pa: usize, pb: usize, kn: i32, ld: bool): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  let c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  if (ld) {
    c00 = v128.load(po); c01 = v128.load(po, 16);
    c10 = v128.load(po + ok); c11 = v128.load(po + ok, 16);
    c20 = v128.load(po + 2 * ok); c21 = v128.load(po + 2 * ok, 16);
    c30 = v128.load(po + 3 * ok); c31 = v128.load(po + 3 * ok, 16);
    c40 = v128.load(po + 4 * ok); c41 = v128.load(po + 4 * ok, 16);
    c50 = v128.load(po + 5 * ok); c51 = v128.load(po + 5 * ok, 16);
  }
  for (let k = 0; k < kn; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let s = v128.load32_splat(pa); c00 = madd(s, b0, c00); c01 = madd(s, b1, c01);
    s = v128.load32_splat(pa, 4); c10 = madd(s, b0, c10); c11 = madd(s, b1, c11);
    s = v128.load32_splat(pa, 8); c20 = madd(s, b0, c20); c21 = madd(s, b1, c21);
    s = v128.load32_splat(pa, 12); c30 = madd(s, b0, c30); c31 = madd(s, b1, c31);
    s = v128.load32_splat(pa, 16); c40 = madd(s, b0, c40); c41 = madd(s, b1, c41);
    s = v128.load32_splat(pa, 20); c50 = madd(s, b0, c50); c51 = madd(s, b1, c51);
    pa += 24; pb += 64;
  }
  v128.store(po, c00); v128.store(po, c01, 16);
  v128.store(po + ok, c10); v128.store(po + ok, c11, 16);
  v128.store(po + 2 * ok, c20); v128.store(po + 2 * ok, c21, 16);
  v128.store(po + 3 * ok, c30); v128.store(po + 3 * ok, c31, 16);
  v128.store(po + 4 * ok, c40); v128.store(po + 4 * ok, c41, 16);
  v128.store(po + 5 * ok, c50); v128.store(po + 5 * ok, c51, 16);
}

/**
 * kn even. The accumulator loads and stores repeat tile6x8by1's on purpose: AssemblyScript has no multi-value
 * return to share them, and V8 allocates this loop's registers well only while it is the function's one loop.
 */
function tile6x8by2(po: usize, ok: usize, pa: usize, pb: usize, kn: i32, ld: bool): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  let c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  if (ld) {
    c00 = v128.load(po); c01 = v128.load(po, 16);
    c10 = v128.load(po + ok); c11 = v128.load(po + ok, 16);
    c20 = v128.load(po + 2 * ok); c21 = v128.load(po + 2 * ok, 16);
    c30 = v128.load(po + 3 * ok); c31 = v128.load(po + 3 * ok, 16);
    c40 = v128.load(po + 4 * ok); c41 = v128.load(po + 4 * ok, 16);
    c50 = v128.load(po + 5 * ok); c51 = v128.load(po + 5 * ok, 16);
  }
  for (let k = 0; k < kn; k += 2) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let s = v128.load32_splat(pa); c00 = madd(s, b0, c00); c01 = madd(s, b1, c01);
    s = v128.load32_splat(pa, 4); c10 = madd(s, b0, c10); c11 = madd(s, b1, c11);
    s = v128.load32_splat(pa, 8); c20 = madd(s, b0, c20); c21 = madd(s, b1, c21);
    s = v128.load32_splat(pa, 12); c30 = madd(s, b0, c30); c31 = madd(s, b1, c31);
    s = v128.load32_splat(pa, 16); c40 = madd(s, b0, c40); c41 = madd(s, b1, c41);
    s = v128.load32_splat(pa, 20); c50 = madd(s, b0, c50); c51 = madd(s, b1, c51);
    const b2 = v128.load(pb, 64), b3 = v128.load(pb, 80);
    s = v128.load32_splat(pa, 24); c00 = madd(s, b2, c00); c01 = madd(s, b3, c01);
    s = v128.load32_splat(pa, 28); c10 = madd(s, b2, c10); c11 = madd(s, b3, c11);
    s = v128.load32_splat(pa, 32); c20 = madd(s, b2, c20); c21 = madd(s, b3, c21);
    s = v128.load32_splat(pa, 36); c30 = madd(s, b2, c30); c31 = madd(s, b3, c31);
    s = v128.load32_splat(pa, 40); c40 = madd(s, b2, c40); c41 = madd(s, b3, c41);
    s = v128.load32_splat(pa, 44); c50 = madd(s, b2, c50); c51 = madd(s, b3, c51);
    pa += 48; pb += 128;
  }
  v128.store(po, c00); v128.store(po, c01, 16);
  v128.store(po + ok, c10); v128.store(po + ok, c11, 16);
  v128.store(po + 2 * ok, c20); v128.store(po + 2 * ok, c21, 16);
  v128.store(po + 3 * ok, c30); v128.store(po + 3 * ok, c31, 16);
  v128.store(po + 4 * ok, c40); v128.store(po + 4 * ok, c41, 16);
  v128.store(po + 5 * ok, c50); v128.store(po + 5 * ok, c51, 16);
}

/** 4 rows × 8 columns: 8 accumulators, 2 loads of B and 4 splats of A per k. */
function tile4x8(po: usize, ok: usize, pa: usize, ar: usize, ak: usize, pb: usize, bk: usize, kn: i32, ld: bool): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  if (ld) {
    c00 = v128.load(po); c01 = v128.load(po, 16);
    c10 = v128.load(po + ok); c11 = v128.load(po + ok, 16);
    c20 = v128.load(po + 2 * ok); c21 = v128.load(po + 2 * ok, 16);
    c30 = v128.load(po + 3 * ok); c31 = v128.load(po + 3 * ok, 16);
  }
  let a0 = pa, a1 = pa + ar, a2 = pa + 2 * ar, a3 = pa + 3 * ar;
  for (let k = 0; k < kn; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let s = v128.load32_splat(a0);
    c00 = madd(s, b0, c00); c01 = madd(s, b1, c01);
    s = v128.load32_splat(a1);
    c10 = madd(s, b0, c10); c11 = madd(s, b1, c11);
    s = v128.load32_splat(a2);
    c20 = madd(s, b0, c20); c21 = madd(s, b1, c21);
    s = v128.load32_splat(a3);
    c30 = madd(s, b0, c30); c31 = madd(s, b1, c31);
    a0 += ak; a1 += ak; a2 += ak; a3 += ak; pb += bk;
  }
  v128.store(po, c00); v128.store(po, c01, 16);
  v128.store(po + ok, c10); v128.store(po + ok, c11, 16);
  v128.store(po + 2 * ok, c20); v128.store(po + 2 * ok, c21, 16);
  v128.store(po + 3 * ok, c30); v128.store(po + 3 * ok, c31, 16);
}

/** 4 rows × 4 columns (column remainder). */
function tile4x4(po: usize, ok: usize, pa: usize, ar: usize, ak: usize, pb: usize, bk: usize, kn: i32, ld: bool): void {
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
  if (ld) { c0 = v128.load(po); c1 = v128.load(po + ok); c2 = v128.load(po + 2 * ok); c3 = v128.load(po + 3 * ok); }
  let a0 = pa, a1 = pa + ar, a2 = pa + 2 * ar, a3 = pa + 3 * ar;
  for (let k = 0; k < kn; k++) {
    const b0 = v128.load(pb);
    c0 = madd(v128.load32_splat(a0), b0, c0);
    c1 = madd(v128.load32_splat(a1), b0, c1);
    c2 = madd(v128.load32_splat(a2), b0, c2);
    c3 = madd(v128.load32_splat(a3), b0, c3);
    a0 += ak; a1 += ak; a2 += ak; a3 += ak; pb += bk;
  }
  v128.store(po, c0); v128.store(po + ok, c1); v128.store(po + 2 * ok, c2); v128.store(po + 3 * ok, c3);
}

/** 1 row × 16 columns: the matrix-vector shape (sampling with batch 1) and row remainders. */
function tile1x16(po: usize, pa: usize, ak: usize, pb: usize, bk: usize, kn: i32, ld: bool): void {
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
  if (ld) { c0 = v128.load(po); c1 = v128.load(po, 16); c2 = v128.load(po, 32); c3 = v128.load(po, 48); }
  for (let k = 0; k < kn; k++) {
    const s = v128.load32_splat(pa);
    c0 = madd(s, v128.load(pb), c0);
    c1 = madd(s, v128.load(pb, 16), c1);
    c2 = madd(s, v128.load(pb, 32), c2);
    c3 = madd(s, v128.load(pb, 48), c3);
    pa += ak; pb += bk;
  }
  v128.store(po, c0); v128.store(po, c1, 16); v128.store(po, c2, 32); v128.store(po, c3, 48);
}

/** 1 row × 4 columns. */
function tile1x4(po: usize, pa: usize, ak: usize, pb: usize, bk: usize, kn: i32, ld: bool): void {
  let c0 = ld ? v128.load(po) : f32x4.splat(0);
  for (let k = 0; k < kn; k++) {
    c0 = madd(v128.load32_splat(pa), v128.load(pb), c0);
    pa += ak; pb += bk;
  }
  v128.store(po, c0);
}

/** One element (column remainder below 4). */
function tile1x1(po: usize, pa: usize, ak: usize, pb: usize, bk: usize, kn: i32, ld: bool): void {
  let c: f32 = ld ? load<f32>(po) : 0;
  for (let k = 0; k < kn; k++) {
    c = maddS(load<f32>(pa), load<f32>(pb), c);
    pa += ak; pb += bk;
  }
  store<f32>(po, c);
}

/**
 * Most rows per block: the packed A block (at most MC × KC floats, 264 KiB) stays in L2 while every column strip
 * passes. Each block packs every strip of B again, so a share's rows are cut into as few, equal blocks as fit.
 */
const MC: i32 = 264;
/** Rows of a packed A panel (the main tile's height). */
const MR: i32 = 6;

/**
 * Per-thread scratch (each instance has its own globals): a packed 16-column strip of B (KC × 16 floats), then
 * the packed A block (MC × KC floats in panels of MR rows, MR floats per k).
 * B's rows are often 2^n floats apart (4H = 512): walking a strip down K then maps every row to the same two
 * L1 sets, so the strip would not stay in L1; packed, it is 16 KiB of consecutive lines.
 */
let strip: usize = 0, apack: usize = 0;
const STRIP_SIZE: i32 = KC * 16 * 4;
export const SCRATCH_BYTES: i32 = STRIP_SIZE + MC * KC * 4;
export function setScratch(ptr: usize): void {
  strip = ptr;
  apack = ptr + STRIP_SIZE;
}

/** Copy B[k0 .. k0+kn) × [j, j+16) (row length N) into the strip, 16 floats per k. */
function packStrip(pb: usize, ok: usize, kn: i32): void {
  let d = strip;
  for (let k = 0; k < kn; k++) {
    v128.store(d, v128.load(pb)); v128.store(d, v128.load(pb, 16), 16);
    v128.store(d, v128.load(pb, 32), 32); v128.store(d, v128.load(pb, 48), 48);
    d += 64; pb += ok;
  }
}

/** Transpose b rows [j, j+16) × [k0, k0+kn) (row length rs bytes) into the strip: 16 floats per k. */
function packStripT(pb: usize, rs: usize, kn: i32): void {
  const k4 = kn & ~3;
  for (let c = 0; c < 16; c += 4) {
    const r0 = pb + <usize>c * rs, r1 = r0 + rs, r2 = r1 + rs, r3 = r2 + rs;
    let d = strip + (<usize>c << 2);
    for (let k = 0; k < k4; k += 4) {
      const o = <usize>k << 2;
      const x0 = v128.load(r0 + o), x1 = v128.load(r1 + o), x2 = v128.load(r2 + o), x3 = v128.load(r3 + o);
      // 4x4 transpose: row q of the result = element q of each of x0..x3
      const t0 = f32x4.shuffle(x0, x1, 0, 4, 1, 5), t1 = f32x4.shuffle(x2, x3, 0, 4, 1, 5);
      const t2 = f32x4.shuffle(x0, x1, 2, 6, 3, 7), t3 = f32x4.shuffle(x2, x3, 2, 6, 3, 7);
      v128.store(d, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
      v128.store(d, f32x4.shuffle(t0, t1, 2, 3, 6, 7), 64);
      v128.store(d, f32x4.shuffle(t2, t3, 0, 1, 4, 5), 128);
      v128.store(d, f32x4.shuffle(t2, t3, 2, 3, 6, 7), 192);
      d += 256;
    }
    for (let k = k4; k < kn; k++) {
      const o = <usize>k << 2;
      store<f32>(d, load<f32>(r0 + o)); store<f32>(d, load<f32>(r1 + o), 4);
      store<f32>(d, load<f32>(r2 + o), 8); store<f32>(d, load<f32>(r3 + o), 12);
      d += 64;
    }
  }
}

/**
 * Pack rows [0, rows) (a multiple of MR) × kn of A into panels: panel g holds, for each k, the MR floats
 * A(g·MR + r, k). arB, akB: byte strides of A's rows and k.
 */
function packA(pa: usize, arB: usize, akB: usize, rows: i32, kn: i32): void {
  let d = apack;
  for (let g = 0; g < rows; g += MR) {
    const p0 = pa + <usize>g * arB;
    if (arB == 4) {
      // A stored (K, M) (mmTN): a panel's MR floats are consecutive for each k
      let q = p0;
      for (let k = 0; k < kn; k++) {
        v128.store(d, v128.load(q));
        store<u64>(d, load<u64>(q, 16), 16);
        d += 24; q += akB;
      }
    } else {
      // A row-major (mm, mmNT): transpose 6 rows × 4 k at a time (a column split packs all of A in every
      // chunk, so this copy must be cheap next to the products), the last k one by one
      const r0 = p0, r1 = r0 + arB, r2 = r1 + arB, r3 = r2 + arB, r4 = r3 + arB, r5 = r4 + arB;
      const k4 = kn & ~3;
      for (let k = 0; k < k4; k += 4) {
        const o = <usize>k << 2;
        const x0 = v128.load(r0 + o), x1 = v128.load(r1 + o), x2 = v128.load(r2 + o), x3 = v128.load(r3 + o);
        const x4 = v128.load(r4 + o), x5 = v128.load(r5 + o);
        const t0 = f32x4.shuffle(x0, x1, 0, 4, 1, 5), t1 = f32x4.shuffle(x2, x3, 0, 4, 1, 5);
        const t2 = f32x4.shuffle(x0, x1, 2, 6, 3, 7), t3 = f32x4.shuffle(x2, x3, 2, 6, 3, 7);
        const u0 = f32x4.shuffle(x4, x5, 0, 4, 1, 5), u1 = f32x4.shuffle(x4, x5, 2, 6, 3, 7);
        v128.store(d, f32x4.shuffle(t0, t1, 0, 1, 4, 5)); v128.store64_lane(d, u0, 0, 16);
        v128.store(d, f32x4.shuffle(t0, t1, 2, 3, 6, 7), 24); v128.store64_lane(d, u0, 1, 40);
        v128.store(d, f32x4.shuffle(t2, t3, 0, 1, 4, 5), 48); v128.store64_lane(d, u1, 0, 64);
        v128.store(d, f32x4.shuffle(t2, t3, 2, 3, 6, 7), 72); v128.store64_lane(d, u1, 1, 88);
        d += 96;
      }
      for (let k = k4; k < kn; k++) {
        const o = <usize>k << 2;
        store<f32>(d, load<f32>(r0 + o)); store<f32>(d, load<f32>(r1 + o), 4);
        store<f32>(d, load<f32>(r2 + o), 8); store<f32>(d, load<f32>(r3 + o), 12);
        store<f32>(d, load<f32>(r4 + o), 16); store<f32>(d, load<f32>(r5 + o), 20);
        d += 24;
      }
    }
  }
}

/**
 * out rows [i0, i1) × columns [j0, j1) [+]= A · B. A element (i, k) at a + 4·(i·ar + k·ak); B element (k, j) at
 * b + 4·(k·N + j), or, when bT, at b + 4·(j·K + k) (b stored (N, K)). N is also the row length of out.
 * Per K block and row block: A packed in 6-row panels, then 16-column strips of B packed and passed over by
 * every panel (rows past the last panel take strided tiles on the same strip); columns past the last strip
 * take tiles straight from B.
 */
export function gemm(out: usize, a: usize, ar: i32, ak: i32, b: usize, bT: bool, M: i32, K: i32, N: i32, acc: bool,
                     i0: i32, i1: i32, j0: i32, j1: i32): void {
  // an empty share (more chunks than panels or strips) has nothing to do; the block arithmetic below divides
  // by the number of row blocks, which is 0 for an empty row range
  if (i0 >= i1 || j0 >= j1) return;
  const ok = <usize>N << 2, rs = <usize>K << 2, arB = <usize>ar << 2, akB = <usize>ak << 2;
  const blocks = (i1 - i0 + MC - 1) / MC;
  const mc = ((i1 - i0 + blocks - 1) / blocks + MR - 1) / MR * MR; // <= MC: MC is a multiple of MR
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kn = min(KC, K - k0);
    const ld = acc || k0 > 0;
    const pa = a + <usize>k0 * akB;
    const pb = bT ? b + (<usize>k0 << 2) : b + <usize>k0 * ok;
    for (let ib = i0; ib < i1; ib += mc) {
      const ie = min(i1, ib + mc);
      const i6 = ib + (ie - ib) / MR * MR; // end of the packed panels
      const i4 = i6 + ((ie - i6) & ~3); // then at most one 4-row tile
      let j = j0;
      if (ie - ib >= 4 || bT) {
        if (i6 > ib) packA(pa + <usize>ib * arB, arB, akB, i6 - ib, kn);
        for (; j + 16 <= j1; j += 16) {
          if (bT) packStripT(pb + <usize>j * rs, rs, kn);
          else packStrip(pb + (<usize>j << 2), ok, kn);
          for (let i = ib; i < i6; i += MR) {
            const po = out + (<usize>i * N + j) * 4, pap = apack + <usize>(i - ib) * kn * 4;
            tile6x8(po, ok, pap, strip, kn, ld);
            tile6x8(po + 32, ok, pap, strip + 32, kn, ld);
          }
          for (let i = i6; i < i4; i += 4) {
            const po = out + (<usize>i * N + j) * 4, pai = pa + <usize>i * arB;
            tile4x8(po, ok, pai, arB, akB, strip, 64, kn, ld);
            tile4x8(po + 32, ok, pai, arB, akB, strip + 32, 64, kn, ld);
          }
          for (let i = i4; i < ie; i++) {
            tile1x16(out + (<usize>i * N + j) * 4, pa + <usize>i * arB, akB, strip, 64, kn, ld);
          }
        }
      }
      if (j >= j1) continue;
      if (bT) {
        for (; j < j1; j++) {
          for (let i = ib; i < ie; i++) {
            tile1x1(out + (<usize>i * N + j) * 4, pa + <usize>i * arB, akB, pb + <usize>j * rs, 4, kn, ld);
          }
        }
      } else gemmDirect(out, pa, arB, akB, pb, N, kn, ld, ib, ib + ((ie - ib) & ~3), ie, j, j1);
    }
  }
}

/** Rows [ib, ie) × columns [j0, j1) of one K block straight from B: 4-row tiles up to i4, then single rows. */
function gemmDirect(out: usize, pa: usize, arB: usize, akB: usize, pb: usize, N: i32, kn: i32, ld: bool,
                    ib: i32, i4: i32, ie: i32, j0: i32, j1: i32): void {
  const ok = <usize>N << 2;
  let j = j0;
  for (; j + 8 <= j1; j += 8) {
    for (let i = ib; i < i4; i += 4) {
      tile4x8(out + (<usize>i * N + j) * 4, ok, pa + <usize>i * arB, arB, akB, pb + (<usize>j << 2), ok, kn, ld);
    }
  }
  for (; j + 4 <= j1; j += 4) {
    for (let i = ib; i < i4; i += 4) {
      tile4x4(out + (<usize>i * N + j) * 4, ok, pa + <usize>i * arB, arB, akB, pb + (<usize>j << 2), ok, kn, ld);
    }
  }
  for (; j < j1; j++) {
    for (let i = ib; i < i4; i++) {
      tile1x1(out + (<usize>i * N + j) * 4, pa + <usize>i * arB, akB, pb + (<usize>j << 2), ok, kn, ld);
    }
  }
  // remainder rows: one row at a time, widest tiles first (the matrix-vector case M = 1 lands here)
  for (let i = i4; i < ie; i++) {
    const po = out + <usize>i * N * 4, pai = pa + <usize>i * arB;
    let jj = j0;
    for (; jj + 16 <= j1; jj += 16) tile1x16(po + (<usize>jj << 2), pai, akB, pb + (<usize>jj << 2), ok, kn, ld);
    for (; jj + 4 <= j1; jj += 4) tile1x4(po + (<usize>jj << 2), pai, akB, pb + (<usize>jj << 2), ok, kn, ld);
    for (; jj < j1; jj++) tile1x1(po + (<usize>jj << 2), pai, akB, pb + (<usize>jj << 2), ok, kn, ld);
  }
}

// ---- partitioning: chunk t of nt takes a contiguous share; tiles never straddle a share boundary ----------

/**
 * Shares: by 16-column strips when rows are few and every chunk gets a whole strip (each share
 * packs only its own strips), else by whole panels of rows (each share packs only its own rows of A). nt is
 * the call's chunk count, which may exceed the panels or strips there are: the shares past them are empty.
 */
function gemmPart(t: i32, nt: i32, out: usize, a: usize, ar: i32, ak: i32, b: usize, bT: bool,
                  M: i32, K: i32, N: i32, acc: bool): void {
  if (nt <= 1) {
    gemm(out, a, ar, ak, b, bT, M, K, N, acc, 0, M, 0, N);
  } else if (M < 64 * nt && N >= 16 * nt) {
    gemm(out, a, ar, ak, b, bT, M, K, N, acc, 0, M, shareStart(N, 16, t, nt), shareStart(N, 16, t + 1, nt));
  } else {
    gemm(out, a, ar, ak, b, bT, M, K, N, acc, shareStart(M, MR, t, nt), shareStart(M, MR, t + 1, nt), 0, N);
  }
}

export function mm(t: i32, nt: i32, out: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32): void {
  gemmPart(t, nt, out, a, K, 1, b, false, M, K, N, acc != 0);
}

export function mmTN(t: i32, nt: i32, out: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32): void {
  gemmPart(t, nt, out, a, 1, M, b, false, M, K, N, acc != 0);
}

export function mmNT(t: i32, nt: i32, out: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32): void {
  gemmPart(t, nt, out, a, K, 1, b, true, M, K, N, acc != 0);
}
