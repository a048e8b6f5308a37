/**
 * The plain TypeScript backend: the same semantics as kernels-naive.ts, written for V8's optimiser.
 *
 * Matrix products are register-blocked 4x4: sixteen scalar accumulators per output tile, the reduction index
 * innermost, so each step of the inner loop does 8 loads for 16 multiply-adds and nothing is written to memory
 * until the tile is done (measured ~3.5 GFLOP/s on Float32Array, versus ~1.8 for the streamed i-k-j order).
 * Each product (mm, mmNT, mmTN) has its own loop because the operand strides differ. Edges (sizes not a
 * multiple of 4) fall back to 4x1, 1x4 and 1x1 tiles. Accumulation happens in doubles (JavaScript numbers);
 * only the stores round to the array's precision.
 *
 * Dimension legend: M, K, N matrix sizes; B batch rows; H hidden size; V vocabulary. See kernels.ts.
 */
import { plainPacking, type DType, type Kernels, type Vec } from './kernels.js';
import { layerNormBackwardLoop, layerNormForwardLoop, lstmNormBackwardLoop, lstmNormForwardLoop } from './layernorm-loops.js';

const exp = Math.exp;
const tanh = Math.tanh;
const sqrt = Math.sqrt;

export function createJsKernels(dtype: DType = 'float32'): Kernels {
  const Arr = dtype === 'float64' ? Float64Array : Float32Array;

  const k: Kernels = {
    name: 'js',
    dtype,
    threads: 1,
    alloc: (n) => new Arr(n),
    allocI32: (n) => new Int32Array(n),
    dispose: () => {},

    fill(out, value, n) {
      out.fill(value, 0, n);
    },
    copy(out, src, n) {
      // whole-array copies go through set (a memcpy); partial ones loop rather than allocate a subarray view
      if (n === src.length) out.set(src);
      else for (let i = 0; i < n; i++) out[i] = src[i];
    },
    axpy(y, alpha, x, n) {
      for (let i = 0; i < n; i++) y[i] += alpha * x[i];
    },
    scale(x, alpha, n) {
      for (let i = 0; i < n; i++) x[i] *= alpha;
    },
    mul(out, a, b, n) {
      for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
    },
    sumSq(x, n) {
      // two partial sums break the add dependency chain
      let s0 = 0, s1 = 0, i = 0;
      for (; i + 2 <= n; i += 2) {
        const u = x[i], v = x[i + 1];
        s0 += u * u;
        s1 += v * v;
      }
      if (i < n) s0 += x[i] * x[i];
      return s0 + s1;
    },

    mm,
    mmNT,
    mmTN,
    ...plainPacking(() => k),

    rowsSet(out, bias, M, N) {
      if (N === bias.length) for (let i = 0, o = 0; i < M; i++, o += N) out.set(bias, o);
      else for (let i = 0, o = 0; i < M; i++, o += N) for (let j = 0; j < N; j++) out[o + j] = bias[j];
    },
    colSumAcc(out, a, M, N) {
      // row by row keeps the reads contiguous; out (N) stays in cache
      for (let i = 0, o = 0; i < M; i++, o += N) for (let j = 0; j < N; j++) out[j] += a[o + j];
    },
    gatherAdd(out, table, ids, M, N) {
      for (let i = 0, o = 0; i < M; i++, o += N) {
        const r = ids[i] * N;
        for (let j = 0; j < N; j++) out[o + j] += table[r + j];
      }
    },
    scatterAdd(table, d, ids, M, N) {
      for (let i = 0, o = 0; i < M; i++, o += N) {
        const r = ids[i] * N;
        for (let j = 0; j < N; j++) table[r + j] += d[o + j];
      }
    },

    lstmForward(h, c, act, pre, cPrev, B, H) {
      for (let b = 0; b < B; b++) {
        const o4 = b * 4 * H, oi = o4, of = o4 + H, og = o4 + 2 * H, oo = o4 + 3 * H, ob = b * H;
        for (let j = 0; j < H; j++) {
          const i = 1 / (1 + exp(-pre[oi + j]));
          const f = 1 / (1 + exp(-pre[of + j]));
          const g = tanh(pre[og + j]);
          const o = 1 / (1 + exp(-pre[oo + j]));
          act[oi + j] = i;
          act[of + j] = f;
          act[og + j] = g;
          act[oo + j] = o;
          const cn = f * cPrev[ob + j] + i * g;
          c[ob + j] = cn;
          h[ob + j] = o * tanh(cn);
        }
      }
    },
    lstmBackward(dpre, dcPrev, dh, dc, act, c, cPrev, B, H) {
      for (let b = 0; b < B; b++) {
        const o4 = b * 4 * H, oi = o4, of = o4 + H, og = o4 + 2 * H, oo = o4 + 3 * H, ob = b * H;
        for (let j = 0; j < H; j++) {
          const i = act[oi + j], f = act[of + j], g = act[og + j], o = act[oo + j];
          const tc = tanh(c[ob + j]);
          const dht = dh[ob + j];
          const dct = dc[ob + j] + dht * o * (1 - tc * tc);
          dpre[oi + j] = dct * g * i * (1 - i);
          dpre[of + j] = dct * cPrev[ob + j] * f * (1 - f);
          dpre[og + j] = dct * i * (1 - g * g);
          dpre[oo + j] = dht * tc * o * (1 - o);
          dcPrev[ob + j] = dct * f;
        }
      }
    },

    gruForward(h, act, gi, gh, hPrev, B, H) {
      for (let b = 0; b < B; b++) {
        const o3 = b * 3 * H, or = o3, oz = o3 + H, on = o3 + 2 * H, ob = b * H;
        for (let j = 0; j < H; j++) {
          const r = 1 / (1 + exp(-(gi[or + j] + gh[or + j])));
          const z = 1 / (1 + exp(-(gi[oz + j] + gh[oz + j])));
          const n = tanh(gi[on + j] + r * gh[on + j]);
          act[or + j] = r;
          act[oz + j] = z;
          act[on + j] = n;
          h[ob + j] = (1 - z) * n + z * hPrev[ob + j];
        }
      }
    },
    gruBackward(dgi, dgh, dhPrev, dh, act, gh, hPrev, B, H) {
      for (let b = 0; b < B; b++) {
        const o3 = b * 3 * H, or = o3, oz = o3 + H, on = o3 + 2 * H, ob = b * H;
        for (let j = 0; j < H; j++) {
          const r = act[or + j], z = act[oz + j], n = act[on + j];
          const d = dh[ob + j];
          const dn = d * (1 - z) * (1 - n * n);
          const dz = d * (hPrev[ob + j] - n) * z * (1 - z);
          const dr = dn * gh[on + j] * r * (1 - r);
          dgi[or + j] = dr;
          dgi[oz + j] = dz;
          dgi[on + j] = dn;
          dgh[or + j] = dr;
          dgh[oz + j] = dz;
          dgh[on + j] = dn * r;
          dhPrev[ob + j] = d * z;
        }
      }
    },

    rnnForward(h, pre, B, H) {
      const n = B * H;
      for (let i = 0; i < n; i++) h[i] = tanh(pre[i]);
    },
    rnnBackward(dpre, dh, h, B, H) {
      const n = B * H;
      for (let i = 0; i < n; i++) {
        const y = h[i];
        dpre[i] = dh[i] * (1 - y * y);
      }
    },

    layerNormForward: layerNormForwardLoop,
    layerNormBackward: layerNormBackwardLoop,
    lstmNormForward: lstmNormForwardLoop,
    lstmNormBackward: lstmNormBackwardLoop,

    softmaxXent(dlogits, logits, targets, M, V, gradScale) {
      let total = 0;
      for (let i = 0, o = 0; i < M; i++, o += V) {
        let mx = -Infinity;
        for (let j = 0; j < V; j++) {
          const x = logits[o + j];
          if (x > mx) mx = x;
        }
        const t = targets[i];
        const zt = logits[o + t]; // read before dlogits (which may alias logits) is written
        let sum = 0;
        for (let j = 0; j < V; j++) {
          const e = exp(logits[o + j] - mx);
          dlogits[o + j] = e; // float32 rounding of e here is below the final rounding of p
          sum += e;
        }
        total += Math.log(sum) + mx - zt;
        const s = gradScale / sum;
        for (let j = 0; j < V; j++) dlogits[o + j] *= s;
        dlogits[o + t] -= gradScale;
      }
      return total;
    },

    adam(p, g, m, v, n, lr, b1, b2, eps, t, gScale) {
      const bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
      const c1 = 1 - b1, c2 = 1 - b2;
      for (let i = 0; i < n; i++) {
        const gi = g[i] * gScale;
        const mi = b1 * m[i] + c1 * gi;
        const vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        // read back the stored (possibly float32-rounded) moments so float32 matches the naive order exactly
        p[i] -= (lr * (m[i] / bc1)) / (sqrt(v[i] / bc2) + eps);
      }
    },
    rmsprop(p, g, s, n, lr, alpha, eps, gScale) {
      const c = 1 - alpha;
      for (let i = 0; i < n; i++) {
        const gi = g[i] * gScale;
        s[i] = alpha * s[i] + c * gi * gi;
        p[i] -= (lr * gi) / (sqrt(s[i]) + eps);
      }
    },
    sgd(p, g, buf, n, lr, momentum, gScale) {
      for (let i = 0; i < n; i++) {
        buf[i] = momentum * buf[i] + g[i] * gScale;
        p[i] -= lr * buf[i];
      }
    },
  };
  return k;
}

