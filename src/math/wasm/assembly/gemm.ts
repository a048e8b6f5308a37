/**
 * Matrix products on f32x4. Every output element is computed the same way whichever tile or thread handles it
 * (start from out or 0, then add a·b for k in order, block by block), so splitting the work across threads
 * never changes a result bit.
 *
 * mm and mmTN share one routine, `gemm`: A element (i, k) sits at a + 4·(i·ar + k·ak), so mm has
 * (ar, ak) = (K, 1) and mmTN, whose a is stored (K, M), has (1, M). B is always row-major (K, N).
 * mmNT runs the same tiles on transposed packed strips of b.
 *
 * Sizes: M, K, N as in kernels.ts; pointers are byte offsets into the shared memory.
 */
import { madd, maddS, shareStart } from './simd';

/** K block: keeps a 16-column strip of B (KC × 64 bytes) in L1 while all row tiles pass over it. */
const KC: i32 = 256;

// ---- gemm tiles: out (rows × cols) [+]= A (rows × kn) · B (kn × cols) ------------------------------------

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

/** Rows per block: the A block (MC × KC floats, 128 KiB) stays in L2 while every column strip passes. */
const MC: i32 = 128;

/**
 * Per-thread scratch (each instance has its own globals): a packed 16-column strip of B, KC × 16 floats.
 * B's rows are often 2^n floats apart (4H = 512): walking a strip down K then maps every row to the same two
 * L1 sets, so the strip would not stay in L1; packed, it is 16 KiB of consecutive lines.
 */
let strip: usize = 0;
export const STRIP_BYTES: i32 = KC * 16 * 4;
export function setScratch(ptr: usize): void {
  strip = ptr;
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

/**
 * out rows [i0, i1) × columns [j0, j1) [+]= A · B. ar, ak in elements; N is the row length of B and out.
 * Per K block and row block: 16-column strips of B (packed when 4 or more rows use them), all row tiles inside.
 */
export function gemm(out: usize, a: usize, ar: i32, ak: i32, b: usize, M: i32, K: i32, N: i32, acc: bool,
                     i0: i32, i1: i32, j0: i32, j1: i32): void {
  const ok = <usize>N << 2, arB = <usize>ar << 2, akB = <usize>ak << 2;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kn = min(KC, K - k0);
    const ld = acc || k0 > 0;
    const pa = a + <usize>k0 * akB;
    const pb = b + <usize>k0 * ok;
    for (let ib = i0; ib < i1; ib += MC) {
      const ie = min(i1, ib + MC);
      const i4 = ib + ((ie - ib) & ~3); // end of the 4-row tiles
      let j = j0;
      if (i4 > ib) {
        for (; j + 16 <= j1; j += 16) {
          packStrip(pb + (<usize>j << 2), ok, kn);
          for (let i = ib; i < i4; i += 4) {
            const po = out + (<usize>i * N + j) * 4, pai = pa + <usize>i * arB;
            tile4x8(po, ok, pai, arB, akB, strip, 64, kn, ld);
            tile4x8(po + 32, ok, pai, arB, akB, strip + 32, 64, kn, ld);
          }
          for (let i = i4; i < ie; i++) {
            tile1x16(out + (<usize>i * N + j) * 4, pa + <usize>i * arB, akB, strip, 64, kn, ld);
          }
        }
      }
      if (j < j1) gemmDirect(out, pa, arB, akB, pb, N, kn, ld, ib, i4, ie, j, j1);
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

// ---- mmNT: out (M,N) [+]= a (M,K) · b (N,K)ᵀ as gemm on strips of bᵀ ----------------------------------------

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

/** Rows per block of mmNT: the a block (MC × KC floats) stays in L2 while all strips of b pass. */
const MC_NT: i32 = MC;

/**
 * out rows [i0, i1) × columns [j0, j1) [+]= a (M,K) · b (N,K)ᵀ. Each output is the same sequential sum over k
 * as in gemm: full 16-column strips go through a transposed packed strip and the gemm tiles; the columns past
 * the last strip take single-element tiles straight from b's rows.
 */
export function gemmNT(out: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: bool,
                       i0: i32, i1: i32, j0: i32, j1: i32): void {
  const ok = <usize>N << 2, rs = <usize>K << 2;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kn = min(KC, K - k0);
    const ld = acc || k0 > 0;
    const pa = a + (<usize>k0 << 2), pb = b + (<usize>k0 << 2);
    for (let ib = i0; ib < i1; ib += MC_NT) {
      const ie = min(i1, ib + MC_NT);
      const i4 = ib + ((ie - ib) & ~3);
      let j = j0;
      for (; j + 16 <= j1; j += 16) {
        packStripT(pb + <usize>j * rs, rs, kn);
        for (let i = ib; i < i4; i += 4) {
          const po = out + (<usize>i * N + j) * 4, pai = pa + <usize>i * rs;
          tile4x8(po, ok, pai, rs, 4, strip, 64, kn, ld);
          tile4x8(po + 32, ok, pai, rs, 4, strip + 32, 64, kn, ld);
        }
        for (let i = i4; i < ie; i++) tile1x16(out + (<usize>i * N + j) * 4, pa + <usize>i * rs, 4, strip, 64, kn, ld);
      }
      for (; j < j1; j++) {
        for (let i = ib; i < ie; i++) tile1x1(out + (<usize>i * N + j) * 4, pa + <usize>i * rs, 4, pb + <usize>j * rs, 4, kn, ld);
      }
    }
  }
}

// ---- partitioning: thread t of nt takes a contiguous share; tiles never straddle a share boundary ---------

/**
 * Shares: by 16-column strips when rows are few and every share gets a strip (each share packs only its own
 * strips), else by 4-row tiles (each share streams only its own rows of A).
 */
function gemmPart(t: i32, nt: i32, out: usize, a: usize, ar: i32, ak: i32, b: usize, M: i32, K: i32, N: i32, acc: bool): void {
  if (nt <= 1) { gemm(out, a, ar, ak, b, M, K, N, acc, 0, M, 0, N); return; }
  if (M < 64 * nt && N >= 16 * nt) {
    gemm(out, a, ar, ak, b, M, K, N, acc, 0, M, shareStart(N, 16, t, nt), shareStart(N, 16, t + 1, nt));
  } else {
    gemm(out, a, ar, ak, b, M, K, N, acc, shareStart(M, 4, t, nt), shareStart(M, 4, t + 1, nt), 0, N);
  }
}

export function mm(t: i32, nt: i32, out: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32): void {
  gemmPart(t, nt, out, a, K, 1, b, M, K, N, acc != 0);
}

export function mmTN(t: i32, nt: i32, out: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32): void {
  gemmPart(t, nt, out, a, 1, M, b, M, K, N, acc != 0);
}

export function mmNT(t: i32, nt: i32, out: usize, a: usize, b: usize, M: i32, K: i32, N: i32, acc: i32): void {
  if (nt <= 1) { gemmNT(out, a, b, M, K, N, acc != 0, 0, M, 0, N); return; }
  if (M < 64 * nt && N >= 16 * nt) {
    gemmNT(out, a, b, M, K, N, acc != 0, 0, M, shareStart(N, 16, t, nt), shareStart(N, 16, t + 1, nt));
  } else {
    gemmNT(out, a, b, M, K, N, acc != 0, shareStart(M, 4, t, nt), shareStart(M, 4, t + 1, nt), 0, N);
  }
}
