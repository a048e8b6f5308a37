/**
 * The decoder: linear map from the top layer's outputs to logits, then softmax cross-entropy, for all T steps
 * of a window in one product. Forward and backward side by side.
 *   logits (T*B, V) = Y (T*B, H) · W (H, V) + b      loss = mean over T*B rows of −log softmax(logits)[target]
 * The softmax kernel writes dLoss/dlogits over the logits in place during forward (the loss needs the softmax
 * anyway), so backward is three products.
 *
 * Dimension legend: B streams, T window, H hidden, V vocab; M = T*B rows.
 */
import type { Kernels, Vec } from '../math/kernels.js';
import type { DecoderParams } from './layout.js';

export class Decoder {
  private logits!: Vec; // (M, V)   logits, then dlogits after forward
  private rows = 0;

  constructor(private readonly k: Kernels, readonly H: number, readonly V: number) {}

  /** Mean cross-entropy (nats) of M rows; keeps dlogits for backward. */
  forward(p: DecoderParams, y: Vec, targets: Int32Array, M: number): number {
    const { k, H, V } = this;
    if (M > this.rows) {
      this.rows = M;
      this.logits = k.alloc(M * V);
    }
    const logits = this.logits;
    k.rowsSet(logits, p.b, M, V);
    k.mm(logits, y, p.w, M, H, V, true);
    return k.softmaxXent(logits, logits, targets, M, V, 1 / M) / M;
  }

  /** Accumulates into g; writes dY (M, H) (overwrite). y: the same input as forward. */
  backward(p: DecoderParams, g: DecoderParams, y: Vec, dY: Vec, M: number): void {
    const { k, H, V } = this;
    const dlogits = this.logits; // (M, V)
    k.mmTN(g.w, y, dlogits, H, M, V, true);
    k.colSumAcc(g.b, dlogits, M, V);
    k.mmNT(dY, dlogits, p.w, M, V, H, false);
  }

  /** Inference: logits (B, V) = h (B, H) · W + b. */
  step(p: DecoderParams, logits: Vec, h: Vec, B: number): void {
    const { k, H, V } = this;
    k.rowsSet(logits, p.b, B, V);
    k.mm(logits, h, p.w, B, H, V, true);
  }
}
