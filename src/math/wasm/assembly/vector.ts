/**
 * Elementwise kernels, reductions, row gathers, the fused softmax cross-entropy and the fused optimizers.
 * Every function takes (t, nt) first: thread t of nt processes its share. Sums whose grouping could depend on
 * the split (sumSq, the loss) are computed per fixed-size chunk into a float64 scratch array and added in
 * order by the caller, so results are the same for any thread count.
 * Pointers are byte offsets. n elements; M rows; N or V columns.
 */
import { ldp, stp, exp4, sigmoid4, tanh4, hsum, shareStart } from './simd';

/** Elements per share unit of the elementwise kernels. */
const EU: i32 = 16;
/** Elements per partial sum of sumSq (fixed, independent of the thread count). */
export const SUMSQ_CHUNK: i32 = 4096;
/** Rows per partial loss of softmaxXent. */
export const XENT_CHUNK: i32 = 32;

// ---- elementwise ------------------------------------------------------------------------------------------

export function fill(t: i32, nt: i32, out: usize, value: f32, n: i32): void {
  const v = f32x4.splat(value);
  for (let i = shareStart(n, EU, t, nt), e = shareStart(n, EU, t + 1, nt); i < e; i += 4) {
    stp(out + (<usize>i << 2), v, min(4, e - i));
  }
}

export function copy(t: i32, nt: i32, out: usize, src: usize, n: i32): void {
  const s = shareStart(n, EU, t, nt), e = shareStart(n, EU, t + 1, nt);
  memory.copy(out + (<usize>s << 2), src + (<usize>s << 2), <usize>(e - s) << 2);
}

export function axpy(t: i32, nt: i32, y: usize, alpha: f32, x: usize, n: i32): void {
  const a = f32x4.splat(alpha);
  const s = shareStart(n, EU, t, nt), e = shareStart(n, EU, t + 1, nt);
  let i = s;
  for (; i + 4 <= e; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(a, v128.load(x + o))));
  }
  if (i < e) {
    const o = <usize>i << 2, r = e - i;
    stp(y + o, f32x4.add(ldp(y + o, r), f32x4.mul(a, ldp(x + o, r))), r);
  }
}

export function scale(t: i32, nt: i32, x: usize, alpha: f32, n: i32): void {
  const a = f32x4.splat(alpha);
  for (let i = shareStart(n, EU, t, nt), e = shareStart(n, EU, t + 1, nt); i < e; i += 4) {
    const o = <usize>i << 2, r = min(4, e - i);
    stp(x + o, f32x4.mul(ldp(x + o, r), a), r);
  }
}

/** out = a·b, out may alias a. */
export function mul(t: i32, nt: i32, out: usize, a: usize, b: usize, n: i32): void {
  for (let i = shareStart(n, EU, t, nt), e = shareStart(n, EU, t + 1, nt); i < e; i += 4) {
    const o = <usize>i << 2, r = min(4, e - i);
    stp(out + o, f32x4.mul(ldp(a + o, r), ldp(b + o, r)), r);
  }
}

// ---- reductions -------------------------------------------------------------------------------------------

/** part (ceil(n / SUMSQ_CHUNK)) float64: Σ x² of each chunk, accumulated in float64. */
export function sumSqChunks(t: i32, nt: i32, part: usize, x: usize, n: i32): void {
  const chunks = (n + SUMSQ_CHUNK - 1) / SUMSQ_CHUNK;
  for (let c = shareStart(chunks, 1, t, nt), ce = shareStart(chunks, 1, t + 1, nt); c < ce; c++) {
    const s = c * SUMSQ_CHUNK, e = min(n, s + SUMSQ_CHUNK);
    let lo = f64x2.splat(0), hi = lo;
    let i = s;
    for (; i + 4 <= e; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      const a = f64x2.promote_low_f32x4(v), b = f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 0, 1));
      lo = f64x2.add(lo, f64x2.mul(a, a));
      hi = f64x2.add(hi, f64x2.mul(b, b));
    }
    const l = f64x2.add(lo, hi);
    let sum = f64x2.extract_lane(l, 0) + f64x2.extract_lane(l, 1);
    for (; i < e; i++) {
      const v = <f64>load<f32>(x + (<usize>i << 2));
      sum += v * v;
    }
    store<f64>(part + (<usize>c << 3), sum);
  }
}

