/**
 * Elman RNN layer over a window, forward and backward side by side (PyTorch's nn.RNN with tanh):
 *   h_t = tanh(x_t·W_ih + b_ih + b_hh + h_{t-1}·W_hh)
 * The pre-activations are built directly in the output slots hs[1..T] and squashed in place, so the layer
 * needs no buffer besides hs; backward likewise turns dOut into dpre in place.
 *
 * Dimension legend: B streams, T window, H hidden, D input width, G = 1; state (S=1, B, H) = [h].
 */
import type { Kernels, Vec } from '../math/kernels.js';
import type { LayerParams } from './layout.js';
import { biasGradsBoth, biasSum, projectInput, projectInputBackward, type LayerInput, type RecurrentLayer, type Scratch } from './layer.js';

export class RnnLayer implements RecurrentLayer {
  private hs!: Vec; // (T+1, B, H)   slot 0 = initial h
  private readonly bias: Vec; // (H)   b_ih + b_hh
  private rows = 0;
  private stepB = 0;
  private stepPre!: Vec; // (B, H)

  constructor(private readonly k: Kernels, readonly D: number, readonly H: number, private readonly scratch: Scratch) {
    this.bias = k.alloc(H);
  }

  private reserve(T: number, B: number): void {
    if ((T + 1) * B <= this.rows) return;
    this.rows = (T + 1) * B;
    this.hs = this.k.alloc(this.rows * this.H);
  }

  outputs(T: number, B: number): Vec {
    return this.hs.subarray(B * this.H, (T + 1) * B * this.H);
  }

  forward(p: LayerParams, x: LayerInput, T: number, B: number, state: Vec): void {
    const { k, H, D } = this;
    const BH = B * H;
    this.reserve(T, B);
    const hs = this.hs;
    k.copy(hs, state, BH);
    biasSum(k, this.bias, p, H);
    projectInput(k, this.outputs(T, B), p.wih, this.bias, x, T * B, D, H); // (T*B, H) into hs[1..T]
    const whh = this.scratch.whhPacked; // W_hh (H, H) packed once for the T products
    k.packRight(whh, p.whh, H, H, false);
    for (let t = 0; t < T; t++) {
      const h = hs.subarray((t + 1) * BH, (t + 2) * BH); // (B, H)
      k.mmPacked(h, hs.subarray(t * BH, (t + 1) * BH), whh, B, H, H, false, true);
      k.rnnForward(h, h, B, H);
    }
    k.copy(state, hs.subarray(T * BH), BH);
  }

  backward(p: LayerParams, g: LayerParams, x: LayerInput, dOut: Vec, dX: Vec | null, T: number, B: number, dState: Vec | null): void {
    const { k, H, D, hs } = this;
    const BH = B * H;
    this.scratch.reserve(T, B);
    const whhT = this.scratch.whhPacked; // W_hhᵀ packed once for the T products
    k.packRight(whhT, p.whh, H, H, true);
    for (let t = T - 1; t >= 0; t--) {
      const d = dOut.subarray(t * BH, (t + 1) * BH); // (B, H): dh_t in, dpre_t out
      k.rnnBackward(d, d, hs.subarray((t + 1) * BH, (t + 2) * BH), B, H);
      if (t > 0) k.mmPacked(dOut.subarray((t - 1) * BH, t * BH), d, whhT, B, H, H, true, true);
      else if (dState) k.mmPacked(dState, d, whhT, B, H, H, true, false);
    }
    const M = T * B;
    const dpre = dOut; // (T*B, H)
    k.mmTN(g.whh, hs, dpre, H, M, H, true);
    biasGradsBoth(k, g, dpre, M, H, this.scratch.dbias);
    projectInputBackward(k, g.wih, dX, p.wih, x, dpre, M, D, H);
  }

  step(p: LayerParams, x: LayerInput, B: number, slots: readonly Vec[]): void {
    const { k, H, D } = this;
    if (B > this.stepB) {
      this.stepB = B;
      this.stepPre = k.alloc(B * H);
    }
    const h = slots[0]; // (B, H)
    biasSum(k, this.bias, p, H);
    projectInput(k, this.stepPre, p.wih, this.bias, x, B, D, H);
    k.mm(this.stepPre, h, p.whh, B, H, H, true);
    k.rnnForward(h, this.stepPre, B, H);
  }
}