// ---- matrix products -------------------------------------------------------------------------------------------
// Shared by both dtypes: V8 keeps them polymorphic over the two array maps at worst.

/** out (M,N) [+]= a (M,K) · b (K,N) */
function mm(out: Vec, a: Vec, b: Vec, M: number, K: number, N: number, acc: boolean): void {
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = i * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    const o0 = i * N, o1 = o0 + N, o2 = o1 + N, o3 = o2 + N;
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let q = 0, bq = j; q < K; q++, bq += N) {
        const y0 = b[bq], y1 = b[bq + 1], y2 = b[bq + 2], y3 = b[bq + 3];
        let x = a[a0 + q];
        c00 += x * y0; c01 += x * y1; c02 += x * y2; c03 += x * y3;
        x = a[a1 + q];
        c10 += x * y0; c11 += x * y1; c12 += x * y2; c13 += x * y3;
        x = a[a2 + q];
        c20 += x * y0; c21 += x * y1; c22 += x * y2; c23 += x * y3;
        x = a[a3 + q];
        c30 += x * y0; c31 += x * y1; c32 += x * y2; c33 += x * y3;
      }
      store4x4(out, o0 + j, o1 + j, o2 + j, o3 + j, acc,
        c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33);
    }
    for (; j < N; j++) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let q = 0, bq = j; q < K; q++, bq += N) {
        const y = b[bq];
        c0 += a[a0 + q] * y; c1 += a[a1 + q] * y; c2 += a[a2 + q] * y; c3 += a[a3 + q] * y;
      }
      store4x1(out, o0 + j, o1 + j, o2 + j, o3 + j, acc, c0, c1, c2, c3);
    }
  }
  for (; i < M; i++) {
    const a0 = i * K, o0 = i * N;
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let q = 0, bq = j; q < K; q++, bq += N) {
        const x = a[a0 + q];
        c0 += x * b[bq]; c1 += x * b[bq + 1]; c2 += x * b[bq + 2]; c3 += x * b[bq + 3];
      }
      store1x4(out, o0 + j, acc, c0, c1, c2, c3);
    }
    for (; j < N; j++) {
      let c = 0;
      for (let q = 0, bq = j; q < K; q++, bq += N) c += a[a0 + q] * b[bq];
      out[o0 + j] = acc ? out[o0 + j] + c : c;
    }
  }
}

