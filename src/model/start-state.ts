/**
 * The state a line starts from (line mode): zero, or a learned tensor h0 (L, S, H) shared by every line.
 * Forward and backward side by side:
 *   forward:  state[l, s, b, :] = h0[l, s, :]          for every line b (a broadcast over B)
 *   backward: dh0[l, s, :]     += Σ_b dState[l, s, b, :]  (the gradient of the broadcast is the sum)
 * dState is dLoss/d(initial state) of the window that starts the lines (CharRNN.backward's dState output).
 *
 * Dimension legend: L layers, S state slots (lstm 2: h, c; else 1), B lines, H hidden.
 */
import type { Kernels, Vec } from '../math/kernels.js';

/** state (L, S, B, H) = h0 broadcast over B, or 0 when h0 is null. LS = L·S. */
export function startStateForward(k: Kernels, state: Vec, h0: Vec | null, LS: number, B: number, H: number): void {
  if (!h0) {
    k.fill(state, 0, LS * B * H);
    return;
  }
  for (let i = 0; i < LS; i++) k.rowsSet(state.subarray(i * B * H, (i + 1) * B * H), h0.subarray(i * H, (i + 1) * H), B, H);
}

/** dh0 (L, S, H) += dState (L, S, B, H) summed over B (accumulates). */
export function startStateBackward(k: Kernels, dh0: Vec, dState: Vec, LS: number, B: number, H: number): void {
  for (let i = 0; i < LS; i++) k.colSumAcc(dh0.subarray(i * H, (i + 1) * H), dState.subarray(i * B * H, (i + 1) * B * H), B, H);
}
