/**
 * Looking inside a model (`charnn inspect`; pure core, no I/O): run a text through the inference step, as the
 * sampler and Scorer do, and record at each character every layer's hidden output after reading it, and the
 * model's prediction for that character made before reading it (its top guesses). Then: which units' activation
 * follows a pattern (Pearson correlation with a 0/1 indicator).
 *
 * Dimension legend: n characters, L layers, S state slots (lstm: h, c; the output h is slot 0), H hidden, V vocab.
 */
import { logSoftmax } from './beam.js';
import type { StepModel } from './sampler.js';

export interface Trace {
  n: number;
  L: number;
  H: number;
  /** (n, L, H) hidden outputs h after reading each character */
  hidden: Float32Array;
  /** (n, k) ids of the top-k guesses for each character (made before reading it), most likely first */
  topIds: Int32Array;
  /** (n, k) their probabilities */
  topProbs: Float32Array;
  /** (n) the probability the model gave the actual character */
  prob: Float32Array;
  k: number;
}

/**
 * Trace `ids` read after `context` (at least one id: what the first character is predicted from), from a zero
 * state, keeping the top `k` guesses per character.
 */
export function trace(model: StepModel, context: readonly number[], ids: readonly number[], k = 5): Trace {
  if (context.length < 1) throw new RangeError('tracing needs at least one context id');
  const { layers: L, hidden: H, vocabSize: V } = model.config;
  const kern = model.kernels;
  const state = model.newState(1); // (L, S, 1, H)
  const S = state.length / (L * H);
  const logits = kern.alloc(V); // (1, V)
  const x = kern.allocI32(1);
  const lp = new Float64Array(V);
  const n = ids.length;
  k = Math.min(k, V);
  const out: Trace = {
    n, L, H, k,
    hidden: new Float32Array(n * L * H),
    topIds: new Int32Array(n * k),
    topProbs: new Float32Array(n * k),
    prob: new Float32Array(n),
  };
  const step = (id: number) => {
    x[0] = id;
    model.step(logits, x, 1, state);
  };
  for (const id of context) step(id);
  for (let i = 0; i < n; i++) {
    logSoftmax(lp, logits, V);
    out.prob[i] = Math.exp(lp[ids[i]]);
    topK(lp, V, k, out.topIds.subarray(i * k, (i + 1) * k));
    for (let j = 0; j < k; j++) out.topProbs[i * k + j] = Math.exp(lp[out.topIds[i * k + j]]);
    step(ids[i]);
    for (let l = 0; l < L; l++) out.hidden.set(state.subarray(l * S * H, l * S * H + H), (i * L + l) * H);
  }
  return out;
}

/** The k largest of scores (V) into out (k), largest first, ties to the smaller id. */
function topK(scores: Float64Array, V: number, k: number, out: Int32Array): void {
  let filled = 0;
  for (let v = 0; v < V; v++) {
    if (filled === k && !(scores[v] > scores[out[k - 1]])) continue;
    let at = filled < k ? filled++ : k - 1;
    while (at > 0 && scores[v] > scores[out[at - 1]]) {
      out[at] = out[at - 1];
      at--;
    }
    out[at] = v;
  }
}

/** Activation of one unit (layer l, unit u) at every character (n). */
export function unitSeries(t: Trace, l: number, u: number): Float32Array {
  const s = new Float32Array(t.n);
  for (let i = 0; i < t.n; i++) s[i] = t.hidden[(i * t.L + l) * t.H + u];
  return s;
}

/** Pearson correlation of x and y (n); 0 when either is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>, n: number): number {
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** The `top` units whose activation correlates most (by |r|) with `indicator` (n), strongest first. */
export function correlatedUnits(t: Trace, indicator: ArrayLike<number>, top: number): Array<{ layer: number; unit: number; r: number }> {
  const all: Array<{ layer: number; unit: number; r: number }> = [];
  for (let l = 0; l < t.L; l++) for (let u = 0; u < t.H; u++) all.push({ layer: l, unit: u, r: pearson(unitSeries(t, l, u), indicator, t.n) });
  all.sort((a, b) => Math.abs(b.r) - Math.abs(a.r) || a.layer - b.layer || a.unit - b.unit);
  return all.slice(0, top);
}
