/**
 * Layer normalisation over rows, and the LSTM output step on a normalised cell, as plain loops over any float
 * array. The js backend's kernels, and the wasm backend's (on its Float32Array views: kept as loops there, a few
 * passes over B·4H values per step). The native backend has them in C++ (native/src/kernels.inc, the same
 * semantics, statistics in float64): these loops on its arrays made a --layer-norm training step 1.5-2x slower
 * (docs/training.md, "Layer normalisation"). Statistics accumulate in doubles (JavaScript numbers); only the
 * stores round to the array's precision.
 *
 * Dimension legend: M rows, N row width; B streams, H hidden. Semantics: kernels.ts.
 */
import type { Vec } from './kernels.js';

/** PyTorch's layer_norm default: keeps rstd finite on a constant row. */
const LN_EPS = 1e-5;

/** y (M,N) = (x − mean)·rstd·gain + bias per row; writes mean (M), rstd (M). y may alias x. */
export function layerNormForwardLoop(y: Vec, mean: Vec, rstd: Vec, x: Vec, gain: Vec, bias: Vec, M: number, N: number): void {
  for (let m = 0, o = 0; m < M; m++, o += N) {
    let s = 0;
    for (let j = 0; j < N; j++) s += x[o + j];
    const mu = s / N;
    let v = 0;
    for (let j = 0; j < N; j++) {
      const d = x[o + j] - mu;
      v += d * d;
    }
    const rs = 1 / Math.sqrt(v / N + LN_EPS);
    mean[m] = mu;
    rstd[m] = rs;
    for (let j = 0; j < N; j++) y[o + j] = (x[o + j] - mu) * rs * gain[j] + bias[j];
  }
}

/**
 * Backward of layerNormForwardLoop: dx (M,N) = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·gain (overwrite;
 * may alias dy or x: each element is read before it is written); dgain (N) += Σ_rows dy·x̂, dbias (N) += Σ_rows dy.
 */
export function layerNormBackwardLoop(
  dx: Vec, dgain: Vec, dbias: Vec, dy: Vec, x: Vec, mean: Vec, rstd: Vec, gain: Vec, M: number, N: number,
): void {
  for (let m = 0, o = 0; m < M; m++, o += N) {
    const mu = mean[m], rs = rstd[m];
    let sg = 0, sgx = 0;
    for (let j = 0; j < N; j++) {
      const d = dy[o + j];
      const xh = (x[o + j] - mu) * rs;
      const g = d * gain[j];
      sg += g;
      sgx += g * xh;
      dgain[j] += d * xh;
      dbias[j] += d;
    }
    const a = sg / N, b = sgx / N;
    for (let j = 0; j < N; j++) {
      const xh = (x[o + j] - mu) * rs;
      dx[o + j] = rs * (dy[o + j] * gain[j] - a - xh * b);
    }
  }
}

/** h (B,H) = act_o · tanh(cn), where act (B,4H) holds [σ(i) | σ(f) | tanh(g) | σ(o)]. */
export function lstmNormForwardLoop(h: Vec, act: Vec, cn: Vec, B: number, H: number): void {
  for (let b = 0; b < B; b++) {
    const o4 = b * 4 * H + 3 * H, oh = b * H;
    for (let j = 0; j < H; j++) h[oh + j] = act[o4 + j] * Math.tanh(cn[oh + j]);
  }
}

/** dcn (B,H) = dh · act_o · (1 − tanh²(cn)) (overwrite; may alias dh). */
export function lstmNormBackwardLoop(dcn: Vec, dh: Vec, act: Vec, cn: Vec, B: number, H: number): void {
  for (let b = 0; b < B; b++) {
    const o4 = b * 4 * H + 3 * H, oh = b * H;
    for (let j = 0; j < H; j++) {
      const t = Math.tanh(cn[oh + j]);
      dcn[oh + j] = dh[oh + j] * act[o4 + j] * (1 - t * t);
    }
  }
}