/** out (M,N) [+]= a (M,K) · bᵀ, b (N,K): every operand row is contiguous in the reduction index. */
function mmNT(out: Vec, a: Vec, b: Vec, M: number, K: number, N: number, acc: boolean): void {
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = i * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    const o0 = i * N, o1 = o0 + N, o2 = o1 + N, o3 = o2 + N;
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const b0 = j * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let q = 0; q < K; q++) {
        const y0 = b[b0 + q], y1 = b[b1 + q], y2 = b[b2 + q], y3 = b[b3 + q];
        let x = a[a0 + q];
        c00 += x * y0; c01 += x * y1; c02 += x * y2; c03 += x * y3;
        x = a[a1 + q];
        c10 += x * y0; c11 += x * y1; c12 += x * y2; c13 += x * y3;
        x = a[a2 + q];
        c20 += x * y0; c21 += x * y1; c22 += x * y2; c23 += x * y3;
        x = a[a3 + q];
        c30 += x * y0; c31 += x * y1; c32 += x * y2; c33 += x * y3;
      }
      store4x4(out, o0 + j, o1 + j, o2 + j, o3 + j, acc,
        c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33);
    }
    for (; j < N; j++) {
      const b0 = j * K;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let q = 0; q < K; q++) {
        const y = b[b0 + q];
        c0 += a[a0 + q] * y; c1 += a[a1 + q] * y; c2 += a[a2 + q] * y; c3 += a[a3 + q] * y;
      }
      store4x1(out, o0 + j, o1 + j, o2 + j, o3 + j, acc, c0, c1, c2, c3);
    }
  }
  for (; i < M; i++) {
    const a0 = i * K, o0 = i * N;
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const b0 = j * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let q = 0; q < K; q++) {
        const x = a[a0 + q];
        c0 += x * b[b0 + q]; c1 += x * b[b1 + q]; c2 += x * b[b2 + q]; c3 += x * b[b3 + q];
      }
      store1x4(out, o0 + j, acc, c0, c1, c2, c3);
    }
    for (; j < N; j++) {
      const b0 = j * K;
      let c = 0;
      for (let q = 0; q < K; q++) c += a[a0 + q] * b[b0 + q];
      out[o0 + j] = acc ? out[o0 + j] + c : c;
    }
  }
}

