/**
 * The loss of a text under a model, counting every character: each of the n - 1 characters after the first is
 * predicted from all the characters before it, starting from the zero state. The default is one stream read in
 * windows of T with the state carried (the last window shorter): the figure does not depend on any layout and
 * equals a one-pass evaluation of the whole text (as in PyTorch, `model(x[None, :-1])` against `x[1:]`).
 *
 * B > 1 streams are faster (B predictions per recurrent step): the n - 1 predictions are cut into B contiguous
 * streams of L = floor((n - 1) / B), each from the zero state, and the last stream goes on alone through the
 * remainder, so no character is dropped (a stream's first characters are then predicted with less context, which
 * raises the loss slightly on a short text).
 * No console, fs or process here.
 * Dimension legend: B streams, T window, L layers, S state slots per layer, H hidden, n characters.
 */
import type { Ids } from '../data/vocab.js';
import type { Vec } from '../math/kernels.js';
import { Rng } from '../math/rng.js';
import type { TrainableModel } from './trainer.js';

export interface TextLoss {
  /** mean cross-entropy per predicted character, nats */
  loss: number;
  /** characters predicted: n - 1 */
  chars: number;
  /** the layout used (B may shrink to fit a short text) */
  streams: number;
  window: number;
}

/** Every character of `ids` scored (see the file comment); B and T only change the speed (and, for B > 1, the
 *  context of each stream's first characters). */
export function evaluateText(model: TrainableModel, ids: Ids, B = 1, T = 64, onProgress?: (done: number, total: number) => void): TextLoss {
  const P = ids.length - 1; // predictions
  if (P < 1) throw new Error(`the text has ${ids.length} character${ids.length === 1 ? '' : 's'}: it needs at least 2, one to read and one to predict`);
  if (!(Number.isInteger(B) && B >= 1 && Number.isInteger(T) && T >= 1)) throw new RangeError(`streams and window must be positive integers, got ${B} and ${T}`);
  B = Math.min(B, P);
  const len = Math.floor(P / B); // predictions per stream; the last stream also takes the P - B*len left over
  const k = model.kernels;
  const x = k.allocI32(B * T), y = k.allocI32(B * T); // (T*B)
  const state = model.newState(B); // (L, S, B, H)
  let total = 0;
  // B streams in lockstep: stream b predicts ids[b*len + 1 ..= (b+1)*len]
  for (let start = 0; start < len; start += T) {
    const t1 = Math.min(T, len - start);
    for (let b = 0; b < B; b++) {
      const base = b * len + start;
      for (let t = 0; t < t1; t++) {
        x[t * B + b] = ids[base + t];
        y[t * B + b] = ids[base + t + 1];
      }
    }
    total += model.forward(x, y, t1, B, state, { training: false }) * t1 * B;
    onProgress?.((start + t1) * B, P);
  }
  const rest = P - B * len;
  if (rest > 0) {
    // the last stream goes on from where it stopped, with its state
    const one = model.newState(1); // (L, S, 1, H)
    copyStream(model, state, one, B - 1, B);
    for (let start = B * len; start < P; start += T) {
      const t1 = Math.min(T, P - start);
      for (let t = 0; t < t1; t++) {
        x[t] = ids[start + t];
        y[t] = ids[start + t + 1];
      }
      total += model.forward(x, y, t1, 1, one, { training: false }) * t1;
      onProgress?.(start + t1, P);
    }
  }
  return { loss: total / P, chars: P, streams: B, window: T };
}

export interface WindowsLoss {
  /** mean cross-entropy per predicted character, nats */
  loss: number;
  /** characters predicted: count x n */
  chars: number;
}

/**
 * nanoGPT's `estimate_loss` protocol: `count` windows of n + 1 characters drawn at random (seeded: starts uniform
 * in [0, len - n)), each read from the zero state with no context before it, and every one of its n predictions
 * counted, so the first characters of each window, predicted from almost nothing, count as much as the rest.
 * B windows run side by side (speed only: a window's figure depends on no other).
 */
export function evaluateWindows(model: TrainableModel, ids: Ids, n: number, count: number, seed: number, B = 64, onProgress?: (done: number, total: number) => void): WindowsLoss {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(count) && count >= 1 && Number.isInteger(B) && B >= 1)) throw new RangeError(`window length, count and streams must be positive integers, got ${n}, ${count} and ${B}`);
  if (ids.length < n + 1) throw new Error(`the text has ${ids.length} characters, fewer than a window of ${n} needs (${n + 1}: ${n} to read, the last of them predicted from the ${n} before)`);
  const rng = new Rng(seed);
  const span = ids.length - n; // starts in [0, span)
  const k = model.kernels;
  B = Math.min(B, count);
  const x = k.allocI32(B * n), y = k.allocI32(B * n); // (n*B) time-major
  let total = 0;
  for (let done = 0; done < count; done += B) {
    const b1 = Math.min(B, count - done);
    for (let b = 0; b < b1; b++) {
      const start = rng.int(span);
      for (let t = 0; t < n; t++) {
        x[t * b1 + b] = ids[start + t];
        y[t * b1 + b] = ids[start + t + 1];
      }
    }
    const state = model.newState(b1); // (L, S, b1, H) zero: no context before the window
    total += model.forward(x, y, n, b1, state, { training: false }) * n * b1;
    onProgress?.((done + b1) * n, count * n);
  }
  return { loss: total / (count * n), chars: count * n };
}

/** Stream b of a (L*S, B, H) state into a (L*S, 1, H) one. */
function copyStream(model: TrainableModel, from: Vec, to: Vec, b: number, B: number): void {
  const H = model.config.hidden;
  const rows = model.stateSize(1) / H; // L*S
  for (let r = 0; r < rows; r++) to.set(from.subarray((r * B + b) * H, (r * B + b + 1) * H), r * H);
}
