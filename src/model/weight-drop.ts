/**
 * Recurrent weight dropout (DropConnect on W_hh, AWD-LSTM), training only. Each training window draws a mask
 * over one layer's hidden-to-hidden matrix (all gates) and the layer runs the whole window on
 *   W̃ = W_hh ⊙ mask,   mask ∈ {0, 1/(1 − p)}
 * so the per-step recurrent products are unchanged (they just read W̃); backward, run on W̃, accumulates dW̃ into
 * a scratch gradient, and dW_hh += dW̃ ⊙ mask. The cost is a draw per weight and three vector kernels per window,
 * no per-time-step work. Inference (step, evaluation) reads W_hh itself.
 *
 * The substitution is the whole trick: `params()` and `grads()` return the layer's LayerParams with whh swapped
 * for W̃ and for the scratch gradient; the layer code does not know. W̃ is one buffer of this object, rewritten
 * (by a kernel: mul) every window, so a backend that caches packed weights must key on writes, not on the
 * address alone (test/weight-drop.test.ts runs it on every backend across windows).
 *
 * Dimension legend: H hidden, G gate blocks; W_hh is stored (H, G*H) (layout.ts).
 */
import type { Kernels, Vec } from '../math/kernels.js';
import type { Rng } from '../math/rng.js';
import { drawMask } from './dropout.js';
import type { LayerParams } from './layout.js';

export class WeightDrop {
  private readonly n: number;
  private readonly mask: Vec; // (H, G*H)   0 or 1/(1 − p)
  private readonly dropped: Vec; // (H, G*H)   W̃ = W_hh ⊙ mask
  private readonly gDropped: Vec; // (H, G*H)   dLoss/dW̃ of one backward
  private readonly p: LayerParams;
  private readonly g: LayerParams;

  constructor(private readonly k: Kernels, readonly prob: number, H: number, GH: number, p: LayerParams, g: LayerParams) {
    this.n = H * GH;
    this.mask = k.alloc(this.n);
    this.dropped = k.alloc(this.n);
    this.gDropped = k.alloc(this.n);
    this.p = { ...p, whh: this.dropped };
    this.g = { ...g, whh: this.gDropped };
  }

  /** Draws this window's mask and fills W̃ from the real W_hh; returns the parameters the layer runs on. */
  forward(whh: Vec, rng: Rng): LayerParams {
    drawMask(this.mask, this.n, this.prob, rng);
    this.k.mul(this.dropped, whh, this.mask, this.n);
    return this.p;
  }

  /** The gradients the layer's backward accumulates into (W̃'s zeroed first). */
  grads(): LayerParams {
    this.k.fill(this.gDropped, 0, this.n);
    return this.g;
  }

  /** After the layer's backward: gwhh (H, G*H) += dW̃ ⊙ mask. */
  backward(gwhh: Vec): void {
    this.k.mul(this.gDropped, this.gDropped, this.mask, this.n);
    this.k.axpy(gwhh, 1, this.gDropped, this.n);
  }
}
