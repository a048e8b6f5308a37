/**
 * Inverted dropout for one site (between layers, and before the decoder), training only: each element is kept
 * with probability 1 − p and scaled by 1/(1 − p), so inference needs no rescaling. The mask is drawn from the
 * seeded Rng (one 32-bit draw per element) and kept for backward, which multiplies by the same mask.
 *
 * Dimension legend: n = T*B*H elements of one layer's outputs.
 */
import type { Kernels, Vec } from '../math/kernels.js';
import type { Rng } from '../math/rng.js';

export class Dropout {
  private mask!: Vec; // (n)   0 or 1/(1 − p)
  private out!: Vec; // (n)   the dropped-out copy of the input
  private size = 0;

  constructor(private readonly k: Kernels, readonly p: number) {}

  /** Returns out (n) = x ⊙ mask with a fresh mask. */
  forward(x: Vec, n: number, rng: Rng): Vec {
    if (n > this.size) {
      this.size = n;
      this.mask = this.k.alloc(n);
      this.out = this.k.alloc(n);
    }
    const mask = this.mask;
    const threshold = this.p * 4294967296; // drop when a uniform u32 falls below p·2^32
    const keep = 1 / (1 - this.p);
    for (let i = 0; i < n; i++) mask[i] = rng.nextU32() < threshold ? 0 : keep;
    const out = this.out.subarray(0, n);
    this.k.mul(out, x, mask, n);
    return out;
  }

  /** d (n) ⊙= mask, in place: the gradient through the last forward's mask. */
  backward(d: Vec, n: number): void {
    this.k.mul(d, d, this.mask, n);
  }
}