/** Σ part[0..count) in order. */
export function sumF64(part: usize, count: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < count; i++) s += load<f64>(part + (<usize>i << 3));
  return s;
}

/**
 * out (N) += column sums of a (M,N), accumulated in float64 in acc64 (N float64, scratch) row by row so a is
 * read once, contiguously. Split by columns.
 */
export function colSumAcc(t: i32, nt: i32, acc64: usize, out: usize, a: usize, M: i32, N: i32): void {
  const j0 = shareStart(N, 4, t, nt), j1 = shareStart(N, 4, t + 1, nt);
  memory.fill(acc64 + (<usize>j0 << 3), 0, <usize>(j1 - j0) << 3);
  const jv = j0 + ((j1 - j0) & ~3);
  for (let i = 0; i < M; i++) {
    const row = a + <usize>i * N * 4;
    for (let j = j0; j < jv; j += 4) {
      const v = v128.load(row + (<usize>j << 2));
      const p = acc64 + (<usize>j << 3);
      v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(v)));
      v128.store(p, f64x2.add(v128.load(p, 16), f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
    }
    for (let j = jv; j < j1; j++) {
      const p = acc64 + (<usize>j << 3);
      store<f64>(p, load<f64>(p) + <f64>load<f32>(row + (<usize>j << 2)));
    }
  }
  for (let j = j0; j < j1; j++) {
    const po = out + (<usize>j << 2);
    store<f32>(po, <f32>(<f64>load<f32>(po) + load<f64>(acc64 + (<usize>j << 3))));
  }
}

// ---- rows ---------------------------------------------------------------------------------------------------

/** out (M,N) = bias (N) in every row. Split by rows. */
export function rowsSet(t: i32, nt: i32, out: usize, bias: usize, M: i32, N: i32): void {
  const rb = <usize>N << 2;
  for (let i = shareStart(M, 1, t, nt), e = shareStart(M, 1, t + 1, nt); i < e; i++) {
    memory.copy(out + <usize>i * rb, bias, rb);
  }
}

/** out (M,N) += table[ids[m]] (R,N). Split by rows. */
export function gatherAdd(t: i32, nt: i32, out: usize, table: usize, ids: usize, M: i32, N: i32): void {
  const rb = <usize>N << 2;
  for (let i = shareStart(M, 1, t, nt), e = shareStart(M, 1, t + 1, nt); i < e; i++) {
    const po = out + <usize>i * rb, pt = table + <usize>load<i32>(ids + (<usize>i << 2)) * rb;
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const o = <usize>j << 2;
      v128.store(po + o, f32x4.add(v128.load(po + o), v128.load(pt + o)));
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(po + o, load<f32>(po + o) + load<f32>(pt + o));
    }
  }
}

/** table[ids[m]] += d[m] (M,N), rows in order (repeated ids add up deterministically). Split by columns. */
export function scatterAdd(t: i32, nt: i32, table: usize, d: usize, ids: usize, M: i32, N: i32): void {
  const rb = <usize>N << 2;
  const j0 = shareStart(N, 4, t, nt), j1 = shareStart(N, 4, t + 1, nt);
  const jv = j0 + ((j1 - j0) & ~3);
  for (let i = 0; i < M; i++) {
    const pd = d + <usize>i * rb, pt = table + <usize>load<i32>(ids + (<usize>i << 2)) * rb;
    for (let j = j0; j < jv; j += 4) {
      const o = <usize>j << 2;
      v128.store(pt + o, f32x4.add(v128.load(pt + o), v128.load(pd + o)));
    }
    for (let j = jv; j < j1; j++) {
      const o = <usize>j << 2;
      store<f32>(pt + o, load<f32>(pt + o) + load<f32>(pd + o));
    }
  }
}

