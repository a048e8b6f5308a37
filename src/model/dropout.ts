/**
 * Inverted dropout for one site (between layers, and before the decoder), training only: an element is kept
 * with probability 1 − p and scaled by 1/(1 − p), so inference needs no rescaling. The mask is drawn from the
 * seeded Rng (one 32-bit draw per mask element) and kept for backward, which multiplies by the same mask.
 *   element      a fresh mask for every element of the window: n = T*B*H draws
 *   variational  one (B, H) mask per window (per stream), shared by all T steps (AWD-LSTM's locked dropout):
 *                B*H draws, broadcast over T by rowsSet, so forward and backward are still one multiply each
 *
 * Dimension legend: T window, B streams, H hidden; n = T*B*H elements of one layer's outputs.
 */
import type { Kernels, Vec } from '../math/kernels.js';
import type { Rng } from '../math/rng.js';
import type { DropoutMode } from './config.js';

/** One mask value per uniform u32: 0 below p·2^32, else 1/(1 − p). The PyTorch companion draws the same. */
export function drawMask(mask: Vec, n: number, p: number, rng: Rng): void {
  const threshold = p * 4294967296; // drop when a uniform u32 falls below p·2^32
  const keep = 1 / (1 - p);
  for (let i = 0; i < n; i++) mask[i] = rng.nextU32() < threshold ? 0 : keep;
}

export class Dropout {
  private mask!: Vec; // (n)   0 or 1/(1 − p)
  private out!: Vec; // (n)   the dropped-out copy of the input
  private row!: Vec; // (B*H)   variational: the window's mask before broadcasting over T
  private size = 0;
  private rowSize = 0;

  constructor(private readonly k: Kernels, readonly p: number, readonly mode: DropoutMode = 'element') {}

  /** Returns out (T*B*H) = x ⊙ mask with a fresh mask; BH = B*H, the width of one time step. */
  forward(x: Vec, T: number, BH: number, rng: Rng): Vec {
    const n = T * BH;
    if (n > this.size) {
      this.size = n;
      this.mask = this.k.alloc(n);
      this.out = this.k.alloc(n);
    }
    if (this.mode === 'variational') {
      if (BH > this.rowSize) {
        this.rowSize = BH;
        this.row = this.k.alloc(BH);
      }
      drawMask(this.row, BH, this.p, rng);
      this.k.rowsSet(this.mask, this.row, T, BH);
    } else {
      drawMask(this.mask, n, this.p, rng);
    }
    const out = this.out.subarray(0, n);
    this.k.mul(out, x, this.mask, n);
    return out;
  }

  /** d (n) ⊙= mask, in place: the gradient through the last forward's mask. */
  backward(d: Vec, n: number): void {
    this.k.mul(d, d, this.mask, n);
  }
}
