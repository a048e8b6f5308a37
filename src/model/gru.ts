/**
 * GRU layer over a window, forward and backward side by side (PyTorch's equations, gates [r | z | n]):
 *   gi_t = x_t·W_ih + b_ih      gh_t = h_{t-1}·W_hh + b_hh
 *   r = σ(gi_r + gh_r)   z = σ(gi_z + gh_z)   n = tanh(gi_n + r·gh_n)   h_t = (1 − z)·n + z·h_{t-1}
 * gi for all T steps is one product (or a row gather); gh is per step because r multiplies its n block.
 *
 * Dimension legend: B streams, T window, H hidden, D input width, G = 3 gate blocks; state (S=1, B, H) = [h].
 */
import type { Kernels, Vec } from '../math/kernels.js';
import type { LayerParams } from './layout.js';
import { projectInput, projectInputBackward, type LayerInput, type RecurrentLayer, type Scratch } from './layer.js';

export class GruLayer implements RecurrentLayer {
  private readonly GH: number;
  private hs!: Vec; // (T+1, B, H)   slot 0 = initial h
  private gi!: Vec; // (T, B, 3H)   input part; backward overwrites it with dgi (gi is not needed there)
  private gh!: Vec; // (T, B, 3H)   recurrent part incl. b_hh
  private act!: Vec; // (T, B, 3H)   [r | z | n]
  private rows = 0;
  private stepB = 0;
  private stepGi!: Vec; // (B, 3H)
  private stepGh!: Vec; // (B, 3H)
  private stepAct!: Vec; // (B, 3H)
  private stepH!: Vec; // (B, H)

  constructor(private readonly k: Kernels, readonly D: number, readonly H: number, private readonly scratch: Scratch) {
    this.GH = 3 * H;
  }

  private reserve(T: number, B: number): void {
    if ((T + 1) * B <= this.rows) return;
    this.rows = (T + 1) * B;
    this.hs = this.k.alloc(this.rows * this.H);
    this.gi = this.k.alloc(this.rows * this.GH);
    this.gh = this.k.alloc(this.rows * this.GH);
    this.act = this.k.alloc(this.rows * this.GH);
  }

  outputs(T: number, B: number): Vec {
    return this.hs.subarray(B * this.H, (T + 1) * B * this.H);
  }

  forward(p: LayerParams, x: LayerInput, T: number, B: number, state: Vec): void {
    const { k, H, GH, D } = this;
    const BH = B * H, BG = B * GH;
    this.reserve(T, B);
    const { hs, gi, gh, act } = this;
    k.copy(hs, state, BH);
    projectInput(k, gi, p.wih, p.bih, x, T * B, D, GH); // (T*B, 3H)
    const whh = this.scratch.whhPacked; // W_hh (H, 3H) packed once for the T products
    k.packRight(whh, p.whh, H, GH, false);
    for (let t = 0; t < T; t++) {
      const ghT = gh.subarray(t * BG, (t + 1) * BG); // (B, 3H)
      const hPrev = hs.subarray(t * BH, (t + 1) * BH); // (B, H)
      k.rowsSet(ghT, p.bhh, B, GH);
      k.mmPacked(ghT, hPrev, whh, B, H, GH, false, true);
      k.gruForward(hs.subarray((t + 1) * BH, (t + 2) * BH), act.subarray(t * BG, (t + 1) * BG), gi.subarray(t * BG, (t + 1) * BG), ghT, hPrev, B, H);
    }
    k.copy(state, hs.subarray(T * BH), BH);
  }

  backward(p: LayerParams, g: LayerParams, x: LayerInput, dOut: Vec, dX: Vec | null, T: number, B: number, dState: Vec | null): void {
    const { k, H, GH, D, hs, gh, act } = this;
    const BH = B * H, BG = B * GH;
    this.scratch.reserve(T, B);
    const dgi = this.gi; // (T*B, 3H)   reuses gi's storage
    const dgh = this.scratch.dgate; // (T*B, 3H)
    const dhPrev = this.scratch.carry; // (B, H)   the direct (z·dh) path into h_{t-1}
    const whhT = this.scratch.whhPacked; // W_hhᵀ packed once for the T products
    k.packRight(whhT, p.whh, GH, H, true);
    for (let t = T - 1; t >= 0; t--) {
      const dghT = dgh.subarray(t * BG, (t + 1) * BG);
      k.gruBackward(
        dgi.subarray(t * BG, (t + 1) * BG), dghT, dhPrev, dOut.subarray(t * BH, (t + 1) * BH),
        act.subarray(t * BG, (t + 1) * BG), gh.subarray(t * BG, (t + 1) * BG), hs.subarray(t * BH, (t + 1) * BH), B, H,
      );
      const into = t > 0 ? dOut.subarray((t - 1) * BH, t * BH) : dState; // (B, H)
      if (!into) continue;
      if (t > 0) k.axpy(into, 1, dhPrev, BH);
      else k.copy(into, dhPrev, BH);
      k.mmPacked(into, dghT, whhT, B, GH, H, true, true);
    }
    const M = T * B;
    k.mmTN(g.whh, hs, dgh, H, M, GH, true);
    k.colSumAcc(g.bhh, dgh, M, GH);
    k.colSumAcc(g.bih, dgi, M, GH);
    projectInputBackward(k, g.wih, dX, p.wih, x, dgi, M, D, GH);
  }

  step(p: LayerParams, x: LayerInput, B: number, slots: readonly Vec[]): void {
    const { k, H, GH, D } = this;
    if (B > this.stepB) {
      this.stepB = B;
      this.stepGi = k.alloc(B * GH);
      this.stepGh = k.alloc(B * GH);
      this.stepAct = k.alloc(B * GH);
      this.stepH = k.alloc(B * H);
    }
    const h = slots[0]; // (B, H)
    projectInput(k, this.stepGi, p.wih, p.bih, x, B, D, GH);
    k.rowsSet(this.stepGh, p.bhh, B, GH);
    k.mm(this.stepGh, h, p.whh, B, H, GH, true);
    k.gruForward(this.stepH, this.stepAct, this.stepGi, this.stepGh, h, B, H);
    k.copy(h, this.stepH, B * H);
  }
}