// ---- softmax cross-entropy ----------------------------------------------------------------------------------

/**
 * Natural log of a positive finite float64 to ~1e-15 relative, without tables (std Math.log would add data
 * segments, which every thread's instantiation would rewrite in the shared memory).
 * x = 2^e · m with m in [√½, √2); log m = 2·atanh(s), s = (m − 1)/(m + 1), |s| < 0.172.
 */
function log64(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
  const s = (m - 1) / (m + 1), s2 = s * s;
  let p = 1.0 / 19;
  for (let k = 17; k >= 1; k -= 2) p = p * s2 + 1.0 / <f64>k;
  return 2 * s * p + <f64>e * 0.6931471805599453;
}


/** One row: writes dlogits (may alias logits), returns the loss in nats. */
function xentRow(dl: usize, lg: usize, target: i32, V: i32, gradScale: f32): f64 {
  const vEnd = V & ~3;
  let mx: f32 = -Infinity;
  if (vEnd > 0) {
    let m4 = v128.load(lg);
    for (let j = 4; j < vEnd; j += 4) m4 = f32x4.max(m4, v128.load(lg + (<usize>j << 2)));
    mx = max(max(f32x4.extract_lane(m4, 0), f32x4.extract_lane(m4, 1)), max(f32x4.extract_lane(m4, 2), f32x4.extract_lane(m4, 3)));
  }
  for (let j = vEnd; j < V; j++) mx = max(mx, load<f32>(lg + (<usize>j << 2)));
  const xt = load<f32>(lg + (<usize>target << 2)); // read before dlogits may overwrite it
  const mv = f32x4.splat(mx);
  let s4 = f32x4.splat(0);
  for (let j = 0; j < vEnd; j += 4) {
    const o = <usize>j << 2;
    const e = exp4(f32x4.sub(v128.load(lg + o), mv));
    v128.store(dl + o, e);
    s4 = f32x4.add(s4, e);
  }
  let sum = hsum(s4);
  if (vEnd < V) {
    const o = <usize>vEnd << 2, r = V - vEnd;
    const e = exp4(f32x4.sub(ldp(lg + o, r), mv));
    stp(dl + o, e, r);
    sum += f32x4.extract_lane(e, 0);
    if (r > 1) sum += f32x4.extract_lane(e, 1);
    if (r > 2) sum += f32x4.extract_lane(e, 2);
  }
  const k = f32x4.splat(gradScale / sum);
  for (let j = 0; j < V; j += 4) {
    const o = <usize>j << 2, r = min(4, V - j);
    stp(dl + o, f32x4.mul(ldp(dl + o, r), k), r);
  }
  const pt = dl + (<usize>target << 2);
  store<f32>(pt, load<f32>(pt) - gradScale);
  return log64(<f64>sum) + <f64>mx - <f64>xt;
}

/** dlogits, logits (M,V); targets (M) int32; part (ceil(M / XENT_CHUNK)) float64 losses per row chunk. */
export function softmaxXent(t: i32, nt: i32, part: usize, dlogits: usize, logits: usize, targets: usize, M: i32, V: i32, gradScale: f32): void {
  const rb = <usize>V << 2;
  const chunks = (M + XENT_CHUNK - 1) / XENT_CHUNK;
  for (let c = shareStart(chunks, 1, t, nt), ce = shareStart(chunks, 1, t + 1, nt); c < ce; c++) {
    let loss: f64 = 0;
    for (let i = c * XENT_CHUNK, e = min(M, i + XENT_CHUNK); i < e; i++) {
      loss += xentRow(dlogits + <usize>i * rb, logits + <usize>i * rb, load<i32>(targets + (<usize>i << 2)), V, gradScale);
    }
    store<f64>(part + (<usize>c << 3), loss);
  }
}

// ---- optimizers ----------------------------------------------------------------------------------------------