/** out (M,N) [+]= aᵀ · b, a (K,M), b (K,N): for each reduction step both operands give a contiguous run. */
function mmTN(out: Vec, a: Vec, b: Vec, M: number, K: number, N: number, acc: boolean): void {
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const o0 = i * N, o1 = o0 + N, o2 = o1 + N, o3 = o2 + N;
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let q = 0, aq = i, bq = j; q < K; q++, aq += M, bq += N) {
        const y0 = b[bq], y1 = b[bq + 1], y2 = b[bq + 2], y3 = b[bq + 3];
        let x = a[aq];
        c00 += x * y0; c01 += x * y1; c02 += x * y2; c03 += x * y3;
        x = a[aq + 1];
        c10 += x * y0; c11 += x * y1; c12 += x * y2; c13 += x * y3;
        x = a[aq + 2];
        c20 += x * y0; c21 += x * y1; c22 += x * y2; c23 += x * y3;
        x = a[aq + 3];
        c30 += x * y0; c31 += x * y1; c32 += x * y2; c33 += x * y3;
      }
      store4x4(out, o0 + j, o1 + j, o2 + j, o3 + j, acc,
        c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33);
    }
    for (; j < N; j++) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let q = 0, aq = i, bq = j; q < K; q++, aq += M, bq += N) {
        const y = b[bq];
        c0 += a[aq] * y; c1 += a[aq + 1] * y; c2 += a[aq + 2] * y; c3 += a[aq + 3] * y;
      }
      store4x1(out, o0 + j, o1 + j, o2 + j, o3 + j, acc, c0, c1, c2, c3);
    }
  }
  for (; i < M; i++) {
    const o0 = i * N;
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let q = 0, aq = i, bq = j; q < K; q++, aq += M, bq += N) {
        const x = a[aq];
        c0 += x * b[bq]; c1 += x * b[bq + 1]; c2 += x * b[bq + 2]; c3 += x * b[bq + 3];
      }
      store1x4(out, o0 + j, acc, c0, c1, c2, c3);
    }
    for (; j < N; j++) {
      let c = 0;
      for (let q = 0, aq = i, bq = j; q < K; q++, aq += M, bq += N) c += a[aq] * b[bq];
      out[o0 + j] = acc ? out[o0 + j] + c : c;
    }
  }
}

// Tile stores (small enough for V8 to inline).
function store4x4(
  out: Vec, o0: number, o1: number, o2: number, o3: number, acc: boolean,
  c00: number, c01: number, c02: number, c03: number, c10: number, c11: number, c12: number, c13: number,
  c20: number, c21: number, c22: number, c23: number, c30: number, c31: number, c32: number, c33: number,
): void {
  if (acc) {
    out[o0] += c00; out[o0 + 1] += c01; out[o0 + 2] += c02; out[o0 + 3] += c03;
    out[o1] += c10; out[o1 + 1] += c11; out[o1 + 2] += c12; out[o1 + 3] += c13;
    out[o2] += c20; out[o2 + 1] += c21; out[o2 + 2] += c22; out[o2 + 3] += c23;
    out[o3] += c30; out[o3 + 1] += c31; out[o3 + 2] += c32; out[o3 + 3] += c33;
  } else {
    out[o0] = c00; out[o0 + 1] = c01; out[o0 + 2] = c02; out[o0 + 3] = c03;
    out[o1] = c10; out[o1 + 1] = c11; out[o1 + 2] = c12; out[o1 + 3] = c13;
    out[o2] = c20; out[o2 + 1] = c21; out[o2 + 2] = c22; out[o2 + 3] = c23;
    out[o3] = c30; out[o3 + 1] = c31; out[o3 + 2] = c32; out[o3 + 3] = c33;
  }
}

function store4x1(out: Vec, o0: number, o1: number, o2: number, o3: number, acc: boolean,
  c0: number, c1: number, c2: number, c3: number): void {
  if (acc) {
    out[o0] += c0; out[o1] += c1; out[o2] += c2; out[o3] += c3;
  } else {
    out[o0] = c0; out[o1] = c1; out[o2] = c2; out[o3] = c3;
  }
}

function store1x4(out: Vec, o: number, acc: boolean, c0: number, c1: number, c2: number, c3: number): void {
  if (acc) {
    out[o] += c0; out[o + 1] += c1; out[o + 2] += c2; out[o + 3] += c3;
  } else {
    out[o] = c0; out[o + 1] = c1; out[o + 2] = c2; out[o + 3] = c3;
  }
}
