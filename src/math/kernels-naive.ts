/**
 * The naive oracle: the most literal implementation of every kernel, written for obviousness, not speed.
 * Fast backends are tested against it; gradient checks run it in float64. Dimension legend: see kernels.ts.
 */
import { plainPacking, type DType, type Kernels } from './kernels.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function createNaiveKernels(dtype: DType = 'float64'): Kernels {
  const Arr = dtype === 'float64' ? Float64Array : Float32Array;
  const k: Kernels = {
    name: 'naive',
    dtype,
    threads: 1,
    alloc: (n) => new Arr(n),
    allocI32: (n) => new Int32Array(n),
    dispose: () => {},

    fill(out, value, n) {
      for (let i = 0; i < n; i++) out[i] = value;
    },
    copy(out, src, n) {
      for (let i = 0; i < n; i++) out[i] = src[i];
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
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i] * x[i];
      return s;
    },

    mm(out, a, b, M, K, N, acc) {
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let q = 0; q < K; q++) s += a[i * K + q] * b[q * N + j];
          out[i * N + j] = (acc ? out[i * N + j] : 0) + s;
        }
    },
    mmNT(out, a, b, M, K, N, acc) {
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let q = 0; q < K; q++) s += a[i * K + q] * b[j * K + q];
          out[i * N + j] = (acc ? out[i * N + j] : 0) + s;
        }
    },
    ...plainPacking(() => k),
    mmTN(out, a, b, M, K, N, acc) {
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let q = 0; q < K; q++) s += a[q * M + i] * b[q * N + j];
          out[i * N + j] = (acc ? out[i * N + j] : 0) + s;
        }
    },
    rowsSet(out, bias, M, N) {
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) out[i * N + j] = bias[j];
    },
    colSumAcc(out, a, M, N) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let i = 0; i < M; i++) s += a[i * N + j];
        out[j] += s;
      }
    },
    gatherAdd(out, table, ids, M, N) {
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) out[i * N + j] += table[ids[i] * N + j];
    },
    scatterAdd(table, d, ids, M, N) {
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) table[ids[i] * N + j] += d[i * N + j];
    },

    lstmForward(h, c, act, pre, cPrev, B, H) {
      for (let b = 0; b < B; b++)
        for (let j = 0; j < H; j++) {
          const o4 = b * 4 * H;
          const i = sigmoid(pre[o4 + j]);
          const f = sigmoid(pre[o4 + H + j]);
          const g = Math.tanh(pre[o4 + 2 * H + j]);
          const o = sigmoid(pre[o4 + 3 * H + j]);
          act[o4 + j] = i;
          act[o4 + H + j] = f;
          act[o4 + 2 * H + j] = g;
          act[o4 + 3 * H + j] = o;
          const cn = f * cPrev[b * H + j] + i * g;
          c[b * H + j] = cn;
          h[b * H + j] = o * Math.tanh(cn);
        }
    },
    lstmBackward(dpre, dcPrev, dh, dc, act, c, cPrev, B, H) {
      for (let b = 0; b < B; b++)
        for (let j = 0; j < H; j++) {
          const o4 = b * 4 * H;
          const i = act[o4 + j], f = act[o4 + H + j], g = act[o4 + 2 * H + j], o = act[o4 + 3 * H + j];
          const tc = Math.tanh(c[b * H + j]);
          const dht = dh[b * H + j];
          const dct = dc[b * H + j] + dht * o * (1 - tc * tc);
          dpre[o4 + j] = dct * g * i * (1 - i);
          dpre[o4 + H + j] = dct * cPrev[b * H + j] * f * (1 - f);
          dpre[o4 + 2 * H + j] = dct * i * (1 - g * g);
          dpre[o4 + 3 * H + j] = dht * tc * o * (1 - o);
          dcPrev[b * H + j] = dct * f;
        }
    },

    gruForward(h, act, gi, gh, hPrev, B, H) {
      for (let b = 0; b < B; b++)
        for (let j = 0; j < H; j++) {
          const o3 = b * 3 * H;
          const r = sigmoid(gi[o3 + j] + gh[o3 + j]);
          const z = sigmoid(gi[o3 + H + j] + gh[o3 + H + j]);
          const n = Math.tanh(gi[o3 + 2 * H + j] + r * gh[o3 + 2 * H + j]);
          act[o3 + j] = r;
          act[o3 + H + j] = z;
          act[o3 + 2 * H + j] = n;
          h[b * H + j] = (1 - z) * n + z * hPrev[b * H + j];
        }
    },
    gruBackward(dgi, dgh, dhPrev, dh, act, gh, hPrev, B, H) {
      for (let b = 0; b < B; b++)
        for (let j = 0; j < H; j++) {
          const o3 = b * 3 * H;
          const r = act[o3 + j], z = act[o3 + H + j], n = act[o3 + 2 * H + j];
          const d = dh[b * H + j];
          const dn = d * (1 - z) * (1 - n * n); // into n's pre-activation
          const dz = d * (hPrev[b * H + j] - n) * z * (1 - z);
          const dr = dn * gh[o3 + 2 * H + j] * r * (1 - r);
          dgi[o3 + j] = dr;
          dgi[o3 + H + j] = dz;
          dgi[o3 + 2 * H + j] = dn;
          dgh[o3 + j] = dr;
          dgh[o3 + H + j] = dz;
          dgh[o3 + 2 * H + j] = dn * r;
          dhPrev[b * H + j] = d * z;
        }
    },

    rnnForward(h, pre, B, H) {
      for (let i = 0; i < B * H; i++) h[i] = Math.tanh(pre[i]);
    },
    rnnBackward(dpre, dh, h, B, H) {
      for (let i = 0; i < B * H; i++) dpre[i] = dh[i] * (1 - h[i] * h[i]);
    },

    layerNormForward(y, mean, rstd, x, gain, bias, M, N) {
      for (let m = 0; m < M; m++) {
        const row = Array.from({ length: N }, (_, j) => x[m * N + j]);
        const mu = row.reduce((a, v) => a + v, 0) / N;
        const variance = row.reduce((a, v) => a + (v - mu) ** 2, 0) / N;
        const rs = 1 / Math.sqrt(variance + 1e-5);
        mean[m] = mu;
        rstd[m] = rs;
        for (let j = 0; j < N; j++) y[m * N + j] = ((row[j] - mu) * rs) * gain[j] + bias[j];
      }
    },
    layerNormBackward(dx, dgain, dbias, dy, x, mean, rstd, gain, M, N) {
      for (let m = 0; m < M; m++) {
        const xh = Array.from({ length: N }, (_, j) => (x[m * N + j] - mean[m]) * rstd[m]);
        const d = Array.from({ length: N }, (_, j) => dy[m * N + j]);
        const g = d.map((v, j) => v * gain[j]); // gradient into x̂
        const meanG = g.reduce((a, v) => a + v, 0) / N;
        const meanGX = g.reduce((a, v, j) => a + v * xh[j], 0) / N;
        for (let j = 0; j < N; j++) {
          dgain[j] += d[j] * xh[j];
          dbias[j] += d[j];
          dx[m * N + j] = rstd[m] * (g[j] - meanG - xh[j] * meanGX);
        }
      }
    },
    lstmNormForward(h, act, cn, B, H) {
      for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) h[b * H + j] = act[b * 4 * H + 3 * H + j] * Math.tanh(cn[b * H + j]);
    },
    lstmNormBackward(dcn, dh, act, cn, B, H) {
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          const t = Math.tanh(cn[b * H + j]);
          dcn[b * H + j] = dh[b * H + j] * act[b * 4 * H + 3 * H + j] * (1 - t * t);
        }
      }
    },

    softmaxXent(dlogits, logits, targets, M, V, gradScale) {
      let total = 0;
      for (let i = 0; i < M; i++) {
        const o = i * V;
        let mx = -Infinity;
        for (let j = 0; j < V; j++) mx = Math.max(mx, logits[o + j]);
        let sum = 0;
        for (let j = 0; j < V; j++) sum += Math.exp(logits[o + j] - mx);
        const t = targets[i];
        total += Math.log(sum) + mx - logits[o + t];
        for (let j = 0; j < V; j++) {
          const p = Math.exp(logits[o + j] - mx) / sum;
          dlogits[o + j] = (p - (j === t ? 1 : 0)) * gradScale;
        }
      }
      return total;
    },

    adam(p, g, m, v, n, lr, b1, b2, eps, t, gScale) {
      const bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
      for (let i = 0; i < n; i++) {
        const gi = g[i] * gScale;
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        p[i] -= (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + eps);
      }
    },
    rmsprop(p, g, s, n, lr, alpha, eps, gScale) {
      for (let i = 0; i < n; i++) {
        const gi = g[i] * gScale;
        s[i] = alpha * s[i] + (1 - alpha) * gi * gi;
        p[i] -= (lr * gi) / (Math.sqrt(s[i]) + eps);
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

