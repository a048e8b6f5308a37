/**
 * What the three recurrent layers (rnn.ts, lstm.ts, gru.ts) share: the layer interface, the input projection of
 * a whole window (one big product, or a row gather for layer 0's one-hot input) with its backward, and the
 * backward scratch buffers that all layers of a model reuse in turn.
 *
 * Activations are time-major. Each layer keeps hs (T+1, B, H) with slot 0 = the initial state h and slots 1..T
 * the outputs, so h_{t-1} for all t is the one contiguous (T*B, H) block hs[0..T) and the outputs are hs[1..T].
 *
 * Dimension legend: B streams, T window, H hidden, D a layer's input width, G gate blocks, S state slots.
 */
import type { Kernels, Vec } from '../math/kernels.js';
import type { LayerParams } from './layout.js';

/** A layer's input over a window: token ids (T*B) for layer 0 (one-hot, never materialised), else (T*B, D). */
export type LayerInput = Int32Array | Vec;

export interface RecurrentLayer {
  /** The outputs of the last forward: hs[1..T], (T*B, H). */
  outputs(T: number, B: number): Vec;
  /**
   * Forward over a window. state (S, B, H): the initial state in, the final state out (the carry).
   * Keeps what backward needs until the next forward.
   */
  forward(p: LayerParams, x: LayerInput, T: number, B: number, state: Vec): void;
  /**
   * Backward of the last forward. dOut (T*B, H): gradient into the outputs; consumed (overwritten).
   * Accumulates into g. Writes dX (T*B, D) if given (not for layer 0) and dState (S, B, H) = dLoss/d(initial
   * state) if given (overwrite). The final state gets no gradient (truncated BPTT).
   */
  backward(p: LayerParams, g: LayerParams, x: LayerInput, dOut: Vec, dX: Vec | null, T: number, B: number, dState: Vec | null): void;
  /** One inference step for B streams: x ids (B) or (B, D); slots: the state's S views (B, H) ([h] or [h, c]),
   *  in/out. No allocation after the first call for a given B (the caller caches the views). */
  step(p: LayerParams, x: LayerInput, B: number, slots: readonly Vec[]): void;
}

/**
 * Scratch shared by all layers of one model (layers run their forward, and their backward, one after another):
 * a (T*B, G*H) gate-gradient block, a (G*H) bias-gradient vector, a (B, H) carry, and W_hh packed for the
 * recurrent products of one window (k.packRight: W_hh (H, G*H) in forward, W_hhᵀ in backward).
 */
export class Scratch {
  dgate!: Vec; // (T*B, G*H)
  readonly dbias: Vec; // (G*H)
  carry!: Vec; // (B, H)
  /** W_hh as packed by the layer running now: packed at the start of each forward and backward, never kept. */
  readonly whhPacked: Vec;
  private rows = 0;
  private streams = 0;

  constructor(private readonly k: Kernels, private readonly GH: number, private readonly H: number) {
    this.dbias = k.alloc(GH);
    this.whhPacked = k.alloc(Math.max(k.packedSize(H, GH), k.packedSize(GH, H)));
  }

  /** Make room for a (T, B) window (re-allocates only when a larger one comes). */
  reserve(T: number, B: number): void {
    if (T * B > this.rows) {
      this.rows = T * B;
      this.dgate = this.k.alloc(this.rows * this.GH);
    }
    if (B > this.streams) {
      this.streams = B;
      this.carry = this.k.alloc(B * this.H);
    }
  }
}

/** Sum of the two PyTorch biases into sum (G*H): rnn and lstm add them to the same pre-activation. */
export function biasSum(k: Kernels, sum: Vec, p: LayerParams, GH: number): void {
  k.copy(sum, p.bih, GH);
  k.axpy(sum, 1, p.bhh, GH);
}

/** out (M, G*H) = x · W_ih + bias, where x is ids (M) (row gather from W_ih (V, G*H)) or dense (M, D). */
export function projectInput(k: Kernels, out: Vec, wih: Vec, bias: Vec, x: LayerInput, M: number, D: number, GH: number): void {
  k.rowsSet(out, bias, M, GH);
  if (x instanceof Int32Array) k.gatherAdd(out, wih, x, M, GH);
  else k.mm(out, x, wih, M, D, GH, true);
}

/**
 * Backward of projectInput's product: gwih (D, G*H) += xᵀ · dpre (a scatter-add for ids);
 * dX (M, D) = dpre · W_ihᵀ when wanted. Bias gradients are the caller's (they differ per cell).
 */
export function projectInputBackward(k: Kernels, gwih: Vec, dX: Vec | null, wih: Vec, x: LayerInput, dpre: Vec, M: number, D: number, GH: number): void {
  if (x instanceof Int32Array) k.scatterAdd(gwih, dpre, x, M, GH);
  else k.mmTN(gwih, x, dpre, D, M, GH, true);
  if (dX) k.mmNT(dX, dpre, wih, M, GH, D, false);
}

/** Both bias gradients += column sums of dpre (M, G*H), summed once through the scratch vector. */
export function biasGradsBoth(k: Kernels, g: LayerParams, dpre: Vec, M: number, GH: number, tmp: Vec): void {
  k.fill(tmp, 0, GH);
  k.colSumAcc(tmp, dpre, M, GH);
  k.axpy(g.bih, 1, tmp, GH);
  k.axpy(g.bhh, 1, tmp, GH);
}
