/**
 * Beam search (`sample --beam K`): the K most likely continuations are kept side by side as K streams of one
 * model.step call (B = K); each step extends every beam by every character and keeps the K best of the K*V
 * (log-probability so far, ties to the earlier beam and the smaller id), then gathers the streams' states to
 * follow their parents. Deterministic: no draws. K = 1 is the argmax at every step (temperature 0).
 *
 * A hypothesis' score is its log-probability including the prime's (from its second character, the first being
 * the context), normalised by length: the mean per scored character. Hypotheses that end early (at `end`, e.g.
 * a line break for one-line outputs) are compared with full-length ones by that mean, so short ones are not
 * favoured merely for having fewer factors below 1.
 *
 * Dimension legend: K beams, V vocabulary, L layers, S state slots, H hidden.
 */
import { CharnnError } from '../errors.js';
import { allBanned, type Bans } from './ban.js';
import type { StepModel } from './sampler.js';

export interface BeamOptions {
  /** beams kept (K >= 1) */
  width: number;
  /** characters to generate after the prime */
  length: number;
  /** an id that ends a hypothesis (it is kept, as the last character); none by default */
  end?: number;
  ban?: Bans;
}

export interface BeamResult {
  /** the generated ids (after the prime) */
  ids: number[];
  /** total log-probability (nats, <= 0) of the prime's scored characters and the generated ones */
  logProb: number;
  /** how many characters logProb covers */
  scored: number;
}

/** log softmax of one row: out[v] = logits[v] - log sum exp(logits) (float64). */
export function logSoftmax(out: Float64Array, logits: ArrayLike<number>, V: number): void {
  let max = -Infinity;
  for (let v = 0; v < V; v++) if (logits[v] > max) max = logits[v];
  let total = 0;
  for (let v = 0; v < V; v++) total += Math.exp(logits[v] - max);
  const lse = Math.log(total) + max;
  for (let v = 0; v < V; v++) out[v] = logits[v] - lse;
}

interface Hyp {
  ids: number[];
  logProb: number;
  scored: number;
}

const mean = (h: Hyp) => (h.scored ? h.logProb / h.scored : 0);

/**
 * The best continuation of `prime` (at least one id: the prime, or a line break standing for "the start"; its
 * first id is the context, the others are scored).
 */
export function beamSearch(model: StepModel, prime: readonly number[], o: BeamOptions): BeamResult {
  const K = o.width;
  if (!Number.isInteger(K) || K < 1) throw new CharnnError(`the beam width must be a whole number >= 1, got ${K}`);
  if (prime.length < 1) throw new RangeError('beam search needs at least one context id');
  const k = model.kernels;
  const V = model.config.vocabSize;
  const { layers: L, hidden: H } = model.config;
  const S = model.newState(1).length / (L * H); // state slots
  let state = model.newState(K); // (L, S, K, H)
  let next = model.newState(K);
  const logits = k.alloc(K * V); // (K, V)
  const ids = k.allocI32(K); // (K)
  const lp = new Float64Array(V);
  const banned = new Uint8Array(V);

  // the prime, on all K streams alike; its characters after the first are scored
  let primeLogProb = 0;
  for (let i = 0; i < prime.length; i++) {
    if (i > 0) {
      logSoftmax(lp, logits, V);
      primeLogProb += lp[prime[i]];
    }
    ids.fill(prime[i]);
    model.step(logits, ids, K, state);
  }
  let beams: Hyp[] = [{ ids: [], logProb: primeLogProb, scored: prime.length - 1 }];
  const done: Hyp[] = [];
  const back = (h: Hyp) => (j: number) => (j <= h.ids.length ? h.ids[h.ids.length - j] : prime[prime.length - (j - h.ids.length)]);

  for (let t = 0; t < o.length && beams.length; t++) {
    // the K best extensions: (beam, id, log-prob), kept sorted best first
    const best: Array<{ b: number; v: number; s: number }> = [];
    beams.forEach((h, b) => {
      logSoftmax(lp, logits.subarray(b * V, (b + 1) * V), V);
      if (o.ban) {
        banned.fill(0);
        o.ban.mark(banned, back(h), h.ids.length + prime.length);
      }
      for (let v = 0; v < V; v++) {
        if (o.ban && banned[v]) continue;
        const s = h.logProb + lp[v];
        if (best.length === K && !(s > best[K - 1].s)) continue; // ties: the earlier (beam, id) stays
        let at = best.length;
        while (at > 0 && s > best[at - 1].s) at--;
        best.splice(at, 0, { b, v, s });
        if (best.length > K) best.pop();
      }
    });
    if (!best.length) throw allBanned();
    const alive: Hyp[] = [];
    for (const c of best) {
      const h = { ids: [...beams[c.b].ids, c.v], logProb: c.s, scored: beams[c.b].scored + 1 };
      if (c.v === o.end) done.push(h);
      else alive.push(h);
    }
    // gather the surviving beams' states to rows 0..alive-1, then step them on their new characters
    const SKH = K * H;
    let row = 0;
    for (const c of best) {
      if (c.v === o.end) continue;
      for (let l = 0; l < L; l++) {
        for (let s = 0; s < S; s++) {
          const base = (l * S + s) * SKH;
          next.set(state.subarray(base + c.b * H, base + (c.b + 1) * H), base + row * H);
        }
      }
      ids[row++] = c.v;
    }
    [state, next] = [next, state];
    beams = alive;
    if (beams.length) {
      for (let r = row; r < K; r++) ids[r] = ids[0]; // unused rows: any valid id
      model.step(logits, ids, K, state);
    }
  }
  const pool = [...done, ...beams];
  let win = pool[0];
  for (const h of pool) if (mean(h) > mean(win)) win = h;
  return { ids: win.ids, logProb: win.logProb, scored: win.scored };
}