/** Adam with bias correction folded in by the caller: step = lr / (1 − b1^t), ibc2 = 1 / (1 − b2^t). */
export function adam(t: i32, nt: i32, p: usize, g: usize, m: usize, v: usize, n: i32,
                     step: f32, b1: f32, b2: f32, ibc2: f32, eps: f32, gScale: f32): void {
  const B1 = f32x4.splat(b1), C1 = f32x4.splat(1 - b1), B2 = f32x4.splat(b2), C2 = f32x4.splat(1 - b2);
  const S = f32x4.splat(step), I2 = f32x4.splat(ibc2), E = f32x4.splat(eps), G = f32x4.splat(gScale);
  for (let i = shareStart(n, EU, t, nt), e = shareStart(n, EU, t + 1, nt); i < e; i += 4) {
    const o = <usize>i << 2, r = min(4, e - i);
    const gi = f32x4.mul(ldp(g + o, r), G);
    const mi = f32x4.add(f32x4.mul(B1, ldp(m + o, r)), f32x4.mul(C1, gi));
    const vi = f32x4.add(f32x4.mul(B2, ldp(v + o, r)), f32x4.mul(C2, f32x4.mul(gi, gi)));
    stp(m + o, mi, r);
    stp(v + o, vi, r);
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vi, I2)), E);
    stp(p + o, f32x4.sub(ldp(p + o, r), f32x4.div(f32x4.mul(S, mi), den)), r);
  }
}

/** PyTorch RMSprop without momentum. */
export function rmsprop(t: i32, nt: i32, p: usize, g: usize, s: usize, n: i32, lr: f32, alpha: f32, eps: f32, gScale: f32): void {
  const A = f32x4.splat(alpha), C = f32x4.splat(1 - alpha), L = f32x4.splat(lr), E = f32x4.splat(eps), G = f32x4.splat(gScale);
  for (let i = shareStart(n, EU, t, nt), e = shareStart(n, EU, t + 1, nt); i < e; i += 4) {
    const o = <usize>i << 2, r = min(4, e - i);
    const gi = f32x4.mul(ldp(g + o, r), G);
    const si = f32x4.add(f32x4.mul(A, ldp(s + o, r)), f32x4.mul(C, f32x4.mul(gi, gi)));
    stp(s + o, si, r);
    stp(p + o, f32x4.sub(ldp(p + o, r), f32x4.div(f32x4.mul(L, gi), f32x4.add(f32x4.sqrt(si), E))), r);
  }
}

/** PyTorch SGD with momentum (dampening 0). */
export function sgd(t: i32, nt: i32, p: usize, g: usize, buf: usize, n: i32, lr: f32, momentum: f32, gScale: f32): void {
  const L = f32x4.splat(lr), U = f32x4.splat(momentum), G = f32x4.splat(gScale);
  for (let i = shareStart(n, EU, t, nt), e = shareStart(n, EU, t + 1, nt); i < e; i += 4) {
    const o = <usize>i << 2, r = min(4, e - i);
    const b = f32x4.add(f32x4.mul(U, ldp(buf + o, r)), f32x4.mul(ldp(g + o, r), G));
    stp(buf + o, b, r);
    stp(p + o, f32x4.sub(ldp(p + o, r), f32x4.mul(L, b)), r);
  }
}

// ---- the vector transcendentals on arrays (for tests and measurements of their error) ---------------------

/** out = e^x, σ(x) or tanh(x) (fn 0, 1, 2) over n elements. */
export function approx(t: i32, nt: i32, fn: i32, out: usize, x: usize, n: i32): void {
  for (let i = shareStart(n, EU, t, nt), e = shareStart(n, EU, t + 1, nt); i < e; i += 4) {
    const o = <usize>i << 2, r = min(4, e - i);
    const v = ldp(x + o, r);
    stp(out + o, fn == 0 ? exp4(v) : fn == 1 ? sigmoid4(v) : tanh4(v), r);
  }
}
