/**
 * LSTM layer over a window, forward and backward side by side (PyTorch's equations, gates [i | f | g | o]):
 *   pre_t = x_t·W_ih + b_ih + b_hh + h_{t-1}·W_hh     c_t = σ(f)·c_{t-1} + σ(i)·tanh(g)     h_t = σ(o)·tanh(c_t)
 * The input part of pre for all T steps is one product (or a row gather); only h_{t-1}·W_hh runs per step.
 * The pointwise gate maths is one fused kernel per step (act overwrites pre in place).
 *
 * Dimension legend: B streams, T window, H hidden, D input width, G = 4 gate blocks; state (S=2, B, H) = [h, c].
 */
import type { Kernels, Vec } from '../math/kernels.js';
import type { LayerParams } from './layout.js';
import { biasGradsBoth, biasSum, projectInput, projectInputBackward, type LayerInput, type RecurrentLayer, type Scratch } from './layer.js';

export class LstmLayer implements RecurrentLayer {
  private readonly GH: number;
  private hs!: Vec; // (T+1, B, H)   slot 0 = initial h
  private cs!: Vec; // (T+1, B, H)   slot 0 = initial c
  private act!: Vec; // (T, B, 4H)   pre-activations, then [σ(i) | σ(f) | tanh(g) | σ(o)]
  private readonly bias: Vec; // (4H)   b_ih + b_hh
  private rows = 0; // capacity of hs in rows of H
  // inference step workspace, per B
  private stepB = 0;
  private stepPre!: Vec; // (B, 4H)
  private stepC!: Vec; // (B, H)

  constructor(private readonly k: Kernels, readonly D: number, readonly H: number, private readonly scratch: Scratch) {
    this.GH = 4 * H;
    this.bias = k.alloc(this.GH);
  }

  private reserve(T: number, B: number): void {
    if ((T + 1) * B <= this.rows) return;
    this.rows = (T + 1) * B;
    this.hs = this.k.alloc(this.rows * this.H);
    this.cs = this.k.alloc(this.rows * this.H);
    this.act = this.k.alloc(this.rows * this.GH); // (T+1)·B rows ≥ T·B: one capacity for all buffers
  }

  outputs(T: number, B: number): Vec {
    return this.hs.subarray(B * this.H, (T + 1) * B * this.H);
  }

  forward(p: LayerParams, x: LayerInput, T: number, B: number, state: Vec): void {
    const { k, H, GH, D } = this;
    const BH = B * H, BG = B * GH;
    this.reserve(T, B);
    const { hs, cs, act } = this;
    k.copy(hs, state, BH);
    k.copy(cs, state.subarray(BH, 2 * BH), BH);
    biasSum(k, this.bias, p, GH);
    projectInput(k, act, p.wih, this.bias, x, T * B, D, GH); // (T*B, 4H)
    const whh = this.scratch.whhPacked; // W_hh (H, 4H) packed once for the T products
    k.packRight(whh, p.whh, H, GH, false);
    for (let t = 0; t < T; t++) {
      const pre = act.subarray(t * BG, (t + 1) * BG); // (B, 4H)
      k.mmPacked(pre, hs.subarray(t * BH, (t + 1) * BH), whh, B, H, GH, false, true);
      k.lstmForward(
        hs.subarray((t + 1) * BH, (t + 2) * BH), cs.subarray((t + 1) * BH, (t + 2) * BH),
        pre, pre, cs.subarray(t * BH, (t + 1) * BH), B, H,
      );
    }
    k.copy(state, hs.subarray(T * BH), BH);
    k.copy(state.subarray(BH, 2 * BH), cs.subarray(T * BH), BH);
  }

  backward(p: LayerParams, g: LayerParams, x: LayerInput, dOut: Vec, dX: Vec | null, T: number, B: number, dState: Vec | null): void {
    const { k, H, GH, D, hs, cs, act } = this;
    const BH = B * H, BG = B * GH;
    this.scratch.reserve(T, B);
    const dpre = this.scratch.dgate; // (T*B, 4H)
    const dc = this.scratch.carry; // (B, H)   gradient into c_t from step t+1; none from past the window
    k.fill(dc, 0, BH);
    const whhT = this.scratch.whhPacked; // W_hhᵀ packed once for the T products
    k.packRight(whhT, p.whh, GH, H, true);
    for (let t = T - 1; t >= 0; t--) {
      const dpreT = dpre.subarray(t * BG, (t + 1) * BG); // (B, 4H)
      // dOut[t] already holds the recurrent gradient from step t+1 (added below on the previous iteration)
      k.lstmBackward(
        dpreT, dc, dOut.subarray(t * BH, (t + 1) * BH), dc, act.subarray(t * BG, (t + 1) * BG),
        cs.subarray((t + 1) * BH, (t + 2) * BH), cs.subarray(t * BH, (t + 1) * BH), B, H,
      );
      if (t > 0) k.mmPacked(dOut.subarray((t - 1) * BH, t * BH), dpreT, whhT, B, GH, H, true, true);
      else if (dState) {
        k.mmPacked(dState, dpreT, whhT, B, GH, H, true, false);
        k.copy(dState.subarray(BH, 2 * BH), dc, BH);
      }
    }
    const M = T * B;
    k.mmTN(g.whh, hs, dpre, H, M, GH, true); // hs[0..T) = h_{t-1} for all t
    biasGradsBoth(k, g, dpre, M, GH, this.scratch.dbias);
    projectInputBackward(k, g.wih, dX, p.wih, x, dpre, M, D, GH);
  }

  step(p: LayerParams, x: LayerInput, B: number, slots: readonly Vec[]): void {
    const { k, H, GH, D } = this;
    const BH = B * H;
    if (B > this.stepB) {
      this.stepB = B;
      this.stepPre = k.alloc(B * GH);
      this.stepC = k.alloc(BH);
    }
    const h = slots[0], c = slots[1]; // (B, H) each
    biasSum(k, this.bias, p, GH);
    projectInput(k, this.stepPre, p.wih, this.bias, x, B, D, GH); // (B, 4H)
    k.mm(this.stepPre, h, p.whh, B, H, GH, true);
    k.lstmForward(h, this.stepC, this.stepPre, this.stepPre, c, B, H); // new h straight into the state
    k.copy(c, this.stepC, BH);
  }
}
