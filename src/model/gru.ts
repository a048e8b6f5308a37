/**
 * GRU layer over a window, forward and backward side by side (PyTorch's equations, gates [r | z | n]):
 *   gi_t = x_t·W_ih + b_ih      gh_t = h_{t-1}·W_hh + b_hh
 *   r = σ(gi_r + gh_r)   z = σ(gi_z + gh_z)   n = tanh(gi_n + r·gh_n)   h_t = (1 − z)·n + z·h_{t-1}
 * gi for all T steps is one product (or a row gather); gh is per step because r multiplies its n block.
 * --layer-norm (Ba, Kiros & Hinton 2016, §3.1): gi and gh are each layer-normalised over all 3H of a row, with
 * their own gain and bias, before the gate maths: gi = LN(x·W_ih + b_ih), gh = LN(h·W_hh + b_hh), so r still
 * multiplies the recurrent candidate term after its bias, as in PyTorch. The raw parts are kept for backward.
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
  // --layer-norm only
  private giRaw!: Vec; // (T, B, 3H)   x·W_ih + b_ih before the norm
  private ghRaw!: Vec; // (T, B, 3H)   h·W_hh + b_hh before the norm
  private stat!: Vec; // (4, T*B)   mean and rstd of gi's rows, then of gh's
  private stepStat!: Vec; // (2, B)

  constructor(private readonly k: Kernels, readonly D: number, readonly H: number, private readonly scratch: Scratch, private readonly ln = false) {
    this.GH = 3 * H;
  }

  private reserve(T: number, B: number): void {
    if ((T + 1) * B <= this.rows) return;
    this.rows = (T + 1) * B;
    this.hs = this.k.alloc(this.rows * this.H);
    this.gi = this.k.alloc(this.rows * this.GH);
    this.gh = this.k.alloc(this.rows * this.GH);
    this.act = this.k.alloc(this.rows * this.GH);
    if (this.ln) {
      this.giRaw = this.k.alloc(this.rows * this.GH);
      this.ghRaw = this.k.alloc(this.rows * this.GH);
      this.stat = this.k.alloc(4 * this.rows);
    }
  }

  outputs(T: number, B: number): Vec {
    return this.hs.subarray(B * this.H, (T + 1) * B * this.H);
  }

  forward(p: LayerParams, x: LayerInput, T: number, B: number, state: Vec): void {
    const { k, H, GH, D } = this;
    const BH = B * H, BG = B * GH;
    this.reserve(T, B);
    const { hs, gi, gh, act } = this;
    const M = T * B;
    const ln = p.ln;
    k.copy(hs, state, BH);
    if (ln) {
      projectInput(k, this.giRaw, p.wih, p.bih, x, M, D, GH); // (T*B, 3H)
      k.layerNormForward(gi, this.stat, this.stat.subarray(M), this.giRaw, ln.gih, ln.bih, M, GH);
    } else projectInput(k, gi, p.wih, p.bih, x, M, D, GH); // (T*B, 3H)
    const whh = this.scratch.whhPacked; // W_hh (H, 3H) packed once for the T products
    k.packRight(whh, p.whh, H, GH, false);
    for (let t = 0; t < T; t++) {
      const ghT = gh.subarray(t * BG, (t + 1) * BG); // (B, 3H)
      const hPrev = hs.subarray(t * BH, (t + 1) * BH); // (B, H)
      const raw = ln ? this.ghRaw.subarray(t * BG, (t + 1) * BG) : ghT;
      k.rowsSet(raw, p.bhh, B, GH);
      k.mmPacked(raw, hPrev, whh, B, H, GH, false, true);
      if (ln) k.layerNormForward(ghT, this.stat.subarray(2 * M + t * B), this.stat.subarray(3 * M + t * B), raw, ln.ghh, ln.bhh, B, GH);
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
    const M = T * B;
    const ln = p.ln, gln = g.ln;
    for (let t = T - 1; t >= 0; t--) {
      const dghT = dgh.subarray(t * BG, (t + 1) * BG);
      k.gruBackward(
        dgi.subarray(t * BG, (t + 1) * BG), dghT, dhPrev, dOut.subarray(t * BH, (t + 1) * BH),
        act.subarray(t * BG, (t + 1) * BG), gh.subarray(t * BG, (t + 1) * BG), hs.subarray(t * BH, (t + 1) * BH), B, H,
      );
      // through the norm: dgh becomes the gradient of the raw recurrent part (in place)
      if (ln && gln) {
        k.layerNormBackward(
          dghT, gln.ghh, gln.bhh, dghT, this.ghRaw.subarray(t * BG, (t + 1) * BG),
          this.stat.subarray(2 * M + t * B), this.stat.subarray(3 * M + t * B), ln.ghh, B, GH,
        );
      }
      const into = t > 0 ? dOut.subarray((t - 1) * BH, t * BH) : dState; // (B, H)
      if (!into) continue;
      if (t > 0) k.axpy(into, 1, dhPrev, BH);
      else k.copy(into, dhPrev, BH);
      k.mmPacked(into, dghT, whhT, B, GH, H, true, true);
    }
    if (ln && gln) k.layerNormBackward(dgi, gln.gih, gln.bih, dgi, this.giRaw, this.stat, this.stat.subarray(M), ln.gih, M, GH);
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
      this.stepStat = k.alloc(2 * B);
    }
    const h = slots[0]; // (B, H)
    const ln = p.ln, st = this.stepStat;
    projectInput(k, this.stepGi, p.wih, p.bih, x, B, D, GH);
    if (ln) k.layerNormForward(this.stepGi, st, st.subarray(B), this.stepGi, ln.gih, ln.bih, B, GH); // in place: inference keeps nothing
    k.rowsSet(this.stepGh, p.bhh, B, GH);
    k.mm(this.stepGh, h, p.whh, B, H, GH, true);
    if (ln) k.layerNormForward(this.stepGh, st, st.subarray(B), this.stepGh, ln.ghh, ln.bhh, B, GH);
    k.gruForward(this.stepH, this.stepAct, this.stepGi, this.stepGh, h, B, H);
    k.copy(h, this.stepH, B * H);
  }
}
